/* Detection wiring for the sensor (see detect-run.h). */
#include "sensor/detect-run.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "sensor/alert.h"
#include "sensor/geo.h"
#include "sensor/output-eve.h"
#include "sensor/output-redis.h"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *detect_run_default_rules(char *out, size_t outlen)
{
    char exe[512];
    ssize_t n;
    snprintf(out, outlen, "rules/default");
    if (is_dir(out))
        return out;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(out, outlen, "%s/../share/breachwatch/rules/default", exe);
            if (is_dir(out))
                return out;
            snprintf(out, outlen, "%s/../rules/default", exe);
            if (is_dir(out))
                return out;
        }
    }
    snprintf(out, outlen, "rules/default");
    return out;
}

static void on_alert(void *ctx, const struct bw_alert *a)
{
    struct detect_run *d = ctx;
    if (d->eve != NULL)
        alert_write_eve(d->eve, a);
}

int detect_run_init(struct detect_run *d, const struct bw_config *conf, struct eve_out *eve,
                    const char *rules_dir, const char *redis_url, struct bw_err *err)
{
    struct detect_config dcfg;
    struct redis_out_config rcfg;
    memset(d, 0, sizeof(*d));
    d->eve = eve;
    if (rules_dir != NULL)
        snprintf(d->rules_dir, sizeof(d->rules_dir), "%s", rules_dir);
    else
        detect_run_default_rules(d->rules_dir, sizeof(d->rules_dir));
    d->rules = rule_set_load_dir(d->rules_dir, err);
    if (d->rules == NULL)
        goto fail;
    if (geo_from_config(conf, &d->geo, err) != 0) {
        /* No database is no reason to stop detecting: rules without
         * geography still work, geographic ones match nothing. */
        bw_warn("detect: GeoIP unavailable: %s", err->msg);
        bw_err_clear(err);
        d->geo = NULL;
    }
    if (detect_config_load(&dcfg, conf, err) != 0)
        goto fail;
    dcfg.geo = d->geo;
    if (redis_out_config_load(&rcfg, conf, err) != 0)
        goto fail;
    if (redis_url != NULL)
        snprintf(rcfg.url, sizeof(rcfg.url), "%s", redis_url);
    if (rcfg.url[0] && strcmp(rcfg.url, "none") != 0) {
        d->redis = redis_out_new(&rcfg, err);
        if (d->redis == NULL)
            goto fail;
        if (eve == NULL || eve_add_listener(eve, redis_out_eve_listener, d->redis) != 0) {
            bw_err_set(err, "redis: cannot attach to the EVE output");
            goto fail;
        }
    }
    d->engine = detect_new(&dcfg, d->rules, err);
    if (d->engine == NULL)
        goto fail;
    detect_set_alert_fn(d->engine, on_alert, d);
    bw_info("detect: %zu rules from %s", d->rules->n, d->rules_dir);
    return 0;
fail:
    detect_run_fini(d);
    return -1;
}

void detect_run_fini(struct detect_run *d)
{
    detect_free(d->engine); /* last updates go out through the EVE listener */
    d->engine = NULL;
    if (d->eve != NULL)
        eve_flush(d->eve);
    redis_out_free(d->redis);
    d->redis = NULL;
    geo_free(d->geo);
    d->geo = NULL;
    rule_set_unref(d->rules);
    d->rules = NULL;
}

struct access_sink detect_run_sink(struct detect_run *d)
{
    return detect_sink(d->engine);
}

int detect_run_reload(struct detect_run *d, struct bw_err *err)
{
    struct rule_set *s = rule_set_load_dir(d->rules_dir, err);
    if (s == NULL) {
        d->reload_failures++;
        bw_error("detect: reload failed, the old rules stay: %s", err->msg);
        return -1;
    }
    detect_reload(d->engine, s);
    rule_set_unref(d->rules);
    d->rules = s;
    d->reloads++;
    bw_info("detect: reloaded %zu rules from %s", s->n, d->rules_dir);
    return 0;
}

void detect_run_tick(struct detect_run *d, int64_t now_us)
{
    if (d->reload_pending) {
        struct bw_err err;
        d->reload_pending = 0;
        bw_err_clear(&err);
        if (detect_run_reload(d, &err) != 0)
            bw_debug("detect: reload failed");
    }
    detect_tick(d->engine, now_us);
    if (d->redis != NULL)
        redis_out_drain(d->redis);
}

/* Top level of the configuration file. */
#include "common/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keep in sync with docs/config.md. */
const char *const config_sections[] = {
    "home_net",     /* common: CIDRs that are internal */
    "sensor_id",    /* common: name of this sensor in every event */
    "state_dir",    /* common: where positions, spools, keys and evidence live */
    "capture",      /* sensor/capture.c */
    "decoder",      /* sensor/decode.c */
    "flow",         /* sensor/flow.c */
    "stream",       /* sensor/stream.c */
    "app_layer",    /* sensor/app.c and parsers */
    "logs",         /* sensor/logtail.c */
    "pii",          /* sensor/pii.c */
    "inventory",    /* sensor/inventory.c: path of inventory.yaml */
    "geoip",        /* sensor/geo.c */
    "detect",       /* sensor/detect.c and rules */
    "outputs",      /* sensor/output-*.c */
    "redis",        /* common/redis.c */
    "responder",    /* responder/: path of responder.yaml */
    "organisation", /* responder/notice.c: controller, DPO, contact */
    NULL,
};

void config_fini(struct bw_config *cfg)
{
    bw_ydoc_fini(&cfg->doc);
    bw_cidr_set_fini(&cfg->home_net);
}

static int config_scalar_copy(const struct bw_config *cfg, const char *key, char *out,
                              size_t outlen, struct bw_err *err)
{
    const struct bw_ynode *n = bw_ymap_get(cfg->doc.root, key);
    return n == NULL ? 0 : bw_yget_strbuf(&cfg->doc, n, out, outlen, err);
}

int config_load(struct bw_config *cfg, const char *path, struct bw_err *err)
{
    memset(cfg, 0, sizeof(*cfg));
    bw_cidr_set_init(&cfg->home_net);
    snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", ".breachwatch");
    if (gethostname(cfg->sensor_id, sizeof(cfg->sensor_id)) != 0)
        snprintf(cfg->sensor_id, sizeof(cfg->sensor_id), "sensor");
    cfg->sensor_id[sizeof(cfg->sensor_id) - 1] = '\0';
    if (path != NULL) {
        snprintf(cfg->path, sizeof(cfg->path), "%s", path);
        snprintf(cfg->dir, sizeof(cfg->dir), "%s", path);
        char *slash = strrchr(cfg->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(cfg->dir, sizeof(cfg->dir), ".");
        if (bw_ydoc_load_file(&cfg->doc, path, err) != 0)
            goto fail;
    }
    if (cfg->doc.root != NULL) {
        if (bw_ymap_check_keys(&cfg->doc, cfg->doc.root, config_sections, err) != 0)
            goto fail;
        const struct bw_ynode *hn = bw_ymap_get(cfg->doc.root, "home_net");
        if (hn != NULL && bw_yget_cidrs(&cfg->doc, hn, &cfg->home_net, err) != 0)
            goto fail;
        if (config_scalar_copy(cfg, "state_dir", cfg->state_dir, sizeof(cfg->state_dir), err) ||
            config_scalar_copy(cfg, "sensor_id", cfg->sensor_id, sizeof(cfg->sensor_id), err))
            goto fail;
    }
    if (cfg->home_net.n == 0 && bw_cidr_set_add_private(&cfg->home_net) != 0) {
        bw_err_set(err, "out of memory");
        goto fail;
    }
    return 0;
fail:
    config_fini(cfg);
    return -1;
}

const struct bw_ynode *config_section(const struct bw_config *cfg, const char *name)
{
    return bw_ymap_get(cfg->doc.root, name);
}

const char *config_path(const struct bw_config *cfg, const char *p, char *out, size_t outlen)
{
    if (p[0] == '/' || cfg->dir[0] == '\0')
        snprintf(out, outlen, "%s", p);
    else
        snprintf(out, outlen, "%s/%s", cfg->dir, p);
    return out;
}

int config_is_home(const struct bw_config *cfg, const struct bw_addr *a)
{
    return bw_cidr_set_contains(&cfg->home_net, a);
}

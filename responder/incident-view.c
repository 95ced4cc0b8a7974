/* Builds a struct incident_view (responder/impact.h) from the alert EVE JSON
 * of an incident: lines of an EVE file, or the alert entries of the
 * incident's Redis timeline plus its hash. */
#include "responder/impact.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"
#include "common/redis.h"
#include "common/timeutil.h"

static void copy(char *out, size_t outlen, const char *s)
{
    snprintf(out, outlen, "%s", s ? s : "");
}

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static uint64_t ju64(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

/* Parses one alert into a; returns 0, 1 when not an alert with a breach. */
static int alert_parse(const json_t *root, struct iv_alert *a)
{
    const json_t *al = json_object_get(root, "alert"), *br = json_object_get(root, "breach");
    const char *et = jstr(root, "event_type");
    if (!json_is_object(al) || !json_is_object(br) || et == NULL || strcmp(et, "alert") != 0)
        return 1;
    memset(a, 0, sizeof(*a));
    copy(a->alert_id, sizeof(a->alert_id), jstr(br, "alert_id"));
    a->update = ju64(br, "update");
    if (jstr(root, "timestamp") == NULL || bw_time_parse(jstr(root, "timestamp"), &a->ts_us) != 0)
        a->ts_us = 0;
    /* The activity the alert covers; without it, the alert's own instant. */
    if (jstr(br, "first_seen") == NULL ||
        bw_time_parse(jstr(br, "first_seen"), &a->first_us) != 0 || a->first_us <= 0)
        a->first_us = a->ts_us;
    if (jstr(br, "last_seen") == NULL || bw_time_parse(jstr(br, "last_seen"), &a->last_us) != 0 ||
        a->last_us <= 0)
        a->last_us = a->ts_us;
    if (a->last_us < a->first_us) {
        int64_t t = a->first_us;
        a->first_us = a->last_us;
        a->last_us = t;
    }
    a->severity = (int)ju64(al, "severity");
    copy(a->rule, sizeof(a->rule), jstr(br, "rule"));
    copy(a->signature, sizeof(a->signature), jstr(al, "signature"));
    copy(a->channel, sizeof(a->channel), jstr(br, "channel"));
    copy(a->app_proto, sizeof(a->app_proto), jstr(root, "app_proto"));
    copy(a->dataset, sizeof(a->dataset), jstr(br, "dataset"));
    copy(a->dest_ip, sizeof(a->dest_ip), jstr(root, "dest_ip"));
    const json_t *g = json_object_get(br, "dest_geo");
    if (json_is_object(g)) {
        a->has_geo = true;
        copy(a->geo_country, sizeof(a->geo_country), jstr(g, "country"));
        a->geo_asn = (uint32_t)ju64(g, "asn");
    }
    a->records = ju64(br, "records");
    a->bytes = ju64(br, "bytes");
    const json_t *pii = json_object_get(br, "pii");
    const char *k;
    const json_t *val;
    json_object_foreach((json_t *)pii, k, val)
    {
        if (a->npii == IV_MAX_PII || !json_is_integer(val))
            continue;
        copy(a->pii[a->npii].type, sizeof(a->pii[0].type), k);
        a->pii[a->npii].count = ju64(pii, k);
        a->npii++;
    }
    if (a->alert_id[0] == '\0')
        snprintf(a->alert_id, sizeof(a->alert_id), "%s@%lld", a->rule, (long long)a->ts_us);
    return 0;
}

static int add_alert(struct incident_view *v, const struct iv_alert *a, const char *actor_ip,
                     const char *actor_user)
{
    for (size_t i = 0; i < v->nalerts; i++) {
        if (strcmp(v->alerts[i].alert_id, a->alert_id) == 0) {
            if (a->update >= v->alerts[i].update)
                v->alerts[i] = *a;
            goto times;
        }
    }
    if (v->nalerts == IV_MAX_ALERTS)
        return -1;
    v->alerts[v->nalerts++] = *a;
times:
    if (v->actor_ip[0] == '\0')
        copy(v->actor_ip, sizeof(v->actor_ip), actor_ip);
    if (v->actor_user[0] == '\0' && actor_user)
        copy(v->actor_user, sizeof(v->actor_user), actor_user);
    if (a->ts_us && (v->opened_us == 0 || a->ts_us < v->opened_us))
        v->opened_us = a->ts_us;
    if (a->ts_us > v->last_us)
        v->last_us = a->ts_us;
    if (a->ts_us && (v->detected_us == 0 || a->ts_us < v->detected_us))
        v->detected_us = a->ts_us;
    if (a->first_us && (v->activity_first_us == 0 || a->first_us < v->activity_first_us))
        v->activity_first_us = a->first_us;
    if (a->last_us > v->activity_last_us)
        v->activity_last_us = a->last_us;
    if (a->severity > 0 && (v->severity == 0 || a->severity < v->severity))
        v->severity = a->severity;
    return 0;
}

static const char *actor_of(const json_t *root, const char **user)
{
    const json_t *act = json_object_get(json_object_get(root, "breach"), "actor");
    *user = jstr(act, "user");
    const char *ip = jstr(act, "ip");
    return ip ? ip : jstr(root, "src_ip");
}

int incident_view_add_eve(struct incident_view *v, const char *json, size_t len)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    struct iv_alert *a = malloc(sizeof(*a));
    int rc = 1;
    if (root != NULL && a != NULL && alert_parse(root, a) == 0) {
        const char *user, *ip = actor_of(root, &user);
        rc = add_alert(v, a, ip, user);
    }
    free(a);
    json_decref(root);
    return rc;
}

int incident_view_from_eve(struct incident_view *v, const char *id, const char *path,
                           const char *actor, uint64_t *bad, struct bw_err *err)
{
    memset(v, 0, sizeof(*v));
    copy(v->id, sizeof(v->id), id);
    copy(v->status, sizeof(v->status), "open");
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL)
        return bw_err_set(err, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = -1;
    char want[64] = "";
    if (actor)
        copy(want, sizeof(want), actor);
    struct iv_alert *a = malloc(sizeof(*a));
    if (a == NULL) {
        bw_err_set(err, "out of memory");
        goto out;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *root = json_loadb(line, (size_t)n, 0, NULL);
        if (root == NULL) {
            if (bad)
                (*bad)++;
            continue;
        }
        const char *user, *ip = NULL;
        if (alert_parse(root, a) == 0 && (ip = actor_of(root, &user)) != NULL) {
            if (want[0] == '\0')
                copy(want, sizeof(want), ip);
            if (strcmp(ip, want) == 0 && add_alert(v, a, ip, user) != 0) {
                json_decref(root);
                bw_err_set(err, "%s: more than %d alerts in one incident", path, IV_MAX_ALERTS);
                goto out;
            }
        }
        json_decref(root);
    }
    if (ferror(f)) {
        bw_err_set(err, "%s: %s", path, strerror(errno));
        goto out;
    }
    rc = v->nalerts ? 0 : 1;
out:
    free(a);
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int64_t incident_view_detected(const struct incident_view *v)
{
    return v->detected_us ? v->detected_us : v->opened_us;
}

static const char *reply_field(const redisReply *arr, const char *name)
{
    for (size_t i = 0; i + 1 < arr->elements; i += 2)
        if (arr->element[i]->type == REDIS_REPLY_STRING &&
            arr->element[i + 1]->type == REDIS_REPLY_STRING &&
            strcmp(arr->element[i]->str, name) == 0)
            return arr->element[i + 1]->str;
    return NULL;
}

int incident_view_from_redis(struct incident_view *v, struct bw_redis *r, const char *prefix,
                             const char *id, struct bw_err *err)
{
    memset(v, 0, sizeof(*v));
    copy(v->id, sizeof(v->id), id);
    char key[256], tl[300];
    snprintf(key, sizeof(key), "%sincident:{%s}", prefix, id);
    snprintf(tl, sizeof(tl), "%s:timeline", key);
    const char *hget[] = {"HGETALL", key};
    redisReply *h = bw_redis_cmdv(r, 2, hget);
    if (h == NULL)
        return bw_err_set(err, "redis: %s", bw_redis_errstr(r));
    int rc = -1;
    redisReply *x = NULL;
    if (h->type != REDIS_REPLY_ARRAY) {
        bw_err_set(err, "redis: HGETALL %s: %s", key, h->type == REDIS_REPLY_ERROR ? h->str : "?");
        goto out;
    }
    if (h->elements == 0) {
        rc = 1;
        goto out;
    }
    copy(v->status, sizeof(v->status), reply_field(h, "status"));
    copy(v->actor_ip, sizeof(v->actor_ip), reply_field(h, "actor"));
    copy(v->actor_user, sizeof(v->actor_user), reply_field(h, "actor_user"));
    const char *s = reply_field(h, "severity"), *why;
    uint64_t hash_sev = 0;
    if (s == NULL || bw_parse_u64(s, 1, 4, &hash_sev, &why) != 0)
        hash_sev = 0;
    s = reply_field(h, "opened_us");
    int64_t opened = 0;
    if (s == NULL || bw_parse_i64(s, 0, INT64_MAX, &opened, &why) != 0)
        opened = 0;
    if (opened == 0 && reply_field(h, "opened") &&
        bw_time_parse(reply_field(h, "opened"), &opened) != 0)
        opened = 0;
    /* The responder's own fold of every alert it took (absent from hashes
     * written before they existed: then the alerts of the timeline say). */
    static const char *const span_keys[3] = {"detected_us", "activity_first_us",
                                             "activity_last_us"};
    int64_t span[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        s = reply_field(h, span_keys[i]);
        if (s == NULL || bw_parse_i64(s, 0, INT64_MAX, &span[i], &why) != 0)
            span[i] = 0;
    }
    /* The timeline, in pages. */
    char start[64] = "-";
    for (;;) {
        const char *xr[] = {"XRANGE", tl, start, "+", "COUNT", "500"};
        x = bw_redis_cmdv(r, 6, xr);
        if (x == NULL || x->type != REDIS_REPLY_ARRAY) {
            bw_err_set(err, "redis: XRANGE %s: %s", tl,
                       x && x->type == REDIS_REPLY_ERROR ? x->str : bw_redis_errstr(r));
            goto out;
        }
        for (size_t i = 0; i < x->elements; i++) {
            redisReply *e = x->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
                e->element[1]->type != REDIS_REPLY_ARRAY)
                continue;
            const char *type = reply_field(e->element[1], "type");
            const char *data = reply_field(e->element[1], "data");
            if (type && data && strcmp(type, "alert") == 0 &&
                incident_view_add_eve(v, data, strlen(data)) < 0) {
                bw_err_set(err, "incident %s: more than %d alerts", id, IV_MAX_ALERTS);
                goto out;
            }
        }
        size_t got = x->elements;
        if (got < 500) {
            break;
        }
        /* Exclusive start after the last id. */
        snprintf(start, sizeof(start), "(%s", x->element[got - 1]->element[0]->str);
        bw_redis_reply_free(x);
        x = NULL;
    }
    if (opened)
        v->opened_us = opened;
    if (span[0])
        v->detected_us = span[0];
    if (span[1])
        v->activity_first_us = span[1];
    if (span[2])
        v->activity_last_us = span[2];
    if (hash_sev)
        v->severity = (int)hash_sev; /* escalated by the responder */
    rc = 0;
out:
    bw_redis_reply_free(x);
    bw_redis_reply_free(h);
    return rc;
}

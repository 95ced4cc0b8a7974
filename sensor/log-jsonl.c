/* Generic JSON lines: one object per line; the config's `mapping` names which
 * key (dotted for nested objects, "a.b") holds the client address, user,
 * dataset (or a URI, folded into an endpoint), records, bytes, time and status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/logparse.h"
#include "sensor/logsrc.h"

enum jl_field {
    JL_IP,
    JL_USER,
    JL_DATASET,
    JL_URI,
    JL_RECORDS,
    JL_BYTES,
    JL_TIME,
    JL_STATUS,
    JL_N
};

static const char *const jl_names[JL_N + 1] = {"ip",    "user", "dataset", "uri", "records",
                                               "bytes", "time", "status",  NULL};
static const char *const jl_default[JL_N] = {"client_ip", "user",  "dataset", "uri",
                                             "records",   "bytes", "time",    "status"};

struct jl_state {
    char key[JL_N][128];
};

static void *jl_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    struct jl_state *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    for (int i = 0; i < JL_N; i++)
        snprintf(st->key[i], sizeof(st->key[i]), "%s", jl_default[i]);
    const struct bw_ynode *m = cfg != NULL ? log_cfg_get(cfg, "mapping") : NULL;
    if (m == NULL)
        return st;
    if (bw_yexpect(cfg->doc, m, BW_Y_MAP, err) != 0 ||
        bw_ymap_check_keys(cfg->doc, m, jl_names, err) != 0)
        goto fail;
    for (int i = 0; i < JL_N; i++) {
        const struct bw_ynode *v = bw_ymap_get(m, jl_names[i]);
        const char *s;
        if (v == NULL)
            continue;
        if (bw_yget_str(cfg->doc, v, &s, err) != 0)
            goto fail;
        if (strlen(s) >= sizeof(st->key[i])) {
            bw_ynode_err(cfg->doc, v, err, "mapping.%s: too long", jl_names[i]);
            goto fail;
        }
        snprintf(st->key[i], sizeof(st->key[i]), "%s", s);
    }
    return st;
fail:
    free(st);
    return NULL;
}

static void jl_destroy(void *state)
{
    free(state);
}

/* Looks up a dotted path. */
static json_t *jl_get(json_t *o, const char *path)
{
    char part[128];
    while (o != NULL && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(part) || !json_is_object(o))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        o = json_object_get(o, part);
        path += n + (dot ? 1 : 0);
    }
    return o;
}

/* A non-negative integer from a number or a numeric string. 0 or -1. */
static int jl_u64(json_t *v, uint64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1.8e19) {
        *out = (uint64_t)json_real_value(v);
        return 0;
    }
    if (json_is_string(v))
        return logp_u64(json_string_value(v), json_string_length(v), out);
    return -1;
}

static enum log_verdict jl_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    struct jl_state *st = state;
    json_error_t jerr;
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return LOG_SKIP;
    json_t *o = json_loadb(line, len, 0, &jerr);
    enum log_verdict verdict = LOG_BAD;
    struct bw_access ev;
    json_t *v;
    uint64_t u;
    if (!json_is_object(o))
        goto out;
    access_init(&ev);
    ev.channel = ACCESS_CH_LOG;
    ev.format = "jsonl";
    ev.direction = ACCESS_READ;
    if ((v = jl_get(o, st->key[JL_TIME])) != NULL) {
        if (json_is_string(v)) {
            if (logp_time_iso(json_string_value(v), json_string_length(v), &ev.ts_us) < 0)
                goto out;
        } else if (json_is_number(v)) {
            double d = json_number_value(v);
            if (d < 0 || d > 1e17)
                goto out;
            /* Seconds, or milliseconds when it can only be those. */
            ev.ts_us = d > 1e11 ? (int64_t)(d * 1000.0) : (int64_t)(d * 1e6);
        } else {
            goto out;
        }
    }
    if ((v = jl_get(o, st->key[JL_IP])) != NULL && json_is_string(v) &&
        logp_addr(json_string_value(v), json_string_length(v), &ev.actor_ip) != 0)
        goto out;
    if ((v = jl_get(o, st->key[JL_USER])) != NULL && json_is_string(v))
        logp_copy(ev.actor_user, sizeof(ev.actor_user), json_string_value(v),
                  json_string_length(v));
    if ((v = jl_get(o, st->key[JL_URI])) != NULL && json_is_string(v))
        logp_http(&ev, json_string_value(v), json_string_length(v));
    if ((v = jl_get(o, st->key[JL_DATASET])) != NULL && json_is_string(v))
        logp_copy(ev.dataset, sizeof(ev.dataset), json_string_value(v), json_string_length(v));
    if ((v = jl_get(o, st->key[JL_RECORDS])) != NULL) {
        if (jl_u64(v, &u) != 0)
            goto out;
        ev.records = u;
        ev.records_src = ACCESS_REC_LOG;
    }
    if ((v = jl_get(o, st->key[JL_BYTES])) != NULL) {
        if (jl_u64(v, &u) != 0)
            goto out;
        ev.bytes = u;
    }
    if ((v = jl_get(o, st->key[JL_STATUS])) != NULL) {
        if (jl_u64(v, &u) != 0 || u > 99999)
            goto out;
        ev.status = (int)u;
    }
    log_emit(em, &ev);
    verdict = LOG_ENTRY;
out:
    json_decref(o);
    return verdict;
}

static const char *const jl_keys[] = {"mapping", NULL};

const struct log_format log_format_jsonl = {
    .name = "jsonl",
    .keys = jl_keys,
    .create = jl_create,
    .destroy = jl_destroy,
    .parse_line = jl_parse,
};

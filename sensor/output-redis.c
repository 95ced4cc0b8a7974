/* Redis alert output with spool and idempotent delivery (see output-redis.h). */
#include "sensor/output-redis.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/redis.h"
#include "sensor/spool.h"

/* KEYS[1] stream, KEYS[2] dedup key; ARGV[1] eve, ARGV[2] maxlen, ARGV[3] ttl.
 * Returns the entry id, or nil when this entry was delivered before. */
static const char add_script[] =
    "if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then "
    "return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'eve', ARGV[1]) "
    "end return false";

struct redis_out {
    struct redis_out_config cfg;
    struct bw_redis *conn;
    struct spool *spool;
    pthread_mutex_t lock;
    struct redis_out_stats st;
    int was_down;
};

int redis_out_config_load(struct redis_out_config *cfg, const struct bw_config *conf,
                          struct bw_err *err)
{
    static const char *const keys[] = {
        "url", "prefix", "alerts_maxlen", "dedup_ttl", "spool_fsync", "timeout", NULL};
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->prefix, sizeof(cfg->prefix), "bw:");
    cfg->maxlen = 100000;
    cfg->dedup_ttl_s = 7 * 86400;
    cfg->fsync = 1;
    cfg->timeout_ms = 500;
    snprintf(cfg->spool_dir, sizeof(cfg->spool_dir), "%s/spool",
             conf ? conf->state_dir : ".breachwatch");
    if (conf == NULL)
        return 0;
    const struct bw_ynode *sec = config_section(conf, "redis"), *n;
    const char *s;
    uint64_t v;
    bool b;
    if (sec == NULL)
        return 0;
    if (bw_ymap_check_keys(&conf->doc, sec, keys, err))
        return -1;
    if ((n = bw_ymap_get(sec, "url"))) {
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        if (n->len >= sizeof(cfg->url))
            return bw_ynode_err(&conf->doc, n, err, "url: too long");
        snprintf(cfg->url, sizeof(cfg->url), "%s", s);
    }
    if ((n = bw_ymap_get(sec, "prefix"))) {
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        if (n->len >= sizeof(cfg->prefix) || strpbrk(s, "{}") != NULL)
            return bw_ynode_err(&conf->doc, n, err, "prefix: at most %zu characters, no braces",
                                sizeof(cfg->prefix) - 1);
        snprintf(cfg->prefix, sizeof(cfg->prefix), "%s", s);
    }
    if ((n = bw_ymap_get(sec, "alerts_maxlen")) &&
        bw_yget_u64(&conf->doc, n, 100, UINT32_MAX, &cfg->maxlen, err))
        return -1;
    if ((n = bw_ymap_get(sec, "dedup_ttl"))) {
        if (bw_yget_duration_us(&conf->doc, n, &v, err))
            return -1;
        if (v < 60ull * 1000000)
            return bw_ynode_err(&conf->doc, n, err, "dedup_ttl: at least 1m");
        cfg->dedup_ttl_s = v / 1000000;
    }
    if ((n = bw_ymap_get(sec, "spool_fsync"))) {
        if (bw_yget_bool(&conf->doc, n, &b, err))
            return -1;
        cfg->fsync = b;
    }
    if ((n = bw_ymap_get(sec, "timeout"))) {
        if (bw_yget_duration_us(&conf->doc, n, &v, err))
            return -1;
        if (v < 1000 || v > 60ull * 1000000)
            return bw_ynode_err(&conf->doc, n, err, "timeout: between 1ms and 60s");
        cfg->timeout_ms = (int)(v / 1000);
    }
    return 0;
}

struct redis_out *redis_out_new(const struct redis_out_config *cfg, struct bw_err *err)
{
    struct bw_redis_url url;
    if (bw_redis_url_parse(cfg->url, &url, err))
        return NULL;
    struct redis_out *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    pthread_mutex_init(&r->lock, NULL);
    r->spool = spool_open(cfg->spool_dir, cfg->fsync, err);
    r->conn = r->spool ? bw_redis_new(&url, cfg->timeout_ms) : NULL;
    if (r->conn == NULL) {
        if (r->spool != NULL)
            bw_err_set(err, "out of memory");
        redis_out_free(r);
        return NULL;
    }
    return r;
}

void redis_out_free(struct redis_out *r)
{
    if (r == NULL)
        return;
    if (r->conn != NULL && r->spool != NULL) {
        uint64_t left = redis_out_drain(r);
        if (left > 0)
            bw_warn("redis: %" PRIu64 " alerts stay spooled in %s for the next start", left,
                    r->cfg.spool_dir);
    }
    bw_redis_free(r->conn);
    spool_close(r->spool);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static uint64_t line_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

/* One spooled entry to Redis. Returns 1 delivered (or already there), 0 when
 * Redis is unreachable or refused (retry later). */
static int deliver(struct redis_out *r, const char *line, size_t len)
{
    char stream[64], dedup[128], maxlen[24], ttl[24];
    snprintf(stream, sizeof(stream), "%salerts", r->cfg.prefix);
    /* "{bw:alerts}" is a hash tag: the key hashes like "bw:alerts" itself */
    snprintf(dedup, sizeof(dedup), "{%salerts}:dedup:%016" PRIx64 "%08zx", r->cfg.prefix,
             line_hash(line, len), len);
    snprintf(maxlen, sizeof(maxlen), "%" PRIu64, r->cfg.maxlen);
    snprintf(ttl, sizeof(ttl), "%" PRIu64, r->cfg.dedup_ttl_s);
    const char *argv[] = {"EVAL", add_script, "2", stream, dedup, line, maxlen, ttl};
    size_t lens[] = {4,   sizeof(add_script) - 1, 1,          strlen(stream), strlen(dedup),
                     len, strlen(maxlen),         strlen(ttl)};
    redisReply *rep = bw_redis_cmd(r->conn, 8, argv, lens);
    if (rep == NULL) {
        if (!r->was_down)
            bw_warn("redis: unreachable (%s): alerts are spooled", bw_redis_errstr(r->conn));
        r->was_down = 1;
        return 0;
    }
    int ok = 1;
    if (rep->type == REDIS_REPLY_ERROR) {
        if (r->st.errors++ == 0 || !r->was_down)
            bw_warn("redis: %s: alerts are spooled", rep->str);
        r->was_down = 1;
        ok = 0;
    } else if (rep->type == REDIS_REPLY_NIL) {
        r->st.duplicates++;
    }
    bw_redis_reply_free(rep);
    if (ok && r->was_down) {
        bw_info("redis: reachable again, delivering the spool");
        r->was_down = 0;
    }
    return ok;
}

static uint64_t drain_locked(struct redis_out *r)
{
    const char *line;
    size_t len;
    int rc;
    while ((rc = spool_peek(r->spool, &line, &len)) == 1) {
        if (!deliver(r, line, len))
            break;
        if (spool_commit(r->spool) != 0) {
            r->st.errors++;
            break;
        }
        r->st.delivered++;
    }
    if (rc < 0)
        r->st.errors++;
    return spool_pending(r->spool);
}

uint64_t redis_out_drain(struct redis_out *r)
{
    pthread_mutex_lock(&r->lock);
    uint64_t left = drain_locked(r);
    pthread_mutex_unlock(&r->lock);
    return left;
}

void redis_out_alert(struct redis_out *r, const char *line, size_t len)
{
    pthread_mutex_lock(&r->lock);
    if (spool_append(r->spool, line, len) == 0)
        r->st.spooled++;
    else
        r->st.errors++;
    drain_locked(r);
    pthread_mutex_unlock(&r->lock);
}

void redis_out_eve_listener(void *ctx, const char *event_type, const char *line, size_t len)
{
    if (strcmp(event_type, "alert") == 0)
        redis_out_alert(ctx, line, len);
}

void redis_out_get_stats(struct redis_out *r, struct redis_out_stats *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->st;
    out->pending = spool_pending(r->spool);
    pthread_mutex_unlock(&r->lock);
}

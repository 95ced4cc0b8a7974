/* Alerts to the Redis stream <prefix>alerts (XADD ... MAXLEN ~ N * eve <json>),
 * through an on-disk spool so that an outage loses nothing, delivered in
 * order when Redis returns, and idempotent: each entry is added by a Lua
 * script that first sets a dedup key (SET NX EX) named with the stream's own
 * hash tag, so it lives on the stream's Redis Cluster slot. See docs/detection.md. */
#ifndef BW_OUTPUT_REDIS_H
#define BW_OUTPUT_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"

struct redis_out_config {
    char url[512];        /* redis://... or unix://...; "" or "none" = disabled */
    char prefix[32];      /* default "bw:" */
    uint64_t maxlen;      /* approximate stream cap, default 100000 */
    uint64_t dedup_ttl_s; /* default 7 days */
    char spool_dir[512];  /* default <state_dir>/spool */
    int fsync;            /* fsync every spool write, default 1 */
    int timeout_ms;       /* connect/command timeout, default 500 */
};

struct redis_out_stats {
    uint64_t spooled, delivered, duplicates, errors, pending;
};

struct redis_out;

/* Defaults, then the `redis:` section (url, prefix, alerts_maxlen, dedup_ttl,
 * spool_fsync, timeout) of conf (may be NULL). */
int redis_out_config_load(struct redis_out_config *cfg, const struct bw_config *conf,
                          struct bw_err *err) BW_WUR;
/* Opens the spool and a connection handle (connects lazily). NULL with err. */
struct redis_out *redis_out_new(const struct redis_out_config *cfg, struct bw_err *err);
/* Tries one last delivery, then closes; what is left stays spooled. Accepts NULL. */
void redis_out_free(struct redis_out *r);
/* Spools one EVE alert line (borrowed) and delivers what is pending. */
void redis_out_alert(struct redis_out *r, const char *line, size_t len);
/* Delivers pending entries while Redis answers. Returns entries still pending. */
uint64_t redis_out_drain(struct redis_out *r);
/* An eve_listener_fn: forwards `alert` lines to redis_out_alert. ctx = redis_out. */
void redis_out_eve_listener(void *ctx, const char *event_type, const char *line, size_t len);
void redis_out_get_stats(struct redis_out *r, struct redis_out_stats *out);

#endif

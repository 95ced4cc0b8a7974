/* The detection engine: an access_sink that runs every access event through
 * the loaded rules. Per rule: match -> group key -> window state in a bounded
 * hash table (memcap, LRU eviction counted) -> measures -> threshold or
 * learned baseline -> alert state machine (one alert per group per period,
 * updated with a running count). See docs/detection.md. Not thread-safe: one
 * engine per worker thread, or calls serialised by the caller. */
#ifndef BW_DETECT_H
#define BW_DETECT_H

#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "rules/rule.h"
#include "sensor/access.h"
#include "sensor/alert.h"

struct geo;

struct detect_config {
    const struct bw_config *conf; /* home_net, sensor_id, state_dir; borrowed, may be NULL */
    struct geo *geo;              /* borrowed, may be NULL (no geography) */
    uint64_t memcap;              /* bytes of group state; default 64 MiB */
    int utc_offset_min;           /* time of day for rules without utc_offset */
    char state_dir[256];          /* "" = no persistence of baselines */
    char sensor_id[64];           /* alert ids are "<sensor_id>-<start>-<seq>" */
};

struct detect_stats {
    uint64_t events, matched, allowlisted, late;
    uint64_t alerts, updates;
    uint64_t groups, evictions, alloc_fail;
    uint64_t baseline_bad_lines;
};

/* Called with every alert emission (first and updates). The alert is borrowed
 * for the call: copy what you keep. */
typedef void (*detect_alert_fn)(void *ctx, const struct bw_alert *a);
/* May fill a->evidence* from a ring of recent packets (responder engineer);
 * called once before the first emission of an alert, with the event that
 * crossed the limit. */
typedef void (*alert_evidence_fn)(void *ctx, struct bw_alert *a, const struct bw_access *ev);
/* Estimates records for an event whose records_src is NONE (the data
 * inventory: records per response, bytes per record). Returns 0 when unknown. */
typedef uint64_t (*detect_records_fn)(void *ctx, const struct bw_access *ev);

struct detect_engine;

/* Reads the `detect:` section (memcap, utc_offset) into cfg on top of defaults
 * taken from conf (state_dir, sensor_id). conf may be NULL (defaults only). */
int detect_config_load(struct detect_config *cfg, const struct bw_config *conf,
                       struct bw_err *err) BW_WUR;

/* Creates an engine over a rule set (a reference is taken) and loads the
 * baselines file of cfg->state_dir when set. Returns NULL with err. */
struct detect_engine *detect_new(const struct detect_config *cfg, struct rule_set *rules,
                                 struct bw_err *err);
/* Emits pending updates (detect_flush), saves baselines, frees. Accepts NULL. */
void detect_free(struct detect_engine *e);

void detect_set_alert_fn(struct detect_engine *e, detect_alert_fn fn, void *ctx);
void detect_set_evidence_fn(struct detect_engine *e, alert_evidence_fn fn, void *ctx);
void detect_set_records_fn(struct detect_engine *e, detect_records_fn fn, void *ctx);
struct inventory;
/* The data inventory for rules' `estimate` (records of opaque flows from their
 * payload bytes and a dataset's export_record_bytes); borrowed, may be NULL.
 * Warns about estimate datasets it does not hold. */
void detect_set_inventory(struct detect_engine *e, const struct inventory *inv);

/* Swaps in a new rule set (a reference is taken, the old one dropped). Window
 * state and baselines of rule ids that still exist are kept (the window is
 * reset when its length or bucket count changed); others are dropped. */
void detect_reload(struct detect_engine *e, struct rule_set *rules);
const struct rule_set *detect_rules(const struct detect_engine *e);

/* One access event (borrowed). */
void detect_access(struct detect_engine *e, const struct bw_access *ev);
/* An access_sink that feeds the engine. */
struct access_sink detect_sink(struct detect_engine *e);

/* Time passes (packet time offline, wall clock live): emits updates whose
 * interval elapsed and closes alert periods that ended. */
void detect_tick(struct detect_engine *e, int64_t now_us);
/* Emits every pending update now (shutdown, end of a capture file). */
void detect_flush(struct detect_engine *e);
/* Writes <state_dir>/baselines.tsv atomically. Returns 0 or -1 with err. */
int detect_save(struct detect_engine *e, struct bw_err *err) BW_WUR;

void detect_get_stats(const struct detect_engine *e, struct detect_stats *out);

#endif

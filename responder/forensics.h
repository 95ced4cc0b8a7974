/* Forensics store: the one module that writes incidents to Redis (keys of
 * DESIGN.md: bw:incidents, bw:incident:{ID} and its :timeline, :evidence,
 * plus :eids and :actions for idempotency, bw:containment:{IP},
 * bw:pending:{IP}, bw:actor:{IP}). Every write is first an operation in the
 * local journal (fsynced), then written through to Redis in journal order;
 * each operation is idempotent, so a replay after a crash or a Redis outage
 * adds nothing twice. Timeline entries are hash-chained (docs/responder.md
 * gives the exact bytes). */
#ifndef BW_FORENSICS_H
#define BW_FORENSICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "responder/responder.h"

struct bw_redis;
struct forensics;

#define FORENSICS_HASH_HEX 65 /* 64 hex digits + NUL */

/* Opens the store. r is borrowed (NULL = journal only). journal_path NULL =
 * <state_dir>/journal/<consumer>.jnl; "-" = no journal (read-only: reads and
 * verification only, every operation fails). Returns NULL with err (for instance when
 * another live responder holds that journal). */
struct forensics *forensics_new(const struct responder_config *cfg, struct bw_redis *r,
                                const char *journal_path, struct bw_err *err);
/* Flushes what it can, then frees. Accepts NULL. */
void forensics_free(struct forensics *f);

/* Key of an incident's object: "<prefix>incident:{ID}<suffix>" into out. */
const char *forensics_key(const struct forensics *f, const char *id, const char *suffix, char *out,
                          size_t outlen);

/* ---- Operations (queued in the journal; durable after forensics_commit) ---- */

/* A timeline entry. eid is its idempotency id (an entry whose eid is already
 * in the timeline is not added again); data_json is stored byte for byte. */
int forensics_entry(struct forensics *f, const char *inc, const char *eid, const char *type,
                    int64_t time_us, const char *actor, const char *data_json) BW_WUR;
/* Incident hash fields (pairs field,value; n pairs), plus ZADD bw:incidents
 * opened_us ID (NX) when opened_us > 0, plus bw:actor:{IP} -> ID when
 * actor_ip is not NULL. */
int forensics_state(struct forensics *f, const char *inc, int64_t opened_us, const char *actor_ip,
                    int n, const char *const *kv) BW_WUR;
/* bw:alert:{ALERT_ID} -> incident id (kept 30 days), so every update and
 * re-delivery of an alert lands in the incident its first emission joined. */
int forensics_alert_map(struct forensics *f, const char *alert_id, const char *inc) BW_WUR;
/* Evidence item -> {"sha256","size","path"} JSON. */
int forensics_evidence(struct forensics *f, const char *inc, const char *item,
                       const char *value_json) BW_WUR;
/* Action record (state JSON) under its idempotency key. */
int forensics_action(struct forensics *f, const char *inc, const char *action_id,
                     const char *value_json) BW_WUR;
/* bw:containment:{IP} hash (n pairs) expiring at expire_at_s (epoch seconds);
 * expire_at_s 0 deletes the key (release). */
int forensics_containment(struct forensics *f, const char *ip, int64_t expire_at_s, int n,
                          const char *const *kv) BW_WUR;
/* bw:pending:{IP}: an approve-mode action waiting for `breachwatch contain IP`
 * (n pairs); n = 0 deletes it. */
int forensics_pending(struct forensics *f, const char *ip, int n, const char *const *kv) BW_WUR;
/* XACK of an alert stream entry, after everything queued before it. */
int forensics_ack(struct forensics *f, const char *stream_id) BW_WUR;

/* Makes queued operations durable (fsync) and writes them through to Redis.
 * Returns 0 when durable (even if Redis is down: *written = 0 then), -1 when
 * the journal could not be written (nothing may depend on it). */
int forensics_commit(struct forensics *f, int *written) BW_WUR;
/* Writes the journal through to Redis. Returns 0 when the journal is empty
 * afterwards, -1 when Redis is unreachable (the journal is kept). */
int forensics_flush(struct forensics *f);
/* Replays journals of responders that are gone (unlocked files in the journal
 * directory). Returns how many were written through and removed. */
int forensics_flush_orphans(struct forensics *f);
/* 1 when nothing is waiting in the journal. */
int forensics_synced(const struct forensics *f);

/* ---- Reads (Redis) ----
 * Every read tells "absent" (1: nil, empty, no such key or field) apart from
 * "unknown" (-1: no connection, or an error reply such as -LOADING, -BUSY,
 * -MISCONF, -NOPERM). Callers must never take -1 for absent: nothing may be
 * decided on it (the responder leaves the alert pending and retries). */

/* Incident hash as a JSON object text appended to out. Returns 0, 1 when the
 * incident does not exist, -1 when Redis is unreachable. */
int forensics_get_incident(struct forensics *f, const char *id, struct bw_buf *out);
/* Open incident id of an actor (bw:actor:{IP}) into id (size idlen). Returns
 * 0 found, 1 none, -1 Redis unreachable. */
int forensics_actor_incident(struct forensics *f, const char *ip, char *id, size_t idlen);
/* Incident of an alert id (bw:alert:{ID}). 0 found, 1 none, -1 unreachable. */
int forensics_alert_incident(struct forensics *f, const char *alert_id, char *id, size_t idlen);
/* 1 when the timeline holds an entry with this eid, 0 not, -1 unreachable. */
int forensics_has_entry(struct forensics *f, const char *inc, const char *eid);
/* Action record JSON of action_id appended to out. 0 found, 1 none, -1 unreachable. */
int forensics_get_action(struct forensics *f, const char *inc, const char *action_id,
                         struct bw_buf *out);

/* Calls fn with each incident id in opening order (bw:incidents). Returns
 * the count, -1 when Redis is unreachable. */
int forensics_list(struct forensics *f, int (*fn)(void *ctx, const char *id), void *ctx);
/* Calls fn with each timeline entry (fields as name,value pairs). Returns the
 * count, -1 when Redis is unreachable. */
int forensics_timeline(struct forensics *f, const char *id,
                       int (*fn)(void *ctx, const char *stream_id, int nfields,
                                 const char *const *kv),
                       void *ctx);
/* Any hash (full key) as a JSON object of strings appended to out. Returns 0,
 * 1 when empty or absent, -1 unreachable. */
int forensics_get_hash(struct forensics *f, const char *key, struct bw_buf *out);

/* Per-actor lock shared by all responders (SET NX PX), so one actor's
 * incident is updated by one responder at a time. Returns 0 when held (or
 * Redis is down: nothing to coordinate with), -1 after timeout_ms. */
int forensics_lock(struct forensics *f, const char *ip, int timeout_ms);
void forensics_unlock(struct forensics *f, const char *ip);

/* ---- Verification ---- */

#define VERIFY_MAX_PROBLEMS 64

struct verify_report {
    int entries;        /* timeline entries read */
    int evidence_items; /* evidence hash items checked */
    int nproblems;
    char problems[VERIFY_MAX_PROBLEMS][384]; /* "entry 3 (1718...-0): ..." / "evidence X: ..." */
    char last_hash[FORENSICS_HASH_HEX];
};

/* Recomputes the chain of an incident's timeline and the hashes of its
 * evidence files. Returns 0 when it could check (then rep->nproblems says
 * whether anything is broken), 1 no such incident, -1 Redis unreachable. */
int forensics_verify(struct forensics *f, const char *id, struct verify_report *rep);

/* The canonical bytes of a timeline entry (docs/responder.md), appended to
 * out; and their SHA-256 in hex. Exposed for tests and third-party checks. */
void timeline_canonical(struct bw_buf *out, const char *eid, const char *type, const char *version,
                        const char *host, const char *time, const char *actor, const char *data,
                        const char *prev);
void timeline_hash(const char *eid, const char *type, const char *version, const char *host,
                   const char *time, const char *actor, const char *data, const char *prev,
                   char out[FORENSICS_HASH_HEX]);
/* SHA-256 of a file in hex, and its size. Returns 0 or -1 (errno set). */
int forensics_file_sha256(const char *path, char out[FORENSICS_HASH_HEX], uint64_t *size);

#endif

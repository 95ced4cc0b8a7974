/* What the responder's pipeline stages share (internal to responder/): the
 * running responder (struct responder), the "Redis could not say" result and
 * small JSON helpers. The stages, in the order an alert takes them:
 * alert-stream.c (read, reclaim), alert.c (one alert), incident.c and
 * incident-cache.c (incidents), evidence.c, playbook.c, auto-notice.c;
 * loop.c runs them (docs/responder.md). */
#ifndef BW_PIPELINE_H
#define BW_PIPELINE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "responder/incident-cache.h"
#include "responder/loop.h"

struct bw_redis;
struct forensics;
struct containment;
struct impact_inputs;

/* A lookup's result when Redis could not say (error reply such as -LOADING,
 * or no connection): nothing is decided; the alert stays pending and is
 * handled again once Redis serves. */
#define UNKNOWN (-2)

#define CACHE_MAX   128
#define BATCH_COUNT "16"

/* One running responder (responder_run owns it). */
struct responder {
    struct responder_config *cfg;
    struct bw_redis *r;
    struct forensics *fx;
    struct containment *ct;
    struct impact_inputs *notice_in; /* organisation, data classes, inventory; owned */
    struct responder_stats *st;
    char stream[160];
    char actor_name[192]; /* "responder:<consumer>" */
    uint64_t tick;
    struct cache_entry cache[CACHE_MAX];
};

/* Makes what was queued durable (fsync, then write-through when Redis is
 * there; a commit that reached only the journal is counted a journal wait).
 * Returns 0, or -1 when the journal could not be written (stop). loop.c. */
int responder_commit(struct responder *R) BW_WUR;
/* 1 once SIGINT/SIGTERM or responder_stop() asked the loop to return. */
int responder_stopping(void);

static inline const char *jget_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static inline uint64_t jget_u64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (uint64_t)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) > 0)
        return (uint64_t)json_real_value(v);
    return 0;
}

/* Canonical compact JSON text of v (caller frees), NULL when out of memory. */
static inline char *dump(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

static inline void copy_str(char *out, size_t outlen, const char *s)
{
    snprintf(out, outlen, "%s", s ? s : "");
}

#endif

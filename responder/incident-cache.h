/* The incidents the responder handles, one per actor, kept in memory
 * (struct cache_entry: the incident plus the entry ids and action states this
 * process queued, which Redis may not have yet) and refreshed from Redis; the
 * lookups "already in the timeline / already done" and the queueing of
 * entries and action records go through here. */
#ifndef BW_INCIDENT_CACHE_H
#define BW_INCIDENT_CACHE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "responder/incident.h"

struct responder;

struct cache_entry {
    char ip[BW_ADDR_STRLEN];
    int used;
    uint64_t tick;
    struct incident inc;
    json_t *eids;      /* entry ids written by this process (Redis may be behind) */
    json_t *actions;   /* action id -> state, likewise */
    int actions_known; /* actions holds every recorded action of inc.id */
    int stale;         /* holds an older incident of the actor (re-delivery) */
};

/* The entry of actor ip (least recently used one recycled when create is
 * set and the cache is full), NULL when absent and !create. Owned by R. */
struct cache_entry *incident_cache_get(struct responder *R, const char *ip, int create);
/* Releases every entry (at exit). */
void incident_cache_fini(struct responder *R);

/* Loads incident id (hash and actions) into c. Returns 0, 1 when Redis has
 * no such incident (c untouched), UNKNOWN when Redis did not answer. */
int incident_cache_load(struct responder *R, struct cache_entry *c, const char *id);
/* Refreshes c from Redis: the actor's current incident and its recorded
 * actions, after writing the journal through. Returns 0, or UNKNOWN (an
 * error reply is never taken for "no incident"). */
int incident_cache_refresh(struct responder *R, struct cache_entry *c);

/* Whether the current incident's timeline holds eid: 1 yes, 0 no, UNKNOWN
 * when Redis did not answer. */
int incident_entry_seen(struct responder *R, struct cache_entry *c, const char *eid);
/* Recorded state of action aid ("started", "done", "pending", "refused") or
 * "" into out. Returns 0, or UNKNOWN when it is neither in memory nor known
 * from Redis (the caller must not act on it). */
int incident_action_state(struct responder *R, struct cache_entry *c, const char *aid, char *out,
                          size_t outlen);
/* Queues a timeline entry of the current incident (skipped when known to
 * be there) and remembers its id. Returns 0 or -1 (journal). */
int incident_add_entry(struct responder *R, struct cache_entry *c, const char *eid,
                       const char *type, int64_t time_us, const char *data) BW_WUR;
/* Queues an action record and remembers its state. Returns 0 or -1. */
int incident_record_action(struct responder *R, struct cache_entry *c, const char *aid,
                           const char *state, const char *json) BW_WUR;

#endif

/* The per-actor incident cache and the lookups and queueing that go through
 * it (see incident-cache.h). */
#include "responder/incident-cache.h"

#include <string.h>

#include "responder/forensics.h"
#include "responder/pipeline.h"

struct cache_entry *incident_cache_get(struct responder *R, const char *ip, int create)
{
    struct cache_entry *victim = &R->cache[0];
    for (int i = 0; i < CACHE_MAX; i++) {
        struct cache_entry *c = &R->cache[i];
        if (c->used && strcmp(c->ip, ip) == 0) {
            c->tick = ++R->tick;
            return c;
        }
        if (!c->used || c->tick < victim->tick)
            victim = c;
    }
    if (!create)
        return NULL;
    /* An evicted entry's operations are durable in the journal already. */
    if (victim->used) {
        incident_clear(&victim->inc);
        json_decref(victim->eids);
        json_decref(victim->actions);
    }
    memset(victim, 0, sizeof(*victim));
    victim->used = 1;
    victim->tick = ++R->tick;
    copy_str(victim->ip, sizeof(victim->ip), ip);
    victim->eids = json_object();
    victim->actions = json_object();
    return victim;
}

/* Loads every recorded action state of c->inc.id into c->actions (so
 * decisions taken while Redis is away later in the same alert still know
 * what was done). Returns 0, or UNKNOWN when Redis did not answer. */
static int load_actions(struct responder *R, struct cache_entry *c)
{
    char key[256];
    struct bw_buf b;
    json_object_clear(c->actions);
    c->actions_known = 0;
    bw_buf_init(&b);
    int rc = forensics_get_hash(R->fx,
                                forensics_key(R->fx, c->inc.id, ":actions", key, sizeof(key)), &b);
    if (rc == 0) {
        json_t *h = json_loads(b.data, 0, NULL);
        const char *aid;
        json_t *v;
        json_object_foreach(h, aid, v)
        {
            json_t *rec = json_loads(json_string_value(v), 0, NULL);
            const char *st = jget_str(rec, "state");
            json_object_set_new(c->actions, aid, json_string(st ? st : "done"));
            json_decref(rec);
        }
        json_decref(h);
    }
    bw_buf_fini(&b);
    if (rc < 0)
        return UNKNOWN;
    c->actions_known = 1;
    return 0;
}

/* Loads incident id (hash and actions) into c. Returns 0, 1 when Redis has
 * no such incident (c untouched), UNKNOWN when Redis did not answer. */
int incident_cache_load(struct responder *R, struct cache_entry *c, const char *id)
{
    struct bw_buf b;
    bw_buf_init(&b);
    int rc = forensics_get_incident(R->fx, id, &b);
    json_t *h = rc == 0 ? json_loads(b.data, 0, NULL) : NULL;
    bw_buf_fini(&b);
    if (rc < 0)
        return UNKNOWN;
    if (rc == 1 || h == NULL)
        return 1;
    incident_from_hash(&c->inc, h);
    json_decref(h);
    json_object_clear(c->eids);
    return load_actions(R, c);
}

/* Refreshes a cache entry from Redis: the actor's current incident and its
 * recorded actions. Redis must be at least as new as this process, so the
 * journal is written through first. Returns 0, or UNKNOWN when the journal
 * could not be written through or Redis did not answer (an error reply is
 * never taken for "no incident"). */
int incident_cache_refresh(struct responder *R, struct cache_entry *c)
{
    if (!forensics_synced(R->fx) && forensics_flush(R->fx) != 0)
        return UNKNOWN;
    char id[64];
    int rc = forensics_actor_incident(R->fx, c->ip, id, sizeof(id));
    if (rc < 0)
        return UNKNOWN;
    if (rc == 0 && (rc = incident_cache_load(R, c, id)) == UNKNOWN)
        return UNKNOWN;
    if (rc == 1) { /* no incident (or a pointer to a missing one) */
        incident_clear(&c->inc);
        json_object_clear(c->eids);
        json_object_clear(c->actions);
        c->actions_known = 1;
    }
    return 0;
}

/* Whether the current incident's timeline holds eid: 1 yes, 0 no, UNKNOWN
 * when Redis did not answer. c->eids covers what this process queued that
 * Redis may not have yet; Redis holds everything older. */
int incident_entry_seen(struct responder *R, struct cache_entry *c, const char *eid)
{
    if (json_object_get(c->eids, eid) != NULL)
        return 1;
    if (!c->inc.id[0])
        return 0;
    int rc = forensics_has_entry(R->fx, c->inc.id, eid);
    return rc < 0 ? UNKNOWN : rc;
}

/* Recorded state of an action ("started", "done", "pending", "refused") or
 * "" into out. Returns 0, or UNKNOWN when it is not in memory and Redis did
 * not answer (the caller must not act on it). */
int incident_action_state(struct responder *R, struct cache_entry *c, const char *aid, char *out,
                          size_t outlen)
{
    out[0] = '\0';
    const char *s = jget_str(c->actions, aid);
    if (s != NULL) {
        copy_str(out, outlen, s);
        return 0;
    }
    if (c->actions_known)
        return 0;
    struct bw_buf b;
    bw_buf_init(&b);
    int rc = forensics_get_action(R->fx, c->inc.id, aid, &b);
    if (rc == 0) {
        json_t *v = json_loads(b.data, 0, NULL);
        copy_str(out, outlen, jget_str(v, "state"));
        json_decref(v);
    }
    bw_buf_fini(&b);
    return rc < 0 ? UNKNOWN : 0;
}

/* Queues an entry and remembers its id. */
int incident_add_entry(struct responder *R, struct cache_entry *c, const char *eid,
                       const char *type, int64_t time_us, const char *data)
{
    /* Unknown is queued too: the write-through skips an eid already there. */
    if (incident_entry_seen(R, c, eid) == 1)
        return 0;
    if (forensics_entry(R->fx, c->inc.id, eid, type, time_us, R->actor_name, data) != 0)
        return -1;
    json_object_set_new(c->eids, eid, json_true());
    return 0;
}

int incident_record_action(struct responder *R, struct cache_entry *c, const char *aid,
                           const char *state, const char *json)
{
    if (forensics_action(R->fx, c->inc.id, aid, json) != 0)
        return -1;
    json_object_set_new(c->actions, aid, json_string(state));
    return 0;
}

void incident_cache_fini(struct responder *R)
{
    for (int i = 0; i < CACHE_MAX; i++)
        if (R->cache[i].used) {
            incident_clear(&R->cache[i].inc);
            json_decref(R->cache[i].eids);
            json_decref(R->cache[i].actions);
        }
}

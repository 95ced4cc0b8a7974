/* The responder loop: consumer group, incidents, playbooks, containment,
 * forensics (see loop.h and docs/responder.md). */
#include "responder/loop.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "responder/contain.h"
#include "responder/forensics.h"
#include "responder/impact.h"
#include "responder/notice.h"
#include "responder/redact.h"

#define CACHE_MAX   128
#define BATCH_COUNT "16"

/* handle_alert and its lookups: Redis could not say (error reply such as
 * -LOADING, or no connection), so nothing is decided; the alert stays
 * pending and is handled again once Redis serves. */
#define UNKNOWN (-2)

static volatile sig_atomic_t stop_flag;

void responder_stop(void)
{
    stop_flag = 1;
}

/* What the responder reads from one alert line. Strings point into root. */
struct alert_in {
    json_t *root;
    const char *alert_id, *rule, *ip, *user, *dataset, *channel, *signature;
    uint64_t update, records, bytes;
    int severity;
    int64_t ts_us;
    int64_t first_us, last_us; /* breach.first_seen/last_seen; ts_us when absent */
    json_t *pii, *evidence;
};

/* An incident as the responder keeps it; stored as the bw:incident:{ID} hash. */
struct incident {
    char id[48], actor[BW_ADDR_STRLEN], actor_user[64], status[24], playbook[64], mode[16];
    int severity, base_severity;
    uint64_t records, bytes, alerts;
    /* opened_us: the first alert this responder processed; it seeds the
     * deterministic id and the playbook's action epoch, so it never moves.
     * detected_us: the earliest alert timestamp (awareness); activity_*: the
     * span of the access activity (min breach.first_seen, max
     * breach.last_seen). Those three move with out-of-order alerts. */
    int64_t opened_us, last_us, closed_us;
    int64_t detected_us, activity_first_us, activity_last_us;
    json_t *categories, *rules, *datasets, *channels, *alert_records; /* owned */
};

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

/* ---- small helpers ---- */

static const char *jget_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static uint64_t jget_u64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (uint64_t)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) > 0)
        return (uint64_t)json_real_value(v);
    return 0;
}

static char *dump(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

static void sha_hex(const char *s, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    static const char d[] = "0123456789abcdef";
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < n && i < 32; i++) {
        out[2 * i] = d[md[i] >> 4];
        out[2 * i + 1] = d[md[i] & 15];
    }
    out[64] = '\0';
}

void incident_make_id(const char *alert_id, const char *actor_ip, int64_t ts_us, char *out,
                      size_t outlen)
{
    char seed[256], h[65], day[16];
    snprintf(seed, sizeof(seed), "%s|%s", alert_id, actor_ip);
    sha_hex(seed, h);
    time_t t = (time_t)(ts_us / BW_USEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof(day), "%Y%m%d", &tm);
    snprintf(out, outlen, "INC-%s-%.10s", day, h);
}

/* ---- alerts ---- */

static int alert_parse(const char *eve, size_t len, struct alert_in *a)
{
    memset(a, 0, sizeof(*a));
    a->root = json_loadb(eve, len, 0, NULL);
    if (!json_is_object(a->root))
        goto bad;
    json_t *al = json_object_get(a->root, "alert"), *br = json_object_get(a->root, "breach");
    if (!json_is_object(al) || !json_is_object(br))
        goto bad;
    a->alert_id = jget_str(br, "alert_id");
    a->rule = jget_str(br, "rule");
    json_t *actor = json_object_get(br, "actor");
    a->ip = jget_str(actor, "ip");
    if (a->ip == NULL)
        a->ip = jget_str(a->root, "src_ip");
    a->user = jget_str(actor, "user");
    a->dataset = jget_str(br, "dataset");
    a->channel = jget_str(br, "channel");
    a->signature = jget_str(al, "signature");
    a->update = jget_u64(br, "update");
    a->records = jget_u64(br, "records");
    a->bytes = jget_u64(br, "bytes");
    a->severity = (int)jget_u64(al, "severity");
    a->pii = json_object_get(br, "pii");
    a->evidence = json_object_get(br, "evidence");
    struct bw_addr addr;
    const char *ts = jget_str(a->root, "timestamp");
    if (a->alert_id == NULL || a->rule == NULL || a->ip == NULL ||
        bw_addr_parse(a->ip, &addr) != 0 || ts == NULL || bw_time_parse(ts, &a->ts_us) != 0)
        goto bad;
    if (a->severity < 1 || a->severity > 4)
        a->severity = 3;
    /* The span of the activity the alert covers; an alert without it (or
     * with an unreadable one) covers its own instant. */
    const char *fs = jget_str(br, "first_seen"), *ls = jget_str(br, "last_seen");
    if (fs == NULL || bw_time_parse(fs, &a->first_us) != 0 || a->first_us <= 0)
        a->first_us = a->ts_us;
    if (ls == NULL || bw_time_parse(ls, &a->last_us) != 0 || a->last_us <= 0)
        a->last_us = a->ts_us;
    if (a->last_us < a->first_us) {
        int64_t t = a->first_us;
        a->first_us = a->last_us;
        a->last_us = t;
    }
    return 0;
bad:
    json_decref(a->root);
    a->root = NULL;
    return -1;
}

/* ---- incidents ---- */

static void incident_clear(struct incident *in)
{
    json_decref(in->categories);
    json_decref(in->rules);
    json_decref(in->datasets);
    json_decref(in->channels);
    json_decref(in->alert_records);
    memset(in, 0, sizeof(*in));
}

static void incident_init(struct incident *in)
{
    memset(in, 0, sizeof(*in));
    in->categories = json_object();
    in->rules = json_array();
    in->datasets = json_array();
    in->channels = json_array();
    in->alert_records = json_object();
}

static json_t *load_sub(json_t *h, const char *k, int want_array)
{
    const char *s = jget_str(h, k);
    json_t *v = s ? json_loads(s, 0, NULL) : NULL;
    if (want_array ? json_is_array(v) : json_is_object(v))
        return v;
    json_decref(v);
    return want_array ? json_array() : json_object();
}

static void copy_str(char *out, size_t outlen, const char *s)
{
    snprintf(out, outlen, "%s", s ? s : "");
}

static int64_t hash_i64(json_t *h, const char *k)
{
    const char *s = jget_str(h, k);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* Incident from its hash (as the JSON object forensics_get_incident gives). */
static void incident_from_hash(struct incident *in, json_t *h)
{
    incident_clear(in);
    copy_str(in->id, sizeof(in->id), jget_str(h, "id"));
    copy_str(in->actor, sizeof(in->actor), jget_str(h, "actor"));
    copy_str(in->actor_user, sizeof(in->actor_user), jget_str(h, "actor_user"));
    copy_str(in->status, sizeof(in->status), jget_str(h, "status"));
    copy_str(in->playbook, sizeof(in->playbook), jget_str(h, "playbook"));
    copy_str(in->mode, sizeof(in->mode), jget_str(h, "mode"));
    in->severity = (int)hash_i64(h, "severity");
    in->base_severity = (int)hash_i64(h, "base_severity");
    in->records = (uint64_t)hash_i64(h, "records");
    in->bytes = (uint64_t)hash_i64(h, "bytes");
    in->alerts = (uint64_t)hash_i64(h, "alerts");
    in->opened_us = hash_i64(h, "opened_us");
    in->last_us = hash_i64(h, "last_us");
    in->closed_us = hash_i64(h, "closed_us");
    /* A hash written before these fields existed: its opening was its
     * earliest known time. */
    in->detected_us = hash_i64(h, "detected_us");
    in->activity_first_us = hash_i64(h, "activity_first_us");
    in->activity_last_us = hash_i64(h, "activity_last_us");
    if (in->detected_us == 0)
        in->detected_us = in->opened_us;
    if (in->activity_first_us == 0)
        in->activity_first_us = in->opened_us;
    if (in->activity_last_us == 0)
        in->activity_last_us = in->last_us;
    in->categories = load_sub(h, "categories", 0);
    in->rules = load_sub(h, "rules", 1);
    in->datasets = load_sub(h, "datasets", 1);
    in->channels = load_sub(h, "channels", 1);
    in->alert_records = load_sub(h, "alert_records", 0);
}

static void set_add(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    if (s == NULL || *s == '\0')
        return;
    json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return;
    json_array_append_new(arr, json_string(s));
}

/* Folds an alert into the incident: records and categories are the largest
 * any alert of the incident reports (rules over the same rows overlap, and an
 * alert's updates carry running totals), severity is the highest alert
 * severity raised one level per escalate_alerts further alerts, detection is
 * the earliest alert and the activity span the union of the alerts' spans,
 * whatever order the alerts arrive in. */
static void incident_add_alert(struct incident *in, const struct alert_in *a, uint64_t escalate)
{
    in->alerts++;
    if (in->base_severity == 0 || a->severity < in->base_severity)
        in->base_severity = a->severity;
    int sev = in->base_severity;
    if (escalate > 0)
        sev -= (int)((in->alerts - 1) / escalate);
    in->severity = sev < 1 ? 1 : sev;
    json_object_set_new(in->alert_records, a->alert_id, json_integer((json_int_t)a->records));
    if (a->records > in->records)
        in->records = a->records;
    if (a->bytes > in->bytes)
        in->bytes = a->bytes;
    const char *k;
    json_t *v;
    json_object_foreach(a->pii, k, v)
    {
        json_int_t have = json_integer_value(json_object_get(in->categories, k));
        if (json_integer_value(v) > have)
            json_object_set_new(in->categories, k, json_integer(json_integer_value(v)));
    }
    set_add(in->rules, a->rule);
    set_add(in->datasets, a->dataset);
    set_add(in->channels, a->channel);
    if (a->user && !in->actor_user[0])
        copy_str(in->actor_user, sizeof(in->actor_user), a->user);
    if (a->ts_us > in->last_us)
        in->last_us = a->ts_us;
    if (in->detected_us == 0 || a->ts_us < in->detected_us)
        in->detected_us = a->ts_us;
    if (in->activity_first_us == 0 || a->first_us < in->activity_first_us)
        in->activity_first_us = a->first_us;
    if (a->last_us > in->activity_last_us)
        in->activity_last_us = a->last_us;
}

/* Queues the incident hash (and, with set_actor, makes it the actor's
 * current incident). */
static int incident_store(struct responder *R, const struct incident *in, int set_actor)
{
    char sev[8], bsev[8], rec[24], byt[24], al[24], op[24], last[24], cl[24];
    char det[24], af[24], alast[24];
    char opened_ts[BW_TS_LEN], last_ts[BW_TS_LEN], closed_ts[BW_TS_LEN];
    char det_ts[BW_TS_LEN], af_ts[BW_TS_LEN], al_ts[BW_TS_LEN];
    snprintf(sev, sizeof(sev), "%d", in->severity);
    snprintf(bsev, sizeof(bsev), "%d", in->base_severity);
    snprintf(rec, sizeof(rec), "%llu", (unsigned long long)in->records);
    snprintf(byt, sizeof(byt), "%llu", (unsigned long long)in->bytes);
    snprintf(al, sizeof(al), "%llu", (unsigned long long)in->alerts);
    snprintf(op, sizeof(op), "%lld", (long long)in->opened_us);
    snprintf(last, sizeof(last), "%lld", (long long)in->last_us);
    snprintf(cl, sizeof(cl), "%lld", (long long)in->closed_us);
    snprintf(det, sizeof(det), "%lld", (long long)in->detected_us);
    snprintf(af, sizeof(af), "%lld", (long long)in->activity_first_us);
    snprintf(alast, sizeof(alast), "%lld", (long long)in->activity_last_us);
    bw_time_fmt(in->detected_us, det_ts);
    bw_time_fmt(in->activity_first_us, af_ts);
    bw_time_fmt(in->activity_last_us, al_ts);
    bw_time_fmt(in->opened_us, opened_ts);
    bw_time_fmt(in->last_us, last_ts);
    if (in->closed_us)
        bw_time_fmt(in->closed_us, closed_ts);
    else
        closed_ts[0] = '\0';
    char *cats = dump(in->categories), *rules = dump(in->rules), *ds = dump(in->datasets),
         *ch = dump(in->channels), *ar = dump(in->alert_records);
    int rc = -1;
    if (cats && rules && ds && ch && ar) {
        const char *kv[] = {"id",         in->id,       "status",        in->status,
                            "actor",      in->actor,    "actor_user",    in->actor_user,
                            "severity",   sev,          "base_severity", bsev,
                            "records",    rec,          "bytes",         byt,
                            "alerts",     al,           "categories",    cats,
                            "rules",      rules,        "datasets",      ds,
                            "channels",   ch,           "alert_records", ar,
                            "opened",     opened_ts,    "opened_us",     op,
                            "last_alert", last_ts,      "last_us",       last,
                            "closed",     closed_ts,    "closed_us",     cl,
                            "playbook",   in->playbook, "mode",          in->mode};
        /* The breach dates and the awareness time (docs/responder.md). */
        const char *span[] = {"detected",          det_ts, "detected_us",      det,
                              "activity_first",    af_ts,  "activity_last",    al_ts,
                              "activity_first_us", af,     "activity_last_us", alast};
        const char *all[sizeof(kv) / sizeof(kv[0]) + sizeof(span) / sizeof(span[0])];
        memcpy(all, kv, sizeof(kv));
        memcpy(all + sizeof(kv) / sizeof(kv[0]), span, sizeof(span));
        rc = forensics_state(R->fx, in->id, in->opened_us, set_actor ? in->actor : NULL,
                             (int)(sizeof(all) / sizeof(all[0]) / 2), all);
    }
    free(cats);
    free(rules);
    free(ds);
    free(ch);
    free(ar);
    return rc;
}

/* ---- cache ---- */

static struct cache_entry *cache_get(struct responder *R, const char *ip, int create)
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
static int load_incident(struct responder *R, struct cache_entry *c, const char *id)
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
static int cache_refresh(struct responder *R, struct cache_entry *c)
{
    if (!forensics_synced(R->fx) && forensics_flush(R->fx) != 0)
        return UNKNOWN;
    char id[64];
    int rc = forensics_actor_incident(R->fx, c->ip, id, sizeof(id));
    if (rc < 0)
        return UNKNOWN;
    if (rc == 0 && (rc = load_incident(R, c, id)) == UNKNOWN)
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
static int entry_seen(struct responder *R, struct cache_entry *c, const char *eid)
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
static int action_state(struct responder *R, struct cache_entry *c, const char *aid, char *out,
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
static int add_entry(struct responder *R, struct cache_entry *c, const char *eid, const char *type,
                     int64_t time_us, const char *data)
{
    /* Unknown is queued too: the write-through skips an eid already there. */
    if (entry_seen(R, c, eid) == 1)
        return 0;
    if (forensics_entry(R->fx, c->inc.id, eid, type, time_us, R->actor_name, data) != 0)
        return -1;
    json_object_set_new(c->eids, eid, json_true());
    return 0;
}

static int record_action(struct responder *R, struct cache_entry *c, const char *aid,
                         const char *state, const char *json)
{
    if (forensics_action(R->fx, c->inc.id, aid, json) != 0)
        return -1;
    json_object_set_new(c->actions, aid, json_string(state));
    return 0;
}

/* Durable now: fsync (and write-through when Redis is there). */
static int commit(struct responder *R)
{
    int written = 0;
    if (forensics_commit(R->fx, &written) != 0) {
        bw_error("responder: journal write failed; stopping before acting on it");
        return -1;
    }
    if (!written)
        R->st->journal_waits++;
    return 0;
}

/* ---- evidence ---- */

static int record_evidence(struct responder *R, struct cache_entry *c, const struct alert_in *a)
{
    const char *path = jget_str(a->evidence, "pcap"), *claimed = jget_str(a->evidence, "sha256");
    if (path == NULL || claimed == NULL)
        return 0;
    const char *item = strrchr(path, '/');
    item = item ? item + 1 : path;
    char eid[300];
    snprintf(eid, sizeof(eid), "evidence:%s", item);
    /* Unknown: recorded again (the same item and entry id: idempotent). */
    if (entry_seen(R, c, eid) == 1)
        return 0;
    char got[FORENSICS_HASH_HEX];
    uint64_t size = 0;
    int readable = forensics_file_sha256(path, got, &size) == 0;
    const char *sha = readable ? got : claimed;
    struct bw_buf b;
    bw_buf_init(&b);
    struct bw_json j;
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "sha256", sha);
    bw_json_uint(&j, "size", size);
    bw_json_str(&j, "path", path);
    bw_json_obj_end(&j);
    int rc = forensics_evidence(R->fx, c->inc.id, item, b.data);
    bw_buf_reset(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "item", item);
    bw_json_str(&j, "path", path);
    bw_json_str(&j, "sha256", sha);
    bw_json_uint(&j, "size", size);
    bw_json_uint(&j, "packets", jget_u64(a->evidence, "packets"));
    bw_json_str(&j, "alert_id", a->alert_id);
    bw_json_bool(&j, "readable", readable);
    if (readable && strcmp(got, claimed) != 0)
        bw_json_str(&j, "sensor_sha256_mismatch", claimed);
    bw_json_obj_end(&j);
    if (rc == 0)
        rc = add_entry(R, c, eid, "evidence", a->ts_us, b.data);
    bw_buf_fini(&b);
    return rc;
}

/* ---- playbooks and actions ---- */

static const struct playbook *playbook_match(const struct responder_config *cfg,
                                             const struct incident *in)
{
    for (int i = 0; i < cfg->nplaybooks; i++) {
        const struct playbook *pb = &cfg->playbooks[i];
        if (in->severity > pb->max_severity || in->records < pb->min_records)
            continue;
        for (int k = 0; k < pb->nrules; k++) {
            if (strcmp(pb->rules[k], "*") == 0)
                return pb;
            size_t idx;
            json_t *v;
            json_array_foreach(in->rules, idx,
                               v) if (strcmp(json_string_value(v), pb->rules[k]) == 0) return pb;
        }
    }
    return NULL;
}

static void incident_summary_json(const struct incident *in, struct bw_buf *out)
{
    struct bw_json j;
    char ts[BW_TS_LEN];
    bw_json_init(&j, out);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "id", in->id);
    bw_json_str(&j, "actor", in->actor);
    if (in->actor_user[0])
        bw_json_str(&j, "actor_user", in->actor_user);
    bw_json_int(&j, "severity", in->severity);
    bw_json_uint(&j, "records", in->records);
    bw_json_uint(&j, "bytes", in->bytes);
    bw_json_uint(&j, "alerts", in->alerts);
    bw_json_str(&j, "opened", bw_time_fmt(in->opened_us, ts));
    bw_json_str(&j, "detected", bw_time_fmt(in->detected_us, ts));
    bw_json_str(&j, "activity_first", bw_time_fmt(in->activity_first_us, ts));
    bw_json_str(&j, "activity_last", bw_time_fmt(in->activity_last_us, ts));
    char *s = dump(in->rules);
    if (s)
        bw_json_raw(&j, "rules", s, strlen(s));
    free(s);
    s = dump(in->categories);
    if (s)
        bw_json_raw(&j, "categories", s, strlen(s));
    free(s);
    bw_json_obj_end(&j);
}

/* The data of an action entry. */
static void action_data(struct bw_buf *b, const char *aid, const char *action, const char *mode,
                        const char *state, const struct playbook *pb, const struct incident *in,
                        const struct contain_result *res, int nres)
{
    struct bw_json j;
    bw_json_init(&j, b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "action_id", aid);
    bw_json_str(&j, "action", action);
    bw_json_str(&j, "mode", mode);
    bw_json_str(&j, "state", state);
    bw_json_str(&j, "ip", in->actor);
    bw_json_uint(&j, "ttl_s", pb->ttl_s);
    bw_json_str(&j, "playbook", pb->name);
    bw_json_int(&j, "severity", in->severity);
    if (res != NULL) {
        bw_json_arr_begin(&j, "results");
        for (int i = 0; i < nres; i++) {
            bw_json_obj_begin(&j, NULL);
            bw_json_str(&j, "backend", res[i].backend);
            bw_json_bool(&j, "ok", res[i].ok);
            bw_json_bool(&j, "already", res[i].already);
            bw_json_int(&j, "exit_status", res[i].exit_status);
            bw_json_int(&j, "duration_us", res[i].duration_us);
            bw_json_str(&j, "detail", res[i].detail);
            bw_json_obj_end(&j);
        }
        bw_json_arr_end(&j);
    }
    bw_json_obj_end(&j);
}

#define MAX_RESULTS 8

/* Executes (or records) the playbook's action once per action id. */
static int run_playbook(struct responder *R, struct cache_entry *c, int64_t now_us)
{
    struct incident *in = &c->inc;
    const struct playbook *pb = playbook_match(R->cfg, in);
    if (pb == NULL)
        return 0;
    enum playbook_mode mode = R->cfg->force_dry_run ? PLAYBOOK_DRY_RUN : pb->mode;
    const char *mname = playbook_mode_name(mode);
    const char *action = pb->action_block ? "block" : "notify";
    char aid[256], state[24], eid[300];
    uint64_t epoch = pb->action_block ? (uint64_t)(in->opened_us / BW_USEC) / pb->ttl_s : 0;
    snprintf(aid, sizeof(aid), "%s:%s:%s:%llu", in->id, action, in->actor,
             (unsigned long long)epoch);
    if (action_state(R, c, aid, state, sizeof(state)) != 0)
        return UNKNOWN; /* not known whether it was done: decide nothing */
    /* Any recorded state but "started" means the action happened (or was
     * recorded as intended, pending, refused or failed): never again. */
    if (state[0] != '\0' && strcmp(state, "started") != 0) {
        R->st->actions_skip++;
        return 0;
    }
    bw_debug("responder: %s: action %s (%s), synced %d", in->id, aid, mname,
             forensics_synced(R->fx));
    copy_str(in->playbook, sizeof(in->playbook), pb->name);
    copy_str(in->mode, sizeof(in->mode), mname);
    struct bw_buf b;
    bw_buf_init(&b);
    int rc = -1;

    if (!pb->action_block || mode == PLAYBOOK_DRY_RUN) {
        action_data(&b, aid, action, mname, pb->action_block ? "intended" : "notified", pb, in,
                    NULL, 0);
        snprintf(eid, sizeof(eid), "action:%s:done", aid);
        if (add_entry(R, c, eid, "action", now_us, b.data) != 0 ||
            record_action(R, c, aid, "done", b.data) != 0 || incident_store(R, in, 0) != 0)
            goto out;
        R->st->actions++;
        rc = 0;
        goto out;
    }
    if (mode == PLAYBOOK_APPROVE) {
        action_data(&b, aid, action, mname, "pending", pb, in, NULL, 0);
        snprintf(eid, sizeof(eid), "action:%s:pending", aid);
        char ttl[24];
        snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)pb->ttl_s);
        const char *kv[] = {"action_id", aid,        "incident", in->id,   "ttl_s",
                            ttl,         "playbook", pb->name,   "reason", pb->name};
        copy_str(in->status, sizeof(in->status), "awaiting-approval");
        if (add_entry(R, c, eid, "action", now_us, b.data) != 0 ||
            record_action(R, c, aid, "pending", b.data) != 0 ||
            forensics_pending(R->fx, in->actor, 5, kv) != 0 || incident_store(R, in, 0) != 0)
            goto out;
        R->st->actions++;
        rc = 0;
        goto out;
    }

    /* Enforce: record "started" durably, act, record "done". A crash between
     * the two leaves "started": the action is tried again after restart, and
     * the rails' idempotency by action_id keeps the backends from doing it
     * twice. */
    action_data(&b, aid, action, mname, "started", pb, in, NULL, 0);
    if (record_action(R, c, aid, "started", b.data) != 0 || commit(R) != 0)
        goto out;
    struct contain_result res[MAX_RESULTS];
    memset(res, 0, sizeof(res));
    int nres = -1;
    struct bw_buf ij;
    bw_buf_init(&ij);
    incident_summary_json(in, &ij);
    struct contain_action ca = {.kind = CONTAIN_BLOCK,
                                .ttl_s = pb->ttl_s,
                                .incident_id = in->id,
                                .reason = pb->name,
                                .incident_json = ij.data,
                                .action_id = aid};
    if (bw_addr_parse(in->actor, &ca.ip) == 0 && R->ct != NULL)
        nres = containment_apply(R->ct, &ca, res, MAX_RESULTS);
    bw_buf_fini(&ij);
    if (nres < 0) {
        nres = 1;
        copy_str(res[0].backend, sizeof(res[0].backend), "responder");
        if (res[0].detail[0] == '\0')
            copy_str(res[0].detail, sizeof(res[0].detail), "containment unavailable");
    }
    int ok = 0, any = 0;
    for (int i = 0; i < nres; i++) {
        ok |= res[i].ok || res[i].already;
        any |= strcmp(res[i].backend, "rails") != 0;
    }
    const char *final = ok ? "done" : (any ? "failed" : "refused");
    bw_buf_reset(&b);
    action_data(&b, aid, action, mname, final, pb, in, res, nres);
    snprintf(eid, sizeof(eid), "action:%s:%s", aid, final);
    if (add_entry(R, c, eid, "action", bw_now_us(), b.data) != 0 ||
        record_action(R, c, aid, strcmp(final, "failed") == 0 ? "done" : final, b.data) != 0)
        goto out;
    if (ok) {
        char backends[256] = "", since[BW_TS_LEN], exp[BW_TS_LEN], ttl[24];
        size_t bl = 0;
        for (int i = 0; i < nres && bl < sizeof(backends); i++)
            if (res[i].ok || res[i].already) {
                int w = snprintf(backends + bl, sizeof(backends) - bl, "%s%.31s", bl ? "," : "",
                                 res[i].backend);
                bl += w > 0 ? (size_t)w : 0;
            }
        int64_t now = bw_now_us(), exp_us = now + (int64_t)pb->ttl_s * BW_USEC;
        snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)pb->ttl_s);
        const char *kv[] = {"ip",        in->actor,
                            "incident",  in->id,
                            "action_id", aid,
                            "backend",   backends,
                            "reason",    pb->name,
                            "since",     bw_time_fmt(now, since),
                            "expires",   bw_time_fmt(exp_us, exp),
                            "ttl_s",     ttl};
        if (forensics_containment(R->fx, in->actor, exp_us / BW_USEC, 8, kv) != 0)
            goto out;
        copy_str(in->status, sizeof(in->status), "contained");
    }
    if (incident_store(R, in, 0) != 0)
        goto out;
    R->st->actions++;
    rc = 0;
out:
    bw_buf_fini(&b);
    return rc;
}

/* ---- one alert ---- */

/* Drafts the breach notices once per incident, severity level and breach
 * start when the incident reaches organisation.auto_notice.max_severity: an
 * alert that arrives late with an earlier detection or activity start changes
 * the dates the drafts state, so they are drafted again (the activity's end,
 * like the records, grows with every update and does not). Records each
 * draft (path, SHA-256) in the timeline. The drafts are built from what Redis
 * holds, so they wait while the journal is not yet written through; a failed
 * draft is logged and retried with the next alert, never blocking the ack. */
static int draft_notices(struct responder *R, struct cache_entry *c)
{
    struct incident *in = &c->inc;
    const struct impact_inputs *ni = R->notice_in;
    if (ni == NULL || ni->notice_max_severity == 0 || in->severity > ni->notice_max_severity ||
        !forensics_synced(R->fx))
        return 0;
    char tag[80], marker[160];
    snprintf(tag, sizeof(tag), "sev%d:aware%lld:from%lld", in->severity, (long long)in->detected_us,
             (long long)in->activity_first_us);
    snprintf(marker, sizeof(marker), "notices:%s:%s", in->id, tag);
    int seen = entry_seen(R, c, marker);
    if (seen != 0)
        return seen == 1 ? 0 : UNKNOWN; /* unknown: draft when Redis answers */
    struct incident_view *v = calloc(1, sizeof(*v));
    struct notice_draft *d = calloc(NOTICE_MAX_DRAFTS, sizeof(*d));
    struct bw_err err;
    int n = 0, rc = 0;
    bw_err_clear(&err);
    int vrc = v == NULL || d == NULL
                  ? 0
                  : incident_view_from_redis(v, R->r, R->cfg->prefix, in->id, &err);
    if (vrc == -1 && strncmp(err.msg, "redis:", 6) == 0) {
        rc = UNKNOWN; /* Redis did not answer: not a failed draft, a later one */
        goto out;
    }
    if (v == NULL || d == NULL || vrc == -1 ||
        notice_draft_all(v, ni, NULL, d, NOTICE_MAX_DRAFTS, &n, &err) != 0) {
        bw_warn("incident %s: notice drafts not written: %s", in->id,
                err.msg[0] ? err.msg : "out of memory");
        goto out;
    }
    struct bw_buf b;
    bw_buf_init(&b);
    for (int i = 0; i < n && rc == 0; i++) {
        char eid[240];
        snprintf(eid, sizeof(eid), "notice:%s:%s:%s.%s.%s", in->id, tag, d[i].regime, d[i].lang,
                 d[i].format);
        bw_buf_reset(&b);
        notice_draft_json(&d[i], &b);
        rc = add_entry(R, c, eid, "notice", in->last_us, b.data);
    }
    bw_buf_reset(&b);
    bw_buf_printf(&b, "{\"drafts\":%d,\"severity\":%d}", n, in->severity);
    if (rc == 0)
        rc = add_entry(R, c, marker, "note", in->last_us, b.data);
    bw_buf_fini(&b);
    if (rc == 0)
        rc = commit(R);
out:
    free(v);
    free(d);
    return rc;
}

static int handle_alert(struct responder *R, const char *sid, const char *eve, size_t len)
{
    struct alert_in a;
    if (alert_parse(eve, len, &a) != 0) {
        R->st->bad++;
        bw_warn("responder: stream entry %s is not an alert with a breach object; acknowledged",
                sid);
        if (forensics_ack(R->fx, sid) != 0 || commit(R) != 0)
            return -1;
        return 0;
    }
    int rc = -1, seen;
    if (forensics_lock(R->fx, a.ip, 6000) != 0)
        bw_warn("responder: actor %s locked by another responder for 6 s; going on", a.ip);
    struct cache_entry *c = cache_get(R, a.ip, 1);
    /* Every lookup below that decides "already recorded / already done"
     * needs Redis's answer: an error reply or a lost connection is unknown,
     * never absent, so the alert is left pending (UNKNOWN) and handled again
     * once Redis serves; what was queued before that was decided on known
     * state and is idempotent. */
    rc = cache_refresh(R, c);
    if (rc != 0)
        goto out;
    rc = -1;
    c->stale = 0;
    char eid[256];
    snprintf(eid, sizeof(eid), "alert:%s:%llu", a.alert_id, (unsigned long long)a.update);
    struct incident *in = &c->inc;
    int opened_now = 0, fresh = 0;

    /* An alert seen before (an update, or a re-delivery) goes to the incident
     * its first emission joined, even when the actor has a newer one. */
    char mapped[64];
    int mrc = forensics_alert_incident(R->fx, a.alert_id, mapped, sizeof(mapped));
    if (mrc < 0) {
        rc = UNKNOWN;
        goto out;
    }
    int is_mapped = mrc == 0;
    if (is_mapped && strcmp(mapped, in->id) != 0) {
        int lrc = load_incident(R, c, mapped);
        if (lrc == UNKNOWN) {
            rc = UNKNOWN;
            goto out;
        }
        if (lrc == 0)
            c->stale = 1; /* reload the actor's current incident next time */
    }

    int joins = in->id[0] &&
                a.ts_us <= in->last_us + (int64_t)R->cfg->incident_window_s * BW_USEC &&
                strcmp(in->status, "closed") != 0;
    if (is_mapped && strcmp(mapped, in->id) == 0)
        joins = 1;
    if (in->id[0] && !joins) {
        /* Re-delivery of an alert that already opened or joined an incident? */
        seen = entry_seen(R, c, eid);
        if (seen == UNKNOWN) {
            rc = UNKNOWN;
            goto out;
        }
        if (seen)
            joins = 1;
    }
    if (!joins) {
        if (in->id[0] && strcmp(in->status, "closed") != 0) {
            in->closed_us = in->last_us + (int64_t)R->cfg->incident_window_s * BW_USEC;
            copy_str(in->status, sizeof(in->status), "closed");
            char ceid[96], data[160];
            snprintf(ceid, sizeof(ceid), "close:%s", in->id);
            snprintf(data, sizeof(data),
                     "{\"reason\":\"no alert from the actor within the window\",\"window_s\":%llu}",
                     (unsigned long long)R->cfg->incident_window_s);
            if (add_entry(R, c, ceid, "note", in->closed_us, data) != 0 ||
                incident_store(R, in, 0) != 0)
                goto out;
        }
        incident_clear(in);
        incident_init(in);
        incident_make_id(a.alert_id, a.ip, a.ts_us, in->id, sizeof(in->id));
        copy_str(in->actor, sizeof(in->actor), a.ip);
        copy_str(in->status, sizeof(in->status), "open");
        in->opened_us = a.ts_us;
        opened_now = 1;
        json_object_clear(c->eids);
        json_object_clear(c->actions);
        c->actions_known = 1;
        /* The deterministic id may exist already (crash before the ack).
         * The journal holds nothing of it (only, at most, the closing of the
         * actor's previous incident), so Redis has all of it. */
        int lrc = load_incident(R, c, in->id);
        if (lrc == UNKNOWN) {
            /* Redis could not say: forget the half-made incident; the
             * closing queued above is idempotent and redone next time. */
            incident_clear(in);
            incident_init(in);
            c->actions_known = 0;
            rc = UNKNOWN;
            goto out;
        }
        fresh = lrc == 1; /* counted once its hash is queued */
    }
    seen = entry_seen(R, c, eid);
    if (seen == UNKNOWN) {
        rc = UNKNOWN;
        goto out;
    }
    if (seen) {
        R->st->duplicates++;
    } else {
        incident_add_alert(in, &a, R->cfg->escalate_alerts);
        if (R->cfg->redact)
            redact_json_tree(a.root);
        char *data = dump(a.root);
        if (data == NULL)
            goto out;
        int bad = add_entry(R, c, eid, "alert", a.ts_us, data) != 0;
        free(data);
        if (bad || forensics_alert_map(R->fx, a.alert_id, in->id) != 0 ||
            incident_store(R, in, opened_now) != 0)
            goto out;
        R->st->incidents += (uint64_t)fresh;
    }
    if (a.evidence != NULL && record_evidence(R, c, &a) != 0)
        goto out;
    if (commit(R) != 0)
        goto out;
    if ((rc = run_playbook(R, c, a.ts_us)) != 0 || (rc = draft_notices(R, c)) != 0) {
        if (rc != UNKNOWN)
            rc = -1;
        goto out;
    }
    rc = -1;
    if (forensics_ack(R->fx, sid) != 0 || commit(R) != 0)
        goto out;
    R->st->alerts++;
    rc = 0;
out:
    if (rc == UNKNOWN) {
        R->st->deferred++;
        bw_debug("responder: stream entry %s: Redis could not answer; left pending", sid);
    }
    forensics_unlock(R->fx, a.ip);
    json_decref(a.root);
    return rc;
}

/* ---- stream reading ---- */

/* Handles the entries of an XREADGROUP/XAUTOCLAIM entry list. Returns the
 * number handled, -1 on a fatal error, -2 when Redis could not answer a
 * lookup (that entry and the rest stay pending for a later re-read). */
static int handle_entries(struct responder *R, const redisReply *list)
{
    int n = 0;
    for (size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        const char *sid = e->element[0]->str;
        const redisReply *fl = e->element[1];
        const char *eve = NULL;
        size_t elen = 0;
        for (size_t k = 0; fl->type == REDIS_REPLY_ARRAY && k + 1 < fl->elements; k += 2)
            if (strcmp(fl->element[k]->str, "eve") == 0) {
                eve = fl->element[k + 1]->str;
                elen = fl->element[k + 1]->len;
            }
        /* A deleted entry (nil fields) or one without `eve` is acknowledged. */
        int rc = handle_alert(R, sid, eve ? eve : "", elen);
        if (rc == UNKNOWN)
            return -2;
        if (rc != 0)
            return -1;
        n++;
        if (stop_flag)
            break;
    }
    return n;
}

/* XREADGROUP from `from` ("0" = our pending entries, ">" = new). Returns
 * entries handled, -1 fatal, -2 Redis unreachable. */
static int read_group(struct responder *R, const char *from, int block_ms)
{
    char blk[16];
    snprintf(blk, sizeof(blk), "%d", block_ms);
    const char *argv[] = {"XREADGROUP", "GROUP",     R->cfg->group, R->cfg->consumer,
                          "COUNT",      BATCH_COUNT, "BLOCK",       blk,
                          "STREAMS",    R->stream,   from};
    int argc = 11;
    if (block_ms < 0) {
        argv[5] = BATCH_COUNT;
        /* no BLOCK: shift the tail */
        argv[6] = "STREAMS";
        argv[7] = R->stream;
        argv[8] = from;
        argc = 9;
    }
    redisReply *rep = bw_redis_cmdv(R->r, argc, argv);
    if (rep == NULL)
        return -2;
    int n = 0;
    if (rep->type == REDIS_REPLY_ERROR) {
        /* -LOADING, -BUSY, -MISCONF...: Redis cannot serve yet; retried. */
        bw_warn("responder: XREADGROUP: %s", rep->str);
        n = strncmp(rep->str, "NOGROUP", 7) == 0 ? -3 : -2;
    } else if (rep->type == REDIS_REPLY_ARRAY) {
        for (size_t s = 0; s < rep->elements; s++) {
            const redisReply *st = rep->element[s];
            if (st->type == REDIS_REPLY_ARRAY && st->elements == 2) {
                int k = handle_entries(R, st->element[1]);
                if (k < 0) {
                    n = k;
                    break;
                }
                n += k;
            }
        }
    }
    bw_redis_reply_free(rep);
    return n;
}

/* XAUTOCLAIM entries idle longer than reclaim_idle_ms from crashed consumers. */
static int reclaim(struct responder *R)
{
    char idle[24], start[64] = "0-0";
    snprintf(idle, sizeof(idle), "%llu", (unsigned long long)R->cfg->reclaim_idle_ms);
    int total = 0;
    for (int round = 0; round < 64; round++) {
        const char *argv[] = {"XAUTOCLAIM", R->stream, R->cfg->group, R->cfg->consumer,
                              idle,         start,     "COUNT",       BATCH_COUNT};
        redisReply *rep = bw_redis_cmdv(R->r, 8, argv);
        if (rep == NULL)
            return -2;
        int n = 0;
        if (rep->type == REDIS_REPLY_ERROR) {
            bw_warn("responder: XAUTOCLAIM: %s", rep->str);
            n = -2;
        } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2) {
            snprintf(start, sizeof(start), "%s",
                     rep->element[0]->str ? rep->element[0]->str : "0-0");
            n = handle_entries(R, rep->element[1]);
            if (n > 0)
                R->st->reclaimed += (uint64_t)n;
        }
        bw_redis_reply_free(rep);
        if (n < 0)
            return n;
        total += n;
        if (strcmp(start, "0-0") == 0)
            break;
    }
    return total;
}

static int ensure_group(struct responder *R)
{
    const char *argv[] = {"XGROUP", "CREATE", R->stream, R->cfg->group, "0", "MKSTREAM"};
    redisReply *rep = bw_redis_cmdv(R->r, 6, argv);
    if (rep == NULL)
        return -1;
    int ok = rep->type != REDIS_REPLY_ERROR || strncmp(rep->str, "BUSYGROUP", 9) == 0;
    if (!ok)
        bw_error("responder: XGROUP CREATE: %s", rep->str);
    bw_redis_reply_free(rep);
    return ok ? 0 : -1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int needs_containment(const struct responder_config *cfg)
{
    if (cfg->force_dry_run)
        return 0;
    for (int i = 0; i < cfg->nplaybooks; i++)
        if (cfg->playbooks[i].mode == PLAYBOOK_ENFORCE && cfg->playbooks[i].action_block)
            return 1;
    return 0;
}

int responder_run(struct responder_config *cfg, const struct responder_opts *opts,
                  struct responder_stats *stats, struct bw_err *err)
{
    struct responder *R = calloc(1, sizeof(*R));
    struct bw_redis_url url;
    int rc = -1;
    if (R == NULL)
        return bw_err_set(err, "out of memory");
    memset(stats, 0, sizeof(*stats));
    R->cfg = cfg;
    R->st = stats;
    snprintf(R->stream, sizeof(R->stream), "%salerts", cfg->prefix);
    snprintf(R->actor_name, sizeof(R->actor_name), "responder:%s", cfg->consumer);
    if (bw_redis_url_parse(opts->url, &url, err) != 0)
        goto out;
    R->r = bw_redis_new(&url, opts->timeout_ms);
    if (R->r == NULL) {
        bw_err_set(err, "out of memory");
        goto out;
    }
    cfg->redis = R->r;
    R->fx = forensics_new(cfg, R->r, NULL, err);
    if (R->fx == NULL)
        goto out;
    if (needs_containment(cfg)) {
        R->ct = containment_new(cfg, err);
        if (R->ct == NULL)
            goto out;
    }
    if (cfg->conf != NULL) {
        R->notice_in = calloc(1, sizeof(*R->notice_in));
        if (R->notice_in == NULL || impact_inputs_load(R->notice_in, cfg->conf, err) != 0) {
            free(R->notice_in);
            R->notice_in = NULL;
            goto out;
        }
    }
    stop_flag = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Start-up: Redis must answer once (the alerts are there). */
    int64_t deadline = bw_mono_us() + 10 * BW_USEC;
    while (ensure_group(R) != 0) {
        if (stop_flag || bw_mono_us() > deadline) {
            bw_err_set(err, "redis %s: %s", opts->url, bw_redis_errstr(R->r));
            goto out;
        }
        usleep(100000);
    }
    int64_t next_reclaim = 0;
    int phase_pending = 1; /* first our own pending entries (crash recovery) */
    int64_t unsynced_since = 0, unknown_since = 0;
    int backoff_ms = 0;
    while (!stop_flag) {
        if (!forensics_synced(R->fx) && forensics_flush(R->fx) != 0) {
            /* Redis away: everything is in the journal; wait. A --once run
             * gives up after a minute (the journal is written through by the
             * next run). */
            int64_t now = bw_mono_us();
            if (unsynced_since == 0)
                unsynced_since = now;
            if (opts->once && now - unsynced_since > 60 * BW_USEC) {
                bw_err_set(err, "redis %s unreachable for 60 s; the journal %s keeps the rest",
                           opts->url, cfg->consumer);
                goto out;
            }
            usleep(100000);
            continue;
        }
        unsynced_since = 0;
        int n;
        if (phase_pending) {
            n = read_group(R, "0", -1);
            if (n == 0) {
                phase_pending = 0;
                continue;
            }
        } else if (bw_mono_us() >= next_reclaim) {
            forensics_flush_orphans(R->fx);
            n = reclaim(R);
            next_reclaim = bw_mono_us() + (int64_t)(cfg->reclaim_idle_ms * 1000 / 2 + 1000);
            if (n >= 0)
                n = read_group(R, ">", opts->once ? -1 : 1000);
            else if (n == -2)
                next_reclaim = 0;
        } else {
            n = read_group(R, ">", opts->once ? -1 : 1000);
        }
        if (n == -1)
            goto out_err;
        if (n == -3) { /* group deleted under us */
            ensure_group(R);
            continue;
        }
        if (n == -2) {
            /* Redis unreachable or not serving (-LOADING...), or a lookup it
             * could not answer: what was delivered to us and not acked is
             * read again from our pending entries once it serves; back off
             * 100 ms doubling to 2 s meanwhile. */
            int64_t now = bw_mono_us();
            if (unknown_since == 0)
                unknown_since = now;
            if (opts->once && now - unknown_since > 60 * BW_USEC) {
                bw_err_set(err, "redis %s not serving for 60 s; alerts left pending", opts->url);
                goto out;
            }
            phase_pending = 1;
            backoff_ms = backoff_ms == 0 ? 100 : (backoff_ms >= 1000 ? 2000 : backoff_ms * 2);
            usleep((useconds_t)backoff_ms * 1000);
            continue;
        }
        unknown_since = 0;
        backoff_ms = 0;
        if (opts->once && n == 0 && !phase_pending)
            break;
    }
    forensics_flush(R->fx);
    rc = 0;
    goto out;
out_err:
    bw_err_set(err, "responder: stopped: the journal could not be written");
out:
    if (R != NULL) {
        containment_free(R->ct);
        forensics_free(R->fx);
        if (R->notice_in != NULL)
            impact_inputs_fini(R->notice_in);
        free(R->notice_in);
        for (int i = 0; i < CACHE_MAX; i++)
            if (R->cache[i].used) {
                incident_clear(&R->cache[i].inc);
                json_decref(R->cache[i].eids);
                json_decref(R->cache[i].actions);
            }
        bw_redis_free(R->r);
        cfg->redis = NULL;
        free(R);
    }
    return rc;
}

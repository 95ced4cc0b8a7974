/* What the detection engine's files share (sensor/detect.c: lifecycle, rules,
 * persistence; detect-group.c: the group table, LRU and memory; detect-alert.c:
 * the alert state machine; detect-event.c: an access event through the rules).
 * Not an API: sensor/detect.h is. */
#ifndef BW_DETECT_INTERNAL_H
#define BW_DETECT_INTERNAL_H

#include <stdint.h>

#include "sensor/detect.h"
#include "sensor/detect-baseline.h"
#include "sensor/detect-table.h"
#include "sensor/detect-window.h"
#include "sensor/distinct.h"

#if __has_include("sensor/pii.h")
#include "sensor/pii.h"
#define DETECT_HAVE_PII 1
_Static_assert(BW_DISTINCT_P >= DD_P, "PII sketches fold into ours");
_Static_assert(PII_TYPE_MAX <= DW_PII_TYPES, "pii types fit the window buckets");
#else
#define DETECT_HAVE_PII 0
#endif

#define GROUP_KEY_MAX 320
#define NPII          9 /* entries of rule_pii_names */

/* Per-rule runtime data, parallel to the rule set. */
struct drule {
    int nsk;
    int sk_uri, sk_ids, sk_sub; /* sketch index or -1 */
    int sk_pii[DW_PII_TYPES];
    int64_t learn_start; /* INT64_MIN until the rule's first event */
};

_Static_assert(3 + NPII <= 16, "a bucket's sketch mask has a bit for every sketch");

struct dgroup {
    struct dgroup *lprev, *lnext; /* LRU, most recent at head */
    struct dgroup *aprev, *anext; /* active alerts */
    uint64_t hash;
    uint64_t size;      /* bytes counted against the memcap */
    uint64_t heap_seen; /* the window's dense register bytes included in size */
    int rule;           /* index in the current set, -1 while being dropped */
    struct dw_window win;
    uint64_t win_us;
    struct db_baseline *bl; /* in the block, for rules that learn (baseline, first_seen) */
    int known; /* history before its current activity (loaded, or a completed period) */

    /* alert state: the alert itself only while one is open (most groups
     * never open one, and a group is made for every new actor) */
    int active, dirty;
    struct galert *ga; /* non-NULL while active */
    int64_t period_end, last_emit;
    uint32_t src_mask;    /* bit per access_records_src of events that added records */
    char est_dataset[64]; /* rules' estimate: the dataset assumed, "" none */
    uint32_t est_record_bytes;
    char key[]; /* NUL-terminated group key */
};

/* An open alert: the alert as last emitted / being updated, with the context
 * of the event that opened it (an open alert keeps the actor that opened it). */
struct galert {
    struct bw_alert al;
    uint64_t pii_total[DW_PII_TYPES];
    int direction;
};

struct learn_entry {
    char rule_id[RULE_ID_MAX];
    int64_t start;
};

struct detect_engine {
    struct detect_config cfg;
    struct rule_set *rules;
    struct drule *dr;
    struct gtab ht; /* groups by key_hash */
    struct dgroup *lru_head, *lru_tail;
    struct dgroup *act_head;
    uint64_t mem;
    uint64_t seq;
    uint64_t hash_key;
    int64_t boot;
    detect_alert_fn alert_fn;
    void *alert_ctx;
    alert_evidence_fn ev_fn;
    void *ev_ctx;
    detect_records_fn rec_fn;
    void *rec_ctx;
    const struct inventory *inv; /* rules' estimate datasets; borrowed, may be NULL */
    struct detect_stats st;
    /* training starts of rule ids loaded from the state file and not (yet) in the set */
    struct learn_entry *learn;
    size_t nlearn, caplearn;
};

/* ---- detect-group.c */

/* Table hash of (rule id, group key) under the engine's key. */
uint64_t dgroup_key_hash(const struct detect_engine *e, const char *rule_id, const char *key);
/* The group of rule index ri and key, or NULL. */
struct dgroup *dgroup_find(struct detect_engine *e, uint64_t h, int ri, const char *key);
/* A new empty group (evicting least recently used groups to stay under the
 * memcap), in the table and at the head of the LRU; NULL when out of memory
 * (counted). */
struct dgroup *dgroup_new(struct detect_engine *e, int ri, uint64_t h, const char *key);
/* Unlinks and frees a group (an open alert's state with it). */
void dgroup_free(struct detect_engine *e, struct dgroup *g);
/* Counts what the group's window allocated or lost since the last call. */
void dgroup_account(struct detect_engine *e, struct dgroup *g);
/* Rules that keep a history per group (learned baseline, first-seen). */
int dgroup_learns(const struct rule *r);
/* LRU list (most recent at the head) and the list of open alerts. */
void dgroup_lru_unlink(struct detect_engine *e, struct dgroup *g);
void dgroup_lru_push(struct detect_engine *e, struct dgroup *g);
void dgroup_act_link(struct detect_engine *e, struct dgroup *g);
void dgroup_act_unlink(struct detect_engine *e, struct dgroup *g);

/* ---- detect-alert.c */

/* Opens the group's alert on the event that crossed the limit, and emits it. */
void dalert_open(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev,
                 const struct dw_sums *s, double value, double limit, int has_bl,
                 const struct rule *r);
/* Emits the group's open alert (first emission when ev is the opening event). */
void dalert_emit(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev);
/* Ends the alert's period: a last update if it grew, then its state is freed. */
void dalert_close(struct detect_engine *e, struct dgroup *g);

#endif

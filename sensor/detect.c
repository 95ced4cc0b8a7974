/* The detection engine (see detect.h and docs/detection.md): rules over
 * access events, group state in a memory-capped LRU hash table, sliding
 * windows, learned baselines and the one-alert-per-period state machine. */
#include "sensor/detect.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "sensor/detect-baseline.h"
#include "sensor/detect-dns.h"
#include "sensor/detect-table.h"
#include "sensor/detect-window.h"
#include "sensor/distinct.h"
#include "sensor/geo.h"
#include "sensor/inventory.h"

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

/* ---------------------------------------------------------------- config */

int detect_config_load(struct detect_config *cfg, const struct bw_config *conf, struct bw_err *err)
{
    static const char *const keys[] = {"memcap", "utc_offset", "baselines", NULL};
    memset(cfg, 0, sizeof(*cfg));
    cfg->conf = conf;
    cfg->memcap = 64ull << 20;
    snprintf(cfg->sensor_id, sizeof(cfg->sensor_id), "sensor");
    if (conf == NULL)
        return 0;
    snprintf(cfg->sensor_id, sizeof(cfg->sensor_id), "%s", conf->sensor_id);
    snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", conf->state_dir);
    const struct bw_ynode *sec = config_section(conf, "detect"), *n;
    if (sec == NULL)
        return 0;
    if (bw_ymap_check_keys(&conf->doc, sec, keys, err))
        return -1;
    if ((n = bw_ymap_get(sec, "memcap"))) {
        if (bw_yget_size(&conf->doc, n, &cfg->memcap, err))
            return -1;
        if (cfg->memcap < (1u << 20))
            return bw_ynode_err(&conf->doc, n, err, "memcap: at least 1m");
    }
    if ((n = bw_ymap_get(sec, "utc_offset"))) {
        const char *s;
        int h = 0, m = 0;
        char sign = '+', tail;
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        if (strcmp(s, "Z") != 0 && strcmp(s, "UTC") != 0 &&
            (sscanf(s, "%c%2d:%2d%c", &sign, &h, &m, &tail) != 3 || (sign != '+' && sign != '-') ||
             h > 14 || m > 59 || h < 0 || m < 0))
            return bw_ynode_err(&conf->doc, n, err, "utc_offset '%s': expected +HH:MM", s);
        cfg->utc_offset_min = (sign == '-' ? -1 : 1) * (h * 60 + m);
    }
    if ((n = bw_ymap_get(sec, "baselines"))) {
        bool on;
        if (bw_yget_bool(&conf->doc, n, &on, err))
            return -1;
        if (!on)
            cfg->state_dir[0] = '\0';
    }
    return 0;
}

/* ---------------------------------------------------------------- rules */

static int sketch_for(int *nsk)
{
    return (*nsk)++;
}

static void drule_init(struct drule *d, const struct rule *r)
{
    memset(d, 0, sizeof(*d));
    d->sk_uri = d->sk_ids = d->sk_sub = -1;
    for (int t = 0; t < DW_PII_TYPES; t++)
        d->sk_pii[t] = -1;
    d->learn_start = INT64_MIN;
    int need[RM_MAX] = {0};
    need[r->measure] = 1;
    for (int i = 0; i < r->nrequire; i++)
        need[r->require[i].measure] = 1;
    if (need[RM_DISTINCT_URIS])
        d->sk_uri = sketch_for(&d->nsk);
    if (need[RM_DISTINCT_IDS])
        d->sk_ids = sketch_for(&d->nsk);
    if (need[RM_DNS_SUBDOMAINS])
        d->sk_sub = sketch_for(&d->nsk);
    if (need[RM_PII] && DETECT_HAVE_PII)
        for (int t = 0; t < NPII; t++)
            if (r->pii_types == 0 || (r->pii_types & (1u << t)))
                d->sk_pii[t] = sketch_for(&d->nsk);
}

static int64_t learn_take(struct detect_engine *e, const char *id)
{
    for (size_t i = 0; i < e->nlearn; i++)
        if (strcmp(e->learn[i].rule_id, id) == 0)
            return e->learn[i].start;
    return INT64_MIN;
}

static void learn_put(struct detect_engine *e, const char *id, int64_t start)
{
    for (size_t i = 0; i < e->nlearn; i++)
        if (strcmp(e->learn[i].rule_id, id) == 0) {
            e->learn[i].start = start;
            return;
        }
    if (e->nlearn == e->caplearn) {
        size_t nc = e->caplearn ? e->caplearn * 2 : 16;
        struct learn_entry *nv = realloc(e->learn, nc * sizeof(*nv));
        if (nv == NULL)
            return;
        e->learn = nv;
        e->caplearn = nc;
    }
    snprintf(e->learn[e->nlearn].rule_id, RULE_ID_MAX, "%s", id);
    e->learn[e->nlearn++].start = start;
}

static int install_rules(struct detect_engine *e, struct rule_set *rules)
{
    struct drule *dr = calloc(rules->n ? rules->n : 1, sizeof(*dr));
    if (dr == NULL)
        return -1;
    /* remember training starts of the old set, then hand them to the new one */
    for (size_t i = 0; e->rules != NULL && i < e->rules->n; i++)
        if (e->dr[i].learn_start != INT64_MIN)
            learn_put(e, e->rules->v[i].id, e->dr[i].learn_start);
    for (size_t i = 0; i < rules->n; i++) {
        drule_init(&dr[i], &rules->v[i]);
        dr[i].learn_start = learn_take(e, rules->v[i].id);
    }
    free(e->dr);
    e->dr = dr;
    rule_set_unref(e->rules);
    e->rules = rule_set_ref(rules);
    return 0;
}

/* ---------------------------------------------------------------- groups */

/* Hash of a string for the group table, eight bytes at a time (the table is
 * probed several times per event), under the engine's random key. */
static uint64_t str_hash(uint64_t h, const char *s)
{
    size_t n = strlen(s), i = 0;
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s + i, n - i);
    h = (h ^ w ^ ((uint64_t)n << 56)) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 32);
}

static uint64_t key_hash(const struct detect_engine *e, const char *rule_id, const char *key)
{
    return str_hash(str_hash(e->hash_key, rule_id), key);
}

static void lru_unlink(struct detect_engine *e, struct dgroup *g)
{
    if (g->lprev)
        g->lprev->lnext = g->lnext;
    else
        e->lru_head = g->lnext;
    if (g->lnext)
        g->lnext->lprev = g->lprev;
    else
        e->lru_tail = g->lprev;
    g->lprev = g->lnext = NULL;
}

static void lru_push(struct detect_engine *e, struct dgroup *g)
{
    g->lnext = e->lru_head;
    g->lprev = NULL;
    if (e->lru_head)
        e->lru_head->lprev = g;
    e->lru_head = g;
    if (e->lru_tail == NULL)
        e->lru_tail = g;
}

static void act_link(struct detect_engine *e, struct dgroup *g)
{
    g->aprev = NULL;
    g->anext = e->act_head;
    if (e->act_head)
        e->act_head->aprev = g;
    e->act_head = g;
}

static void act_unlink(struct detect_engine *e, struct dgroup *g)
{
    if (g->aprev)
        g->aprev->anext = g->anext;
    else if (e->act_head == g)
        e->act_head = g->anext;
    if (g->anext)
        g->anext->aprev = g->aprev;
    g->aprev = g->anext = NULL;
}

static void emit(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev);

/* Counts what the group's window allocated or lost since the last call:
 * register sets that became dense count against the memcap. */
static void group_account(struct detect_engine *e, struct dgroup *g)
{
    if (g->win.heap != g->heap_seen) {
        g->size += g->win.heap - g->heap_seen;
        e->mem += g->win.heap - g->heap_seen;
        g->heap_seen = g->win.heap;
    }
    if (g->win.oom) {
        e->st.alloc_fail += g->win.oom;
        g->win.oom = 0;
    }
}

static void group_free(struct detect_engine *e, struct dgroup *g)
{
    group_account(e, g);
    if (g->active)
        act_unlink(e, g);
    gtab_del(&e->ht, g->hash, g);
    lru_unlink(e, g);
    e->mem -= g->size;
    e->st.groups--;
    dw_fini(&g->win);
    free(g->ga);
    free(g);
}

static void evict(struct detect_engine *e, struct dgroup *g)
{
    if (g->active && g->dirty && g->rule >= 0)
        emit(e, g, NULL);
    e->st.evictions++;
    group_free(e, g);
}

struct group_ref {
    int rule; /* index in the current set (kept up to date by detect_reload) */
    const char *key;
};

static int group_eq(const void *p, const void *ctx)
{
    const struct dgroup *g = p;
    const struct group_ref *ref = ctx;
    return g->rule == ref->rule && strcmp(g->key, ref->key) == 0;
}

static struct dgroup *group_find(struct detect_engine *e, uint64_t h, int ri, const char *key)
{
    struct group_ref ref = {ri, key};
    return gtab_find(&e->ht, h, group_eq, &ref);
}

/* Rules that keep a history per group (learned baseline, first-seen). */
static int rule_learns(const struct rule *r)
{
    return r->baseline || r->first_seen;
}

static struct dgroup *group_new(struct detect_engine *e, int ri, uint64_t h, const char *key)
{
    const struct rule *r = &e->rules->v[ri];
    size_t klen = strlen(key);
    /* one block: the group, its key, its window (aligned after the key),
     * and the learned baseline for the rules that learn */
    size_t head = (sizeof(struct dgroup) + klen + 1 + 7) & ~(size_t)7;
    size_t win = (size_t)dw_alloc_size(r->buckets, e->dr[ri].nsk);
    size_t size = head + win + (rule_learns(r) ? sizeof(struct db_baseline) : 0);
    while (e->mem + size > e->cfg.memcap && e->lru_tail != NULL)
        evict(e, e->lru_tail);
    struct dgroup *g = calloc(1, size);
    if (g == NULL || gtab_put(&e->ht, h, g) != 0) {
        free(g);
        e->st.alloc_fail++;
        return NULL;
    }
    dw_init_at(&g->win, r->buckets, r->window_us, e->dr[ri].nsk, (char *)g + head);
    memcpy(g->key, key, klen + 1);
    g->hash = h;
    g->size = size;
    g->rule = ri;
    g->win_us = r->window_us;
    /* zeroed memory is db_init's empty baseline */
    g->bl = rule_learns(r) ? (struct db_baseline *)((char *)g + head + win) : NULL;
    lru_push(e, g);
    e->mem += size;
    e->st.groups++;
    return g;
}

/* ---------------------------------------------------------------- lifecycle */

static void load_learn_cb(void *ctx, const char *rule_id, int64_t start)
{
    learn_put(ctx, rule_id, start);
}

static void load_group_cb(void *ctx, const char *rule_id, const char *key,
                          const struct db_baseline *b)
{
    struct detect_engine *e = ctx;
    int ri = rule_set_find(e->rules, rule_id);
    if (ri < 0)
        return; /* the rule is gone: its history goes with it */
    uint64_t h = key_hash(e, rule_id, key);
    struct dgroup *g = group_find(e, h, ri, key);
    if (g == NULL)
        g = group_new(e, ri, h, key);
    if (g == NULL || g->bl == NULL)
        return;
    *g->bl = *b;
    g->bl->dirty = 1;
    g->known = 1;
}

/* The key of the detectors' hashes (distinct values, group table): derived
 * from the installation key in state_dir (sensor/distinct.h), so that a
 * capture or log replayed on one installation gives the same estimates and
 * alerts every time, while values that collide or dodge the counting cannot
 * be chosen without the key. Without a usable state_dir: a key of this run. */
static uint64_t engine_key(const struct detect_config *cfg)
{
    static const char label[] = "breachwatch detect key v1";
    uint8_t key[BW_DISTINCT_KEY_LEN];
    struct bw_err err;
    const char *dir = cfg->conf != NULL ? cfg->conf->state_dir : "";
    if (dir[0] && bw_distinct_key_load(dir, key, &err) == 0)
        return bw_siphash(key, label, sizeof(label) - 1);
    if (dir[0])
        bw_warn("detect: %s: a key for this run only (estimates vary between runs)", err.msg);
    return (uint64_t)bw_now_us() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)cfg;
}

struct detect_engine *detect_new(const struct detect_config *cfg, struct rule_set *rules,
                                 struct bw_err *err)
{
    struct detect_engine *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    if (e->cfg.memcap == 0)
        e->cfg.memcap = 64ull << 20;
    int ht_ok = gtab_init(&e->ht, 8192) == 0; /* grows with the groups */
    /* Alert ids must stay unique across restarts and across sensors started in
     * the same second on one host (the demo starts one per capture): start
     * time in microseconds and the process id. */
    e->boot = bw_now_us() ^ ((int64_t)getpid() << 44);
    e->hash_key = engine_key(cfg);
    if (!ht_ok || install_rules(e, rules) != 0) {
        bw_err_set(err, "out of memory");
        detect_free(e);
        return NULL;
    }
    if (e->cfg.state_dir[0]) {
        char path[512];
        struct db_reader_cb cb = {load_learn_cb, load_group_cb, e};
        snprintf(path, sizeof(path), "%s/baselines.tsv", e->cfg.state_dir);
        if (db_read(path, &cb, &e->st.baseline_bad_lines, err) != 0) {
            detect_free(e);
            return NULL;
        }
        for (size_t i = 0; i < e->rules->n; i++)
            e->dr[i].learn_start = learn_take(e, e->rules->v[i].id);
    }
    return e;
}

void detect_free(struct detect_engine *e)
{
    if (e == NULL)
        return;
    if (e->rules != NULL) {
        detect_flush(e);
        if (e->cfg.state_dir[0]) {
            struct bw_err err;
            if (detect_save(e, &err) != 0)
                bw_error("detect: %s", err.msg);
        }
    }
    while (e->lru_head)
        group_free(e, e->lru_head);
    gtab_fini(&e->ht);
    free(e->dr);
    free(e->learn);
    rule_set_unref(e->rules);
    free(e);
}

void detect_set_alert_fn(struct detect_engine *e, detect_alert_fn fn, void *ctx)
{
    e->alert_fn = fn;
    e->alert_ctx = ctx;
}

void detect_set_evidence_fn(struct detect_engine *e, alert_evidence_fn fn, void *ctx)
{
    e->ev_fn = fn;
    e->ev_ctx = ctx;
}

void detect_set_inventory(struct detect_engine *e, const struct inventory *inv)
{
    e->inv = inv;
    for (size_t i = 0; e->rules != NULL && i < e->rules->n; i++) {
        const struct rule *r = &e->rules->v[i];
        const struct inventory_dataset *d;
        if (!r->estimate_dataset[0])
            continue;
        if (inv == NULL || (d = inventory_find(inv, r->estimate_dataset)) == NULL)
            bw_warn("rule %s: estimate dataset '%s' is not in the inventory: no estimate", r->id,
                    r->estimate_dataset);
        else if (d->export_record_bytes == 0)
            bw_warn("rule %s: dataset '%s' has no export_record_bytes: no estimate", r->id,
                    r->estimate_dataset);
    }
}

void detect_set_records_fn(struct detect_engine *e, detect_records_fn fn, void *ctx)
{
    e->rec_fn = fn;
    e->rec_ctx = ctx;
}

const struct rule_set *detect_rules(const struct detect_engine *e)
{
    return e->rules;
}

void detect_reload(struct detect_engine *e, struct rule_set *rules)
{
    /* the groups' rule indexes are into the old set until remapped */
    struct rule_set *old = rule_set_ref(e->rules);
    if (install_rules(e, rules) != 0) {
        bw_error("detect: reload: out of memory, keeping the old rules");
        rule_set_unref(old);
        return;
    }
    struct dgroup *g = e->lru_head, *next;
    for (; g; g = next) {
        next = g->lnext;
        int ri = g->rule >= 0 ? rule_set_find(e->rules, old->v[g->rule].id) : -1;
        /* a rule that now learns starts its groups afresh (no room for it) */
        if (ri < 0 || (rule_learns(&e->rules->v[ri]) && g->bl == NULL)) {
            g->rule = -1;
            group_free(e, g);
            continue;
        }
        const struct rule *r = &e->rules->v[ri];
        g->rule = ri;
        if (r->window_us != g->win_us || r->buckets != g->win.n || e->dr[ri].nsk != g->win.nsk) {
            struct dw_window nw;
            if (dw_init(&nw, r->buckets, r->window_us, e->dr[ri].nsk) != 0) {
                group_free(e, g);
                continue;
            }
            group_account(e, g);
            e->mem -= dw_alloc_size(g->win.n, g->win.nsk) + g->heap_seen;
            e->mem += dw_alloc_size(nw.n, nw.nsk);
            g->size += dw_alloc_size(nw.n, nw.nsk) - dw_alloc_size(g->win.n, g->win.nsk);
            g->size -= g->heap_seen;
            g->heap_seen = 0;
            dw_fini(&g->win);
            g->win = nw;
            g->win_us = r->window_us;
        }
        if (g->active)
            g->ga->al.rule = r;
    }
    rule_set_unref(old);
}

/* ---------------------------------------------------------------- measures */

static double measure_value(struct detect_engine *e, struct dgroup *g, enum rule_measure m,
                            const struct dw_sums *s, int64_t ts)
{
    const struct drule *d = &e->dr[g->rule];
    switch (m) {
    case RM_RECORDS:
        return (double)s->records;
    case RM_BYTES:
        return (double)s->bytes;
    case RM_REQUESTS:
        return (double)s->requests;
    case RM_DISTINCT_URIS:
        return dw_distinct(&g->win, ts, d->sk_uri);
    case RM_DISTINCT_IDS:
        return dw_distinct(&g->win, ts, d->sk_ids);
    case RM_DNS_SUBDOMAINS:
        return dw_distinct(&g->win, ts, d->sk_sub);
    case RM_DNS_LABEL_MAX:
        return s->label_max;
    case RM_DNS_ENTROPY:
        return s->ent_mean;
    case RM_PII: {
        double best = 0;
        for (int t = 0; t < NPII; t++)
            if (d->sk_pii[t] >= 0) {
                double v = dw_distinct(&g->win, ts, d->sk_pii[t]);
                if (v > best)
                    best = v;
            }
        return best;
    }
    case RM_MAX:
        break;
    }
    return 0;
}

/* Numeric ids in a URI or statement: every run of digits (at most 8). */
static void add_ids(struct detect_engine *e, struct dw_window *w, int slot, int k, const char *s)
{
    int n = 0;
    for (const char *p = s; *p && n < 8;) {
        if (*p >= '0' && *p <= '9') {
            const char *q = p;
            while (*q >= '0' && *q <= '9')
                q++;
            while (p < q - 1 && *p == '0')
                p++;
            dw_sketch_add(w, slot, k, dd_hash(e->hash_key ^ 0x1d, p, (size_t)(q - p)));
            n++;
            p = q;
        } else {
            p++;
        }
    }
}

static uint64_t event_records(struct detect_engine *e, const struct bw_access *ev)
{
    if (ev->records_src == ACCESS_REC_NONE && ev->records == 0 && e->rec_fn != NULL)
        return e->rec_fn(e->rec_ctx, ev);
    return ev->records;
}

static void add_event(struct detect_engine *e, struct dgroup *g, int slot,
                      const struct bw_access *ev, uint64_t records, const struct dns_split *dn)
{
    const struct drule *d = &e->dr[g->rule];
    struct dw_bucket *b = dw_bucket(&g->win, slot);
    b->records += records;
    b->bytes += ev->bytes;
    b->requests += (uint32_t)ev->requests;
    struct dw_extra *x;
    if (dn != NULL && dn->sub_len > 0 && (x = dw_extra(&g->win, slot)) != NULL) {
        uint16_t lm = ev->dns_label_max ? ev->dns_label_max : dn->label_max;
        double ent = ev->dns_entropy > 0 ? ev->dns_entropy : dn->entropy;
        if (lm > x->label_max)
            x->label_max = lm;
        x->ent_sum += ent;
        x->ent_n++;
    }
    if (d->sk_uri >= 0 && ev->detail[0])
        dw_sketch_add(&g->win, slot, d->sk_uri,
                      dd_hash(e->hash_key ^ 0x75, ev->detail, strlen(ev->detail)));
    if (d->sk_ids >= 0)
        add_ids(e, &g->win, slot, d->sk_ids, ev->detail);
    if (d->sk_sub >= 0 && dn != NULL && dn->sub_len > 0) {
        const char *name = ev->detail[0] ? ev->detail : ev->dataset;
        dw_sketch_add(&g->win, slot, d->sk_sub, dd_hash(e->hash_key ^ 0x5b, name, dn->sub_len));
    }
#if DETECT_HAVE_PII
    if (ev->pii != NULL)
        for (int t = 0; t < PII_TYPE_MAX; t++) {
            if (ev->pii->matches[t] > 0 && (x = dw_extra(&g->win, slot)) != NULL)
                x->pii[t] += (uint32_t)ev->pii->matches[t];
            if (d->sk_pii[t] >= 0 && ev->pii->distinct[t] != NULL)
                dw_sketch_merge(&g->win, slot, d->sk_pii[t], ev->pii->distinct[t]->reg,
                                BW_DISTINCT_P);
        }
#endif
}

/* ---------------------------------------------------------------- alerts */

/* Copies at most size-1 bytes of a string and terminates it. */
static void str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void fill_context(struct galert *ga, const struct bw_access *ev)
{
    struct bw_alert *a = &ga->al;
    access_channel_str(ev, a->channel, sizeof(a->channel));
    a->actor_ip = ev->actor_ip;
    a->actor_port = ev->actor_port;
    a->dest_ip = ev->dest_ip;
    a->dest_port = ev->dest_port;
    str_copy(a->actor_user, sizeof(a->actor_user), ev->actor_user);
    str_copy(a->dataset, sizeof(a->dataset), ev->dataset);
    a->flow_id = ev->flow_id;
    ga->direction = ev->direction;
}

static void emit(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev)
{
    struct bw_alert *a = &g->ga->al;
    const struct rule *r = &e->rules->v[g->rule];
    a->rule = r;
    a->window_s = r->window_us / 1000000;
    a->measure = rule_measure_name(r->measure);
    /* how the records were derived: one source, or several */
    if (g->src_mask == 0)
        a->records_source = access_records_src_name(ACCESS_REC_NONE);
    else if ((g->src_mask & (g->src_mask - 1)) != 0)
        a->records_source = "mixed";
    else
        a->records_source =
            access_records_src_name((enum access_records_src)__builtin_ctz(g->src_mask));
    snprintf(a->estimate_dataset, sizeof(a->estimate_dataset), "%s", g->est_dataset);
    a->estimate_record_bytes = g->est_record_bytes;
    a->npii = 0;
    for (int t = 0; t < NPII && a->npii < ALERT_PII_MAX; t++)
        if (g->ga->pii_total[t]) {
            a->pii[a->npii].type = rule_pii_names[t];
            a->pii[a->npii++].count = g->ga->pii_total[t];
        }
    /* where the data went, when that is outside home_net */
    const struct bw_addr *recv = g->ga->direction == ACCESS_SEND ? &a->dest_ip : &a->actor_ip;
    a->has_geo = 0;
    if (recv->family && e->cfg.conf != NULL && !config_is_home(e->cfg.conf, recv)) {
        struct geo_result gr;
        memset(&gr, 0, sizeof(gr));
        if (e->cfg.geo != NULL)
            geo_lookup(e->cfg.geo, recv, &gr);
        a->has_geo = 1;
        memcpy(a->country, gr.country, sizeof(a->country));
        a->asn = gr.asn;
    }
    if (a->update == 0 && ev != NULL && e->ev_fn != NULL)
        e->ev_fn(e->ev_ctx, a, ev);
    if (a->update == 0)
        e->st.alerts++;
    else
        e->st.updates++;
    if (e->alert_fn)
        e->alert_fn(e->alert_ctx, a);
    g->last_emit = a->ts_us;
    g->dirty = 0;
}

static void close_period(struct detect_engine *e, struct dgroup *g)
{
    if (g->dirty) {
        g->ga->al.update++;
        emit(e, g, NULL);
    }
    g->active = 0;
    act_unlink(e, g);
    free(g->ga);
    g->ga = NULL;
    g->size -= sizeof(struct galert);
    e->mem -= sizeof(struct galert);
}

static void open_alert(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev,
                       const struct dw_sums *s, double value, double limit, int has_bl,
                       const struct rule *r)
{
    /* not active, so no alert is held (close_period frees it) */
    if ((g->ga = calloc(1, sizeof(*g->ga))) == NULL) {
        e->st.alloc_fail++;
        bw_error("detect: out of memory: alert of rule %s not raised", r->id);
        return;
    }
    g->size += sizeof(struct galert);
    e->mem += sizeof(struct galert);
    struct bw_alert *a = &g->ga->al;
    fill_context(g->ga, ev);
    snprintf(a->alert_id, sizeof(a->alert_id), "%s-%" PRIx64 "-%" PRIu64, e->cfg.sensor_id,
             (uint64_t)e->boot, ++e->seq);
    a->count = 1;
    a->ts_us = a->first_seen_us = a->last_seen_us = ev->ts_us;
    a->records = s->records;
    a->bytes = s->bytes;
    for (int t = 0; t < DW_PII_TYPES; t++)
        g->ga->pii_total[t] = s->pii[t];
    a->value = value;
    a->limit = limit;
    a->has_baseline = has_bl;
    if (has_bl) {
        db_stats(g->bl, &a->median, &a->mad);
        a->k = r->k;
    }
    g->active = 1;
    g->period_end = ev->ts_us + (int64_t)r->suppress_us;
    act_link(e, g);
    emit(e, g, ev);
}

/* ---------------------------------------------------------------- events */

/* The address parts of group keys, formatted at most once per event however
 * many rules match it (formatting was a quarter of the engine's time). */
struct ev_keys {
    const struct bw_access *ev;
    char actor[BW_ADDR_STRLEN + 1 + ACCESS_USER_MAX]; /* "ip" or "ip/user" */
    char dest[BW_ADDR_STRLEN];
    size_t actor_len, dest_len; /* 0 = not formatted yet */
};

/* Appends n bytes of s to out[*off], keeping room for the NUL. */
static void key_put(char *out, size_t outlen, size_t *off, const char *s, size_t n)
{
    if (n > outlen - 1 - *off)
        n = outlen - 1 - *off;
    memcpy(out + *off, s, n);
    *off += n;
}

static void group_key(const struct rule *r, struct ev_keys *k, const struct dns_split *dn,
                      char *out, size_t outlen)
{
    const struct bw_access *ev = k->ev;
    size_t off = 0;
    /* The actor is the address and, when the source names one, the user
     * (app@10.77.0.66 and backup@10.77.0.66 are two actors, each alert
     * names its own): "ip" or "ip/user". */
    if (r->group_by != RG_DOMAIN && k->actor_len == 0) {
        bw_addr_fmt(&ev->actor_ip, k->actor);
        size_t n = strlen(k->actor);
        if (ev->actor_user[0]) {
            k->actor[n++] = '/';
            size_t u = strnlen(ev->actor_user, ACCESS_USER_MAX - 1);
            memcpy(k->actor + n, ev->actor_user, u);
            n += u;
            k->actor[n] = '\0';
        }
        k->actor_len = n;
    }
    switch (r->group_by) {
    case RG_ACTOR:
        key_put(out, outlen, &off, k->actor, k->actor_len);
        break;
    case RG_ACTOR_DATASET:
        key_put(out, outlen, &off, k->actor, k->actor_len);
        key_put(out, outlen, &off, " ", 1);
        key_put(out, outlen, &off, ev->dataset, strlen(ev->dataset));
        break;
    case RG_ACTOR_DEST: {
        /* the address alone: the user does not split a host's uploads */
        size_t ip_len = strcspn(k->actor, "/");
        if (k->dest_len == 0) {
            bw_addr_fmt(&ev->dest_ip, k->dest);
            k->dest_len = strlen(k->dest);
        }
        key_put(out, outlen, &off, k->actor, ip_len);
        key_put(out, outlen, &off, " ", 1);
        key_put(out, outlen, &off, k->dest, k->dest_len);
        break;
    }
    case RG_DOMAIN:
        key_put(out, outlen, &off, dn->reg, dn->reg_len);
        break;
    }
    out[off] = '\0';
}

static void sample_baseline(struct detect_engine *e, struct dgroup *g, const struct rule *r,
                            int64_t ts)
{
    struct db_baseline *b = g->bl;
    /* Sampling periods are aligned to multiples of the window, so that each
     * sample is exactly the buckets of one past window. */
    if (b->next_sample_us == 0) {
        b->next_sample_us = (ts / (int64_t)r->window_us + 1) * (int64_t)r->window_us;
        return;
    }
    if (ts < b->next_sample_us)
        return;
    /* The window that just ended had activity (this group's previous event);
     * idle windows are not samples, so a sporadic reader's baseline is what
     * it reads when it reads, not a median of zeros. */
    struct dw_sums s;
    dw_sum(&g->win, b->next_sample_us - 1, &s);
    double v = measure_value(e, g, r->measure, &s, b->next_sample_us - 1);
    if (v > 0)
        db_push(b, v);
    uint64_t idle = (uint64_t)(ts - b->next_sample_us) / r->window_us;
    b->next_sample_us += (int64_t)((idle + 1) * r->window_us);
    g->known = 1;
}

/* A rule's `estimate`: records of an opaque flow (tls, or no parser) from its
 * payload bytes and the export record size of the dataset the rule names.
 * Returns the dataset, or NULL when the estimate does not apply. */
static const struct inventory_dataset *estimate_for(const struct detect_engine *e,
                                                    const struct rule *r,
                                                    const struct bw_access *ev, uint64_t *records)
{
    const struct inventory_dataset *d;
    if (!r->estimate_dataset[0] || e->inv == NULL || ev->channel != ACCESS_CH_FLOW ||
        ev->records_src != ACCESS_REC_NONE || ev->records != 0)
        return NULL;
    /* parsed channels keep their exact (rows) or content (PII) counts */
    if (ev->detail[0] && strcmp(ev->detail, "tls") != 0)
        return NULL;
    if ((d = inventory_find(e->inv, r->estimate_dataset)) == NULL || d->export_record_bytes == 0)
        return NULL;
    *records = (ev->payload_bytes + d->export_record_bytes / 2) / d->export_record_bytes;
    return d;
}

static void rule_event(struct detect_engine *e, int ri, const struct bw_access *ev,
                       uint64_t records, enum access_records_src rsrc,
                       const struct inventory_dataset *est, const struct dns_split *dn,
                       struct ev_keys *k)
{
    const struct rule *r = &e->rules->v[ri];
    struct drule *d = &e->dr[ri];
    char key[GROUP_KEY_MAX];
    group_key(r, k, dn, key, sizeof(key));
    uint64_t h = key_hash(e, r->id, key);
    struct dgroup *g = group_find(e, h, ri, key);
    int was_known;
    if (g == NULL && (g = group_new(e, ri, h, key)) == NULL)
        return;
    if (g != e->lru_head) {
        lru_unlink(e, g);
        lru_push(e, g);
    }
    if (d->learn_start == INT64_MIN)
        d->learn_start = ev->ts_us;
    if (g->active && ev->ts_us >= g->period_end)
        close_period(e, g);
    was_known = g->known;
    if (g->bl != NULL)
        sample_baseline(e, g, r, ev->ts_us);
    int slot = dw_slot(&g->win, ev->ts_us);
    if (slot < 0) {
        e->st.late++;
        return;
    }
    add_event(e, g, slot, ev, records, dn);
    group_account(e, g);
    if (records > 0)
        g->src_mask |= 1u << rsrc;
    if (est != NULL && records > 0) {
        snprintf(g->est_dataset, sizeof(g->est_dataset), "%s", est->id);
        g->est_record_bytes = est->export_record_bytes;
    }
    if (g->active) {
        struct bw_alert *a = &g->ga->al;
        a->records += records;
        a->bytes += ev->bytes;
#if DETECT_HAVE_PII
        if (ev->pii != NULL)
            for (int t = 0; t < PII_TYPE_MAX; t++)
                g->ga->pii_total[t] += ev->pii->matches[t];
#endif
        if (ev->ts_us > a->last_seen_us)
            a->last_seen_us = ev->ts_us;
        g->dirty = 1;
    }

    /* limit */
    int64_t ts = ev->ts_us;
    int has_bl = 0;
    double limit = r->threshold;
    if (r->baseline || r->first_seen) {
        int training = r->learn_us > 0 && ts < d->learn_start + (int64_t)r->learn_us;
        if (training)
            goto updates;
    }
    if (r->first_seen && was_known)
        goto updates;
    if (r->baseline) {
        if (g->bl->n > 0) {
            limit = db_limit(g->bl, r->threshold, r->k, r->mad_floor);
            has_bl = 1;
        } else if (r->threshold <= 0) {
            goto updates;
        }
    }
    struct dw_sums s;
    dw_sum(&g->win, ts, &s);
    double value = measure_value(e, g, r->measure, &s, ts);
    if (value < limit)
        goto updates;
    for (int i = 0; i < r->nrequire; i++)
        if (measure_value(e, g, r->require[i].measure, &s, ts) < r->require[i].min)
            goto updates;
    if (!g->active) {
        open_alert(e, g, ev, &s, value, limit, has_bl, r);
        group_account(e, g);
        return;
    }
    g->ga->al.count++;
    if (value > g->ga->al.value) {
        g->ga->al.value = value;
        g->ga->al.limit = limit;
    }
updates:
    group_account(e, g);
    if (g->active && g->dirty && ts - g->last_emit >= (int64_t)r->update_us) {
        g->ga->al.update++;
        g->ga->al.ts_us = ts;
        emit(e, g, NULL);
    }
}

void detect_access(struct detect_engine *e, const struct bw_access *ev)
{
    e->st.events++;
    if (e->rules->n == 0)
        return;
    const struct bw_config *conf = e->cfg.conf;
    const struct bw_addr *recv = ev->direction == ACCESS_SEND ? &ev->dest_ip : &ev->actor_ip;
    struct rule_glob_memo memo = {NULL, false};
    struct rule_match_ctx m = {
        .recv = recv,
        .actor_home = conf ? config_is_home(conf, &ev->actor_ip) : true,
        .dest_home = conf ? config_is_home(conf, recv) : true,
        .dest_country = NULL,
        .dest_asn = 0,
        .utc_offset_min = e->cfg.utc_offset_min,
        .memo = &memo,
    };
    struct geo_result gr;
    int geo_done = 0, matched = 0;
    uint64_t records = event_records(e, ev);
    struct dns_split dn, *dnp = NULL;
    struct ev_keys keys = {.ev = ev};
    if (ev->channel == ACCESS_CH_DNS || ev->dns_qtype != 0) {
        const char *name = ev->detail[0] ? ev->detail : ev->dataset;
        dns_split_name(name, strlen(name), &dn);
        dnp = &dn;
    }
    for (size_t i = 0; i < e->rules->n; i++) {
        const struct rule *r = &e->rules->v[i];
        if (rule_needs_geo(r) && !geo_done && rule_match_channel(r, ev)) {
            memset(&gr, 0, sizeof(gr));
            if (e->cfg.geo != NULL && !m.dest_home && recv->family)
                geo_lookup(e->cfg.geo, recv, &gr);
            m.dest_country = gr.country;
            m.dest_asn = gr.asn;
            geo_done = 1;
        }
        if (!rule_match(r, ev, &m))
            continue;
        if (rule_allowed(r, ev)) {
            e->st.allowlisted++;
            continue;
        }
        if (r->group_by == RG_DOMAIN && dnp == NULL) {
            dns_split_name(ev->dataset, strlen(ev->dataset), &dn);
            dnp = &dn;
        }
        matched = 1;
        uint64_t rrec = records;
        enum access_records_src rsrc = ev->records_src;
        const struct inventory_dataset *est = estimate_for(e, r, ev, &rrec);
        if (est != NULL)
            rsrc = ACCESS_REC_ESTIMATE;
        else if (rsrc == ACCESS_REC_NONE && records > 0)
            rsrc = ACCESS_REC_INVENTORY; /* from the records hook (the data inventory) */
        rule_event(e, (int)i, ev, rrec, rsrc, est, dnp, &keys);
    }
    e->st.matched += (uint64_t)matched;
}

static void sink_emit(void *ctx, const struct bw_access *ev)
{
    detect_access(ctx, ev);
}

struct access_sink detect_sink(struct detect_engine *e)
{
    struct access_sink s = {sink_emit, e};
    return s;
}

void detect_tick(struct detect_engine *e, int64_t now_us)
{
    struct dgroup *g = e->act_head, *next;
    for (; g; g = next) {
        next = g->anext;
        const struct rule *r = &e->rules->v[g->rule];
        if (now_us >= g->period_end) {
            close_period(e, g);
        } else if (g->dirty && now_us - g->last_emit >= (int64_t)r->update_us) {
            g->ga->al.update++;
            g->ga->al.ts_us = now_us;
            emit(e, g, NULL);
        }
    }
}

void detect_flush(struct detect_engine *e)
{
    for (struct dgroup *g = e->act_head; g; g = g->anext)
        if (g->dirty) {
            g->ga->al.update++;
            if (g->ga->al.last_seen_us > g->ga->al.ts_us)
                g->ga->al.ts_us = g->ga->al.last_seen_us;
            emit(e, g, NULL);
        }
}

static int mkdir_p(const char *dir)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

int detect_save(struct detect_engine *e, struct bw_err *err)
{
    char path[512];
    struct db_writer w;
    if (e->cfg.state_dir[0] == '\0')
        return 0;
    if (mkdir_p(e->cfg.state_dir) != 0)
        return bw_err_set(err, "%s: %s", e->cfg.state_dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/baselines.tsv", e->cfg.state_dir);
    if (db_writer_open(&w, path, err))
        return -1;
    for (size_t i = 0; i < e->rules->n; i++)
        if (e->dr[i].learn_start != INT64_MIN)
            db_writer_learn(&w, e->rules->v[i].id, e->dr[i].learn_start);
    /* oldest first, so that a reload inserts in LRU order */
    for (struct dgroup *g = e->lru_tail; g; g = g->lprev) {
        if (g->rule < 0)
            continue;
        const struct rule *r = &e->rules->v[g->rule];
        if (!rule_learns(r) || g->bl == NULL)
            continue;
        db_writer_group(&w, r->id, g->key, g->bl);
    }
    return db_writer_commit(&w, err);
}

void detect_get_stats(const struct detect_engine *e, struct detect_stats *out)
{
    *out = e->st;
}

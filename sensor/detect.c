/* The detection engine (see detect.h and docs/detection.md): configuration,
 * rule sets and reload, lifecycle and the baselines kept in state_dir. Groups
 * are in detect-group.c, alerts in detect-alert.c, events in detect-event.c. */
#include "sensor/detect-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "sensor/geo.h"
#include "sensor/inventory.h"

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
    uint64_t h = dgroup_key_hash(e, rule_id, key);
    struct dgroup *g = dgroup_find(e, h, ri, key);
    if (g == NULL)
        g = dgroup_new(e, ri, h, key);
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
        dgroup_free(e, e->lru_head);
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
        if (ri < 0 || (dgroup_learns(&e->rules->v[ri]) && g->bl == NULL)) {
            g->rule = -1;
            dgroup_free(e, g);
            continue;
        }
        const struct rule *r = &e->rules->v[ri];
        g->rule = ri;
        if (r->window_us != g->win_us || r->buckets != g->win.n || e->dr[ri].nsk != g->win.nsk) {
            struct dw_window nw;
            if (dw_init(&nw, r->buckets, r->window_us, e->dr[ri].nsk) != 0) {
                dgroup_free(e, g);
                continue;
            }
            dgroup_account(e, g);
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
        if (!dgroup_learns(r) || g->bl == NULL)
            continue;
        db_writer_group(&w, r->id, g->key, g->bl);
    }
    return db_writer_commit(&w, err);
}

void detect_get_stats(const struct detect_engine *e, struct detect_stats *out)
{
    *out = e->st;
}

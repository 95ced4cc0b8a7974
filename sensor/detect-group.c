/* Detector groups (see detect-internal.h): one allocation per group (group,
 * key, window, baseline), the open-addressing table, the LRU list and eviction
 * under the memcap, and the accounting of what windows allocate later. */
#include "sensor/detect-internal.h"

#include <stdlib.h>
#include <string.h>

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

uint64_t dgroup_key_hash(const struct detect_engine *e, const char *rule_id, const char *key)
{
    return str_hash(str_hash(e->hash_key, rule_id), key);
}

void dgroup_lru_unlink(struct detect_engine *e, struct dgroup *g)
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

void dgroup_lru_push(struct detect_engine *e, struct dgroup *g)
{
    g->lnext = e->lru_head;
    g->lprev = NULL;
    if (e->lru_head)
        e->lru_head->lprev = g;
    e->lru_head = g;
    if (e->lru_tail == NULL)
        e->lru_tail = g;
}

void dgroup_act_link(struct detect_engine *e, struct dgroup *g)
{
    g->aprev = NULL;
    g->anext = e->act_head;
    if (e->act_head)
        e->act_head->aprev = g;
    e->act_head = g;
}

void dgroup_act_unlink(struct detect_engine *e, struct dgroup *g)
{
    if (g->aprev)
        g->aprev->anext = g->anext;
    else if (e->act_head == g)
        e->act_head = g->anext;
    if (g->anext)
        g->anext->aprev = g->aprev;
    g->aprev = g->anext = NULL;
}

/* Counts what the group's window allocated or lost since the last call:
 * register sets that became dense count against the memcap. */
void dgroup_account(struct detect_engine *e, struct dgroup *g)
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

void dgroup_free(struct detect_engine *e, struct dgroup *g)
{
    dgroup_account(e, g);
    if (g->active)
        dgroup_act_unlink(e, g);
    gtab_del(&e->ht, g->hash, g);
    dgroup_lru_unlink(e, g);
    e->mem -= g->size;
    e->st.groups--;
    dw_fini(&g->win);
    free(g->ga);
    free(g);
}

static void evict(struct detect_engine *e, struct dgroup *g)
{
    if (g->active && g->dirty && g->rule >= 0)
        dalert_emit(e, g, NULL);
    e->st.evictions++;
    dgroup_free(e, g);
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

struct dgroup *dgroup_find(struct detect_engine *e, uint64_t h, int ri, const char *key)
{
    struct group_ref ref = {ri, key};
    return gtab_find(&e->ht, h, group_eq, &ref);
}

/* Rules that keep a history per group (learned baseline, first-seen). */
int dgroup_learns(const struct rule *r)
{
    return r->baseline || r->first_seen;
}

struct dgroup *dgroup_new(struct detect_engine *e, int ri, uint64_t h, const char *key)
{
    const struct rule *r = &e->rules->v[ri];
    size_t klen = strlen(key);
    /* one block: the group, its key, its window (aligned after the key),
     * and the learned baseline for the rules that learn */
    size_t head = (sizeof(struct dgroup) + klen + 1 + 7) & ~(size_t)7;
    size_t win = (size_t)dw_alloc_size(r->buckets, e->dr[ri].nsk);
    size_t size = head + win + (dgroup_learns(r) ? sizeof(struct db_baseline) : 0);
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
    g->bl = dgroup_learns(r) ? (struct db_baseline *)((char *)g + head + win) : NULL;
    dgroup_lru_push(e, g);
    e->mem += size;
    e->st.groups++;
    return g;
}

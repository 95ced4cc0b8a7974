/* Sliding window as a ring of buckets (see detect-window.h). */
#include "sensor/detect-window.h"

#include <stdlib.h>
#include <string.h>

uint64_t dw_alloc_size(int n, int nsk)
{
    return (uint64_t)n * sizeof(struct dw_bucket) +
           (uint64_t)n * (uint64_t)nsk * sizeof(struct dd_set) +
           (uint64_t)nsk * sizeof(struct dw_union);
}

static void bucket_clear(struct dw_window *w, int slot, int64_t idx)
{
    uint32_t mask = w->b[slot].skmask;
    memset(&w->b[slot], 0, sizeof(w->b[slot]));
    if (w->x != NULL)
        memset(&w->x[slot], 0, sizeof(w->x[slot]));
    w->b[slot].idx = idx;
    w->b[slot].used = 1;
    for (int k = 0; k < w->nsk; k++)
        if (mask & (1u << k))
            dd_set_clear(dw_sketch(w, slot, k));
}

/* A valid union of nothing; its registers must be zero already. A new
 * group's first questions need no rebuild over its buckets. */
static void union_empty(struct dw_union *u)
{
    u->sum = (double)DD_M; /* DD_M terms 2^-0 */
    u->zeros = DD_M;
    u->oldest = INT64_MAX;
    u->valid = 1;
}

void dw_init_at(struct dw_window *w, int n, uint64_t window_us, int nsk, void *block)
{
    memset(w, 0, sizeof(*w));
    w->n = n < 1 ? 1 : n;
    w->width_us = (int64_t)(window_us / (uint64_t)w->n);
    if (w->width_us < 1)
        w->width_us = 1;
    w->nsk = nsk;
    /* One zeroed block: buckets, then sketches, then unions (a group is
     * made for every new actor; one allocation instead of three). */
    size_t nb = (size_t)w->n * sizeof(*w->b), ns = (size_t)w->n * (size_t)nsk * sizeof(*w->sk);
    char *mem = block;
    w->b = (struct dw_bucket *)mem;
    w->sk = nsk > 0 ? (struct dd_set *)(mem + nb) : NULL;
    w->u = nsk > 0 ? (struct dw_union *)(mem + nb + ns) : NULL;
    w->head = INT64_MIN;
    for (int k = 0; k < nsk; k++)
        union_empty(&w->u[k]);
}

int dw_init(struct dw_window *w, int n, uint64_t window_us, int nsk)
{
    void *mem = calloc(1, dw_alloc_size(n < 1 ? 1 : n, nsk));
    if (mem == NULL)
        return -1;
    dw_init_at(w, n, window_us, nsk, mem);
    w->own = 1;
    return 0;
}

void dw_fini(struct dw_window *w)
{
    if (w->heap > 0) {
        for (int i = 0; i < w->n * w->nsk; i++)
            dd_set_free(&w->sk[i]);
        for (int k = 0; k < w->nsk; k++)
            dd_set_free(&w->u[k].s);
    }
    free(w->x);
    w->x = NULL;
    w->heap = 0;
    if (w->own)
        free(w->b); /* the one block of dw_init */
    w->b = NULL;
    w->sk = NULL;
    w->u = NULL;
}

static int slot_of(const struct dw_window *w, int64_t idx)
{
    int64_t s = idx % w->n;
    return (int)(s < 0 ? s + w->n : s);
}

int dw_slot(struct dw_window *w, int64_t ts_us)
{
    int64_t idx = ts_us / w->width_us;
    if (w->head != INT64_MIN && idx <= w->head) {
        if (idx <= w->head - w->n)
            return -1; /* older than the window */
        int s = slot_of(w, idx);
        if (!w->b[s].used || w->b[s].idx != idx)
            bucket_clear(w, s, idx);
        return s;
    }
    /* Advance: buckets between the old head and idx are reused. */
    int64_t from = w->head == INT64_MIN || idx - w->head > w->n ? idx - w->n + 1 : w->head + 1;
    for (int64_t i = from; i <= idx; i++) {
        int s = slot_of(w, i);
        if (!w->b[s].used && i != idx)
            continue; /* never used: already empty (a new group's window) */
        bucket_clear(w, s, i);
    }
    w->head = idx;
    return slot_of(w, idx);
}

struct dw_extra *dw_extra(struct dw_window *w, int slot)
{
    if (w->x == NULL) {
        if ((w->x = calloc((size_t)w->n, sizeof(*w->x))) == NULL) {
            w->oom++;
            return NULL;
        }
        w->heap += (uint64_t)w->n * sizeof(*w->x);
    }
    return &w->x[slot];
}

static int in_window(const struct dw_window *w, const struct dw_bucket *b, int64_t now_idx)
{
    return b->used && b->idx <= now_idx && b->idx > now_idx - w->n;
}

void dw_sum(const struct dw_window *w, int64_t ts_us, struct dw_sums *out)
{
    int64_t now = ts_us / w->width_us;
    uint64_t ent_n = 0;
    double ent = 0;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < w->n; i++) {
        const struct dw_bucket *b = &w->b[i];
        if (!in_window(w, b, now))
            continue;
        out->records += b->records;
        out->bytes += b->bytes;
        out->requests += b->requests;
        if (w->x == NULL)
            continue;
        const struct dw_extra *x = &w->x[i];
        ent += x->ent_sum;
        ent_n += x->ent_n;
        if (x->label_max > out->label_max)
            out->label_max = x->label_max;
        for (int t = 0; t < DW_PII_TYPES; t++)
            out->pii[t] += x->pii[t];
    }
    out->ent_mean = ent_n ? ent / (double)ent_n : 0.0;
}

/* Raises a register of a set; a set that becomes dense is counted in the
 * window's heap, one that cannot is counted as lost. Returns dd_set_raise's. */
static int set_raise(struct dw_window *w, struct dd_set *s, uint32_t i, uint8_t r, uint8_t *old)
{
    int had = s->reg != NULL;
    int rc = dd_set_raise(s, i, r, old);
    if (!had && s->reg != NULL)
        w->heap += DD_M;
    if (rc < 0)
        w->oom++;
    return rc;
}

static void union_raise(struct dw_window *w, struct dw_union *u, uint32_t i, uint8_t r)
{
    uint8_t old;
    if (set_raise(w, &u->s, i, r, &old) <= 0)
        return;
    u->sum += dd_term(r) - dd_term(old);
    u->zeros -= old == 0;
}

/* Bucket idx now contributes to the union. */
static void union_note(struct dw_union *u, int64_t idx)
{
    if (idx < u->oldest)
        u->oldest = idx;
}

void dw_sketch_add(struct dw_window *w, int slot, int k, uint64_t h)
{
    struct dd_set *s = dw_sketch(w, slot, k);
    uint32_t idx = dd_index(h);
    uint8_t r = dd_rank(h), old;
    w->b[slot].skmask |= 1u << k;
    union_note(&w->u[k], w->b[slot].idx);
    if (set_raise(w, s, idx, r, &old) > 0 && w->u[k].valid)
        union_raise(w, &w->u[k], idx, r);
}

void dw_sketch_merge(struct dw_window *w, int slot, int k, const uint8_t *regs, int p)
{
    struct dd_set *s = dw_sketch(w, slot, k);
    int extra = p - DD_P; /* index bits that become leading bits of the rest */
    uint32_t n = 1u << p;
    if (extra < 0 || extra > 16)
        return;
    w->b[slot].skmask |= 1u << k;
    union_note(&w->u[k], w->b[slot].idx);
    for (uint32_t i = 0; i < n; i++) {
        if (regs[i] == 0)
            continue;
        uint32_t j = i >> extra, low = i & ((1u << extra) - 1);
        /* rank over (low bits, then the rest): the first 1 bit of `low`, or
         * all `extra` bits zero plus the original rank */
        uint8_t r =
            low ? (uint8_t)(__builtin_clz(low) - (32 - extra) + 1) : (uint8_t)(regs[i] + extra);
        uint8_t old;
        if (set_raise(w, s, j, r, &old) > 0 && w->u[k].valid)
            union_raise(w, &w->u[k], j, r);
    }
}

double dw_distinct(struct dw_window *w, int64_t ts_us, int k)
{
    int64_t now = ts_us / w->width_us;
    struct dw_union *u = &w->u[k];
    /* Rebuilt only when a contributing bucket has left the window or a past
     * window is asked for; otherwise the union kept up with every add. */
    if (!u->valid || now < w->head || (u->oldest != INT64_MAX && u->oldest <= now - w->n)) {
        dd_set_clear(&u->s);
        u->oldest = INT64_MAX;
        for (int i = 0; i < w->n; i++)
            if (in_window(w, &w->b[i], now) && (w->b[i].skmask & (1u << k))) {
                int had = u->s.reg != NULL;
                if (dd_set_union(&u->s, dw_sketch(w, i, k)) != 0)
                    w->oom++;
                if (!had && u->s.reg != NULL)
                    w->heap += DD_M;
                union_note(u, w->b[i].idx);
            }
        dd_set_sum(&u->s, &u->sum, &u->zeros);
        /* a past window's union must not take later adds */
        u->valid = now >= w->head;
    }
    return dd_estimate_sum(u->sum, u->zeros);
}

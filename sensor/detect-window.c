/* Sliding window as a ring of buckets (see detect-window.h). */
#include "sensor/detect-window.h"

#include <stdlib.h>
#include <string.h>

uint64_t dw_alloc_size(int n, int nsk)
{
    return (uint64_t)n * sizeof(struct dw_bucket) + (uint64_t)n * (uint64_t)nsk * sizeof(struct dd_sketch);
}

static void bucket_clear(struct dw_window *w, int slot, int64_t idx)
{
    memset(&w->b[slot], 0, sizeof(w->b[slot]));
    w->b[slot].idx = idx;
    for (int k = 0; k < w->nsk; k++)
        dd_clear(dw_sketch(w, slot, k));
}

int dw_init(struct dw_window *w, int n, uint64_t window_us, int nsk)
{
    memset(w, 0, sizeof(*w));
    w->n = n < 1 ? 1 : n;
    w->width_us = (int64_t)(window_us / (uint64_t)w->n);
    if (w->width_us < 1)
        w->width_us = 1;
    w->nsk = nsk;
    w->b = malloc((size_t)w->n * sizeof(*w->b));
    if (w->b == NULL)
        return -1;
    if (nsk > 0) {
        w->sk = malloc((size_t)w->n * (size_t)nsk * sizeof(*w->sk));
        if (w->sk == NULL) {
            free(w->b);
            w->b = NULL;
            return -1;
        }
    }
    dw_reset(w);
    return 0;
}

void dw_fini(struct dw_window *w)
{
    free(w->b);
    free(w->sk);
    w->b = NULL;
    w->sk = NULL;
}

void dw_reset(struct dw_window *w)
{
    w->head = INT64_MIN;
    for (int i = 0; i < w->n; i++)
        bucket_clear(w, i, INT64_MIN);
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
        if (w->b[s].idx != idx)
            bucket_clear(w, s, idx);
        return s;
    }
    /* Advance: buckets between the old head and idx are reused. */
    int64_t from = w->head == INT64_MIN || idx - w->head > w->n ? idx - w->n + 1 : w->head + 1;
    for (int64_t i = from; i <= idx; i++)
        bucket_clear(w, slot_of(w, i), i);
    w->head = idx;
    return slot_of(w, idx);
}

static int in_window(const struct dw_window *w, const struct dw_bucket *b, int64_t now_idx)
{
    return b->idx != INT64_MIN && b->idx <= now_idx && b->idx > now_idx - w->n;
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
        ent += b->ent_sum;
        ent_n += b->ent_n;
        if (b->label_max > out->label_max)
            out->label_max = b->label_max;
        for (int t = 0; t < DW_PII_TYPES; t++)
            out->pii[t] += b->pii[t];
    }
    out->ent_mean = ent_n ? ent / (double)ent_n : 0.0;
}

double dw_distinct(const struct dw_window *w, int64_t ts_us, int k)
{
    const struct dd_sketch *v[RULE_BUCKETS_CAP];
    size_t n = 0;
    int64_t now = ts_us / w->width_us;
    for (int i = 0; i < w->n && n < RULE_BUCKETS_CAP; i++)
        if (in_window(w, &w->b[i], now))
            v[n++] = dw_sketch((struct dw_window *)w, i, k);
    return n ? dd_estimate_union(v, n) : 0.0;
}

/* Sliding windows for detectors: a ring of N buckets per group, each covering
 * window/N of time, so memory per group is bounded and a dump sliced into
 * many small reads still adds up (carry-over) until its buckets age out.
 * Distinct sketches are register sets (detect-distinct.h): sparse inside the
 * window's block, dense on the heap once they fill (counted in `heap`). */
#ifndef BW_DETECT_WINDOW_H
#define BW_DETECT_WINDOW_H

#include <stdint.h>

#include "sensor/detect-distinct.h"

#define DW_PII_TYPES     10 /* at least PII_TYPE_MAX */
#define RULE_BUCKETS_CAP 64 /* at least RULE_MAX_BUCKETS */

struct dw_bucket {
    int64_t idx; /* ts / width of the bucket held, when used */
    uint64_t records, bytes;
    uint32_t requests;
    uint16_t skmask; /* sketches of this bucket that hold something (bit k) */
    uint16_t used;   /* 0: never held a bucket (zeroed memory is empty) */
};

/* What only DNS events and events with personal data carry, per bucket: kept
 * beside the buckets, allocated on a window's first such event (a web log's
 * groups never need it). */
struct dw_extra {
    double ent_sum; /* DNS: sum of subdomain entropies */
    uint32_t ent_n; /* DNS: events with a subdomain */
    uint32_t label_max;
    uint32_t pii[DW_PII_TYPES]; /* raw validated matches by type */
};

/* The union of a sketch over the buckets of the window, kept incrementally:
 * adds raise its registers and its running HyperLogLog sum, so an estimate is
 * O(1); it is rebuilt from the buckets only when the window moved. */
struct dw_union {
    struct dd_set s;
    double sum;
    uint32_t zeros;
    int64_t oldest; /* oldest bucket index that contributed; INT64_MAX = none */
    int valid;      /* 0: rebuild from the buckets at the next question */
};

struct dw_window {
    int n;
    int64_t width_us;
    int64_t head; /* newest bucket index; INT64_MIN before the first event */
    int nsk;      /* distinct sketches per bucket */
    struct dw_bucket *b;
    struct dd_set *sk;  /* n * nsk, bucket-major */
    struct dw_union *u; /* nsk */
    uint64_t heap;      /* bytes of dense register blocks held */
    struct dw_extra *x; /* n of them, or NULL until needed (dw_extra) */
    uint64_t oom;       /* adds lost because a set or the extras could not be allocated */
    int own;            /* the block is dw_init's (else the caller's, dw_init_at) */
};

/* Sums of the buckets inside the window ending at a time. */
struct dw_sums {
    uint64_t records, bytes, requests;
    double ent_mean;
    uint32_t label_max;
    uint64_t pii[DW_PII_TYPES];
};

/* Allocates n buckets (and n * nsk sketches). Returns 0 or -1 (out of memory). */
int dw_init(struct dw_window *w, int n, uint64_t window_us, int nsk);
/* The same in caller memory: dw_alloc_size(n, nsk) zeroed bytes, aligned
 * for a pointer, that outlive the window (a group's one allocation). */
void dw_init_at(struct dw_window *w, int n, uint64_t window_us, int nsk, void *mem);
/* Frees the dense register blocks, and the block when dw_init allocated it. */
void dw_fini(struct dw_window *w);
/* Bytes dw_init allocates for these parameters (memcap accounting; dense
 * register blocks come on top, see `heap`). */
uint64_t dw_alloc_size(int n, int nsk);
/* The bucket for ts, advancing the ring (older buckets are cleared). A late
 * event still inside the window goes to its own bucket; one older than the
 * window returns -1. Returns the bucket slot. */
int dw_slot(struct dw_window *w, int64_t ts_us);
static inline struct dw_bucket *dw_bucket(struct dw_window *w, int slot)
{
    return &w->b[slot];
}
static inline struct dd_set *dw_sketch(const struct dw_window *w, int slot, int k)
{
    return &w->sk[(size_t)slot * (size_t)w->nsk + (size_t)k];
}
/* The extras of a bucket, allocating them for the window on first use (counted
 * in heap). NULL when out of memory (counted in oom). */
struct dw_extra *dw_extra(struct dw_window *w, int slot);
/* Adds a hash to sketch k of a bucket (and to the window's union). */
void dw_sketch_add(struct dw_window *w, int slot, int k, uint64_t h);
/* Merges the 2^p raw registers of a HyperLogLog with the same hash layout
 * (index = top p bits, rank = leading zeros of the rest + 1; p >= DD_P, e.g.
 * sensor/distinct.h) into sketch k of a bucket, folding them to DD_P. */
void dw_sketch_merge(struct dw_window *w, int slot, int k, const uint8_t *regs, int p);
/* Sums of the window that ends at ts_us (buckets idx in (ts/width - n, ts/width]). */
void dw_sum(const struct dw_window *w, int64_t ts_us, struct dw_sums *out);
/* Distinct estimate of sketch k over the same window. */
double dw_distinct(struct dw_window *w, int64_t ts_us, int k);

#endif

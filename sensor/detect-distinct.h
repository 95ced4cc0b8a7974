/* Distinct counting for detectors: a HyperLogLog sketch of 2^10 registers per
 * window bucket (distinct URIs, ids, subdomains, personal-data values). The
 * register layout matches sensor/distinct.h, so the PII scanner's per-event
 * sketches merge into ours register by register. Values are hashed with a
 * keyed hash: nothing reversible is kept. */
#ifndef BW_DETECT_DISTINCT_H
#define BW_DETECT_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#define DD_P 10
#define DD_M (1u << DD_P)

struct dd_sketch {
    uint8_t reg[DD_M];
};

/* Clears a sketch. */
void dd_clear(struct dd_sketch *s);
/* 64-bit hash of n bytes under a process key (seeded once per engine). */
uint64_t dd_hash(uint64_t key, const void *data, size_t n);
/* Adds one hash. */
void dd_add(struct dd_sketch *s, uint64_t h);
/* dst = union(dst, src) over raw registers of the same size. */
void dd_merge_regs(struct dd_sketch *dst, const uint8_t *regs);
/* 2^-rank, the HyperLogLog term of a register (rank 0..64). */
double dd_term(uint8_t rank);
/* The estimate from the sum of terms and the number of zero registers. */
double dd_estimate_sum(double sum, uint32_t zeros);
/* Estimated distinct count of one sketch. */
double dd_estimate(const struct dd_sketch *s);
/* Estimate of the union of n sketches (the buckets of a window). */
double dd_estimate_union(const struct dd_sketch *const *v, size_t n);

#endif

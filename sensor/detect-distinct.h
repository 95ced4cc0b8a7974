/* Distinct counting for detectors: HyperLogLog registers (2^10) per window
 * bucket (distinct URIs, ids, subdomains, personal-data values). The register
 * layout matches sensor/distinct.h, so the PII scanner's per-event sketches
 * merge into ours register by register. Values are hashed with a keyed hash:
 * nothing reversible is kept.
 *
 * A register set starts sparse: its first few non-zero registers are (index,
 * rank) pairs inside the struct, so the many actors that make one or two
 * requests cost bytes, not a kilobyte per bucket. Past DD_SPARSE_MAX entries it
 * becomes a dense block of DD_M registers on the heap. The registers, and so
 * every estimate, are the same in both forms. */
#ifndef BW_DETECT_DISTINCT_H
#define BW_DETECT_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#define DD_P          10
#define DD_M          (1u << DD_P)
#define DD_SPARSE_MAX 14
#define DD_DENSE      0xffff /* dd_set.n of a dense set */

struct dd_set {
    uint16_t n;                /* sparse entries in use, or DD_DENSE */
    uint16_t e[DD_SPARSE_MAX]; /* sparse: (index << 6) | rank, unordered */
    uint8_t *reg;              /* dense: DD_M registers (owned); kept when cleared */
};

/* All-zero memory is an empty sparse set. */

/* 64-bit hash of n bytes under a process key (seeded once per engine). */
uint64_t dd_hash(uint64_t key, const void *data, size_t n);
/* Register index and rank of a hash. */
static inline uint32_t dd_index(uint64_t h)
{
    return (uint32_t)(h >> (64 - DD_P));
}
static inline uint8_t dd_rank(uint64_t h)
{
    uint64_t rest = h << DD_P;
    return rest == 0 ? (uint8_t)(64 - DD_P + 1) : (uint8_t)(__builtin_clzll(rest) + 1);
}

/* Register idx of a set. */
uint8_t dd_set_get(const struct dd_set *s, uint32_t idx);
/* Raises register idx to at least r. Returns 1 when it rose (the old rank in
 * *old), 0 when it was already >= r, -1 when the set had to become dense and
 * the allocation failed (the register is unchanged). */
int dd_set_raise(struct dd_set *s, uint32_t idx, uint8_t r, uint8_t *old);
/* Empties a set (a dense block is kept, zeroed). */
void dd_set_clear(struct dd_set *s);
/* Frees a dense block; the set is empty and sparse afterwards. */
void dd_set_free(struct dd_set *s);
/* dst = union(dst, src). Returns 0, or -1 when dst could not become dense. */
int dd_set_union(struct dd_set *dst, const struct dd_set *src);
/* Writes the DD_M registers of a set into out. */
void dd_set_regs(const struct dd_set *s, uint8_t *out);
/* Heap bytes a set holds (0 or DD_M). */
static inline size_t dd_set_heap(const struct dd_set *s)
{
    return s->reg != NULL ? DD_M : 0;
}
/* Sum of the HyperLogLog terms of a set's registers and its zero registers. */
void dd_set_sum(const struct dd_set *s, double *sum, uint32_t *zeros);

/* 2^-rank, the HyperLogLog term of a register (rank 0..64). */
double dd_term(uint8_t rank);
/* The estimate from the sum of terms and the number of zero registers. */
double dd_estimate_sum(double sum, uint32_t zeros);
/* Estimated distinct count of raw registers (DD_M of them). */
double dd_estimate_regs(const uint8_t *reg);

#endif

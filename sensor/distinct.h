/* Distinct counting without keeping values: values are hashed with
 * SipHash-2-4 under a per-installation 16-byte key, and the hashes feed a
 * HyperLogLog of fixed size, so "records exposed" counts distinct people
 * while nothing that could be reversed into personal data is stored. */
#ifndef BW_DISTINCT_H
#define BW_DISTINCT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define BW_DISTINCT_KEY_LEN 16
#define BW_DISTINCT_P       12 /* 2^12 registers: 4 KiB, standard error 1.6% */
#define BW_DISTINCT_M       (1u << BW_DISTINCT_P)

/* A HyperLogLog estimator in caller storage (init/fini not needed beyond
 * bw_distinct_init; it owns no memory). Small counts use linear counting,
 * which is near exact below a few hundred values. */
struct bw_distinct {
    uint8_t reg[BW_DISTINCT_M];
};

/* SipHash-2-4 of n bytes under a 16-byte key. */
uint64_t bw_siphash(const uint8_t key[BW_DISTINCT_KEY_LEN], const void *data, size_t n);

void bw_distinct_init(struct bw_distinct *d);

/* Adds one 64-bit hash (already keyed). */
void bw_distinct_add(struct bw_distinct *d, uint64_t hash);

/* Folds src into dst (union of the two sets). */
void bw_distinct_merge(struct bw_distinct *dst, const struct bw_distinct *src);

/* Estimated number of distinct hashes added. */
uint64_t bw_distinct_estimate(const struct bw_distinct *d);

/* Reads the installation key from `dir`/pii.key, creating the directory and
 * the file (16 random bytes, mode 0600) when absent. Returns 0, or -1 with a
 * message in err. */
int bw_distinct_key_load(const char *dir, uint8_t key[BW_DISTINCT_KEY_LEN],
                         struct bw_err *err) BW_WUR;

#endif

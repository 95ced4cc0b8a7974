/* Number parsing with bounds and a reason, in the manner of strtonum: never atoi. */
#ifndef BW_NUM_H
#define BW_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Parses a whole decimal string into [min, max]. On failure returns -1 and sets
 * *reason ("empty", "not a number", "too small", "too large"); reason may be NULL. */
int bw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
                 const char **reason) BW_WUR;
int bw_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char **reason) BW_WUR;
/* Same, over n bytes that need not be NUL-terminated. */
int bw_parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out,
                  const char **reason) BW_WUR;
int bw_parse_double(const char *s, double min, double max, double *out, const char **reason) BW_WUR;
/* Durations: "90", "90s", "5m", "2h", "7d", "250ms" -> microseconds. */
int bw_parse_duration_us(const char *s, uint64_t *out_us, const char **reason) BW_WUR;
/* Sizes: "512", "64k", "64kb", "32m", "1g" (powers of 1024) -> bytes. */
int bw_parse_size(const char *s, uint64_t *out, const char **reason) BW_WUR;
/* Booleans as YAML 1.1 spells them: true/false/yes/no/on/off (any case). */
int bw_parse_bool(const char *s, int *out, const char **reason) BW_WUR;

#endif

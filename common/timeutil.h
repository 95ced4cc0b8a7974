/* Time as microseconds since the epoch, and its EVE rendering. Offline runs use
 * packet or log-line time everywhere, so their output is deterministic. */
#ifndef BW_TIMEUTIL_H
#define BW_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define BW_USEC 1000000LL

/* Wall clock, microseconds since the epoch. */
int64_t bw_now_us(void);
/* Monotonic clock, microseconds. */
int64_t bw_mono_us(void);

/* EVE timestamp: 2026-12-01T07:51:33.123456+0000 (UTC; Suricata's layout).
 * `out` must hold at least BW_TS_LEN bytes. Returns out. */
#define BW_TS_LEN      40
#define BW_TS_TEXT_LEN 31 /* strlen of every bw_time_fmt result */
char *bw_time_fmt(int64_t us, char *out);

/* A per-second cache of bw_time_fmt: consecutive events mostly fall in the
 * same second, so only the fraction is rewritten. Caller's storage, one
 * thread at a time (the EVE writer keeps one under its lock). */
struct bw_ts_cache {
    int64_t secs; /* the second rendered in text; INT64_MIN: none yet */
    char text[BW_TS_LEN];
};
void bw_ts_cache_init(struct bw_ts_cache *c);
/* The same text as bw_time_fmt(us); points into c, valid until the next call
 * with c. */
const char *bw_ts_cache_fmt(struct bw_ts_cache *c, int64_t us);

/* Parses an ISO 8601 / EVE timestamp ("2026-12-01T07:51:33.123456+0000", "Z",
 * "+01:00", or a bare date) into microseconds. Returns 0 or -1. */
int bw_time_parse(const char *s, int64_t *out_us);

/* Civil date to days since 1970-01-01 (proleptic Gregorian). */
int64_t bw_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif

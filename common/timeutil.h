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
#define BW_TS_LEN 40
char *bw_time_fmt(int64_t us, char *out);

/* Parses an ISO 8601 / EVE timestamp ("2026-12-01T07:51:33.123456+0000", "Z",
 * "+01:00", or a bare date) into microseconds. Returns 0 or -1. */
int bw_time_parse(const char *s, int64_t *out_us);

/* Civil date to days since 1970-01-01 (proleptic Gregorian). */
int64_t bw_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif

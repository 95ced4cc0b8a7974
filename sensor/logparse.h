/* Small helpers shared by the log-*.c format parsers: bounded field copies,
 * numbers and addresses from byte ranges, the timestamp layouts servers write,
 * and filling an access event's dataset from a statement or a URI. */
#ifndef BW_LOGPARSE_H
#define BW_LOGPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ipaddr.h"
#include "sensor/access.h"

/* Copies n bytes into dst (cap bytes, NUL-terminated, cut). */
void logp_copy(char *dst, size_t cap, const char *s, size_t n);
/* Decimal unsigned over n bytes; returns 0 or -1 (empty, non-digit, overflow). */
int logp_u64(const char *s, size_t n, uint64_t *out);
/* Decimal with optional fraction ("0.000133") to microseconds; 0 or -1. */
int logp_frac_us(const char *s, size_t n, int64_t *out_us);
/* An IPv4/IPv6 address over n bytes (brackets allowed); 0 or -1. */
int logp_addr(const char *s, size_t n, struct bw_addr *a);
/* "Dec" -> 1..12, 0 if not a month. */
int logp_month(const char *s, size_t n);

/* Common log format time "01/Dec/2026:07:51:33 +0000" (n >= 26); 0 or -1. */
int logp_time_clf(const char *s, size_t n, int64_t *us);
/* ISO-like times: "2026-12-01 07:51:33.123 UTC", "2026-12-01T07:51:33.123456Z",
 * "...+01:00", "...+0100", "...+01", and a trailing zone name UTC/GMT/Z (other
 * names are taken as UTC). Returns bytes consumed (> 0) or -1. */
int logp_time_iso(const char *s, size_t n, int64_t *us);
/* Syslog time "Dec  1 07:51:33" (15 bytes, no year): the year is taken so the
 * time is not more than a day after ref_us. 0 or -1. */
int logp_time_syslog(const char *s, size_t n, int64_t ref_us, int64_t *us);
/* Epoch seconds with optional fraction ("1733039493.123"); 0 or -1. */
int logp_time_epoch(const char *s, size_t n, int64_t *us);

/* dataset = the first table of the statement (default schema applied),
 * detail = the statement (capped, whitespace runs folded). */
void logp_sql(struct bw_access *ev, const char *sql, size_t n, const char *schema);
/* dataset = the folded path of the request target, detail = the target (capped). */
void logp_http(struct bw_access *ev, const char *uri, size_t n);

/* memchr for a byte in [s, s+n); returns the index or n. */
static inline size_t logp_find(const char *s, size_t n, char c)
{
    const char *p = n ? (const char *)__builtin_memchr(s, c, n) : NULL;
    return p ? (size_t)(p - s) : n;
}

/* 1 when [s, s+n) starts with the NUL-terminated prefix. */
int logp_starts(const char *s, size_t n, const char *prefix);
/* Finds needle in [s, s+n); returns its index or -1. */
long logp_search(const char *s, size_t n, const char *needle, size_t nlen);

#endif

/* Bounded number parsing. */
#include "common/num.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(const char **reason, const char *why)
{
    if (reason != NULL)
        *reason = why;
    return -1;
}

int bw_parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out,
                  const char **reason)
{
    if (n == 0)
        return fail(reason, "empty");
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(reason, "not a number");
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail(reason, "too large");
        v = v * 10 + d;
    }
    if (v < min)
        return fail(reason, "too small");
    if (v > max)
        return fail(reason, "too large");
    *out = v;
    return 0;
}

int bw_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **reason)
{
    return bw_parse_u64n(s, strlen(s), min, max, out, reason);
}

int bw_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char **reason)
{
    int neg = (s[0] == '-');
    uint64_t mag;
    const char *why = NULL;
    if (bw_parse_u64(s + neg, 0, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag, &why) !=
        0)
        return fail(reason, why);
    int64_t v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    if (v < min)
        return fail(reason, "too small");
    if (v > max)
        return fail(reason, "too large");
    *out = v;
    return 0;
}

int bw_parse_double(const char *s, double min, double max, double *out, const char **reason)
{
    if (*s == '\0')
        return fail(reason, "empty");
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
        return fail(reason, "not a number");
    if (v < min)
        return fail(reason, "too small");
    if (v > max)
        return fail(reason, "too large");
    *out = v;
    return 0;
}

int bw_parse_duration_us(const char *s, uint64_t *out_us, const char **reason)
{
    size_t n = strlen(s), digits = 0;
    while (digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    uint64_t v;
    const char *why = NULL;
    if (bw_parse_u64n(s, digits, 0, UINT64_MAX, &v, &why) != 0)
        return fail(reason, why);
    const char *unit = s + digits;
    uint64_t mul;
    if (*unit == '\0' || strcmp(unit, "s") == 0)
        mul = 1000000ULL;
    else if (strcmp(unit, "ms") == 0)
        mul = 1000ULL;
    else if (strcmp(unit, "m") == 0 || strcmp(unit, "min") == 0)
        mul = 60ULL * 1000000ULL;
    else if (strcmp(unit, "h") == 0)
        mul = 3600ULL * 1000000ULL;
    else if (strcmp(unit, "d") == 0)
        mul = 86400ULL * 1000000ULL;
    else
        return fail(reason, "unknown unit (use ms, s, m, h or d)");
    if (v > UINT64_MAX / mul)
        return fail(reason, "too large");
    *out_us = v * mul;
    return 0;
}

int bw_parse_size(const char *s, uint64_t *out, const char **reason)
{
    size_t n = strlen(s), digits = 0;
    while (digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    uint64_t v;
    const char *why = NULL;
    if (bw_parse_u64n(s, digits, 0, UINT64_MAX, &v, &why) != 0)
        return fail(reason, why);
    const char *u = s + digits;
    uint64_t mul;
    if (*u == '\0' || strcasecmp(u, "b") == 0)
        mul = 1;
    else if (strcasecmp(u, "k") == 0 || strcasecmp(u, "kb") == 0 || strcasecmp(u, "kib") == 0)
        mul = 1ULL << 10;
    else if (strcasecmp(u, "m") == 0 || strcasecmp(u, "mb") == 0 || strcasecmp(u, "mib") == 0)
        mul = 1ULL << 20;
    else if (strcasecmp(u, "g") == 0 || strcasecmp(u, "gb") == 0 || strcasecmp(u, "gib") == 0)
        mul = 1ULL << 30;
    else
        return fail(reason, "unknown unit (use k, m or g)");
    if (v > UINT64_MAX / mul)
        return fail(reason, "too large");
    *out = v * mul;
    return 0;
}

int bw_parse_bool(const char *s, int *out, const char **reason)
{
    static const char *yes[] = {"true", "yes", "on"};
    static const char *no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return fail(reason, "not a boolean (use true or false)");
}

/* Bounded number parsing. */
#include "common/num.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
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

/* A unit suffix and what it multiplies by. */
struct unit {
    const char *name;
    uint64_t mul;
};

/* Digits followed by one of `units` (matched case-insensitively when fold);
 * the first unit is also what a bare number means. */
static int parse_with_unit(const char *s, const struct unit *units, bool fold, const char *unknown,
                           uint64_t *out, const char **reason)
{
    size_t n = strlen(s), digits = 0;
    while (digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    uint64_t v;
    const char *why = NULL;
    if (bw_parse_u64n(s, digits, 0, UINT64_MAX, &v, &why) != 0)
        return fail(reason, why);
    const char *u = s + digits;
    uint64_t mul = 0;
    if (*u == '\0')
        mul = units[0].mul;
    for (size_t i = 0; mul == 0 && units[i].name != NULL; i++)
        if ((fold ? strcasecmp(u, units[i].name) : strcmp(u, units[i].name)) == 0)
            mul = units[i].mul;
    if (mul == 0)
        return fail(reason, unknown);
    if (v > UINT64_MAX / mul)
        return fail(reason, "too large");
    *out = v * mul;
    return 0;
}

int bw_parse_duration_us(const char *s, uint64_t *out_us, const char **reason)
{
    static const struct unit units[] = {
        {"s", 1000000ULL},    {"ms", 1000ULL},       {"m", 60000000ULL}, {"min", 60000000ULL},
        {"h", 3600000000ULL}, {"d", 86400000000ULL}, {NULL, 0}};
    return parse_with_unit(s, units, false, "unknown unit (use ms, s, m, h or d)", out_us, reason);
}

int bw_parse_size(const char *s, uint64_t *out, const char **reason)
{
    static const struct unit units[] = {{"b", 1},
                                        {"k", 1ULL << 10},
                                        {"kb", 1ULL << 10},
                                        {"kib", 1ULL << 10},
                                        {"m", 1ULL << 20},
                                        {"mb", 1ULL << 20},
                                        {"mib", 1ULL << 20},
                                        {"g", 1ULL << 30},
                                        {"gb", 1ULL << 30},
                                        {"gib", 1ULL << 30},
                                        {NULL, 0}};
    return parse_with_unit(s, units, true, "unknown unit (use k, m or g)", out, reason);
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

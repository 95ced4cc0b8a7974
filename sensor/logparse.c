/* Helpers shared by the log format parsers. */
#include "sensor/logparse.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/timeutil.h"
#include "sensor/sql-tables.h"
#include "sensor/uri-fold.h"

void logp_copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

int logp_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int logp_frac_us(const char *s, size_t n, int64_t *out_us)
{
    size_t dot = logp_find(s, n, '.');
    uint64_t whole;
    if (logp_u64(s, dot, &whole) != 0 || whole > 1000000000000ull)
        return -1;
    int64_t us = (int64_t)whole * 1000000;
    int64_t scale = 100000;
    for (size_t i = dot + 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        us += (s[i] - '0') * scale;
        scale /= 10;
    }
    *out_us = us;
    return 0;
}

int logp_addr(const char *s, size_t n, struct bw_addr *a)
{
    char b[BW_ADDR_STRLEN];
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(b))
        return -1;
    memcpy(b, s, n);
    b[n] = '\0';
    return bw_addr_parse(b, a);
}

int logp_month(const char *s, size_t n)
{
    static const char m[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (n < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(s, m + 3 * i, 3) == 0)
            return i + 1;
    return 0;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int64_t civil_us(int y, int mo, int d, int h, int mi, int se)
{
    return ((bw_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400) + h * 3600 + mi * 60 + se) *
           BW_USEC;
}

static int valid(int y, int mo, int d, int h, int mi, int se)
{
    return y >= 1970 && y < 10000 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 &&
           mi < 60 && se <= 60;
}

int logp_time_clf(const char *s, size_t n, int64_t *us)
{
    int d, y, h, mi, se, oh, om;
    if (n < 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' ||
        s[20] != ' ')
        return -1;
    int mo = logp_month(s + 3, 3);
    if (mo == 0 || digits(s, 2, &d) || digits(s + 7, 4, &y) || digits(s + 12, 2, &h) ||
        digits(s + 15, 2, &mi) || digits(s + 18, 2, &se) || digits(s + 22, 2, &oh) ||
        digits(s + 24, 2, &om) || (s[21] != '+' && s[21] != '-') || !valid(y, mo, d, h, mi, se))
        return -1;
    int64_t off = (int64_t)(oh * 3600 + om * 60) * BW_USEC;
    *us = civil_us(y, mo, d, h, mi, se) - (s[21] == '+' ? off : -off);
    return 0;
}

int logp_time_iso(const char *s, size_t n, int64_t *us)
{
    int y, mo, d, h, mi, se;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
        !valid(y, mo, d, h, mi, se))
        return -1;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        int64_t scale = 100000;
        i++;
        while (i < n && isdigit((unsigned char)s[i])) {
            frac += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
    }
    int64_t t = civil_us(y, mo, d, h, mi, se) + frac;
    size_t j = i;
    if (j < n && s[j] == ' ')
        j++;
    if (j < n && (s[j] == '+' || s[j] == '-') && j + 3 <= n && isdigit((unsigned char)s[j + 1])) {
        int oh, om = 0;
        size_t k = j + 1;
        if (digits(s + k, 2, &oh))
            return -1;
        k += 2;
        if (k < n && s[k] == ':')
            k++;
        if (k + 2 <= n && isdigit((unsigned char)s[k]) && isdigit((unsigned char)s[k + 1])) {
            if (digits(s + k, 2, &om))
                return -1;
            k += 2;
        }
        int64_t off = (int64_t)(oh * 3600 + om * 60) * BW_USEC;
        t -= s[j] == '+' ? off : -off;
        i = k;
    } else if (j < n && s[j] == 'Z') {
        i = j + 1;
    } else if (j > i || (j < n && isalpha((unsigned char)s[j]))) {
        /* A zone name (UTC, GMT, CET...): taken as UTC. */
        size_t k = j;
        while (k < n && k < j + 6 && isalpha((unsigned char)s[k]))
            k++;
        if (k > j)
            i = k;
    }
    *us = t;
    return (int)i;
}

int logp_time_syslog(const char *s, size_t n, int64_t ref_us, int64_t *us)
{
    int d, h, mi, se;
    if (n < 15 || s[3] != ' ' || s[9] != ':' || s[12] != ':')
        return -1;
    int mo = logp_month(s, 3);
    char dd[2] = {s[4] == ' ' ? '0' : s[4], s[5]};
    if (mo == 0 || digits(dd, 2, &d) || digits(s + 7, 2, &h) || digits(s + 10, 2, &mi) ||
        digits(s + 13, 2, &se))
        return -1;
    /* Year of the reference time. */
    int64_t days = ref_us / BW_USEC / 86400;
    int y = 1970;
    while (bw_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    if (!valid(y, mo, d, h, mi, se))
        return -1;
    int64_t t = civil_us(y, mo, d, h, mi, se);
    if (t > ref_us + 86400 * BW_USEC)
        t = civil_us(y - 1, mo, d, h, mi, se);
    *us = t;
    return 0;
}

int logp_time_epoch(const char *s, size_t n, int64_t *us)
{
    return logp_frac_us(s, n, us);
}

void logp_sql(struct bw_access *ev, const char *sql, size_t n, const char *schema)
{
    struct sql_tables t;
    sql_tables_extract(sql, n, schema, 1, &t);
    if (t.n > 0)
        logp_copy(ev->dataset, sizeof(ev->dataset), t.name[0], strlen(t.name[0]));
    size_t o = 0;
    int sp = 0;
    for (size_t i = 0; i < n && o + 1 < sizeof(ev->detail); i++) {
        char c = sql[i];
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            if (o == 0 || sp)
                continue;
            sp = 1;
            c = ' ';
        } else {
            sp = 0;
        }
        ev->detail[o++] = c;
    }
    while (o > 0 && ev->detail[o - 1] == ' ')
        o--;
    ev->detail[o] = '\0';
}

void logp_http(struct bw_access *ev, const char *uri, size_t n)
{
    uri_fold(uri, n, ev->dataset, sizeof(ev->dataset));
    logp_copy(ev->detail, sizeof(ev->detail), uri, n);
}

int logp_starts(const char *s, size_t n, const char *prefix)
{
    size_t pn = strlen(prefix);
    return n >= pn && memcmp(s, prefix, pn) == 0;
}

long logp_search(const char *s, size_t n, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return 0;
    if (n < nlen)
        return -1;
    const char *p = memmem(s, n, needle, nlen);
    return p ? (long)(p - s) : -1;
}

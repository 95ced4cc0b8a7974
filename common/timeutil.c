/* Time helpers without locale or TZ dependence (no localtime, no mktime). */
#include "common/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t bw_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * BW_USEC + ts.tv_nsec / 1000;
}

int64_t bw_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * BW_USEC + ts.tv_nsec / 1000;
}

int64_t bw_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil algorithm (public domain description). */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Days since 1970-01-01 to the proleptic Gregorian date (the inverse of
 * bw_days_from_civil, after the same public description by Howard Hinnant).
 * Pure arithmetic: gmtime_r takes the time-zone lock on every call. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static const char digits2[] = "00010203040506070809"
                              "10111213141516171819"
                              "20212223242526272829"
                              "30313233343536373839"
                              "40414243444546474849"
                              "50515253545556575859"
                              "60616263646566676869"
                              "70717273747576777879"
                              "80818283848586878889"
                              "90919293949596979899";

static void put2(char *p, unsigned v)
{
    memcpy(p, digits2 + 2 * (v % 100), 2);
}

/* The six digits of the fraction at out + 20. */
static void put_frac(char *out, unsigned f)
{
    put2(out + 20, f / 10000);
    put2(out + 22, f / 100 % 100);
    put2(out + 24, f % 100);
}

static void split_us(int64_t us, int64_t *secs, unsigned *frac)
{
    int64_t s = us / BW_USEC, f = us % BW_USEC;
    if (f < 0) {
        f += BW_USEC;
        s--;
    }
    *secs = s;
    *frac = (unsigned)f;
}

/* Everything but the fraction for second `secs`. */
static void fmt_secs(int64_t secs, char *out)
{
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t year;
    unsigned mon, mday;
    civil_from_days(days, &year, &mon, &mday);
    /* Years are clamped to four digits so the layout is fixed-width. */
    if (year < 0 || year > 9999)
        year = year < 0 ? 0 : 9999;
    memcpy(out, "0000-00-00T00:00:00.000000+0000", 32);
    put2(out, (unsigned)year / 100);
    put2(out + 2, (unsigned)year % 100);
    put2(out + 5, mon);
    put2(out + 8, mday);
    put2(out + 11, (unsigned)(sod / 3600));
    put2(out + 14, (unsigned)(sod / 60 % 60));
    put2(out + 17, (unsigned)(sod % 60));
}

char *bw_time_fmt(int64_t us, char *out)
{
    int64_t secs;
    unsigned frac;
    split_us(us, &secs, &frac);
    fmt_secs(secs, out);
    put_frac(out, frac);
    return out;
}

void bw_ts_cache_init(struct bw_ts_cache *c)
{
    c->secs = INT64_MIN;
    c->text[0] = '\0';
}

const char *bw_ts_cache_fmt(struct bw_ts_cache *c, int64_t us)
{
    int64_t secs;
    unsigned frac;
    split_us(us, &secs, &frac);
    if (secs != c->secs) {
        fmt_secs(secs, c->text);
        c->secs = secs;
    }
    put_frac(c->text, frac);
    return c->text;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int bw_time_parse(const char *s, int64_t *out_us)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    const char *p = s;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    int64_t frac = 0, off = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se))
                return -1;
        }
        if (h > 23 || mi > 59 || se > 60)
            return -1;
        if (*p == '.' || *p == ',') {
            p++;
            int64_t scale = 100000;
            while (*p >= '0' && *p <= '9') {
                frac += (*p - '0') * scale;
                scale /= 10;
                p++;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = (*p == '-') ? -1 : 1, oh, om = 0;
            p++;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p >= '0' && *p <= '9' && digits(&p, 2, &om))
                return -1;
            off = sign * ((int64_t)oh * 3600 + om * 60);
        }
    }
    if (*p != '\0')
        return -1;
    int64_t days = bw_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off;
    *out_us = secs * BW_USEC + frac;
    return 0;
}

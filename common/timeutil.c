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

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

char *bw_time_fmt(int64_t us, char *out)
{
    int64_t secs = us / BW_USEC, frac = us % BW_USEC;
    if (frac < 0) {
        frac += BW_USEC;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Years are clamped to four digits so the layout is fixed-width. Written
     * digit by digit: this runs once per event, and snprintf was a visible
     * part of the cost of an event. */
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        year = year < 0 ? 0 : 9999;
    memcpy(out, "0000-00-00T00:00:00.000000+0000", 32);
    put2(out, (unsigned)year / 100);
    put2(out + 2, (unsigned)year % 100);
    put2(out + 5, (unsigned)(tm.tm_mon + 1));
    put2(out + 8, (unsigned)tm.tm_mday);
    put2(out + 11, (unsigned)tm.tm_hour);
    put2(out + 14, (unsigned)tm.tm_min);
    put2(out + 17, (unsigned)tm.tm_sec);
    unsigned f = (unsigned)frac;
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + f % 10);
        f /= 10;
    }
    return out;
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

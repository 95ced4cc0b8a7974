/* Unit tests for the fast EVE writing path: the escaper against the byte-by-
 * byte reference, literal-key members against the plain calls, timestamps
 * (arithmetic and the per-second cache) against gmtime_r, IPv4 text against
 * inet_ntop, and the block-buffered EVE file (every line out, in order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/ipaddr.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "sensor/output-eve-access.h"
#include "sensor/output-eve.h"

/* xorshift64*: a fixed seed, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Escapes s both ways and requires the same bytes; also through
 * bw_json_strn against '"' + reference + '"'. */
static void check_escape(const unsigned char *s, size_t n)
{
    struct bw_buf a, b;
    bw_buf_init(&a);
    bw_buf_init(&b);
    bw_json_escape(&a, s, n);
    bw_json_escape_ref(&b, s, n);
    if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0)) {
        fprintf(stderr, "escape mismatch for %zu bytes:", n);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %02x", s[i]);
        fprintf(stderr, "\n fast: %s\n  ref: %s\n", a.data ? a.data : "", b.data ? b.data : "");
        fail();
    }
    bw_buf_reset(&a);
    bw_buf_reset(&b);
    struct bw_json j;
    bw_json_init(&j, &a);
    bw_json_strn(&j, NULL, s, n);
    bw_buf_putc(&b, '"');
    bw_json_escape_ref(&b, s, n);
    bw_buf_putc(&b, '"');
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(a.data[a.len], '\0');
    bw_buf_fini(&a);
    bw_buf_fini(&b);
}

static void test_escape_every_byte(void **state)
{
    (void)state;
    unsigned char s[40];
    /* Each byte value alone, and at every offset 0..39 of a clean run (the
     * SSE2 block is 16 bytes, the SWAR word 8: offsets 7, 8, 15, 16, 17). */
    for (int c = 0; c < 256; c++) {
        for (size_t len = 1; len <= sizeof(s); len++) {
            for (size_t at = 0; at < len; at++) {
                memset(s, 'a', len);
                s[at] = (unsigned char)c;
                check_escape(s, len);
            }
        }
    }
    /* Every pair of bytes (two-byte UTF-8 and its broken forms). */
    for (int c = 0; c < 256; c++) {
        for (int d = 0; d < 256; d++) {
            s[0] = (unsigned char)c;
            s[1] = (unsigned char)d;
            check_escape(s, 2);
        }
    }
    check_escape((const unsigned char *)"", 0);
}

static void test_escape_utf8_boundaries(void **state)
{
    (void)state;
    /* Well-formed and broken sequences placed so that they start or end
     * across the 8- and 16-byte steps, and truncated at the very end. */
    static const char *seqs[] = {
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\xf4\x8f\xbf\xbf",
        "\xc0\xaf",
        "\xc1\xbf",
        "\xe0\x80\xaf",
        "\xe0\x9f\xbf",
        "\xed\xa0\x80",
        "\xed\x9f\xbf",
        "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xff",
        "\x80",
        "\xbf\xbf",
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\xc3",
        "\xef\xbb\xbf",
    };
    unsigned char s[64];
    for (size_t k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
        size_t sl = strlen(seqs[k]);
        for (size_t pre = 0; pre <= 34; pre++) {
            for (size_t post = 0; post <= 3; post++) {
                memset(s, 'x', pre);
                memcpy(s + pre, seqs[k], sl);
                memset(s + pre + sl, '"', post);
                check_escape(s, pre + sl + post);
                /* Truncated: the sequence cut at each of its bytes. */
                for (size_t cut = 1; cut < sl; cut++)
                    check_escape(s, pre + cut);
            }
        }
    }
}

static void test_escape_long_runs(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    unsigned char *s = malloc(n);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (unsigned char)(' ' + i % 90); /* contains '"' and '\\' now and then */
    check_escape(s, n);
    memset(s, 'q', n);
    check_escape(s, n);
    s[n - 1] = '\n';
    check_escape(s, n);
    s[n / 2] = 0xe9;
    check_escape(s, n);
    free(s);
}

/* Property: random strings from byte classes that matter (clean ASCII,
 * specials, controls, UTF-8 leads and continuations, invalid bytes). */
static void test_escape_random(void **state)
{
    (void)state;
    static const unsigned char pool[] = {
        'a',  'Z',  '0',  ' ',  '~',  0x7f, '"',  '\\', '\n', '\r', '\t', 0,    1,    0x1f, 0x80,
        0xbf, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f};
    unsigned char s[300];
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = (size_t)(rnd() % (iter < 100000 ? 40 : sizeof(s)));
        uint64_t mode = rnd() % 4;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd();
            if (mode == 0)
                s[i] = (unsigned char)r; /* any byte */
            else if (mode == 1 || r % 8 != 0)
                s[i] = pool[(r >> 8) % sizeof(pool)];
            else
                s[i] = (unsigned char)('a' + (r >> 8) % 26);
            if (mode == 3 && (r >> 32) % 4 != 0)
                s[i] = 'm'; /* mostly clean, long runs */
        }
        check_escape(s, n);
    }
}

/* Literal-key members write exactly what the plain calls write, including
 * commas, nesting and NULL strings. */
static void test_literal_keys(void **state)
{
    (void)state;
    struct bw_buf a, b;
    struct bw_json ja, jb;
    bw_buf_init(&a);
    bw_buf_init(&b);
    bw_json_init(&ja, &a);
    bw_json_init(&jb, &b);
    bw_json_obj_begin(&ja, NULL);
    bw_json_obj_begin(&jb, NULL);
    bw_json_kobj_begin(&ja, BW_JK("access"));
    bw_json_obj_begin(&jb, "access");
    bw_json_kstr(&ja, BW_JK("format"), "ng\"inx");
    bw_json_str(&jb, "format", "ng\"inx");
    bw_json_kstr(&ja, BW_JK("null"), NULL);
    bw_json_str(&jb, "null", NULL);
    bw_json_kstrn(&ja, BW_JK("n"), "a\0b", 3);
    bw_json_strn(&jb, "n", "a\0b", 3);
    bw_json_kuint(&ja, BW_JK("u"), UINT64_MAX);
    bw_json_uint(&jb, "u", UINT64_MAX);
    bw_json_kint(&ja, BW_JK("i"), INT64_MIN);
    bw_json_int(&jb, "i", INT64_MIN);
    bw_json_kint(&ja, BW_JK("z"), 0);
    bw_json_int(&jb, "z", 0);
    bw_json_obj_end(&ja);
    bw_json_obj_end(&jb);
    bw_json_kstr(&ja, BW_JK("after"), "\xc3\xa9\xff");
    bw_json_str(&jb, "after", "\xc3\xa9\xff");
    bw_json_obj_end(&ja);
    bw_json_obj_end(&jb);
    assert_int_equal(bw_json_finish(&ja), 0);
    assert_string_equal(a.data, b.data);
    assert_string_equal(a.data, "{\"access\":{\"format\":\"ng\\\"inx\",\"null\":null,\"n\":"
                                "\"a\\u0000b\",\"u\":18446744073709551615,\"i\":"
                                "-9223372036854775808,\"z\":0},\"after\":\"\xc3\xa9\\u00ff\"}");
    /* Keys that need escaping still go through the escaper. */
    bw_buf_reset(&a);
    bw_json_init(&ja, &a);
    bw_json_obj_begin(&ja, NULL);
    bw_json_str(&ja, "k\"ey\x01", "v");
    bw_json_str(&ja, "a-much-longer-key-than-sixteen-bytes", "v");
    bw_json_obj_end(&ja);
    assert_string_equal(a.data,
                        "{\"k\\\"ey\\u0001\":\"v\",\"a-much-longer-key-than-sixteen-bytes\":"
                        "\"v\"}");
    bw_buf_fini(&a);
    bw_buf_fini(&b);
}

/* The implementation before the arithmetic one: gmtime_r. */
static void ref_time_fmt(int64_t us, char *out)
{
    int64_t secs = us / BW_USEC, frac = us % BW_USEC;
    if (frac < 0) {
        frac += BW_USEC;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    assert_non_null(gmtime_r(&t, &tm));
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        year = year < 0 ? 0 : 9999;
    snprintf(out, BW_TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000", year % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

static void check_time(struct bw_ts_cache *c, int64_t us)
{
    char want[BW_TS_LEN], got[BW_TS_LEN];
    ref_time_fmt(us, want);
    bw_time_fmt(us, got);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "us=%lld\n", (long long)us);
        assert_string_equal(got, want);
    }
    const char *t = bw_ts_cache_fmt(c, us);
    assert_string_equal(t, want);
    assert_int_equal(strlen(t), BW_TS_TEXT_LEN);
}

static void test_time_against_gmtime(void **state)
{
    (void)state;
    struct bw_ts_cache c;
    bw_ts_cache_init(&c);
    /* Random instants over +-300 years around the epoch, then the whole
     * int64 range (years clamped to 0000 and 9999). */
    for (int i = 0; i < 300000; i++) {
        int64_t span = 300LL * 366 * 86400 * BW_USEC;
        int64_t us = (int64_t)(rnd() % (uint64_t)(2 * span)) - span;
        check_time(&c, us);
    }
    for (int i = 0; i < 100000; i++)
        check_time(&c, (int64_t)rnd());
    check_time(&c, INT64_MIN);
    check_time(&c, INT64_MAX);
    check_time(&c, 0);
    check_time(&c, -1);
    check_time(&c, 1);
}

/* The cache across second, minute, hour, day, month, year and leap-day
 * boundaries, forwards and backwards, with fractions that change while
 * the second stays. */
static void test_time_cache_boundaries(void **state)
{
    (void)state;
    struct bw_ts_cache c;
    bw_ts_cache_init(&c);
    static const char *edges[] = {
        "2026-12-01T07:51:59", "2026-12-01T07:59:59", "2026-12-01T23:59:59", "2026-12-31T23:59:59",
        "2024-02-28T23:59:59", "2024-02-29T23:59:59", "2100-02-28T23:59:59", "2000-02-28T23:59:59",
        "1969-12-31T23:59:59", "1970-01-01T00:00:00", "0000-01-01T00:00:00", "9999-12-31T23:59:59",
    };
    for (size_t k = 0; k < sizeof(edges) / sizeof(edges[0]); k++) {
        char s[40];
        snprintf(s, sizeof(s), "%s+0000", edges[k]);
        int64_t base;
        assert_int_equal(bw_time_parse(s, &base), 0);
        /* Microsteps across the boundary, and back. */
        for (int64_t d = -3; d <= 2 * BW_USEC + 3; d += (d > 5 && d < 2 * BW_USEC - 5) ? 99991 : 1)
            check_time(&c, base + d);
        for (int64_t d = 2 * BW_USEC + 3; d >= -3; d -= 333331)
            check_time(&c, base + d);
        /* Alternating seconds (two interleaved sources). */
        for (int i = 0; i < 10; i++)
            check_time(&c, base + (i % 2 ? BW_USEC + i : 999999 - i));
    }
    /* A known value, so the reference cannot be wrong the same way. */
    bw_ts_cache_init(&c);
    assert_string_equal(bw_ts_cache_fmt(&c, 1796111493123456LL), "2026-12-01T07:51:33.123456+0000");
    assert_string_equal(bw_ts_cache_fmt(&c, 1796111493000007LL), "2026-12-01T07:51:33.000007+0000");
    assert_string_equal(bw_ts_cache_fmt(&c, 1796111494000000LL), "2026-12-01T07:51:34.000000+0000");
}

static void test_ipv4_text(void **state)
{
    (void)state;
    struct bw_addr a;
    char got[BW_ADDR_STRLEN], want[INET6_ADDRSTRLEN];
    for (int i = 0; i < 300000; i++) {
        uint64_t r = rnd();
        uint8_t v4[4];
        for (int k = 0; k < 4; k++) {
            unsigned sel = (unsigned)(r >> (8 * k + 32)) % 8;
            v4[k] = sel == 0   ? 0
                    : sel == 1 ? 255
                    : sel == 2 ? 9
                    : sel == 3 ? 10
                    : sel == 4 ? 99
                    : sel == 5 ? 100
                               : (uint8_t)(r >> (8 * k));
        }
        bw_addr_from_v4(&a, v4);
        assert_non_null(inet_ntop(AF_INET, v4, want, sizeof(want)));
        assert_string_equal(bw_addr_fmt(&a, got), want);
    }
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    bw_addr_from_v6(&a, v6);
    assert_string_equal(bw_addr_fmt(&a, got), "2001:db8::1");
    memset(&a, 0, sizeof(a));
    assert_string_equal(bw_addr_fmt(&a, got), "");
}

/* bw_addr_parse's own dotted-quad reader accepts exactly what inet_pton
 * accepts (leading zeros, parts > 255, missing or extra parts, stray bytes). */
static void test_ipv4_parse(void **state)
{
    (void)state;
    static const char alpha[] = "0123456789012345678901234567890123456789....:xa ";
    char s[24];
    for (int i = 0; i < 500000; i++) {
        size_t n = (size_t)(rnd() % 18);
        for (size_t k = 0; k < n; k++)
            s[k] = alpha[rnd() % (sizeof(alpha) - 1)];
        s[n] = '\0';
        if (i % 3 == 0) /* mostly well-formed: four parts of 1-3 digits */
            snprintf(s, sizeof(s), "%u.%u.%u.%u", (unsigned)(rnd() % 300), (unsigned)(rnd() % 260),
                     (unsigned)(rnd() % 1000), (unsigned)(rnd() % 256));
        if (i % 7 == 0)
            snprintf(s, sizeof(s), "%s%u.0%u.1.2", i % 2 ? "" : "1", (unsigned)(rnd() % 10),
                     (unsigned)(rnd() % 10));
        uint8_t want[16];
        int ok = inet_pton(AF_INET, s, want) == 1;
        struct bw_addr a;
        int rc = bw_addr_parse(s, &a);
        if (ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(a.family, AF_INET);
            assert_memory_equal(a.bytes, want, 4);
        } else {
            assert_true(rc != 0 || a.family == AF_INET6);
        }
    }
}

static void write_access(struct eve_out *e, int i)
{
    struct bw_access ev;
    access_init(&ev);
    ev.ts_us = 1796111493000000LL + (int64_t)i * 1000;
    ev.channel = ACCESS_CH_LOG;
    ev.format = "nginx";
    uint8_t v4[4] = {10, 0, (uint8_t)(i >> 8), (uint8_t)i};
    bw_addr_from_v4(&ev.actor_ip, v4);
    snprintf(ev.dataset, sizeof(ev.dataset), "/api/customers/{n}");
    snprintf(ev.detail, sizeof(ev.detail), "/api/customers/%d?q=\"%c\"", i, 'a' + i % 26);
    ev.bytes = (uint64_t)i * 7;
    ev.status = 200;
    eve_access_write(e, &ev);
}

static int lines_seen;
static void count_line(void *ctx, const char *type, const char *line, size_t len)
{
    (void)ctx;
    assert_string_equal(type, "access");
    assert_true(len > 2 && line[0] == '{' && line[len - 1] == '}');
    assert_null(memchr(line, '\n', len));
    lines_seen++;
}

/* Lines collected in blocks reach the file whole and in order: at the block
 * size, at eve_flush and at eve_close; listeners get every line. */
static void test_eve_blocks(void **state)
{
    (void)state;
    char path[] = "/tmp/bw-eve-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct bw_err err;
    struct eve_out *e = eve_open(path, &err);
    assert_non_null(e);
    eve_set_sensor_id(e, "s\"1");
    assert_int_equal(eve_add_listener(e, count_line, NULL), 0);
    lines_seen = 0;
    int n = 5000; /* about 1.5 MB: many blocks */
    for (int i = 0; i < n / 2; i++)
        write_access(e, i);
    eve_flush(e);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[2048];
    int got = 0;
    while (fgets(line, sizeof(line), fp) != NULL)
        got++;
    fclose(fp);
    assert_int_equal(got, n / 2); /* a flush leaves nothing behind */
    for (int i = n / 2; i < n; i++)
        write_access(e, i);
    assert_int_equal(eve_lines(e), (uint64_t)n);
    assert_int_equal(eve_write_errors(e), 0);
    eve_close(e);
    assert_int_equal(lines_seen, n);
    fp = fopen(path, "r");
    assert_non_null(fp);
    got = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        char want[64];
        snprintf(want, sizeof(want), "\"ip\":\"10.0.%d.%d\"", (got >> 8) & 255, got & 255);
        assert_non_null(strstr(line, want));
        assert_non_null(strstr(line, "\"sensor_id\":\"s\\\"1\",\"event_type\":\"access\""));
        assert_int_equal(line[strlen(line) - 1], '\n');
        got++;
    }
    fclose(fp);
    assert_int_equal(got, n);
    unlink(path);
}

/* A full disk: lines that cannot be written are counted, never a crash. */
static void test_eve_write_errors(void **state)
{
    (void)state;
    if (access("/dev/full", W_OK) != 0) {
        skip();
    }
    struct bw_err err;
    struct eve_out *e = eve_open("/dev/full", &err);
    assert_non_null(e);
    for (int i = 0; i < 1000; i++)
        write_access(e, i);
    eve_flush(e);
    assert_int_equal(eve_lines(e), 1000);
    assert_int_equal(eve_write_errors(e), 1000);
    eve_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_every_byte),
        cmocka_unit_test(test_escape_utf8_boundaries),
        cmocka_unit_test(test_escape_long_runs),
        cmocka_unit_test(test_escape_random),
        cmocka_unit_test(test_literal_keys),
        cmocka_unit_test(test_time_against_gmtime),
        cmocka_unit_test(test_time_cache_boundaries),
        cmocka_unit_test(test_ipv4_text),
        cmocka_unit_test(test_ipv4_parse),
        cmocka_unit_test(test_eve_blocks),
        cmocka_unit_test(test_eve_write_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

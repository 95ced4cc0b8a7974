/* Unit tests for the PII scanner (sensor/pii.h): each type in the shapes it travels in, the
 * boundaries, context, streaming across every split point, DNS names, and
 * constant memory per stream. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/pii.h"

static struct pii_scanner *sc;

static int setup(void **state)
{
    (void)state;
    struct bw_err err;
    sc = pii_scanner_new(&err);
    if (sc == NULL)
        return -1;
    /* a fixed key: distinct estimates are the same on every run */
    static const uint8_t key[BW_DISTINCT_KEY_LEN] = "breachwatch-test";
    pii_scanner_set_key(sc, key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pii_scanner_free(sc);
    return 0;
}

struct seen {
    int n;
    struct pii_match m[32];
    char val[32][64];
};

static void record(void *ctx, const struct pii_match *m)
{
    struct seen *s = ctx;
    if (s->n < 32) {
        s->m[s->n] = *m;
        snprintf(s->val[s->n], sizeof(s->val[0]), "%.*s", (int)m->value_len, m->value);
        s->n++;
    }
}

/* Scans text whole; returns the matches. */
static struct seen scan(const void *text, size_t len)
{
    struct seen s = {0};
    struct pii_counts c;
    struct pii_stream st;
    pii_counts_init(&c);
    pii_stream_init(&st, sc);
    pii_stream_on_match(&st, record, &s);
    assert_int_equal(pii_stream_feed(&st, text, len, &c), 0);
    assert_int_equal(pii_stream_flush(&st, &c), 0);
    pii_stream_fini(&st);
    return s;
}

#define SCAN(lit) scan(lit, sizeof(lit) - 1)

static void one(const struct seen *s, enum pii_type t, const char *value)
{
    assert_int_equal(s->n, 1);
    assert_int_equal(s->m[0].type, t);
    assert_string_equal(s->val[0], value);
}

static void test_types(void **state)
{
    (void)state;
    struct seen s = SCAN("contact: John.Doe@Example.com; x");
    one(&s, PII_EMAIL, "john.doe@example.com");
    assert_int_equal(s.m[0].start, 9);
    assert_int_equal(s.m[0].end, 29);
    s = SCAN("call 138-1234-5678 now");
    one(&s, PII_CN_MOBILE, "13812345678");
    s = SCAN("+86 13812345678");
    one(&s, PII_CN_MOBILE, "13812345678");
    s = SCAN("office +44 20 7946 0958.");
    one(&s, PII_PHONE_INTL, "442079460958");
    s = SCAN("id=11010519491231002X&x=1");
    one(&s, PII_CN_RESIDENT_ID, "11010519491231002X");
    s = SCAN("pan 4111 1111 1111 1111 exp");
    one(&s, PII_CARD, "4111111111111111");
    s = SCAN("amex 3782-822463-10005");
    one(&s, PII_CARD, "378282246310005");
    s = SCAN("ssn 078-05-1120");
    one(&s, PII_US_SSN, "078051120");
    s = SCAN("to GB82 WEST 1234 5698 7654 32 please");
    one(&s, PII_IBAN, "GB82WEST12345698765432");
    s = SCAN("MT84MALT011000012345MTLCAST001S,");
    one(&s, PII_IBAN, "MT84MALT011000012345MTLCAST001S");
    s = SCAN("NO9386011117947");
    one(&s, PII_IBAN, "NO9386011117947");
    s = SCAN("passport: EA1234567");
    one(&s, PII_PASSPORT, "EA1234567");
    s = SCAN("passport no. E12345678");
    one(&s, PII_PASSPORT, "E12345678");
    s = SCAN("{\"name\": \"Mary Jones\"}");
    one(&s, PII_NAME, "Mary Jones");
    s = SCAN("姓名：王小明，");
    one(&s, PII_NAME, "王小明");
}

static void test_negatives(void **state)
{
    (void)state;
    static const char *const no[] = {
        "4111 1111 1111 1112",                   /* Luhn */
        "110105194912310021",                    /* GB 11643 check */
        "DE88370400440532013000",                /* mod 97 */
        "666-12-3456 000-12-3456",               /* SSN ranges */
        "12812345678",                           /* no such mobile network */
        "<img src=logo@2x.png>",                 /* file name, not an address */
        "price 0.13812345678 and 13812345678.5", /* decimals */
        "ID13812345678 13812345678X",            /* letters glued on either side */
        "E12345678",                             /* passport shape, no context */
        "123456789",                             /* bare 9 digits, no context */
        "+99 1234567",                           /* no such country code */
        "1700000000000 2024-01-05 12:00:00",     /* epoch ms, dates */
        "{\"name\": \"widget pro\"}",            /* not a name */
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        struct seen s = scan(no[i], strlen(no[i]));
        if (s.n != 0)
            fail_msg("'%s' matched %s", no[i], pii_type_name(s.m[0].type));
    }
}

static void test_boundaries_binary(void **state)
{
    (void)state;
    /* PostgreSQL DataRow: values sit right after their length bytes, and
     * the next message type follows the last one */
    static const char row[] = "D\x00\x00\x00\x45\x00\x03"
                              "\x00\x00\x00\x0b"
                              "13812345678"
                              "\x00\x00\x00\x12"
                              "11010519491231002X"
                              "\x00\x00\x00\x10"
                              "john@example.com"
                              "D\x00\x00\x00\x10";
    struct seen s = scan(row, sizeof(row) - 1);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.m[0].type, PII_CN_MOBILE);
    assert_int_equal(s.m[1].type, PII_CN_RESIDENT_ID);
    assert_int_equal(s.m[2].type, PII_EMAIL);
    assert_string_equal(s.val[2], "john@example.com");
    /* CSV and JSON: commas and quotes are boundaries */
    s = SCAN("1,13812345678,4111111111111111\n");
    assert_int_equal(s.n, 2);
    s = SCAN("[\"13812345678\",\"13912345678\"]");
    assert_int_equal(s.n, 2);
    /* two numbers written side by side are two matches */
    s = SCAN("13812345678 13912345678");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.val[1], "13912345678");
}

/* Runs of digits far longer than any number are rejected in linear time
 * (1 MiB of digits, then of "1 " pairs, then of "DE89"), and what follows
 * them is still found. */
static void test_long_runs(void **state)
{
    (void)state;
    static uint8_t buf[(1 << 20) + 64];
    static const char *const fill[] = {"7", "1 ", "DE89"};
    for (size_t f = 0; f < 3; f++) {
        size_t n = 0, fl = strlen(fill[f]);
        while (n + fl <= 1 << 20) {
            memcpy(buf + n, fill[f], fl);
            n += fl;
        }
        memcpy(buf + n, " x 13812345678 ", 15);
        n += 15;
        struct seen s = scan(buf, n);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.m[0].type, PII_CN_MOBILE);
    }
}

static void test_context(void **state)
{
    (void)state;
    struct seen a = SCAN("x 11010519491231002X");
    struct seen b = SCAN("身份证号: 11010519491231002X");
    assert_int_equal(a.n, 1);
    assert_int_equal(b.n, 1);
    assert_true(b.m[0].confidence > a.m[0].confidence);
    a = SCAN("13812345678");
    b = SCAN("手机 13812345678");
    assert_true(b.m[0].confidence > a.m[0].confidence);
    b = SCAN("Mobile: 13812345678");
    assert_true(b.m[0].confidence > a.m[0].confidence);
    /* bare 9 digits: SSN with its label, passport with its label */
    a = SCAN("\"ssn\":\"123456789\"");
    one(&a, PII_US_SSN, "123456789");
    a = SCAN("护照号码 123456789");
    one(&a, PII_PASSPORT, "123456789");
    /* the required label must be close: not 100 bytes earlier */
    char far[200] = "ssn ";
    for (int i = 0; i < 20; i++)
        strcat(far, "word ");
    strcat(far, "123456789");
    a = scan(far, strlen(far));
    assert_int_equal(a.n, 0);
    /* sticky context from a header holds for the whole stream */
    struct pii_stream st;
    struct pii_counts c;
    struct seen s = {0};
    pii_counts_init(&c);
    pii_stream_init(&st, sc);
    pii_stream_on_match(&st, record, &s);
    pii_stream_add_context(&st, "id,passport,email", 17);
    char rows[600];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(rows + n, sizeof(rows) - n, "%d,E%08d,\n", i, 12345670 + i);
    assert_int_equal(pii_stream_feed(&st, (const uint8_t *)rows, n, &c), 0);
    assert_int_equal(pii_stream_flush(&st, &c), 0);
    assert_int_equal(c.matches[PII_PASSPORT], 40);
    pii_stream_fini(&st);
}

static const char mixed[] =
    "{\"name\":\"John Smith\",\"email\":\"john.smith@example.com\",\"mobile\":\"13812345678\","
    "\"id_card\":\"11010519491231002X\",\"card\":\"4111 1111 1111 1111\",\"ssn\":\"123-45-6789\","
    "\"iban\":\"DE89 3704 0044 0532 0130 00\",\"passport\":\"E12345678\","
    "\"phone\":\"+44 20 7946 0958\",\"姓名\":\"张伟\"}";

static void counts_of(const uint8_t *p, size_t n, size_t split1, size_t split2, uint64_t *out)
{
    struct pii_counts c;
    struct pii_stream st;
    pii_counts_init(&c);
    pii_stream_init(&st, sc);
    assert_int_equal(pii_stream_feed(&st, p, split1, &c), 0);
    assert_int_equal(pii_stream_feed(&st, p + split1, split2 - split1, &c), 0);
    assert_int_equal(pii_stream_feed(&st, p + split2, n - split2, &c), 0);
    assert_int_equal(pii_stream_flush(&st, &c), 0);
    pii_stream_fini(&st);
    memcpy(out, c.matches, sizeof(c.matches));
}

static void test_straddle(void **state)
{
    (void)state;
    const uint8_t *p = (const uint8_t *)mixed;
    size_t n = sizeof(mixed) - 1;
    uint64_t whole[PII_TYPE_MAX], got[PII_TYPE_MAX];
    counts_of(p, n, n, n, whole);
    for (int t = 0; t < PII_TYPE_MAX; t++)
        assert_int_equal(whole[t], t == PII_NAME ? 2 : 1);
    /* every pair of split points, including empty feeds */
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b += 7) {
            counts_of(p, n, a, b, got);
            if (memcmp(got, whole, sizeof(got)) != 0)
                fail_msg("split at %zu/%zu differs", a, b);
        }
    /* one byte at a time */
    struct pii_counts c;
    struct pii_stream st;
    pii_counts_init(&c);
    pii_stream_init(&st, sc);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pii_stream_feed(&st, p + i, 1, &c), 0);
    assert_int_equal(pii_stream_flush(&st, &c), 0);
    assert_memory_equal(c.matches, whole, sizeof(whole));
}

/* The labelled corpus fed in chunks of varying size counts what it counts
 * whole. */
static void test_corpus_chunks(void **state)
{
    (void)state;
    FILE *f = fopen("tests/pii-corpus/corpus.bin", "rb");
    assert_non_null(f);
    static uint8_t buf[2 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(n > 1000000);
    struct pii_counts whole, split;
    struct pii_stream st;
    pii_counts_init(&whole);
    pii_stream_init(&st, sc);
    assert_int_equal(pii_stream_feed(&st, buf, n, &whole), 0);
    assert_int_equal(pii_stream_flush(&st, &whole), 0);
    pii_counts_init(&split);
    pii_stream_init(&st, sc);
    srand(7);
    /* sizes from 1 byte to a few segments; no allocation while feeding */
    struct mallinfo2 before = mallinfo2();
    for (size_t off = 0; off < n;) {
        size_t len = (size_t)(rand() % 3000) + 1;
        if (len > n - off)
            len = n - off;
        assert_int_equal(pii_stream_feed(&st, buf + off, len, &split), 0);
        off += len;
    }
    assert_int_equal(pii_stream_flush(&st, &split), 0);
    struct mallinfo2 after = mallinfo2();
    assert_int_equal(before.uordblks, after.uordblks);
    assert_memory_equal(whole.matches, split.matches, sizeof(whole.matches));
    assert_memory_equal(whole.conf_hist, split.conf_hist, sizeof(whole.conf_hist));
    /* constant memory: the stream is a fixed-size struct in caller storage */
    assert_true(sizeof(struct pii_stream) <= 512);
}

static void test_dns(void **state)
{
    (void)state;
    struct pii_counts c;
    pii_counts_init(&c);
    /* base32("john@example.com,13812345678") split over labels */
    static const char b32[] = "NJXWQ3SAMV4GC3LQNRSS4Y3PNU.WDCMZYGEZDGNBVGY3TQ.t.evil.example";
    assert_int_equal(pii_scan_dns_name(sc, NULL, b32, strlen(b32), &c), 0);
    assert_int_equal(c.matches[PII_EMAIL], 1);
    assert_int_equal(c.matches[PII_CN_MOBILE], 1);
    /* hex("4111111111111111") */
    pii_counts_init(&c);
    static const char hex[] = "34313131313131313131313131313131.x.example.com";
    assert_int_equal(pii_scan_dns_name(sc, NULL, hex, strlen(hex), &c), 0);
    assert_int_equal(c.matches[PII_CARD], 1);
    /* base64url("id 11010519491231002X") */
    pii_counts_init(&c);
    static const char b64[] = "aWQgMTEwMTA1MTk0OTEyMzEwMDJY.x.example.com";
    assert_int_equal(pii_scan_dns_name(sc, NULL, b64, strlen(b64), &c), 0);
    assert_int_equal(c.matches[PII_CN_RESIDENT_ID], 1);
    /* an ordinary name has nothing */
    pii_counts_init(&c);
    assert_int_equal(pii_scan_dns_name(sc, NULL, "www.example.com", 15, &c), 0);
    for (int t = 0; t < PII_TYPE_MAX; t++)
        assert_int_equal(c.matches[t], 0);
}

static void test_distinct_and_names(void **state)
{
    (void)state;
    static struct bw_distinct d[PII_TYPE_MAX];
    struct pii_counts c;
    pii_counts_init(&c);
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        bw_distinct_init(&d[t]);
        c.distinct[t] = &d[t];
    }
    char buf[64];
    for (int i = 0; i < 300; i++) {
        /* 100 different mobiles, each seen three times */
        int n = snprintf(buf, sizeof(buf), " 1381234%04d ", i % 100);
        assert_int_equal(pii_scan_buf(sc, NULL, buf, (size_t)n, &c), 0);
    }
    assert_int_equal(c.matches[PII_CN_MOBILE], 300);
    uint64_t est = bw_distinct_estimate(&d[PII_CN_MOBILE]);
    assert_true(est >= 97 && est <= 103);
    assert_true(pii_counts_records(&c) == est);
    /* a worker thread's own scratch scans the same */
    struct bw_err err;
    struct pii_scratch *s = pii_scratch_new(sc, &err);
    assert_non_null(s);
    pii_counts_init(&c);
    assert_int_equal(pii_scan_buf(sc, s, " 13812345678 ", 13, &c), 0);
    assert_int_equal(c.matches[PII_CN_MOBILE], 1);
    pii_scratch_free(s);
    assert_string_equal(pii_type_name(PII_CARD), "card_number");
    assert_string_equal(pii_type_name(PII_NAME), "person_name");
    assert_int_equal(pii_type_from_name("cn_resident_id"), PII_CN_RESIDENT_ID);
    assert_int_equal(pii_type_from_name("nope"), -1);
    assert_string_equal(pii_type_category(PII_IBAN), "financial");
    assert_string_equal(pii_type_category(PII_EMAIL), "contact");
    assert_string_equal(pii_type_category(PII_US_SSN), "national_id");
}

/* The compiled databases cached in a directory: the second scanner loads them
 * and finds the same; a damaged file is compiled over and rewritten. */
static void test_db_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-pii-cache.XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pii-patterns.hsdb", dir);
    static const char text[] = "mail bob@example.com card 4111 1111 1111 1111 tel 13812345678";
    struct pii_counts want, got;
    pii_counts_init(&want);
    assert_int_equal(pii_scan_buf(sc, NULL, text, sizeof(text) - 1, &want), 0);
    assert_int_equal(want.matches[PII_EMAIL], 1);
    for (int round = 0; round < 3; round++) {
        struct bw_err err;
        struct pii_scanner *c = pii_scanner_new_cached(dir, &err);
        assert_non_null(c);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp); /* written by the first, read by the others */
        fclose(fp);
        pii_counts_init(&got);
        assert_int_equal(pii_scan_buf(c, NULL, text, sizeof(text) - 1, &got), 0);
        assert_memory_equal(got.matches, want.matches, sizeof(want.matches));
        pii_scanner_free(c);
        if (round == 1) { /* damage it: the next start compiles and rewrites */
            fp = fopen(path, "r+b");
            assert_non_null(fp);
            fseek(fp, 20, SEEK_SET);
            fputs("garbage", fp);
            fclose(fp);
        }
    }
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_negatives),
        cmocka_unit_test(test_boundaries_binary),
        cmocka_unit_test(test_context),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_straddle),
        cmocka_unit_test(test_corpus_chunks),
        cmocka_unit_test(test_dns),
        cmocka_unit_test(test_distinct_and_names),
        cmocka_unit_test(test_db_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

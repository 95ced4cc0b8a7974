/* Unit tests for sensor/distinct.c: SipHash-2-4 reference vectors,
 * HyperLogLog accuracy and merging, and the per-installation key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/distinct.h"

static void test_siphash_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* from the SipHash paper and its reference implementation */
    assert_true(bw_siphash(key, msg, 0) == UINT64_C(0x726fdb47dd0e0e31));
    assert_true(bw_siphash(key, msg, 15) == UINT64_C(0xa129ca6149be45e5));
    assert_true(bw_siphash(key, msg, 8) == UINT64_C(0x93f5f5799a932462));
    /* a different key gives a different hash */
    key[0] ^= 1;
    assert_true(bw_siphash(key, msg, 15) != UINT64_C(0xa129ca6149be45e5));
}

static uint64_t estimate_of(unsigned n, unsigned seed)
{
    uint8_t key[16] = {0};
    key[0] = (uint8_t)seed;
    struct bw_distinct d;
    bw_distinct_init(&d);
    for (unsigned i = 0; i < n; i++) {
        bw_distinct_add(&d, bw_siphash(key, &i, sizeof(i)));
        bw_distinct_add(&d, bw_siphash(key, &i, sizeof(i))); /* repeats do not count */
    }
    return bw_distinct_estimate(&d);
}

static void test_hll_accuracy(void **state)
{
    (void)state;
    struct bw_distinct d;
    bw_distinct_init(&d);
    assert_int_equal(bw_distinct_estimate(&d), 0);
    /* small counts are near exact (linear counting) */
    assert_int_equal(estimate_of(1, 1), 1);
    uint64_t e = estimate_of(50, 1);
    assert_true(e >= 49 && e <= 51);
    /* large counts within 4 standard errors (1.6% each at 2^12 registers) */
    static const unsigned sizes[] = {1000, 10000, 100000};
    for (size_t i = 0; i < 3; i++) {
        e = estimate_of(sizes[i], 2);
        double err = ((double)e - sizes[i]) / sizes[i];
        if (err < -0.065 || err > 0.065)
            fail_msg("n=%u estimate %llu", sizes[i], (unsigned long long)e);
    }
}

static void test_hll_merge(void **state)
{
    (void)state;
    uint8_t key[16] = {9};
    struct bw_distinct a, b;
    bw_distinct_init(&a);
    bw_distinct_init(&b);
    for (unsigned i = 0; i < 300; i++)
        bw_distinct_add(&a, bw_siphash(key, &i, sizeof(i)));
    for (unsigned i = 200; i < 500; i++)
        bw_distinct_add(&b, bw_siphash(key, &i, sizeof(i)));
    bw_distinct_merge(&a, &b);
    uint64_t e = bw_distinct_estimate(&a);
    assert_true(e >= 480 && e <= 520); /* union: 500 */
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-pii-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64], path[96];
    snprintf(sub, sizeof(sub), "%s/state", dir);
    snprintf(path, sizeof(path), "%s/pii.key", sub);
    uint8_t k1[16], k2[16], zero[16] = {0};
    struct bw_err err;
    assert_int_equal(bw_distinct_key_load(sub, k1, &err), 0); /* creates dir and key */
    assert_int_equal(bw_distinct_key_load(sub, k2, &err), 0); /* reads it back */
    assert_memory_equal(k1, k2, 16);
    assert_memory_not_equal(k1, zero, 16);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 16);
    /* a truncated key file is an error, not a new key */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("short", f);
    fclose(f);
    assert_int_equal(bw_distinct_key_load(sub, k2, &err), -1);
    assert_non_null(strstr(err.msg, "pii.key"));
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_hll_accuracy),
        cmocka_unit_test(test_hll_merge),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

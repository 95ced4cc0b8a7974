/* The open-addressing group table against a plain array: random adds and
 * removals with colliding home slots and equal hashes, through growth and
 * wrap-around, every entry findable after every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/detect-table.h"

#define NV 3000

struct item {
    uint64_t hash;
    int id;
    int in;
};

static int eq_id(const void *p, const void *ctx)
{
    return ((const struct item *)p)->id == *(const int *)ctx;
}

static void check_all(const struct gtab *t, struct item *v, int n)
{
    size_t in = 0;
    for (int i = 0; i < n; i++) {
        void *p = gtab_find(t, v[i].hash, eq_id, &v[i].id);
        assert_ptr_equal(p, v[i].in ? &v[i] : NULL);
        in += (size_t)v[i].in;
    }
    assert_int_equal(t->n, in);
    size_t used = 0;
    for (size_t i = 0; i <= t->mask; i++)
        used += t->s[i].p != NULL;
    assert_int_equal(used, in);
    assert_true(t->n * 2 <= t->mask + 1);
}

static void test_random_ops(void **state)
{
    (void)state;
    static struct item v[NV];
    struct gtab t;
    uint64_t seed = 11;
    for (int i = 0; i < NV; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        /* few distinct home slots (low bits) and some equal full hashes */
        v[i].hash = (seed >> 20) << 8 | (seed >> 60);
        if (i % 17 == 0 && i > 0)
            v[i].hash = v[i - 1].hash;
        v[i].id = i;
        v[i].in = 0;
    }
    assert_int_equal(gtab_init(&t, 16), 0);
    for (int step = 0; step < 20000; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int i = (int)((seed >> 33) % (step < 8000 ? NV : NV / 3));
        if (v[i].in) {
            gtab_del(&t, v[i].hash, &v[i]);
            v[i].in = 0;
        } else {
            assert_int_equal(gtab_put(&t, v[i].hash, &v[i]), 0);
            v[i].in = 1;
        }
        if (step % 997 == 0)
            check_all(&t, v, NV);
    }
    check_all(&t, v, NV);
    /* removing an absent entry changes nothing */
    for (int i = 0; i < NV; i++)
        if (!v[i].in) {
            size_t n = t.n;
            gtab_del(&t, v[i].hash, &v[i]);
            assert_int_equal(t.n, n);
            break;
        }
    for (int i = 0; i < NV; i++)
        if (v[i].in) {
            gtab_del(&t, v[i].hash, &v[i]);
            v[i].in = 0;
        }
    check_all(&t, v, NV);
    gtab_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

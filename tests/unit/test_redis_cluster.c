/* common/redis.c cluster parts that need no server: CRC16 and key slots
 * (known answers from the Redis Cluster specification), hash tags, and
 * redis+cluster:// URLs. The client against a real cluster is tested by
 * tests/e2e/redis-cluster-client.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/redis.h"

static unsigned slot(const char *k)
{
    return bw_redis_key_slot(k, strlen(k));
}

static void test_crc16(void **state)
{
    (void)state;
    /* The specification's check value for CRC16-CCITT XMODEM. */
    assert_int_equal(bw_redis_crc16("123456789", 9), 0x31C3);
    assert_int_equal(bw_redis_crc16("", 0), 0);
    /* Slots as `CLUSTER KEYSLOT` reports them (redis-server 7.0). */
    assert_int_equal(slot("foo"), 12182);
    assert_int_equal(slot("bar"), 5061);
    assert_int_equal(slot("bw:alerts"), bw_redis_crc16("bw:alerts", 9) % 16384);
}

static void test_hash_tags(void **state)
{
    (void)state;
    /* The spec's examples. */
    assert_int_equal(slot("{user1000}.following"), slot("{user1000}.followers"));
    assert_int_equal(slot("{user1000}.following"), slot("user1000"));
    assert_int_equal(slot("foo{}{bar}"), bw_redis_crc16("foo{}{bar}", 10) % 16384);
    assert_int_equal(slot("foo{{bar}}zap"), slot("{bar"));
    assert_int_equal(slot("foo{bar}{zap}"), slot("bar"));
    assert_int_equal(slot("no{close"), bw_redis_crc16("no{close", 8) % 16384);
    /* Every key of one incident lives on one slot. */
    assert_int_equal(slot("bw:incident:{INC-7}"), slot("bw:incident:{INC-7}:timeline"));
    assert_int_equal(slot("bw:incident:{INC-7}"), slot("bw:incident:{INC-7}:evidence"));
    assert_int_not_equal(slot("bw:incident:{INC-7}"), slot("bw:incident:{INC-8}"));
    /* Binary keys: the length counts, not a NUL. */
    assert_int_equal(bw_redis_key_slot("a\0b", 3), bw_redis_crc16("a\0b", 3) % 16384);
}

static void test_cluster_url(void **state)
{
    (void)state;
    struct bw_redis_url u;
    struct bw_err err;
    char buf[512];
    assert_int_equal(
        bw_redis_url_parse("redis+cluster://bw:pw@127.0.0.1:7001,127.0.0.1:7002,[::1]:7003", &u,
                           &err),
        0);
    assert_true(u.cluster);
    assert_int_equal(u.nseeds, 3);
    assert_string_equal(u.seeds[0].host, "127.0.0.1");
    assert_int_equal(u.seeds[0].port, 7001);
    assert_int_equal(u.seeds[1].port, 7002);
    assert_string_equal(u.seeds[2].host, "::1");
    assert_int_equal(u.seeds[2].port, 7003);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 7001);
    assert_string_equal(u.user, "bw");
    assert_string_equal(u.password, "pw");
    bw_redis_url_fmt(&u, buf, sizeof(buf));
    assert_string_equal(buf, "redis+cluster://bw@127.0.0.1:7001,127.0.0.1:7002,::1:7003");
    assert_int_equal(bw_redis_url_parse("redis+cluster://h", &u, &err), 0);
    assert_int_equal(u.nseeds, 1);
    assert_int_equal(u.port, 6379);
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1/0", &u, &err), 0);
    /* Cluster has database 0 only; several hosts need cluster mode. */
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1/2", &u, &err), -1);
    assert_non_null(strstr(err.msg, "database 0"));
    assert_int_equal(bw_redis_url_parse("redis://h:1,h:2", &u, &err), -1);
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1,", &u, &err), -1);
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1,h:0", &u, &err), -1);
    assert_int_equal(
        bw_redis_url_parse("redis+cluster://a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", &u, &err), -1);
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1,h:2?replicas=1", &u, &err), 0);
    assert_int_equal(u.replicas, 1);
    assert_int_equal(u.nseeds, 2);
    assert_int_equal(u.seeds[1].port, 2);
    assert_int_equal(bw_redis_url_parse("redis://h:1/2?replicas=2", &u, &err), 0);
    assert_int_equal(u.replicas, 2);
    assert_int_equal(u.db, 2);
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1?replicas=0", &u, &err), -1);
    assert_int_equal(bw_redis_url_parse("redis+cluster://h:1?wait=1", &u, &err), -1);
    /* Plain URLs keep their meaning. */
    assert_int_equal(bw_redis_url_parse("redis://h:7/3", &u, &err), 0);
    assert_false(u.cluster);
    assert_int_equal(u.nseeds, 0);
    assert_int_equal(u.db, 3);
}

/* No server at all: commands fail cleanly and quickly, nothing crashes. */
static void test_cluster_unreachable(void **state)
{
    (void)state;
    struct bw_redis_url u;
    assert_int_equal(bw_redis_url_parse("redis+cluster://127.0.0.1:1,127.0.0.1:2", &u, NULL), 0);
    struct bw_redis *r = bw_redis_new(&u, 200);
    assert_non_null(r);
    assert_int_equal(bw_redis_connect(r), -1);
    assert_null(bw_redis_cmdv(r, 3, (const char *[]){"SET", "k", "v"}));
    assert_false(bw_redis_connected(r));
    assert_true(bw_redis_errstr(r)[0] != '\0');
    bw_redis_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16),
        cmocka_unit_test(test_hash_tags),
        cmocka_unit_test(test_cluster_url),
        cmocka_unit_test(test_cluster_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

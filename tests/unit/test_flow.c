/* Unit tests for the flow table (sensor/flow.c): bidirectional lookup, VLAN
 * separation, timeouts per state, memcap eviction, Community ID vectors and
 * the symmetric hash. Packets are decoded-packet structs as the decoder hands
 * them over. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>

#include "sensor/flow.h"

#define SEC 1000000LL
#define T0  (1700000000LL * SEC)

struct ended {
    int n;
    enum flow_end_reason why[64];
    uint64_t pkts[64][2];
    uint16_t cport[64];
};

static void on_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    struct ended *e = ctx;
    if (e->n < 64) {
        e->why[e->n] = why;
        e->pkts[e->n][0] = f->pkts[0];
        e->pkts[e->n][1] = f->pkts[1];
        e->cport[e->n] = f->cport;
    }
    e->n++;
}

static void addr(struct bw_addr *a, const char *s)
{
    assert_int_equal(bw_addr_parse(s, a), 0);
}

static struct bw_packet pkt(const char *src, uint16_t sp, const char *dst, uint16_t dp,
                            uint8_t proto, uint8_t flags, int64_t ts)
{
    struct bw_packet p;
    memset(&p, 0, sizeof(p));
    addr(&p.src, src);
    addr(&p.dst, dst);
    p.sport = sp;
    p.dport = dp;
    p.proto = proto;
    p.tcp_flags = flags;
    p.ts_us = ts;
    p.wirelen = 100;
    p.caplen = 100;
    p.flags = PKT_HAS_IP | PKT_HAS_L4;
    p.event = DEC_EVENT_MAX;
    return p;
}

static struct flow_table *table(struct ended *e, uint64_t memcap)
{
    struct flow_config cfg;
    struct bw_err err;
    flow_config_defaults(&cfg);
    if (memcap)
        cfg.memcap = memcap;
    memset(e, 0, sizeof(*e));
    struct flow_table *t = flow_table_new(&cfg, on_end, e, &err);
    assert_non_null(t);
    return t;
}

static void test_bidirectional(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    struct bw_packet syn = pkt("10.0.0.1", 40000, "10.0.0.2", 5432, IPPROTO_TCP, 0x02, T0);
    struct bw_packet synack = pkt("10.0.0.2", 5432, "10.0.0.1", 40000, IPPROTO_TCP, 0x12, T0 + 1);
    struct bw_packet ack = pkt("10.0.0.1", 40000, "10.0.0.2", 5432, IPPROTO_TCP, 0x10, T0 + 2);
    struct flow *f1 = flow_handle_packet(t, &syn, &dir);
    assert_non_null(f1);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_int_equal(f1->tcp_state, FLOW_TCP_SYN_SENT);
    struct flow *f2 = flow_handle_packet(t, &synack, &dir);
    assert_ptr_equal(f1, f2);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f1->tcp_state, FLOW_TCP_SYN_RECV);
    assert_ptr_equal(flow_handle_packet(t, &ack, &dir), f1);
    assert_int_equal(f1->tcp_state, FLOW_TCP_ESTABLISHED);
    assert_int_equal(f1->pkts[FLOW_TOSERVER], 2);
    assert_int_equal(f1->pkts[FLOW_TOCLIENT], 1);
    assert_int_equal(f1->bytes[FLOW_TOSERVER], 200);
    assert_int_equal(f1->cport, 40000);
    assert_int_equal(f1->sport, 5432);
    assert_true(f1->flow_id < (1ull << 53));
    assert_int_equal(flow_table_stats(t)->created, 1);
    flow_table_free(t);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.why[0], FLOW_END_SHUTDOWN);
}

static void test_synack_first_sets_client(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    struct bw_packet synack = pkt("10.0.0.2", 80, "10.0.0.1", 40001, IPPROTO_TCP, 0x12, T0);
    struct flow *f = flow_handle_packet(t, &synack, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->cport, 40001);
    assert_int_equal(f->sport, 80);
    flow_table_free(t);
}

static void test_vlan_separation(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    struct bw_packet a = pkt("10.0.0.1", 1000, "10.0.0.2", 53, IPPROTO_UDP, 0, T0);
    struct bw_packet b = a;
    a.vlan_n = 1;
    a.vlan[0] = 6;
    b.vlan_n = 1;
    b.vlan[0] = 7;
    struct flow *fa = flow_handle_packet(t, &a, &dir);
    struct flow *fb = flow_handle_packet(t, &b, &dir);
    assert_ptr_not_equal(fa, fb);
    struct bw_packet a2 = pkt("10.0.0.2", 53, "10.0.0.1", 1000, IPPROTO_UDP, 0, T0 + 5);
    a2.vlan_n = 1;
    a2.vlan[0] = 6;
    assert_ptr_equal(flow_handle_packet(t, &a2, &dir), fa);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(flow_table_stats(t)->active, 2);
    flow_table_free(t);
}

/* A flow of the given kind, idle from T0: expires after `timeout_s`, not before. */
static void check_timeout(const char *name, uint8_t proto, const uint8_t *flags, int nflags,
                          int timeout_s)
{
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    for (int i = 0; i < nflags; i++) {
        int fwd = i % 2 == 0;
        struct bw_packet p = fwd ? pkt("10.0.0.1", 40000, "10.0.0.2", 80, proto, flags[i], T0)
                                 : pkt("10.0.0.2", 80, "10.0.0.1", 40000, proto, flags[i], T0);
        assert_non_null(flow_handle_packet(t, &p, &dir));
    }
    flow_table_tick(t, T0 + (int64_t)timeout_s * SEC);
    if (e.n != 0)
        fail_msg("%s: expired at its timeout", name);
    flow_table_tick(t, T0 + (int64_t)timeout_s * SEC + 1);
    if (e.n != 1 || e.why[0] != FLOW_END_TIMEOUT)
        fail_msg("%s: not expired just after %d s", name, timeout_s);
    assert_int_equal(flow_table_stats(t)->timed_out, 1);
    flow_table_free(t);
}

static void test_timeouts_by_state(void **state)
{
    (void)state;
    const uint8_t syn[] = {0x02};
    const uint8_t est[] = {0x02, 0x12, 0x10};
    const uint8_t fin1[] = {0x02, 0x12, 0x10, 0x11};
    const uint8_t rst[] = {0x02, 0x12, 0x10, 0x04};
    const uint8_t closed[] = {0x02, 0x12, 0x10, 0x11, 0x11, 0x10};
    const uint8_t none[] = {0};
    check_timeout("tcp new", IPPROTO_TCP, syn, 1, 30);
    check_timeout("tcp established", IPPROTO_TCP, est, 3, 300);
    check_timeout("tcp half-closed", IPPROTO_TCP, fin1, 4, 300);
    check_timeout("tcp rst", IPPROTO_TCP, rst, 4, 10);
    check_timeout("tcp fin both", IPPROTO_TCP, closed, 6, 10);
    check_timeout("udp", IPPROTO_UDP, none, 1, 60);
    check_timeout("icmp", IPPROTO_ICMP, none, 1, 30);
    check_timeout("other", 47, none, 1, 60);
}

static void test_expired_flow_not_reused(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    struct bw_packet a = pkt("10.0.0.1", 1000, "10.0.0.2", 53, IPPROTO_UDP, 0, T0);
    struct flow *f = flow_handle_packet(t, &a, &dir);
    uint64_t id = f->flow_id;
    a.ts_us = T0 + 61 * SEC; /* no tick in between: the lookup itself expires it */
    f = flow_handle_packet(t, &a, &dir);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.why[0], FLOW_END_TIMEOUT);
    assert_int_equal(f->pkts[0], 1);
    assert_true(f->flow_id != id);
    flow_table_free(t);
}

static void test_port_reuse_after_close(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    const uint8_t seq[] = {0x02, 0x12, 0x10, 0x04};
    for (int i = 0; i < 4; i++) {
        struct bw_packet p = i % 2 == 0
                                 ? pkt("10.0.0.1", 40000, "10.0.0.2", 80, IPPROTO_TCP, seq[i], T0)
                                 : pkt("10.0.0.2", 80, "10.0.0.1", 40000, IPPROTO_TCP, seq[i], T0);
        flow_handle_packet(t, &p, &dir);
    }
    struct bw_packet syn = pkt("10.0.0.1", 40000, "10.0.0.2", 80, IPPROTO_TCP, 0x02, T0 + SEC);
    struct flow *f = flow_handle_packet(t, &syn, &dir);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.why[0], FLOW_END_CLOSED);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
    assert_int_equal(f->pkts[0] + f->pkts[1], 1);
    flow_table_free(t);
}

static void test_memcap_eviction(void **state)
{
    (void)state;
    struct ended e;
    /* Exactly 16 flows: the pool plus a 16-bucket array. */
    struct flow_table *t = table(&e, 16 * (sizeof(struct flow) + sizeof(struct flow *)));
    assert_int_equal(flow_table_stats(t)->pool_size, 16);
    int dir;
    for (int i = 0; i < 20; i++) {
        struct bw_packet p =
            pkt("10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 53, IPPROTO_UDP, 0, T0 + i);
        assert_non_null(flow_handle_packet(t, &p, &dir));
    }
    const struct flow_stats *st = flow_table_stats(t);
    assert_int_equal(st->evicted, 4);
    assert_int_equal(st->active, 16);
    assert_int_equal(st->created, 20);
    assert_int_equal(e.n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(e.why[i], FLOW_END_EVICTED);
        assert_int_equal(e.cport[i], 1000 + i); /* oldest first */
    }
    flow_table_free(t);
    assert_int_equal(e.n, 20);
}

static void test_memcap_too_small(void **state)
{
    (void)state;
    struct flow_config cfg;
    struct bw_err err;
    flow_config_defaults(&cfg);
    cfg.memcap = 1000;
    assert_null(flow_table_new(&cfg, NULL, NULL, &err));
    assert_non_null(strstr(err.msg, "memcap"));
}

static void cid(uint16_t seed, const char *s, uint16_t sp, const char *d, uint16_t dp,
                uint8_t proto, const char *want)
{
    struct bw_addr a, b;
    char out[40], rev[40];
    addr(&a, s);
    addr(&b, d);
    flow_community_id(seed, &a, &b, proto, sp, dp, out);
    assert_string_equal(out, want);
    if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6) {
        flow_community_id(seed, &b, &a, proto, dp, sp, rev);
        assert_string_equal(rev, want);
    }
}

/* Expected values: the spec's own example (LQU9..., 3V71...) and the rest
 * computed by tshark 4.0.17 (`--enable-protocol communityid`, seeds 0 and 1)
 * over the same tuples. */
static void test_community_id(void **state)
{
    (void)state;
    cid(0, "128.232.110.120", 34855, "66.35.250.204", 80, IPPROTO_TCP,
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    cid(1, "128.232.110.120", 34855, "66.35.250.204", 80, IPPROTO_TCP,
        "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
    cid(0, "10.16.1.11", 52345, "10.16.1.1", 53, IPPROTO_UDP, "1:XMrqRSJ20yT0DIj38c7AOQevH/k=");
    cid(0, "::1", 55717, "::1", 8000, IPPROTO_TCP, "1:WVcbZC4PFnnY1xHgiri53kVhzkw=");
    cid(0, "3ffe:507:0:1:200:86ff:fe05:80da", 2396, "3ffe:501:4819::42", 53, IPPROTO_UDP,
        "1:JBeyh8m0a90BZxNrl8qsXhtgfcQ=");
    cid(1, "3ffe:507:0:1:200:86ff:fe05:80da", 2396, "3ffe:501:4819::42", 53, IPPROTO_UDP,
        "1:k92r8z2YHT+tCeHyjOGhrUPy6h0=");
    /* ICMP echo request and its reply: one id (types map to each other). */
    cid(0, "192.168.0.89", 8, "192.168.0.1", 0, IPPROTO_ICMP, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    cid(0, "192.168.0.1", 0, "192.168.0.89", 0, IPPROTO_ICMP, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    cid(1, "192.168.0.89", 8, "192.168.0.1", 0, IPPROTO_ICMP, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=");
    /* One-way: destination unreachable, type 3 code 1 (the code is the port). */
    cid(0, "192.168.0.1", 3, "192.168.0.89", 1, IPPROTO_ICMP, "1:o3zT92uTgnRWv/YrDVeXcWumpC4=");
    cid(1, "192.168.0.1", 3, "192.168.0.89", 1, IPPROTO_ICMP, "1:qIf6lvHfIQaHHm53mh0AAtyR6IM=");
    /* ICMPv6 neighbour solicitation (two-way) and destination unreachable (one-way). */
    cid(0, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 0, IPPROTO_ICMPV6,
        "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    cid(1, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 0, IPPROTO_ICMPV6,
        "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=");
    cid(0, "3ffe:507:0:1:260:97ff:fe07:69ea", 1, "3ffe:507:0:1:200:86ff:fe05:80da", 4,
        IPPROTO_ICMPV6, "1:gTqu7VsUsAmnYtRcECfFr8lTno8=");
    cid(1, "3ffe:507:0:1:260:97ff:fe07:69ea", 1, "3ffe:507:0:1:200:86ff:fe05:80da", 4,
        IPPROTO_ICMPV6, "1:cqYL6k/IHEF4eMlxBkaES/ZY7ZQ=");
}

static void test_flow_community_id_field(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *t = table(&e, 0);
    int dir;
    /* The server answers first: the id does not depend on who is client. */
    struct bw_packet p = pkt("10.16.1.1", 53, "10.16.1.11", 52345, IPPROTO_UDP, 0, T0);
    struct flow *f = flow_handle_packet(t, &p, &dir);
    assert_string_equal(f->community_id, "1:XMrqRSJ20yT0DIj38c7AOQevH/k=");
    flow_table_free(t);
}

static void test_symmetric_hash(void **state)
{
    (void)state;
    uint32_t x = 12345;
    for (int i = 0; i < 1000; i++) {
        struct bw_packet p, q;
        memset(&p, 0, sizeof(p));
        p.flags = PKT_HAS_IP | PKT_HAS_L4;
        p.proto = i % 2 ? IPPROTO_TCP : IPPROTO_UDP;
        uint8_t a[16], b[16];
        for (int k = 0; k < 16; k++) {
            x = x * 1103515245u + 12345u;
            a[k] = (uint8_t)(x >> 16);
            x = x * 1103515245u + 12345u;
            b[k] = (uint8_t)(x >> 16);
        }
        if (i % 3) {
            bw_addr_from_v4(&p.src, a);
            bw_addr_from_v4(&p.dst, b);
        } else {
            bw_addr_from_v6(&p.src, a);
            bw_addr_from_v6(&p.dst, b);
        }
        p.sport = (uint16_t)(x >> 3);
        p.dport = (uint16_t)(x >> 7);
        q = p;
        q.src = p.dst;
        q.dst = p.src;
        q.sport = p.dport;
        q.dport = p.sport;
        struct flow_key kp, kq;
        flow_key_from_packet(&p, &kp);
        flow_key_from_packet(&q, &kq);
        assert_memory_equal(&kp, &kq, sizeof(kp));
        assert_int_equal(flow_key_hash(&kp), flow_key_hash(&kq));
    }
    /* ... and different tuples do not all collide. */
    struct bw_packet p1 = pkt("10.0.0.1", 1, "10.0.0.2", 2, IPPROTO_TCP, 0, 0);
    struct bw_packet p2 = pkt("10.0.0.1", 1, "10.0.0.2", 3, IPPROTO_TCP, 0, 0);
    struct flow_key k1, k2;
    flow_key_from_packet(&p1, &k1);
    flow_key_from_packet(&p2, &k2);
    assert_int_not_equal(flow_key_hash(&k1), flow_key_hash(&k2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bidirectional),
        cmocka_unit_test(test_synack_first_sets_client),
        cmocka_unit_test(test_vlan_separation),
        cmocka_unit_test(test_timeouts_by_state),
        cmocka_unit_test(test_expired_flow_not_reused),
        cmocka_unit_test(test_port_reuse_after_close),
        cmocka_unit_test(test_memcap_eviction),
        cmocka_unit_test(test_memcap_too_small),
        cmocka_unit_test(test_community_id),
        cmocka_unit_test(test_flow_community_id_field),
        cmocka_unit_test(test_symmetric_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests of the decoder chain: frames built here for every link type and
 * IP/L4 combination, truncated at every header byte, malformed lengths and
 * versions, VLAN stacks, IPv4 options, IPv6 extension chains, and IPv4/IPv6
 * reassembly (in order, reversed, overlapping, duplicated, timeout, memcap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "sensor/decode.h"
#include "sensor/defrag.h"

#define TS0 1700000000000000LL

static const uint8_t SRC4[4] = {10, 0, 0, 1}, DST4[4] = {10, 0, 0, 2};
static const uint8_t SRC6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t DST6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* ---- frame builders ---- */

static void be16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void be32(uint8_t *b, uint32_t v)
{
    be16(b, (uint16_t)(v >> 16));
    be16(b + 2, (uint16_t)v);
}

static size_t put_eth(uint8_t *b, uint16_t type)
{
    memset(b, 0x11, 12);
    be16(b + 12, type);
    return 14;
}

static size_t put_vlan(uint8_t *b, uint16_t tci, uint16_t type)
{
    be16(b, tci);
    be16(b + 2, type);
    return 4;
}

/* IPv4 header with options; totlen = header + l4len. */
static size_t put_ipv4(uint8_t *b, uint8_t proto, size_t l4len, uint16_t id, uint16_t frag,
                       const uint8_t *opts, size_t optlen)
{
    size_t hlen = 20 + optlen;
    b[0] = (uint8_t)(0x40 | (hlen / 4));
    b[1] = 0;
    be16(b + 2, (uint16_t)(hlen + l4len));
    be16(b + 4, id);
    be16(b + 6, frag);
    b[8] = 64;
    b[9] = proto;
    be16(b + 10, 0);
    memcpy(b + 12, SRC4, 4);
    memcpy(b + 16, DST4, 4);
    if (optlen)
        memcpy(b + 20, opts, optlen);
    return hlen;
}

static size_t put_ipv6(uint8_t *b, uint8_t nh, size_t plen)
{
    be32(b, 0x60000000u);
    be16(b + 4, (uint16_t)plen);
    b[6] = nh;
    b[7] = 64;
    memcpy(b + 8, SRC6, 16);
    memcpy(b + 24, DST6, 16);
    return 40;
}

/* TCP header with MSS, SACK-permitted, timestamps and window scale (40 bytes). */
static size_t put_tcp(uint8_t *b, uint16_t sp, uint16_t dp)
{
    static const uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                     0, 1, 0,    0,    0, 0, 1, 3,  3, 7};
    be16(b, sp);
    be16(b + 2, dp);
    be32(b + 4, 1000);
    be32(b + 8, 2000);
    b[12] = (uint8_t)(10 << 4);
    b[13] = 0x12; /* SYN+ACK */
    be16(b + 14, 65535);
    be16(b + 16, 0);
    be16(b + 18, 0);
    memcpy(b + 20, opts, sizeof(opts));
    return 40;
}

static size_t put_udp(uint8_t *b, uint16_t sp, uint16_t dp, size_t paylen)
{
    be16(b, sp);
    be16(b + 2, dp);
    be16(b + 4, (uint16_t)(8 + paylen));
    be16(b + 6, 0);
    return 8;
}

static size_t put_payload(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7);
    return n;
}

struct frame {
    const char *name;
    int dlt;
    uint8_t b[2048];
    size_t len;
    size_t hdr; /* end of the L4 header: every shorter cut is malformed */
    uint8_t proto;
    uint8_t vlan_n;
};

enum l4kind { L4_TCP, L4_UDP, L4_ICMP };

/* Builds link header `link` + IP version `ipv` + L4 `l4` + 16 payload bytes. */
static void build(struct frame *f, const char *name, int dlt, int ipv, enum l4kind l4, int vlans)
{
    static const uint8_t ipopts[8] = {1, 7, 7, 4, 0, 0, 0, 0}; /* NOP, RR(ptr 4, one slot) */
    memset(f, 0, sizeof(*f));
    f->name = name;
    f->dlt = dlt;
    uint8_t *b = f->b;
    size_t n = 0;
    uint16_t et = ipv == 4 ? 0x0800 : 0x86dd;
    switch (dlt) {
    case BW_DLT_EN10MB:
        if (vlans == 0) {
            n += put_eth(b, et);
        } else {
            n += put_eth(b, vlans == 2 ? 0x88a8 : 0x8100);
            if (vlans == 2)
                n += put_vlan(b + n, 1, 0x8100);
            n += put_vlan(b + n, (uint16_t)(0x2000 | (vlans == 2 ? 10 : 6)), et);
        }
        break;
    case BW_DLT_LINUX_SLL:
        memset(b, 0, 14);
        be16(b + 14, et);
        n = 16;
        break;
    case BW_DLT_LINUX_SLL2:
        memset(b, 0, 20);
        be16(b, et);
        n = 20;
        break;
    case BW_DLT_NULL: /* little-endian host */
        b[0] = ipv == 4 ? 2 : 30;
        n = 4;
        break;
    case BW_DLT_LOOP: /* network order */
        b[3] = ipv == 4 ? 2 : 24;
        n = 4;
        break;
    default:
        break;
    }
    f->vlan_n = (uint8_t)vlans;
    size_t l4len = l4 == L4_TCP ? 40 : l4 == L4_UDP ? 8 : 4;
    uint8_t proto = l4 == L4_TCP ? 6 : l4 == L4_UDP ? 17 : (ipv == 4 ? 1 : 58);
    f->proto = proto;
    if (ipv == 4)
        n += put_ipv4(b + n, proto, l4len + 16, 7, 0, ipopts, sizeof(ipopts));
    else
        n += put_ipv6(b + n, proto, l4len + 16);
    if (l4 == L4_TCP) {
        n += put_tcp(b + n, 40000, 5432);
    } else if (l4 == L4_UDP) {
        n += put_udp(b + n, 5353, 53, 16);
    } else {
        b[n] = ipv == 4 ? 8 : 128; /* echo request */
        b[n + 1] = 0;
        memset(b + n + 2, 0, 2);
        n += 4;
    }
    f->hdr = n;
    n += put_payload(b + n, 16, 0x30);
    f->len = n;
}

#define NFRAMES 15
static struct frame frames[NFRAMES];

static void build_all(void)
{
    int i = 0;
    build(&frames[i++], "eth-ipv4-tcp", BW_DLT_EN10MB, 4, L4_TCP, 0);
    build(&frames[i++], "eth-vlan-ipv4-udp", BW_DLT_EN10MB, 4, L4_UDP, 1);
    build(&frames[i++], "eth-qinq-ipv6-tcp", BW_DLT_EN10MB, 6, L4_TCP, 2);
    build(&frames[i++], "eth-ipv4-icmp", BW_DLT_EN10MB, 4, L4_ICMP, 0);
    build(&frames[i++], "eth-ipv6-icmpv6", BW_DLT_EN10MB, 6, L4_ICMP, 0);
    build(&frames[i++], "sll-ipv4-udp", BW_DLT_LINUX_SLL, 4, L4_UDP, 0);
    build(&frames[i++], "sll2-ipv6-tcp", BW_DLT_LINUX_SLL2, 6, L4_TCP, 0);
    build(&frames[i++], "null-ipv4-tcp", BW_DLT_NULL, 4, L4_TCP, 0);
    build(&frames[i++], "null-ipv6-udp", BW_DLT_NULL, 6, L4_UDP, 0);
    build(&frames[i++], "loop-ipv4-udp", BW_DLT_LOOP, 4, L4_UDP, 0);
    build(&frames[i++], "loop-ipv6-tcp", BW_DLT_LOOP, 6, L4_TCP, 0);
    build(&frames[i++], "raw12-ipv4-tcp", BW_DLT_RAW, 4, L4_TCP, 0);
    build(&frames[i++], "raw14-ipv6-udp", BW_DLT_RAW_BSD, 6, L4_UDP, 0);
    build(&frames[i++], "ipv4-228-udp", BW_DLT_IPV4, 4, L4_UDP, 0);
    build(&frames[i++], "ipv6-229-tcp", BW_DLT_IPV6, 6, L4_TCP, 0);
}

/* ---- fixture ---- */

static struct decoder dec;

static int setup(void **state)
{
    struct bw_err err;
    struct decode_config cfg;
    decode_config_defaults(&cfg);
    cfg.defrag_memcap = 1u << 20;
    cfg.defrag_max_trackers = 64;
    cfg.defrag_timeout_us = 1000000;
    if (decoder_init(&dec, &cfg, &err) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    decoder_fini(&dec);
    return 0;
}

/* Decodes from a heap copy of exactly caplen bytes, so ASan sees any overread. */
static int decode_exact(int dlt, const uint8_t *b, size_t caplen, size_t wirelen, int64_t ts,
                        struct bw_packet *p)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, b, caplen);
    int r = decode_packet(&dec, dlt, copy, (uint32_t)caplen, (uint32_t)wirelen, ts, p);
    /* A reassembled packet points into the decoder, not at the copy. */
    if (!(p->flags & PKT_REASSEMBLED)) {
        p->data = NULL;
        p->l3 = NULL;
        p->payload = NULL;
    }
    free(copy);
    return r;
}

static uint64_t events_total(void)
{
    uint64_t n = 0;
    for (int i = 0; i < DEC_EVENT_MAX; i++)
        n += dec.stats.events[i];
    return n;
}

/* ---- tests ---- */

static void test_valid_frames(void **state)
{
    build_all();
    for (int i = 0; i < NFRAMES; i++) {
        struct frame *f = &frames[i];
        struct bw_packet p;
        uint8_t *copy = malloc(f->len);
        memcpy(copy, f->b, f->len);
        int r = decode_packet(&dec, f->dlt, copy, (uint32_t)f->len, (uint32_t)f->len, TS0, &p);
        if (r != 1 || p.event != DEC_EVENT_MAX)
            fail_msg("%s: r=%d event=%s", f->name, r, decode_event_name(p.event));
        assert_true(p.flags & PKT_HAS_IP);
        assert_true(p.flags & PKT_HAS_L4);
        assert_false(p.flags & PKT_TRUNCATED);
        assert_int_equal(p.proto, f->proto);
        assert_int_equal(p.vlan_n, f->vlan_n);
        assert_int_equal(p.payload_len, 16);
        assert_memory_equal(p.payload, f->b + f->hdr, 16);
        if (p.ip_version == 4) {
            assert_int_equal(p.src.family, AF_INET);
            assert_memory_equal(p.src.bytes, SRC4, 4);
            assert_memory_equal(p.dst.bytes, DST4, 4);
        } else {
            assert_int_equal(p.ip_version, 6);
            assert_memory_equal(p.src.bytes, SRC6, 16);
            assert_memory_equal(p.dst.bytes, DST6, 16);
        }
        if (f->proto == 6) {
            assert_int_equal(p.sport, 40000);
            assert_int_equal(p.dport, 5432);
            assert_int_equal(p.tcp_flags, 0x12);
            assert_int_equal(p.tcp_seq, 1000);
            assert_int_equal(p.tcp_ack, 2000);
            assert_int_equal(p.tcp_win, 65535);
        } else if (f->proto == 17) {
            assert_int_equal(p.sport, 5353);
            assert_int_equal(p.dport, 53);
        } else {
            assert_int_equal(p.sport, p.ip_version == 4 ? 8 : 128);
            assert_int_equal(p.dport, 0);
        }
        free(copy);
    }
    assert_int_equal(events_total(), 0);
    assert_int_equal(dec.stats.pkts, NFRAMES);
    assert_int_equal(dec.stats.ipv4 + dec.stats.ipv6, NFRAMES);
    assert_int_equal(dec.stats.vlan, 2);
}

static void test_vlan_ids(void **state)
{
    build_all();
    struct bw_packet p;
    assert_int_equal(
        decode_exact(frames[1].dlt, frames[1].b, frames[1].len, frames[1].len, TS0, &p), 1);
    assert_int_equal(p.vlan_n, 1);
    assert_int_equal(p.vlan[0], 6);
    assert_int_equal(
        decode_exact(frames[2].dlt, frames[2].b, frames[2].len, frames[2].len, TS0, &p), 1);
    assert_int_equal(p.vlan_n, 2);
    assert_int_equal(p.vlan[0], 1);
    assert_int_equal(p.vlan[1], 10);
}

/* Every cut inside the headers is an event, never a crash or an overread;
 * with the wire length intact (a snaplen cut) a cut in the payload passes. */
static void test_truncated_every_offset(void **state)
{
    build_all();
    for (int i = 0; i < NFRAMES; i++) {
        struct frame *f = &frames[i];
        for (size_t k = 0; k < f->len; k++) {
            struct bw_packet p;
            uint64_t before = events_total();
            int r = decode_exact(f->dlt, f->b, k, k, TS0, &p);
            if (r != 0 || p.event == DEC_EVENT_MAX || events_total() != before + 1 ||
                (p.flags & (PKT_HAS_IP | PKT_HAS_L4)))
                fail_msg("%s cut at %zu (wire = cap): r=%d event=%s", f->name, k, r,
                         decode_event_name(p.event));
            r = decode_exact(f->dlt, f->b, k, f->len, TS0, &p);
            if (k < f->hdr) {
                if (r != 0 || p.event == DEC_EVENT_MAX)
                    fail_msg("%s snap cut at %zu: r=%d", f->name, k, r);
            } else {
                if (r != 1 || !(p.flags & PKT_TRUNCATED) || !(p.flags & PKT_HAS_L4) ||
                    p.payload_len != k - f->hdr)
                    fail_msg("%s snap cut in payload at %zu: r=%d flags=%x event=%s", f->name, k, r,
                             p.flags, decode_event_name(p.event));
            }
        }
    }
}

static void test_padding_trimmed(void **state)
{
    build_all();
    struct frame *f = &frames[1]; /* vlan udp */
    uint8_t b[2048];
    memcpy(b, f->b, f->len);
    memset(b + f->len, 0, 20);
    struct bw_packet p;
    assert_int_equal(decode_exact(f->dlt, b, f->len + 20, f->len + 20, TS0, &p), 1);
    assert_int_equal(p.payload_len, 16);
    assert_int_equal(p.event, DEC_EVENT_MAX);
    f = &frames[8]; /* null ipv6 udp */
    memcpy(b, f->b, f->len);
    memset(b + f->len, 0, 20);
    assert_int_equal(decode_exact(f->dlt, b, f->len + 20, f->len + 20, TS0, &p), 1);
    assert_int_equal(p.payload_len, 16);
}

static void expect_event(int dlt, const uint8_t *b, size_t len, int want_r, enum decode_event ev)
{
    struct bw_packet p;
    uint64_t before = dec.stats.events[ev];
    int r = decode_exact(dlt, b, len, len, TS0, &p);
    if (r != want_r || p.event != ev || dec.stats.events[ev] != before + 1)
        fail_msg("want r=%d %s, got r=%d %s", want_r, decode_event_name(ev), r,
                 decode_event_name(p.event));
}

static void test_bad_fields(void **state)
{
    build_all();
    uint8_t b[2048];
    struct frame *f4 = &frames[0], *f6 = &frames[2], *fu = &frames[1];

    memcpy(b, f4->b, f4->len);
    b[14] = 0x55; /* version 5 */
    expect_event(f4->dlt, b, f4->len, 0, DEC_IPV4_BAD_VERSION);
    b[14] = 0x44; /* hlen 16 */
    expect_event(f4->dlt, b, f4->len, 0, DEC_IPV4_BAD_HLEN);
    memcpy(b, f4->b, f4->len);
    be16(b + 16, 20); /* total length shorter than the 28-byte header */
    expect_event(f4->dlt, b, f4->len, 0, DEC_IPV4_BAD_TOTLEN);
    memcpy(b, f4->b, f4->len);
    be16(b + 16, 1500); /* claims more than the wire had */
    expect_event(f4->dlt, b, f4->len, 0, DEC_IPV4_TRUNCATED);

    memcpy(b, f6->b, f6->len);
    b[22] = 0x40; /* IPv6 header (after 2 tags) says version 4 */
    expect_event(f6->dlt, b, f6->len, 0, DEC_IPV6_BAD_VERSION);
    memcpy(b, f6->b, f6->len);
    be16(b + 22 + 4, 9000);
    expect_event(f6->dlt, b, f6->len, 0, DEC_IPV6_TRUNCATED);

    /* TCP data offset 4 (16 bytes), and 15 (60 bytes > segment). */
    size_t tcp = 14 + 28;
    memcpy(b, f4->b, f4->len);
    b[tcp + 12] = 4 << 4;
    expect_event(f4->dlt, b, f4->len, 0, DEC_TCP_BAD_HLEN);
    b[tcp + 12] = 15 << 4;
    expect_event(f4->dlt, b, f4->len, 0, DEC_TCP_TRUNCATED);
    /* Malformed TCP option (MSS of length 3): flagged, packet still decoded. */
    memcpy(b, f4->b, f4->len);
    b[tcp + 21] = 3;
    expect_event(f4->dlt, b, f4->len, 1, DEC_TCP_OPT_MALFORMED);

    /* UDP length 4, length beyond the datagram, and shorter than it. */
    size_t udp = 14 + 4 + 28;
    memcpy(b, fu->b, fu->len);
    be16(b + udp + 4, 4);
    expect_event(fu->dlt, b, fu->len, 0, DEC_UDP_BAD_LEN);
    be16(b + udp + 4, 100);
    expect_event(fu->dlt, b, fu->len, 0, DEC_UDP_BAD_LEN);
    be16(b + udp + 4, 12);
    expect_event(fu->dlt, b, fu->len, 1, DEC_UDP_BAD_LEN);

    /* Unknown link type, unknown BSD family, raw IP with version 7. */
    expect_event(9999, f4->b, f4->len, 0, DEC_LINK_UNSUPPORTED);
    memcpy(b, frames[7].b, frames[7].len);
    b[0] = 17;
    expect_event(BW_DLT_NULL, b, frames[7].len, 0, DEC_NULL_UNKNOWN_FAMILY);
    memcpy(b, frames[11].b, frames[11].len);
    b[0] = 0x75;
    expect_event(BW_DLT_RAW, b, frames[11].len, 0, DEC_L3_UNKNOWN);
    /* LINKTYPE_IPV4 carrying IPv6. */
    expect_event(BW_DLT_IPV4, frames[14].b, frames[14].len, 0, DEC_IPV4_BAD_VERSION);
}

static void test_non_ip(void **state)
{
    uint8_t b[64] = {0};
    size_t n = put_eth(b, 0x0806); /* ARP */
    memset(b + n, 0, 28);
    struct bw_packet p;
    uint64_t ev = events_total();
    assert_int_equal(decode_exact(BW_DLT_EN10MB, b, n + 28, n + 28, TS0, &p), 0);
    assert_int_equal(p.event, DEC_EVENT_MAX);
    assert_int_equal(dec.stats.non_ip, 1);
    assert_int_equal(events_total(), ev);
    /* ARP behind a VLAN tag. */
    n = put_eth(b, 0x8100);
    n += put_vlan(b + n, 5, 0x0806);
    assert_int_equal(decode_exact(BW_DLT_EN10MB, b, n + 28, n + 28, TS0, &p), 0);
    assert_int_equal(dec.stats.non_ip, 2);
    assert_int_equal(p.vlan[0], 5);
    assert_int_equal(dec.stats.invalid, 0);
}

static void test_vlan_too_many(void **state)
{
    uint8_t b[256];
    size_t n = put_eth(b, 0x88a8);
    n += put_vlan(b + n, 1, 0x8100);
    n += put_vlan(b + n, 2, 0x8100);
    n += put_vlan(b + n, 3, 0x0800);
    n += put_ipv4(b + n, 17, 8, 1, 0, NULL, 0);
    n += put_udp(b + n, 1, 2, 0);
    expect_event(BW_DLT_EN10MB, b, n, 0, DEC_VLAN_TOO_MANY);
}

static void test_ipv4_options(void **state)
{
    uint8_t b[256];
    struct bw_packet p;
    /* Router alert, timestamp, NOP, EOL: valid. */
    static const uint8_t good[16] = {148, 4, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    size_t n = put_ipv4(b, 17, 8, 1, 0, good, sizeof(good));
    n += put_udp(b + n, 1, 2, 0);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 1);
    assert_int_equal(p.event, DEC_EVENT_MAX);
    /* Option length 1, length past the header, RR pointer 2, bad SEC length. */
    static const uint8_t bad[4][4] = {{7, 1, 0, 0}, {68, 40, 5, 0}, {7, 3, 2, 0}, {130, 4, 0, 0}};
    for (int i = 0; i < 4; i++) {
        n = put_ipv4(b, 17, 8, 1, 0, bad[i], 4);
        n += put_udp(b + n, 1, 2, 0);
        expect_event(BW_DLT_IPV4, b, n, 1, DEC_IPV4_OPT_MALFORMED);
    }
}

/* IPv6 + ext headers `chain` (next-header values) + UDP. */
static size_t build_v6_chain(uint8_t *b, const uint8_t *chain, int nchain)
{
    size_t n = 40;
    for (int i = 0; i < nchain; i++) {
        uint8_t next = i + 1 < nchain ? chain[i + 1] : 17;
        b[n] = next;
        if (chain[i] == 51) { /* AH: (len+2)*4 = 16 */
            b[n + 1] = 2;
            memset(b + n + 2, 0, 14);
            n += 16;
        } else if (chain[i] == 43) { /* routing, 8 bytes */
            b[n + 1] = 0;
            b[n + 2] = 0;
            b[n + 3] = 0;
            memset(b + n + 4, 0, 4);
            n += 8;
        } else { /* hop-by-hop / dest options: PadN of 4 + Pad1 x2 */
            b[n + 1] = 0;
            b[n + 2] = 1;
            b[n + 3] = 2;
            b[n + 4] = 0;
            b[n + 5] = 0;
            b[n + 6] = 0;
            b[n + 7] = 0;
            n += 8;
        }
    }
    n += put_udp(b + n, 7, 9, 4);
    n += put_payload(b + n, 4, 1);
    put_ipv6(b, nchain ? chain[0] : 17, n - 40);
    return n;
}

static void test_ipv6_exthdrs(void **state)
{
    uint8_t b[512];
    struct bw_packet p;
    static const uint8_t chain[4] = {0, 60, 43, 51};
    size_t n = build_v6_chain(b, chain, 4);
    assert_int_equal(decode_exact(BW_DLT_IPV6, b, n, n, TS0, &p), 1);
    assert_int_equal(p.event, DEC_EVENT_MAX);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sport, 7);
    assert_int_equal(p.payload_len, 4);
    /* Truncated at every byte of the chain. */
    for (size_t k = 0; k < n - 4; k++) {
        uint64_t before = events_total();
        assert_int_equal(decode_exact(BW_DLT_IPV6, b, k, k, TS0, &p), 0);
        assert_int_equal(events_total(), before + 1);
    }
    /* Hop-by-hop not first. */
    static const uint8_t late[2] = {60, 0};
    n = build_v6_chain(b, late, 2);
    expect_event(BW_DLT_IPV6, b, n, 1, DEC_IPV6_EXTHDR_MALFORMED);
    /* Option running past its header. */
    n = build_v6_chain(b, chain, 1);
    b[43] = 9;
    expect_event(BW_DLT_IPV6, b, n, 1, DEC_IPV6_EXTHDR_MALFORMED);
    /* Nine destination-options headers. */
    uint8_t many[9];
    memset(many, 60, sizeof(many));
    n = build_v6_chain(b, many, 9);
    expect_event(BW_DLT_IPV6, b, n, 0, DEC_IPV6_EXTHDR_TOO_MANY);
    /* No next header after a dest-options header: IP only. */
    n = build_v6_chain(b, chain + 1, 1);
    b[40] = 59;
    assert_int_equal(decode_exact(BW_DLT_IPV6, b, n, n, TS0, &p), 1);
    assert_int_equal(p.proto, 59);
    assert_false(p.flags & PKT_HAS_L4);
}

/* ---- fragments ---- */

/* The datagram every fragment test splits: UDP 5000->6000 with 56 payload bytes. */
#define DG_PAY 56
static uint8_t dg_l4[8 + DG_PAY];

static void dg_build(void)
{
    put_udp(dg_l4, 5000, 6000, DG_PAY);
    put_payload(dg_l4 + 8, DG_PAY, 0x41);
}

/* IPv4 fragment of dg_l4 [off, off+len) as raw IPv4 (DLT 228). */
static size_t v4_frag(uint8_t *b, uint16_t id, size_t off, size_t len, int more,
                      const uint8_t *data)
{
    size_t n = put_ipv4(b, 17, len, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)), NULL, 0);
    memcpy(b + n, data ? data : dg_l4 + off, len);
    return n + len;
}

static size_t v6_frag(uint8_t *b, uint32_t id, size_t off, size_t len, int more, int hbh)
{
    size_t n = 40;
    if (hbh) {
        b[n] = 44;
        b[n + 1] = 0;
        b[n + 2] = 1;
        b[n + 3] = 4;
        memset(b + n + 4, 0, 4);
        n += 8;
    }
    b[n] = 17;
    b[n + 1] = 0;
    be16(b + n + 2, (uint16_t)(off | (more ? 1 : 0)));
    be32(b + n + 4, id);
    n += 8;
    memcpy(b + n, dg_l4 + off, len);
    n += len;
    put_ipv6(b, hbh ? 0 : 44, n - 40);
    return n;
}

static void check_reassembled(const struct bw_packet *p, int version)
{
    assert_true(p->flags & PKT_REASSEMBLED);
    assert_true(p->flags & PKT_HAS_L4);
    assert_int_equal(p->ip_version, version);
    assert_int_equal(p->proto, 17);
    assert_int_equal(p->sport, 5000);
    assert_int_equal(p->dport, 6000);
    assert_int_equal(p->payload_len, DG_PAY);
    assert_memory_equal(p->payload, dg_l4 + 8, DG_PAY);
}

static void test_frag_v4_in_order_and_reverse(void **state)
{
    dg_build();
    uint8_t b[256];
    struct bw_packet p;
    size_t cuts[4] = {0, 24, 48, 8 + DG_PAY};
    for (int i = 0; i < 3; i++) {
        size_t n = v4_frag(b, 100, cuts[i], cuts[i + 1] - cuts[i], i < 2, NULL);
        int r = decode_exact(BW_DLT_IPV4, b, n, n + 10, TS0 + i, &p);
        assert_int_equal(r, i == 2);
        if (i < 2)
            assert_true(p.flags & PKT_FRAGMENT);
    }
    check_reassembled(&p, 4);
    assert_int_equal(p.l3_len, 20 + 8 + DG_PAY);
    assert_int_equal(p.wirelen, 20 * 3 + 8 + DG_PAY + 30); /* sum of the fragments' wirelen */
    for (int i = 2; i >= 0; i--) {
        size_t n = v4_frag(b, 101, cuts[i], cuts[i + 1] - cuts[i], i < 2, NULL);
        assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0 + 10, &p), i == 0);
    }
    check_reassembled(&p, 4);
    assert_int_equal(dec.stats.reassembled, 2);
    assert_int_equal(dec.stats.frags, 6);
    assert_int_equal(defrag_trackers_used(dec.defrag), 0);
    assert_int_equal(defrag_chunks_used(dec.defrag), 0);
    assert_int_equal(events_total(), 0);
}

static void test_frag_v4_vlan_keyed(void **state)
{
    dg_build();
    uint8_t b[256];
    struct bw_packet p;
    /* Same id and addresses on VLAN 5 and VLAN 6: two datagrams, not one. */
    size_t n = put_eth(b, 0x8100);
    n += put_vlan(b + n, 5, 0x0800);
    size_t m = n + v4_frag(b + n, 7, 0, 24, 1, NULL);
    assert_int_equal(decode_exact(BW_DLT_EN10MB, b, m, m, TS0, &p), 0);
    be16(b + 14, 6);
    m = n + v4_frag(b + n, 7, 24, 8 + DG_PAY - 24, 0, NULL);
    assert_int_equal(decode_exact(BW_DLT_EN10MB, b, m, m, TS0, &p), 0);
    assert_int_equal(defrag_trackers_used(dec.defrag), 2);
    m = n + v4_frag(b + n, 7, 0, 24, 1, NULL);
    assert_int_equal(decode_exact(BW_DLT_EN10MB, b, m, m, TS0, &p), 1);
    check_reassembled(&p, 4);
    assert_int_equal(p.vlan_n, 1);
    assert_int_equal(p.vlan[0], 6);
}

static void test_frag_v4_overlap(void **state)
{
    dg_build();
    uint8_t b[256], alt[64];
    struct bw_packet p;
    /* Duplicate first fragment: overlap, same bytes. */
    size_t n = v4_frag(b, 200, 0, 32, 1, NULL);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 0);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 0);
    assert_int_equal(dec.stats.events[DEC_FRAG_OVERLAP], 1);
    assert_int_equal(dec.stats.events[DEC_FRAG_OVERLAP_DIFFERENT], 0);
    /* [24, 64) with different bytes in the overlapping [24, 32): first wins. */
    memcpy(alt, dg_l4 + 24, 40);
    memset(alt, 0xee, 8);
    n = v4_frag(b, 200, 24, 40, 0, alt);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 1);
    assert_int_equal(dec.stats.events[DEC_FRAG_OVERLAP], 2);
    assert_int_equal(dec.stats.events[DEC_FRAG_OVERLAP_DIFFERENT], 1);
    check_reassembled(&p, 4);
}

static void test_frag_timeout(void **state)
{
    dg_build();
    uint8_t b[256];
    struct bw_packet p;
    size_t n = v4_frag(b, 300, 0, 24, 1, NULL);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 0);
    assert_int_equal(defrag_trackers_used(dec.defrag), 1);
    decode_tick(&dec, TS0 + 500000);
    assert_int_equal(defrag_trackers_used(dec.defrag), 1);
    decode_tick(&dec, TS0 + 1000001);
    assert_int_equal(defrag_trackers_used(dec.defrag), 0);
    assert_int_equal(dec.stats.events[DEC_FRAG_TIMEOUT], 1);
    /* The rest arrives too late: it starts a new tracker and completes nothing. */
    n = v4_frag(b, 300, 24, 8 + DG_PAY - 24, 0, NULL);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0 + 2000000, &p), 0);
    assert_int_equal(dec.stats.reassembled, 0);
    /* Expiry also happens on the packet path. */
    n = v4_frag(b, 301, 0, 24, 1, NULL);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0 + 4000000, &p), 0);
    assert_int_equal(dec.stats.events[DEC_FRAG_TIMEOUT], 2);
    assert_int_equal(defrag_trackers_used(dec.defrag), 1);
}

static void test_frag_memcap_and_trackers(void **state)
{
    struct decoder small;
    struct decode_config cfg;
    struct bw_err err;
    decode_config_defaults(&cfg);
    cfg.defrag_memcap = 3 * (DEFRAG_CHUNK + 64); /* three chunks */
    cfg.defrag_max_trackers = 2;
    assert_int_equal(decoder_init(&small, &cfg, &err), 0);
    dg_build();
    uint8_t b[256];
    struct bw_packet p;
    /* Datagram A, first fragment: header chunk + data chunk. */
    size_t n = v4_frag(b, 1, 0, 24, 1, NULL);
    assert_int_equal(decode_packet(&small, BW_DLT_IPV4, b, (uint32_t)n, (uint32_t)n, TS0, &p), 0);
    assert_int_equal(defrag_chunks_used(small.defrag), 2);
    /* Datagram B, first fragment needs two more: memcap. */
    n = v4_frag(b, 2, 0, 24, 1, NULL);
    assert_int_equal(decode_packet(&small, BW_DLT_IPV4, b, (uint32_t)n, (uint32_t)n, TS0, &p), 0);
    assert_int_equal(p.event, DEC_FRAG_MEMCAP);
    /* B's tracker exists (empty); a third datagram finds no tracker. */
    n = v4_frag(b, 3, 24, 16, 1, NULL);
    assert_int_equal(decode_packet(&small, BW_DLT_IPV4, b, (uint32_t)n, (uint32_t)n, TS0, &p), 0);
    assert_int_equal(p.event, DEC_FRAG_MEMCAP);
    assert_int_equal(small.stats.events[DEC_FRAG_MEMCAP], 2);
    /* A still completes. */
    n = v4_frag(b, 1, 24, 8 + DG_PAY - 24, 0, NULL);
    assert_int_equal(decode_packet(&small, BW_DLT_IPV4, b, (uint32_t)n, (uint32_t)n, TS0, &p), 1);
    check_reassembled(&p, 4);
    decoder_fini(&small);
    /* A memcap too small for anything is refused. */
    cfg.defrag_memcap = 100;
    assert_int_equal(decoder_init(&small, &cfg, &err), -1);
    decoder_fini(&small);
}

static void test_frag_too_large_and_invalid(void **state)
{
    uint8_t b[256], data[64];
    struct bw_packet p;
    memset(data, 1, sizeof(data));
    /* Offset 65528 + 16 bytes: past 65535 on its own. */
    size_t n = v4_frag(b, 9, 65528, 16, 0, data);
    expect_event(BW_DLT_IPV4, b, n, 0, DEC_FRAG_TOO_LARGE);
    /* Offset 65512 + 16 fits alone but not behind a 20-byte header. */
    n = v4_frag(b, 10, 0, 16, 1, data);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 0);
    n = v4_frag(b, 10, 65512, 16, 0, data);
    expect_event(BW_DLT_IPV4, b, n, 0, DEC_FRAG_TOO_LARGE);
    assert_int_equal(defrag_trackers_used(dec.defrag), 0);
    /* A non-final fragment whose length is not a multiple of 8. */
    n = v4_frag(b, 11, 0, 13, 1, data);
    expect_event(BW_DLT_IPV4, b, n, 0, DEC_FRAG_INVALID);
    /* Data past the end the last fragment set. */
    n = v4_frag(b, 13, 16, 16, 0, data);
    assert_int_equal(decode_exact(BW_DLT_IPV4, b, n, n, TS0, &p), 0);
    n = v4_frag(b, 13, 32, 16, 1, data);
    expect_event(BW_DLT_IPV4, b, n, 0, DEC_FRAG_INVALID);
}

static void test_frag_v6(void **state)
{
    dg_build();
    uint8_t b[256];
    struct bw_packet p;
    size_t cuts[4] = {0, 24, 48, 8 + DG_PAY};
    for (int hbh = 0; hbh < 2; hbh++) {
        for (int i = 2; i >= 0; i--) {
            size_t n =
                v6_frag(b, 0x10000u + (uint32_t)hbh, cuts[i], cuts[i + 1] - cuts[i], i < 2, hbh);
            int r = decode_exact(BW_DLT_IPV6, b, n, n, TS0, &p);
            assert_int_equal(r, i == 0);
        }
        check_reassembled(&p, 6);
        assert_int_equal(p.l3_len, 40 + 8 * hbh + 8 + DG_PAY);
        assert_int_equal(p.event, DEC_EVENT_MAX);
    }
    /* Atomic fragment: decoded in place. */
    size_t n = v6_frag(b, 5, 0, 8 + DG_PAY, 0, 0);
    assert_int_equal(decode_exact(BW_DLT_IPV6, b, n, n, TS0, &p), 1);
    assert_false(p.flags & PKT_REASSEMBLED);
    assert_int_equal(p.sport, 5000);
    assert_int_equal(dec.stats.reassembled, 2);
}

static void test_event_names(void **state)
{
    assert_string_equal(decode_event_name(DEC_VLAN_TOO_MANY), "vlan.too_many_layers");
    assert_string_equal(decode_event_name(DEC_FRAG_OVERLAP_DIFFERENT), "frag.overlap_different");
    assert_string_equal(decode_event_name(DEC_EVENT_MAX), "none");
    for (int i = 0; i < DEC_EVENT_MAX; i++)
        assert_non_null(strchr(decode_event_name((enum decode_event)i), '.'));
}

static int load_cfg(const char *text, struct decode_config *dc, struct bw_err *err)
{
    char path[] = "/tmp/bw-decode-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct bw_config cfg;
    int r = config_load(&cfg, path, err);
    if (r == 0)
        r = decode_config_load(dc, &cfg, err);
    config_fini(&cfg);
    unlink(path);
    return r;
}

static void test_config(void **state)
{
    struct decode_config dc;
    struct bw_err err;
    assert_int_equal(load_cfg("decoder:\n  defrag_memcap: 8mb\n  defrag_timeout: 30s\n"
                              "  defrag_max_trackers: 1000\n",
                              &dc, &err),
                     0);
    assert_int_equal(dc.defrag_memcap, 8u << 20);
    assert_int_equal(dc.defrag_timeout_us, 30000000);
    assert_int_equal(dc.defrag_max_trackers, 1000);
    assert_int_equal(load_cfg("sensor_id: x\n", &dc, &err), 0);
    assert_int_equal(dc.defrag_memcap, 32u << 20);
    assert_int_equal(dc.defrag_max_trackers, 65536);
    assert_int_equal(load_cfg("decoder:\n  defrag_memkap: 8mb\n", &dc, &err), -1);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "defrag_memkap"));
    assert_int_equal(load_cfg("decoder:\n  defrag_max_trackers: 0\n", &dc, &err), -1);
    assert_int_equal(load_cfg("decoder:\n  defrag_memcap: 1kb\n", &dc, &err), -1);
    assert_int_equal(load_cfg("decoder: 5\n", &dc, &err), -1);
    /* The shipped file loads and states the defaults. */
    struct bw_config cfg;
    assert_int_equal(config_load(&cfg, "config/breachwatch.yaml", &err), 0);
    assert_int_equal(decode_config_load(&dc, &cfg, &err), 0);
    config_fini(&cfg);
    assert_int_equal(dc.defrag_memcap, 32u << 20);
    assert_int_equal(dc.defrag_timeout_us, 60000000);
    assert_int_equal(dc.defrag_max_trackers, 65536);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_every_offset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_padding_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_too_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_exthdrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_v4_in_order_and_reverse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_v4_vlan_keyed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_v4_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_memcap_and_trackers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_too_large_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frag_v6, setup, teardown),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

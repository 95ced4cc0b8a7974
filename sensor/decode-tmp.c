/* TEMPORARY minimal decoder (Ethernet/VLAN/NULL/RAW/SLL, IPv4/IPv6, TCP/UDP/ICMP,
 * no defragmentation) so the flow stage can be run before the real decoder of
 * branch `decode` lands. Compiles to nothing once sensor/decode.c exists; to be
 * deleted then. */
#if !__has_include("decode.c")

#include "sensor/decode.h"

#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>

#include "common/cursor.h"

static const char *const event_names[] = {
#define X(id, name) name,
    DECODE_EVENTS(X)
#undef X
};

const char *decode_event_name(enum decode_event ev)
{
    return ev < DEC_EVENT_MAX ? event_names[ev] : "unknown";
}

void decode_config_defaults(struct decode_config *cfg)
{
    cfg->defrag_memcap = 32ull << 20;
    cfg->defrag_timeout_us = 60ull * 1000000;
    cfg->defrag_max_trackers = 65536;
}

int decoder_init(struct decoder *d, const struct decode_config *cfg, struct bw_err *err)
{
    (void)err;
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    return 0;
}

void decoder_fini(struct decoder *d)
{
    (void)d;
}

void decode_tick(struct decoder *d, int64_t now_us)
{
    (void)d;
    (void)now_us;
}

static int ev(struct decoder *d, struct bw_packet *p, enum decode_event e)
{
    d->stats.events[e]++;
    p->event = e;
    return 0;
}

static int decode_l4(struct decoder *d, struct bw_packet *p, uint8_t proto, struct bw_cursor *c)
{
    p->proto = proto;
    uint8_t v8, code;
    switch (proto) {
    case IPPROTO_TCP: {
        uint32_t seq, ack;
        uint8_t off, flags;
        uint16_t win;
        d->stats.tcp++;
        if (bw_cur_be16(c, &p->sport) || bw_cur_be16(c, &p->dport) || bw_cur_be32(c, &seq) ||
            bw_cur_be32(c, &ack) || bw_cur_u8(c, &off) || bw_cur_u8(c, &flags) ||
            bw_cur_be16(c, &win) || bw_cur_skip(c, 4))
            return ev(d, p, DEC_TCP_TRUNCATED);
        if ((off >> 4) < 5)
            return ev(d, p, DEC_TCP_BAD_HLEN);
        if (bw_cur_skip(c, (size_t)(off >> 4) * 4 - 20))
            return ev(d, p, DEC_TCP_TRUNCATED);
        p->tcp_seq = seq;
        p->tcp_ack = ack;
        p->tcp_flags = flags;
        p->tcp_win = win;
        break;
    }
    case IPPROTO_UDP:
        d->stats.udp++;
        if (bw_cur_be16(c, &p->sport) || bw_cur_be16(c, &p->dport) || bw_cur_skip(c, 4))
            return ev(d, p, DEC_UDP_TRUNCATED);
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (proto == IPPROTO_ICMP)
            d->stats.icmp++;
        else
            d->stats.icmpv6++;
        if (bw_cur_u8(c, &v8) || bw_cur_u8(c, &code) || bw_cur_skip(c, 2))
            return ev(d, p, proto == IPPROTO_ICMP ? DEC_ICMP_TRUNCATED : DEC_ICMPV6_TRUNCATED);
        p->sport = v8;
        p->dport = code;
        break;
    default:
        d->stats.other_l4++;
        p->payload = bw_cur_ptr(c);
        p->payload_len = (uint32_t)bw_cur_left(c);
        return 1;
    }
    p->flags |= PKT_HAS_L4;
    p->payload = bw_cur_ptr(c);
    p->payload_len = (uint32_t)bw_cur_left(c);
    return 1;
}

static int decode_ipv4(struct decoder *d, struct bw_packet *p, struct bw_cursor *c)
{
    uint8_t vh, tos, ttl, proto;
    uint16_t tot, id, frag, sum;
    uint8_t a[4], b[4];
    d->stats.ipv4++;
    p->l3 = bw_cur_ptr(c);
    if (bw_cur_u8(c, &vh) || bw_cur_u8(c, &tos) || bw_cur_be16(c, &tot) || bw_cur_be16(c, &id) ||
        bw_cur_be16(c, &frag) || bw_cur_u8(c, &ttl) || bw_cur_u8(c, &proto) ||
        bw_cur_be16(c, &sum) || bw_cur_copy(c, a, 4) || bw_cur_copy(c, b, 4))
        return ev(d, p, DEC_IPV4_TRUNCATED);
    if ((vh >> 4) != 4)
        return ev(d, p, DEC_IPV4_BAD_VERSION);
    size_t hl = (size_t)(vh & 15) * 4;
    if (hl < 20)
        return ev(d, p, DEC_IPV4_BAD_HLEN);
    if (tot < hl)
        return ev(d, p, DEC_IPV4_BAD_TOTLEN);
    if (bw_cur_skip(c, hl - 20))
        return ev(d, p, DEC_IPV4_TRUNCATED);
    bw_addr_from_v4(&p->src, a);
    bw_addr_from_v4(&p->dst, b);
    p->ip_version = 4;
    p->ttl = ttl;
    p->flags |= PKT_HAS_IP;
    p->proto = proto;
    size_t avail = bw_cur_left(c) + hl;
    if (avail < tot)
        p->flags |= PKT_TRUNCATED;
    else
        c->len = c->off + (tot - hl); /* drop Ethernet padding */
    p->l3_len = (uint32_t)(avail < tot ? avail : tot);
    if ((frag & 0x1fff) != 0 || (frag & 0x2000)) {
        d->stats.frags++;
        if ((frag & 0x1fff) != 0)
            return 1; /* later fragment: addresses only */
    }
    if (decode_l4(d, p, proto, c) == 0)
        p->flags &= ~PKT_HAS_L4;
    return 1;
}

static int decode_ipv6(struct decoder *d, struct bw_packet *p, struct bw_cursor *c)
{
    uint32_t vtf;
    uint16_t plen;
    uint8_t nh, hlim, a[16], b[16];
    d->stats.ipv6++;
    p->l3 = bw_cur_ptr(c);
    if (bw_cur_be32(c, &vtf) || bw_cur_be16(c, &plen) || bw_cur_u8(c, &nh) || bw_cur_u8(c, &hlim) ||
        bw_cur_copy(c, a, 16) || bw_cur_copy(c, b, 16))
        return ev(d, p, DEC_IPV6_TRUNCATED);
    if ((vtf >> 28) != 6)
        return ev(d, p, DEC_IPV6_BAD_VERSION);
    bw_addr_from_v6(&p->src, a);
    bw_addr_from_v6(&p->dst, b);
    p->ip_version = 6;
    p->ttl = hlim;
    p->flags |= PKT_HAS_IP;
    if (bw_cur_left(c) < plen)
        p->flags |= PKT_TRUNCATED;
    else
        c->len = c->off + plen;
    p->l3_len = (uint32_t)(40 + bw_cur_left(c));
    for (int i = 0; i < 8; i++) {
        uint8_t nnh, len;
        if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
            break;
        if (bw_cur_u8(c, &nnh) || bw_cur_u8(c, &len))
            return ev(d, p, DEC_IPV6_EXTHDR_MALFORMED);
        if (nh == 44) {
            uint16_t off;
            if (bw_cur_be16(c, &off) || bw_cur_skip(c, 4))
                return ev(d, p, DEC_IPV6_EXTHDR_MALFORMED);
            d->stats.frags++;
            if ((off & 0xfff8) != 0) {
                p->proto = nnh;
                return 1;
            }
        } else if (bw_cur_skip(c, (size_t)len * 8 + 6)) {
            return ev(d, p, DEC_IPV6_EXTHDR_MALFORMED);
        }
        nh = nnh;
    }
    p->proto = nh;
    if (decode_l4(d, p, nh, c) == 0)
        p->flags &= ~PKT_HAS_L4;
    return 1;
}

static int decode_l3(struct decoder *d, struct bw_packet *p, uint16_t type, struct bw_cursor *c)
{
    if (type == 0x0800)
        return decode_ipv4(d, p, c);
    if (type == 0x86dd)
        return decode_ipv6(d, p, c);
    return ev(d, p, DEC_L3_UNKNOWN);
}

int decode_packet(struct decoder *d, int dlt, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen, int64_t ts_us, struct bw_packet *p)
{
    memset(p, 0, sizeof(*p));
    p->ts_us = ts_us;
    p->data = data;
    p->caplen = caplen;
    p->wirelen = wirelen;
    p->linktype = dlt;
    p->event = DEC_EVENT_MAX;
    d->stats.pkts++;
    d->stats.bytes += wirelen;
    struct bw_cursor c;
    bw_cur_init(&c, data, caplen);
    uint16_t type;
    switch (dlt) {
    case DLT_EN10MB:
        d->stats.eth++;
        if (bw_cur_skip(&c, 12) || bw_cur_be16(&c, &type))
            return ev(d, p, DEC_ETH_TRUNCATED);
        while (type == 0x8100 || type == 0x88a8) {
            uint16_t tci;
            if (p->vlan_n == 2)
                return ev(d, p, DEC_VLAN_TOO_MANY);
            if (bw_cur_be16(&c, &tci) || bw_cur_be16(&c, &type))
                return ev(d, p, DEC_VLAN_TRUNCATED);
            p->vlan[p->vlan_n++] = tci & 0x0fff;
            d->stats.vlan++;
        }
        return decode_l3(d, p, type, &c);
    case DLT_NULL:
    case DLT_LOOP: {
        uint32_t fam;
        d->stats.null++;
        if (bw_cur_copy(&c, &fam, 4))
            return ev(d, p, DEC_NULL_TRUNCATED);
        if (dlt == DLT_LOOP)
            fam = __builtin_bswap32(fam);
        if (fam == 2)
            return decode_ipv4(d, p, &c);
        if (fam == 24 || fam == 28 || fam == 30 || fam == 10)
            return decode_ipv6(d, p, &c);
        fam = __builtin_bswap32(fam);
        if (fam == 2)
            return decode_ipv4(d, p, &c);
        if (fam == 24 || fam == 28 || fam == 30 || fam == 10)
            return decode_ipv6(d, p, &c);
        return ev(d, p, DEC_NULL_UNKNOWN_FAMILY);
    }
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6: {
        uint8_t v;
        d->stats.raw++;
        if (caplen < 1)
            return ev(d, p, DEC_IPV4_TRUNCATED);
        v = data[0] >> 4;
        return v == 6 ? decode_ipv6(d, p, &c) : decode_ipv4(d, p, &c);
    }
    case DLT_LINUX_SLL:
        d->stats.sll++;
        if (bw_cur_skip(&c, 14) || bw_cur_be16(&c, &type))
            return ev(d, p, DEC_SLL_TRUNCATED);
        return decode_l3(d, p, type, &c);
    default:
        return ev(d, p, DEC_LINK_UNSUPPORTED);
    }
}

#endif

/* Test helper: reads a capture with libpcap and turns it into in-order
 * payload deliveries per flow and direction (TCP by sequence number, with
 * gaps reported; UDP datagrams whole), the way the stream stage hands bytes to
 * parsers. Header-only, for unit tests, fuzz seed tools and benchmarks. */
#ifndef BW_TESTS_PCAPFLOW_H
#define BW_TESTS_PCAPFLOW_H

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipaddr.h"

#define PF_MAX_FLOWS 64

struct pf_seg {
    int flow, dir, gap; /* gap: `len` bytes missing, no data */
    uint32_t len;
    uint8_t *data;
    int64_t ts_us;
};

struct pf_flow {
    struct bw_addr cli, srv;
    uint16_t cport, sport;
    uint8_t proto;
    uint32_t next[2];
    int have_next[2];
};

struct pf_capture {
    struct pf_seg *segs;
    size_t n, cap;
    struct pf_flow flows[PF_MAX_FLOWS];
    int nflows;
};

static inline uint16_t pf_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t pf_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline int pf_push(struct pf_capture *c, int flow, int dir, int gap, const uint8_t *d,
                          uint32_t len, int64_t ts)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        struct pf_seg *ns = realloc(c->segs, nc * sizeof(*ns));
        if (ns == NULL)
            return -1;
        c->segs = ns;
        c->cap = nc;
    }
    struct pf_seg *s = &c->segs[c->n++];
    s->flow = flow;
    s->dir = dir;
    s->gap = gap;
    s->len = len;
    s->ts_us = ts;
    s->data = NULL;
    if (!gap && len > 0) {
        s->data = malloc(len);
        if (s->data == NULL)
            return -1;
        memcpy(s->data, d, len);
    }
    return 0;
}

/* Finds or creates the flow of a packet; sets *dir (0 = from the client). */
static inline int pf_flow_of(struct pf_capture *c, const struct bw_addr *src, uint16_t sp,
                             const struct bw_addr *dst, uint16_t dp, uint8_t proto, int synack,
                             int *dir)
{
    for (int i = 0; i < c->nflows; i++) {
        struct pf_flow *f = &c->flows[i];
        if (f->proto != proto)
            continue;
        if (bw_addr_eq(&f->cli, src) && f->cport == sp && bw_addr_eq(&f->srv, dst) &&
            f->sport == dp) {
            *dir = 0;
            return i;
        }
        if (bw_addr_eq(&f->cli, dst) && f->cport == dp && bw_addr_eq(&f->srv, src) &&
            f->sport == sp) {
            *dir = 1;
            return i;
        }
    }
    if (c->nflows == PF_MAX_FLOWS)
        return -1;
    struct pf_flow *f = &c->flows[c->nflows];
    memset(f, 0, sizeof(*f));
    f->proto = proto;
    if (synack) {
        f->cli = *dst, f->cport = dp, f->srv = *src, f->sport = sp;
        *dir = 1;
    } else {
        f->cli = *src, f->cport = sp, f->srv = *dst, f->sport = dp;
        *dir = 0;
    }
    return c->nflows++;
}

static inline void pf_packet(struct pf_capture *c, int linktype, const uint8_t *p, uint32_t caplen,
                             int64_t ts)
{
    uint32_t off = 0;
    int ipver = 0;
    if (linktype == DLT_EN10MB) {
        if (caplen < 14)
            return;
        uint16_t et = pf_be16(p + 12);
        off = 14;
        while ((et == 0x8100 || et == 0x88a8) && caplen >= off + 4) {
            et = pf_be16(p + off + 2);
            off += 4;
        }
        ipver = et == 0x0800 ? 4 : et == 0x86dd ? 6 : 0;
    } else if (linktype == DLT_NULL || linktype == DLT_LOOP) {
        if (caplen < 4)
            return;
        off = 4;
    } else if (linktype == DLT_LINUX_SLL) {
        off = 16;
    } else {
        off = 0; /* raw IP */
    }
    if (caplen <= off)
        return;
    if (ipver == 0)
        ipver = p[off] >> 4;
    const uint8_t *ip = p + off;
    uint32_t il = caplen - off;
    struct bw_addr src, dst;
    uint8_t proto;
    uint32_t l4off, l4end;
    if (ipver == 4) {
        if (il < 20)
            return;
        uint32_t hl = (uint32_t)(ip[0] & 15) * 4, tl = pf_be16(ip + 2);
        if (hl < 20 || tl < hl || tl > il)
            return;
        if ((pf_be16(ip + 6) & 0x3fff) != 0)
            return; /* fragments: not needed by the captures used */
        bw_addr_from_v4(&src, ip + 12);
        bw_addr_from_v4(&dst, ip + 16);
        proto = ip[9];
        l4off = hl;
        l4end = tl;
    } else if (ipver == 6) {
        if (il < 40)
            return;
        uint32_t pl = pf_be16(ip + 4);
        if (40 + pl > il)
            return;
        bw_addr_from_v6(&src, ip + 8);
        bw_addr_from_v6(&dst, ip + 24);
        proto = ip[6];
        l4off = 40;
        l4end = 40 + pl;
    } else {
        return;
    }
    const uint8_t *l4 = ip + l4off;
    uint32_t l4len = l4end - l4off;
    int dir;
    if (proto == IPPROTO_UDP) {
        if (l4len < 8)
            return;
        int fi = pf_flow_of(c, &src, pf_be16(l4), &dst, pf_be16(l4 + 2), proto, 0, &dir);
        if (fi >= 0 && l4len > 8)
            (void)pf_push(c, fi, dir, 0, l4 + 8, l4len - 8, ts);
        return;
    }
    if (proto != IPPROTO_TCP || l4len < 20)
        return;
    uint32_t thl = (uint32_t)(l4[12] >> 4) * 4;
    if (thl < 20 || thl > l4len)
        return;
    uint8_t fl = l4[13];
    int syn = (fl & 0x02) != 0, ack = (fl & 0x10) != 0;
    int fi = pf_flow_of(c, &src, pf_be16(l4), &dst, pf_be16(l4 + 2), proto, syn && ack, &dir);
    if (fi < 0)
        return;
    struct pf_flow *f = &c->flows[fi];
    uint32_t seq = pf_be32(l4 + 4);
    if (syn) {
        f->next[dir] = seq + 1;
        f->have_next[dir] = 1;
        return;
    }
    const uint8_t *d = l4 + thl;
    uint32_t n = l4len - thl;
    if (n == 0)
        return;
    if (!f->have_next[dir]) {
        f->next[dir] = seq;
        f->have_next[dir] = 1;
    }
    int32_t diff = (int32_t)(seq - f->next[dir]);
    if (diff < 0) {
        if ((uint32_t)(-diff) >= n)
            return; /* retransmission */
        d += -diff;
        n -= (uint32_t)(-diff);
    } else if (diff > 0) {
        (void)pf_push(c, fi, dir, 1, NULL, (uint32_t)diff, ts);
    }
    (void)pf_push(c, fi, dir, 0, d, n, ts);
    f->next[dir] = diff < 0 ? f->next[dir] + n : seq + n;
}

/* Loads a capture. Returns 0, or -1 when it cannot be read. */
static inline int pf_load(const char *path, struct pf_capture *c)
{
    memset(c, 0, sizeof(*c));
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, eb);
    if (pc == NULL)
        return -1;
    int lt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *p;
    while (pcap_next_ex(pc, &h, &p) == 1)
        pf_packet(c, lt, p, h->caplen, (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
    pcap_close(pc);
    return 0;
}

static inline void pf_free(struct pf_capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->segs[i].data);
    free(c->segs);
    memset(c, 0, sizeof(*c));
}

#endif

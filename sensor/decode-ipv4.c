/* IPv4: header and length checks, options walked and validated, fragments
 * handed to the defragmenter, then L4 dispatch. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"
#include "sensor/defrag.h"

#define IPOPT_EOL    0
#define IPOPT_NOP    1
#define IPOPT_RR     7
#define IPOPT_TS     68
#define IPOPT_SEC    130
#define IPOPT_LSRR   131
#define IPOPT_SID    136
#define IPOPT_SSRR   137
#define IPOPT_RTRALT 148

/* Walks the options. Returns 0 when well formed, -1 on the first malformed one. */
static int ipv4_options(const uint8_t *opt, uint32_t len)
{
    struct bw_cursor c;
    bw_cur_init(&c, opt, len);
    while (bw_cur_left(&c) > 0) {
        uint8_t type, olen, ptr;
        if (bw_cur_u8(&c, &type) != 0)
            return -1;
        if (type == IPOPT_EOL)
            return 0;
        if (type == IPOPT_NOP)
            continue;
        if (bw_cur_u8(&c, &olen) != 0 || olen < 2 || bw_cur_left(&c) < (size_t)olen - 2)
            return -1;
        struct bw_cursor body;
        bw_cur_init(&body, bw_cur_ptr(&c), (size_t)olen - 2);
        switch (type) {
        case IPOPT_RR:
        case IPOPT_LSRR:
        case IPOPT_SSRR:
            /* pointer (>= 4) then whole addresses */
            if (olen < 3 || bw_cur_u8(&body, &ptr) != 0 || ptr < 4 || (olen - 3) % 4 != 0)
                return -1;
            break;
        case IPOPT_TS:
            if (olen < 4 || bw_cur_u8(&body, &ptr) != 0 || ptr < 5)
                return -1;
            break;
        case IPOPT_SEC:
            if (olen != 11)
                return -1;
            break;
        case IPOPT_SID:
        case IPOPT_RTRALT:
            if (olen != 4)
                return -1;
            break;
        default:
            break;
        }
        if (bw_cur_skip(&c, (size_t)olen - 2) != 0)
            return -1;
    }
    return 0;
}

int decode_ipv4(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint8_t vihl, tos, ttl, proto;
    uint16_t totlen, id, frag, csum;
    uint8_t sa[4], da[4];
    bw_cur_init(&c, buf, len);
    if (!d->in_reassembly)
        d->stats.ipv4++;
    if (bw_cur_u8(&c, &vihl) != 0)
        return dec_event(d, p, DEC_IPV4_TRUNCATED);
    if ((vihl >> 4) != 4)
        return dec_event(d, p, DEC_IPV4_BAD_VERSION);
    if (bw_cur_u8(&c, &tos) != 0 || bw_cur_be16(&c, &totlen) != 0 || bw_cur_be16(&c, &id) != 0 ||
        bw_cur_be16(&c, &frag) != 0 || bw_cur_u8(&c, &ttl) != 0 || bw_cur_u8(&c, &proto) != 0 ||
        bw_cur_be16(&c, &csum) != 0 || bw_cur_copy(&c, sa, 4) != 0 || bw_cur_copy(&c, da, 4) != 0)
        return dec_event(d, p, DEC_IPV4_TRUNCATED);
    uint32_t hlen = (vihl & 0x0fu) * 4u;
    if (hlen < 20)
        return dec_event(d, p, DEC_IPV4_BAD_HLEN);
    if (hlen > len)
        return dec_event(d, p, DEC_IPV4_TRUNCATED);
    if (totlen < hlen)
        return dec_event(d, p, DEC_IPV4_BAD_TOTLEN);
    uint32_t avail = len;
    if (totlen < len) {
        avail = totlen; /* link-layer padding */
    } else if (totlen > len) {
        p->flags |= PKT_TRUNCATED;
        /* Bytes the snaplen cut are only missing from the capture; a frame
         * shorter on the wire than its IP header claims is malformed, and its
         * addresses cannot be trusted. */
        if (!dec_snap_explains(d, totlen - len))
            return dec_event(d, p, DEC_IPV4_TRUNCATED);
    }
    const uint8_t *opts;
    if (bw_cur_take(&c, hlen - 20, &opts) != 0)
        return dec_event(d, p, DEC_IPV4_TRUNCATED);
    if (hlen > 20 && ipv4_options(opts, hlen - 20) != 0)
        dec_event(d, p, DEC_IPV4_OPT_MALFORMED);

    p->ip_version = 4;
    p->ttl = ttl;
    bw_addr_from_v4(&p->src, sa);
    bw_addr_from_v4(&p->dst, da);
    p->proto = proto;
    p->l3 = buf;
    p->l3_len = avail;
    p->flags |= PKT_HAS_IP;

    uint32_t off = (uint32_t)(frag & 0x1fffu) * 8u;
    int more = (frag & 0x2000u) != 0;
    if (off != 0 || more) {
        p->flags |= PKT_FRAGMENT;
        d->stats.frags++;
        if (d->in_reassembly || (p->flags & PKT_TRUNCATED))
            return dec_event(d, p, DEC_FRAG_INVALID);
        struct defrag_frag f = {
            .version = 4,
            .proto = proto,
            .id = id,
            .hdr = buf,
            .hdr_len = hlen,
            .off = off,
            .data = bw_cur_ptr(&c),
            .len = avail - hlen,
            .more = more,
        };
        const uint8_t *out;
        uint32_t outlen, wl;
        if (defrag_add(d, p, &f, &out, &outlen, &wl) != 1)
            return 0;
        return decode_reassembled(d, p, 4, out, outlen, wl);
    }
    return decode_l4(d, p, proto, bw_cur_ptr(&c), avail - hlen);
}

/* IPv6: fixed header, then a bounded walk of extension headers (hop-by-hop,
 * routing, destination options, fragment, AH); fragments go to the
 * defragmenter, the upper-layer header to L4 dispatch. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"
#include "sensor/defrag.h"

#define IP6_HOPOPTS     0
#define IP6_ROUTING     43
#define IP6_FRAGMENT    44
#define IP6_ESP         50
#define IP6_AH          51
#define IP6_NONE        59
#define IP6_DSTOPTS     60
#define IP6_MAX_EXTHDRS 8 /* more than a sane sender stacks; bounds the walk */

/* Options of a hop-by-hop or destination header: Pad1, or type-length-value. */
static int ipv6_options(const uint8_t *opt, uint32_t len)
{
    struct bw_cursor c;
    bw_cur_init(&c, opt, len);
    while (bw_cur_left(&c) > 0) {
        uint8_t type, olen;
        if (bw_cur_u8(&c, &type) != 0)
            return -1;
        if (type == 0)
            continue;
        if (bw_cur_u8(&c, &olen) != 0 || bw_cur_skip(&c, olen) != 0)
            return -1;
    }
    return 0;
}

int decode_ipv6(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint16_t plen;
    uint8_t nh, hlim, sa[16], da[16];
    bw_cur_init(&c, buf, len);
    if (!d->in_reassembly)
        d->stats.ipv6++;
    uint8_t vtc;
    if (bw_cur_u8(&c, &vtc) != 0)
        return dec_event(d, p, DEC_IPV6_TRUNCATED);
    if ((vtc >> 4) != 6)
        return dec_event(d, p, DEC_IPV6_BAD_VERSION);
    if (bw_cur_skip(&c, 3) != 0)
        return dec_event(d, p, DEC_IPV6_TRUNCATED);
    if (bw_cur_be16(&c, &plen) != 0 || bw_cur_u8(&c, &nh) != 0 || bw_cur_u8(&c, &hlim) != 0 ||
        bw_cur_copy(&c, sa, 16) != 0 || bw_cur_copy(&c, da, 16) != 0)
        return dec_event(d, p, DEC_IPV6_TRUNCATED);
    uint32_t total = 40u + plen;
    uint32_t avail = len;
    if (total < len) {
        avail = total;
    } else if (total > len) {
        p->flags |= PKT_TRUNCATED;
        if (!dec_snap_explains(d, total - len))
            return dec_event(d, p, DEC_IPV6_TRUNCATED);
    }
    /* From here on read only the datagram, not link-layer padding. */
    c.len = avail;

    p->ip_version = 6;
    p->ttl = hlim;
    bw_addr_from_v6(&p->src, sa);
    bw_addr_from_v6(&p->dst, da);
    p->l3 = buf;
    p->l3_len = avail;
    p->flags |= PKT_HAS_IP;

    uint32_t nh_off = 6; /* where the byte naming the current header sits */
    for (int n = 0;; n++) {
        if (nh != IP6_HOPOPTS && nh != IP6_ROUTING && nh != IP6_FRAGMENT && nh != IP6_AH &&
            nh != IP6_DSTOPTS)
            break;
        if (n >= IP6_MAX_EXTHDRS)
            return dec_event(d, p, DEC_IPV6_EXTHDR_TOO_MANY);
        if (nh == IP6_HOPOPTS && n != 0)
            dec_event(d, p, DEC_IPV6_EXTHDR_MALFORMED); /* must come first (RFC 8200) */
        uint32_t hoff = (uint32_t)c.off;
        uint8_t next, hl;
        if (bw_cur_u8(&c, &next) != 0 || bw_cur_u8(&c, &hl) != 0) {
            p->flags &= ~PKT_HAS_IP;
            return dec_event(d, p, DEC_IPV6_TRUNCATED);
        }
        if (nh == IP6_FRAGMENT) {
            uint16_t offm;
            uint32_t id;
            if (bw_cur_be16(&c, &offm) != 0 || bw_cur_be32(&c, &id) != 0) {
                p->flags &= ~PKT_HAS_IP;
                return dec_event(d, p, DEC_IPV6_TRUNCATED);
            }
            uint32_t off = (uint32_t)(offm & 0xfff8u);
            int more = offm & 1u;
            if (off == 0 && !more) {
                /* Atomic fragment (RFC 6946): processed as unfragmented. */
                nh_off = hoff;
                nh = next;
                continue;
            }
            p->proto = next;
            p->flags |= PKT_FRAGMENT;
            d->stats.frags++;
            if (d->in_reassembly || (p->flags & PKT_TRUNCATED))
                return dec_event(d, p, DEC_FRAG_INVALID);
            struct defrag_frag f = {
                .version = 6,
                .proto = next,
                .id = id,
                .hdr = buf,
                .hdr_len = hoff,
                .nh_off = nh_off,
                .off = off,
                .data = bw_cur_ptr(&c),
                .len = (uint32_t)bw_cur_left(&c),
                .more = more,
            };
            const uint8_t *out;
            uint32_t outlen, wl;
            if (defrag_add(d, p, &f, &out, &outlen, &wl) != 1)
                return 0;
            return decode_reassembled(d, p, 6, out, outlen, wl);
        }
        uint32_t hbytes = nh == IP6_AH ? ((uint32_t)hl + 2u) * 4u : ((uint32_t)hl + 1u) * 8u;
        const uint8_t *body;
        if (bw_cur_take(&c, hbytes - 2, &body) != 0) {
            p->flags &= ~PKT_HAS_IP;
            return dec_event(d, p, DEC_IPV6_TRUNCATED);
        }
        if ((nh == IP6_HOPOPTS || nh == IP6_DSTOPTS) && ipv6_options(body, hbytes - 2) != 0)
            dec_event(d, p, DEC_IPV6_EXTHDR_MALFORMED);
        nh_off = hoff;
        nh = next;
    }
    p->proto = nh;
    if (nh == IP6_NONE || nh == IP6_ESP) {
        d->stats.other_l4++;
        return 1;
    }
    return decode_l4(d, p, nh, bw_cur_ptr(&c), (uint32_t)bw_cur_left(&c));
}

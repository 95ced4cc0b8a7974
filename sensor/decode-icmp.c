/* ICMP and ICMPv6: type and code go into sport and dport, which is how the
 * flow key tells ICMP conversations apart (as Suricata does). */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"

#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define IPPROTO_ICMP_   1
#define IPPROTO_ICMPV6_ 58

static int icmp_common(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len,
                       enum decode_event trunc)
{
    struct bw_cursor c;
    uint8_t type, code;
    uint16_t sum;
    bw_cur_init(&c, buf, len);
    if (bw_cur_u8(&c, &type) != 0 || bw_cur_u8(&c, &code) != 0 || bw_cur_be16(&c, &sum) != 0)
        return dec_event(d, p, trunc);
    p->sport = type;
    p->dport = code;
    p->payload_len = (uint32_t)bw_cur_left(&c);
    p->payload = p->payload_len ? bw_cur_ptr(&c) : NULL;
    p->flags |= PKT_HAS_L4;
    return 1;
}

int decode_icmp(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    d->stats.icmp++;
    return icmp_common(d, p, buf, len, DEC_ICMP_TRUNCATED);
}

int decode_icmpv6(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    d->stats.icmpv6++;
    return icmp_common(d, p, buf, len, DEC_ICMPV6_TRUNCATED);
}

int decode_l4(struct decoder *d, struct bw_packet *p, uint8_t proto, const uint8_t *buf,
              uint32_t len)
{
    p->proto = proto;
    switch (proto) {
    case IPPROTO_TCP_:
        return decode_tcp(d, p, buf, len);
    case IPPROTO_UDP_:
        return decode_udp(d, p, buf, len);
    case IPPROTO_ICMP_:
        if (p->ip_version != 4)
            break;
        return decode_icmp(d, p, buf, len);
    case IPPROTO_ICMPV6_:
        if (p->ip_version != 6)
            break;
        return decode_icmpv6(d, p, buf, len);
    default:
        break;
    }
    /* Other protocols (GRE, SCTP, ESP, ...): addresses and protocol only. */
    d->stats.other_l4++;
    p->payload_len = len;
    p->payload = len ? buf : NULL;
    return 1;
}

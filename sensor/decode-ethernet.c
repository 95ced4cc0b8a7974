/* Ethernet II with 802.1Q / 802.1ad (QinQ) tags: records up to two VLAN ids,
 * outer first, and hands IPv4/IPv6 on; other Ethernet types are counted. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"

#define ETH_HLEN           14u
#define ETHERTYPE_IPV4     0x0800
#define ETHERTYPE_IPV6     0x86dd
#define ETHERTYPE_VLAN     0x8100
#define ETHERTYPE_QINQ     0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen */

int decode_ethertype(struct decoder *d, struct bw_packet *p, uint16_t type, const uint8_t *buf,
                     uint32_t len)
{
    struct bw_cursor c;
    bw_cur_init(&c, buf, len);
    int counted_vlan = 0;
    while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
        uint16_t tci;
        if (!counted_vlan) {
            d->stats.vlan++;
            counted_vlan = 1;
        }
        if (bw_cur_be16(&c, &tci) != 0 || bw_cur_be16(&c, &type) != 0)
            return dec_event(d, p, DEC_VLAN_TRUNCATED);
        if (p->vlan_n >= 2)
            return dec_event(d, p, DEC_VLAN_TOO_MANY);
        p->vlan[p->vlan_n++] = tci & 0x0fff;
    }
    const uint8_t *l3 = bw_cur_ptr(&c);
    uint32_t l3len = (uint32_t)bw_cur_left(&c);
    switch (type) {
    case ETHERTYPE_IPV4:
        return decode_ipv4(d, p, l3, l3len);
    case ETHERTYPE_IPV6:
        return decode_ipv6(d, p, l3, l3len);
    default:
        /* ARP, LLDP, 802.3 length field, MPLS, PPPoE, ...: valid, just not ours. */
        d->stats.non_ip++;
        return 0;
    }
}

int decode_ethernet(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint16_t type;
    bw_cur_init(&c, buf, len);
    d->stats.eth++;
    if (bw_cur_skip(&c, 12) != 0 || bw_cur_be16(&c, &type) != 0)
        return dec_event(d, p, DEC_ETH_TRUNCATED);
    return decode_ethertype(d, p, type, bw_cur_ptr(&c), (uint32_t)bw_cur_left(&c));
}

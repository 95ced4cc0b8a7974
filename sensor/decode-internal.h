/* Internal interface between the decode-*.c stages (not for other modules):
 * each stage decodes one layer from a bounded buffer and hands the rest on. */
#ifndef BW_DECODE_INTERNAL_H
#define BW_DECODE_INTERNAL_H

#include <stdint.h>

#include "sensor/decode.h"
#include "sensor/packet.h"

/* Every stage returns 1 when the packet is ready for the flow stage and 0 when
 * it was consumed (held fragment, non-IP frame) or is invalid (event raised). */

/* Raises a decode event on the packet and counts it. Returns 0 so a stage can
 * `return dec_event(...)` for an event that invalidates the packet. */
static inline int dec_event(struct decoder *d, struct bw_packet *p, enum decode_event ev)
{
    p->event = ev;
    d->stats.events[ev]++;
    return 0;
}

/* True when `missing` bytes absent from a datagram were cut by the capture
 * (snaplen), not absent on the wire: such a packet is truncated, not malformed. */
static inline int dec_snap_explains(const struct decoder *d, uint32_t missing)
{
    return d->snap_missing >= missing;
}

int decode_ethernet(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
/* Dispatches on an Ethernet type (after the MAC header or a cooked header):
 * VLAN tags, IPv4, IPv6; anything else is counted as non-IP. */
int decode_ethertype(struct decoder *d, struct bw_packet *p, uint16_t type, const uint8_t *buf,
                     uint32_t len);
int decode_sll(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_sll2(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_null(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_ipv4(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_ipv6(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
/* L4 dispatch on the IP protocol number; unknown protocols pass as "other". */
int decode_l4(struct decoder *d, struct bw_packet *p, uint8_t proto, const uint8_t *buf,
              uint32_t len);
int decode_tcp(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_udp(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_icmp(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
int decode_icmpv6(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len);
/* Decodes a datagram the defragmenter rebuilt (version 4 or 6) in place of the
 * fragment that completed it. */
int decode_reassembled(struct decoder *d, struct bw_packet *p, int version, const uint8_t *buf,
                       uint32_t len, uint32_t wirelen);

#endif

/* Linux "cooked" capture headers (the `any` device): SLL v1 (16 bytes) and
 * SLL2 (20 bytes); both carry an Ethernet type for the payload. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"

/* SLL v1: packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2). */
int decode_sll(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint16_t proto;
    bw_cur_init(&c, buf, len);
    d->stats.sll++;
    if (bw_cur_skip(&c, 14) != 0 || bw_cur_be16(&c, &proto) != 0)
        return dec_event(d, p, DEC_SLL_TRUNCATED);
    return decode_ethertype(d, p, proto, bw_cur_ptr(&c), (uint32_t)bw_cur_left(&c));
}

/* SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD type(2) packet type(1)
 * address length(1) address(8). */
int decode_sll2(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint16_t proto;
    bw_cur_init(&c, buf, len);
    d->stats.sll++;
    if (bw_cur_be16(&c, &proto) != 0 || bw_cur_skip(&c, 18) != 0)
        return dec_event(d, p, DEC_SLL_TRUNCATED);
    return decode_ethertype(d, p, proto, bw_cur_ptr(&c), (uint32_t)bw_cur_left(&c));
}

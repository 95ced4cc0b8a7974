/* UDP: ports and the length field, which bounds the payload. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"

int decode_udp(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint16_t sport, dport, ulen, sum;
    bw_cur_init(&c, buf, len);
    d->stats.udp++;
    if (bw_cur_be16(&c, &sport) != 0 || bw_cur_be16(&c, &dport) != 0 ||
        bw_cur_be16(&c, &ulen) != 0 || bw_cur_be16(&c, &sum) != 0)
        return dec_event(d, p, DEC_UDP_TRUNCATED);
    if (ulen < 8)
        return dec_event(d, p, DEC_UDP_BAD_LEN);
    uint32_t plen = (uint32_t)bw_cur_left(&c);
    if (ulen - 8u > plen) {
        /* Longer than the datagram: only a capture cut may explain it. */
        if (!(p->flags & PKT_TRUNCATED))
            return dec_event(d, p, DEC_UDP_BAD_LEN);
    } else if (ulen - 8u < plen) {
        /* Shorter than the IP payload: keep what UDP claims, flag the slack
         * (bytes after the UDP datagram are a classic evasion). */
        dec_event(d, p, DEC_UDP_BAD_LEN);
        plen = ulen - 8u;
    }
    p->sport = sport;
    p->dport = dport;
    p->payload_len = plen;
    p->payload = plen ? bw_cur_ptr(&c) : NULL;
    p->flags |= PKT_HAS_L4;
    return 1;
}

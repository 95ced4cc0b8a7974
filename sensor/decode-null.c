/* BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address family in the capturing
 * host's byte order (DLT_NULL) or network order (DLT_LOOP); either is accepted. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"

#define BSD_AF_INET          2
#define BSD_AF_INET6_BSD     24 /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly */
#define BSD_AF_INET6_DARWIN  30 /* macOS, iOS */

int decode_null(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint32_t fam;
    bw_cur_init(&c, buf, len);
    d->stats.null++;
    if (bw_cur_le32(&c, &fam) != 0)
        return dec_event(d, p, DEC_NULL_TRUNCATED);
    /* Families are small numbers: a value with high bytes set was written in
     * the other byte order. */
    if (fam > 0xffff)
        fam = ((fam & 0xff) << 24) | ((fam & 0xff00) << 8) | ((fam >> 8) & 0xff00) | (fam >> 24);
    const uint8_t *l3 = bw_cur_ptr(&c);
    uint32_t l3len = (uint32_t)bw_cur_left(&c);
    switch (fam) {
    case BSD_AF_INET:
        return decode_ipv4(d, p, l3, l3len);
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return decode_ipv6(d, p, l3, l3len);
    default:
        return dec_event(d, p, DEC_NULL_UNKNOWN_FAMILY);
    }
}

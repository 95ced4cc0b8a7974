/* TCP: header length check, options walked and validated, ports, sequence
 * numbers, flags and window into the packet; the rest is payload. */
#include <stdint.h>

#include "common/cursor.h"
#include "sensor/decode-internal.h"

#define TCPOPT_EOL    0
#define TCPOPT_NOP    1
#define TCPOPT_MSS    2
#define TCPOPT_WS     3
#define TCPOPT_SACKOK 4
#define TCPOPT_SACK   5
#define TCPOPT_TS     8

static int tcp_options(const uint8_t *opt, uint32_t len)
{
    struct bw_cursor c;
    bw_cur_init(&c, opt, len);
    while (bw_cur_left(&c) > 0) {
        uint8_t kind, olen;
        if (bw_cur_u8(&c, &kind) != 0)
            return -1;
        if (kind == TCPOPT_EOL)
            return 0;
        if (kind == TCPOPT_NOP)
            continue;
        if (bw_cur_u8(&c, &olen) != 0 || olen < 2 || bw_cur_skip(&c, (size_t)olen - 2) != 0)
            return -1;
        switch (kind) {
        case TCPOPT_MSS:
            if (olen != 4)
                return -1;
            break;
        case TCPOPT_WS:
            if (olen != 3)
                return -1;
            break;
        case TCPOPT_SACKOK:
            if (olen != 2)
                return -1;
            break;
        case TCPOPT_SACK:
            if (olen < 10 || (olen - 2) % 8 != 0)
                return -1;
            break;
        case TCPOPT_TS:
            if (olen != 10)
                return -1;
            break;
        default:
            break;
        }
    }
    return 0;
}

int decode_tcp(struct decoder *d, struct bw_packet *p, const uint8_t *buf, uint32_t len)
{
    struct bw_cursor c;
    uint16_t sport, dport, win, sum, urp;
    uint32_t seq, ack;
    uint8_t doff, flags;
    bw_cur_init(&c, buf, len);
    d->stats.tcp++;
    if (bw_cur_be16(&c, &sport) != 0 || bw_cur_be16(&c, &dport) != 0 ||
        bw_cur_be32(&c, &seq) != 0 || bw_cur_be32(&c, &ack) != 0 || bw_cur_u8(&c, &doff) != 0 ||
        bw_cur_u8(&c, &flags) != 0 || bw_cur_be16(&c, &win) != 0 || bw_cur_be16(&c, &sum) != 0 ||
        bw_cur_be16(&c, &urp) != 0)
        return dec_event(d, p, DEC_TCP_TRUNCATED);
    uint32_t hlen = (uint32_t)(doff >> 4) * 4u;
    if (hlen < 20)
        return dec_event(d, p, DEC_TCP_BAD_HLEN);
    const uint8_t *opts;
    if (bw_cur_take(&c, hlen - 20, &opts) != 0)
        return dec_event(d, p, DEC_TCP_TRUNCATED);
    if (hlen > 20 && tcp_options(opts, hlen - 20) != 0)
        dec_event(d, p, DEC_TCP_OPT_MALFORMED);
    p->sport = sport;
    p->dport = dport;
    p->tcp_seq = seq;
    p->tcp_ack = ack;
    p->tcp_flags = flags;
    p->tcp_win = win;
    p->payload_len = (uint32_t)bw_cur_left(&c);
    p->payload = p->payload_len ? bw_cur_ptr(&c) : NULL;
    p->flags |= PKT_HAS_L4;
    return 1;
}

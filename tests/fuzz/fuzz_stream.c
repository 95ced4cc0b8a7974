/* libFuzzer target for TCP reassembly and dispatch: segments with arbitrary
 * sequence numbers, lengths and flags in both directions, under caps chosen by
 * the first byte, through detection into the real parsers. Record format:
 * ctl(1: bit0 dir, bits1-4 SYN FIN RST ACK) seq(4, relative) ack(4) len(2) payload. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/cursor.h"
#include "sensor/output-eve.h"
#include "sensor/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink_emit(void *ctx, const struct bw_access *ev)
{
    (void)ctx;
    (void)ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct eve_out *eve;
    if (eve == NULL)
        eve = eve_open(NULL, NULL);
    struct bw_cursor c;
    bw_cur_init(&c, data, size);
    uint8_t mode = 0;
    (void)bw_cur_u8(&c, &mode);
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    if (mode & 1)
        cfg.flow_ooo_cap = 64u << (mode >> 4);
    if (mode & 2)
        cfg.memcap = 4096u << ((mode >> 2) & 3);
    cfg.midstream = (mode & 8) == 0;
    struct stream_engine *se = stream_engine_new(&cfg, NULL);
    if (se == NULL)
        return 0;
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.proto = IPPROTO_TCP;
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    bw_addr_from_v4(&f.cli, a);
    bw_addr_from_v4(&f.srv, b);
    f.cport = 40000;
    f.sport = 5432;
    struct access_sink sink = {sink_emit, NULL};
    struct app_ctx tmpl = {.eve = eve, .access = &sink};
    const uint32_t base[2] = {1000, 0xFFFFF000u}; /* the second wraps */
    uint8_t ctl;
    int64_t ts = 1;
    while (bw_cur_u8(&c, &ctl) == 0) {
        uint32_t seq = 0, ack = 0;
        uint16_t len = 0;
        if (bw_cur_be32(&c, &seq) != 0 || bw_cur_be32(&c, &ack) != 0 || bw_cur_be16(&c, &len) != 0)
            break;
        if (len > bw_cur_left(&c))
            len = (uint16_t)bw_cur_left(&c);
        const uint8_t *p = NULL;
        (void)bw_cur_take(&c, len, &p);
        int dir = ctl & 1;
        struct bw_packet pk;
        memset(&pk, 0, sizeof(pk));
        pk.ts_us = ts++;
        pk.flags = PKT_HAS_IP | PKT_HAS_L4;
        pk.proto = IPPROTO_TCP;
        pk.tcp_flags = (uint8_t)(((ctl & 2) ? 0x02 : 0) | ((ctl & 4) ? 0x01 : 0) |
                                 ((ctl & 8) ? 0x04 : 0) | ((ctl & 16) ? 0x10 : 0));
        pk.tcp_seq = base[dir] + seq;
        pk.tcp_ack = base[!dir] + ack;
        pk.payload = len ? p : NULL;
        pk.payload_len = len;
        f.last_us = pk.ts_us;
        stream_packet(se, &f, dir, &pk, &tmpl);
    }
    stream_flow_end(se, &f, &tmpl);
    stream_engine_free(se);
    return 0;
}

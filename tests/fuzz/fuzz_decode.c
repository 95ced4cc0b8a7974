/* libFuzzer target for the decoder chain. Input: one byte choosing the link
 * type from the supported table, then frames, each behind a 2-byte big-endian
 * length (top bit set: the frame was cut by a snaplen, the wire had 64 more
 * bytes), all fed to one decoder so the defragmenter's state is exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "sensor/decode.h"

static const int fuzz_dlts[] = {BW_DLT_EN10MB,  BW_DLT_NULL,        BW_DLT_LOOP,       BW_DLT_RAW,
                                BW_DLT_RAW_BSD, BW_DLT_LINUX_SLL,   BW_DLT_LINUX_SLL2, BW_DLT_IPV4,
                                BW_DLT_IPV6,    BW_DLT_LINKTYPE_RAW};

/* Checks that every pointer the decoder handed out stays inside the frame it
 * decoded (or the reassembly buffer) and reads the bytes so ASan can see. */
static void check_packet(const struct bw_packet *p, const uint8_t *frame, uint32_t caplen)
{
    const uint8_t *base = (p->flags & PKT_REASSEMBLED) ? p->data : frame;
    uint32_t len = p->caplen;
    if (!(p->flags & PKT_REASSEMBLED) && (p->data != frame || len != caplen))
        abort();
    if (!(p->flags & PKT_HAS_IP))
        abort();
    if (p->l3 < base || p->l3 + p->l3_len > base + len)
        abort();
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < p->l3_len; i++)
        sink ^= p->l3[i];
    if (p->payload != NULL) {
        if (p->payload < p->l3 || p->payload + p->payload_len > p->l3 + p->l3_len)
            abort();
        for (uint32_t i = 0; i < p->payload_len; i++)
            sink ^= p->payload[i];
    }
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_cursor c;
    uint8_t sel;
    struct decoder d;
    struct decode_config cfg;
    struct bw_err err;
    bw_cur_init(&c, data, size);
    if (bw_cur_u8(&c, &sel) != 0)
        return 0;
    int dlt = fuzz_dlts[sel % (sizeof(fuzz_dlts) / sizeof(fuzz_dlts[0]))];
    decode_config_defaults(&cfg);
    cfg.defrag_memcap = 64u << 10; /* small, so the memcap path is reachable */
    cfg.defrag_max_trackers = 8;
    cfg.defrag_timeout_us = 1000000;
    if (decoder_init(&d, &cfg, &err) != 0)
        abort();
    int64_t ts = 1700000000000000LL;
    while (bw_cur_left(&c) > 0) {
        uint16_t hdr;
        if (bw_cur_be16(&c, &hdr) != 0)
            break;
        uint32_t n = hdr & 0x7fffu;
        if (n > bw_cur_left(&c))
            n = (uint32_t)bw_cur_left(&c);
        /* Each frame in its own heap block so an overread is caught at its end. */
        uint8_t *frame = malloc(n ? n : 1);
        if (frame == NULL)
            abort();
        const uint8_t *src;
        if (bw_cur_take(&c, n, &src) != 0)
            abort();
        memcpy(frame, src, n);
        uint32_t wire = n + ((hdr & 0x8000u) ? 64u : 0u);
        struct bw_packet p;
        if (decode_packet(&d, dlt, frame, n, wire, ts, &p) == 1)
            check_packet(&p, frame, n);
        free(frame);
        ts += 300000; /* 0.3 s: a few frames are enough to reach the timeout */
    }
    decode_tick(&d, ts + 10000000);
    decoder_fini(&d);
    return 0;
}

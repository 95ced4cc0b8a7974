/* Fuzz input format shared by the parser fuzz targets and the seed tool: a
 * sequence of records [ctl][len_hi][len_lo][len bytes], ctl bit 0 = direction,
 * bit 1 = gap of len bytes (no data follows). Each record is one delivery, so
 * the fuzzer picks the chunk sizes in both directions. */
#ifndef BW_TESTS_APPFUZZ_H
#define BW_TESTS_APPFUZZ_H

#include "tests/lib/appdrive.h"

/* Runs p over one fuzz input, with EVE and access output enabled. */
static inline void appfuzz_run(const struct app_proto *p, const uint8_t *data, size_t size)
{
    static struct drv_out out;
    static int out_ready;
    if (!out_ready) {
        if (drv_out_init(&out) != 0)
            return;
        out_ready = 1;
    }
    bw_buf_reset(&out.eve);
    bw_buf_reset(&out.access);
    struct drv d;
    drv_init(&d, p, &out, 1);
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    bw_addr_from_v4(&d.flow.cli, a);
    bw_addr_from_v4(&d.flow.srv, b);
    d.flow.cport = 40000;
    d.flow.sport = 80;
    size_t off = 0;
    int64_t ts = 1700000000000000LL;
    while (off + 3 <= size) {
        uint8_t ctl = data[off];
        size_t len = ((size_t)data[off + 1] << 8) | data[off + 2];
        off += 3;
        d.ctx.ts_us = ts++;
        if (ctl & 2) {
            drv_gap(&d, ctl & 1, len);
            continue;
        }
        if (len > size - off)
            len = size - off;
        drv_chunk(&d, ctl & 1, data + off, len);
        off += len;
    }
    drv_end(&d);
}

#endif

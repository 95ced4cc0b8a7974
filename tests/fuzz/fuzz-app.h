/* Shared driver of the parser fuzz targets: the input's control bytes choose
 * direction and chunk size (and now and then a gap), the rest is the payload,
 * handed to the parser under the stream's contract (unconsumed bytes are
 * offered again with more, up to APP_MAX_PENDING). */
#ifndef BW_FUZZ_APP_H
#define BW_FUZZ_APP_H

#include <netinet/in.h>
#include <string.h>

#include "common/cursor.h"
#include "sensor/app.h"
#include "sensor/output-eve.h"
#include "sensor/pii-tap.h"

static void fuzz_access_sink(void *ctx, const struct bw_access *ev)
{
    (void)ctx;
    (void)ev;
}

static uint8_t fuzz_pend[2][APP_MAX_PENDING];

static void fuzz_app(const struct app_proto *ap, const uint8_t *data, size_t size)
{
    static struct eve_out *eve;
    static struct pii_scanner *pii;
    static struct pii_scratch *scratch;
    static struct pii_pool *pool;
    if (eve == NULL) {
        eve = eve_open(NULL, NULL); /* formats every event, writes nowhere */
        /* The PII scanner as the sensor runs it, with a pool small enough to
         * run dry (raw counts only) on inputs with many types. */
        pii = pii_scanner_new(NULL);
        scratch = pii ? pii_scratch_new(pii, NULL) : NULL;
        pool = pii_pool_new(6, NULL);
    }
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.proto = IPPROTO_TCP;
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    bw_addr_from_v4(&f.cli, a);
    bw_addr_from_v4(&f.srv, b);
    f.cport = 40000;
    f.sport = 5432;
    f.app = ap;
    struct app_stats st;
    memset(&st, 0, sizeof(st));
    struct access_sink sink = {fuzz_access_sink, NULL};
    struct app_ctx ctx = {.flow = &f,
                          .eve = eve,
                          .access = &sink,
                          .stats = &st,
                          .pii = pii,
                          .pii_scratch = scratch,
                          .pii_pool = pool};
    void *state = ap->new_state(&ctx);
    if (state == NULL)
        return;
    size_t plen[2] = {0, 0};
    struct bw_cursor c;
    bw_cur_init(&c, data, size);
    uint8_t ctl;
    while (bw_cur_u8(&c, &ctl) == 0) {
        int dir = ctl & 1;
        size_t n = (size_t)(ctl >> 1) + 1;
        if ((ctl >> 1) == 0x7f) {
            /* a gap of 1..256 bytes */
            uint8_t g = 0;
            (void)bw_cur_u8(&c, &g);
            plen[dir] = 0;
            if (ap->gap == NULL || ap->gap(state, &ctx, dir, (uint64_t)g + 1) != APP_OK)
                break;
            continue;
        }
        if ((ctl >> 1) == 0x7e) {
            /* a large chunk: 16-bit length follows */
            uint16_t l = 0;
            (void)bw_cur_be16(&c, &l);
            n = l;
        }
        if (n > bw_cur_left(&c))
            n = bw_cur_left(&c);
        const uint8_t *p = NULL;
        (void)bw_cur_take(&c, n, &p);
        if (n == 0)
            continue;
        if (plen[dir] + n > APP_MAX_PENDING)
            break; /* the stream would stop this parser: it asked for too much */
        memcpy(fuzz_pend[dir] + plen[dir], p, n);
        plen[dir] += n;
        size_t used = 0;
        enum app_result r = ap->parse(state, &ctx, dir, fuzz_pend[dir], plen[dir], &used);
        if (r != APP_OK)
            break;
        if (used > plen[dir])
            __builtin_trap(); /* contract: consumed <= len */
        memmove(fuzz_pend[dir], fuzz_pend[dir] + used, plen[dir] - used);
        plen[dir] -= used;
    }
    ap->free_state(state, &ctx);
    if (pii_pool_in_use(pool) != 0)
        __builtin_trap(); /* every transaction gives its estimators back */
}

#endif

/* libFuzzer target for the PII scanner: the input is fed as one stream in
 * chunks whose sizes come from its first byte (so candidates straddle every
 * kind of boundary), scanned whole, and read as a DNS name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sensor/pii.h"

static struct pii_scanner *sc;

static void free_scanner(void)
{
    pii_scanner_free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (sc == NULL) {
        struct bw_err err;
        sc = pii_scanner_new(&err);
        if (sc == NULL)
            abort();
        atexit(free_scanner);
    }
    if (size == 0)
        return 0;
    static struct bw_distinct d[PII_TYPE_MAX];
    struct pii_counts c;
    pii_counts_init(&c);
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        bw_distinct_init(&d[t]);
        c.distinct[t] = &d[t];
    }
    size_t step = (size_t)(data[0] % 64) + 1;
    data++;
    size--;
    struct pii_stream st;
    pii_stream_init(&st, sc);
    if (size > 8)
        pii_stream_add_context(&st, data, 8);
    for (size_t off = 0; off < size; off += step)
        if (pii_stream_feed(&st, data + off, size - off < step ? size - off : step, &c) != 0)
            abort();
    if (pii_stream_flush(&st, &c) != 0)
        abort();
    pii_stream_fini(&st);
    if (pii_scan_buf(sc, NULL, data, size, &c) != 0)
        abort();
    if (pii_scan_dns_name(sc, NULL, (const char *)data, size, &c) != 0)
        abort();
    (void)pii_counts_records(&c);
    return 0;
}

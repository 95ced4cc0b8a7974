/* libFuzzer target for the DNS payload streams: the input is a list of
 * query names, one a line; the first byte of a line picks one of four
 * actors and two servers, so streams, repeats and forwarded copies mix.
 * Names go through two tables sharing one recent-name cache. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/dns-payload.h"

static struct pii_scanner *sc;

static void free_scanner(void)
{
    pii_scanner_free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_err err;
    if (sc == NULL) {
        sc = pii_scanner_new(&err);
        if (sc == NULL)
            abort();
        atexit(free_scanner);
    }
    struct dns_seen *seen = dns_seen_new(&err);
    struct dns_payload *dp[2] = {dns_payload_new(sc, seen, &err), dns_payload_new(sc, seen, &err)};
    if (seen == NULL || dp[0] == NULL || dp[1] == NULL)
        abort();
    struct bw_addr addr[6];
    memset(addr, 0, sizeof(addr));
    for (int i = 0; i < 6; i++) {
        addr[i].family = i == 5 ? 10 : 2; /* AF_INET, one AF_INET6 */
        addr[i].bytes[0] = 10;
        addr[i].bytes[3] = (uint8_t)(i + 1);
    }
    int64_t ts = 0;
    size_t off = 0;
    while (off < size) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t end = nl != NULL ? (size_t)(nl - data) : size;
        if (end > off) {
            uint8_t sel = data[off];
            const char *name = (const char *)data + off + 1;
            size_t len = end - off - 1;
            struct dns_payload_result res;
            const struct bw_addr *dest = (sel & 0x40) ? NULL : &addr[4 + ((sel >> 2) & 1)];
            if (dns_payload_query(dp[(sel >> 3) & 1], &addr[sel & 3], dest, name, len, ts, &res) !=
                0)
                abort();
            if (res.has_pii)
                (void)pii_counts_records(&res.pii);
            ts += (sel & 0x80) ? 400000000 : 1000; /* now and then past the repeat window */
        }
        off = end + 1;
    }
    struct dns_payload_stats st;
    dns_payload_get_stats(dp[0], &st);
    (void)dns_payload_zone(dp[0], &addr[0], "exfil-tunnel.test");
    dns_payload_free(dp[0]);
    dns_payload_free(dp[1]);
    dns_seen_free(seen);
    return 0;
}

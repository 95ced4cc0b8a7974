/* Seed-corpus maker for the parser fuzz targets: writes each TCP or UDP flow
 * of a capture as one input in the tests/lib/appfuzz.h format, cutting
 * segments into pieces of varying size.
 * Usage: bwt-appseed PCAP tcp|udp OUTPREFIX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/pcapflow.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bwt-appseed PCAP tcp|udp OUTPREFIX\n");
        return 2;
    }
    struct pf_capture cap;
    if (pf_load(argv[1], &cap) != 0) {
        fprintf(stderr, "bwt-appseed: cannot read %s\n", argv[1]);
        return 1;
    }
    uint8_t proto = strcmp(argv[2], "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
    int written = 0;
    for (int fi = 0; fi < cap.nflows; fi++) {
        if (cap.flows[fi].proto != proto)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s-%d", argv[3], fi);
        FILE *f = NULL;
        unsigned piece = 0;
        for (size_t i = 0; i < cap.n; i++) {
            struct pf_seg *s = &cap.segs[i];
            if (s->flow != fi)
                continue;
            if (f == NULL && (f = fopen(path, "wb")) == NULL)
                return 1;
            if (s->gap) {
                uint8_t h[3] = {(uint8_t)(s->dir | 2), (uint8_t)(s->len >> 8), (uint8_t)s->len};
                fwrite(h, 1, 3, f);
                continue;
            }
            for (uint32_t off = 0; off < s->len;) {
                /* UDP datagrams stay whole; TCP pieces of 1..600 bytes */
                uint32_t k = proto == IPPROTO_UDP ? s->len : 1 + (piece++ * 97) % 600;
                if (k > s->len - off)
                    k = s->len - off;
                if (k > 65535)
                    k = 65535;
                uint8_t h[3] = {(uint8_t)s->dir, (uint8_t)(k >> 8), (uint8_t)k};
                fwrite(h, 1, 3, f);
                fwrite(s->data + off, 1, k, f);
                off += k;
            }
        }
        if (f != NULL) {
            fclose(f);
            written++;
        }
    }
    pf_free(&cap);
    printf("%d\n", written);
    return 0;
}

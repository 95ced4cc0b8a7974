/* Test helper bwt-decode-pcap: runs a pcap file through the decoder chain and
 * prints one line per packet (addresses, ports, VLANs, or "-" when the decoder
 * returned nothing) and then the decoder's counters, for script tests.
 * `bwt-decode-pcap -b PASSES FILE` instead times PASSES decodes of the file's
 * packets held in memory and prints packets per second. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/decode.h"

static int bench(const char *path, long passes)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, ebuf);
    if (pc == NULL) {
        fprintf(stderr, "bwt-decode-pcap: %s\n", ebuf);
        return 1;
    }
    size_t n = 0, cap = 0, bytes = 0;
    struct rec {
        uint8_t *b;
        uint32_t caplen, len;
    } *v = NULL;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof(*v));
            if (v == NULL)
                return 1;
        }
        v[n].b = malloc(h->caplen ? h->caplen : 1);
        memcpy(v[n].b, data, h->caplen);
        v[n].caplen = h->caplen;
        v[n].len = h->len;
        bytes += h->caplen;
        n++;
    }
    int dlt = pcap_datalink(pc);
    pcap_close(pc);
    struct decoder d;
    struct bw_err err;
    if (decoder_init(&d, NULL, &err) != 0)
        return 1;
    struct timespec t0, t1;
    uint64_t ok = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 0; k < passes; k++)
        for (size_t i = 0; i < n; i++) {
            struct bw_packet p;
            ok += (uint64_t)decode_packet(&d, dlt, v[i].b, v[i].caplen, v[i].len,
                                          (int64_t)(k * (long)n + (long)i), &p);
        }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double pk = (double)n * (double)passes;
    printf("%.0f packets in %.3f s: %.1f Mpps, %.1f ns/packet, %.2f Gbit/s of captured bytes "
           "(%llu returned)\n",
           pk, s, pk / s / 1e6, s / pk * 1e9, (double)bytes * (double)passes * 8 / s / 1e9,
           (unsigned long long)ok);
    decoder_fini(&d);
    for (size_t i = 0; i < n; i++)
        free(v[i].b);
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    if (argc == 4 && strcmp(argv[1], "-b") == 0)
        return bench(argv[3], strtol(argv[2], NULL, 10));
    if (argc != 2) {
        fprintf(stderr, "usage: bwt-decode-pcap [-b PASSES] FILE\n");
        return 2;
    }
    pcap_t *pc = pcap_open_offline(argv[1], ebuf);
    if (pc == NULL) {
        fprintf(stderr, "bwt-decode-pcap: %s\n", ebuf);
        return 1;
    }
    struct decoder d;
    struct bw_err err;
    if (decoder_init(&d, NULL, &err) != 0) {
        fprintf(stderr, "bwt-decode-pcap: %s\n", err.msg);
        pcap_close(pc);
        return 1;
    }
    int dlt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t ok = 0;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct bw_packet p;
        int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        if (decode_packet(&d, dlt, data, h->caplen, h->len, ts, &p) != 1) {
            printf("-\n");
            continue;
        }
        ok++;
        char s[BW_ADDR_STRLEN], t[BW_ADDR_STRLEN];
        bw_addr_fmt(&p.src, s);
        bw_addr_fmt(&p.dst, t);
        if (p.flags & PKT_HAS_L4 && (p.proto == 6 || p.proto == 17))
            printf("%s|%s|%u|%u", s, t, p.sport, p.dport);
        else
            printf("%s|%s||", s, t);
        printf(" vlan=");
        for (int i = 0; i < p.vlan_n; i++)
            printf(i ? ",%u" : "%u", p.vlan[i]);
        printf("\n");
    }
    pcap_close(pc);
    printf("# ip_seen=%llu ok=%llu non_ip=%llu invalid=%llu pkts=%llu\n",
           (unsigned long long)(d.stats.ipv4 + d.stats.ipv6), (unsigned long long)ok,
           (unsigned long long)d.stats.non_ip, (unsigned long long)d.stats.invalid,
           (unsigned long long)d.stats.pkts);
    for (int i = 0; i < DEC_EVENT_MAX; i++)
        if (d.stats.events[i])
            printf("# event %s=%llu\n", decode_event_name((enum decode_event)i),
                   (unsigned long long)d.stats.events[i]);
    decoder_fini(&d);
    return 0;
}

/* Fuzz target: a whole capture file (pcap or pcapng) read by libpcap from
 * memory, every packet through the worker (decode, flow table, stream). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

#include "sensor/worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    if (size == 0)
        return 0;
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (fp == NULL)
        return 0;
    pcap_t *p = pcap_fopen_offline(fp, ebuf);
    if (p == NULL) {
        fclose(fp);
        return 0;
    }
    struct worker_config cfg;
    struct bw_err err;
    worker_config_defaults(&cfg);
    cfg.flow.memcap = 1u << 20; /* small pool: eviction gets exercised */
    struct worker *w = worker_new(&cfg, NULL, &err);
    if (w != NULL) {
        int dlt = pcap_datalink(p);
        struct pcap_pkthdr *h;
        const u_char *pkt;
        while (pcap_next_ex(p, &h, &pkt) == 1)
            worker_packet(w, dlt, pkt, h->caplen, h->len,
                          (int64_t)(h->ts.tv_sec & 0xffffffffff) * 1000000 + h->ts.tv_usec);
        worker_shutdown(w);
        worker_free(w);
    }
    pcap_close(p); /* closes fp */
    return 0;
}

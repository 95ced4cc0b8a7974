/* Test helper bwt-flow-payload: runs a capture through the packet pipeline
 * (decode, flow, stream, parsers) with home_net = the private ranges and
 * prints, per flow that sent `flow` access events, the sum of their `bytes`
 * (to-server wire bytes) and `payload_bytes` (to-server stream bytes):
 *   ACTOR:PORT DEST:PORT events=N bytes=B payload=P
 * usage: bwt-flow-payload FILE */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ipaddr.h"
#include "sensor/access.h"
#include "sensor/worker.h"

#define MAX_FLOWS 64

struct sum {
    uint64_t flow_id;
    struct bw_addr actor, dest;
    uint16_t aport, dport;
    uint64_t events, bytes, payload;
};

static struct sum sums[MAX_FLOWS];
static size_t nsums;

static void on_access(void *ctx, const struct bw_access *ev)
{
    (void)ctx;
    if (ev->channel != ACCESS_CH_FLOW)
        return;
    size_t i = 0;
    while (i < nsums && sums[i].flow_id != ev->flow_id)
        i++;
    if (i == nsums) {
        if (nsums == MAX_FLOWS)
            return;
        nsums++;
        sums[i].flow_id = ev->flow_id;
        sums[i].actor = ev->actor_ip;
        sums[i].dest = ev->dest_ip;
        sums[i].aport = ev->actor_port;
        sums[i].dport = ev->dest_port;
    }
    sums[i].events++;
    sums[i].bytes += ev->bytes;
    sums[i].payload += ev->payload_bytes;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bwt-flow-payload FILE\n");
        return 2;
    }
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(argv[1], ebuf);
    if (pc == NULL) {
        fprintf(stderr, "bwt-flow-payload: %s\n", ebuf);
        return 1;
    }
    struct bw_cidr_set home;
    bw_cidr_set_init(&home);
    if (bw_cidr_set_add_private(&home) != 0) {
        fprintf(stderr, "bwt-flow-payload: home_net\n");
        return 1;
    }
    struct worker_config cfg;
    worker_config_defaults(&cfg);
    cfg.home_net = &home;
    cfg.flow_events = 0;
    struct bw_err err = {0};
    struct worker *w = worker_new(&cfg, NULL, &err);
    if (w == NULL) {
        fprintf(stderr, "bwt-flow-payload: %s\n", err.msg);
        return 1;
    }
    struct access_sink sink = {on_access, NULL};
    worker_set_access_sink(w, &sink);
    int dlt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1)
        worker_packet(w, dlt, data, h->caplen, h->len,
                      (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
    worker_free(w); /* ends every flow: the last access event of each */
    pcap_close(pc);
    for (size_t i = 0; i < nsums; i++) {
        char a[64], d[64];
        bw_addr_fmt(&sums[i].actor, a);
        bw_addr_fmt(&sums[i].dest, d);
        printf("%s:%u %s:%u events=%llu bytes=%llu payload=%llu\n", a, sums[i].aport, d,
               sums[i].dport, (unsigned long long)sums[i].events, (unsigned long long)sums[i].bytes,
               (unsigned long long)sums[i].payload);
    }
    bw_cidr_set_fini(&home);
    return 0;
}

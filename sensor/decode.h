/* Decoder chain entry point: link layer -> IP (with defragmentation) -> L4.
 * One struct decoder per worker thread; it owns the defragmentation state. */
#ifndef BW_DECODE_H
#define BW_DECODE_H

#include <stdint.h>

#include "common/err.h"
#include "sensor/packet.h"

struct defrag; /* sensor/defrag.h */

struct decode_stats {
    uint64_t pkts, bytes; /* every packet offered (wirelen) */
    uint64_t eth, vlan, sll, null, raw;
    uint64_t ipv4, ipv6, tcp, udp, icmp, icmpv6, other_l4;
    uint64_t frags, reassembled;
    uint64_t events[DEC_EVENT_MAX];
};

struct decode_config {
    uint64_t defrag_memcap;       /* bytes held in fragments at most; default 32 MiB */
    uint64_t defrag_timeout_us;   /* default 60 s */
    uint32_t defrag_max_trackers; /* datagrams being reassembled at once; default 65536 */
};

struct decoder {
    struct decode_config cfg;
    struct decode_stats stats;
    struct defrag *defrag;
};

void decode_config_defaults(struct decode_config *cfg);
int decoder_init(struct decoder *d, const struct decode_config *cfg, struct bw_err *err) BW_WUR;
void decoder_fini(struct decoder *d);

/* Decodes one frame of link type `dlt` into `p` (data borrowed).
 * Returns 1 when `p` is ready for the flow stage, 0 when the frame was consumed
 * without output (a fragment held for reassembly, a non-IP frame, or a malformed
 * frame: see p->event and d->stats.events). A fragment that completes a datagram
 * yields the reassembled packet, whose bytes live in the decoder until the next
 * call. Never fails otherwise. */
int decode_packet(struct decoder *d, int dlt, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen, int64_t ts_us, struct bw_packet *p);

/* Expires fragment trackers older than the timeout relative to now_us. */
void decode_tick(struct decoder *d, int64_t now_us);

#endif

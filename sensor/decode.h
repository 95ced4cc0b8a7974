/* Decoder chain entry point: link layer -> IP (with defragmentation) -> L4.
 * One struct decoder per worker thread; it owns the defragmentation state. */
#ifndef BW_DECODE_H
#define BW_DECODE_H

#include <stdint.h>

#include "common/err.h"
#include "sensor/packet.h"

struct defrag;    /* sensor/defrag.h */
struct bw_config; /* common/config.h */

/* Link types handled (values as libpcap's pcap_datalink() reports them; DLT_RAW
 * is 12 on most platforms and 14 on some BSDs, both are accepted; DLT_LOOP is
 * 108 except on OpenBSD, where it shares 12 with DLT_RAW: 12 is taken as raw IP). */
#define BW_DLT_NULL         0
#define BW_DLT_EN10MB       1
#define BW_DLT_RAW          12
#define BW_DLT_RAW_BSD      14
#define BW_DLT_LINKTYPE_RAW 101 /* the pcap file value, in case it is passed unmapped */
#define BW_DLT_LOOP         108
#define BW_DLT_LINUX_SLL    113
#define BW_DLT_IPV4         228
#define BW_DLT_IPV6         229
#define BW_DLT_LINUX_SLL2   276

struct decode_stats {
    uint64_t pkts, bytes; /* every packet offered (wirelen) */
    uint64_t eth, vlan, sll, null, raw;
    uint64_t ipv4, ipv6, tcp, udp, icmp, icmpv6, other_l4;
    uint64_t frags, reassembled;
    uint64_t non_ip;  /* valid frames carrying no IP (ARP, LLDP, ...): not an event */
    uint64_t invalid; /* frames dropped for a decode event (returned 0) */
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
    /* Per-packet scratch (internal to decode-*.c): bytes the capture cut off
     * (wirelen - caplen), which explains a short datagram; and whether the
     * datagram being decoded came out of the defragmenter. */
    uint32_t snap_missing;
    uint8_t in_reassembly;
};

/* Fills the defaults named above. */
void decode_config_defaults(struct decode_config *cfg);
/* Reads the `decoder:` section of the configuration (defrag_memcap, defrag_timeout,
 * defrag_max_trackers) over the defaults; an absent section keeps them.
 * Returns 0, or -1 with err at the offending key (file:line:col). */
int decode_config_load(struct decode_config *dc, const struct bw_config *cfg,
                       struct bw_err *err) BW_WUR;
/* Sets up a decoder with its own defragmenter, preallocated to cfg's limits
 * (cfg NULL = defaults). Returns 0, or -1 with err. Release with decoder_fini. */
int decoder_init(struct decoder *d, const struct decode_config *cfg, struct bw_err *err) BW_WUR;
/* Releases the defragmenter; d may be zeroed or already finished. */
void decoder_fini(struct decoder *d);

/* Decodes one frame of link type `dlt` into `p` (data borrowed).
 * Returns 1 when `p` is ready for the flow stage, 0 when the frame was consumed
 * without output (a fragment held for reassembly, a non-IP frame, or a malformed
 * frame: see p->event and d->stats.events). A fragment that completes a datagram
 * yields the reassembled packet, whose bytes live in the decoder until the next
 * call. Never fails otherwise. On 1, PKT_HAS_IP is set, and PKT_HAS_L4 for
 * TCP/UDP/ICMP/ICMPv6 (other IP protocols pass with addresses and proto only);
 * on 0 for an invalid frame, PKT_HAS_IP/PKT_HAS_L4 are clear. Frames without IP
 * are counted in stats.non_ip, invalid ones in stats.invalid (docs/decoding.md). */
int decode_packet(struct decoder *d, int dlt, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen, int64_t ts_us, struct bw_packet *p);

/* Expires fragment trackers older than the timeout relative to now_us. */
void decode_tick(struct decoder *d, int64_t now_us);

#endif

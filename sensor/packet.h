/* The decoded packet: what decode-*.c fill in and everything after reads.
 * Packet bytes are borrowed from libpcap (or from the defragmenter's buffer)
 * for the duration of one packet's processing only. */
#ifndef BW_PACKET_H
#define BW_PACKET_H

#include <stdint.h>

#include "common/ipaddr.h"

/* Decode events: malformed or truncated input, counted per kind and never fatal.
 * Keep names stable: they appear in `stats` events as decoder.event.<name>. */
#define DECODE_EVENTS(X)                                                                           \
    X(LINK_UNSUPPORTED, "link.unsupported")                                                        \
    X(ETH_TRUNCATED, "eth.truncated")                                                              \
    X(VLAN_TRUNCATED, "vlan.truncated")                                                            \
    X(VLAN_TOO_MANY, "vlan.too_many_layers")                                                       \
    X(SLL_TRUNCATED, "sll.truncated")                                                              \
    X(NULL_TRUNCATED, "null.truncated")                                                            \
    X(NULL_UNKNOWN_FAMILY, "null.unknown_family")                                                  \
    X(L3_UNKNOWN, "l3.unknown_ethertype")                                                          \
    X(IPV4_TRUNCATED, "ipv4.truncated")                                                            \
    X(IPV4_BAD_VERSION, "ipv4.wrong_version")                                                      \
    X(IPV4_BAD_HLEN, "ipv4.bad_header_length")                                                     \
    X(IPV4_BAD_TOTLEN, "ipv4.bad_total_length")                                                    \
    X(IPV4_OPT_MALFORMED, "ipv4.option_malformed")                                                 \
    X(IPV6_TRUNCATED, "ipv6.truncated")                                                            \
    X(IPV6_BAD_VERSION, "ipv6.wrong_version")                                                      \
    X(IPV6_EXTHDR_MALFORMED, "ipv6.exthdr_malformed")                                              \
    X(IPV6_EXTHDR_TOO_MANY, "ipv6.exthdr_too_many")                                                \
    X(FRAG_OVERLAP, "frag.overlap")                                                                \
    X(FRAG_OVERLAP_DIFFERENT, "frag.overlap_different")                                            \
    X(FRAG_TOO_LARGE, "frag.too_large")                                                            \
    X(FRAG_MEMCAP, "frag.memcap")                                                                  \
    X(FRAG_TIMEOUT, "frag.timeout")                                                                \
    X(FRAG_INVALID, "frag.invalid")                                                                \
    X(TCP_TRUNCATED, "tcp.truncated")                                                              \
    X(TCP_BAD_HLEN, "tcp.bad_header_length")                                                       \
    X(TCP_OPT_MALFORMED, "tcp.option_malformed")                                                   \
    X(UDP_TRUNCATED, "udp.truncated")                                                              \
    X(UDP_BAD_LEN, "udp.bad_length")                                                               \
    X(ICMP_TRUNCATED, "icmp.truncated")                                                            \
    X(ICMPV6_TRUNCATED, "icmpv6.truncated")

enum decode_event {
#define X(id, name) DEC_##id,
    DECODE_EVENTS(X)
#undef X
        DEC_EVENT_MAX
};

/* Packet flags. */
#define PKT_HAS_IP      0x01u /* src/dst valid */
#define PKT_HAS_L4      0x02u /* proto/ports (or ICMP type/code) valid */
#define PKT_REASSEMBLED 0x04u /* built from IP fragments; data points into defrag buffer */
#define PKT_TRUNCATED   0x08u /* captured fewer bytes than the headers claim */
#define PKT_FRAGMENT    0x10u /* a fragment that was absorbed by the defragmenter */

struct bw_packet {
    int64_t ts_us;       /* packet time, microseconds since the epoch */
    const uint8_t *data; /* link-layer frame, borrowed */
    uint32_t caplen;     /* bytes captured */
    uint32_t wirelen;    /* bytes on the wire (counted in flow bytes, as Suricata does) */
    int linktype;        /* DLT_* */
    uint32_t flags;      /* PKT_* */

    uint16_t vlan[2]; /* outer first */
    uint8_t vlan_n;

    uint8_t ip_version; /* 4 or 6, 0 when none */
    uint8_t ttl;
    struct bw_addr src, dst;
    uint8_t proto;         /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, other */
    uint16_t sport, dport; /* host order; for ICMP: type and code */

    uint8_t tcp_flags; /* TH_FIN .. TH_CWR */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;

    const uint8_t *l3;      /* start of the IP header (borrowed) */
    uint32_t l3_len;        /* IP datagram bytes available (capped by caplen) */
    const uint8_t *payload; /* L4 payload (borrowed), NULL when none */
    uint32_t payload_len;

    enum decode_event
        event; /* the last decode event raised on this packet, DEC_EVENT_MAX if none */
};

/* Name for a decode event (the stats key). */
const char *decode_event_name(enum decode_event ev);

#endif

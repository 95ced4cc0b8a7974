/* Flow table: bidirectional 5-tuple + VLAN, bounded by a memcap, with protocol
 * and TCP-state timeouts. Flows are preallocated in a pool: looking up or
 * creating a flow never calls malloc; when the pool is exhausted the oldest
 * flow is evicted (and counted). */
#ifndef BW_FLOW_H
#define BW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "sensor/packet.h"

#define FLOW_TOSERVER 0
#define FLOW_TOCLIENT 1

enum flow_tcp_state {
    FLOW_TCP_NONE, /* not TCP */
    FLOW_TCP_SYN_SENT,
    FLOW_TCP_SYN_RECV,
    FLOW_TCP_ESTABLISHED,
    FLOW_TCP_FIN_WAIT, /* one side sent FIN */
    FLOW_TCP_CLOSING,  /* both sides sent FIN */
    FLOW_TCP_CLOSED,   /* RST seen or both FINs acked */
};

enum flow_end_reason { FLOW_END_TIMEOUT, FLOW_END_SHUTDOWN, FLOW_END_EVICTED, FLOW_END_CLOSED };

struct flow_key {
    struct bw_addr lo, hi; /* addresses ordered so both directions hash alike */
    uint16_t lo_port, hi_port;
    uint16_t vlan[2];
    uint8_t vlan_n;
    uint8_t proto;
};

struct app_proto;

struct flow {
    struct flow_key key;
    /* Orientation: the client is the side that sent the first packet (or the
     * SYN); to-server is FLOW_TOSERVER. */
    struct bw_addr cli, srv;
    uint16_t cport, sport;
    uint8_t proto;

    uint64_t flow_id;      /* stable per flow, as EVE flow_id */
    char community_id[40]; /* "1:" + base64(SHA-1), computed when the flow is created */

    int64_t start_us, last_us;
    uint64_t pkts[2], bytes[2]; /* whole packets, link layer included (wirelen) */
    enum flow_tcp_state tcp_state;
    uint8_t tcp_flags_seen[2];

    /* Stages after the flow table hang their state here; each is owned by the
     * module named and released through its flow-end hook. */
    void *stream;                /* sensor/stream.c: TCP reassembly, both directions */
    const struct app_proto *app; /* sensor/app.c: detected protocol, NULL until known */
    void *app_state;             /* owned by app->free_state */
    uint32_t app_flags;          /* APP_FLOW_* */
    void *ring;                  /* sensor/ring.c: recent packets for evidence */
    void *user;                  /* free for the worker */
    uint64_t out_reported;       /* sensor/worker.c: to-server bytes sent as `flow` access events */
    int8_t out_state;            /* sensor/worker.c: 0 unknown, 1 client home + server external */
    uint64_t out_payload;        /* sensor/stream.c: to-server L4 payload bytes at stream positions
                                  * not seen before (TCP retransmissions excluded; UDP: all) */
    uint64_t out_payload_reported; /* sensor/worker.c: of which sent as `flow` access events */

    /* Table bookkeeping (flow.c only). */
    struct flow *hnext; /* hash chain */
    struct flow *lru_prev, *lru_next;
    uint32_t hash;
    uint8_t tclass; /* timeout class: which LRU list holds it */
    uint8_t in_use;
};

struct flow_config {
    uint64_t memcap;            /* bytes for the flow pool; default 64 MiB */
    uint32_t hash_size;         /* buckets, power of two; default derived from memcap */
    uint64_t timeout_new_us;    /* TCP before establishment; default 30 s */
    uint64_t timeout_est_us;    /* TCP established; default 300 s */
    uint64_t timeout_closed_us; /* TCP closed (RST, or both FINs acked); default 10 s */
    uint64_t timeout_udp_us;    /* default 60 s */
    uint64_t timeout_icmp_us;   /* default 30 s */
    uint64_t timeout_other_us;  /* default 60 s */
    uint32_t community_id_seed; /* Community ID v1 seed; default 0 */
};

struct flow_stats {
    uint64_t created, ended, active, evicted, timed_out, pool_size;
};

/* Called when a flow ends (timeout, eviction, close, shutdown), before its slot
 * is reused: outputs write the `flow` event and stages release their state. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end_reason why);

struct flow_table;

void flow_config_defaults(struct flow_config *cfg);
struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ctx,
                                  struct bw_err *err);
/* Ends every flow with reason `why`, oldest first (counters stay readable). */
void flow_table_end_all(struct flow_table *t, enum flow_end_reason why);
/* Ends every flow (reason SHUTDOWN) then frees the table. Accepts NULL. */
void flow_table_free(struct flow_table *t);

/* Finds or creates the flow of a decoded packet (PKT_HAS_IP required), updates
 * its counters and TCP state, and sets *dir to FLOW_TOSERVER or FLOW_TOCLIENT.
 * Returns NULL only when no flow could be had (then counted). */
struct flow *flow_handle_packet(struct flow_table *t, const struct bw_packet *p, int *dir);

/* Expires idle flows relative to now_us (packet time offline, wall clock live).
 * Cheap to call often: it examines the oldest flows only. */
void flow_table_tick(struct flow_table *t, int64_t now_us);

const struct flow_stats *flow_table_stats(const struct flow_table *t);

/* Builds the direction-independent key of a decoded packet (PKT_HAS_IP). */
void flow_key_from_packet(const struct bw_packet *p, struct flow_key *k);
/* Hash of a key; both directions of a flow hash alike (used for worker sharding). */
uint32_t flow_key_hash(const struct flow_key *k);

/* Community ID v1 (corelight/community-id-spec) of a tuple seen from src:
 * ports are TCP/UDP ports, or ICMP type and code. Writes "1:" + base64 SHA-1
 * into out (at least 40 bytes). Returns out. */
char *flow_community_id(uint16_t seed, const struct bw_addr *src, const struct bw_addr *dst,
                        uint8_t proto, uint16_t sport, uint16_t dport, char *out);

/* Suricata's names for the EVE `flow.state` field: "new", "established", "closed". */
const char *flow_state_name(const struct flow *f);

/* Reads the `flow:` section of the config into cfg (defaults first).
 * Returns 0 or -1 with err at file:line:col. */
struct bw_config;
int flow_config_load(struct flow_config *cfg, const struct bw_config *conf,
                     struct bw_err *err) BW_WUR;

const char *flow_tcp_state_name(enum flow_tcp_state s);
const char *flow_end_reason_name(enum flow_end_reason r);

#endif

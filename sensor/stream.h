/* Transport stage between the flow table and the parsers: TCP reassembly per
 * direction with in-order delivery, UDP datagrams handed over whole, protocol
 * detection by content, and the parser calls of app.h. One struct stream_engine
 * per worker; per-flow state hangs off flow->stream and is released by
 * stream_flow_end. Memory is bounded by a per-flow and a global cap. */
#ifndef BW_STREAM_H
#define BW_STREAM_H

#include <stdint.h>

#include "common/err.h"
#include "sensor/app.h"
#include "sensor/flow.h"
#include "sensor/packet.h"

struct stream_config {
    uint64_t memcap;       /* all out-of-order and pending bytes of a worker; default 64 MiB */
    uint64_t flow_ooo_cap; /* out-of-order bytes held per flow direction; default 1 MiB */
    uint32_t probe_max;    /* bytes looked at for detection before giving up; default 4096 */
    int midstream;         /* pick up flows whose handshake was not seen; default 1 */
};

struct stream_stats {
    uint64_t segments, bytes_delivered, ooo_segments, retransmissions, overlaps, overlap_conflicts,
        gaps, gap_bytes, memcap_drops, flows_midstream, parser_errors, undetected;
    struct app_stats app[16]; /* indexed by app_index() */
};

struct stream_engine;

void stream_config_defaults(struct stream_config *cfg);
struct stream_engine *stream_engine_new(const struct stream_config *cfg, struct bw_err *err);
void stream_engine_free(struct stream_engine *se);

/* Hands one decoded packet of flow `f` in direction `dir` to reassembly (TCP)
 * or straight to the parser (UDP). `tmpl` carries eve/access/pii/inventory; its
 * flow, ts_us and stats are filled in here. */
void stream_packet(struct stream_engine *se, struct flow *f, int dir, const struct bw_packet *p,
                   const struct app_ctx *tmpl);
/* The flow ends: delivers what can be delivered, flushes the parser (its last
 * transaction is written) and frees the flow's stream and app state. */
void stream_flow_end(struct stream_engine *se, struct flow *f, const struct app_ctx *tmpl);

const struct stream_stats *stream_engine_stats(const struct stream_engine *se);

#endif

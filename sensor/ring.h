/* Evidence ring: the last packets of every flow, kept in a preallocated pool of
 * fixed-size cells so that the per-packet path never calls malloc. Bounded per
 * flow (packets and bytes) and globally (memcap); when the pool runs dry a
 * flow reuses its own oldest cell, else the packet is dropped and counted.
 * When an alert is raised, the flow's ring is written as a pcap excerpt
 * (<state_dir>/evidence/<alert_id>.pcap) with the capture's link type. */
#ifndef BW_RING_H
#define BW_RING_H

#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "sensor/packet.h"

struct ring_config {
    int enabled;               /* default 1 */
    uint32_t packets_per_flow; /* default 64 */
    uint32_t bytes_per_flow;   /* captured bytes kept per flow; default 128 KiB */
    uint32_t snaplen;          /* bytes kept of each packet (cell size); default 2048 */
    uint64_t memcap;           /* whole pool; default 32 MiB */
    uint32_t max_flows;        /* flows with a ring at once; default 65536 */
};

struct ring_stats {
    uint64_t packets, dropped_pool, dropped_flows, truncated, other_linktype, cells, cells_free;
    uint64_t written, write_errors;
};

struct ring_pool;

void ring_config_defaults(struct ring_config *cfg);
/* Reads `capture: {evidence: {...}}` keys packets_per_flow, bytes_per_flow,
 * snaplen, memcap, max_flows, enabled. Returns 0 or -1 with err. */
int ring_config_load(struct ring_config *cfg, const struct bw_config *conf,
                     struct bw_err *err) BW_WUR;

/* Preallocates the pool. Returns NULL with err. */
struct ring_pool *ring_pool_new(const struct ring_config *cfg, struct bw_err *err);
/* Frees the pool (every flow's ring with it). Accepts NULL. */
void ring_pool_free(struct ring_pool *p);

/* Keeps a copy of the packet (capped at snaplen) in the ring *slot of its
 * flow (flow->ring), taking a ring head on the flow's first packet. Never
 * allocates. */
void ring_add(struct ring_pool *p, void **slot, const struct bw_packet *pkt);
/* Returns the flow's cells and head to the pool (flow end). */
void ring_release(struct ring_pool *p, void **slot);

/* Packets held for a flow. */
uint32_t ring_count(const struct ring_pool *p, void *const *slot);

/* Writes the flow's ring as a pcap file at path (pcap_dump, the link type of
 * its packets), then hashes it. Returns 0 with *packets and sha256 (hex)
 * filled, -1 with err. Not for the per-packet path (allocates). */
int ring_write_pcap(struct ring_pool *p, void *const *slot, const char *path, uint64_t *packets,
                    char sha256[65], struct bw_err *err) BW_WUR;

/* <state_dir>/evidence/<alert_id>.pcap (the alert id made file-name safe),
 * creating the directory. Returns 0 with path, -1 with err. */
int ring_evidence_path(const char *state_dir, const char *alert_id, char *path, size_t pathlen,
                       struct bw_err *err) BW_WUR;

void ring_get_stats(const struct ring_pool *p, struct ring_stats *out);

/* Context of the detection engine's evidence hook. */
struct ring_evidence_ctx {
    struct ring_pool *ring; /* the worker's pool (worker->ring), borrowed */
    char state_dir[256];
};

/* The detection engine's alert_evidence_fn (sensor/detect.h): writes the
 * flow's ring of the event that raised the alert (ev->flow; log events have
 * none) to <state_dir>/evidence/<alert_id>.pcap and fills a->evidence_*.
 * Register with detect_set_evidence_fn(engine, ring_alert_evidence, &ctx).
 * Built when sensor/alert.h is in the tree. */
#if __has_include("sensor/alert.h")
#define BW_RING_ALERT_HOOK 1
struct bw_alert;
struct bw_access;
void ring_alert_evidence(void *ctx, struct bw_alert *a, const struct bw_access *ev);
#endif

#endif

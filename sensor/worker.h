/* The worker: one packet pipeline (decode -> flow -> stream -> parsers) with
 * its own state, so that several can later run side by side, each on the
 * flows of its hash shard (flow_key_hash). Writes `flow` events when flows end
 * and `stats` events on request. Not thread-safe: one thread per worker. */
#ifndef BW_WORKER_H
#define BW_WORKER_H

#include <stdint.h>

#include "common/err.h"
#include "sensor/app.h"
#include "sensor/capture.h"
#include "sensor/decode.h"
#include "sensor/dns-payload.h"
#include "sensor/flow.h"
#include "sensor/ring.h"
#include "sensor/stream.h"

struct eve_out;

struct worker_config {
    struct decode_config decode;
    struct flow_config flow;
    struct stream_config stream;
    struct ring_config ring; /* evidence ring (capture.evidence) */
    int flow_events;         /* write a `flow` event per flow; default 1 */
    /* `flow` access events (outbound volume): from a client inside home_net to a
     * server outside it, every flow_access_step to-server bytes and at flow end. */
    const struct bw_cidr_set *home_net; /* borrowed from the config; NULL = none */
    uint64_t flow_access_step;          /* default 1 MiB */
};

struct worker_stats {
    uint64_t packets; /* frames offered */
    uint64_t no_flow; /* decoded packets that got no flow (not IP) */
};

struct worker {
    struct worker_config cfg;
    struct decoder dec;
    struct flow_table *flows;
    struct stream_engine *stream;
    struct ring_pool *ring; /* evidence ring; NULL when disabled */
    struct eve_out *eve;    /* borrowed */
    struct app_ctx tmpl;    /* handed to the stream stage with every packet */
    struct worker_stats stats;
    int64_t last_ts_us; /* newest packet time seen */
    int64_t last_tick_us;
    int dec_ok;
    struct pii_scratch *pii_scratch; /* owned: this worker's scanner scratch */
    struct pii_pool *pii_pool;       /* owned: distinct estimators of its transactions */
    struct dns_payload *dns_payload; /* owned: DNS payload streams (tunnels), or NULL */
};

void worker_config_defaults(struct worker_config *cfg);
/* Reads `flow:` (and, as their owners add loaders, `decoder:`/`stream:`) and
 * `outputs.eve_flow` into cfg. Returns 0 or -1 with err. */
int worker_config_load(struct worker_config *cfg, const struct bw_config *conf,
                       struct bw_err *err) BW_WUR;

/* Creates a worker writing events to `eve` (borrowed; may be NULL).
 * Returns NULL with err. */
struct worker *worker_new(const struct worker_config *cfg, struct eve_out *eve, struct bw_err *err);
/* Ends every flow (reason shutdown, writing their events), then frees.
 * Accepts NULL. */
void worker_free(struct worker *w);

/* Ends every flow now (reason shutdown, writing their events); the counters
 * stay readable for a last worker_write_stats. */
void worker_shutdown(struct worker *w);

/* Where access events go (detection); borrowed, may be NULL. */
void worker_set_access_sink(struct worker *w, const struct access_sink *sink);

/* Turns on content scanning with sc (borrowed, outlives the worker): the
 * worker makes its own scanner scratch and a pool of pool_n distinct
 * estimators. Call before the first packet. Returns 0 or -1 with err. */
int worker_set_pii(struct worker *w, const struct pii_scanner *sc, size_t pool_n,
                   struct bw_err *err) BW_WUR;

/* Turns on DNS payload streams (sensor/dns-payload.h) after worker_set_pii:
 * the worker makes its own table, classifying names with seen (borrowed,
 * shared by all workers, outlives the worker). Returns 0 or -1 with err. */
struct dns_seen;
int worker_set_dns_payload(struct worker *w, struct dns_seen *seen, struct bw_err *err) BW_WUR;
/* The data inventory the parsers consult (borrowed, may be NULL). */
void worker_set_inventory(struct worker *w, const struct inventory *inv);

/* One captured frame through the pipeline. Bytes are borrowed for the call. */
void worker_packet(struct worker *w, int dlt, const uint8_t *data, uint32_t caplen,
                   uint32_t wirelen, int64_t ts_us);
/* Expires idle flows and fragments relative to now_us (wall clock when live;
 * offline the worker ticks itself on packet time). */
void worker_tick(struct worker *w, int64_t now_us);
/* Writes a `stats` event with capture (may be NULL), decoder, flow, stream and
 * app-layer counters, stamped ts_us. */
void worker_write_stats(struct worker *w, const struct capture_stats *cap, int64_t ts_us);

/* Every counter of one worker, all uint64_t, so that several add up. */
struct worker_counters {
    struct decode_stats dec;
    struct flow_stats flow;
    struct stream_stats stream;
    struct worker_stats work;
    struct dns_payload_stats dns; /* zero without DNS payload streams */
};
void worker_get_counters(const struct worker *w, struct worker_counters *out);
/* sum += c, counter by counter. */
void worker_counters_add(struct worker_counters *sum, const struct worker_counters *c);
struct bw_json;
/* The `stats` event from counters (one worker's or a sum); extra (may be
 * NULL) adds members inside the `stats` object (per-worker detail). */
void worker_write_stats_from(struct eve_out *eve, const struct capture_stats *cap,
                             const struct worker_counters *wc, int64_t ts_us,
                             void (*extra)(void *ctx, struct bw_json *j), void *ctx);

#endif

/* EVE JSON-lines output: one object per line, Suricata-compatible where fields
 * overlap. Every event goes through eve_begin/eve_end, which write the common
 * header (timestamp, flow_id, event_type, 5-tuple, app_proto, community_id) so
 * that layout is decided in one place. Thread-safe: begin takes the writer's
 * lock and end releases it. */
#ifndef BW_OUTPUT_EVE_H
#define BW_OUTPUT_EVE_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "common/json.h"
#include "sensor/flow.h"

struct eve_out;

/* Called with every complete line (without the newline), e.g. the Redis
 * output listening for alerts. Borrowed for the call. */
typedef void (*eve_listener_fn)(void *ctx, const char *event_type, const char *line, size_t len);

/* Opens an output: `path` "-" is stdout, NULL or "" writes nowhere (listeners
 * still run). Returns NULL with err on failure. */
struct eve_out *eve_open(const char *path, struct bw_err *err);
/* Flushes and closes. Accepts NULL. */
void eve_close(struct eve_out *e);
/* Name written as "sensor_id" in every event ("" = omit). Copied. */
void eve_set_sensor_id(struct eve_out *e, const char *id);
int eve_add_listener(struct eve_out *e, eve_listener_fn fn, void *ctx) BW_WUR;

/* Begins an event. With a flow, the tuple is written from the client's point of
 * view (src = client) unless `reverse` is set. Returns the writer for the
 * event's own fields; finish with eve_end. */
struct bw_json *eve_begin(struct eve_out *e, const char *event_type, int64_t ts_us,
                          const struct flow *f, int reverse);
/* Same for events without a flow but with a tuple (log access events, alerts). */
struct bw_json *eve_begin_tuple(struct eve_out *e, const char *event_type, int64_t ts_us,
                                const struct bw_addr *src, uint16_t sport,
                                const struct bw_addr *dst, uint16_t dport, const char *proto);
/* Ends the current event: hands the line to the listeners, queues it for the
 * output and releases the lock. Lines for a file are written in blocks of
 * 64 KiB, at eve_flush and at eve_close (a terminal gets each line at once;
 * stdout goes through stdio as before). */
void eve_end(struct eve_out *e);
/* Writes every queued line out. */
void eve_flush(struct eve_out *e);
/* The text of an address through the writer's one-entry cache (an access
 * event writes its actor twice). Only between eve_begin* and eve_end; the
 * string is the writer's, valid until the next call; *len gets its length. */
const char *eve_addr_str(struct eve_out *e, const struct bw_addr *a, size_t *len);

/* Lines written, and lines lost to write errors (disk full), for stats. */
uint64_t eve_lines(const struct eve_out *e);
uint64_t eve_write_errors(const struct eve_out *e);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP" or the number, as Suricata names them. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

#endif

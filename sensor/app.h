/* Application-layer parser interface. A parser is one app-*.c file plus one
 * line in the table of app.c. Parsers are incremental: they are handed the
 * in-order bytes of one direction, say how many they consumed, and are handed
 * the rest again with more data (the stream keeps at most APP_MAX_PENDING
 * unconsumed bytes, so a parser must skip large bodies by counting, never by
 * asking for them whole). Result sets are counted, never buffered. */
#ifndef BW_APP_H
#define BW_APP_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/access.h"
#include "sensor/flow.h"

#define APP_MAX_PENDING 65536

enum app_result {
    APP_OK = 0,     /* consumed what it could; call again when more data arrives */
    APP_DONE = 1,   /* nothing more to parse on this flow (encrypted, or protocol finished) */
    APP_ERROR = -1, /* unrecoverable framing error: parsing stops for this flow, counted */
};

enum app_probe { APP_PROBE_NO = 0, APP_PROBE_YES = 1, APP_PROBE_MORE = 2 };

/* Flow-level flags a parser may set (flow->app_flags). */
#define APP_FLOW_ENCRYPTED 0x01u /* TLS or an SSL/GSSENC upgrade was accepted */
#define APP_FLOW_STOPPED   0x02u /* parser returned DONE or ERROR */
#define APP_FLOW_GAP       0x04u /* a gap was reported */

struct eve_out;     /* sensor/output-eve.h */
struct pii_scanner; /* sensor/pii.h */
struct inventory;   /* sensor/inventory.h */
struct pii_scratch; /* sensor/pii.h */
struct pii_pool;    /* sensor/pii-tap.h */
struct dns_payload; /* sensor/dns-payload.h */

struct app_stats {
    uint64_t detected, errors, gaps, resyncs, events;
    uint64_t pii_skipped_bytes; /* body bytes not given to the PII scanner (binary) */
};

/* Everything a parser may use while handling one chunk; borrowed. */
struct app_ctx {
    struct flow *flow;
    int64_t ts_us;                     /* time of the packet that delivered the data */
    struct eve_out *eve;               /* protocol events; may be NULL */
    const struct access_sink *access;  /* access events; may be NULL */
    const struct pii_scanner *pii;     /* content scanner; may be NULL */
    struct pii_scratch *pii_scratch;   /* this worker thread's scanner scratch; NULL = the
                                          scanner's own (single-threaded use only) */
    struct pii_pool *pii_pool;         /* this worker's distinct estimators; may be NULL */
    const struct inventory *inventory; /* data inventory; may be NULL */
    struct dns_payload *dns_payload;   /* this worker's DNS payload streams; may be NULL */
    struct app_stats *stats;           /* this protocol's counters */
};

struct app_proto {
    const char *name; /* EVE event type and app_proto: "pgsql", "http", ... */
    uint8_t ipproto;  /* IPPROTO_TCP or IPPROTO_UDP */
    /* Looks at the first bytes seen in direction `dir` (FLOW_TOSERVER/TOCLIENT).
     * Detection is by content on any port. */
    enum app_probe (*probe)(const uint8_t *data, size_t len, int dir);
    /* Per-flow state, allocated once when the protocol is detected (not per packet). */
    void *(*new_state)(struct app_ctx *ctx);
    /* Flushes any open transaction (writing its events) and frees. Accepts NULL state. */
    void (*free_state)(void *state, struct app_ctx *ctx);
    /* Parses in-order bytes of one direction. *consumed <= len. */
    enum app_result (*parse)(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                             size_t len, size_t *consumed);
    /* `len` bytes are missing in direction `dir`; the parser resynchronises or
     * returns APP_ERROR. May be NULL (then a gap stops the parser). */
    enum app_result (*gap)(void *state, struct app_ctx *ctx, int dir, uint64_t len);
};

/* The registry (app.c): NULL-terminated. */
extern const struct app_proto *const app_protos[];

/* Protocol detection over the first bytes of a direction, in table order.
 * Returns the protocol, NULL when none matches yet; *need_more is set when some
 * parser asked for more bytes before deciding. */
const struct app_proto *app_detect(uint8_t ipproto, const uint8_t *data, size_t len, int dir,
                                   int *need_more);
const struct app_proto *app_by_name(const char *name);
/* Index of a protocol in app_protos (for per-protocol stats arrays). */
int app_index(const struct app_proto *p);

#endif

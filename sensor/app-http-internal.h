/* What the parts of the HTTP/1.x parser share and nothing else sees: limits,
 * anomaly flags, the per-direction framing states, the transaction ring, and
 * the calls between message parsing, bodies, records, transactions and
 * events. Include only from sensor/app-http*.c. */
#ifndef BW_APP_HTTP_INTERNAL_H
#define BW_APP_HTTP_INTERNAL_H

#include "sensor/app-http.h"

#include <ctype.h>
#include <string.h>

#include "common/cursor.h"
#include "sensor/access.h"
#include "sensor/body-sniff.h"
#include "sensor/pii-tap.h"

#define HTTP_URL_MAX         1024
#define HTTP_HOST_MAX        256
#define HTTP_UA_MAX          256
#define HTTP_CT_MAX          128
#define HTTP_RESYNC_MAX      (64 * 1024) /* garbage bytes tolerated while resynchronising */
#define HTTP_EMPTY_LINES_MAX 16          /* stray CRLFs tolerated between messages */

/* Anomaly flags of a transaction, written as "anomalies" in the event. */
enum {
    HTTP_F_TE_CL = 1u << 0,     /* Transfer-Encoding and Content-Length both present */
    HTTP_F_LINE_LONG = 1u << 1, /* a line exceeded HTTP_LINE_MAX (its rest was skipped) */
    HTTP_F_HDR_LONG = 1u << 2,  /* a header block exceeded HTTP_HDR_BLOCK_MAX */
    HTTP_F_BAD_CL = 1u << 3,    /* Content-Length not a number, or conflicting */
    HTTP_F_BAD_CHUNK = 1u << 4, /* malformed chunk size or chunk end */
    HTTP_F_GAP_REQ = 1u << 5,   /* bytes missing in the request */
    HTTP_F_GAP_RESP = 1u << 6,  /* bytes missing in the response */
    HTTP_F_NO_RESP = 1u << 7,   /* flow ended before the response was complete */
    HTTP_F_NO_REQ = 1u << 8,    /* response without a request seen */
    HTTP_F_REQ_INCOMPLETE = 1u << 9,
    HTTP_F_OBS_FOLD = 1u << 10,   /* obsolete line folding */
    HTTP_F_TE_UNKNOWN = 1u << 11, /* Transfer-Encoding without a final "chunked" */
};

enum http_st {
    HS_START,      /* expecting a start line */
    HS_HEADERS,    /* header lines until the empty line */
    HS_BODY_CL,    /* `left` bytes of body */
    HS_CHUNK_SIZE, /* chunk-size line */
    HS_CHUNK_DATA, /* `left` bytes of chunk data */
    HS_CHUNK_CRLF, /* the CRLF after chunk data */
    HS_TRAILERS,   /* trailer lines until the empty line */
    HS_BODY_CLOSE, /* response body until the connection closes */
    HS_TUNNEL,     /* CONNECT / 101: bytes are counted, not parsed */
    HS_RESYNC,     /* looking for the next start line after garbage or a gap */
};

struct http_tx {
    uint8_t used, req_seen, req_done, resp_seen, resp_done, tunnel;
    uint64_t id;
    int64_t ts_us;
    char method[16];
    char proto[12];
    char url[HTTP_URL_MAX];
    char host[HTTP_HOST_MAX];
    char ua[HTTP_UA_MAX];
    char resp_ct[HTTP_CT_MAX];
    int status;
    uint64_t req_body, resp_body, tunnel_bytes[2];
    uint32_t flags;
    struct http_json_count json;
    struct pii_counts pii[2]; /* per direction; estimators from the worker's pool */
    uint8_t pii_used[2];
};

struct http_dir {
    enum http_st st;
    uint64_t left;      /* body or chunk bytes still expected */
    uint64_t cl;        /* Content-Length of the current message */
    uint32_t hdr_bytes; /* bytes of the current header block */
    uint32_t empty_lines;
    uint64_t resync_bytes;
    uint8_t skip_line; /* inside an overlong line: drop bytes up to its LF */
    uint8_t chunked, has_cl, te_seen;
    int tx;             /* slot of the transaction being parsed, -1 none */
    struct pii_tap pii; /* body of the message being parsed */
    /* What the scanner reads of the body (sensor/body-sniff.h): the kind from
     * the headers; for BODY_SNIFF the body offset, the head of the current
     * block held until it decides, and whether the last block was skipped. */
    uint8_t body_kind;
    uint8_t blk_skip, head_len;
    uint64_t body_off;
    uint8_t head[BODY_SNIFF_HEAD];
};

/* Ring of outstanding transactions in slots [0, HTTP_TX_MAX); the extra slot
 * at HTTP_TX_MAX is scratch for requests beyond the pipelining depth (parsed,
 * counted, not reported). */
struct http_state {
    struct http_tx tx[HTTP_TX_MAX + 1];
    unsigned head, n;
    uint64_t next_id;
    struct http_dir d[2];
};

/* ---- small string helpers ---- */

static inline int ci_prefix(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n < l)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (tolower(p[i]) != lit[i])
            return 0;
    return 1;
}

static inline int ci_eq(const uint8_t *p, size_t n, const char *lit)
{
    return n == strlen(lit) && ci_prefix(p, n, lit);
}

/* Case-insensitive substring search of a lower-case literal. */
static inline int ci_contains(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t i = 0; i + l <= n; i++)
        if (ci_prefix(p + i, n - i, lit))
            return 1;
    return 0;
}

static inline void copy_capped(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline void trim(const uint8_t **p, size_t *n)
{
    while (*n > 0 && ((*p)[0] == ' ' || (*p)[0] == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
        (*n)--;
}

static inline struct http_tx *http_tx_at(struct http_state *s, int slot)
{
    return slot < 0 ? NULL : &s->tx[slot];
}

/* ---- messages: lines, start lines, headers (app-http-message.c) ---- */

enum http_line_res { LINE_MORE, LINE_SKIPPED, LINE_OK };

/* Takes the next line (without CR LF) from the cursor. A line longer than
 * HTTP_LINE_MAX is returned truncated (*trunc set) and its rest skipped. */
enum http_line_res http_get_line(struct http_dir *d, struct bw_cursor *c, const uint8_t **line,
                                 size_t *n, int *trunc);
/* A start line in direction `dir`: a request opens a transaction, a status
 * line finds its request. Returns 1 when accepted. */
int http_start_line(struct http_state *s, struct app_ctx *ctx, int dir, const uint8_t *p, size_t n,
                    int trunc);
/* One header line of direction `dir`: framing (Content-Length,
 * Transfer-Encoding), body kind, and the fields the event reports. */
void http_header_line(struct http_state *s, int dir, const uint8_t *p, size_t n);
/* Decides what follows the header block of direction `dir`. */
void http_headers_done(struct http_state *s, struct app_ctx *ctx, int dir);
/* The message of direction `dir` is complete (or abandoned). */
void http_msg_end(struct http_state *s, struct app_ctx *ctx, int dir);

/* ---- bodies: framing, chunked coding, content scan (app-http-body.c) ---- */

/* Starts the PII scan of the body of direction `dir`. */
void http_body_begin(struct http_state *s, struct app_ctx *ctx, int dir);
/* One step in a body state (Content-Length, chunked, until close): as the
 * parser's step, 1 on progress, 0 when more data is needed, -1 to stop. */
int http_body_step(struct http_state *s, struct app_ctx *ctx, int dir, struct bw_cursor *c);
/* Ends the body scan of a direction (a head still held is scanned). */
void http_body_finish(struct http_dir *d, struct app_ctx *ctx);

/* ---- records per response (app-http-records.c) ---- */

/* Records the transaction moved in direction pd (send: the client sent the
 * data) and where that number comes from; ACCESS_REC_NONE when unknown. */
enum access_records_src http_tx_records(struct app_ctx *ctx, struct http_tx *tx, int send, int pd,
                                        uint64_t *records);

/* ---- transactions (app-http-tx.c) ---- */

/* A new transaction at the ring tail (the scratch slot when full); its slot. */
int http_tx_new(struct http_state *s, struct app_ctx *ctx);
/* Writes and releases completed transactions at the head of the ring. */
void http_tx_retire(struct http_state *s, struct app_ctx *ctx);
/* The transaction a new response belongs to: the oldest without a response. */
int http_tx_for_response(struct http_state *s, struct app_ctx *ctx);

/* ---- events (app-http-event.c) ---- */

/* Writes the `http` EVE event and the access event of one transaction and
 * gives its PII estimators back to the pool. */
void http_event_emit(struct http_state *s, struct app_ctx *ctx, struct http_tx *tx);

#endif

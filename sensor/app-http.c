/* HTTP/1.x parser: start lines and headers line by line (capped), bodies by
 * Content-Length, chunked coding or until close, counted and never kept;
 * requests paired with responses in a small ring (pipelining); CONNECT and
 * 101 switch both directions to byte counting. Each transaction becomes one
 * `http` EVE event and one access event. */
#include "sensor/app-http.h"
#include "sensor/uri-fold.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/json.h"
#include "sensor/body-sniff.h"
#include "sensor/inventory.h"
#include "sensor/output-eve.h"
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

static const char *const http_anomaly_names[] = {
    "request_te_and_cl",      "line_too_long",         "header_block_too_long",
    "invalid_content_length", "invalid_chunk",         "request_gap",
    "response_gap",           "response_incomplete",   "response_no_request",
    "request_incomplete",     "obsolete_line_folding", "transfer_encoding_not_chunked",
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

static int ci_prefix(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n < l)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (tolower(p[i]) != lit[i])
            return 0;
    return 1;
}

static int ci_eq(const uint8_t *p, size_t n, const char *lit)
{
    return n == strlen(lit) && ci_prefix(p, n, lit);
}

/* Case-insensitive substring search of a lower-case literal. */
static int ci_contains(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t i = 0; i + l <= n; i++)
        if (ci_prefix(p + i, n - i, lit))
            return 1;
    return 0;
}

static void copy_capped(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void trim(const uint8_t **p, size_t *n)
{
    while (*n > 0 && ((*p)[0] == ' ' || (*p)[0] == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
        (*n)--;
}

/* ---- JSON record counter ---- */

void http_json_count_init(struct http_json_count *jc)
{
    memset(jc, 0, sizeof(*jc));
}

void http_json_count_feed(struct http_json_count *jc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && !jc->broken; i++) {
        uint8_t c = p[i];
        if (jc->in_str) {
            if (jc->esc)
                jc->esc = 0;
            else if (c == '\\')
                jc->esc = 1;
            else if (c == '"')
                jc->in_str = 0;
            continue;
        }
        switch (c) {
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            break;
        case '"':
            if (!jc->started)
                jc->broken = 1;
            jc->in_str = 1;
            break;
        case '[':
        case '{':
            if (!jc->started) {
                jc->started = 1;
                jc->top = c;
                if (c == '[')
                    jc->target = 1;
            } else if (jc->target != 0 && jc->depth == jc->target) {
                jc->count++;
            } else if (jc->top == '{' && jc->target == 0 && !jc->target_done && jc->depth == 1 &&
                       c == '[') {
                jc->target = 2;
            }
            if (jc->depth == UINT16_MAX)
                jc->broken = 1;
            else
                jc->depth++;
            break;
        case ']':
        case '}':
            if (jc->depth == 0) {
                jc->broken = 1;
                break;
            }
            jc->depth--;
            if (jc->target != 0 && jc->depth < jc->target) {
                jc->target = 0;
                jc->target_done = 1;
            }
            break;
        default:
            if (!jc->started || jc->depth == 0)
                jc->broken = 1; /* not JSON, or text after the top-level value */
            break;
        }
    }
}

int http_json_count_result(const struct http_json_count *jc, uint64_t *records)
{
    if (!jc->started || jc->broken)
        return 0;
    if (jc->top == '{' && jc->target == 0 && !jc->target_done)
        return 0; /* an object without an array member: not array-ish */
    *records = jc->count;
    return 1;
}

/* ---- transactions ---- */

static struct http_tx *tx_at(struct http_state *s, int slot)
{
    return slot < 0 ? NULL : &s->tx[slot];
}

/* A new transaction at the ring tail (the scratch slot when full). */
static int tx_new(struct http_state *s, struct app_ctx *ctx)
{
    int slot;
    if (s->n == HTTP_TX_MAX) {
        slot = HTTP_TX_MAX;
        if (ctx->stats)
            ctx->stats->errors++;
    } else {
        slot = (int)((s->head + s->n) % HTTP_TX_MAX);
        s->n++;
    }
    struct http_tx *tx = &s->tx[slot];
    pii_counts_release(ctx->pii_pool, &tx->pii[0]); /* a scratch slot is never emitted */
    pii_counts_release(ctx->pii_pool, &tx->pii[1]);
    memset(tx, 0, sizeof(*tx));
    tx->used = 1;
    tx->id = s->next_id++;
    tx->ts_us = ctx->ts_us;
    http_json_count_init(&tx->json);
    return slot;
}

static void emit_tx(struct http_state *s, struct app_ctx *ctx, struct http_tx *tx)
{
    const struct flow *f = ctx->flow;
    char host[HTTP_HOST_MAX];
    const char *h = tx->host;
    /* absolute-form request target names the host when Host is absent */
    if (h[0] == '\0' &&
        (strncasecmp(tx->url, "http://", 7) == 0 || strncasecmp(tx->url, "https://", 8) == 0))
        h = strstr(tx->url, "//") + 2;
    size_t hl = 0;
    if (h[0] == '[') {
        const char *e = strchr(h, ']');
        hl = e ? (size_t)(e - h) + 1 : strlen(h);
    } else {
        hl = strcspn(h, ":/");
    }
    copy_capped(host, sizeof(host), (const uint8_t *)h, hl);
    uint64_t records = 0;
    int rows = http_json_count_result(&tx->json, &records);
    int upload =
        tx->req_body > 0 && (strcmp(tx->method, "POST") == 0 || strcmp(tx->method, "PUT") == 0);
    int send = upload || (tx->tunnel && tx->tunnel_bytes[0] > tx->tunnel_bytes[1]);
    int pd = send ? FLOW_TOSERVER : FLOW_TOCLIENT; /* the direction the data moved */
    /* Records: counted in a JSON body, else what the data inventory says of
     * the endpoint (records per response, or bytes / record size). */
    enum access_records_src rsrc = ACCESS_REC_NONE;
    if (!send && !tx->tunnel) {
        if (rows)
            rsrc = ACCESS_REC_ROWS;
        else if (ctx->inventory != NULL)
            rsrc = inventory_http_records(ctx->inventory, tx->url, tx->status, tx->resp_body,
                                          &records);
    }
    /* Nothing else known (uploads, bodies outside the inventory): the people
     * whose personal data the content carried. */
    if (rsrc == ACCESS_REC_NONE && !tx->tunnel && tx->pii_used[pd] &&
        (records = pii_counts_records(&tx->pii[pd])) > 0)
        rsrc = ACCESS_REC_PII;

    if (ctx->stats)
        ctx->stats->events++;
    if (ctx->eve != NULL) {
        struct bw_json *j = eve_begin(ctx->eve, "http", tx->ts_us, f, 0);
        bw_json_uint(j, "tx_id", tx->id);
        bw_json_obj_begin(j, "http");
        if (host[0])
            bw_json_str(j, "hostname", host);
        if (tx->url[0])
            bw_json_str(j, "url", tx->url);
        if (tx->ua[0])
            bw_json_str(j, "http_user_agent", tx->ua);
        if (tx->resp_ct[0])
            bw_json_str(j, "http_content_type", tx->resp_ct);
        if (tx->method[0])
            bw_json_str(j, "http_method", tx->method);
        if (tx->proto[0])
            bw_json_str(j, "protocol", tx->proto);
        if (tx->status > 0)
            bw_json_int(j, "status", tx->status);
        bw_json_uint(j, "length", tx->resp_body);
        bw_json_uint(j, "request_body_len", tx->req_body);
        bw_json_uint(j, "response_body_len", tx->resp_body);
        if (rsrc != ACCESS_REC_NONE) {
            bw_json_uint(j, "records", records);
            bw_json_str(j, "records_source", access_records_src_name(rsrc));
        }
        if (tx->tunnel) {
            bw_json_uint(j, "tunnel_bytes_toserver", tx->tunnel_bytes[0]);
            bw_json_uint(j, "tunnel_bytes_toclient", tx->tunnel_bytes[1]);
        }
        if (tx->flags != 0) {
            bw_json_arr_begin(j, "anomalies");
            for (unsigned i = 0; i < sizeof(http_anomaly_names) / sizeof(http_anomaly_names[0]);
                 i++)
                if (tx->flags & (1u << i))
                    bw_json_str(j, NULL, http_anomaly_names[i]);
            bw_json_arr_end(j);
        }
        if (tx->pii_used[pd])
            pii_counts_json(j, "pii", &tx->pii[pd]);
        bw_json_obj_end(j);
        eve_end(ctx->eve);
    }
    if (ctx->access != NULL && f != NULL) {
        struct bw_access ev;
        access_init(&ev);
        ev.ts_us = tx->ts_us;
        ev.channel = ACCESS_CH_HTTP;
        ev.actor_ip = f->cli;
        ev.actor_port = f->cport;
        ev.dest_ip = f->srv;
        ev.dest_port = f->sport;
        uri_fold(tx->url, strlen(tx->url), ev.dataset, sizeof(ev.dataset));
        copy_capped(ev.detail, sizeof(ev.detail), (const uint8_t *)tx->url, strlen(tx->url));
        ev.status = tx->status;
        if (upload) {
            ev.direction = ACCESS_SEND;
            ev.bytes = tx->req_body;
        } else if (tx->tunnel && tx->tunnel_bytes[0] > tx->tunnel_bytes[1]) {
            ev.direction = ACCESS_SEND;
            ev.bytes = tx->tunnel_bytes[0];
        } else {
            ev.direction = ACCESS_READ;
            ev.bytes = tx->tunnel ? tx->tunnel_bytes[1] : tx->resp_body;
        }
        if (rsrc != ACCESS_REC_NONE) {
            ev.records = records;
            ev.records_src = rsrc;
        }
        if (tx->pii_used[pd])
            ev.pii = &tx->pii[pd];
        ev.flow = f;
        ev.flow_id = f->flow_id;
        access_emit(ctx->access, &ev);
    }
    for (int d = 0; d < 2; d++) {
        pii_counts_release(ctx->pii_pool, &tx->pii[d]);
        tx->pii_used[d] = 0;
    }
    (void)s;
}

/* Writes and releases completed transactions at the head of the ring. A
 * tunnel stays until the flow ends so its byte counts are complete. */
static void tx_retire(struct http_state *s, struct app_ctx *ctx)
{
    while (s->n > 0) {
        struct http_tx *tx = &s->tx[s->head];
        if (!(tx->req_done && tx->resp_done) || tx->tunnel)
            break;
        emit_tx(s, ctx, tx);
        tx->used = 0;
        s->head = (s->head + 1) % HTTP_TX_MAX;
        s->n--;
    }
}

/* The transaction a new response belongs to: the oldest without a response. */
static int tx_for_response(struct http_state *s, struct app_ctx *ctx)
{
    for (unsigned k = 0; k < s->n; k++) {
        unsigned slot = (s->head + k) % HTTP_TX_MAX;
        if (!s->tx[slot].resp_done && !s->tx[slot].resp_seen)
            return (int)slot;
    }
    int slot = tx_new(s, ctx);
    s->tx[slot].req_seen = 1;
    s->tx[slot].req_done = 1;
    s->tx[slot].flags |= HTTP_F_NO_REQ;
    return slot;
}

/* ---- body plumbing ---- */

static void body_begin(struct http_state *s, struct app_ctx *ctx, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    if (ctx->pii != NULL && tx != NULL && !d->pii.on) {
        pii_counts_release(ctx->pii_pool, &tx->pii[dir]);
        pii_counts_init(&tx->pii[dir]);
        tx->pii_used[dir] = 1;
        pii_tap_begin(&d->pii, ctx->pii, ctx->pii_scratch, ctx->pii_pool, &tx->pii[dir]);
    }
}

/* Bytes of a sniffed block go to the scanner or are counted as skipped. */
static void body_scan(struct http_dir *d, struct app_ctx *ctx, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (d->blk_skip) {
        if (ctx->stats)
            ctx->stats->pii_skipped_bytes += n;
        return;
    }
    pii_tap_feed(&d->pii, p, n);
}

/* The head of a block is complete (or the body ended inside it): decides the
 * block and hands the head on. A short final head is scanned. */
static void body_head_done(struct http_dir *d, struct app_ctx *ctx, int full)
{
    int skip = full && body_looks_binary(d->head, d->head_len);
    if (!skip && d->blk_skip)
        pii_tap_gap(&d->pii); /* scanned bytes resume after a hole */
    d->blk_skip = (uint8_t)skip;
    body_scan(d, ctx, d->head, d->head_len);
    d->head_len = 0;
}

/* Feeds body bytes to the PII scanner as the body's kind says: text in full,
 * compressed encodings not at all, anything else per BODY_BLOCK by a sniff of
 * the block's first BODY_SNIFF_HEAD bytes (held here until they are all in). */
static void body_pii(struct http_dir *d, struct app_ctx *ctx, const uint8_t *p, size_t n)
{
    if (d->body_kind == BODY_TEXT) {
        pii_tap_feed(&d->pii, p, n);
        return;
    }
    if (d->body_kind == BODY_BINARY) {
        if (ctx->stats)
            ctx->stats->pii_skipped_bytes += n;
        return;
    }
    while (n > 0) {
        size_t in_blk = (size_t)(d->body_off % BODY_BLOCK), k;
        if (in_blk == 0 && n >= BODY_SNIFF_HEAD) {
            /* The whole head is here: decided in place, nothing copied. */
            int skip = body_looks_binary(p, BODY_SNIFF_HEAD);
            if (!skip && d->blk_skip)
                pii_tap_gap(&d->pii);
            d->blk_skip = (uint8_t)skip;
            k = BODY_BLOCK < n ? BODY_BLOCK : n;
            body_scan(d, ctx, p, k);
        } else if (in_blk < BODY_SNIFF_HEAD) {
            k = BODY_SNIFF_HEAD - in_blk < n ? BODY_SNIFF_HEAD - in_blk : n;
            memcpy(d->head + d->head_len, p, k);
            d->head_len = (uint8_t)(d->head_len + k);
            if (d->head_len == BODY_SNIFF_HEAD)
                body_head_done(d, ctx, 1);
        } else {
            k = BODY_BLOCK - in_blk < n ? BODY_BLOCK - in_blk : n;
            body_scan(d, ctx, p, k);
        }
        d->body_off += k;
        p += k;
        n -= k;
    }
}

static void body_data(struct http_state *s, struct app_ctx *ctx, int dir, const uint8_t *p,
                      size_t n)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    if (tx == NULL || n == 0)
        return;
    if (dir == FLOW_TOSERVER) {
        tx->req_body += n;
    } else {
        tx->resp_body += n;
        http_json_count_feed(&tx->json, p, n);
    }
    if (d->pii.on)
        body_pii(d, ctx, p, n);
}

/* The message of direction `dir` is complete (or abandoned). */
static void msg_end(struct http_state *s, struct app_ctx *ctx, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    if (d->head_len > 0 && d->pii.on)
        body_head_done(d, ctx, 0);
    d->head_len = 0;
    pii_tap_end(&d->pii);
    if (tx != NULL) {
        if (dir == FLOW_TOSERVER)
            tx->req_done = 1;
        else
            tx->resp_done = 1;
    }
    d->tx = -1;
    d->st = HS_START;
    d->empty_lines = 0;
    if (tx == &s->tx[HTTP_TX_MAX] && tx->req_done && tx->resp_done)
        tx->used = 0;
    tx_retire(s, ctx);
}

/* ---- line reading ---- */

enum line_res { LINE_MORE, LINE_SKIPPED, LINE_OK };

/* Takes the next line (without CR LF) from the cursor. A line longer than
 * HTTP_LINE_MAX is returned truncated (*trunc set) and its rest skipped. */
static enum line_res get_line(struct http_dir *d, struct bw_cursor *c, const uint8_t **line,
                              size_t *n, int *trunc)
{
    size_t left = bw_cur_left(c);
    const uint8_t *p = bw_cur_ptr(c);
    *trunc = 0;
    if (d->skip_line) {
        const uint8_t *lf = memchr(p, '\n', left);
        size_t k = lf ? (size_t)(lf - p) + 1 : left;
        (void)bw_cur_skip(c, k);
        if (lf)
            d->skip_line = 0;
        return LINE_SKIPPED;
    }
    size_t look = left < HTTP_LINE_MAX ? left : HTTP_LINE_MAX;
    const uint8_t *lf = memchr(p, '\n', look);
    if (lf == NULL) {
        if (left < HTTP_LINE_MAX)
            return LINE_MORE;
        *line = p;
        *n = HTTP_LINE_MAX;
        *trunc = 1;
        d->skip_line = 1;
        (void)bw_cur_skip(c, HTTP_LINE_MAX);
        return LINE_OK;
    }
    size_t k = (size_t)(lf - p);
    *line = p;
    *n = k > 0 && p[k - 1] == '\r' ? k - 1 : k;
    (void)bw_cur_skip(c, k + 1);
    return LINE_OK;
}

/* ---- start lines ---- */

static int parse_version(const uint8_t *p, size_t n)
{
    return n == 8 && memcmp(p, "HTTP/", 5) == 0 && isdigit(p[5]) && p[6] == '.' && isdigit(p[7]);
}

/* "METHOD SP target SP HTTP/x.y". Returns 1 when it is one. */
static int parse_request_line(const uint8_t *p, size_t n, int trunc, struct http_tx *tx)
{
    size_t m = 0;
    while (m < n && m < 15 && ((p[m] >= 'A' && p[m] <= 'Z') || p[m] == '-' || p[m] == '_'))
        m++;
    if (m == 0 || m >= n || p[m] != ' ')
        return 0;
    const uint8_t *u = p + m + 1;
    size_t ul = n - m - 1;
    const uint8_t *ver = NULL;
    if (!trunc) {
        const uint8_t *sp = NULL;
        for (size_t i = ul; i > 0; i--)
            if (u[i - 1] == ' ') {
                sp = u + i - 1;
                break;
            }
        if (sp == NULL || !parse_version(sp + 1, (size_t)(u + ul - sp - 1)))
            return 0;
        ver = sp + 1;
        ul = (size_t)(sp - u);
    }
    while (ul > 0 && u[ul - 1] == ' ')
        ul--;
    if (ul == 0)
        return 0;
    copy_capped(tx->method, sizeof(tx->method), p, m);
    copy_capped(tx->url, sizeof(tx->url), u, ul);
    if (ul >= sizeof(tx->url) || trunc)
        tx->flags |= trunc ? HTTP_F_LINE_LONG : 0;
    if (ver != NULL)
        copy_capped(tx->proto, sizeof(tx->proto), ver, 8);
    return 1;
}

/* "HTTP/x.y SP 3DIGIT [SP reason]". Returns the status or -1. */
static int parse_status_line(const uint8_t *p, size_t n, char proto[12])
{
    if (n < 12 || !parse_version(p, 8) || p[8] != ' ' || !isdigit(p[9]) || !isdigit(p[10]) ||
        !isdigit(p[11]) || (n > 12 && p[12] != ' ' && p[12] != '\t'))
        return -1;
    if (proto != NULL)
        copy_capped(proto, 12, p, 8);
    return (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
}

/* ---- headers ---- */

static void header_line(struct http_state *s, int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    if (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
        if (tx)
            tx->flags |= HTTP_F_OBS_FOLD;
        return;
    }
    const uint8_t *colon = memchr(p, ':', n);
    if (colon == NULL)
        return;
    const uint8_t *name = p;
    size_t nl = (size_t)(colon - p);
    const uint8_t *v = colon + 1;
    size_t vl = n - nl - 1;
    trim(&name, &nl);
    trim(&v, &vl);
    if (ci_eq(name, nl, "content-length")) {
        uint64_t cl = 0;
        int ok = vl > 0 && vl <= 19;
        for (size_t i = 0; ok && i < vl; i++) {
            if (!isdigit(v[i]))
                ok = 0;
            else
                cl = cl * 10 + (uint64_t)(v[i] - '0');
        }
        if (!ok || (d->has_cl && d->cl != cl)) {
            if (tx)
                tx->flags |= HTTP_F_BAD_CL;
            if (!ok)
                return;
        }
        d->has_cl = 1;
        d->cl = cl;
    } else if (ci_eq(name, nl, "content-encoding")) {
        if (body_encoding_compressed(v, vl))
            d->body_kind = BODY_BINARY;
    } else if (ci_eq(name, nl, "transfer-encoding")) {
        d->te_seen = 1;
        if (ci_contains(v, vl, "chunked"))
            d->chunked = 1;
        else if (tx)
            tx->flags |= HTTP_F_TE_UNKNOWN;
    } else if (tx == NULL) {
        return;
    } else if (dir == FLOW_TOSERVER && ci_eq(name, nl, "host")) {
        if (tx->host[0] == '\0')
            copy_capped(tx->host, sizeof(tx->host), v, vl);
    } else if (dir == FLOW_TOSERVER && ci_eq(name, nl, "user-agent")) {
        copy_capped(tx->ua, sizeof(tx->ua), v, vl);
    } else if (ci_eq(name, nl, "content-type")) {
        if (d->body_kind != BODY_BINARY)
            d->body_kind = (uint8_t)body_kind_of_type(v, vl);
        if (dir == FLOW_TOCLIENT)
            copy_capped(tx->resp_ct, sizeof(tx->resp_ct), v, vl);
    }
}

/* Decides what follows the header block of direction `dir`. */
static void headers_done(struct http_state *s, struct app_ctx *ctx, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    if (tx != NULL && d->chunked && d->has_cl)
        tx->flags |= dir == FLOW_TOSERVER ? HTTP_F_TE_CL : 0;
    if (dir == FLOW_TOSERVER) {
        if (tx != NULL && strcmp(tx->method, "CONNECT") == 0) {
            tx->req_done = 1;
            d->st = HS_TUNNEL; /* undone if the proxy refuses */
            return;
        }
        if (d->chunked) {
            d->st = HS_CHUNK_SIZE;
            body_begin(s, ctx, dir);
        } else if (d->has_cl && d->cl > 0) {
            d->st = HS_BODY_CL;
            d->left = d->cl;
            body_begin(s, ctx, dir);
        } else {
            msg_end(s, ctx, dir);
        }
        return;
    }
    int status = tx ? tx->status : 0;
    int connect = tx != NULL && strcmp(tx->method, "CONNECT") == 0;
    if (status >= 100 && status < 200 && status != 101) {
        d->st = HS_START; /* interim: the final response follows for the same request */
        d->empty_lines = 0;
        return;
    }
    if (status == 101 || (connect && status >= 200 && status < 300)) {
        tx->tunnel = 1;
        tx->resp_done = 1;
        d->st = HS_TUNNEL;
        s->d[FLOW_TOSERVER].st = HS_TUNNEL;
        return;
    }
    if (connect && s->d[FLOW_TOSERVER].st == HS_TUNNEL) {
        s->d[FLOW_TOSERVER].st = HS_START;
        s->d[FLOW_TOSERVER].tx = -1;
    }
    int head = tx != NULL && strcmp(tx->method, "HEAD") == 0;
    if (head || status == 204 || status == 304) {
        msg_end(s, ctx, dir);
    } else if (d->chunked) {
        d->st = HS_CHUNK_SIZE;
        body_begin(s, ctx, dir);
    } else if (d->has_cl) {
        if (d->cl == 0) {
            msg_end(s, ctx, dir);
        } else {
            d->st = HS_BODY_CL;
            d->left = d->cl;
            body_begin(s, ctx, dir);
        }
    } else {
        d->st = HS_BODY_CLOSE;
        body_begin(s, ctx, dir);
    }
}

/* Resets the per-message framing state for a new start line. */
static void msg_begin(struct http_dir *d)
{
    d->hdr_bytes = 0;
    d->has_cl = 0;
    d->chunked = 0;
    d->te_seen = 0;
    d->cl = 0;
    d->left = 0;
    d->resync_bytes = 0;
    d->body_kind = BODY_SNIFF;
    d->blk_skip = 0;
    d->head_len = 0;
    d->body_off = 0;
    d->st = HS_HEADERS;
}

/* A start line in direction `dir`. Returns 1 when accepted. */
static int start_line(struct http_state *s, struct app_ctx *ctx, int dir, const uint8_t *p,
                      size_t n, int trunc)
{
    struct http_dir *d = &s->d[dir];
    if (dir == FLOW_TOSERVER) {
        struct http_tx probe_tx;
        memset(&probe_tx, 0, sizeof(probe_tx));
        if (!parse_request_line(p, n, trunc, &probe_tx))
            return 0;
        int slot = tx_new(s, ctx);
        struct http_tx *tx = &s->tx[slot];
        memcpy(tx->method, probe_tx.method, sizeof(tx->method));
        memcpy(tx->url, probe_tx.url, sizeof(tx->url));
        memcpy(tx->proto, probe_tx.proto, sizeof(tx->proto));
        tx->flags |= probe_tx.flags;
        tx->req_seen = 1;
        d->tx = slot;
    } else {
        char proto[12];
        int status = parse_status_line(p, n, proto);
        if (status < 0)
            return 0;
        if (d->tx < 0)
            d->tx = tx_for_response(s, ctx);
        struct http_tx *tx = &s->tx[d->tx];
        tx->status = status;
        if (tx->proto[0] == '\0')
            memcpy(tx->proto, proto, sizeof(proto));
        if (status < 100 || status >= 200 || status == 101)
            tx->resp_seen = 1;
        if (trunc)
            tx->flags |= HTTP_F_LINE_LONG;
    }
    msg_begin(d);
    return 1;
}

/* ---- the state machine ---- */

/* One step. Returns 1 on progress, 0 when more data is needed, -1 to stop. */
static int step(struct http_state *s, struct app_ctx *ctx, int dir, struct bw_cursor *c)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    const uint8_t *line = NULL;
    size_t n = 0;
    int trunc = 0;
    enum line_res lr;
    size_t left = bw_cur_left(c);

    switch (d->st) {
    case HS_START:
    case HS_RESYNC:
        lr = get_line(d, c, &line, &n, &trunc);
        if (lr != LINE_OK)
            return lr == LINE_MORE ? 0 : 1;
        if (n == 0 && !trunc && d->st == HS_START && d->empty_lines < HTTP_EMPTY_LINES_MAX) {
            d->empty_lines++;
            return 1;
        }
        if (start_line(s, ctx, dir, line, n, trunc))
            return 1;
        if (d->st == HS_START) {
            if (ctx->stats) {
                ctx->stats->errors++;
                ctx->stats->resyncs++;
            }
            d->st = HS_RESYNC;
            d->resync_bytes = 0;
        }
        d->resync_bytes += n + 1;
        return d->resync_bytes > HTTP_RESYNC_MAX ? -1 : 1;

    case HS_HEADERS:
    case HS_TRAILERS:
        lr = get_line(d, c, &line, &n, &trunc);
        if (lr != LINE_OK)
            return lr == LINE_MORE ? 0 : 1;
        if (trunc && tx)
            tx->flags |= HTTP_F_LINE_LONG;
        if (n == 0 && !trunc) {
            if (d->st == HS_TRAILERS)
                msg_end(s, ctx, dir);
            else
                headers_done(s, ctx, dir);
            return 1;
        }
        d->hdr_bytes += (uint32_t)n;
        if (d->hdr_bytes > HTTP_HDR_BLOCK_MAX && tx && !(tx->flags & HTTP_F_HDR_LONG)) {
            tx->flags |= HTTP_F_HDR_LONG;
            if (ctx->stats)
                ctx->stats->errors++;
        }
        if (d->st == HS_HEADERS)
            header_line(s, dir, line, n);
        return 1;

    case HS_BODY_CL:
    case HS_CHUNK_DATA: {
        size_t k = d->left < left ? (size_t)d->left : left;
        const uint8_t *p = NULL;
        (void)bw_cur_take(c, k, &p);
        body_data(s, ctx, dir, p, k);
        d->left -= k;
        if (d->left == 0) {
            if (d->st == HS_BODY_CL)
                msg_end(s, ctx, dir);
            else
                d->st = HS_CHUNK_CRLF;
        }
        return 1;
    }

    case HS_CHUNK_CRLF: {
        const uint8_t *p = bw_cur_ptr(c);
        if (p[0] == '\n') {
            (void)bw_cur_skip(c, 1);
            d->st = HS_CHUNK_SIZE;
            return 1;
        }
        if (p[0] == '\r') {
            if (left < 2)
                return 0;
            if (p[1] == '\n') {
                (void)bw_cur_skip(c, 2);
                d->st = HS_CHUNK_SIZE;
                return 1;
            }
        }
        /* Tolerate a missing CRLF: read the chunk size from here. */
        if (tx)
            tx->flags |= HTTP_F_BAD_CHUNK;
        d->st = HS_CHUNK_SIZE;
        return 1;
    }

    case HS_CHUNK_SIZE: {
        lr = get_line(d, c, &line, &n, &trunc);
        if (lr != LINE_OK)
            return lr == LINE_MORE ? 0 : 1;
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        uint64_t sz = 0;
        size_t digits = 0;
        while (i < n && isxdigit(line[i]) && digits < 16) {
            int v = isdigit(line[i]) ? line[i] - '0' : (tolower(line[i]) - 'a' + 10);
            sz = (sz << 4) | (uint64_t)v;
            i++;
            digits++;
        }
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (digits == 0 || (i < n && line[i] != ';')) {
            /* Not a chunk size: the body is unusable, look for the next message. */
            if (tx)
                tx->flags |= HTTP_F_BAD_CHUNK;
            if (ctx->stats)
                ctx->stats->errors++;
            msg_end(s, ctx, dir);
            d->st = HS_RESYNC;
            d->resync_bytes = 0;
            return 1;
        }
        if (sz == 0) {
            d->st = HS_TRAILERS;
            return 1;
        }
        d->left = sz;
        d->st = HS_CHUNK_DATA;
        return 1;
    }

    case HS_BODY_CLOSE: {
        const uint8_t *p = NULL;
        (void)bw_cur_take(c, left, &p);
        body_data(s, ctx, dir, p, left);
        return 1;
    }

    case HS_TUNNEL: {
        (void)bw_cur_skip(c, left);
        /* Bytes of a refused CONNECT's request side are counted on the tx too. */
        for (unsigned k = 0; k < s->n; k++) {
            struct http_tx *t = &s->tx[(s->head + k) % HTTP_TX_MAX];
            if (strcmp(t->method, "CONNECT") == 0 || t->status == 101) {
                t->tunnel_bytes[dir] += left;
                break;
            }
        }
        return 1;
    }
    }
    return -1;
}

static enum app_result http_parse(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                                  size_t len, size_t *consumed)
{
    struct http_state *s = state;
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    *consumed = 0;
    if (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)
        return APP_ERROR;
    while (bw_cur_left(&c) > 0) {
        int r = step(s, ctx, dir, &c);
        if (r < 0) {
            *consumed = c.off;
            return APP_ERROR;
        }
        if (r == 0)
            break;
    }
    *consumed = c.off;
    return APP_OK;
}

static enum app_result http_gap(void *state, struct app_ctx *ctx, int dir, uint64_t len)
{
    struct http_state *s = state;
    if (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)
        return APP_ERROR;
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = tx_at(s, d->tx);
    uint32_t gflag = dir == FLOW_TOSERVER ? HTTP_F_GAP_REQ : HTTP_F_GAP_RESP;
    d->skip_line = 0;
    switch (d->st) {
    case HS_BODY_CL:
    case HS_CHUNK_DATA:
        if (len <= d->left) {
            if (tx) {
                tx->flags |= gflag;
                tx->json.broken = 1;
            }
            d->left -= len;
            if (d->left == 0) {
                if (d->st == HS_BODY_CL)
                    msg_end(s, ctx, dir);
                else
                    d->st = HS_CHUNK_CRLF;
            }
            return APP_OK;
        }
        break;
    case HS_BODY_CLOSE:
        if (tx) {
            tx->flags |= gflag;
            tx->json.broken = 1;
        }
        return APP_OK;
    case HS_TUNNEL:
        for (unsigned k = 0; k < s->n; k++) {
            struct http_tx *t = &s->tx[(s->head + k) % HTTP_TX_MAX];
            if (t->tunnel || strcmp(t->method, "CONNECT") == 0) {
                t->tunnel_bytes[dir] += len;
                break;
            }
        }
        return APP_OK;
    default:
        break;
    }
    /* Framing is lost: close the message and look for the next start line. */
    if (tx) {
        tx->flags |= gflag;
        tx->json.broken = 1;
        msg_end(s, ctx, dir);
    }
    if (ctx->stats)
        ctx->stats->resyncs++;
    d->st = HS_RESYNC;
    d->resync_bytes = 0;
    return APP_OK;
}

static void *http_new_state(struct app_ctx *ctx)
{
    (void)ctx;
    struct http_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->d[0].tx = -1;
    s->d[1].tx = -1;
    return s;
}

static void http_free_state(void *state, struct app_ctx *ctx)
{
    struct http_state *s = state;
    if (s == NULL)
        return;
    /* A body until close ends here, complete; anything else open is incomplete. */
    for (int dir = 0; dir < 2; dir++) {
        struct http_dir *d = &s->d[dir];
        struct http_tx *tx = tx_at(s, d->tx);
        if (tx != NULL && d->st != HS_BODY_CLOSE && d->st != HS_TUNNEL)
            tx->flags |= dir == FLOW_TOSERVER ? HTTP_F_REQ_INCOMPLETE : HTTP_F_NO_RESP;
        if (tx != NULL)
            msg_end(s, ctx, dir);
    }
    while (s->n > 0) {
        struct http_tx *tx = &s->tx[s->head];
        if (!tx->resp_done && !tx->tunnel)
            tx->flags |= HTTP_F_NO_RESP;
        emit_tx(s, ctx, tx);
        s->head = (s->head + 1) % HTTP_TX_MAX;
        s->n--;
    }
    free(s);
}

/* Request methods and "HTTP/1." responses at the start of a direction. */
static enum app_probe http_probe(const uint8_t *data, size_t len, int dir)
{
    static const char *const methods[] = {"GET ",    "POST ",     "HEAD ",    "PUT ",
                                          "DELETE ", "PATCH ",    "OPTIONS ", "CONNECT ",
                                          "TRACE ",  "PROPFIND ", "MKCOL ",   NULL};
    const char *const resp[] = {"HTTP/1.", NULL};
    const char *const *set = dir == FLOW_TOSERVER ? methods : resp;
    int more = 0;
    for (size_t i = 0; set[i] != NULL; i++) {
        size_t l = strlen(set[i]);
        size_t k = len < l ? len : l;
        if (memcmp(data, set[i], k) == 0) {
            if (len >= l)
                return APP_PROBE_YES;
            more = 1;
        }
    }
    return more ? APP_PROBE_MORE : APP_PROBE_NO;
}

const struct app_proto app_http = {
    .name = "http",
    .ipproto = IPPROTO_TCP,
    .probe = http_probe,
    .new_state = http_new_state,
    .free_state = http_free_state,
    .parse = http_parse,
    .gap = http_gap,
};

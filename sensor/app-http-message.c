/* HTTP messages: start lines and header lines read line by line (capped),
 * requests and status lines parsed, the framing of what follows decided from
 * the headers (Content-Length, chunked, CONNECT and 101 tunnels, HEAD, 1xx). */
#include "sensor/app-http-internal.h"

/* ---- line reading ---- */

enum http_line_res http_get_line(struct http_dir *d, struct bw_cursor *c, const uint8_t **line,
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

void http_header_line(struct http_state *s, int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = http_tx_at(s, d->tx);
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
void http_headers_done(struct http_state *s, struct app_ctx *ctx, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = http_tx_at(s, d->tx);
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
            http_body_begin(s, ctx, dir);
        } else if (d->has_cl && d->cl > 0) {
            d->st = HS_BODY_CL;
            d->left = d->cl;
            http_body_begin(s, ctx, dir);
        } else {
            http_msg_end(s, ctx, dir);
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
        http_msg_end(s, ctx, dir);
    } else if (d->chunked) {
        d->st = HS_CHUNK_SIZE;
        http_body_begin(s, ctx, dir);
    } else if (d->has_cl) {
        if (d->cl == 0) {
            http_msg_end(s, ctx, dir);
        } else {
            d->st = HS_BODY_CL;
            d->left = d->cl;
            http_body_begin(s, ctx, dir);
        }
    } else {
        d->st = HS_BODY_CLOSE;
        http_body_begin(s, ctx, dir);
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
int http_start_line(struct http_state *s, struct app_ctx *ctx, int dir, const uint8_t *p, size_t n,
                    int trunc)
{
    struct http_dir *d = &s->d[dir];
    if (dir == FLOW_TOSERVER) {
        struct http_tx probe_tx;
        memset(&probe_tx, 0, sizeof(probe_tx));
        if (!parse_request_line(p, n, trunc, &probe_tx))
            return 0;
        int slot = http_tx_new(s, ctx);
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
            d->tx = http_tx_for_response(s, ctx);
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

/* The message of direction `dir` is complete (or abandoned). */
void http_msg_end(struct http_state *s, struct app_ctx *ctx, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = http_tx_at(s, d->tx);
    http_body_finish(d, ctx);
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
    http_tx_retire(s, ctx);
}

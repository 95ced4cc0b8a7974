/* HTTP/1.x parser: the protocol entry (detection, state per flow, the
 * per-direction state machine, gaps). Messages are read in
 * app-http-message.c, bodies in app-http-body.c, transactions paired in
 * app-http-tx.c, records counted in app-http-records.c and events written in
 * app-http-event.c; CONNECT and 101 switch both directions to byte counting. */
#include "sensor/app-http-internal.h"

#include <netinet/in.h>
#include <stdlib.h>

/* ---- the state machine ---- */

/* One step. Returns 1 on progress, 0 when more data is needed, -1 to stop. */
static int step(struct http_state *s, struct app_ctx *ctx, int dir, struct bw_cursor *c)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = http_tx_at(s, d->tx);
    const uint8_t *line = NULL;
    size_t n = 0;
    int trunc = 0;
    enum http_line_res lr;
    size_t left = bw_cur_left(c);

    switch (d->st) {
    case HS_START:
    case HS_RESYNC:
        lr = http_get_line(d, c, &line, &n, &trunc);
        if (lr != LINE_OK)
            return lr == LINE_MORE ? 0 : 1;
        if (n == 0 && !trunc && d->st == HS_START && d->empty_lines < HTTP_EMPTY_LINES_MAX) {
            d->empty_lines++;
            return 1;
        }
        if (http_start_line(s, ctx, dir, line, n, trunc))
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
        lr = http_get_line(d, c, &line, &n, &trunc);
        if (lr != LINE_OK)
            return lr == LINE_MORE ? 0 : 1;
        if (trunc && tx)
            tx->flags |= HTTP_F_LINE_LONG;
        if (n == 0 && !trunc) {
            if (d->st == HS_TRAILERS)
                http_msg_end(s, ctx, dir);
            else
                http_headers_done(s, ctx, dir);
            return 1;
        }
        d->hdr_bytes += (uint32_t)n;
        if (d->hdr_bytes > HTTP_HDR_BLOCK_MAX && tx && !(tx->flags & HTTP_F_HDR_LONG)) {
            tx->flags |= HTTP_F_HDR_LONG;
            if (ctx->stats)
                ctx->stats->errors++;
        }
        if (d->st == HS_HEADERS)
            http_header_line(s, dir, line, n);
        return 1;

    case HS_BODY_CL:
    case HS_CHUNK_DATA:
    case HS_CHUNK_CRLF:
    case HS_CHUNK_SIZE:
    case HS_BODY_CLOSE:
        return http_body_step(s, ctx, dir, c);

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
    struct http_tx *tx = http_tx_at(s, d->tx);
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
                    http_msg_end(s, ctx, dir);
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
        http_msg_end(s, ctx, dir);
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
        struct http_tx *tx = http_tx_at(s, d->tx);
        if (tx != NULL && d->st != HS_BODY_CLOSE && d->st != HS_TUNNEL)
            tx->flags |= dir == FLOW_TOSERVER ? HTTP_F_REQ_INCOMPLETE : HTTP_F_NO_RESP;
        if (tx != NULL)
            http_msg_end(s, ctx, dir);
    }
    while (s->n > 0) {
        struct http_tx *tx = &s->tx[s->head];
        if (!tx->resp_done && !tx->tunnel)
            tx->flags |= HTTP_F_NO_RESP;
        http_event_emit(s, ctx, tx);
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

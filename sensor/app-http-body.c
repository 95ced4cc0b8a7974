/* HTTP bodies: framed by Content-Length, chunked coding or the end of the
 * connection, counted and never kept; streamed to the PII scanner as the
 * body's kind says (text in full, compressed encodings not at all, anything
 * else per block after a sniff of its head). */
#include "sensor/app-http-internal.h"

void http_body_begin(struct http_state *s, struct app_ctx *ctx, int dir)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = http_tx_at(s, d->tx);
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
    struct http_tx *tx = http_tx_at(s, d->tx);
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

void http_body_finish(struct http_dir *d, struct app_ctx *ctx)
{
    if (d->head_len > 0 && d->pii.on)
        body_head_done(d, ctx, 0);
    d->head_len = 0;
    pii_tap_end(&d->pii);
}

int http_body_step(struct http_state *s, struct app_ctx *ctx, int dir, struct bw_cursor *c)
{
    struct http_dir *d = &s->d[dir];
    struct http_tx *tx = http_tx_at(s, d->tx);
    const uint8_t *line = NULL;
    size_t n = 0;
    int trunc = 0;
    enum http_line_res lr;
    size_t left = bw_cur_left(c);

    switch (d->st) {
    case HS_BODY_CL:
    case HS_CHUNK_DATA: {
        size_t k = d->left < left ? (size_t)d->left : left;
        const uint8_t *p = NULL;
        (void)bw_cur_take(c, k, &p);
        body_data(s, ctx, dir, p, k);
        d->left -= k;
        if (d->left == 0) {
            if (d->st == HS_BODY_CL)
                http_msg_end(s, ctx, dir);
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
        lr = http_get_line(d, c, &line, &n, &trunc);
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
            http_msg_end(s, ctx, dir);
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
    default:
        break;
    }
    return -1;
}

/* HTTP transactions: requests paired with responses in a small ring per flow
 * (pipelining up to HTTP_TX_MAX; requests beyond it are parsed in a scratch
 * slot and not reported), written out in order once both sides are done. */
#include "sensor/app-http-internal.h"

/* A new transaction at the ring tail (the scratch slot when full). */
int http_tx_new(struct http_state *s, struct app_ctx *ctx)
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

/* Writes and releases completed transactions at the head of the ring. A
 * tunnel stays until the flow ends so its byte counts are complete. */
void http_tx_retire(struct http_state *s, struct app_ctx *ctx)
{
    while (s->n > 0) {
        struct http_tx *tx = &s->tx[s->head];
        if (!(tx->req_done && tx->resp_done) || tx->tunnel)
            break;
        http_event_emit(s, ctx, tx);
        tx->used = 0;
        s->head = (s->head + 1) % HTTP_TX_MAX;
        s->n--;
    }
}

/* The transaction a new response belongs to: the oldest without a response. */
int http_tx_for_response(struct http_state *s, struct app_ctx *ctx)
{
    for (unsigned k = 0; k < s->n; k++) {
        unsigned slot = (s->head + k) % HTTP_TX_MAX;
        if (!s->tx[slot].resp_done && !s->tx[slot].resp_seen)
            return (int)slot;
    }
    int slot = http_tx_new(s, ctx);
    s->tx[slot].req_seen = 1;
    s->tx[slot].req_done = 1;
    s->tx[slot].flags |= HTTP_F_NO_REQ;
    return slot;
}

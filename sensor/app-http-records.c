/* Records per HTTP response: a streaming counter of the records in a JSON
 * body (the containers of a top-level array, or of the first array in a
 * top-level object), else what the data inventory says of the endpoint, else
 * the people whose personal data the body carried. */
#include "sensor/app-http-internal.h"

#include "sensor/inventory.h"

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

enum access_records_src http_tx_records(struct app_ctx *ctx, struct http_tx *tx, int send, int pd,
                                        uint64_t *out)
{
    uint64_t records = 0;
    int rows = http_json_count_result(&tx->json, &records);
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
    *out = records;
    return rsrc;
}

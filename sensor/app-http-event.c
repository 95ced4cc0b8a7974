/* HTTP events: each finished transaction becomes one `http` EVE event (host,
 * URL, method, status, body lengths, records, anomalies, PII) and one access
 * event (who read or sent how much of what, to where). */
#include "sensor/app-http-internal.h"

#include <strings.h>

#include "common/json.h"
#include "sensor/output-eve.h"
#include "sensor/uri-fold.h"

static const char *const http_anomaly_names[] = {
    "request_te_and_cl",      "line_too_long",         "header_block_too_long",
    "invalid_content_length", "invalid_chunk",         "request_gap",
    "response_gap",           "response_incomplete",   "response_no_request",
    "request_incomplete",     "obsolete_line_folding", "transfer_encoding_not_chunked",
};

void http_event_emit(struct http_state *s, struct app_ctx *ctx, struct http_tx *tx)
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
    int upload =
        tx->req_body > 0 && (strcmp(tx->method, "POST") == 0 || strcmp(tx->method, "PUT") == 0);
    int send = upload || (tx->tunnel && tx->tunnel_bytes[0] > tx->tunnel_bytes[1]);
    int pd = send ? FLOW_TOSERVER : FLOW_TOCLIENT; /* the direction the data moved */
    uint64_t records = 0;
    enum access_records_src rsrc = http_tx_records(ctx, tx, send, pd, &records);

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

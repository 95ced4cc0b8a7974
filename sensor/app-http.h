/* HTTP/1.x parser (app-http*.c): requests paired with responses, bodies
 * counted and streamed to the content scanner, one `http` EVE event and one
 * access event per transaction. The helpers below are exported for tests. */
#ifndef BW_APP_HTTP_H
#define BW_APP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/app.h"

extern const struct app_proto app_http;

/* Limits: a start line or header line longer than HTTP_LINE_MAX, or a header
 * block longer than HTTP_HDR_BLOCK_MAX, is flagged and skipped, not kept. */
#define HTTP_LINE_MAX      8192
#define HTTP_HDR_BLOCK_MAX 8192
#define HTTP_TX_MAX        8 /* outstanding (pipelined) transactions per flow */

/* Streaming record counter for JSON bodies: counts the containers at depth 1
 * of a top-level array, or inside the first array member of a top-level
 * object. Constant memory; fed byte ranges in order. */
struct http_json_count {
    uint8_t started, broken, in_str, esc, top, target_done;
    uint16_t depth, target;
    uint64_t count;
};

void http_json_count_init(struct http_json_count *jc);
void http_json_count_feed(struct http_json_count *jc, const uint8_t *p, size_t n);
/* 1 with *records when the body was array-ish JSON that parsed cleanly so far. */
int http_json_count_result(const struct http_json_count *jc, uint64_t *records);

#endif

/* Unit tests of the HTTP/1.x parser: the shared captures delivered whole, a
 * byte at a time and in random chunks must give identical events, with the
 * facts of pcaps-public/README.md; protocol edge cases (pipelining, chunked
 * bodies with trailers, HEAD, 204/304, CONNECT, 1xx, malformed input) from
 * message bytes. Exits 77 after the byte-level tests when ../shared is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/app-http.h"
#include "sensor/pii.h"
#include "sensor/uri-fold.h"
#include "tests/lib/apprun.h"

static const char *shared_dir(void)
{
    const char *s = getenv("BW_SHARED");
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static void pcap_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/pcaps-public/%s/input.pcap", shared_dir(), name);
}

/* Runs a capture whole, byte by byte and with several random chunkings, and
 * checks every run gives the same events. Returns the whole run. */
static void run_all_chunkings(const char *name, struct apprun_result *whole)
{
    char path[1024];
    pcap_path(path, sizeof(path), name);
    assert_int_equal(apprun_pcap(path, &app_http, 0, 0, 0, whole), 0);
    assert_true(whole->flows > 0);
    assert_int_equal(whole->over_pending, 0);
    struct apprun_result r;
    assert_int_equal(apprun_pcap(path, &app_http, 1, 0, 0, &r), 0);
    assert_string_equal(r.eve, whole->eve);
    assert_string_equal(r.access, whole->access);
    apprun_result_free(&r);
    for (uint32_t seed = 1; seed <= 6; seed++) {
        assert_int_equal(apprun_pcap(path, &app_http, 2, seed, seed * 37, &r), 0);
        assert_string_equal(r.eve, whole->eve);
        assert_string_equal(r.access, whole->access);
        apprun_result_free(&r);
    }
}

static void test_all_headers(void **st)
{
    (void)st;
    struct apprun_result r;
    run_all_chunkings("sv-http-all-headers", &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 1);
    assert_non_null(strstr(r.eve, "\"hostname\":\"www.ethereal.com\""));
    assert_non_null(strstr(r.eve, "\"url\":\"/download.html\""));
    assert_non_null(strstr(r.eve, "\"status\":200,\"length\":18070"));
    assert_non_null(strstr(r.access, "ch=http dir=0 "));
    assert_non_null(strstr(r.access, "dataset=/download.html "));
    assert_non_null(strstr(r.access, "bytes=18070 status=200"));
    apprun_result_free(&r);
}

static void test_gap_simple(void **st)
{
    (void)st;
    struct apprun_result r;
    run_all_chunkings("sv-http-gap-simple", &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 3);
    /* Content-Length 12 (+ a stray CRLF Suricata counts into its 14-byte
     * files); the 70-byte body lost 14 bytes to the gap. */
    assert_int_equal(apprun_count(r.eve, "\"response_body_len\":12}"), 2);
    assert_int_equal(
        apprun_count(r.eve, "\"response_body_len\":56,\"anomalies\":[\"response_gap\"]"), 1);
    assert_int_equal(r.stats.gaps, 1);
    assert_int_equal(r.stats.errors, 0);
    assert_int_equal(apprun_count(r.access, "dataset=/{n} "), 3);
    apprun_result_free(&r);
}

static void test_post_file(void **st)
{
    (void)st;
    struct apprun_result r;
    run_all_chunkings("sv-http-post-file", &r);
    assert_int_equal(apprun_count(r.eve, "\"http_method\":\"POST\""), 3);
    assert_non_null(strstr(r.eve, "\"length\":715,\"request_body_len\":39,"));
    assert_non_null(strstr(r.eve, "\"length\":245,\"request_body_len\":170,"));
    assert_non_null(strstr(r.eve, "\"length\":264,\"request_body_len\":68,"));
    /* uploads: direction SEND with the request body bytes */
    assert_int_equal(apprun_count(r.access, "ch=http dir=1 "), 3);
    assert_non_null(strstr(r.access, "dataset=/api/v4/uploads/{id} "));
    assert_non_null(strstr(r.access, "bytes=68 status=200"));
    apprun_result_free(&r);
}

static void test_ipv6(void **st)
{
    (void)st;
    struct apprun_result r;
    run_all_chunkings("sv-http-ipv6", &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 1);
    assert_non_null(strstr(r.eve, "\"hostname\":\"[::1]\""));
    assert_non_null(strstr(r.eve, "\"length\":563,"));
    assert_null(strstr(r.eve, "anomalies"));
    apprun_result_free(&r);
}

static void test_brotli(void **st)
{
    (void)st;
    struct apprun_result r;
    run_all_chunkings("sv-http-brotli-ce", &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 3);
    assert_non_null(strstr(r.eve, "\"status\":200,\"length\":95,"));
    assert_non_null(strstr(r.eve, "\"status\":204,\"length\":0,"));
    /* brotli on the wire: no JSON records counted */
    assert_int_equal(apprun_count(r.access, "src=rows"), 0);
    apprun_result_free(&r);
}

static void test_chunked_smuggling(void **st)
{
    (void)st;
    struct apprun_result r;
    run_all_chunkings("sv-http-chunked", &r);
    assert_int_equal(apprun_count(r.eve, "\"http_method\":\"HEAD\""), 1);
    assert_non_null(strstr(r.eve, "request_te_and_cl"));
    assert_non_null(strstr(r.eve, "response_incomplete"));
    apprun_result_free(&r);
}

/* ---- exchanges from message bytes ---- */

static void run_msgs_all(const struct apprun_msg *m, size_t n, struct apprun_result *whole)
{
    apprun_msgs(&app_http, m, n, 0, 0, 0, whole);
    struct apprun_result r;
    apprun_msgs(&app_http, m, n, 1, 0, 0, &r);
    assert_string_equal(r.eve, whole->eve);
    assert_string_equal(r.access, whole->access);
    apprun_result_free(&r);
    for (uint32_t seed = 1; seed <= 8; seed++) {
        apprun_msgs(&app_http, m, n, 2, seed, 1 + seed * 5, &r);
        assert_string_equal(r.eve, whole->eve);
        assert_string_equal(r.access, whole->access);
        apprun_result_free(&r);
    }
}

static void test_pipelining(void **st)
{
    (void)st;
    const struct apprun_msg m[] = {
        {0,
         "GET /api/customers/123 HTTP/1.1\r\nHost: shop:8080\r\n\r\n"
         "GET /api/customers?page=2 HTTP/1.1\r\nHost: shop\r\n\r\n"
         "POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello",
         0},
        {1,
         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
         "9\r\n\r\n{\"id\":1}\n"
         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
         "a\r\n[{\"a\":1},\r\n"
         "14;ext=1\r\n{\"b\":\"]\"},{\"c\":[1]}]\r\n"
         "0\r\nX-Trailer: yes\r\n\r\n"
         "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
         0},
    };
    struct apprun_result r;
    run_msgs_all(m, sizeof(m) / sizeof(m[0]), &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 3);
    assert_non_null(strstr(r.eve, "\"hostname\":\"shop\",\"url\":\"/api/customers/123\""));
    assert_non_null(strstr(r.eve, "\"url\":\"/api/customers?page=2\""));
    assert_non_null(strstr(r.eve, "\"status\":200,\"length\":30,"));
    assert_non_null(strstr(r.eve, "\"records\":3"));
    assert_non_null(strstr(r.eve, "\"status\":201,\"length\":0,\"request_body_len\":5"));
    assert_non_null(strstr(r.access,
                           "dataset=/api/customers/{n} detail=/api/customers/123 records=0 "
                           "src=none bytes=9 status=200"));
    assert_non_null(strstr(r.access,
                           "dataset=/api/customers detail=/api/customers?page=2 records=3 "
                           "src=rows bytes=30"));
    assert_non_null(
        strstr(r.access, "dir=1 actor=10.0.0.1:40000 dest=10.0.0.2:80 dataset=/upload "));
    assert_int_equal(r.stats.errors, 0);
    assert_null(strstr(r.eve, "anomalies"));
    apprun_result_free(&r);
}

static void test_head_204_304_interim(void **st)
{
    (void)st;
    const struct apprun_msg m[] = {
        {0, "HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n", 0},
        {1, "HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n", 0},
        {0, "GET /none HTTP/1.1\r\nHost: h\r\n\r\n", 0},
        {1, "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 0},
        {0, "GET /same HTTP/1.1\r\nHost: h\r\nIf-None-Match: x\r\n\r\n", 0},
        {1, "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 0},
        {0, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", 0},
        {1, "HTTP/1.1 100 Continue\r\n\r\n", 0},
        {0, "abc", 0},
        {1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
    };
    struct apprun_result r;
    run_msgs_all(m, sizeof(m) / sizeof(m[0]), &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 4);
    assert_non_null(strstr(r.eve,
                           "\"http_method\":\"HEAD\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
                           "\"length\":0,"));
    assert_non_null(strstr(r.eve, "\"status\":204,\"length\":0,"));
    assert_non_null(strstr(r.eve, "\"status\":304,\"length\":0,"));
    assert_non_null(strstr(r.eve,
                           "\"http_method\":\"PUT\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
                           "\"length\":2,\"request_body_len\":3,"));
    assert_null(strstr(r.eve, "anomalies"));
    apprun_result_free(&r);
}

static void test_connect_tunnel(void **st)
{
    (void)st;
    const struct apprun_msg m[] = {
        {0, "CONNECT db.example:443 HTTP/1.1\r\nHost: db.example:443\r\n\r\n", 0},
        {1, "HTTP/1.1 200 Connection established\r\n\r\n", 0},
        {0, "\x16\x03\x01\x00\x05hello GET / HTTP/1.1\r\n\r\n", 29},
        {1, "\x16\x03\x03\x00\x02xyHTTP/1.1 200 OK\r\n\r\n", 26},
        {1, NULL, 100},
    };
    struct apprun_result r;
    run_msgs_all(m, sizeof(m) / sizeof(m[0]), &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 1);
    assert_non_null(strstr(r.eve, "\"hostname\":\"db.example\""));
    assert_non_null(strstr(r.eve, "\"tunnel_bytes_toserver\":29,\"tunnel_bytes_toclient\":126"));
    assert_non_null(strstr(r.access, "bytes=126 status=200"));
    apprun_result_free(&r);
}

static void test_http10_until_close(void **st)
{
    (void)st;
    const struct apprun_msg m[] = {
        {0, "GET /export.json HTTP/1.0\r\n\r\n", 0},
        {1, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"rows\":[{\"n\":1},", 0},
        {1, "{\"n\":\"}{\"},{\"n\":[[]]}]}", 0},
    };
    struct apprun_result r;
    run_msgs_all(m, sizeof(m) / sizeof(m[0]), &r);
    assert_non_null(strstr(r.eve, "\"length\":40,"));
    assert_non_null(strstr(r.access, "records=3 src=rows bytes=40"));
    assert_null(strstr(r.eve, "anomalies"));
    apprun_result_free(&r);
}

static void test_malformed(void **st)
{
    (void)st;
    static char longline[HTTP_LINE_MAX + 500];
    memset(longline, 'a', sizeof(longline) - 1);
    memcpy(longline, "X-Long: ", 8);
    longline[sizeof(longline) - 3] = '\r';
    longline[sizeof(longline) - 2] = '\n';
    const struct apprun_msg m[] = {
        {0, "\x01\x02garbage\r\nGET /after-garbage HTTP/1.1\r\nHost: h\r\n", 0},
        {0, longline, 0},
        {0, "\r\n", 0},
        {1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0},
        {0, "GET /next HTTP/1.1\r\nContent-Length: x1\r\n\r\n", 0},
        {1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0},
    };
    struct apprun_result r;
    run_msgs_all(m, sizeof(m) / sizeof(m[0]), &r);
    assert_int_equal(apprun_count(r.eve, "\"event_type\":\"http\""), 2);
    assert_non_null(strstr(r.eve, "\"url\":\"/after-garbage\""));
    assert_non_null(strstr(r.eve, "line_too_long"));
    assert_non_null(strstr(r.eve, "header_block_too_long"));
    assert_non_null(strstr(r.eve, "invalid_chunk"));
    assert_non_null(strstr(r.eve, "invalid_content_length"));
    assert_non_null(strstr(r.eve, "\"status\":404"));
    assert_true(r.stats.errors >= 3);
    assert_int_equal(r.app_errors, 0);
    apprun_result_free(&r);

    /* Not HTTP at all: the parser gives up after its resync budget. */
    static char junk[70000];
    memset(junk, 'x', sizeof(junk));
    for (size_t i = 100; i < sizeof(junk); i += 100)
        junk[i] = '\n';
    const struct apprun_msg j[] = {{0, junk, sizeof(junk)}};
    apprun_msgs(&app_http, j, 1, 0, 0, 0, &r);
    assert_int_equal(r.app_errors, 1);
    assert_string_equal(r.eve, "");
    apprun_result_free(&r);
}

static void test_json_count(void **st)
{
    (void)st;
    struct http_json_count jc;
    uint64_t n = 0;
    const char *cases[] = {"[{\"a\":1},{\"b\":\"]\\\"\"},[1,2]]",
                           "{\"x\":1,\"data\":[{},{},{}],\"y\":[{}]}", "<html>", "[]",
                           "{\"a\":{}}"};
    const int ok[] = {1, 1, 0, 1, 0};
    const uint64_t want[] = {3, 3, 0, 0, 0};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_json_count_init(&jc);
        for (size_t k = 0; cases[i][k]; k++)
            http_json_count_feed(&jc, (const uint8_t *)cases[i] + k, 1);
        assert_int_equal(http_json_count_result(&jc, &n), ok[i]);
        if (ok[i])
            assert_int_equal(n, want[i]);
    }
}

static void test_fold(void **st)
{
    (void)st;
    char out[128];
    const char *in[] = {"/api/customers/123",
                        "/u/123e4567-e89b-12d3-a456-426614174000/x",
                        "/blob/deadbeef0123beefcafe?x=1",
                        "http://h:8080/a/42",
                        "/v1/ipc3qsw7ojfy9n4eabk9q6qmyh",
                        "?q=1",
                        "/static/app.js"};
    const char *want[] = {"/api/customers/{n}", "/u/{uuid}/x", "/blob/{hex}",   "/a/{n}",
                          "/v1/{id}",           "/",           "/static/app.js"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        uri_fold(in[i], strlen(in[i]), out, sizeof(out));
        assert_string_equal(out, want[i]);
    }
}

static void test_probe(void **st)
{
    (void)st;
    assert_int_equal(app_http.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, FLOW_TOSERVER),
                     APP_PROBE_YES);
    assert_int_equal(app_http.probe((const uint8_t *)"PO", 2, FLOW_TOSERVER), APP_PROBE_MORE);
    assert_int_equal(app_http.probe((const uint8_t *)"HTTP/1.1 200", 12, FLOW_TOCLIENT),
                     APP_PROBE_YES);
    assert_int_equal(app_http.probe((const uint8_t *)"SSH-2.0-", 8, FLOW_TOSERVER), APP_PROBE_NO);
    int more = 0;
    assert_ptr_equal(app_detect(IPPROTO_TCP, (const uint8_t *)"DELETE /x HTTP/1.1\r\n", 20,
                                FLOW_TOSERVER, &more),
                     &app_http);
}

/* Runs one exchange with the PII scanner on, delivered whole (mode 0) or in
 * pieces; returns the EVE text (caller frees) and the parser's counters. */
static char *run_pii(const struct pii_scanner *sc, const uint8_t *resp, size_t rlen, int mode,
                     uint32_t seed, struct app_stats *stats)
{
    static const char req[] = "GET /a HTTP/1.1\r\nHost: shop\r\n\r\n"
                              "GET /b HTTP/1.1\r\nHost: shop\r\n\r\n"
                              "GET /c HTTP/1.1\r\nHost: shop\r\n\r\n";
    struct drv_out out;
    struct drv d;
    uint32_t rng = seed;
    assert_int_equal(drv_out_init(&out), 0);
    drv_init(&d, &app_http, &out, 1);
    d.ctx.pii = sc;
    d.ctx.ts_us = 1700000000000000LL;
    drv_feed(&d, 0, (const uint8_t *)req, strlen(req), mode, &rng, 7);
    drv_feed(&d, 1, resp, rlen, mode, &rng, 97);
    drv_end(&d);
    *stats = d.stats;
    char *eve = strdup(out.eve.data ? out.eve.data : "");
    drv_out_fini(&out);
    return eve;
}

/* Binary bodies are not scanned (docs/pii.md): a block whose first 64 bytes
 * hold control bytes is skipped, the text blocks around it are scanned; a
 * compressed Content-Encoding is skipped whole; a text type is scanned in
 * full even with control bytes. The same however the bytes are cut. */
static void test_pii_binary_bodies(void **st)
{
    (void)st;
    struct bw_err err;
    struct pii_scanner *sc = pii_scanner_new(&err);
    assert_non_null(sc);
    uint8_t body[512 + 512 + 40];
    memset(body, ' ', sizeof(body));
    for (int i = 0; i < 64; i++)
        body[i] = (uint8_t)(i * 37);                   /* NUL, controls, high bytes: binary */
    memcpy(body + 100, "zed@skipped.example.com", 23); /* inside the skipped block */
    memcpy(body + 600, "alice@example.com", 17);
    memcpy(body + 700, "bob@example.com", 15);
    memcpy(body + 1030, "carol@example.org", 17); /* the short last block */
    char hdr[3][160];
    snprintf(hdr[0], sizeof(hdr[0]),
             "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
             "Content-Length: %zu\r\n\r\n",
             sizeof(body));
    snprintf(hdr[1], sizeof(hdr[1]),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
             "Content-Length: 24\r\n\r\n");
    snprintf(hdr[2], sizeof(hdr[2]),
             "HTTP/1.1 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\n"
             "Content-Length: 24\r\n\r\n");
    uint8_t resp[2048];
    size_t n = 0;
    memcpy(resp + n, hdr[0], strlen(hdr[0]));
    n += strlen(hdr[0]);
    memcpy(resp + n, body, sizeof(body));
    n += sizeof(body);
    memcpy(resp + n, hdr[1], strlen(hdr[1]));
    n += strlen(hdr[1]);
    memcpy(resp + n, "dave@example.com\n\x01\x02\x03\x04\x05\x06\x07", 24);
    n += 24;
    memcpy(resp + n, hdr[2], strlen(hdr[2]));
    n += strlen(hdr[2]);
    memcpy(resp + n, "\x01\x02\x03,erin@example.com,\x04\x05", 24);
    n += 24;

    struct app_stats stats;
    char *whole = run_pii(sc, resp, n, 0, 1, &stats);
    assert_int_equal(apprun_count(whole, "\"event_type\":\"http\""), 3);
    assert_int_equal(apprun_count(whole, "\"pii\":{\"matches\":{\"email\":3}"), 1);
    assert_int_equal(apprun_count(whole, "\"pii\":{\"matches\":{\"email\":1}"), 1);
    assert_int_equal(apprun_count(whole, "\"pii\":{\"matches\":{}"), 1);
    assert_int_equal(stats.pii_skipped_bytes, 512 + 24);
    for (uint32_t seed = 1; seed <= 8; seed++) {
        struct app_stats s2;
        char *cut = run_pii(sc, resp, n, seed == 1 ? 1 : 2, seed, &s2);
        assert_string_equal(cut, whole);
        assert_int_equal(s2.pii_skipped_bytes, stats.pii_skipped_bytes);
        free(cut);
    }
    free(whole);
    pii_scanner_free(sc);
}

int main(void)
{
    const struct CMUnitTest bytes[] = {
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_head_204_304_interim),
        cmocka_unit_test(test_connect_tunnel),
        cmocka_unit_test(test_http10_until_close),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_json_count),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_pii_binary_bodies),
    };
    const struct CMUnitTest captures[] = {
        cmocka_unit_test(test_all_headers), cmocka_unit_test(test_gap_simple),
        cmocka_unit_test(test_post_file),   cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_brotli),      cmocka_unit_test(test_chunked_smuggling),
    };
    int rc = cmocka_run_group_tests_name("http-bytes", bytes, NULL, NULL);
    if (rc != 0)
        return rc;
    if (shared_dir() == NULL) {
        fprintf(stderr, "BW_SHARED not set: capture tests skipped\n");
        return 77;
    }
    return cmocka_run_group_tests_name("http-captures", captures, NULL, NULL);
}

/* Unit tests of the TLS parser: the shared TLS 1.2 capture delivered whole, a
 * byte at a time and in random chunks gives one identical event (no SNI,
 * TLS 1.2, the certificate's names); record framing, gaps and malformed
 * records. Exits 77 after the capture-free tests when ../shared is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/app-tls.h"
#include "tests/lib/apprun.h"

static const char *shared_dir(void)
{
    const char *s = getenv("BW_SHARED");
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static void test_ja4_capture(void **st)
{
    (void)st;
    char path[1024];
    snprintf(path, sizeof(path), "%s/pcaps-public/sv-ja4-tls/input.pcap", shared_dir());
    struct apprun_result w, r;
    assert_int_equal(apprun_pcap(path, &app_tls, 0, 0, 0, &w), 0);
    assert_int_equal(apprun_count(w.eve, "\"event_type\":\"tls\""), 1);
    assert_null(strstr(w.eve, "\"sni\""));
    assert_non_null(strstr(w.eve, "\"version\":\"TLS 1.2\""));
    assert_non_null(strstr(w.eve, "\"subject\":\"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS\""));
    assert_non_null(strstr(w.eve, "\"client_alpns\":[\"spdy/3.1\",\"http/1.1\"]"));
    assert_non_null(strstr(w.access, "ch=tls dir=0 actor=192.168.56.1:49365 "
                                     "dest=192.168.56.101:443 dataset= "));
    assert_non_null(strstr(w.access, "enc=1"));
    assert_int_equal(w.stats.errors, 0);
    for (int mode = 1; mode <= 2; mode++)
        for (uint32_t seed = 1; seed <= (mode == 1 ? 1u : 6u); seed++) {
            assert_int_equal(apprun_pcap(path, &app_tls, mode, seed, seed * 41, &r), 0);
            assert_string_equal(r.eve, w.eve);
            assert_string_equal(r.access, w.access);
            apprun_result_free(&r);
        }
    apprun_result_free(&w);
}

/* A ClientHello with SNI "db.example.com" and ALPN h2, TLS 1.2 record. */
static const uint8_t hello[] = {
    0x16, 0x03, 0x01, 0x00, 0x4a, /* record */
    0x01, 0x00, 0x00, 0x46,       /* ClientHello, 70 bytes */
    0x03, 0x03,                   /* client_version */
    1,    2,    3,    4,    5,    6,    7,    8,    9,    10,  11,  12,  13,  14,  15,  16,  17,
    18,   19,   20,   21,   22,   23,   24,   25,   26,   27,  28,  29,  30,  31,  32, /* random */
    0x00,                   /* session id */
    0x00, 0x02, 0x13, 0x01, /* cipher suites */
    0x01, 0x00,             /* compression */
    0x00, 0x1b,             /* extensions: 27 bytes */
    0x00, 0x00, 0x00, 0x13, 0x00, 0x11, 0x00, 0x00, 0x0e, 'd', 'b', '.', 'e', 'x', 'a', 'm', 'p',
    'l',  'e',  '.',  'c',  'o',  'm', /* server_name */
    0x00, 0x10, 0x00, 0x00,            /* empty ALPN list: ignored */
};

static void test_hello_and_counts(void **st)
{
    (void)st;
    uint8_t app[5 + 300];
    memset(app, 0xAB, sizeof(app));
    app[0] = 0x17, app[1] = 0x03, app[2] = 0x03, app[3] = 0x01, app[4] = 0x2c; /* 300 bytes */
    const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    const struct apprun_msg m[] = {
        {0, (const char *)hello, sizeof(hello)},
        {0, (const char *)ccs, sizeof(ccs)},
        {0, (const char *)app, sizeof(app)},
        {0, (const char *)app, 100},
        {0, NULL, 200},
        {1, (const char *)ccs, sizeof(ccs)},
        {1, (const char *)app, sizeof(app)},
    };
    struct apprun_result w, r;
    apprun_msgs(&app_tls, m, sizeof(m) / sizeof(m[0]), 0, 0, 0, &w);
    assert_non_null(strstr(w.eve, "\"sni\":\"db.example.com\",\"version\":\"TLS 1.2\""));
    assert_non_null(strstr(w.eve, "\"bytes_toserver\":600,\"bytes_toclient\":300"));
    assert_non_null(strstr(w.access, "ch=tls dir=1 "));
    assert_non_null(strstr(w.access, "dataset=db.example.com detail=db.example.com records=0 "
                                     "src=none bytes=600"));
    assert_int_equal(w.app_errors, 0);
    for (int mode = 1; mode <= 2; mode++)
        for (uint32_t seed = 1; seed <= 4; seed++) {
            apprun_msgs(&app_tls, m, sizeof(m) / sizeof(m[0]), mode, seed, seed * 3, &r);
            assert_string_equal(r.eve, w.eve);
            assert_string_equal(r.access, w.access);
            apprun_result_free(&r);
        }
    apprun_result_free(&w);
}

static void test_malformed(void **st)
{
    (void)st;
    /* the hello cut in its extensions, then a record that is not TLS */
    uint8_t bad[sizeof(hello)];
    memcpy(bad, hello, sizeof(hello));
    bad[sizeof(hello) - 24] = 0x40; /* SNI list length past the extension */
    const struct apprun_msg m[] = {{0, (const char *)bad, sizeof(bad)},
                                   {1, "HTTP/1.1 400 Bad Request\r\n", 0}};
    struct apprun_result r;
    apprun_msgs(&app_tls, m, 2, 0, 0, 0, &r);
    assert_non_null(strstr(r.eve, "invalid_record"));
    assert_int_equal(r.app_errors, 1);
    apprun_result_free(&r);
}

static void test_probe(void **st)
{
    (void)st;
    assert_int_equal(app_tls.probe(hello, sizeof(hello), FLOW_TOSERVER), APP_PROBE_YES);
    assert_int_equal(app_tls.probe(hello, 3, FLOW_TOSERVER), APP_PROBE_MORE);
    assert_int_equal(app_tls.probe(hello, sizeof(hello), FLOW_TOCLIENT), APP_PROBE_NO);
    assert_int_equal(app_tls.probe((const uint8_t *)"GET /", 5, FLOW_TOSERVER), APP_PROBE_NO);
    int more = 0;
    assert_ptr_equal(app_detect(IPPROTO_TCP, hello, sizeof(hello), FLOW_TOSERVER, &more), &app_tls);
}

int main(void)
{
    const struct CMUnitTest bytes[] = {
        cmocka_unit_test(test_hello_and_counts),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_probe),
    };
    const struct CMUnitTest captures[] = {
        cmocka_unit_test(test_ja4_capture),
    };
    int rc = cmocka_run_group_tests_name("tls-bytes", bytes, NULL, NULL);
    if (rc != 0)
        return rc;
    if (shared_dir() == NULL) {
        fprintf(stderr, "BW_SHARED not set: capture tests skipped\n");
        return 77;
    }
    return cmocka_run_group_tests_name("tls-captures", captures, NULL, NULL);
}

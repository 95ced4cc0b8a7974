/* Unit tests of the DNS parser: the shared captures (UDP and TCP) delivered
 * whole, a byte at a time and in random chunks give identical events with the
 * facts of pcaps-public/README.md; name decoding (pointer loops, forward
 * pointers, the 1025-character cut), registered domain and entropy helpers.
 * Exits 77 after the capture-free tests when ../shared is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/app-dns.h"
#include "sensor/dns-name.h"
#include "tests/lib/apprun.h"

static const char *shared_dir(void)
{
    const char *s = getenv("BW_SHARED");
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Runs both DNS transports over a capture with every chunking; TCP runs
 * must agree with each other. Returns the whole-delivery run of each. */
static void run_capture(const char *name, const char *file, struct apprun_result *udp,
                        struct apprun_result *tcp)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/pcaps-public/%s/%s", shared_dir(), name, file);
    assert_int_equal(apprun_pcap(path, &app_dns_udp, 0, 0, 0, udp), 0);
    assert_int_equal(apprun_pcap(path, &app_dns_tcp, 0, 0, 0, tcp), 0);
    struct apprun_result r;
    assert_int_equal(apprun_pcap(path, &app_dns_tcp, 1, 0, 0, &r), 0);
    assert_string_equal(r.eve, tcp->eve);
    assert_string_equal(r.access, tcp->access);
    apprun_result_free(&r);
    for (uint32_t seed = 1; seed <= 6; seed++) {
        assert_int_equal(apprun_pcap(path, &app_dns_tcp, 2, seed, seed * 7, &r), 0);
        assert_string_equal(r.eve, tcp->eve);
        assert_string_equal(r.access, tcp->access);
        apprun_result_free(&r);
    }
    assert_int_equal(tcp->over_pending, 0);
}

static void test_udp_answers(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-udp-eve-log-answer-only", "dns-udp-google.com-a-aaaa-mx.pcap", &u, &t);
    assert_int_equal(apprun_count(u.eve, "\"type\":\"answer\""), 3);
    assert_int_equal(apprun_count(u.eve, "\"rrtype\":\"A\",\"ttl\""), 12);
    assert_int_equal(apprun_count(u.eve, "\"rrtype\":\"AAAA\",\"ttl\""), 1);
    assert_non_null(strstr(u.eve, "\"rdata\":\"2607:f8b0:400f:801::200e\""));
    assert_int_equal(apprun_count(u.eve, "\"rrtype\":\"MX\",\"ttl\""), 5);
    assert_non_null(strstr(u.eve, "\"rdata\":\"aspmx.l.google.com\""));
    assert_int_equal(apprun_count(u.access, "ch=dns dir=1 "), 3);
    assert_int_equal(u.stats.errors, 0);
    assert_string_equal(t.eve, "");
    apprun_result_free(&u);
    apprun_result_free(&t);
}

static void test_udp_txt(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-udp-eve-txt", "input.pcap", &u, &t);
    assert_non_null(strstr(u.eve, "\"type\":\"query\",\"id\":28243,\"rrname\":\"google.com\","
                                  "\"rrtype\":\"TXT\""));
    assert_non_null(
        strstr(u.eve, "\"id\":39372,\"rrname\":\"textsecure-service-ca.whispersystems.org\""));
    assert_non_null(strstr(u.eve, "\"rrtype\":\"A\",\"ttl\":5,\"rdata\":\"34.197.178.240\""));
    assert_non_null(strstr(u.access, "dataset=whispersystems.org "
                                     "detail=textsecure-service-ca.whispersystems.org"));
    assert_non_null(strstr(u.access, "bytes=40 status=0 enc=0 qtype=1 nlen=40 lmax=21 labels=3"));
    apprun_result_free(&u);
    apprun_result_free(&t);
}

static void test_tcp(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-tcp-www-google-com", "dns.pcap", &u, &t);
    assert_int_equal(apprun_count(t.eve, "\"type\":\"query\""), 1);
    assert_int_equal(apprun_count(t.eve, "\"type\":\"answer\""), 1);
    assert_int_equal(apprun_count(t.eve, "\"rrname\":\"www.google.com\",\"rrtype\":\"A\",\"ttl\""),
                     12);
    apprun_result_free(&u);
    apprun_result_free(&t);
}

static void test_truncated_rname(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-truncated-rname", "poc2.pcap", &u, &t);
    const char *p = strstr(t.eve, "\"rrname\":\"");
    assert_non_null(p);
    p += strlen("\"rrname\":\"");
    const char *e = strchr(p, '"');
    assert_int_equal(e - p, 1025);
    assert_non_null(strstr(e, "\"rrname_truncated\":true"));
    assert_true(apprun_count(t.access, "ch=dns dir=1 ") > 0);
    /* the whole name's length, not the cut one */
    assert_non_null(strstr(t.access, "nlen=7761 lmax=30 labels=252"));
    apprun_result_free(&u);
    apprun_result_free(&t);
}

static void test_forward_pointer(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-forward-pointer", "input.pcap", &u, &t);
    assert_int_equal(apprun_count(u.eve,
                                  "\"type\":\"query\",\"id\":36356,\"rrname\":\"codemonkey.net\","
                                  "\"rrtype\":\"A\""),
                     2);
    assert_non_null(strstr(u.eve, "\"ttl\":300,\"rdata\":\"152.53.82.239\""));
    assert_int_equal(u.stats.errors, 0);
    apprun_result_free(&u);
    apprun_result_free(&t);
}

static void test_corrupt_additionals(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-corrupt-additionals", "input.pcap", &u, &t);
    assert_non_null(strstr(u.eve, "\"answers\":[{\"rrname\":\"_sip._udp.sip.voice.google.com\","
                                  "\"rrtype\":\"SRV\""));
    assert_non_null(strstr(u.eve, "\"malformed\":true"));
    assert_int_equal(u.stats.errors, 1);
    apprun_result_free(&u);
    apprun_result_free(&t);
}

static void test_incomplete(void **st)
{
    (void)st;
    struct apprun_result u, t;
    run_capture("sv-dns-incomplete", "input.pcap", &u, &t);
    assert_int_equal(
        apprun_count(t.eve, "\"type\":\"query\",\"id\":4146,\"rrname\":\"google.com\""), 1);
    assert_int_equal(t.app_errors, 0);
    apprun_result_free(&u);
    apprun_result_free(&t);
}

/* ---- helpers ---- */

static void test_name_loops(void **st)
{
    (void)st;
    struct dns_name n;
    /* header + pointer to itself */
    uint8_t self[14] = {0};
    self[12] = 0xC0;
    self[13] = 12;
    size_t off = 12;
    assert_int_equal(dns_name_read(self, sizeof(self), &off, &n), -1);
    /* two pointers to each other */
    uint8_t pair[16] = {0};
    pair[12] = 0xC0, pair[13] = 14, pair[14] = 0xC0, pair[15] = 12;
    off = 12;
    assert_int_equal(dns_name_read(pair, sizeof(pair), &off, &n), -1);
    /* pointer past the end, label past the end */
    uint8_t past[14] = {0};
    past[12] = 0xC0, past[13] = 200;
    off = 12;
    assert_int_equal(dns_name_read(past, sizeof(past), &off, &n), -1);
    uint8_t lab[15] = {0};
    lab[12] = 10, lab[13] = 'a', lab[14] = 'b';
    off = 12;
    assert_int_equal(dns_name_read(lab, sizeof(lab), &off, &n), -1);
    /* forward pointer: name at 12 points to 14 which holds "a.bc" */
    uint8_t fwd[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 14, 1, 'a', 2, 'b', 'c', 0};
    off = 12;
    assert_int_equal(dns_name_read(fwd, sizeof(fwd), &off, &n), 0);
    assert_int_equal(off, 14);
    assert_string_equal(n.s, "a.bc");
    assert_int_equal(n.labels, 2);
    assert_int_equal(n.label_max, 2);
    assert_int_equal(n.full_len, 4);
}

static void test_registered_domain(void **st)
{
    (void)st;
    const char *in[] = {"www.example.com", "a.b.example.co.uk", "example.com", "com",
                        "x.shop.com.cn.",  "q.example.de"};
    const char *want[] = {"example.com", "example.co.uk", "example.com",
                          "com",         "shop.com.cn",   "example.de"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        size_t off = dns_registered_domain(in[i], strlen(in[i]));
        size_t l = strlen(in[i]) - off;
        if (in[i][strlen(in[i]) - 1] == '.')
            l--;
        assert_int_equal(l, strlen(want[i]));
        assert_memory_equal(in[i] + off, want[i], l);
    }
    assert_true(dns_entropy("aaaa", 4) == 0.0);
    assert_true(dns_entropy("ab.ab", 5) == 1.0);
    assert_true(dns_entropy("0123456789abcdef", 16) == 4.0);
}

static void test_malformed_messages(void **st)
{
    (void)st;
    /* TCP: a message split in two deliveries, then a zero-length frame */
    const char q[] = "\x00\x1c\x11\x33\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                     "\x06google\x03net\x00\x00\x10\x00\x01";
    const struct apprun_msg m[] = {{0, q, 10}, {0, q + 10, 20}, {0, "\x00\x00", 2}};
    struct apprun_result r;
    apprun_msgs(&app_dns_tcp, m, 3, 0, 0, 0, &r);
    assert_int_equal(apprun_count(r.eve, "\"rrname\":\"google.net\""), 1);
    assert_int_equal(r.app_errors, 1);
    apprun_result_free(&r);
    /* UDP: truncated header, bad question: counted, no event, no stop */
    const struct apprun_msg u[] = {{0, "\x01\x02\x03", 3},
                                   {0, "\x11\x33\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f", 13},
                                   {0, q + 2, 28}};
    apprun_msgs(&app_dns_udp, u, 3, 0, 0, 0, &r);
    assert_int_equal(r.stats.errors, 2);
    assert_int_equal(apprun_count(r.eve, "\"type\":\"query\""), 1);
    apprun_result_free(&r);
}

static void test_probe(void **st)
{
    (void)st;
    const uint8_t q[] = {0x11, 0x33, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                         0x00, 0x00, 6,    'g',  'o',  'o',  'g',  'l',  'e',  3,
                         'n',  'e',  't',  0,    0x00, 0x10, 0x00, 0x01};
    assert_int_equal(app_dns_udp.probe(q, sizeof(q), FLOW_TOSERVER), APP_PROBE_YES);
    assert_int_equal(app_dns_udp.probe(q, sizeof(q), FLOW_TOCLIENT), APP_PROBE_NO);
    assert_int_equal(app_dns_udp.probe(q, 20, FLOW_TOSERVER), APP_PROBE_NO);
    uint8_t t[2 + sizeof(q)] = {0, sizeof(q)};
    memcpy(t + 2, q, sizeof(q));
    assert_int_equal(app_dns_tcp.probe(t, sizeof(t), FLOW_TOSERVER), APP_PROBE_YES);
    assert_int_equal(app_dns_tcp.probe(t, 16, FLOW_TOSERVER), APP_PROBE_MORE);
    assert_int_equal(app_dns_tcp.probe((const uint8_t *)"GET / HTTP/1.1", 14, FLOW_TOSERVER),
                     APP_PROBE_NO);
}

int main(void)
{
    const struct CMUnitTest bytes[] = {
        cmocka_unit_test(test_name_loops),
        cmocka_unit_test(test_registered_domain),
        cmocka_unit_test(test_malformed_messages),
        cmocka_unit_test(test_probe),
    };
    const struct CMUnitTest captures[] = {
        cmocka_unit_test(test_udp_answers),
        cmocka_unit_test(test_udp_txt),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_truncated_rname),
        cmocka_unit_test(test_forward_pointer),
        cmocka_unit_test(test_corrupt_additionals),
        cmocka_unit_test(test_incomplete),
    };
    int rc = cmocka_run_group_tests_name("dns-bytes", bytes, NULL, NULL);
    if (rc != 0)
        return rc;
    if (shared_dir() == NULL) {
        fprintf(stderr, "BW_SHARED not set: capture tests skipped\n");
        return 77;
    }
    return cmocka_run_group_tests_name("dns-captures", captures, NULL, NULL);
}

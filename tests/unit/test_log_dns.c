/* Resolver query logs recorded from dnsmasq 2.90 and BIND 9.18. */
#include "tests/unit/log_test.h"

static void dnsmasq(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    char ip[64];
    lt_run_file("dnsmasq", NULL, "tests/data/logs/dnsmasq.log", &e, &st);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.lines, 13);
    assert_int_equal(e.n, 4);
    assert_int_equal(st.skipped, 9);
    assert_string_equal(lt_ip(&e.ev[0], ip), "127.0.0.1");
    assert_string_equal(e.ev[0].dataset, "example.com");
    assert_string_equal(e.ev[1].dataset, "example.net");
    assert_string_equal(e.ev[1].detail, "aGVsbG8gd29ybGQgdGhpcyBpcw.tunnel.example.net");
    assert_int_equal(e.ev[1].dns_label_max, 26);
    assert_int_equal(e.ev[1].dns_labels, 4);
    assert_true(e.ev[1].dns_entropy > 3.5);
    assert_true(e.ev[0].dns_entropy < 3.0);
    assert_int_equal(e.ev[3].dns_qtype, 16);
    assert_int_equal(e.ev[1].direction, ACCESS_SEND);
    /* syslog time has no year: the reference (2026-12-01) gives it */
    assert_true(e.ev[0].ts_us >= lt_time("2026-12-01T08:09:00+0000"));
    assert_true(e.ev[0].ts_us < lt_time("2026-12-01T08:10:00+0000"));
}

static void dnsmasq_extra(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *l = "Dec  1 08:04:52 gw dnsmasq[99]: 12 10.0.0.8/40000 query[AAAA] x.example.com "
                    "from 10.0.0.8\n"
                    "garbage\n";
    lt_run_buf("dnsmasq", NULL, l, strlen(l), &e, &st);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.ev[0].dns_qtype, 28);
    assert_int_equal(st.bad, 1);
}

static void bind_query(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    lt_run_file("bind", NULL, "tests/data/logs/bind-query.log", &e, &st);
    assert_int_equal(st.bad, 0);
    assert_int_equal(e.n, 3);
    assert_string_equal(e.ev[0].dataset, "example.org");
    assert_true(e.ev[0].actor_port > 0);
    assert_int_equal(e.ev[2].dns_qtype, 16);
    assert_string_equal(e.ev[1].detail, "dGhpcyBpcyBleGZpbHRyYXRlZA.example.org");
    assert_int_equal(e.ev[0].ts_us % 1000000 / 1000 > 0 || e.ev[1].ts_us % 1000000 > 0, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dnsmasq),
        cmocka_unit_test(dnsmasq_extra),
        cmocka_unit_test(bind_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

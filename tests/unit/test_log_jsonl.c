/* Generic JSON lines with a field mapping. */
#include "tests/unit/log_test.h"

static void mapping(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    char ip[64];
    const char *y = "mapping: {ip: req.client, user: auth.user, uri: req.path, records: rows, "
                    "bytes: resp.size, time: ts, status: resp.code}\n";
    const char *l =
        "{\"ts\":\"2026-12-01T07:51:33.5Z\",\"req\":{\"client\":\"203.0.113.9\",\"path\":"
        "\"/api/customers/17?x=1\"},\"auth\":{\"user\":\"eve\"},\"rows\":50,\"resp\":{\"size\":"
        "\"4096\",\"code\":200}}\n"
        "{\"ts\":1796111493.25,\"req\":{\"client\":\"2001:db8::1\"}}\n"
        "{\"ts\":\"yesterday\"}\n"
        "{\"rows\":-1}\n"
        "[\"array\"]\n"
        "\n";
    lt_run_buf("jsonl", y, l, strlen(l), &e, &st);
    assert_int_equal(e.n, 2);
    assert_int_equal(st.bad, 3);
    assert_int_equal(st.skipped, 1);
    assert_string_equal(lt_ip(&e.ev[0], ip), "203.0.113.9");
    assert_string_equal(e.ev[0].actor_user, "eve");
    assert_string_equal(e.ev[0].dataset, "/api/customers/{n}");
    assert_int_equal(e.ev[0].records, 50);
    assert_int_equal(e.ev[0].records_src, ACCESS_REC_LOG);
    assert_int_equal(e.ev[0].bytes, 4096);
    assert_int_equal(e.ev[0].status, 200);
    assert_true(e.ev[0].ts_us == lt_time("2026-12-01T07:51:33.5Z"));
    assert_true(e.ev[1].ts_us == 1796111493250000LL);
    assert_string_equal(lt_ip(&e.ev[1], ip), "2001:db8::1");
}

static void bad_mapping(void **state)
{
    (void)state;
    struct bw_ydoc doc = {0};
    struct bw_err err = {0};
    const char *y = "mapping: {ip: a, colour: b}\n";
    assert_int_equal(bw_ydoc_load_mem(&doc, "t", y, strlen(y), &err), 0);
    struct log_fmt_cfg cfg = {.doc = &doc, .src = doc.root};
    struct log_parser p;
    assert_int_equal(log_parser_init(&p, "jsonl", &cfg, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "colour"));
    assert_int_equal(err.line, 1);
    bw_ydoc_fini(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mapping),
        cmocka_unit_test(bad_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

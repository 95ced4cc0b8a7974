/* nginx/Apache access log parser on lines recorded from nginx 1.22. */
#include "tests/unit/log_test.h"

#define D "tests/data/logs/"

static void combined(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    char ip[64];
    lt_run_file("nginx", NULL, D "nginx-combined.log", &e, &st);
    assert_int_equal(st.lines, 9);
    assert_int_equal(st.entries, 9);
    assert_int_equal(st.bad, 0);
    assert_int_equal(e.n, 9);
    assert_string_equal(e.ev[0].format, "nginx");
    assert_string_equal(lt_ip(&e.ev[0], ip), "127.0.0.1");
    assert_string_equal(e.ev[0].dataset, "/api/customers/{n}");
    assert_string_equal(e.ev[1].dataset, "/api/customers/{n}"); /* query string dropped */
    assert_string_equal(e.ev[1].detail, "/api/customers/2?fields=email");
    assert_string_equal(e.ev[3].dataset, "/api/customers/index.json");
    assert_string_equal(e.ev[4].dataset, "/api/orders/{uuid}");
    assert_int_equal(e.ev[4].status, 404);
    assert_string_equal(e.ev[5].actor_user, "alice");
    assert_int_equal(e.ev[6].status, 401);
    assert_int_equal(e.ev[0].bytes, 34);
    assert_int_equal(e.ev[0].records_src, ACCESS_REC_NONE);
    assert_true(e.ev[0].ts_us == lt_time("2026-12-01T08:09:21+0000"));
    /* "GARBAGE" sent to the port is still a request (400), with no endpoint. */
    assert_int_equal(e.ev[8].status, 400);
    assert_string_equal(e.ev[8].dataset, "");
    assert_int_equal(e.bytes, 34 * 3 + 20 + 153 * 2 + 179 + 157 * 2);
}

static void extra_fields_tolerated(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    /* combined + $request_time $bytes_sent appended, read with the default format */
    lt_run_file("nginx", NULL, D "nginx-timed.log", &e, &st);
    assert_int_equal(st.entries, 9);
    assert_int_equal(st.bad, 0);
    assert_int_equal(e.ev[2].bytes, 34);
    assert_string_equal(e.ev[2].dataset, "/api/customers/{n}");
}

static void custom_log_format(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *y = "log_format: '$time_iso8601 $remote_addr:$remote_port \"$request_method "
                    "$request_uri\" $status $bytes_sent $request_time \"$http_user_agent\"'\n";
    lt_run_file("nginx", y, D "nginx-custom.log", &e, &st);
    assert_int_equal(st.entries, 9);
    assert_int_equal(st.bad, 0);
    assert_int_equal(e.ev[0].bytes, 271);
    assert_true(e.ev[0].actor_port > 1024);
    assert_string_equal(e.ev[4].dataset, "/api/orders/{uuid}");
    assert_true(e.ev[0].ts_us == lt_time("2026-12-01T08:09:21+00:00"));
    /* The same log read with the combined format is all bad lines, sampled. */
    lt_run_file("nginx", NULL, D "nginx-custom.log", &e, &st);
    assert_int_equal(st.bad, 9);
    assert_int_equal(st.bad_sample_line, 1);
    assert_true(strncmp(st.bad_sample, "2026-12-01T08:09:21+00:00 127.0.0.1:", 36) == 0);
}

static void apache_common(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *l = "10.1.2.3 - bob [10/Oct/2026:13:55:36 -0700] \"GET /api/customers/42 "
                    "HTTP/1.0\" 200 2326\n"
                    "10.1.2.3 - - [10/Oct/2026:13:55:37 -0700] \"GET / HTTP/1.0\" 304 -\n";
    lt_run_buf("apache", NULL, l, strlen(l), &e, &st);
    assert_int_equal(st.entries, 2);
    assert_string_equal(e.ev[0].format, "apache");
    assert_string_equal(e.ev[0].actor_user, "bob");
    assert_int_equal(e.ev[0].bytes, 2326);
    assert_int_equal(e.ev[1].bytes, 0);
    assert_true(e.ev[0].ts_us == lt_time("2026-10-10T20:55:36+0000"));
}

static void malformed(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *l =
        "not a log line\n"
        "999.1.1.1 - - [01/Dec/2026:08:09:21 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n"
        "127.0.0.1 - - [41/Dec/2026:08:09:21 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n"
        "127.0.0.1 - - [01/Dec/2026:08:09:21 +0000] \"GET / HTTP/1.1\" abc 1 \"-\" \"-\"\n"
        "127.0.0.1 - - [01/Dec/2026:08:09:21 +0000] \"GET / HTTP/1.1\n";
    lt_run_buf("nginx", NULL, l, strlen(l), &e, &st);
    assert_int_equal(st.lines, 5);
    assert_int_equal(st.bad, 5);
    assert_int_equal(st.entries, 0);
    assert_string_equal(st.bad_sample, "not a log line");
}

static void bad_config(void **state)
{
    (void)state;
    struct bw_ydoc doc = {0};
    struct bw_err err = {0};
    const char *y = "log_format: '$remote_addr$remote_user'\n";
    assert_int_equal(bw_ydoc_load_mem(&doc, "t", y, strlen(y), &err), 0);
    struct log_fmt_cfg cfg = {.doc = &doc, .src = doc.root};
    struct log_parser p;
    assert_int_equal(log_parser_init(&p, "nginx", &cfg, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "separator"));
    bw_ydoc_fini(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(combined),          cmocka_unit_test(extra_fields_tolerated),
        cmocka_unit_test(custom_log_format), cmocka_unit_test(apache_common),
        cmocka_unit_test(malformed),         cmocka_unit_test(bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

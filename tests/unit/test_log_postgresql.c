/* PostgreSQL stderr, csvlog and jsonlog parsers on logs recorded from
 * PostgreSQL 15 (all three destinations of the same session). */
#include "tests/unit/log_test.h"

#define D "tests/data/logs/"

/* The 15 statements of the recorded session, in every destination. */
static void check_session(const struct lt_events *e, const char *format)
{
    assert_int_equal(e->n, 15);
    assert_string_equal(e->ev[0].format, format);
    assert_string_equal(e->ev[0].actor_user, "postgres");
    assert_string_equal(e->ev[0].detail, "create database shop");
    assert_string_equal(e->ev[4].dataset, "public.customers");
    assert_string_equal(e->ev[4].detail, "select id, email from customers where id < 20;");
    /* a statement continued on tab-indented lines */
    assert_string_equal(e->ev[5].detail, "select c.id from customers c where c.email like '%7%';");
    assert_string_equal(e->ev[6].dataset, "public.customers");
    assert_string_equal(e->ev[14].dataset, "public.nonexistent");
    assert_int_equal(e->ev[4].records_src, ACCESS_REC_NONE);
}

static void stderr_debian_prefix(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    /* no prefix configured: PostgreSQL's default, then Debian's */
    lt_run_file("postgresql", NULL, D "postgresql-stderr.log", &e, &st);
    assert_int_equal(st.bad, 0);
    check_session(&e, "postgresql");
    assert_int_equal(e.ev[0].actor_ip.family, 0); /* %h is not in the prefix */
    int64_t t0 = e.ev[0].ts_us;
    /* the same with the prefix given explicitly */
    lt_run_file("postgresql", "log_line_prefix: '%m [%p] %q%u@%d '\n", D "postgresql-stderr.log",
                &e, &st);
    assert_int_equal(st.bad, 0);
    check_session(&e, "postgresql");
    assert_true(e.ev[0].ts_us == t0);
    /* a prefix that does not match the log: every line bad */
    lt_run_file("postgresql", "log_line_prefix: '%t:%r:%u@%d:[%p]: '\n", D "postgresql-stderr.log",
                &e, &st);
    assert_int_equal(e.n, 0);
    assert_true(st.bad > 20);
}

static void stderr_prefixes(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    char ip[64];
    const char *l =
        "2026-12-01 07:51:33 UTC:10.0.0.5(53211):app@crm:[4242]: LOG:  duration: "
        "12.5 ms  statement: SELECT * FROM crm.customers\n"
        "2026-12-01 07:51:34 UTC:10.0.0.5(53211):app@crm:[4242]: LOG:  execute "
        "<unnamed>: select email from \"Customers\" where id = $1\n"
        "2026-12-01 07:51:35 UTC:10.0.0.5(53211):app@crm:[4242]: LOG:  duration: 0.1 ms\n"
        "\tstray continuation\n";
    lt_run_buf("postgresql", "log_line_prefix: '%t:%r:%u@%d:[%p]: '\n", l, strlen(l), &e, &st);
    assert_int_equal(e.n, 2);
    assert_string_equal(lt_ip(&e.ev[0], ip), "10.0.0.5");
    assert_int_equal(e.ev[0].actor_port, 53211);
    assert_string_equal(e.ev[0].actor_user, "app");
    assert_string_equal(e.ev[0].dataset, "crm.customers");
    assert_string_equal(e.ev[1].dataset, "public.Customers");
    assert_true(e.ev[0].ts_us == lt_time("2026-12-01T07:51:33+0000"));
    /* the continuation belongs to the duration message: not bad */
    assert_int_equal(st.bad, 0);
    const char *stray = "\tno message before\n";
    lt_run_buf("postgresql", NULL, stray, strlen(stray), &e, &st);
    assert_int_equal(st.bad, 1);
}

static void csvlog(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    char ip[64];
    lt_run_file("postgresql-csv", NULL, D "postgresql.csv", &e, &st);
    assert_int_equal(st.bad, 0);
    check_session(&e, "postgresql-csv");
    assert_string_equal(lt_ip(&e.ev[0], ip), "127.0.0.1");
    assert_true(e.ev[0].actor_port > 0);
}

static void jsonlog(void **state)
{
    (void)state;
    struct lt_events e, c;
    struct log_stats st;
    lt_run_file("postgresql-json", NULL, D "postgresql.json", &e, &st);
    assert_int_equal(st.bad, 0);
    check_session(&e, "postgresql-json");
    /* the three destinations agree on time and actor */
    lt_run_file("postgresql-csv", NULL, D "postgresql.csv", &c, &st);
    for (int i = 0; i < 15; i++) {
        assert_true(e.ev[i].ts_us == c.ev[i].ts_us);
        assert_int_equal(e.ev[i].actor_port, c.ev[i].actor_port);
        assert_string_equal(e.ev[i].dataset, c.ev[i].dataset);
    }
    const char *bad = "{\"timestamp\": 5}\n{not json\n[1,2]\n";
    lt_run_buf("postgresql-json", NULL, bad, strlen(bad), &e, &st);
    assert_int_equal(st.bad, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stderr_debian_prefix),
        cmocka_unit_test(stderr_prefixes),
        cmocka_unit_test(csvlog),
        cmocka_unit_test(jsonlog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* MariaDB/MySQL slow query log parser on a log recorded from MariaDB 10.11. */
#include "tests/unit/log_test.h"

static void mariadb_recorded(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    char ip[64];
    lt_run_file("mysql-slow", NULL, "tests/data/logs/mariadb-slow.log", &e, &st);
    assert_int_equal(st.bad, 0);
    assert_int_equal(st.skipped, 3); /* the banner */
    assert_int_equal(e.n, 9);
    assert_int_equal(e.records, 3 + 2 + 1 + 1 + 3); /* Rows_sent summed */
    assert_int_equal(e.bytes, 745);                 /* Bytes_sent summed */
    /* `# Time:` appears once and is carried forward; SET timestamp agrees. */
    for (int i = 0; i < e.n; i++)
        assert_true(e.ev[i].ts_us == lt_time("2026-12-01T08:09:28+0000"));
    assert_string_equal(e.ev[0].actor_user, "root");
    assert_string_equal(e.ev[3].dataset, "shop.customers"); /* Schema: shop */
    assert_int_equal(e.ev[3].records, 3);
    assert_int_equal(e.ev[3].records_src, ACCESS_REC_ROWS);
    assert_int_equal(e.ev[3].bytes, 178);
    /* the multi-line statement is one entry */
    assert_string_equal(e.ev[6].detail, "select c.id, c.email from customers c where c.id = 2;");
    assert_string_equal(e.ev[6].dataset, "shop.customers");
    /* the TCP client carries its address */
    assert_string_equal(lt_ip(&e.ev[7], ip), "127.0.0.1");
    assert_int_equal(e.ev[3].actor_ip.family, 0);
}

static void mysql8_layout(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *l =
        "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n"
        "Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n"
        "Time                 Id Command    Argument\n"
        "# Time: 2026-12-01T07:51:33.123456Z\n"
        "# User@Host: app[app] @  [10.0.0.7]  Id:     8\n"
        "# Query_time: 0.002213  Lock_time: 0.000003 Rows_sent: 20000  Rows_examined: 20000\n"
        "use crm;\n"
        "SET timestamp=1796111493;\n"
        "SELECT * FROM `Customers` c JOIN crm.orders o ON o.cid = c.id;\n"
        "# Time: 2026-12-01T07:51:34.000001Z\n"
        "# User@Host: app[app] @  [10.0.0.7]  Id:     8\n"
        "# Query_time: 0.1  Lock_time: 0.0 Rows_sent: 5  Rows_examined: 5\n"
        "SET timestamp=1796111494;\n"
        "select id from t\n";
    lt_run_buf("mysql-slow", NULL, l, strlen(l), &e, &st);
    assert_int_equal(st.bad, 0);
    assert_int_equal(e.n, 2);
    assert_true(e.ev[0].ts_us == lt_time("2026-12-01T07:51:33.123456Z"));
    assert_string_equal(e.ev[0].actor_user, "app");
    assert_string_equal(e.ev[0].dataset, "crm.Customers");
    assert_int_equal(e.ev[0].records, 20000);
    /* no terminating ';': completed at end of input */
    assert_int_equal(e.ev[1].records, 5);
    assert_string_equal(e.ev[1].dataset, "t");
}

static void malformed(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *l = "select 1;\n"
                    "# Time: 26x201  8:09:28\n"
                    "# User@Host: nobrackets\n";
    lt_run_buf("mysql-slow", NULL, l, strlen(l), &e, &st);
    assert_int_equal(st.bad, 3);
    assert_int_equal(e.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mariadb_recorded),
        cmocka_unit_test(mysql8_layout),
        cmocka_unit_test(malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

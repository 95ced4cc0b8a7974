/* SQL table extraction and URI folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/sql-tables.h"
#include "sensor/uri-fold.h"

static int tables(const char *sql, const char *schema, char out[][SQL_TABLE_NAME_MAX])
{
    struct sql_tables t;
    sql_tables_extract(sql, strlen(sql), schema, 1, &t);
    for (unsigned i = 0; i < t.n; i++)
        memcpy(out[i], t.name[i], SQL_TABLE_NAME_MAX);
    return (int)t.n;
}

static void extraction(void **state)
{
    (void)state;
    char t[8][SQL_TABLE_NAME_MAX];
    assert_int_equal(tables("SELECT * FROM customers", "public", t), 1);
    assert_string_equal(t[0], "public.customers");
    assert_int_equal(tables("select a from Shop.Customers c join \"Order Items\" oi on x, "
                            "t3 where y in (select z from s.t4)",
                            NULL, t),
                     3);
    assert_string_equal(t[0], "shop.customers");
    assert_string_equal(t[1], "Order Items");
    assert_string_equal(t[2], "s.t4");
    assert_int_equal(tables("SELECT * FROM a AS x, b y, `c`", "db", t), 3);
    assert_string_equal(t[1], "db.b");
    assert_string_equal(t[2], "db.c");
    assert_int_equal(tables("insert into log(a) values ('from secret')", NULL, t), 1);
    assert_string_equal(t[0], "log");
    assert_int_equal(tables("UPDATE ONLY accounts SET x = 1", NULL, t), 1);
    assert_string_equal(t[0], "accounts");
    assert_int_equal(tables("COPY public.customers (id, email) TO STDOUT", NULL, t), 1);
    assert_string_equal(t[0], "public.customers");
    assert_int_equal(tables("COPY (SELECT * FROM x) TO STDOUT", NULL, t), 1);
    assert_string_equal(t[0], "x");
    assert_int_equal(tables("select extract(year from ts) from generate_series(1,2), e", NULL, t),
                     1);
    assert_string_equal(t[0], "e");
    assert_int_equal(tables("select 1 -- from nothing\n /* from x */ ", NULL, t), 0);
    assert_int_equal(tables("select $$ from y $$, 'it''s from z'", NULL, t), 0);
    assert_int_equal(tables("TABLE customers", NULL, t), 1);
    assert_int_equal(tables("DELETE FROM a.b.c", NULL, t), 1);
    assert_string_equal(t[0], "b.c");
    assert_int_equal(tables("select * from customers c join customers d", NULL, t), 1);
    assert_int_equal(tables("select \"unterminated from", NULL, t), 0);
}

static void folding(void **state)
{
    (void)state;
    char o[64];
    const char *p = "/api/customers/123/orders/9f1c2a7e-3b4d-4c5e-8f90-123456789abc?x=1#f";
    uri_fold(p, strlen(p), o, sizeof(o));
    assert_string_equal(o, "/api/customers/{n}/orders/{uuid}");
    p = "/t/0123456789abcdef0123/deadbeefcafe/";
    uri_fold(p, strlen(p), o, sizeof(o));
    assert_string_equal(o, "/t/{hex}/deadbeefcafe/");
    p = "http://example.com:8080/a/7";
    uri_fold(p, strlen(p), o, sizeof(o));
    assert_string_equal(o, "/a/{n}");
    uri_fold("?q", 2, o, sizeof(o));
    assert_string_equal(o, "/");
    char small[6];
    assert_int_equal(uri_fold("/abcdefgh", 9, small, sizeof(small)), 5);
    assert_string_equal(small, "/abcd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extraction),
        cmocka_unit_test(folding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* pgaudit session audit lines in a PostgreSQL 15 log recorded with
 * pgaudit.log = 'read,write', pgaudit.log_rows on then off. */
#include "tests/unit/log_test.h"

static void recorded(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    lt_run_file("pgaudit", NULL, "tests/data/logs/postgresql-stderr.log", &e, &st);
    assert_int_equal(st.bad, 0);
    assert_int_equal(e.n, 4);
    assert_int_equal(e.ev[0].records, 25); /* log_rows on */
    assert_int_equal(e.ev[0].records_src, ACCESS_REC_LOG);
    assert_string_equal(e.ev[0].dataset, "public.customers");
    assert_int_equal(e.ev[1].records, 1);
    assert_int_equal(e.ev[1].direction, ACCESS_SEND); /* WRITE */
    assert_int_equal(e.ev[2].records, 0);             /* log_rows off */
    assert_int_equal(e.ev[2].records_src, ACCESS_REC_NONE);
    /* a quoted statement spanning lines */
    assert_string_equal(e.ev[3].detail,
                        "select 'multi line literal', id from customers where id = 1;");
    assert_int_equal(e.records, 26);
}

static void object_names_and_dedup(void **state)
{
    (void)state;
    struct lt_events e;
    struct log_stats st;
    const char *l =
        "2026-12-01 07:51:33.100 UTC [77] app@crm LOG:  AUDIT: SESSION,5,1,READ,SELECT,TABLE,"
        "crm.customers,\"select * from customers c join orders o on o.c=c.id\",<none>,900\n"
        "2026-12-01 07:51:33.100 UTC [77] app@crm LOG:  AUDIT: SESSION,5,1,READ,SELECT,TABLE,"
        "crm.orders,\"select * from customers c join orders o on o.c=c.id\",<none>,900\n"
        "2026-12-01 07:51:33.200 UTC [77] app@crm LOG:  AUDIT: SESSION,6,1,READ,SELECT\n"
        "2026-12-01 07:51:33.300 UTC [77] app@crm LOG:  AUDIT: "
        "SESSION,x,1,READ,SELECT,,,s,<none>\n";
    lt_run_buf("pgaudit", NULL, l, strlen(l), &e, &st);
    assert_int_equal(e.n, 1); /* one statement, two relations */
    assert_string_equal(e.ev[0].dataset, "crm.customers");
    assert_int_equal(e.ev[0].records, 900);
    assert_string_equal(e.ev[0].actor_user, "app");
    assert_int_equal(st.bad, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recorded),
        cmocka_unit_test(object_names_and_dedup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

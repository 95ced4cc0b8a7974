/* Unit tests for sensor/inventory.c and sensor/dataclass.c: the shipped
 * config files load, lookups by table, endpoint and share, and every bad
 * input is reported at its file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/dataclass.h"
#include "sensor/inventory.h"

static void test_shipped_configs(void **state)
{
    (void)state;
    static struct dataclass_set dc;
    struct inventory inv;
    struct bw_err err;
    assert_int_equal(dataclass_load(&dc, "config/data-classes.yaml", &err), 0);
    assert_int_equal(dataclass_of_type(&dc, PII_CN_RESIDENT_ID)->sens, DATACLASS_HIGH);
    assert_int_equal(dataclass_of_type(&dc, PII_CARD)->sens, DATACLASS_HIGH);
    assert_int_equal(dataclass_of_type(&dc, PII_EMAIL)->sens, DATACLASS_MEDIUM);
    assert_int_equal(dataclass_find(&dc, "technical")->sens, DATACLASS_LOW);
    /* the scanner's built-in category names agree with the file */
    for (int t = 0; t < PII_TYPE_MAX; t++)
        assert_string_equal(dataclass_of_type(&dc, t)->name, pii_type_category(t));
    assert_string_equal(dataclass_sens_name(DATACLASS_MEDIUM), "medium");

    assert_int_equal(inventory_load(&inv, "config/inventory.yaml", &dc, &err), 0);
    const struct inventory_dataset *d = inventory_find_table(&inv, "public.customers");
    assert_non_null(d);
    assert_string_equal(d->id, "customers");
    assert_true(d->subjects == 10000);
    assert_false(d->encrypted_at_rest);
    assert_int_equal(d->njur, 5);
    assert_string_equal(d->jur[0].country, "CN");
    assert_true(d->jur[0].share > 0.49 && d->jur[0].share < 0.51);
    assert_ptr_equal(inventory_find_table(&inv, "SHOP.Customers"), d);
    assert_ptr_equal(inventory_find_table(&inv, "customers"), d);
    assert_null(inventory_find_table(&inv, "public.orders"));
    assert_ptr_equal(inventory_find_endpoint(&inv, "/api/customers/42"), d);
    assert_ptr_equal(inventory_find_endpoint(&inv, "/api/customers?page=3"), d);
    assert_ptr_equal(inventory_find_endpoint(&inv, "/api/customers/"), d);
    assert_null(inventory_find_endpoint(&inv, "/api/customers/abc"));
    assert_null(inventory_find_endpoint(&inv, "/api/customers/42/orders"));
    assert_ptr_equal(inventory_find(&inv, "customers"), d);
    inventory_fini(&inv);
}

static void test_patterns(void **state)
{
    (void)state;
    assert_true(inventory_endpoint_match("/a/{n}/b", "/a/7/b"));
    assert_false(inventory_endpoint_match("/a/{n}/b", "/a//b"));
    assert_true(inventory_endpoint_match("/a/{s}", "/a/x-y"));
    assert_true(inventory_endpoint_match("/files/*", "/files/x/y/z"));
    assert_false(inventory_endpoint_match("/files/*", "/filesx"));
    static const char shares[] = "datasets:\n"
                                 "  - id: hr\n"
                                 "    shares: [//fs01/hr/]\n";
    struct inventory inv;
    struct bw_err err;
    assert_int_equal(inventory_load_mem(&inv, "s.yaml", shares, sizeof(shares) - 1, NULL, &err), 0);
    assert_non_null(inventory_find_share(&inv, "//fs01/hr/payroll.xlsx"));
    assert_non_null(inventory_find_share(&inv, "//fs01/hr"));
    assert_null(inventory_find_share(&inv, "//fs01/hrx/a"));
    inventory_fini(&inv);
}

struct bad {
    const char *yaml;
    const char *where; /* "file:line:col" prefix of the message */
    const char *what;  /* part of the message */
};

static void test_inventory_errors(void **state)
{
    (void)state;
    static struct dataclass_set dc;
    struct bw_err err;
    assert_int_equal(dataclass_load(&dc, "config/data-classes.yaml", &err), 0);
    static const struct bad bad[] = {
        {"datasets:\n  - id: a\n    tables: [t]\n    color: red\n", "i.yaml:4:5", "unknown key"},
        {"datasets:\n  - tables: [t]\n", "i.yaml:2:5", "missing key 'id'"},
        {"datasets:\n  - id: a\n    tables: [t]\n    jurisdictions: {CN: 0.7, US: 0.5}\n",
         "i.yaml:4:20", "add up to 1.200"},
        {"datasets:\n  - id: a\n    tables: [t]\n    jurisdictions: {China: 1}\n", "i.yaml:4:21",
         "country code"},
        {"datasets:\n  - id: a\n    tables: [t]\n    jurisdictions: {CN: 2}\n", "i.yaml:4:25",
         "expected a number in 0..1"},
        {"datasets:\n  - id: a\n    tables: [t]\n    categories: [contact, health]\n",
         "i.yaml:4:27", "unknown category 'health'"},
        {"datasets:\n  - id: a\n    endpoints: [\"/x/{id}\"]\n", "i.yaml:3:17", "placeholders"},
        {"datasets:\n  - id: a\n    endpoints: [x]\n", "i.yaml:3:17", "must start with '/'"},
        {"datasets:\n  - id: a\n    tables: [t]\n    subjects: many\n", "i.yaml:4:15",
         "expected an integer"},
        {"datasets:\n  - id: a\n    tables: [t]\n    encrypted_at_rest: maybe\n", "i.yaml:4:24",
         ""},
        {"datasets:\n  - id: a\n    tables: [t]\n  - id: a\n    tables: [u]\n", "i.yaml:4:9",
         "defined twice"},
        {"datasets:\n  - id: a\n", "i.yaml:2:5", "no tables, endpoints or shares"},
        {"datasets: {}\n", "i.yaml:1:11", "expected a sequence"},
        {"dataset: []\n", "i.yaml:1:1", "unknown key"},
        {"datasets:\n  - id: [a\n", "i.yaml:", ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct inventory inv;
        bw_err_clear(&err);
        int rc = inventory_load_mem(&inv, "i.yaml", bad[i].yaml, strlen(bad[i].yaml), &dc, &err);
        if (rc != -1 || strncmp(err.msg, bad[i].where, strlen(bad[i].where)) != 0 ||
            strstr(err.msg, bad[i].what) == NULL)
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.msg);
        assert_null(inv.ds);
    }
}

static void test_dataclass_errors(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"categories:\n  x:\n    class: severe\n", "d.yaml:3:12", "expected high, medium or low"},
        {"categories:\n  x:\n    class: high\n    pii_types: [email, dna]\n", "d.yaml:4:24",
         "unknown PII type 'dna'"},
        {"categories:\n  x:\n    class: high\n    pii_types: [email]\n"
         "  y:\n    class: low\n    pii_types: [email]\n",
         "d.yaml:7:17", "already in category 'x'"},
        {"categories:\n  x:\n    class: high\n    pii_types: [email]\n", "d.yaml:2:3",
         "is in no category"},
        {"categories:\n  x:\n    pii_types: []\n", "d.yaml:3:5", "missing key 'class'"},
        {"classes:\n  urgent: {}\ncategories: {}\n", "d.yaml:2:3", "class 'urgent'"},
        {"", "d.yaml:1:1", "empty"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        static struct dataclass_set dc;
        struct bw_err err;
        bw_err_clear(&err);
        int rc = dataclass_load_mem(&dc, "d.yaml", bad[i].yaml, strlen(bad[i].yaml), &err);
        if (rc != -1 || strncmp(err.msg, bad[i].where, strlen(bad[i].where)) != 0 ||
            strstr(err.msg, bad[i].what) == NULL)
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_configs),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_inventory_errors),
        cmocka_unit_test(test_dataclass_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

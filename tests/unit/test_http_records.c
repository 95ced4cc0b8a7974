/* Unit tests for the records the data inventory gives HTTP reads
 * (inventory_http_records / inventory_apply_http): the recorded nginx log
 * (pcaps/logs/nginx-access.log) through the nginx parser and the shipped
 * inventory gives the truth file's records per client; a record size gives
 * ACCESS_REC_BYTES; counted rows and failed requests are left alone; bad
 * endpoint entries are reported at file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/inventory.h"
#include "sensor/logsrc.h"

struct sums {
    const struct inventory *inv;
    uint64_t records[2], requests[2], by_src[8];
};

static void on_entry(void *ctx, struct bw_access *ev)
{
    struct sums *s = ctx;
    char ip[BW_ADDR_STRLEN];
    (void)inventory_apply_http(s->inv, ev);
    int k = strcmp(bw_addr_fmt(&ev->actor_ip, ip), "81.2.69.142") == 0 ? 0 : 1;
    s->records[k] += ev->records;
    s->requests[k]++;
    s->by_src[ev->records_src]++;
}

static void run_log(struct sums *s)
{
    FILE *f = fopen("pcaps/logs/nginx-access.log", "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    struct log_parser p;
    struct bw_err err;
    assert_int_equal(log_parser_init(&p, "nginx", NULL, on_entry, s, &err), 0);
    log_parser_feed(&p, buf, n, 1);
    log_parser_fini(&p);
}

static void test_shipped_inventory_on_nginx_log(void **state)
{
    (void)state;
    struct inventory inv;
    struct bw_err err;
    assert_int_equal(inventory_load(&inv, "config/inventory.yaml", NULL, &err), 0);
    struct sums s = {.inv = &inv};
    run_log(&s);
    /* pcaps/logs/nginx-access.truth.json */
    assert_int_equal(s.requests[0], 40);
    assert_int_equal(s.records[0], 2000);
    assert_int_equal(s.requests[1], 25);
    assert_int_equal(s.records[1], 25);
    assert_int_equal(s.by_src[ACCESS_REC_INVENTORY], 65);
    inventory_fini(&inv);
}

static const char bytes_inv[] = "datasets:\n"
                                "  - id: customers\n"
                                "    endpoints: [\"/api/customers/{n}\", \"/api/customers\"]\n"
                                "    record_bytes: 283\n";

static void test_record_bytes(void **state)
{
    (void)state;
    struct inventory inv;
    struct bw_err err;
    assert_int_equal(inventory_load_mem(&inv, "t.yaml", bytes_inv, strlen(bytes_inv), NULL, &err),
                     0);
    struct sums s = {.inv = &inv};
    run_log(&s);
    assert_int_equal(s.by_src[ACCESS_REC_BYTES], 65);
    /* 566242 bytes of pages and 7054 bytes of single records, 283 bytes each,
     * rounded per response: within 2% of the 2000 and 25 sent */
    assert_true(s.records[0] >= 1960 && s.records[0] <= 2040);
    assert_int_equal(s.records[1], 25);

    uint64_t r = 7;
    assert_int_equal(inventory_http_records(&inv, "/api/customers", 404, 2830, &r),
                     ACCESS_REC_NONE);
    assert_int_equal(r, 7);
    assert_int_equal(inventory_http_records(&inv, "/api/orders", 200, 2830, &r), ACCESS_REC_NONE);
    assert_int_equal(inventory_http_records(&inv, "/api/customers?x=1", 200, 2830, &r),
                     ACCESS_REC_BYTES);
    assert_int_equal(r, 10);

    /* an event whose rows were counted keeps them */
    struct bw_access ev;
    access_init(&ev);
    ev.channel = ACCESS_CH_HTTP;
    ev.status = 200;
    ev.bytes = 2830;
    snprintf(ev.detail, sizeof(ev.detail), "/api/customers");
    ev.records = 3;
    ev.records_src = ACCESS_REC_ROWS;
    assert_int_equal(inventory_apply_http(&inv, &ev), 0);
    assert_int_equal(ev.records, 3);
    /* an upload is not a read of the dataset */
    ev.records_src = ACCESS_REC_NONE;
    ev.direction = ACCESS_SEND;
    assert_int_equal(inventory_apply_http(&inv, &ev), 0);
    ev.direction = ACCESS_READ;
    assert_int_equal(inventory_apply_http(&inv, &ev), 1);
    assert_int_equal(ev.records, 10);
    inventory_fini(&inv);
}

static void test_param_and_per_response(void **state)
{
    (void)state;
    static const char y[] = "datasets:\n"
                            "  - id: c\n"
                            "    subjects: 100\n"
                            "    endpoints:\n"
                            "      - {path: /a, records_param: per_page, record_bytes: 10}\n"
                            "      - {path: \"/a/{n}\", records_per_response: 1}\n";
    struct inventory inv;
    struct bw_err err;
    uint64_t r = 0;
    assert_int_equal(inventory_load_mem(&inv, "t.yaml", y, strlen(y), NULL, &err), 0);
    assert_int_equal(inventory_http_records(&inv, "/a?page=2&per_page=50", 200, 5, &r),
                     ACCESS_REC_INVENTORY);
    assert_int_equal(r, 50);
    /* capped at the dataset's subjects */
    assert_int_equal(inventory_http_records(&inv, "/a?per_page=5000", 200, 5, &r),
                     ACCESS_REC_INVENTORY);
    assert_int_equal(r, 100);
    /* no (or a bad) parameter: the endpoint's record size */
    assert_int_equal(inventory_http_records(&inv, "/a?per_page=x", 206, 95, &r), ACCESS_REC_BYTES);
    assert_int_equal(r, 10);
    assert_int_equal(inventory_http_records(&inv, "/a/17", 200, 999, &r), ACCESS_REC_INVENTORY);
    assert_int_equal(r, 1);
    inventory_fini(&inv);
}

static void expect_error(const char *y, const char *want)
{
    struct inventory inv;
    struct bw_err err;
    assert_int_not_equal(inventory_load_mem(&inv, "t.yaml", y, strlen(y), NULL, &err), 0);
    if (strstr(err.msg, want) == NULL)
        fail_msg("error '%s' lacks '%s'", err.msg, want);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("datasets:\n  - id: c\n    endpoints:\n      - {path: /a, per_page: 1}\n",
                 "t.yaml:4:");
    expect_error("datasets:\n  - id: c\n    endpoints:\n      - {records_per_response: 1}\n",
                 "missing key 'path'");
    expect_error("datasets:\n  - id: c\n    endpoints:\n      - {path: a}\n",
                 "must start with '/'");
    expect_error("datasets:\n  - id: c\n    endpoints: [/a]\n    record_bytes: 0\n", "t.yaml:4:19");
    expect_error(
        "datasets:\n  - id: c\n    endpoints:\n      - {path: /a, records_param: \"a=b\"}\n",
        "a parameter name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_inventory_on_nginx_log),
        cmocka_unit_test(test_record_bytes),
        cmocka_unit_test(test_param_and_per_response),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

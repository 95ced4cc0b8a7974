/* Unit tests for common/: JSON escaping, YAML positions, number parsing,
 * CIDR matching, time formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/ipaddr.h"
#include "common/json.h"
#include "common/num.h"
#include "common/timeutil.h"
#include "common/yaml-tree.h"

static void test_json_layout(void **state)
{
    (void)state;
    struct bw_buf b;
    struct bw_json j;
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "a", "x");
    bw_json_int(&j, "n", -5);
    bw_json_arr_begin(&j, "l");
    bw_json_uint(&j, NULL, 1);
    bw_json_bool(&j, NULL, true);
    bw_json_null(&j, NULL);
    bw_json_arr_end(&j);
    bw_json_obj_begin(&j, "o");
    bw_json_double(&j, "d", 1.5);
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    assert_int_equal(bw_json_finish(&j), 0);
    assert_string_equal(b.data, "{\"a\":\"x\",\"n\":-5,\"l\":[1,true,null],\"o\":{\"d\":1.5}}");
    bw_buf_fini(&b);
}

static void escape_case(const char *in, size_t n, const char *want)
{
    struct bw_buf b;
    bw_buf_init(&b);
    bw_json_escape(&b, in, n);
    assert_non_null(b.data);
    assert_string_equal(b.data, want);
    bw_buf_fini(&b);
}

static void test_json_escape(void **state)
{
    (void)state;
    escape_case("a\"b\\c", 5, "a\\\"b\\\\c");
    escape_case("\n\r\t\x01", 4, "\\n\\r\\t\\u0001");
    /* Valid UTF-8 passes through: 身 (3 bytes), U+1F600 (4 bytes). */
    escape_case("\xe8\xba\xab", 3, "\xe8\xba\xab");
    escape_case("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
    /* Invalid: lone continuation, truncated sequence, overlong, surrogate, NUL. */
    escape_case("\x80", 1, "\\u0080");
    escape_case("\xe8\xba", 2, "\\u00e8\\u00ba");
    escape_case("\xc0\xaf", 2, "\\u00c0\\u00af");
    escape_case("\xed\xa0\x80", 3, "\\u00ed\\u00a0\\u0080");
    escape_case("a\0b", 3, "a\\u0000b");
    escape_case("\xff\xfe", 2, "\\u00ff\\u00fe");
}

static void test_json_depth_overflow(void **state)
{
    (void)state;
    struct bw_buf b;
    struct bw_json j;
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    for (int i = 0; i < BW_JSON_MAX_DEPTH + 2; i++)
        bw_json_arr_begin(&j, NULL);
    assert_int_equal(bw_json_finish(&j), -1);
    bw_buf_fini(&b);
}

static void test_num(void **state)
{
    (void)state;
    uint64_t v;
    int64_t iv;
    const char *why = NULL;
    assert_int_equal(bw_parse_u64("42", 0, 100, &v, &why), 0);
    assert_int_equal(v, 42);
    assert_int_equal(bw_parse_u64("101", 0, 100, &v, &why), -1);
    assert_string_equal(why, "too large");
    assert_int_equal(bw_parse_u64("18446744073709551616", 0, UINT64_MAX, &v, &why), -1);
    assert_int_equal(bw_parse_u64("4x", 0, 100, &v, &why), -1);
    assert_string_equal(why, "not a number");
    assert_int_equal(bw_parse_u64("", 0, 100, &v, &why), -1);
    assert_int_equal(bw_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &iv, &why), 0);
    assert_true(iv == INT64_MIN);
    assert_int_equal(bw_parse_duration_us("5m", &v, &why), 0);
    assert_int_equal(v, 300000000ULL);
    assert_int_equal(bw_parse_duration_us("250ms", &v, &why), 0);
    assert_int_equal(v, 250000ULL);
    assert_int_equal(bw_parse_duration_us("3w", &v, &why), -1);
    assert_int_equal(bw_parse_size("64mb", &v, &why), 0);
    assert_int_equal(v, 64ULL << 20);
    int b;
    assert_int_equal(bw_parse_bool("Yes", &b, &why), 0);
    assert_int_equal(b, 1);
    assert_int_equal(bw_parse_bool("maybe", &b, &why), -1);
}

static void test_cidr(void **state)
{
    (void)state;
    struct bw_cidr_set s;
    struct bw_addr a;
    bw_cidr_set_init(&s);
    assert_int_equal(bw_cidr_set_add_private(&s), 0);
    assert_int_equal(bw_addr_parse("172.31.255.255", &a), 0);
    assert_true(bw_cidr_set_contains(&s, &a));
    assert_int_equal(bw_addr_parse("172.32.0.1", &a), 0);
    assert_false(bw_cidr_set_contains(&s, &a));
    assert_int_equal(bw_addr_parse("fd12::1", &a), 0);
    assert_true(bw_cidr_set_contains(&s, &a));
    assert_int_equal(bw_addr_parse("2001:db8::1", &a), 0);
    assert_false(bw_cidr_set_contains(&s, &a));
    bw_cidr_set_fini(&s);

    struct bw_cidr c;
    const char *why = NULL;
    assert_int_equal(bw_cidr_parse("10.1.2.3/33", &c, &why), -1);
    assert_int_equal(bw_cidr_parse("10.1.2.3/12", &c, &why), 0);
    char buf[BW_ADDR_STRLEN];
    assert_string_equal(bw_addr_fmt(&c.addr, buf), "10.0.0.0");
    assert_int_equal(bw_cidr_parse("2001:db8:ffff::/33", &c, &why), 0);
    assert_string_equal(bw_addr_fmt(&c.addr, buf), "2001:db8:8000::");
    assert_int_equal(bw_cidr_parse("banana", &c, &why), -1);
}

static void test_time(void **state)
{
    (void)state;
    char buf[BW_TS_LEN];
    assert_string_equal(bw_time_fmt(0, buf), "1970-01-01T00:00:00.000000+0000");
    int64_t us;
    assert_int_equal(bw_time_parse("2026-12-01T07:51:33.123456+0000", &us), 0);
    assert_string_equal(bw_time_fmt(us, buf), "2026-12-01T07:51:33.123456+0000");
    assert_int_equal(bw_time_parse("2026-12-01T08:51:33+01:00", &us), 0);
    assert_string_equal(bw_time_fmt(us, buf), "2026-12-01T07:51:33.000000+0000");
    assert_int_equal(bw_time_parse("2024-02-29", &us), 0);
    assert_string_equal(bw_time_fmt(us, buf), "2024-02-29T00:00:00.000000+0000");
    assert_int_equal(bw_time_parse("2026-13-01", &us), -1);
    assert_int_equal(bw_time_parse("2026-12-01T07:51:33junk", &us), -1);
    assert_string_equal(bw_time_fmt(-1, buf), "1969-12-31T23:59:59.999999+0000");
}

static void yaml_fails_at(const char *text, const char *want)
{
    struct bw_ydoc doc;
    struct bw_err err;
    assert_int_equal(bw_ydoc_load_mem(&doc, "t.yaml", text, strlen(text), &err), -1);
    if (strstr(err.msg, want) == NULL)
        fail_msg("got '%s', wanted '%s'", err.msg, want);
}

static void test_yaml_errors(void **state)
{
    (void)state;
    yaml_fails_at("a: [1, 2\n", "t.yaml:");
    yaml_fails_at("a: &x 1\nb: *x\n", "t.yaml:1:4: anchors are not allowed");
    yaml_fails_at("a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a' (first at line 1)");
    yaml_fails_at("? [1]\n: 2\n", "mapping keys must be plain scalars");
    yaml_fails_at("a: 1\n---\nb: 2\n", "only one YAML document");
}

static void test_yaml_getters(void **state)
{
    (void)state;
    const char *text = "flow:\n  memcap: 64mb\n  timeout: 5x\nhome_net: [10.0.0.0/8, "
                       "fd00::/8]\nlist:\n  - a\n  - b\n";
    struct bw_ydoc doc;
    struct bw_err err;
    assert_int_equal(bw_ydoc_load_mem(&doc, "c.yaml", text, strlen(text), &err), 0);
    const struct bw_ynode *flow = bw_ymap_get(doc.root, "flow");
    assert_non_null(flow);
    uint64_t v;
    assert_int_equal(bw_yget_size(&doc, bw_ymap_get(flow, "memcap"), &v, &err), 0);
    assert_int_equal(v, 64ULL << 20);
    assert_int_equal(bw_yget_duration_us(&doc, bw_ymap_get(flow, "timeout"), &v, &err), -1);
    assert_non_null(strstr(err.msg, "c.yaml:3:12: '5x'"));
    static const char *const allowed[] = {"memcap", NULL};
    assert_int_equal(bw_ymap_check_keys(&doc, flow, allowed, &err), -1);
    assert_string_equal(err.msg, "c.yaml:3:3: unknown key 'timeout'");
    struct bw_cidr_set s;
    bw_cidr_set_init(&s);
    assert_int_equal(bw_yget_cidrs(&doc, bw_ymap_get(doc.root, "home_net"), &s, &err), 0);
    assert_int_equal(s.n, 2);
    bw_cidr_set_fini(&s);
    assert_int_equal(bw_ymap_get(doc.root, "list")->n, 2);
    assert_int_equal(bw_yexpect(&doc, bw_ymap_get(doc.root, "list"), BW_Y_MAP, &err), -1);
    assert_non_null(strstr(err.msg, "c.yaml:6:3: expected a mapping, found a sequence"));
    bw_ydoc_fini(&doc);
}

static void test_config_top_level(void **state)
{
    (void)state;
    struct bw_config cfg;
    struct bw_err err;
    assert_int_equal(config_load(&cfg, NULL, &err), 0);
    struct bw_addr a;
    assert_int_equal(bw_addr_parse("192.168.1.1", &a), 0);
    assert_true(config_is_home(&cfg, &a));
    assert_int_equal(bw_addr_parse("89.160.20.112", &a), 0);
    assert_false(config_is_home(&cfg, &a));
    config_fini(&cfg);
    assert_int_equal(config_load(&cfg, "tests/unit/data/bad-section.yaml", &err), -1);
    assert_non_null(strstr(err.msg, "bad-section.yaml:3:1: unknown key 'captur'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_layout),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_depth_overflow),
        cmocka_unit_test(test_num),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_yaml_getters),
        cmocka_unit_test(test_config_top_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

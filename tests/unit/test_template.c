/* responder/template.c: variables, dotted names, sections over lists,
 * objects, booleans and strings, inverted sections, standalone tag lines,
 * HTML escaping, raw insertion, and the errors that keep a template from
 * dropping a fact silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "responder/template.h"

static json_t *data(void)
{
    return json_loads("{\"name\":\"Shop\",\"n\":3,\"zero\":0,\"yes\":true,\"no\":false,"
                      "\"empty\":\"\",\"none\":[],\"org\":{\"dpo\":{\"email\":\"d@x\"}},"
                      "\"items\":[{\"k\":\"a\"},{\"k\":\"b\"}],\"words\":[\"x\",\"y\"],"
                      "\"mark\":\"<b>&\\\"'\"}",
                      0, NULL);
}

static int render(const char *tpl, int flags, char *out, size_t outlen, struct bw_err *err)
{
    json_t *d = data();
    struct bw_buf b;
    bw_buf_init(&b);
    int rc = template_render("t", tpl, strlen(tpl), d, flags, &b, err);
    snprintf(out, outlen, "%s", b.data ? b.data : "");
    bw_buf_fini(&b);
    json_decref(d);
    return rc;
}

static void expect(const char *tpl, int flags, const char *want)
{
    char out[512];
    struct bw_err err;
    bw_err_clear(&err);
    assert_int_equal(render(tpl, flags, out, sizeof(out), &err), 0);
    assert_string_equal(out, want);
}

static void expect_err(const char *tpl, const char *msg)
{
    char out[512];
    struct bw_err err;
    bw_err_clear(&err);
    assert_int_equal(render(tpl, 0, out, sizeof(out), &err), -1);
    assert_non_null(strstr(err.msg, msg));
}

static void test_values(void **state)
{
    (void)state;
    expect("Hi {{name}}, {{ n }} {{org.dpo.email}} {{yes}}/{{no}}", 0, "Hi Shop, 3 d@x yes/no");
}

static void test_sections(void **state)
{
    (void)state;
    expect("{{#items}}[{{k}}]{{/items}}", 0, "[a][b]");
    expect("{{#words}}{{.}},{{/words}}", 0, "x,y,");
    expect("{{#org.dpo}}{{email}}{{/org.dpo}}", 0, "d@x");
    expect("{{#yes}}Y{{name}}{{/yes}}{{#no}}N{{/no}}{{#zero}}Z{{/zero}}{{#empty}}E{{/empty}}", 0,
           "YShop");
    expect("{{#none}}L{{/none}}{{^none}}empty{{/none}}{{^absent}}!{{/absent}}", 0, "empty!");
    expect("{{#items}}{{k}}{{name}}{{/items}}", 0, "aShopbShop"); /* outer context visible */
}

static void test_standalone(void **state)
{
    (void)state;
    expect("a\n{{#yes}}\nb\n{{/yes}}\n  {{! comment }}\nc\n", 0, "a\nb\nc\n");
    expect("a {{#yes}}b{{/yes}} c\n", 0, "a b c\n");
}

static void test_escaping(void **state)
{
    (void)state;
    expect("{{mark}}", 0, "<b>&\"'");
    expect("<p>{{mark}}</p>", TEMPLATE_HTML, "<p>&lt;b&gt;&amp;&quot;&#39;</p>");
    expect("{{&mark}}", TEMPLATE_HTML, "<b>&\"'");
}

static void test_errors(void **state)
{
    (void)state;
    expect_err("x {{missing}}", "t:1: {{missing}} is not defined");
    expect_err("\n\n{{items}}", "t:3: {{items}} is a list or object");
    expect_err("{{#yes}}", "never closed");
    expect_err("{{/yes}}", "without an opening tag");
    expect_err("{{#a}}{{/b}}", "closes {{#a}}");
    expect_err("{{name", "without '}}'");
    expect_err("{{}}", "empty tag");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),     cmocka_unit_test(test_sections),
        cmocka_unit_test(test_standalone), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

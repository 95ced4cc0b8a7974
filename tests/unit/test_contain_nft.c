/* responder/contain-nft.c and the rails against the real kernel nftables, in a
 * network namespace of this test's own (unshare(CLONE_NEWNET); root needed,
 * else exit 77): table creation is idempotent, TTL expiry, allowlist
 * retraction, idempotency (one element, one hook run), the rate cap. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/timeutil.h"
#include "responder/contain-backend.h"
#include "responder/contain-rails.h"
#include "tests/unit/contain-fixture.h"

static const char *const nft_yaml = "containment:\n"
                                    "  ttl: 60s\n"
                                    "  blocks_per_minute: 3\n"
                                    "  allowlist: [10.99.0.0/16]\n"
                                    "  nft: {table: bwtest, family: inet}\n"
                                    "  exec:\n"
                                    "    - {name: count, argv: ['@DIR@/count.sh']}\n";

/* Output of an nft command (the nft program, a second opinion on libnftables). */
static void nft_text(const char *args, char *out, size_t outlen)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "nft %s 2>&1", args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    pclose(p);
}

static int count_cb_n;
static void count_cb(const struct bw_addr *ip, void *arg)
{
    (void)ip;
    (void)arg;
    count_cb_n++;
}

static int elements(struct containment *c, struct fixture *fx)
{
    (void)c;
    struct contain_nft_conf nc = {.table = "bwtest", .family = "inet", .priority = -10};
    struct contain_nft *n = contain_nft_new(&nc, &fx->err);
    assert_non_null(n);
    count_cb_n = 0;
    int k = contain_nft_each(n, count_cb, NULL);
    contain_nft_free(n);
    assert_int_equal(k, count_cb_n);
    return k;
}

static void flush_table(void)
{
    if (system("nft delete table inet bwtest 2>/dev/null") == -1)
        fail_msg("system");
}

static void test_table_idempotent(void **state)
{
    (void)state;
    struct fixture fx;
    char text[8192];
    flush_table();
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, nft_yaml));
    struct contain_result r[4];
    struct contain_action a = fixture_block("192.0.2.1", 0, NULL);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 2);
    assert_string_equal(r[0].backend, "nft");
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(r[0].already, 0);
    /* A second handle (responder restart) keeps the elements, adds no rules. */
    fixture_close(&fx);
    assert_non_null(fixture_open(&fx, nft_yaml));
    assert_int_equal(elements(fx.c, &fx), 1);
    nft_text("list chain inet bwtest input", text, sizeof(text));
    assert_non_null(strstr(text, "priority filter - 10"));
    assert_non_null(strstr(text, "ip saddr @block4 counter"));
    assert_null(strstr(strstr(text, "ip saddr @block4") + 1, "ip saddr @block4"));
    nft_text("list chain inet bwtest forward", text, sizeof(text));
    assert_non_null(strstr(text, "ip6 saddr @block6 counter"));
    /* IPv6 goes to block6. */
    struct contain_action a6 = fixture_block("2001:db8::7", 0, NULL);
    assert_int_equal(containment_apply(fx.c, &a6, r, 4), 2);
    assert_int_equal(r[0].ok, 1);
    nft_text("list set inet bwtest block6", text, sizeof(text));
    assert_non_null(strstr(text, "2001:db8::7 timeout 1m"));
    /* Release deletes; releasing again reports it was not there. */
    struct contain_action rel = fixture_release("2001:db8::7");
    assert_int_equal(containment_apply(fx.c, &rel, r, 4), 2);
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(r[0].already, 0);
    assert_int_equal(containment_apply(fx.c, &rel, r, 4), 2);
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(r[0].already, 1);
    nft_text("list set inet bwtest block6", text, sizeof(text));
    assert_null(strstr(text, "2001:db8::7"));
    fixture_teardown(&fx);
}

static void test_idempotent_one_element_one_hook(void **state)
{
    (void)state;
    struct fixture fx;
    char text[8192];
    flush_table();
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, nft_yaml));
    struct contain_result r[4];
    struct contain_action a = fixture_block("192.0.2.33", 0, "INC-9:block:192.0.2.33:3");
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 2);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_string_equal(r[0].backend, "rails");
    assert_int_equal(r[0].already, 1);
    assert_int_equal(elements(fx.c, &fx), 1);
    assert_int_equal(fixture_hook_runs(&fx), 1);
    nft_text("list set inet bwtest block4", text, sizeof(text));
    assert_non_null(strstr(text, "elements = { 192.0.2.33 timeout 1m"));
    fixture_teardown(&fx);
}

static void test_ttl_expiry(void **state)
{
    (void)state;
    struct fixture fx;
    char text[8192];
    flush_table();
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, nft_yaml));
    struct contain_result r[4];
    struct contain_action a = fixture_block("192.0.2.44", 1, NULL);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 2);
    assert_non_null(strstr(r[0].detail, "timeout 1s"));
    nft_text("list set inet bwtest block4", text, sizeof(text));
    assert_non_null(strstr(text, "192.0.2.44"));
    usleep(2200000);
    nft_text("list set inet bwtest block4", text, sizeof(text));
    assert_null(strstr(text, "192.0.2.44"));
    /* The hooks hear of it at the next expiry pass. */
    assert_int_equal(containment_expire(fx.c, r, 4), 1);
    assert_int_equal(fixture_hook_runs(&fx), 2);
    fixture_teardown(&fx);
}

static void test_allowlist_retraction(void **state)
{
    (void)state;
    struct fixture fx;
    char text[8192];
    flush_table();
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, nft_yaml));
    struct contain_result r[8];
    struct contain_action a1 = fixture_block("10.5.0.7", 0, NULL);
    struct contain_action a2 = fixture_block("10.6.0.1", 0, NULL);
    assert_int_equal(containment_apply(fx.c, &a1, r, 8), 2);
    assert_int_equal(containment_apply(fx.c, &a2, r, 8), 2);
    /* Adding to the allowlist at run time lifts the block inside it only. */
    struct bw_cidr cd;
    const char *why;
    assert_int_equal(bw_cidr_parse("10.5.0.0/16", &cd, &why), 0);
    assert_int_equal(containment_allow(fx.c, &cd, r, 8), 2);
    assert_string_equal(r[0].backend, "nft");
    assert_int_equal(r[0].ok, 1);
    nft_text("list set inet bwtest block4", text, sizeof(text));
    assert_null(strstr(text, "10.5.0.7"));
    assert_non_null(strstr(text, "10.6.0.1"));
    /* Adding to the configured allowlist: the next start lifts it too. */
    fixture_close(&fx);
    assert_non_null(fixture_open(&fx, "containment:\n"
                                      "  allowlist: [10.6.0.0/24]\n"
                                      "  nft: {table: bwtest}\n"));
    nft_text("list set inet bwtest block4", text, sizeof(text));
    assert_null(strstr(text, "10.6.0.1"));
    assert_int_equal(containment_apply(fx.c, &a2, r, 8), 1);
    assert_string_equal(r[0].backend, "rails");
    assert_int_equal(r[0].ok, 0);
    fixture_teardown(&fx);
}

static void test_rate_cap_nft(void **state)
{
    (void)state;
    struct fixture fx;
    flush_table();
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, nft_yaml));
    struct contain_result r[4];
    const char *ips[] = {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4",
                         "198.51.100.5"};
    int refused = 0;
    for (int i = 0; i < 5; i++) {
        struct contain_action a = fixture_block(ips[i], 0, NULL);
        assert_true(containment_apply(fx.c, &a, r, 4) >= 1);
        refused += strcmp(r[0].backend, "rails") == 0 && r[0].ok == 0;
    }
    assert_int_equal(refused, 2);
    assert_int_equal(elements(fx.c, &fx), 3);
    assert_int_equal(fixture_hook_runs(&fx), 3);
    fixture_teardown(&fx);
}

int main(void)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "test_contain_nft: needs root for a private network namespace; skipped\n");
        return 77;
    }
    if (system("nft list tables >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_contain_nft: nft not usable; skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_idempotent),
        cmocka_unit_test(test_idempotent_one_element_one_hook),
        cmocka_unit_test(test_ttl_expiry),
        cmocka_unit_test(test_allowlist_retraction),
        cmocka_unit_test(test_rate_cap_nft),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

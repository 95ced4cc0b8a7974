/* responder/contain.c rails and responder/contain-exec.c without nftables
 * (nft disabled, no root needed): exec hook timeout and capture, idempotency,
 * rate cap, allowlist, escalating TTLs, TTL expiry for hooks, state file,
 * configuration errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/timeutil.h"
#include "responder/contain-backend.h"
#include "responder/contain-rails.h"
#include "tests/unit/contain-fixture.h"

static const char *const base_yaml = "containment:\n"
                                     "  ttl: 10s\n"
                                     "  escalation_factor: 3\n"
                                     "  max_ttl: 100s\n"
                                     "  blocks_per_minute: 3\n"
                                     "  allowlist: [10.9.0.0/16, 'fd00:9::/32']\n"
                                     "  nft: {enabled: false}\n"
                                     "  exec:\n"
                                     "    - name: count\n"
                                     "      argv: ['@DIR@/count.sh']\n"
                                     "      timeout: 5s\n";

static void test_exec_timeout_killed(void **state)
{
    (void)state;
    struct contain_hook h = {.name = "hang", .timeout_us = BW_USEC, .kill_grace_us = BW_USEC};
    h.argv[0] = "/bin/sleep";
    h.argv[1] = "60";
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    struct contain_result r;
    struct contain_exec_output out;
    int64_t t0 = bw_mono_us();
    assert_int_equal(contain_exec_run(&h, envp, "{}", 2, &r, &out), 0);
    int64_t took = bw_mono_us() - t0;
    assert_true(took >= BW_USEC);
    assert_true(took < 2 * BW_USEC);
    assert_int_equal(out.timed_out, 1);
    assert_int_equal(out.killed, 0); /* sleep dies of SIGTERM */
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.exit_status, 128 + 15);
    assert_string_equal(r.backend, "exec:hang");
    assert_non_null(strstr(r.detail, "timed out after 1000ms, killed with SIGTERM"));
}

static void test_exec_sigkill_after_grace(void **state)
{
    (void)state;
    /* A hook that ignores SIGTERM gets SIGKILL after the grace. */
    struct contain_hook h = {.name = "stubborn", .timeout_us = 300000, .kill_grace_us = 300000};
    h.argv[0] = "/bin/sh";
    h.argv[1] = "-c";
    h.argv[2] = "trap '' TERM; while :; do sleep 0.05; done";
    char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    struct contain_result r;
    struct contain_exec_output out;
    assert_int_equal(contain_exec_run(&h, envp, NULL, 0, &r, &out), 0);
    assert_int_equal(out.timed_out, 1);
    assert_int_equal(out.killed, 1);
    assert_int_equal(r.exit_status, 128 + 9);
    assert_true(r.duration_us >= 600000);
    assert_true(r.duration_us < 1500000);
    assert_non_null(strstr(r.detail, "killed with SIGKILL"));
}

static void test_exec_stdin_status_and_cap(void **state)
{
    (void)state;
    char *envp[] = {"PATH=/usr/bin:/bin", "BW_IP=10.1.1.1", NULL};
    struct contain_result r;
    struct contain_exec_output out;
    struct contain_hook cat = {.name = "cat", .timeout_us = 5 * BW_USEC};
    cat.argv[0] = "/bin/cat";
    assert_int_equal(contain_exec_run(&cat, envp, "{\"a\":1}\n", 8, &r, &out), 0);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.exit_status, 0);
    assert_string_equal(out.out, "{\"a\":1}\n");

    struct contain_hook big = {.name = "big", .timeout_us = 5 * BW_USEC};
    big.argv[0] = "/usr/bin/head";
    big.argv[1] = "-c";
    big.argv[2] = "100000";
    big.argv[3] = "/dev/zero";
    assert_int_equal(contain_exec_run(&big, envp, NULL, 0, &r, &out), 0);
    assert_int_equal(out.out_len, CONTAIN_OUTPUT_CAP);
    assert_int_equal(out.out_total, 100000);
    assert_non_null(strstr(r.detail, "[100000 bytes]"));

    struct contain_hook fail = {.name = "fail", .timeout_us = 5 * BW_USEC};
    fail.argv[0] = "/bin/sh";
    fail.argv[1] = "-c";
    fail.argv[2] = "echo \"$BW_IP\"; echo oops >&2; exit 7";
    assert_int_equal(contain_exec_run(&fail, envp, NULL, 0, &r, &out), 0);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.exit_status, 7);
    assert_string_equal(out.out, "10.1.1.1\n");
    assert_string_equal(out.err, "oops\n");
    assert_non_null(strstr(r.detail, "exit 7"));

    struct contain_hook missing = {.name = "missing", .timeout_us = BW_USEC};
    missing.argv[0] = "/nonexistent/hook";
    assert_int_equal(contain_exec_run(&missing, envp, NULL, 0, &r, &out), -1);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.exit_status, 127);
}

static void test_apply_timeout_recorded(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, "containment:\n"
                                      "  nft: {enabled: false}\n"
                                      "  exec:\n"
                                      "    - name: hang\n"
                                      "      argv: [/bin/sleep, '60']\n"
                                      "      timeout: 1s\n"));
    struct contain_action a = fixture_block("192.0.2.10", 60, "INC-1:block:192.0.2.10:1");
    struct contain_result r[4];
    int64_t t0 = bw_mono_us();
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_true(bw_mono_us() - t0 < 2 * BW_USEC);
    assert_string_equal(r[0].backend, "exec:hang");
    assert_int_equal(r[0].ok, 0);
    assert_int_equal(r[0].exit_status, 143);
    assert_non_null(strstr(r[0].detail, "timed out after 1000ms"));
    fixture_teardown(&fx);
}

static void test_idempotent_one_hook_run(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, base_yaml));
    struct contain_action a = fixture_block("192.0.2.20", 0, "INC-2:block:192.0.2.20:7");
    struct contain_result r[4];
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_string_equal(r[0].backend, "exec:count");
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_string_equal(r[0].backend, "rails");
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(r[0].already, 1);
    assert_int_equal(fixture_hook_runs(&fx), 1);
    /* Also across handles (a restarted responder): the state file remembers. */
    fixture_close(&fx);
    assert_non_null(fixture_open(&fx, base_yaml));
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_int_equal(r[0].already, 1);
    assert_int_equal(fixture_hook_runs(&fx), 1);
    fixture_teardown(&fx);
}

static void test_rate_cap(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, base_yaml));
    struct contain_result r[4];
    const char *ips[] = {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"};
    for (int i = 0; i < 3; i++) {
        struct contain_action a = fixture_block(ips[i], 0, NULL);
        assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
        assert_int_equal(r[0].ok, 1);
    }
    struct contain_action a = fixture_block(ips[3], 0, NULL);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_string_equal(r[0].backend, "rails");
    assert_int_equal(r[0].ok, 0);
    assert_non_null(strstr(r[0].detail, "rate cap of 3 blocks per minute"));
    assert_int_equal(fixture_hook_runs(&fx), 3);
    /* Renewing a block in force is not a new block: not capped. */
    struct contain_action again = fixture_block(ips[0], 0, NULL);
    assert_int_equal(containment_apply(fx.c, &again, r, 4), 1);
    assert_int_equal(r[0].ok, 1);
    /* Releases are never capped. */
    struct contain_action rel = fixture_release(ips[1]);
    assert_int_equal(containment_apply(fx.c, &rel, r, 4), 1);
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(fixture_hook_runs(&fx), 5);
    fixture_teardown(&fx);
}

static void test_allowlist_refuses(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, base_yaml));
    struct contain_result r[4];
    const char *ips[] = {"10.9.3.4", "fd00:9::1", "127.0.0.1", "::1"};
    for (int i = 0; i < 4; i++) {
        struct contain_action a = fixture_block(ips[i], 0, NULL);
        assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
        assert_string_equal(r[0].backend, "rails");
        assert_int_equal(r[0].ok, 0);
        assert_non_null(strstr(r[0].detail, "allowlisted"));
    }
    assert_int_equal(fixture_hook_runs(&fx), 0);
    /* containment_allow at run time lifts an active block (hook hears a release). */
    struct contain_action a = fixture_block("203.0.113.5", 0, NULL);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    struct bw_cidr cd;
    const char *why;
    assert_int_equal(bw_cidr_parse("203.0.113.0/24", &cd, &why), 0);
    assert_int_equal(containment_allow(fx.c, &cd, r, 4), 1);
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(fixture_hook_runs(&fx), 2);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_string_equal(r[0].backend, "rails");
    assert_int_equal(r[0].ok, 0);
    fixture_teardown(&fx);
}

static void test_escalating_ttl(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, "containment:\n"
                                      "  ttl: 10s\n"
                                      "  escalation_factor: 3\n"
                                      "  max_ttl: 100s\n"
                                      "  blocks_per_minute: 0\n"
                                      "  nft: {enabled: false}\n"
                                      "  exec:\n"
                                      "    - {name: count, argv: ['@DIR@/count.sh']}\n"));
    struct contain_result r[4];
    struct bw_addr ip;
    assert_int_equal(bw_addr_parse("192.0.2.99", &ip), 0);
    const uint64_t want[] = {10, 30, 90, 100, 100};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(containment_ttl_for(fx.c, &ip, 0), want[i]);
        struct contain_action a = fixture_block("192.0.2.99", 0, NULL);
        assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
        assert_int_equal(r[0].ok, 1);
        /* While the block is in force, a renewal does not escalate. */
        assert_int_equal(containment_ttl_for(fx.c, &ip, 0), want[i]);
        struct contain_action rel = fixture_release("192.0.2.99");
        assert_int_equal(containment_apply(fx.c, &rel, r, 4), 1);
    }
    /* An explicit base TTL escalates the same way. */
    assert_int_equal(containment_ttl_for(fx.c, &ip, 1), 100);
    struct bw_addr other;
    assert_int_equal(bw_addr_parse("192.0.2.100", &other), 0);
    assert_int_equal(containment_ttl_for(fx.c, &other, 7), 7);
    const struct rails_state *st = containment_state(fx.c);
    assert_int_equal(st->noff, 1);
    assert_int_equal(st->off[0].blocks, 5);
    fixture_teardown(&fx);
}

static void test_expire_tells_hooks(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_non_null(fixture_open(&fx, "containment:\n"
                                      "  ttl: 1s\n"
                                      "  nft: {enabled: false}\n"
                                      "  exec:\n"
                                      "    - {name: count, argv: ['@DIR@/count.sh']}\n"));
    struct contain_result r[4];
    struct contain_action a = fixture_block("192.0.2.50", 0, NULL);
    assert_int_equal(containment_apply(fx.c, &a, r, 4), 1);
    assert_int_equal(containment_expire(fx.c, r, 4), 0);
    usleep(1100000);
    assert_int_equal(containment_expire(fx.c, r, 4), 1);
    assert_int_equal(r[0].ok, 1);
    assert_int_equal(containment_expire(fx.c, r, 4), 0);
    assert_int_equal(fixture_hook_runs(&fx), 2);
    FILE *f = fopen(fx.count_file, "r");
    char l1[64], l2[64];
    assert_non_null(fgets(l1, sizeof(l1), f));
    assert_non_null(fgets(l2, sizeof(l2), f));
    fclose(f);
    assert_string_equal(l1, "block 192.0.2.50 1\n");
    assert_string_equal(l2, "release 192.0.2.50 0\n");
    fixture_teardown(&fx);
}

static void test_state_parse_format(void **state)
{
    (void)state;
    static struct rails_state st, st2;
    int64_t now = 1800000000LL * BW_USEC;
    char text[1024];
    snprintf(text, sizeof(text),
             "bw-contain-state 1\n"
             "a 00000000000000ff %lld\n"
             "a nothex %lld\n"
             "o 10.0.0.1 3 %lld 0\n"
             "o not-an-ip 1 1 1\n"
             "o fd00::1 1 %lld %lld\n"
             "r %lld\n"
             "r %lld\n"
             "\x01\x02garbage\n"
             "a 00000000000000aa 5\n",
             (long long)now, (long long)now, (long long)now, (long long)(now - 1000),
             (long long)(now + 5 * BW_USEC), (long long)(now - 1000),
             (long long)(now - 120 * BW_USEC));
    rails_state_parse(&st, text, strlen(text), now, 3600 * BW_USEC);
    assert_int_equal(st.bad_lines, 3);
    assert_int_equal(st.nact, 1); /* the one at time 5 is past the memory */
    assert_int_equal(st.act[0].hash, 0xff);
    assert_int_equal(st.noff, 2);
    assert_int_equal(st.off[0].blocks, 3);
    assert_int_equal(st.nrate, 1); /* the one two minutes old is dropped */
    struct bw_buf b;
    bw_buf_init(&b);
    assert_int_equal(rails_state_format(&st, &b), 0);
    rails_state_parse(&st2, b.data, b.len, now, 3600 * BW_USEC);
    assert_int_equal(st2.bad_lines, 0);
    assert_int_equal(st2.nact, 1);
    assert_int_equal(st2.noff, 2);
    assert_true(bw_addr_eq(&st2.off[1].ip, &st.off[1].ip));
    assert_int_equal(st2.off[1].until_us, now + 5 * BW_USEC);
    bw_buf_fini(&b);
}

static void expect_config_error(const char *yaml, const char *msg)
{
    struct fixture fx;
    fixture_setup_dir(&fx);
    assert_null(fixture_open(&fx, yaml));
    if (strstr(fx.err.msg, msg) == NULL)
        fail_msg("error '%s' lacks '%s'", fx.err.msg, msg);
    fixture_teardown(&fx);
}

static void test_config_errors(void **state)
{
    (void)state;
    expect_config_error("containment:\n  nft: {enabled: false}\n  tll: 5s\n", "responder.yaml:3:3");
    expect_config_error("containment:\n  exec:\n    - name: x\n      argv: [rm, -rf]\n",
                        "responder.yaml:4:14: argv[0] 'rm': an absolute path");
    expect_config_error("containment:\n  exec:\n    - name: x\n      argv: [/nonexistent/x]\n",
                        "No such file");
    expect_config_error("containment:\n  webhooks:\n    - {name: w, url: 'ftp://x/'}\n",
                        "expected http:// or https://");
    expect_config_error("containment:\n  nft: {table: 'bad name;'}\n", "nft table name");
    expect_config_error("containment:\n  nft: {family: bridge}\n", "nft family");
    expect_config_error("containment:\n  ttl: 1h\n  max_ttl: 1m\n", "below ttl");
    expect_config_error("containment:\n  allowlist: [10.0.0.0/33]\n", "responder.yaml:2:15");
    expect_config_error("containment:\n  blocks_per_minute: -1\n", "responder.yaml:2:22");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_timeout_killed),
        cmocka_unit_test(test_exec_sigkill_after_grace),
        cmocka_unit_test(test_exec_stdin_status_and_cap),
        cmocka_unit_test(test_apply_timeout_recorded),
        cmocka_unit_test(test_idempotent_one_hook_run),
        cmocka_unit_test(test_rate_cap),
        cmocka_unit_test(test_allowlist_refuses),
        cmocka_unit_test(test_escalating_ttl),
        cmocka_unit_test(test_expire_tells_hooks),
        cmocka_unit_test(test_state_parse_format),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

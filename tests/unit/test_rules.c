/* Rule loader and matcher: every key parsed, every error at its exact
 * file:line:col, the shipped pack loads, matching of channels, datasets,
 * CIDRs, scopes, geography, hours and allowlists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <fnmatch.h>

#include "rules/rule.h"

#define HDR "rules:\n  - id: r1\n    name: R\n    severity: 2\n"

static struct rule_set *load_ok(const char *yaml)
{
    struct bw_err err;
    bw_err_clear(&err);
    struct rule_set *s = rule_set_new();
    int rc = rule_set_load_mem(s, "t.yaml", yaml, strlen(yaml), &err);
    if (rc != 0)
        fail_msg("unexpected error: %s", err.msg);
    return s;
}

/* Loads and expects an error message starting with `want`. */
static void load_err(const char *yaml, const char *want)
{
    struct bw_err err;
    bw_err_clear(&err);
    struct rule_set *s = rule_set_new();
    assert_int_equal(rule_set_load_mem(s, "t.yaml", yaml, strlen(yaml), &err), -1);
    if (strncmp(err.msg, want, strlen(want)) != 0)
        fail_msg("got '%s', want prefix '%s'", err.msg, want);
    assert_int_equal(s->n, 0);
    rule_set_unref(s);
}

static void test_full_rule(void **state)
{
    (void)state;
    struct rule_set *s = load_ok("rules:\n"
                                 "  - id: full.rule-1\n"
                                 "    name: Full\n"
                                 "    description: every key\n"
                                 "    severity: 1\n"
                                 "    category: Cat\n"
                                 "    sid: 42\n"
                                 "    rev: 3\n"
                                 "    mitre: [T1005, T1048.003]\n"
                                 "    match:\n"
                                 "      channel: [pgsql, \"log:nginx\", dns]\n"
                                 "      dataset: [\"*customers*\", \"public.*\"]\n"
                                 "      not_dataset: \"*tmp*\"\n"
                                 "      actor: [10.0.0.0/8, \"fd00::/8\"]\n"
                                 "      actor_scope: internal\n"
                                 "      destination: 0.0.0.0/0\n"
                                 "      destination_scope: external\n"
                                 "      direction: send\n"
                                 "      country: [SE, CN]\n"
                                 "      not_country: US\n"
                                 "      asn: [AS29518, 209]\n"
                                 "      hours: \"22:00-06:00\"\n"
                                 "      utc_offset: \"+08:00\"\n"
                                 "      min_event_records: 5\n"
                                 "    measure: pii\n"
                                 "    pii_types: [email, card_number]\n"
                                 "    group_by: actor+destination\n"
                                 "    window: 10m\n"
                                 "    buckets: 20\n"
                                 "    threshold: 100\n"
                                 "    baseline: {learn: 7d, k: 4.5, mad_floor: 2}\n"
                                 "    first_seen: yes\n"
                                 "    require: {requests: 3, dns_entropy: 2.5}\n"
                                 "    suppress: 2h\n"
                                 "    update_interval: 30s\n"
                                 "    allow:\n"
                                 "      - {host: 10.77.0.50, user: backup}\n"
                                 "      - {user: monitor}\n");
    assert_int_equal(s->n, 1);
    const struct rule *r = &s->v[0];
    assert_string_equal(r->id, "full.rule-1");
    assert_int_equal(r->severity, 1);
    assert_int_equal(r->sid, 42);
    assert_int_equal(r->rev, 3);
    assert_int_equal(r->nmitre, 2);
    assert_string_equal(r->mitre[1], "T1048.003");
    assert_int_equal(r->channels,
                     (1u << ACCESS_CH_PGSQL) | (1u << ACCESS_CH_LOG) | (1u << ACCESS_CH_DNS));
    assert_int_equal(r->nlog_formats, 1);
    assert_string_equal(r->log_formats[0], "nginx");
    assert_int_equal(r->ndatasets, 2);
    assert_int_equal(r->nnot_datasets, 1);
    assert_int_equal(r->actors.n, 2);
    assert_int_equal(r->actor_scope, RS_INTERNAL);
    assert_int_equal(r->dest_scope, RS_EXTERNAL);
    assert_int_equal(r->direction, ACCESS_SEND);
    assert_int_equal(r->ncountries, 2);
    assert_int_equal(r->nnot_countries, 1);
    assert_int_equal(r->nasns, 2);
    assert_int_equal(r->asns[0], 29518);
    assert_int_equal(r->hour_from, 22);
    assert_int_equal(r->hour_to, 6);
    assert_int_equal(r->utc_offset_min, 480);
    assert_int_equal(r->min_event_records, 5);
    assert_int_equal(r->measure, RM_PII);
    assert_int_equal(r->pii_types, (1u << 0) | (1u << 4));
    assert_int_equal(r->group_by, RG_ACTOR_DEST);
    assert_int_equal(r->window_us, 600ull * 1000000);
    assert_int_equal(r->buckets, 20);
    assert_true(r->threshold == 100.0);
    assert_true(r->baseline);
    assert_int_equal(r->learn_us, 7ull * 86400 * 1000000);
    assert_true(r->k == 4.5);
    assert_true(r->first_seen);
    assert_int_equal(r->nrequire, 2);
    assert_int_equal(r->require[1].measure, RM_DNS_ENTROPY);
    assert_int_equal(r->suppress_us, 7200ull * 1000000);
    assert_int_equal(r->update_us, 30ull * 1000000);
    assert_int_equal(r->nallow, 2);
    assert_string_equal(r->allow[0].user, "backup");
    assert_int_equal(r->allow[1].hosts.n, 0);
    assert_string_equal(r->file, "t.yaml");
    assert_int_equal(r->line, 2);
    assert_int_equal(r->col, 5);
    rule_set_unref(s);
}

static void test_defaults(void **state)
{
    (void)state;
    struct rule_set *s = load_ok(HDR "    threshold: 10\n");
    const struct rule *r = &s->v[0];
    assert_int_equal(r->channels, 0);
    assert_int_equal(r->direction, -1);
    assert_int_equal(r->measure, RM_RECORDS);
    assert_int_equal(r->group_by, RG_ACTOR_DATASET);
    assert_int_equal(r->window_us, 300ull * 1000000);
    assert_int_equal(r->buckets, 10);
    assert_int_equal(r->hour_from, -1);
    assert_true(r->sid >= 9000000 && r->sid < 10000000);
    rule_set_unref(s);
}

static void test_errors(void **state)
{
    (void)state;
    load_err("", "t.yaml:1:1: empty rule file");
    load_err("rulez: []\n", "t.yaml:1:1: unknown key 'rulez'");
    load_err("rules: {}\n", "t.yaml:1:8: expected a sequence");
    load_err("rules:\n  - name: x\n", "t.yaml:2:5: rule without 'id'");
    load_err("rules:\n  - id: Bad Id\n    name: x\n", "t.yaml:2:9: id 'Bad Id'");
    load_err("rules:\n  - id: a\n    severity: 1\n", "t.yaml:2:5: rule 'a' without 'name'");
    load_err("rules:\n  - id: a\n    name: x\n", "t.yaml:2:5: rule 'a' without 'severity'");
    load_err(HDR "    threshold: 1\n    colour: red\n", "t.yaml:6:5: unknown key 'colour'");
    load_err("rules:\n  - id: r1\n    name: R\n    severity: 5\n    threshold: 1\n",
             "t.yaml:4:15:");
    load_err(HDR, "t.yaml:2:5: rule 'r1' needs a threshold or a baseline");
    load_err(HDR "    threshold: -1\n", "t.yaml:5:16:");
    load_err(HDR "    threshold: 1\n    mitre: [T12]\n", "t.yaml:6:13: 'T12': expected a MITRE");
    load_err(HDR "    threshold: 1\n    match: {channel: smtp}\n",
             "t.yaml:6:22: unknown channel 'smtp'");
    load_err(HDR "    threshold: 1\n    match: {direction: up}\n", "t.yaml:6:24: direction 'up'");
    load_err(HDR "    threshold: 1\n    match:\n      country: [se]\n",
             "t.yaml:7:17: 'se': expected an ISO");
    load_err(HDR "    threshold: 1\n    match:\n      asn: ASx\n", "t.yaml:7:12: asn 'ASx'");
    load_err(HDR "    threshold: 1\n    match:\n      hours: \"25-3\"\n",
             "t.yaml:7:14: hours '25-3'");
    load_err(HDR "    threshold: 1\n    match:\n      utc_offset: \"8\"\n",
             "t.yaml:7:19: utc_offset '8'");
    load_err(HDR "    threshold: 1\n    match:\n      actor: 10.0.0.0/33\n", "t.yaml:7:14:");
    load_err(HDR "    threshold: 1\n    match:\n      destination_scope: abroad\n",
             "t.yaml:7:26: 'abroad'");
    load_err(HDR "    threshold: 1\n    match:\n      size: 1\n", "t.yaml:7:7: unknown key 'size'");
    load_err(HDR "    threshold: 1\n    measure: rows\n", "t.yaml:6:14: unknown measure 'rows'");
    load_err(HDR "    threshold: 1\n    pii_types: [email]\n",
             "t.yaml:6:16: pii_types needs measure: pii");
    load_err(HDR "    threshold: 1\n    measure: pii\n    pii_types: [dna]\n",
             "t.yaml:7:17: unknown personal-data type 'dna'");
    load_err(HDR "    threshold: 1\n    group_by: user\n", "t.yaml:6:15: group_by 'user'");
    load_err(HDR "    threshold: 1\n    window: 0s\n", "t.yaml:6:13: window: between");
    load_err(HDR "    threshold: 1\n    window: soon\n", "t.yaml:6:13:");
    load_err(HDR "    threshold: 1\n    buckets: 61\n", "t.yaml:6:14:");
    load_err(HDR "    baseline: {learn: 7d, z: 1}\n", "t.yaml:5:27: unknown key 'z'");
    load_err(HDR "    threshold: 1\n    require: {bogus: 1}\n",
             "t.yaml:6:15: unknown measure 'bogus'");
    load_err(HDR "    threshold: 1\n    allow: [{}]\n",
             "t.yaml:6:13: allow entry needs host and/or user");
    load_err(HDR "    threshold: 1\n    allow: [{ip: 1.2.3.4}]\n", "t.yaml:6:14: unknown key 'ip'");
    load_err(HDR "    threshold: 1\n    first_seen: maybe\n", "t.yaml:6:17:");
    load_err(HDR "    threshold: 1\n    group_by: domain\n    match: {channel: pgsql}\n",
             "t.yaml:6:15: group_by domain applies to dns and log");
    load_err(HDR "    threshold: 1\n  - id: r1\n    name: S\n    severity: 1\n    threshold: 1\n",
             "t.yaml:6:9: duplicate rule id 'r1' (first at t.yaml:2:5)");
    /* anchors are refused by the YAML loader itself */
    load_err("rules:\n  - &a {id: x, name: y, severity: 1, threshold: 1}\n  - *a\n", "t.yaml:2:");
}

static void test_cap_per_file(void **state)
{
    (void)state;
    static char buf[64 * 1024];
    size_t o = (size_t)snprintf(buf, sizeof(buf), "rules:\n");
    for (int i = 0; i <= RULE_MAX_PER_FILE; i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o,
                              "  - {id: r%d, name: n, severity: 3, threshold: 1}\n", i);
    load_err(buf, "t.yaml:2:3: more than 256 rules in one file");
}

static void test_default_pack(void **state)
{
    (void)state;
    struct bw_err err;
    struct rule_set *s = rule_set_load_dir("rules/default", &err);
    if (s == NULL)
        fail_msg("%s", err.msg);
    assert_true(s->n >= 7);
    assert_true(rule_set_find(s, "bulk-read-customers") >= 0);
    assert_true(rule_set_find(s, "dns-tunnel") >= 0);
    assert_true(rule_set_find(s, "outbound-volume-external") >= 0);
    rule_set_unref(s);
    assert_null(rule_set_load_dir("/nonexistent-dir", &err));
}

static void ev_init(struct bw_access *ev, const char *actor, const char *dest)
{
    access_init(ev);
    assert_int_equal(bw_addr_parse(actor, &ev->actor_ip), 0);
    assert_int_equal(bw_addr_parse(dest, &ev->dest_ip), 0);
    ev->channel = ACCESS_CH_PGSQL;
    snprintf(ev->dataset, sizeof(ev->dataset), "public.customers");
}

static void test_match(void **state)
{
    (void)state;
    struct rule_set *s = load_ok(HDR "    threshold: 1\n"
                                     "    match:\n"
                                     "      channel: [pgsql, \"log:nginx\"]\n"
                                     "      dataset: \"*customers\"\n"
                                     "      not_dataset: \"tmp.*\"\n"
                                     "      actor: 10.77.0.0/24\n"
                                     "      direction: read\n"
                                     "      hours: 22-6\n"
                                     "      utc_offset: \"+01:00\"\n"
                                     "    allow:\n"
                                     "      - {host: 10.77.0.50, user: backup}\n");
    const struct rule *r = &s->v[0];
    struct rule_match_ctx m = {0};
    struct bw_access ev;
    ev_init(&ev, "10.77.0.66", "10.77.0.10");
    m.recv = &ev.actor_ip;
    m.actor_home = m.dest_home = true;
    ev.ts_us = (int64_t)(22 * 3600) * 1000000; /* 22:00 UTC = 23:00 local */
    assert_true(rule_match(r, &ev, &m));
    ev.ts_us = (int64_t)(5 * 3600 + 1800) * 1000000; /* 06:30 local */
    assert_false(rule_match(r, &ev, &m));
    ev.ts_us = (int64_t)(4 * 3600) * 1000000; /* 05:00 local */
    assert_true(rule_match(r, &ev, &m));
    ev.direction = ACCESS_SEND;
    assert_false(rule_match(r, &ev, &m));
    ev.direction = ACCESS_READ;
    snprintf(ev.dataset, sizeof(ev.dataset), "tmp.customers");
    assert_false(rule_match(r, &ev, &m));
    snprintf(ev.dataset, sizeof(ev.dataset), "public.orders");
    assert_false(rule_match(r, &ev, &m));
    snprintf(ev.dataset, sizeof(ev.dataset), "shop.customers");
    ev.channel = ACCESS_CH_MYSQL;
    assert_false(rule_match(r, &ev, &m));
    ev.channel = ACCESS_CH_LOG;
    ev.format = "apache";
    assert_false(rule_match(r, &ev, &m));
    ev.format = "nginx";
    assert_true(rule_match(r, &ev, &m));
    assert_int_equal(bw_addr_parse("10.78.0.1", &ev.actor_ip), 0);
    assert_false(rule_match(r, &ev, &m));
    /* allowlist: host and user together */
    assert_int_equal(bw_addr_parse("10.77.0.50", &ev.actor_ip), 0);
    snprintf(ev.actor_user, sizeof(ev.actor_user), "backup");
    assert_true(rule_allowed(r, &ev));
    snprintf(ev.actor_user, sizeof(ev.actor_user), "app");
    assert_false(rule_allowed(r, &ev));
    assert_int_equal(bw_addr_parse("10.77.0.66", &ev.actor_ip), 0);
    snprintf(ev.actor_user, sizeof(ev.actor_user), "backup");
    assert_false(rule_allowed(r, &ev));
    rule_set_unref(s);
}

static void test_match_geo(void **state)
{
    (void)state;
    struct rule_set *s = load_ok(HDR "    threshold: 1\n"
                                     "    match:\n"
                                     "      destination_scope: external\n"
                                     "      country: [SE, CN]\n"
                                     "      asn: 29518\n"
                                     "      destination: \"2001:db8::/32\"\n");
    const struct rule *r = &s->v[0];
    struct bw_access ev;
    struct bw_addr dst;
    ev_init(&ev, "10.77.0.66", "2001:db8::5");
    assert_int_equal(bw_addr_parse("2001:db8::5", &dst), 0);
    struct rule_match_ctx m = {
        .recv = &dst, .dest_home = false, .dest_country = "SE", .dest_asn = 29518};
    assert_true(rule_needs_geo(r));
    assert_true(rule_match(r, &ev, &m));
    m.dest_asn = 209;
    assert_false(rule_match(r, &ev, &m));
    m.dest_asn = 29518;
    m.dest_country = "US";
    assert_false(rule_match(r, &ev, &m));
    m.dest_country = NULL;
    assert_false(rule_match(r, &ev, &m));
    m.dest_country = "CN";
    m.dest_home = true;
    assert_false(rule_match(r, &ev, &m));
    m.dest_home = false;
    assert_int_equal(bw_addr_parse("2001:db9::5", &dst), 0);
    assert_false(rule_match(r, &ev, &m));
    rule_set_unref(s);
}

static void test_local_hour(void **state)
{
    (void)state;
    assert_int_equal(rule_local_hour(0, 0), 0);
    assert_int_equal(rule_local_hour(0, -60), 23);
    assert_int_equal(rule_local_hour((int64_t)3599 * 1000000, 480), 8);
    assert_int_equal(rule_local_hour(-1000000, 0), 23);
}

/* The '*'-only matcher agrees with fnmatch(pat, s, 0) on every pattern of up
 * to 6 symbols over {a, b, *} and every string of up to 7 symbols over
 * {a, b, /, .} (slashes and leading dots are ordinary without flags). */
static void test_star_match(void **state)
{
    (void)state;
    static const char pc[] = "ab*", sc[] = "ab/.";
    char pat[8], str[8];
    unsigned checked = 0;
    for (int pl = 0; pl <= 6; pl++) {
        int np = 1;
        for (int i = 0; i < pl; i++)
            np *= 3;
        for (int pi = 0; pi < np; pi++) {
            for (int i = 0, v = pi; i < pl; i++, v /= 3)
                pat[i] = pc[v % 3];
            pat[pl] = '\0';
            for (int sl = 0; sl <= 7; sl += (pl > 4 ? 2 : 1)) {
                int ns = 1;
                for (int i = 0; i < sl; i++)
                    ns *= 4;
                for (int si = 0; si < ns; si += (pl > 3 ? 3 : 1)) {
                    for (int i = 0, v = si; i < sl; i++, v /= 4)
                        str[i] = sc[v % 4];
                    str[sl] = '\0';
                    if (rule_star_match(pat, str) != (fnmatch(pat, str, 0) == 0))
                        fail_msg("pattern '%s' string '%s'", pat, str);
                    checked++;
                }
            }
        }
    }
    assert_true(checked > 100000);
    static const char globs[3][ACCESS_DATASET_MAX] = {"*customers*", "public.?x", "a[bc]"};
    assert_int_equal(rule_star_globs(globs, 3), 1u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_rule),    cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_cap_per_file),
        cmocka_unit_test(test_default_pack), cmocka_unit_test(test_match),
        cmocka_unit_test(test_match_geo),    cmocka_unit_test(test_local_hour),
        cmocka_unit_test(test_star_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

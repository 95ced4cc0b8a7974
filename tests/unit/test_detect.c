/* Detection engine over constructed access events: thresholds, carry-over of
 * sliced reads, window expiry, baselines learned and persisted across a
 * restart, allowlists, one alert per period with a running count, geography,
 * time of day, DNS tunnelling, distinct ids, memcap eviction, reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "sensor/detect-window.h"
#include "sensor/detect.h"
#include "sensor/geo.h"

#define SEC 1000000LL
#define T0  (1764576000LL * SEC) /* 2025-12-01T08:00:00Z */

struct got {
    struct bw_alert v[256];
    char rule[256][RULE_ID_MAX];
    int n;
};

static struct got got;
static struct bw_config conf;

static void on_alert(void *ctx, const struct bw_alert *a)
{
    struct got *g = ctx;
    if (g->n < 256) {
        g->v[g->n] = *a;
        snprintf(g->rule[g->n], RULE_ID_MAX, "%s", a->rule->id);
        g->n++;
    }
}

static struct rule_set *rules_from(const char *yaml)
{
    struct bw_err err;
    struct rule_set *s = rule_set_new();
    if (rule_set_load_mem(s, "t.yaml", yaml, strlen(yaml), &err) != 0)
        fail_msg("%s", err.msg);
    return s;
}

static struct detect_engine *engine(const char *yaml, const char *state_dir, struct geo *geo)
{
    struct bw_err err;
    struct detect_config cfg;
    assert_int_equal(detect_config_load(&cfg, &conf, &err), 0);
    snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir ? state_dir : "");
    snprintf(cfg.sensor_id, sizeof(cfg.sensor_id), "t1");
    cfg.geo = geo;
    struct rule_set *s = rules_from(yaml);
    struct detect_engine *e = detect_new(&cfg, s, &err);
    rule_set_unref(s);
    if (e == NULL)
        fail_msg("%s", err.msg);
    memset(&got, 0, sizeof(got));
    detect_set_alert_fn(e, on_alert, &got);
    return e;
}

static void read_ev(struct bw_access *ev, int64_t ts, const char *actor, const char *user,
                    uint64_t rows)
{
    access_init(ev);
    ev->ts_us = ts;
    ev->channel = ACCESS_CH_PGSQL;
    ev->direction = ACCESS_READ;
    assert_int_equal(bw_addr_parse(actor, &ev->actor_ip), 0);
    assert_int_equal(bw_addr_parse("10.77.0.10", &ev->dest_ip), 0);
    ev->actor_port = 40000;
    ev->dest_port = 5432;
    snprintf(ev->actor_user, sizeof(ev->actor_user), "%s", user);
    snprintf(ev->dataset, sizeof(ev->dataset), "public.customers");
    ev->records = rows;
    ev->records_src = ACCESS_REC_ROWS;
    ev->bytes = rows * 150;
}

#define BULK                                                                                       \
    "rules:\n"                                                                                     \
    "  - id: bulk\n"                                                                               \
    "    name: Bulk\n"                                                                             \
    "    severity: 2\n"                                                                            \
    "    mitre: [T1005]\n"                                                                         \
    "    match: {channel: pgsql, dataset: \"*customers*\", direction: read}\n"                     \
    "    window: 5m\n"                                                                             \
    "    threshold: 1000\n"                                                                        \
    "    suppress: 1h\n"                                                                           \
    "    update_interval: 1m\n"                                                                    \
    "    allow:\n"                                                                                 \
    "      - {host: 10.77.0.50, user: backup}\n"

static void test_threshold_single(void **state)
{
    (void)state;
    struct detect_engine *e = engine(BULK, NULL, NULL);
    struct bw_access ev;
    read_ev(&ev, T0, "10.77.0.66", "app", 999);
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    read_ev(&ev, T0 + SEC, "10.77.0.30", "app", 10000);
    detect_access(e, &ev);
    assert_int_equal(got.n, 1);
    const struct bw_alert *a = &got.v[0];
    char ip[BW_ADDR_STRLEN];
    assert_string_equal(bw_addr_fmt(&a->actor_ip, ip), "10.77.0.30");
    assert_string_equal(a->actor_user, "app");
    assert_string_equal(a->channel, "pgsql");
    assert_string_equal(a->dataset, "public.customers");
    assert_int_equal(a->records, 10000);
    assert_int_equal(a->bytes, 1500000);
    assert_int_equal(a->update, 0);
    assert_int_equal(a->window_s, 300);
    assert_string_equal(a->measure, "records");
    assert_true(a->value == 10000 && a->limit == 1000);
    assert_false(a->has_baseline);
    assert_false(a->has_geo);
    assert_int_equal(strncmp(a->alert_id, "t1-", 3), 0);
    detect_free(e);
    assert_int_equal(got.n, 1); /* nothing pending */
}

static void test_carry_over_and_updates(void **state)
{
    (void)state;
    struct detect_engine *e = engine(BULK, NULL, NULL);
    struct bw_access ev;
    /* a dump sliced into 120 reads of 25 rows, 1 s apart */
    for (int k = 0; k < 120; k++) {
        read_ev(&ev, T0 + k * SEC, "10.77.0.40", "analyst", 25);
        detect_access(e, &ev);
    }
    /* first crossing at the 40th read (1000 rows); one more update after 1 minute */
    assert_int_equal(got.n, 2);
    assert_int_equal(got.v[0].records, 1000);
    assert_int_equal(got.v[0].update, 0);
    assert_string_equal(got.v[1].alert_id, got.v[0].alert_id);
    assert_int_equal(got.v[1].update, 1);
    detect_flush(e);
    assert_int_equal(got.n, 3);
    const struct bw_alert *last = &got.v[2];
    assert_string_equal(last->alert_id, got.v[0].alert_id);
    assert_int_equal(last->update, 2);
    assert_int_equal(last->records, 3000);
    assert_int_equal(last->count, 81); /* every read from the 40th on was over the limit */
    assert_true(last->last_seen_us == T0 + 119 * SEC);
    assert_true(last->first_seen_us == T0 + 39 * SEC);
    struct detect_stats st;
    detect_get_stats(e, &st);
    assert_int_equal(st.alerts, 1);
    assert_int_equal(st.updates, 2);
    detect_free(e);
}

static void test_window_expiry(void **state)
{
    (void)state;
    struct detect_engine *e = engine(BULK, NULL, NULL);
    struct bw_access ev;
    /* 300 rows a minute never makes 1000 in 5 minutes... */
    for (int k = 0; k < 30; k++) {
        read_ev(&ev, T0 + k * 61 * SEC, "10.77.0.40", "analyst", 199);
        detect_access(e, &ev);
    }
    assert_int_equal(got.n, 0);
    /* ...but 5 x 201 does */
    for (int k = 0; k < 5; k++) {
        read_ev(&ev, T0 + 3600 * SEC + k * 55 * SEC, "10.77.0.40", "analyst", 201);
        detect_access(e, &ev);
    }
    assert_int_equal(got.n, 1);
    assert_int_equal(got.v[0].records, 1005);
    detect_free(e);
}

static void test_allowlist(void **state)
{
    (void)state;
    struct detect_engine *e = engine(BULK, NULL, NULL);
    struct bw_access ev;
    read_ev(&ev, T0, "10.77.0.50", "backup", 10000);
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    /* the backup account from another host is not the backup job */
    read_ev(&ev, T0 + SEC, "10.77.0.66", "backup", 10000);
    detect_access(e, &ev);
    assert_int_equal(got.n, 1);
    struct detect_stats st;
    detect_get_stats(e, &st);
    assert_int_equal(st.allowlisted, 1);
    detect_free(e);
}

static void test_one_alert_per_period(void **state)
{
    (void)state;
    struct detect_engine *e = engine(BULK, NULL, NULL);
    struct bw_access ev;
    /* 1000 dumps in 10 minutes: one alert, updates at most once a minute */
    for (int k = 0; k < 1000; k++) {
        read_ev(&ev, T0 + k * 600 * SEC / 1000, "10.77.0.66", "app", 2000);
        detect_access(e, &ev);
    }
    assert_int_equal(got.n, 10); /* at 0 s, 60 s, ..., 540 s */
    for (int i = 0; i < got.n; i++) {
        assert_string_equal(got.v[i].alert_id, got.v[0].alert_id);
        assert_int_equal(got.v[i].update, i);
    }
    assert_int_equal(got.v[got.n - 1].count, 901);
    int before = got.n;
    /* the period ends after an hour: the next crossing is a new alert */
    read_ev(&ev, T0 + 3601 * SEC, "10.77.0.66", "app", 2000);
    detect_access(e, &ev);
    assert_true(got.n >= before + 1);
    assert_string_not_equal(got.v[got.n - 1].alert_id, got.v[0].alert_id);
    assert_int_equal(got.v[got.n - 1].update, 0);
    detect_free(e);
}

#define BASE                                                                                       \
    "rules:\n"                                                                                     \
    "  - id: base\n"                                                                               \
    "    name: Baseline\n"                                                                         \
    "    severity: 3\n"                                                                            \
    "    match: {channel: pgsql}\n"                                                                \
    "    window: 1m\n"                                                                             \
    "    buckets: 6\n"                                                                             \
    "    threshold: 50\n"                                                                          \
    "    baseline: {learn: 1h, k: 6, mad_floor: 2}\n"

static void feed_minutes(struct detect_engine *e, int64_t from, int minutes, uint64_t rows)
{
    struct bw_access ev;
    for (int m = 0; m < minutes; m++) {
        read_ev(&ev, from + m * 60 * SEC + 5 * SEC, "10.77.0.40", "analyst", rows + (m % 3));
        detect_access(e, &ev);
    }
}

static void test_baseline_learn_and_persist(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-test-detect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct detect_engine *e = engine(BASE, dir, NULL);
    struct bw_access ev;
    /* training: an hour at ~40 rows a minute, and a spike that stays silent */
    feed_minutes(e, T0, 30, 40);
    read_ev(&ev, T0 + 30 * 60 * SEC + 10 * SEC, "10.77.0.40", "analyst", 500);
    detect_access(e, &ev);
    feed_minutes(e, T0 + 31 * 60 * SEC, 40, 40);
    assert_int_equal(got.n, 0);
    /* trained: 49 rows is inside the baseline (~41 + 6 * 2 = 53) and under the floor (50) */
    int64_t t = T0 + 71 * 60 * SEC;
    read_ev(&ev, t + 5 * SEC, "10.77.0.40", "analyst", 9);
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    read_ev(&ev, t + 6 * SEC, "10.77.0.40", "analyst", 400);
    detect_access(e, &ev);
    assert_int_equal(got.n, 1);
    assert_true(got.v[0].has_baseline);
    assert_true(got.v[0].median >= 40 && got.v[0].median <= 42);
    assert_true(got.v[0].limit >= 50 && got.v[0].limit < 60);
    detect_free(e); /* saves baselines.tsv */

    char path[128];
    snprintf(path, sizeof(path), "%s/baselines.tsv", dir);
    assert_int_equal(access(path, R_OK), 0);

    /* restart: training is over and the baseline is back */
    e = engine(BASE, dir, NULL);
    t = T0 + 200 * 60 * SEC;
    read_ev(&ev, t, "10.77.0.40", "analyst", 450);
    detect_access(e, &ev);
    assert_int_equal(got.n, 1);
    assert_true(got.v[0].has_baseline);
    assert_true(got.v[0].median >= 40 && got.v[0].median <= 42);
    /* a new group has no baseline: the absolute floor applies */
    read_ev(&ev, t + SEC, "10.77.0.41", "analyst", 60);
    detect_access(e, &ev);
    assert_int_equal(got.n, 2);
    assert_false(got.v[1].has_baseline);
    assert_true(got.v[1].limit == 50);
    detect_free(e);
    unlink(path);
    rmdir(dir);
}

static void test_first_seen(void **state)
{
    (void)state;
    char dir[] = "/tmp/bw-test-detect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *y = "rules:\n"
                    "  - id: first\n"
                    "    name: First\n"
                    "    severity: 3\n"
                    "    window: 10m\n"
                    "    threshold: 500\n"
                    "    first_seen: true\n"
                    "    baseline: {learn: 1d}\n";
    struct detect_engine *e = engine(y, dir, NULL);
    struct bw_access ev;
    read_ev(&ev, T0, "10.77.0.40", "analyst", 900); /* training: learnt, silent */
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    detect_free(e);
    e = engine(y, dir, NULL);
    read_ev(&ev, T0 + 2 * 86400 * SEC, "10.77.0.40", "analyst", 900); /* known reader */
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    read_ev(&ev, T0 + 2 * 86400 * SEC + SEC, "10.77.0.66", "app", 900); /* first time */
    detect_access(e, &ev);
    assert_int_equal(got.n, 1);
    detect_free(e);
    char path[128];
    snprintf(path, sizeof(path), "%s/baselines.tsv", dir);
    unlink(path);
    rmdir(dir);
}

static void test_geo_and_hours(void **state)
{
    (void)state;
    struct bw_err err;
    struct geo *geo = geo_new("config/geoip/breachwatch-geo.mmdb", NULL, &err);
    if (geo == NULL)
        fail_msg("%s", err.msg);
    const char *y = "rules:\n"
                    "  - id: out\n"
                    "    name: Out\n"
                    "    severity: 2\n"
                    "    measure: bytes\n"
                    "    group_by: actor+destination\n"
                    "    match:\n"
                    "      channel: flow\n"
                    "      direction: send\n"
                    "      destination_scope: external\n"
                    "      country: [SE]\n"
                    "      hours: 8-9\n"
                    "    threshold: 1000000\n";
    struct detect_engine *e = engine(y, NULL, geo);
    struct bw_access ev;
    access_init(&ev);
    ev.ts_us = T0 + 10 * SEC; /* 08:00:10 UTC */
    ev.channel = ACCESS_CH_FLOW;
    ev.direction = ACCESS_SEND;
    assert_int_equal(bw_addr_parse("10.77.0.66", &ev.actor_ip), 0);
    assert_int_equal(bw_addr_parse("216.160.83.56", &ev.dest_ip), 0); /* US */
    ev.bytes = 2000000;
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    assert_int_equal(bw_addr_parse("89.160.20.112", &ev.dest_ip), 0); /* SE, AS29518 */
    ev.ts_us = T0 - 10 * SEC; /* 07:59:50: outside the hours */
    detect_access(e, &ev);
    assert_int_equal(got.n, 0);
    ev.ts_us = T0 + 20 * SEC;
    detect_access(e, &ev);
    assert_int_equal(got.n, 1);
    assert_true(got.v[0].has_geo);
    assert_string_equal(got.v[0].country, "SE");
    assert_int_equal(got.v[0].asn, 29518);
    assert_int_equal(got.v[0].bytes, 2000000);
    detect_free(e);
    geo_free(geo);
}

static void dns_ev(struct bw_access *ev, int64_t ts, const char *actor, const char *name)
{
    access_init(ev);
    ev->ts_us = ts;
    ev->channel = ACCESS_CH_DNS;
    ev->direction = ACCESS_SEND;
    ev->dns_qtype = 1;
    assert_int_equal(bw_addr_parse(actor, &ev->actor_ip), 0);
    assert_int_equal(bw_addr_parse("10.77.0.53", &ev->dest_ip), 0);
    snprintf(ev->detail, sizeof(ev->detail), "%s", name);
    snprintf(ev->dataset, sizeof(ev->dataset), "%s", name);
    ev->records = 1;
    ev->records_src = ACCESS_REC_PII;
}

static void test_dns_tunnel(void **state)
{
    (void)state;
    const char *y = "rules:\n"
                    "  - id: tun\n"
                    "    name: Tunnel\n"
                    "    severity: 2\n"
                    "    match: {channel: dns}\n"
                    "    measure: dns_subdomains\n"
                    "    require: {dns_label_max: 30, dns_entropy: 3.0}\n"
                    "    group_by: domain\n"
                    "    threshold: 40\n";
    struct detect_engine *e = engine(y, NULL, NULL);
    struct bw_access ev;
    /* ordinary names: many look-ups, short labels */
    for (int k = 0; k < 200; k++) {
        char n[64];
        snprintf(n, sizeof(n), "host%d.corp.test", k % 20);
        dns_ev(&ev, T0 + k * SEC / 10, "10.77.0.40", n);
        detect_access(e, &ev);
    }
    assert_int_equal(got.n, 0);
    /* base32 labels of 52 characters below exfil-tunnel.test */
    static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint32_t x = 12345;
    for (int k = 0; k < 100; k++) {
        char n[200], lab[53];
        for (int i = 0; i < 52; i++) {
            x = x * 1103515245u + 12345u;
            lab[i] = b32[(x >> 16) & 31];
        }
        lab[52] = '\0';
        snprintf(n, sizeof(n), "%s.r%dp1of1.s1.exfil-tunnel.test", lab, k);
        dns_ev(&ev, T0 + 30 * SEC + k * SEC / 10, "10.77.0.66", n);
        detect_access(e, &ev);
    }
    assert_int_equal(got.n, 1);
    char ip[BW_ADDR_STRLEN];
    assert_string_equal(bw_addr_fmt(&got.v[0].actor_ip, ip), "10.77.0.66");
    assert_true(got.v[0].value >= 40);
    detect_flush(e);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.v[1].records, 100);
    detect_free(e);
}

static void test_distinct_ids(void **state)
{
    (void)state;
    const char *y = "rules:\n"
                    "  - id: scrape\n"
                    "    name: Scrape\n"
                    "    severity: 2\n"
                    "    match: {channel: http}\n"
                    "    measure: distinct_ids\n"
                    "    require: {requests: 30}\n"
                    "    window: 2m\n"
                    "    threshold: 30\n";
    struct detect_engine *e = engine(y, NULL, NULL);
    struct bw_access ev;
    for (int k = 1; k <= 40; k++) {
        access_init(&ev);
        ev.ts_us = T0 + k * SEC / 5;
        ev.channel = ACCESS_CH_HTTP;
        assert_int_equal(bw_addr_parse("81.2.69.142", &ev.actor_ip), 0);
        assert_int_equal(bw_addr_parse("10.77.0.20", &ev.dest_ip), 0);
        snprintf(ev.dataset, sizeof(ev.dataset), "/api/customers");
        snprintf(ev.detail, sizeof(ev.detail), "/api/customers?page=%d&per_page=50", k);
        ev.records = 50;
        detect_access(e, &ev);
        /* the same page again does not count twice */
        detect_access(e, &ev);
    }
    assert_int_equal(got.n, 1);
    assert_true(got.v[0].value >= 30 && got.v[0].value <= 32);
    detect_free(e);
}

static void test_memcap_eviction(void **state)
{
    (void)state;
    struct bw_err err;
    struct detect_config cfg;
    assert_int_equal(detect_config_load(&cfg, &conf, &err), 0);
    cfg.memcap = 1u << 20;
    cfg.state_dir[0] = '\0';
    struct rule_set *s = rules_from(BULK);
    struct detect_engine *e = detect_new(&cfg, s, &err);
    rule_set_unref(s);
    assert_non_null(e);
    struct bw_access ev;
    for (int k = 0; k < 5000; k++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "10.1.%d.%d", k / 250, k % 250 + 1);
        read_ev(&ev, T0 + k * 1000, ip, "u", 1);
        detect_access(e, &ev);
    }
    struct detect_stats st;
    detect_get_stats(e, &st);
    assert_true(st.evictions > 0);
    assert_int_equal(st.groups + st.evictions, 5000);
    detect_free(e);
}

static void test_reload_keeps_state(void **state)
{
    (void)state;
    struct detect_engine *e = engine(BULK, NULL, NULL);
    struct bw_access ev;
    read_ev(&ev, T0, "10.77.0.66", "app", 600);
    detect_access(e, &ev);
    /* the same rule id with another threshold, plus a new rule */
    struct rule_set *s = rules_from("rules:\n"
                                    "  - id: bulk\n"
                                    "    name: Bulk v2\n"
                                    "    severity: 2\n"
                                    "    window: 5m\n"
                                    "    threshold: 1100\n"
                                    "  - id: other\n"
                                    "    name: Other\n"
                                    "    severity: 4\n"
                                    "    threshold: 1000000\n");
    detect_reload(e, s);
    rule_set_unref(s);
    assert_int_equal(detect_rules(e)->n, 2);
    read_ev(&ev, T0 + SEC, "10.77.0.66", "app", 600);
    detect_access(e, &ev);
    assert_int_equal(got.n, 1); /* 600 before the reload + 600 after */
    assert_int_equal(got.v[0].records, 1200);
    assert_string_equal(got.v[0].rule->name, "Bulk v2");
    detect_free(e);
}

/* A P=12 sketch folded into the window's P=10 sketch estimates what a P=10
 * sketch of the same hashes would. */
static void test_fold_sketch(void **state)
{
    (void)state;
    struct dw_window w;
    assert_int_equal(dw_init(&w, 1, 60 * SEC, 2), 0);
    static uint8_t big[1u << 12];
    memset(big, 0, sizeof(big));
    int slot = dw_slot(&w, T0);
    for (uint64_t i = 0; i < 3000; i++) {
        uint64_t h = dd_hash(42, &i, sizeof(i));
        dw_sketch_add(&w, slot, 0, h);
        uint32_t idx = (uint32_t)(h >> 52);
        uint64_t rest = h << 12;
        uint8_t r = rest == 0 ? 53 : (uint8_t)(__builtin_clzll(rest) + 1);
        if (r > big[idx])
            big[idx] = r;
    }
    dw_sketch_merge(&w, slot, 1, big, 12);
    static uint8_t r0[DD_M], r1[DD_M];
    dd_set_regs(dw_sketch(&w, slot, 0), r0);
    dd_set_regs(dw_sketch(&w, slot, 1), r1);
    assert_memory_equal(r0, r1, DD_M);
    double e = dw_distinct(&w, T0, 1);
    assert_true(e > 2700 && e < 3300);
    dw_fini(&w);
}

/* The window's union, kept up incrementally and rebuilt only when a
 * contributing bucket leaves, always equals the union of the buckets in the
 * window computed from scratch: random adds (some late, into older buckets),
 * idle gaps longer than the window, questions about the present and the past. */
static void test_union_matches_buckets(void **state)
{
    (void)state;
    struct dw_window w;
    const int n = 6;
    assert_int_equal(dw_init(&w, n, 60 * SEC, 1), 0);
    uint64_t seed = 7, v = 0;
    int64_t now = T0;
    for (int step = 0; step < 4000; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(seed >> 33);
        if (r % 97 == 0)
            now += 200 * SEC; /* idle longer than the window */
        else
            now += (int64_t)(r % 4000) * 1000; /* up to 4 s */
        int64_t ts = now;
        if (r % 5 == 0)
            ts -= (int64_t)(r % 50) * SEC; /* late event, maybe outside */
        int slot = dw_slot(&w, ts);
        if (slot >= 0) {
            v++;
            dw_sketch_add(&w, slot, 0, dd_hash(1, &v, sizeof(v)));
        }
        int64_t q = (r % 7 == 0) ? now - (int64_t)(r % 30) * SEC : now;
        uint8_t u[DD_M], one[DD_M];
        size_t m = 0;
        int64_t qi = q / w.width_us;
        memset(u, 0, sizeof(u));
        for (int b = 0; b < n; b++)
            if (w.b[b].used && w.b[b].idx <= qi && w.b[b].idx > qi - n && (w.b[b].skmask & 1u)) {
                dd_set_regs(dw_sketch(&w, b, 0), one);
                for (uint32_t j = 0; j < DD_M; j++)
                    if (one[j] > u[j])
                        u[j] = one[j];
                m++;
            }
        double want = m ? dd_estimate_regs(u) : 0.0;
        double have = dw_distinct(&w, q, 0);
        assert_true(fabs(have - want) < 1e-6);
    }
    dw_fini(&w);
}

/* A register set holds the same registers as a plain array whether it is
 * sparse or dense: every add, through the change of form, after a clear
 * (which keeps the dense block) and again past the change. */
static void test_set_sparse_dense(void **state)
{
    (void)state;
    struct dd_set s;
    static uint8_t want[DD_M], have[DD_M];
    memset(&s, 0, sizeof(s));
    for (int round = 0; round < 2; round++) {
        uint32_t nz = 0;
        memset(want, 0, sizeof(want));
        for (uint64_t i = 0; i < 3 * DD_SPARSE_MAX + 500; i++) {
            uint64_t h = dd_hash(9 + (uint64_t)round, &i, sizeof(i));
            uint32_t idx = dd_index(h);
            uint8_t r = dd_rank(h), old = 0xee;
            int rc = dd_set_raise(&s, idx, r, &old);
            assert_int_equal(rc, r > want[idx]);
            if (rc == 1)
                assert_int_equal(old, want[idx]);
            nz += want[idx] == 0 && r > 0;
            if (r > want[idx])
                want[idx] = r;
            assert_int_equal(dd_set_get(&s, idx), want[idx]);
            assert_int_equal(s.n == DD_DENSE, nz > DD_SPARSE_MAX);
            if (i % 7 == 0 || i == DD_SPARSE_MAX) {
                dd_set_regs(&s, have);
                assert_memory_equal(have, want, DD_M);
                double sum, es;
                uint32_t zeros;
                dd_set_sum(&s, &sum, &zeros);
                es = dd_estimate_sum(sum, zeros);
                assert_true(fabs(es - dd_estimate_regs(want)) < 1e-9 * (1 + es));
            }
        }
        assert_int_equal(s.n, DD_DENSE);
        dd_set_clear(&s);
        assert_int_equal(s.n, 0);
        assert_non_null(s.reg); /* kept for the next fill */
        dd_set_regs(&s, have);
        for (uint32_t j = 0; j < DD_M; j++)
            assert_int_equal(have[j], 0);
    }
    dd_set_free(&s);
    assert_null(s.reg);
}

/* A window of one-request actors keeps its sketches sparse (no heap); a
 * scraper's fill to dense is counted in the window's heap and freed. */
static void test_window_heap(void **state)
{
    (void)state;
    struct dw_window w;
    assert_int_equal(dw_init(&w, 4, 60 * SEC, 1), 0);
    int slot = dw_slot(&w, T0);
    for (uint64_t i = 0; i < DD_SPARSE_MAX / 2; i++)
        dw_sketch_add(&w, slot, 0, dd_hash(3, &i, sizeof(i)));
    assert_true(dw_distinct(&w, T0, 0) > 5);
    assert_int_equal(w.heap, 0);
    for (uint64_t i = 0; i < 2000; i++)
        dw_sketch_add(&w, slot, 0, dd_hash(3, &i, sizeof(i)));
    assert_int_equal(w.heap, 2 * DD_M); /* the bucket's set and the union */
    double e = dw_distinct(&w, T0, 0);
    assert_true(e > 1900 && e < 2100);
    dw_fini(&w);
}

static int setup(void **state)
{
    (void)state;
    struct bw_err err;
    return config_load(&conf, NULL, &err);
}

static int teardown(void **state)
{
    (void)state;
    config_fini(&conf);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_single),
        cmocka_unit_test(test_carry_over_and_updates),
        cmocka_unit_test(test_window_expiry),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_one_alert_per_period),
        cmocka_unit_test(test_baseline_learn_and_persist),
        cmocka_unit_test(test_first_seen),
        cmocka_unit_test(test_geo_and_hours),
        cmocka_unit_test(test_dns_tunnel),
        cmocka_unit_test(test_distinct_ids),
        cmocka_unit_test(test_memcap_eviction),
        cmocka_unit_test(test_reload_keeps_state),
        cmocka_unit_test(test_fold_sketch),
        cmocka_unit_test(test_union_matches_buckets),
        cmocka_unit_test(test_set_sparse_dense),
        cmocka_unit_test(test_window_heap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

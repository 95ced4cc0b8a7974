/* libFuzzer target for the rule loader: the input is a rule file; when it
 * loads, each rule is matched against a few access events and one event is
 * run through a detection engine, so compiled rules are exercised too. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rules/rule.h"
#include "sensor/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void events(struct bw_access *ev, int n)
{
    for (int i = 0; i < n; i++) {
        access_init(&ev[i]);
        ev[i].ts_us = 1764576000LL * 1000000 + i * 7200LL * 1000000;
        ev[i].channel = (enum access_channel)(i % 7);
        ev[i].format = ev[i].channel == ACCESS_CH_LOG ? "nginx" : NULL;
        ev[i].direction = i % 2 ? ACCESS_SEND : ACCESS_READ;
        if (bw_addr_parse(i % 3 ? "10.77.0.66" : "2001:db8::1", &ev[i].actor_ip) ||
            bw_addr_parse(i % 2 ? "89.160.20.112" : "10.77.0.10", &ev[i].dest_ip))
            return;
        snprintf(ev[i].dataset, sizeof(ev[i].dataset), i % 2 ? "public.customers" : "x.y.z");
        snprintf(ev[i].detail, sizeof(ev[i].detail), "/api/customers/%d?page=%d", i, i * 3);
        snprintf(ev[i].actor_user, sizeof(ev[i].actor_user), i % 2 ? "backup" : "app");
        ev[i].records = 1000u * (unsigned)i;
        ev[i].bytes = 100000u * (unsigned)i;
        ev[i].dns_qtype = 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_err err;
    struct rule_set *s = rule_set_new();
    if (s == NULL)
        return 0;
    if (rule_set_load_mem(s, "fuzz.yaml", data, size, &err) == 0) {
        struct bw_access ev[6];
        events(ev, 6);
        struct rule_match_ctx m = {.recv = &ev[1].dest_ip, .dest_country = "SE", .dest_asn = 29518};
        char buf[256];
        for (size_t i = 0; i < s->n; i++) {
            rule_channels_str(&s->v[i], buf, sizeof(buf));
            for (int k = 0; k < 6; k++) {
                (void)rule_match(&s->v[i], &ev[k], &m);
                (void)rule_allowed(&s->v[i], &ev[k]);
            }
        }
        struct detect_config cfg;
        if (detect_config_load(&cfg, NULL, &err) == 0) {
            cfg.memcap = 1u << 20;
            struct detect_engine *e = detect_new(&cfg, s, &err);
            for (int k = 0; e != NULL && k < 6; k++)
                detect_access(e, &ev[k]);
            detect_free(e);
        }
    }
    rule_set_unref(s);
    return 0;
}

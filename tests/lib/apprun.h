/* Test helper: runs a parser over every flow of a capture (pcapflow.h feeding
 * appdrive.h), in packet order, with a chosen chunking, and returns the
 * collected EVE and access text plus the summed parser counters. */
#ifndef BW_TESTS_APPRUN_H
#define BW_TESTS_APPRUN_H

#include "tests/lib/appdrive.h"
#include "tests/lib/pcapflow.h"

struct apprun_result {
    char *eve, *access; /* malloc'd text, caller frees (apprun_result_free) */
    struct app_stats stats;
    uint64_t app_errors, over_pending;
    int flows;
};

/* Parses the flows of `path` whose transport matches p->ipproto with p.
 * mode/max as drv_feed. Returns 0, -1 when the capture cannot be read. */
static inline int apprun_pcap(const char *path, const struct app_proto *p, int mode, uint32_t seed,
                              size_t max, struct apprun_result *res)
{
    memset(res, 0, sizeof(*res));
    struct pf_capture cap;
    if (pf_load(path, &cap) != 0)
        return -1;
    struct drv_out out;
    if (drv_out_init(&out) != 0) {
        pf_free(&cap);
        return -1;
    }
    struct drv *drv = calloc(PF_MAX_FLOWS, sizeof(*drv));
    int *started = calloc(PF_MAX_FLOWS, sizeof(int));
    uint32_t rng = seed ? seed : 1;
    for (size_t i = 0; i < cap.n; i++) {
        struct pf_seg *s = &cap.segs[i];
        struct pf_flow *f = &cap.flows[s->flow];
        if (f->proto != p->ipproto)
            continue;
        struct drv *d = &drv[s->flow];
        if (!started[s->flow]) {
            started[s->flow] = 1;
            d->ctx.ts_us = s->ts_us;
            drv_init(d, p, &out, (uint64_t)s->flow + 1);
            d->flow.cli = f->cli;
            d->flow.srv = f->srv;
            d->flow.cport = f->cport;
            d->flow.sport = f->sport;
            res->flows++;
        }
        d->ctx.ts_us = s->ts_us;
        if (s->gap)
            drv_gap(d, s->dir, s->len);
        else
            drv_feed(d, s->dir, s->data, s->len, mode, &rng, max);
    }
    for (int i = 0; i < cap.nflows; i++) {
        if (!started[i])
            continue;
        drv_end(&drv[i]);
        struct app_stats *st = &drv[i].stats;
        res->stats.errors += st->errors;
        res->stats.gaps += st->gaps;
        res->stats.resyncs += st->resyncs;
        res->stats.events += st->events;
        res->app_errors += drv[i].app_errors;
        res->over_pending += drv[i].over_pending;
    }
    res->eve = strdup(out.eve.data ? out.eve.data : "");
    res->access = strdup(out.access.data ? out.access.data : "");
    free(drv);
    free(started);
    drv_out_fini(&out);
    pf_free(&cap);
    return 0;
}

/* One delivery of an in-memory exchange: bytes of a direction, or a gap. */
struct apprun_msg {
    int dir;
    const char *data; /* NULL with len > 0: a gap of len bytes */
    size_t len;       /* 0: strlen(data) */
};

/* Runs p over an exchange between 10.0.0.1:40000 (client) and 10.0.0.2:80. */
static inline void apprun_msgs(const struct app_proto *p, const struct apprun_msg *m, size_t n,
                               int mode, uint32_t seed, size_t max, struct apprun_result *res)
{
    memset(res, 0, sizeof(res[0]));
    struct drv_out out;
    struct drv d;
    uint32_t rng = seed ? seed : 1;
    if (drv_out_init(&out) != 0)
        return;
    drv_init(&d, p, &out, 1);
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    bw_addr_from_v4(&d.flow.cli, a);
    bw_addr_from_v4(&d.flow.srv, b);
    d.flow.cport = 40000;
    d.flow.sport = p->ipproto == IPPROTO_UDP ? 53 : 80;
    for (size_t i = 0; i < n; i++) {
        d.ctx.ts_us = 1700000000000000LL + (int64_t)i;
        size_t len = m[i].len ? m[i].len : (m[i].data ? strlen(m[i].data) : 0);
        if (m[i].data == NULL)
            drv_gap(&d, m[i].dir, len);
        else
            drv_feed(&d, m[i].dir, (const uint8_t *)m[i].data, len, mode, &rng, max);
    }
    drv_end(&d);
    res->stats = d.stats;
    res->app_errors = d.app_errors;
    res->over_pending = d.over_pending;
    res->flows = 1;
    res->eve = strdup(out.eve.data ? out.eve.data : "");
    res->access = strdup(out.access.data ? out.access.data : "");
    drv_out_fini(&out);
}

static inline void apprun_result_free(struct apprun_result *r)
{
    free(r->eve);
    free(r->access);
    r->eve = r->access = NULL;
}

/* Counts occurrences of `needle` in `hay`. */
static inline int apprun_count(const char *hay, const char *needle)
{
    int n = 0;
    size_t l = strlen(needle);
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + l, needle))
        n++;
    return n;
}

#endif

/* The alert state machine of a group (see detect-internal.h and
 * docs/detection.md): open on the event over the limit, updates while the
 * period lasts, close; the alert's state exists only while it is open. */
#include "sensor/detect-internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sensor/geo.h"

/* ---------------------------------------------------------------- alerts */

/* Copies at most size-1 bytes of a string and terminates it. */
static void str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void fill_context(struct galert *ga, const struct bw_access *ev)
{
    struct bw_alert *a = &ga->al;
    access_channel_str(ev, a->channel, sizeof(a->channel));
    a->actor_ip = ev->actor_ip;
    a->actor_port = ev->actor_port;
    a->dest_ip = ev->dest_ip;
    a->dest_port = ev->dest_port;
    str_copy(a->actor_user, sizeof(a->actor_user), ev->actor_user);
    str_copy(a->dataset, sizeof(a->dataset), ev->dataset);
    a->flow_id = ev->flow_id;
    ga->direction = ev->direction;
}

void dalert_emit(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev)
{
    struct bw_alert *a = &g->ga->al;
    const struct rule *r = &e->rules->v[g->rule];
    a->rule = r;
    a->window_s = r->window_us / 1000000;
    a->measure = rule_measure_name(r->measure);
    /* how the records were derived: one source, or several */
    if (g->src_mask == 0)
        a->records_source = access_records_src_name(ACCESS_REC_NONE);
    else if ((g->src_mask & (g->src_mask - 1)) != 0)
        a->records_source = "mixed";
    else
        a->records_source =
            access_records_src_name((enum access_records_src)__builtin_ctz(g->src_mask));
    snprintf(a->estimate_dataset, sizeof(a->estimate_dataset), "%s", g->est_dataset);
    a->estimate_record_bytes = g->est_record_bytes;
    a->npii = 0;
    for (int t = 0; t < NPII && a->npii < ALERT_PII_MAX; t++)
        if (g->ga->pii_total[t]) {
            a->pii[a->npii].type = rule_pii_names[t];
            a->pii[a->npii++].count = g->ga->pii_total[t];
        }
    /* where the data went, when that is outside home_net */
    const struct bw_addr *recv = g->ga->direction == ACCESS_SEND ? &a->dest_ip : &a->actor_ip;
    a->has_geo = 0;
    if (recv->family && e->cfg.conf != NULL && !config_is_home(e->cfg.conf, recv)) {
        struct geo_result gr;
        memset(&gr, 0, sizeof(gr));
        if (e->cfg.geo != NULL)
            geo_lookup(e->cfg.geo, recv, &gr);
        a->has_geo = 1;
        memcpy(a->country, gr.country, sizeof(a->country));
        a->asn = gr.asn;
    }
    if (a->update == 0 && ev != NULL && e->ev_fn != NULL)
        e->ev_fn(e->ev_ctx, a, ev);
    if (a->update == 0)
        e->st.alerts++;
    else
        e->st.updates++;
    if (e->alert_fn)
        e->alert_fn(e->alert_ctx, a);
    g->last_emit = a->ts_us;
    g->dirty = 0;
}

void dalert_close(struct detect_engine *e, struct dgroup *g)
{
    if (g->dirty) {
        g->ga->al.update++;
        dalert_emit(e, g, NULL);
    }
    g->active = 0;
    dgroup_act_unlink(e, g);
    free(g->ga);
    g->ga = NULL;
    g->size -= sizeof(struct galert);
    e->mem -= sizeof(struct galert);
}

void dalert_open(struct detect_engine *e, struct dgroup *g, const struct bw_access *ev,
                 const struct dw_sums *s, double value, double limit, int has_bl,
                 const struct rule *r)
{
    /* not active, so no alert is held (dalert_close frees it) */
    if ((g->ga = calloc(1, sizeof(*g->ga))) == NULL) {
        e->st.alloc_fail++;
        bw_error("detect: out of memory: alert of rule %s not raised", r->id);
        return;
    }
    g->size += sizeof(struct galert);
    e->mem += sizeof(struct galert);
    struct bw_alert *a = &g->ga->al;
    fill_context(g->ga, ev);
    snprintf(a->alert_id, sizeof(a->alert_id), "%s-%" PRIx64 "-%" PRIu64, e->cfg.sensor_id,
             (uint64_t)e->boot, ++e->seq);
    a->count = 1;
    a->ts_us = a->first_seen_us = a->last_seen_us = ev->ts_us;
    a->records = s->records;
    a->bytes = s->bytes;
    for (int t = 0; t < DW_PII_TYPES; t++)
        g->ga->pii_total[t] = s->pii[t];
    a->value = value;
    a->limit = limit;
    a->has_baseline = has_bl;
    if (has_bl) {
        db_stats(g->bl, &a->median, &a->mad);
        a->k = r->k;
    }
    g->active = 1;
    g->period_end = ev->ts_us + (int64_t)r->suppress_us;
    dgroup_act_link(e, g);
    dalert_emit(e, g, ev);
}

/* ---------------------------------------------------------------- time */

void detect_tick(struct detect_engine *e, int64_t now_us)
{
    struct dgroup *g = e->act_head, *next;
    for (; g; g = next) {
        next = g->anext;
        const struct rule *r = &e->rules->v[g->rule];
        if (now_us >= g->period_end) {
            dalert_close(e, g);
        } else if (g->dirty && now_us - g->last_emit >= (int64_t)r->update_us) {
            g->ga->al.update++;
            g->ga->al.ts_us = now_us;
            dalert_emit(e, g, NULL);
        }
    }
}

void detect_flush(struct detect_engine *e)
{
    for (struct dgroup *g = e->act_head; g; g = g->anext)
        if (g->dirty) {
            g->ga->al.update++;
            if (g->ga->al.last_seen_us > g->ga->al.ts_us)
                g->ga->al.ts_us = g->ga->al.last_seen_us;
            dalert_emit(e, g, NULL);
        }
}

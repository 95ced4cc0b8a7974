/* An access event through the rules (see detect-internal.h): match,
 * allowlist, group key, window update, baseline sampling, the limit and the
 * alert decision. */
#include "sensor/detect-internal.h"

#include <stdio.h>
#include <string.h>

#include "sensor/detect-dns.h"
#include "sensor/geo.h"
#include "sensor/inventory.h"

/* ---------------------------------------------------------------- measures */

static double measure_value(struct detect_engine *e, struct dgroup *g, enum rule_measure m,
                            const struct dw_sums *s, int64_t ts)
{
    const struct drule *d = &e->dr[g->rule];
    switch (m) {
    case RM_RECORDS:
        return (double)s->records;
    case RM_BYTES:
        return (double)s->bytes;
    case RM_REQUESTS:
        return (double)s->requests;
    case RM_DISTINCT_URIS:
        return dw_distinct(&g->win, ts, d->sk_uri);
    case RM_DISTINCT_IDS:
        return dw_distinct(&g->win, ts, d->sk_ids);
    case RM_DNS_SUBDOMAINS:
        return dw_distinct(&g->win, ts, d->sk_sub);
    case RM_DNS_LABEL_MAX:
        return s->label_max;
    case RM_DNS_ENTROPY:
        return s->ent_mean;
    case RM_PII: {
        double best = 0;
        for (int t = 0; t < NPII; t++)
            if (d->sk_pii[t] >= 0) {
                double v = dw_distinct(&g->win, ts, d->sk_pii[t]);
                if (v > best)
                    best = v;
            }
        return best;
    }
    case RM_MAX:
        break;
    }
    return 0;
}

/* Numeric ids in a URI or statement: every run of digits (at most 8). */
static void add_ids(struct detect_engine *e, struct dw_window *w, int slot, int k, const char *s)
{
    int n = 0;
    for (const char *p = s; *p && n < 8;) {
        if (*p >= '0' && *p <= '9') {
            const char *q = p;
            while (*q >= '0' && *q <= '9')
                q++;
            while (p < q - 1 && *p == '0')
                p++;
            dw_sketch_add(w, slot, k, dd_hash(e->hash_key ^ 0x1d, p, (size_t)(q - p)));
            n++;
            p = q;
        } else {
            p++;
        }
    }
}

static uint64_t event_records(struct detect_engine *e, const struct bw_access *ev)
{
    if (ev->records_src == ACCESS_REC_NONE && ev->records == 0 && e->rec_fn != NULL)
        return e->rec_fn(e->rec_ctx, ev);
    return ev->records;
}

static void add_event(struct detect_engine *e, struct dgroup *g, int slot,
                      const struct bw_access *ev, uint64_t records, const struct dns_split *dn)
{
    const struct drule *d = &e->dr[g->rule];
    struct dw_bucket *b = dw_bucket(&g->win, slot);
    b->records += records;
    b->bytes += ev->bytes;
    b->requests += (uint32_t)ev->requests;
    struct dw_extra *x;
    if (dn != NULL && dn->sub_len > 0 && (x = dw_extra(&g->win, slot)) != NULL) {
        uint16_t lm = ev->dns_label_max ? ev->dns_label_max : dn->label_max;
        double ent = ev->dns_entropy > 0 ? ev->dns_entropy : dn->entropy;
        if (lm > x->label_max)
            x->label_max = lm;
        x->ent_sum += ent;
        x->ent_n++;
    }
    if (d->sk_uri >= 0 && ev->detail[0])
        dw_sketch_add(&g->win, slot, d->sk_uri,
                      dd_hash(e->hash_key ^ 0x75, ev->detail, strlen(ev->detail)));
    if (d->sk_ids >= 0)
        add_ids(e, &g->win, slot, d->sk_ids, ev->detail);
    if (d->sk_sub >= 0 && dn != NULL && dn->sub_len > 0) {
        const char *name = ev->detail[0] ? ev->detail : ev->dataset;
        dw_sketch_add(&g->win, slot, d->sk_sub, dd_hash(e->hash_key ^ 0x5b, name, dn->sub_len));
    }
#if DETECT_HAVE_PII
    if (ev->pii != NULL)
        for (int t = 0; t < PII_TYPE_MAX; t++) {
            if (ev->pii->matches[t] > 0 && (x = dw_extra(&g->win, slot)) != NULL)
                x->pii[t] += (uint32_t)ev->pii->matches[t];
            if (d->sk_pii[t] >= 0 && ev->pii->distinct[t] != NULL)
                dw_sketch_merge(&g->win, slot, d->sk_pii[t], ev->pii->distinct[t]->reg,
                                BW_DISTINCT_P);
        }
#endif
}

/* ---------------------------------------------------------------- events */

/* The address parts of group keys, formatted at most once per event however
 * many rules match it (formatting was a quarter of the engine's time). */
struct ev_keys {
    const struct bw_access *ev;
    char actor[BW_ADDR_STRLEN + 1 + ACCESS_USER_MAX]; /* "ip" or "ip/user" */
    char dest[BW_ADDR_STRLEN];
    size_t actor_len, dest_len; /* 0 = not formatted yet */
};

/* Appends n bytes of s to out[*off], keeping room for the NUL. */
static void key_put(char *out, size_t outlen, size_t *off, const char *s, size_t n)
{
    if (n > outlen - 1 - *off)
        n = outlen - 1 - *off;
    memcpy(out + *off, s, n);
    *off += n;
}

static void group_key(const struct rule *r, struct ev_keys *k, const struct dns_split *dn,
                      char *out, size_t outlen)
{
    const struct bw_access *ev = k->ev;
    size_t off = 0;
    /* The actor is the address and, when the source names one, the user
     * (app@10.77.0.66 and backup@10.77.0.66 are two actors, each alert
     * names its own): "ip" or "ip/user". */
    if (r->group_by != RG_DOMAIN && k->actor_len == 0) {
        bw_addr_fmt(&ev->actor_ip, k->actor);
        size_t n = strlen(k->actor);
        if (ev->actor_user[0]) {
            k->actor[n++] = '/';
            size_t u = strnlen(ev->actor_user, ACCESS_USER_MAX - 1);
            memcpy(k->actor + n, ev->actor_user, u);
            n += u;
            k->actor[n] = '\0';
        }
        k->actor_len = n;
    }
    switch (r->group_by) {
    case RG_ACTOR:
        key_put(out, outlen, &off, k->actor, k->actor_len);
        break;
    case RG_ACTOR_DATASET:
        key_put(out, outlen, &off, k->actor, k->actor_len);
        key_put(out, outlen, &off, " ", 1);
        key_put(out, outlen, &off, ev->dataset, strlen(ev->dataset));
        break;
    case RG_ACTOR_DEST: {
        /* the address alone: the user does not split a host's uploads */
        size_t ip_len = strcspn(k->actor, "/");
        if (k->dest_len == 0) {
            bw_addr_fmt(&ev->dest_ip, k->dest);
            k->dest_len = strlen(k->dest);
        }
        key_put(out, outlen, &off, k->actor, ip_len);
        key_put(out, outlen, &off, " ", 1);
        key_put(out, outlen, &off, k->dest, k->dest_len);
        break;
    }
    case RG_DOMAIN:
        key_put(out, outlen, &off, dn->reg, dn->reg_len);
        break;
    }
    out[off] = '\0';
}

static void sample_baseline(struct detect_engine *e, struct dgroup *g, const struct rule *r,
                            int64_t ts)
{
    struct db_baseline *b = g->bl;
    /* Sampling periods are aligned to multiples of the window, so that each
     * sample is exactly the buckets of one past window. */
    if (b->next_sample_us == 0) {
        b->next_sample_us = (ts / (int64_t)r->window_us + 1) * (int64_t)r->window_us;
        return;
    }
    if (ts < b->next_sample_us)
        return;
    /* The window that just ended had activity (this group's previous event);
     * idle windows are not samples, so a sporadic reader's baseline is what
     * it reads when it reads, not a median of zeros. */
    struct dw_sums s;
    dw_sum(&g->win, b->next_sample_us - 1, &s);
    double v = measure_value(e, g, r->measure, &s, b->next_sample_us - 1);
    if (v > 0)
        db_push(b, v);
    uint64_t idle = (uint64_t)(ts - b->next_sample_us) / r->window_us;
    b->next_sample_us += (int64_t)((idle + 1) * r->window_us);
    g->known = 1;
}

/* A rule's `estimate`: records of an opaque flow (tls, or no parser) from its
 * payload bytes and the export record size of the dataset the rule names.
 * Returns the dataset, or NULL when the estimate does not apply. */
static const struct inventory_dataset *estimate_for(const struct detect_engine *e,
                                                    const struct rule *r,
                                                    const struct bw_access *ev, uint64_t *records)
{
    const struct inventory_dataset *d;
    if (!r->estimate_dataset[0] || e->inv == NULL || ev->channel != ACCESS_CH_FLOW ||
        ev->records_src != ACCESS_REC_NONE || ev->records != 0)
        return NULL;
    /* parsed channels keep their exact (rows) or content (PII) counts */
    if (ev->detail[0] && strcmp(ev->detail, "tls") != 0)
        return NULL;
    if ((d = inventory_find(e->inv, r->estimate_dataset)) == NULL || d->export_record_bytes == 0)
        return NULL;
    *records = (ev->payload_bytes + d->export_record_bytes / 2) / d->export_record_bytes;
    return d;
}

static void rule_event(struct detect_engine *e, int ri, const struct bw_access *ev,
                       uint64_t records, enum access_records_src rsrc,
                       const struct inventory_dataset *est, const struct dns_split *dn,
                       struct ev_keys *k)
{
    const struct rule *r = &e->rules->v[ri];
    struct drule *d = &e->dr[ri];
    char key[GROUP_KEY_MAX];
    group_key(r, k, dn, key, sizeof(key));
    uint64_t h = dgroup_key_hash(e, r->id, key);
    struct dgroup *g = dgroup_find(e, h, ri, key);
    int was_known;
    if (g == NULL && (g = dgroup_new(e, ri, h, key)) == NULL)
        return;
    if (g != e->lru_head) {
        dgroup_lru_unlink(e, g);
        dgroup_lru_push(e, g);
    }
    if (d->learn_start == INT64_MIN)
        d->learn_start = ev->ts_us;
    if (g->active && ev->ts_us >= g->period_end)
        dalert_close(e, g);
    was_known = g->known;
    if (g->bl != NULL)
        sample_baseline(e, g, r, ev->ts_us);
    int slot = dw_slot(&g->win, ev->ts_us);
    if (slot < 0) {
        e->st.late++;
        return;
    }
    add_event(e, g, slot, ev, records, dn);
    dgroup_account(e, g);
    if (records > 0)
        g->src_mask |= 1u << rsrc;
    if (est != NULL && records > 0) {
        snprintf(g->est_dataset, sizeof(g->est_dataset), "%s", est->id);
        g->est_record_bytes = est->export_record_bytes;
    }
    if (g->active) {
        struct bw_alert *a = &g->ga->al;
        a->records += records;
        a->bytes += ev->bytes;
#if DETECT_HAVE_PII
        if (ev->pii != NULL)
            for (int t = 0; t < PII_TYPE_MAX; t++)
                g->ga->pii_total[t] += ev->pii->matches[t];
#endif
        if (ev->ts_us > a->last_seen_us)
            a->last_seen_us = ev->ts_us;
        g->dirty = 1;
    }

    /* limit */
    int64_t ts = ev->ts_us;
    int has_bl = 0;
    double limit = r->threshold;
    if (r->baseline || r->first_seen) {
        int training = r->learn_us > 0 && ts < d->learn_start + (int64_t)r->learn_us;
        if (training)
            goto updates;
    }
    if (r->first_seen && was_known)
        goto updates;
    if (r->baseline) {
        if (g->bl->n > 0) {
            limit = db_limit(g->bl, r->threshold, r->k, r->mad_floor);
            has_bl = 1;
        } else if (r->threshold <= 0) {
            goto updates;
        }
    }
    struct dw_sums s;
    dw_sum(&g->win, ts, &s);
    double value = measure_value(e, g, r->measure, &s, ts);
    if (value < limit)
        goto updates;
    for (int i = 0; i < r->nrequire; i++)
        if (measure_value(e, g, r->require[i].measure, &s, ts) < r->require[i].min)
            goto updates;
    if (!g->active) {
        dalert_open(e, g, ev, &s, value, limit, has_bl, r);
        dgroup_account(e, g);
        return;
    }
    g->ga->al.count++;
    if (value > g->ga->al.value) {
        g->ga->al.value = value;
        g->ga->al.limit = limit;
    }
updates:
    dgroup_account(e, g);
    if (g->active && g->dirty && ts - g->last_emit >= (int64_t)r->update_us) {
        g->ga->al.update++;
        g->ga->al.ts_us = ts;
        dalert_emit(e, g, NULL);
    }
}

void detect_access(struct detect_engine *e, const struct bw_access *ev)
{
    e->st.events++;
    if (e->rules->n == 0)
        return;
    const struct bw_config *conf = e->cfg.conf;
    const struct bw_addr *recv = ev->direction == ACCESS_SEND ? &ev->dest_ip : &ev->actor_ip;
    struct rule_glob_memo memo = {NULL, false};
    struct rule_match_ctx m = {
        .recv = recv,
        .actor_home = conf ? config_is_home(conf, &ev->actor_ip) : true,
        .dest_home = conf ? config_is_home(conf, recv) : true,
        .dest_country = NULL,
        .dest_asn = 0,
        .utc_offset_min = e->cfg.utc_offset_min,
        .memo = &memo,
    };
    struct geo_result gr;
    int geo_done = 0, matched = 0;
    uint64_t records = event_records(e, ev);
    struct dns_split dn, *dnp = NULL;
    struct ev_keys keys = {.ev = ev};
    if (ev->channel == ACCESS_CH_DNS || ev->dns_qtype != 0) {
        const char *name = ev->detail[0] ? ev->detail : ev->dataset;
        dns_split_name(name, strlen(name), &dn);
        dnp = &dn;
    }
    for (size_t i = 0; i < e->rules->n; i++) {
        const struct rule *r = &e->rules->v[i];
        if (rule_needs_geo(r) && !geo_done && rule_match_channel(r, ev)) {
            memset(&gr, 0, sizeof(gr));
            if (e->cfg.geo != NULL && !m.dest_home && recv->family)
                geo_lookup(e->cfg.geo, recv, &gr);
            m.dest_country = gr.country;
            m.dest_asn = gr.asn;
            geo_done = 1;
        }
        if (!rule_match(r, ev, &m))
            continue;
        if (rule_allowed(r, ev)) {
            e->st.allowlisted++;
            continue;
        }
        if (r->group_by == RG_DOMAIN && dnp == NULL) {
            dns_split_name(ev->dataset, strlen(ev->dataset), &dn);
            dnp = &dn;
        }
        matched = 1;
        uint64_t rrec = records;
        enum access_records_src rsrc = ev->records_src;
        const struct inventory_dataset *est = estimate_for(e, r, ev, &rrec);
        if (est != NULL)
            rsrc = ACCESS_REC_ESTIMATE;
        else if (rsrc == ACCESS_REC_NONE && records > 0)
            rsrc = ACCESS_REC_INVENTORY; /* from the records hook (the data inventory) */
        rule_event(e, (int)i, ev, rrec, rsrc, est, dnp, &keys);
    }
    e->st.matched += (uint64_t)matched;
}

static void sink_emit(void *ctx, const struct bw_access *ev)
{
    detect_access(ctx, ev);
}

struct access_sink detect_sink(struct detect_engine *e)
{
    struct access_sink s = {sink_emit, e};
    return s;
}

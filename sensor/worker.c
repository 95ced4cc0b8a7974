/* Worker: runs each frame through decode, the flow table and the stream stage,
 * writes the `flow` event of every ended flow and the `stats` event. */
#include "sensor/worker.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "sensor/dns-payload.h"
#include "sensor/output-eve.h"
#include "sensor/pii-tap.h"

void worker_config_defaults(struct worker_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    decode_config_defaults(&cfg->decode);
    flow_config_defaults(&cfg->flow);
    stream_config_defaults(&cfg->stream);
    ring_config_defaults(&cfg->ring);
    cfg->flow_events = 1;
    cfg->flow_access_step = 1u << 20;
}

int worker_config_load(struct worker_config *cfg, const struct bw_config *conf, struct bw_err *err)
{
    worker_config_defaults(cfg);
    if (flow_config_load(&cfg->flow, conf, err) != 0 || ring_config_load(&cfg->ring, conf, err))
        return -1;
    cfg->home_net = conf ? &conf->home_net : NULL;
    const struct bw_ynode *out = conf ? config_section(conf, "outputs") : NULL;
    const struct bw_ynode *n = out ? bw_ymap_get(out, "eve_flow") : NULL;
    bool b;
    if (n != NULL) {
        if (bw_yget_bool(&conf->doc, n, &b, err))
            return -1;
        cfg->flow_events = b;
    }
    return 0;
}

static void tcp_flags_hex(uint8_t f, char out[3])
{
    static const char hx[] = "0123456789abcdef";
    out[0] = hx[f >> 4];
    out[1] = hx[f & 15];
    out[2] = '\0';
}

static void write_flow_event(struct worker *w, struct flow *f, enum flow_end_reason why)
{
    char ts[BW_TS_LEN], hex[3];
    struct bw_json *j = eve_begin(w->eve, "flow", f->last_us, f, 0);
    bw_json_obj_begin(j, "flow");
    bw_json_uint(j, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
    bw_json_uint(j, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
    bw_json_uint(j, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
    bw_json_uint(j, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
    bw_json_str(j, "start", bw_time_fmt(f->start_us, ts));
    bw_json_str(j, "end", bw_time_fmt(f->last_us, ts));
    /* Whole seconds, as Suricata computes it (end second - start second). */
    int64_t age = f->last_us / BW_USEC - f->start_us / BW_USEC;
    bw_json_int(j, "age", age < 0 ? 0 : age);
    bw_json_str(j, "state", flow_state_name(f));
    bw_json_str(j, "reason", flow_end_reason_name(why));
    bw_json_obj_end(j);
    if (f->proto == IPPROTO_TCP) {
        uint8_t all = f->tcp_flags_seen[0] | f->tcp_flags_seen[1];
        bw_json_obj_begin(j, "tcp");
        tcp_flags_hex(all, hex);
        bw_json_str(j, "tcp_flags", hex);
        tcp_flags_hex(f->tcp_flags_seen[FLOW_TOSERVER], hex);
        bw_json_str(j, "tcp_flags_ts", hex);
        tcp_flags_hex(f->tcp_flags_seen[FLOW_TOCLIENT], hex);
        bw_json_str(j, "tcp_flags_tc", hex);
        static const char *const names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"};
        for (int i = 0; i < 8; i++)
            if (all & (1u << i))
                bw_json_bool(j, names[i], true);
        bw_json_str(j, "state", flow_tcp_state_name(f->tcp_state));
        bw_json_obj_end(j);
    }
    eve_end(w->eve);
}

/* Outbound volume for detection: a `flow` access event (direction send, bytes =
 * to-server bytes since the last one) when a client inside home_net has sent
 * another flow_access_step bytes to a server outside it, and at flow end, so a
 * long upload is seen before it finishes. Inbound bytes never count. */
static void flow_access(struct worker *w, struct flow *f, int64_t ts_us, int final)
{
    const struct access_sink *s = w->tmpl.access;
    if (s == NULL || w->cfg.home_net == NULL)
        return;
    if (f->out_state == 0)
        f->out_state = bw_cidr_set_contains(w->cfg.home_net, &f->cli) &&
                               !bw_cidr_set_contains(w->cfg.home_net, &f->srv)
                           ? 1
                           : -1;
    if (f->out_state < 0)
        return;
    uint64_t delta = f->bytes[FLOW_TOSERVER] - f->out_reported;
    if (delta == 0 || (!final && delta < w->cfg.flow_access_step))
        return;
    struct bw_access ev;
    access_init(&ev);
    ev.ts_us = ts_us;
    ev.channel = ACCESS_CH_FLOW;
    ev.direction = ACCESS_SEND;
    ev.actor_ip = f->cli;
    ev.actor_port = f->cport;
    ev.dest_ip = f->srv;
    ev.dest_port = f->sport;
    ev.bytes = delta;
    ev.payload_bytes = f->out_payload - f->out_payload_reported;
    f->out_payload_reported = f->out_payload;
    ev.requests = 0;
    ev.flow = f;
    ev.flow_id = f->flow_id;
    if (f->app != NULL)
        snprintf(ev.detail, sizeof(ev.detail), "%s", f->app->name);
    f->out_reported += delta;
    access_emit(s, &ev);
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    struct worker *w = ctx;
    /* The stream stage flushes first, so a flow's last protocol events come
     * before its flow event (as in Suricata); the detected protocol is kept
     * for the flow event's app_proto. */
    const struct app_proto *app = f->app;
    struct app_ctx c = w->tmpl;
    c.flow = f;
    c.ts_us = f->last_us;
    stream_flow_end(w->stream, f, &c);
    if (f->app == NULL)
        f->app = app;
    flow_access(w, f, f->last_us, 1);
    ring_release(w->ring, &f->ring); /* after the last alert the flow may raise */
    if (w->eve != NULL && w->cfg.flow_events)
        write_flow_event(w, f, why);
}

struct worker *worker_new(const struct worker_config *cfg, struct eve_out *eve, struct bw_err *err)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    w->cfg = *cfg;
    w->eve = eve;
    w->tmpl.eve = eve;
    w->last_ts_us = INT64_MIN;
    w->last_tick_us = 0;
    if (decoder_init(&w->dec, &cfg->decode, err) != 0)
        goto fail;
    w->dec_ok = 1;
    w->stream = stream_engine_new(&cfg->stream, err);
    if (w->stream == NULL)
        goto fail;
    w->flows = flow_table_new(&cfg->flow, on_flow_end, w, err);
    if (w->flows == NULL)
        goto fail;
    if (cfg->ring.enabled && (w->ring = ring_pool_new(&cfg->ring, err)) == NULL)
        goto fail;
    return w;
fail:
    worker_free(w);
    return NULL;
}

void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    flow_table_free(w->flows); /* ends flows: needs the stream engine alive */
    stream_engine_free(w->stream);
    ring_pool_free(w->ring);
    dns_payload_free(w->dns_payload);
    pii_scratch_free(w->pii_scratch);
    if (pii_pool_in_use(w->pii_pool) != 0) /* every transaction gives its estimators back */
        bw_warn("pii: %zu distinct estimators not returned", pii_pool_in_use(w->pii_pool));
    pii_pool_free(w->pii_pool);
    if (w->dec_ok)
        decoder_fini(&w->dec);
    free(w);
}

void worker_shutdown(struct worker *w)
{
    flow_table_end_all(w->flows, FLOW_END_SHUTDOWN);
}

void worker_set_access_sink(struct worker *w, const struct access_sink *sink)
{
    w->tmpl.access = sink;
}

int worker_set_pii(struct worker *w, const struct pii_scanner *sc, size_t pool_n,
                   struct bw_err *err)
{
    w->pii_scratch = pii_scratch_new(sc, err);
    if (w->pii_scratch == NULL || (w->pii_pool = pii_pool_new(pool_n, err)) == NULL)
        return -1;
    w->tmpl.pii = sc;
    w->tmpl.pii_scratch = w->pii_scratch;
    w->tmpl.pii_pool = w->pii_pool;
    return 0;
}

int worker_set_dns_payload(struct worker *w, struct dns_seen *seen, struct bw_err *err)
{
    if (w->tmpl.pii == NULL) {
        bw_err_set(err, "dns payload: no PII scanner");
        return -1;
    }
    if ((w->dns_payload = dns_payload_new(w->tmpl.pii, seen, err)) == NULL)
        return -1;
    w->tmpl.dns_payload = w->dns_payload;
    return 0;
}

void worker_set_inventory(struct worker *w, const struct inventory *inv)
{
    w->tmpl.inventory = inv;
}

/* Packet times come from untrusted files: keep them in [0, 2^52] us (year
 * 2112) so that every difference taken later fits in an int64_t. */
static int64_t clamp_ts(int64_t ts_us)
{
    if (ts_us < 0)
        return 0;
    if (ts_us > (1ll << 52))
        return 1ll << 52;
    return ts_us;
}

void worker_tick(struct worker *w, int64_t now_us)
{
    now_us = clamp_ts(now_us);
    flow_table_tick(w->flows, now_us);
    if (now_us - w->last_tick_us >= BW_USEC) {
        decode_tick(&w->dec, now_us);
        w->last_tick_us = now_us;
    }
}

void worker_packet(struct worker *w, int dlt, const uint8_t *data, uint32_t caplen,
                   uint32_t wirelen, int64_t ts_us)
{
    struct bw_packet p;
    w->stats.packets++;
    ts_us = clamp_ts(ts_us);
    if (ts_us > w->last_ts_us) {
        w->last_ts_us = ts_us;
        /* Packet time drives expiry, so offline output does not depend on
         * how fast the file is read. */
        worker_tick(w, ts_us);
    }
    if (decode_packet(&w->dec, dlt, data, caplen, wirelen, ts_us, &p) != 1)
        return;
    int dir;
    struct flow *f = flow_handle_packet(w->flows, &p, &dir);
    if (f == NULL) {
        w->stats.no_flow++;
        return;
    }
    ring_add(w->ring, &f->ring, &p); /* evidence: before parsers may raise an alert */
    struct app_ctx c = w->tmpl;
    c.flow = f;
    c.ts_us = ts_us;
    stream_packet(w->stream, f, dir, &p, &c);
    if (dir == FLOW_TOSERVER && f->out_state >= 0)
        flow_access(w, f, ts_us, 0);
}

/* decoder.event: {"ipv4": {"truncated": 2}, ...}: nested by the dotted name,
 * non-zero counters only. */
static void write_decode_events(struct bw_json *j, const struct decode_stats *ds)
{
    uint8_t done[DEC_EVENT_MAX] = {0};
    bw_json_obj_begin(j, "event");
    for (int i = 0; i < DEC_EVENT_MAX; i++) {
        if (done[i] || ds->events[i] == 0)
            continue;
        const char *name = decode_event_name((enum decode_event)i);
        const char *dot = strchr(name, '.');
        size_t plen = dot ? (size_t)(dot - name) : strlen(name);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "%.*s", (int)plen, name);
        bw_json_obj_begin(j, prefix);
        for (int k = i; k < DEC_EVENT_MAX; k++) {
            const char *nk = decode_event_name((enum decode_event)k);
            if (ds->events[k] == 0 || strncmp(nk, name, plen) != 0 || nk[plen] != '.')
                continue;
            bw_json_uint(j, nk + plen + 1, ds->events[k]);
            done[k] = 1;
        }
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
}

void worker_write_stats(struct worker *w, const struct capture_stats *cap, int64_t ts_us)
{
    struct worker_counters wc;
    worker_get_counters(w, &wc);
    worker_write_stats_from(w->eve, cap, &wc, ts_us, NULL, NULL);
}

void worker_get_counters(const struct worker *w, struct worker_counters *out)
{
    out->dec = w->dec.stats;
    out->flow = *flow_table_stats(w->flows);
    out->stream = *stream_engine_stats(w->stream);
    out->work = w->stats;
    memset(&out->dns, 0, sizeof(out->dns));
    if (w->dns_payload != NULL)
        dns_payload_get_stats(w->dns_payload, &out->dns);
}

void worker_counters_add(struct worker_counters *sum, const struct worker_counters *c)
{
    /* Every member is a uint64_t counter (asserted below): add them as an array. */
    _Static_assert(sizeof(struct worker_counters) % sizeof(uint64_t) == 0, "uint64 counters");
    uint64_t *d = (uint64_t *)sum;
    const uint64_t *s = (const uint64_t *)c;
    for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
        d[i] += s[i];
}

void worker_write_stats_from(struct eve_out *eve, const struct capture_stats *cap,
                             const struct worker_counters *wc, int64_t ts_us,
                             void (*extra)(void *ctx, struct bw_json *j), void *ctx)
{
    if (eve == NULL)
        return;
    struct bw_json *j = eve_begin(eve, "stats", ts_us, NULL, 0);
    bw_json_obj_begin(j, "stats");
    if (cap != NULL) {
        bw_json_obj_begin(j, "capture");
        bw_json_uint(j, "packets", cap->packets);
        bw_json_uint(j, "bytes", cap->bytes);
        bw_json_uint(j, "kernel_drops", cap->kernel_drops);
        bw_json_uint(j, "kernel_ifdrops", cap->kernel_ifdrops);
        bw_json_uint(j, "file_errors", cap->file_errors);
        bw_json_obj_end(j);
    }
    const struct decode_stats *ds = &wc->dec;
    bw_json_obj_begin(j, "decoder");
    bw_json_uint(j, "pkts", ds->pkts);
    bw_json_uint(j, "bytes", ds->bytes);
    bw_json_uint(j, "ethernet", ds->eth);
    bw_json_uint(j, "vlan", ds->vlan);
    bw_json_uint(j, "sll", ds->sll);
    bw_json_uint(j, "null", ds->null);
    bw_json_uint(j, "raw", ds->raw);
    bw_json_uint(j, "ipv4", ds->ipv4);
    bw_json_uint(j, "ipv6", ds->ipv6);
    bw_json_uint(j, "tcp", ds->tcp);
    bw_json_uint(j, "udp", ds->udp);
    bw_json_uint(j, "icmpv4", ds->icmp);
    bw_json_uint(j, "icmpv6", ds->icmpv6);
    bw_json_uint(j, "other_l4", ds->other_l4);
    bw_json_uint(j, "frags", ds->frags);
    bw_json_uint(j, "reassembled", ds->reassembled);
    write_decode_events(j, ds);
    bw_json_obj_end(j);
    const struct flow_stats *fs = &wc->flow;
    bw_json_obj_begin(j, "flow");
    bw_json_uint(j, "created", fs->created);
    bw_json_uint(j, "ended", fs->ended);
    bw_json_uint(j, "active", fs->active);
    bw_json_uint(j, "evicted", fs->evicted);
    bw_json_uint(j, "timed_out", fs->timed_out);
    bw_json_uint(j, "pool_size", fs->pool_size);
    bw_json_uint(j, "no_flow", wc->work.no_flow);
    bw_json_obj_end(j);
    const struct stream_stats *ss = &wc->stream;
    bw_json_obj_begin(j, "stream");
    bw_json_uint(j, "segments", ss->segments);
    bw_json_uint(j, "bytes_delivered", ss->bytes_delivered);
    bw_json_uint(j, "ooo_segments", ss->ooo_segments);
    bw_json_uint(j, "retransmissions", ss->retransmissions);
    bw_json_uint(j, "overlaps", ss->overlaps);
    bw_json_uint(j, "overlap_conflicts", ss->overlap_conflicts);
    bw_json_uint(j, "gaps", ss->gaps);
    bw_json_uint(j, "gap_bytes", ss->gap_bytes);
    bw_json_uint(j, "memcap_drops", ss->memcap_drops);
    bw_json_uint(j, "flows_midstream", ss->flows_midstream);
    bw_json_uint(j, "parser_errors", ss->parser_errors);
    bw_json_uint(j, "undetected", ss->undetected);
    bw_json_obj_end(j);
    bw_json_obj_begin(j, "app_layer");
    for (int i = 0; app_protos[i] != NULL && i < 16; i++) {
        const struct app_stats *as = &ss->app[i];
        /* A protocol registered for both transports (dns) gets one key each. */
        char key[32];
        int twice = 0;
        for (int k = 0; app_protos[k] != NULL; k++)
            twice |= k != i && strcmp(app_protos[k]->name, app_protos[i]->name) == 0;
        snprintf(key, sizeof(key), "%s%s", app_protos[i]->name,
                 !twice                                  ? ""
                 : app_protos[i]->ipproto == IPPROTO_UDP ? "_udp"
                                                         : "_tcp");
        bw_json_obj_begin(j, key);
        bw_json_uint(j, "detected", as->detected);
        bw_json_uint(j, "events", as->events);
        bw_json_uint(j, "errors", as->errors);
        bw_json_uint(j, "gaps", as->gaps);
        bw_json_uint(j, "resyncs", as->resyncs);
        bw_json_uint(j, "pii_skipped_bytes", as->pii_skipped_bytes);
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
    const struct dns_payload_stats *dps = &wc->dns;
    if (dps->queries > 0) {
        /* DNS payload streams (sensor/dns-payload.h) */
        bw_json_obj_begin(j, "dns_payload");
        bw_json_uint(j, "queries", dps->queries);
        bw_json_uint(j, "repeats", dps->repeats);
        bw_json_uint(j, "forwards", dps->forwards);
        bw_json_uint(j, "streams", dps->streams);
        bw_json_uint(j, "evictions", dps->evictions);
        bw_json_uint(j, "labels_data", dps->labels_data);
        bw_json_uint(j, "labels_seq", dps->labels_seq);
        bw_json_uint(j, "labels_other", dps->labels_other);
        bw_json_uint(j, "bytes", dps->bytes);
        bw_json_uint(j, "resyncs", dps->resyncs);
        bw_json_uint(j, "enc_changes", dps->enc_changes);
        bw_json_uint(j, "estimators_exhausted", dps->estimators_exhausted);
        bw_json_uint(j, "scan_errors", dps->scan_errors);
        bw_json_obj_end(j);
    }
    if (extra != NULL)
        extra(ctx, j);
    bw_json_obj_end(j);
    eve_end(eve);
}

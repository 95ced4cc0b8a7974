/* EVE `alert` events (see alert.h). */
#include "sensor/alert.h"

#include <math.h>
#include <string.h>

#include "common/timeutil.h"
#include "rules/rule.h"
#include "sensor/output-eve.h"

static void write_num(struct bw_json *j, const char *key, double v)
{
    if (v >= 0 && v < 9e15 && floor(v) == v)
        bw_json_uint(j, key, (uint64_t)v);
    else
        bw_json_double(j, key, v);
}

void alert_write_json(struct bw_json *j, const struct bw_alert *a)
{
    const struct rule *r = a->rule;
    char ts[BW_TS_LEN], ip[BW_ADDR_STRLEN];
    bw_json_obj_begin(j, "alert");
    bw_json_str(j, "action", "allowed");
    bw_json_uint(j, "gid", 1);
    bw_json_uint(j, "signature_id", r->sid);
    bw_json_uint(j, "rev", r->rev);
    bw_json_str(j, "signature", r->name);
    bw_json_str(j, "category", r->category);
    bw_json_uint(j, "severity", (uint64_t)r->severity);
    bw_json_obj_begin(j, "metadata");
    bw_json_arr_begin(j, "mitre_technique_id");
    for (int i = 0; i < r->nmitre; i++)
        bw_json_str(j, NULL, r->mitre[i]);
    bw_json_arr_end(j);
    bw_json_arr_begin(j, "rule_file");
    bw_json_str(j, NULL, r->file);
    bw_json_arr_end(j);
    bw_json_obj_end(j);
    bw_json_obj_end(j);

    bw_json_obj_begin(j, "breach");
    bw_json_str(j, "alert_id", a->alert_id);
    bw_json_uint(j, "update", a->update);
    bw_json_uint(j, "count", a->count);
    bw_json_str(j, "first_seen", bw_time_fmt(a->first_seen_us, ts));
    bw_json_str(j, "last_seen", bw_time_fmt(a->last_seen_us, ts));
    bw_json_str(j, "rule", r->id);
    bw_json_str(j, "channel", a->channel);
    bw_json_obj_begin(j, "actor");
    if (a->actor_ip.family)
        bw_json_str(j, "ip", bw_addr_fmt(&a->actor_ip, ip));
    if (a->actor_user[0])
        bw_json_str(j, "user", a->actor_user);
    bw_json_obj_end(j);
    if (a->dataset[0])
        bw_json_str(j, "dataset", a->dataset);
    bw_json_uint(j, "records", a->records);
    if (a->records_source != NULL)
        bw_json_str(j, "records_source", a->records_source);
    if (a->estimate_dataset[0]) {
        bw_json_obj_begin(j, "estimate");
        bw_json_str(j, "dataset", a->estimate_dataset);
        bw_json_uint(j, "record_bytes", a->estimate_record_bytes);
        bw_json_obj_end(j);
    }
    bw_json_uint(j, "bytes", a->bytes);
    bw_json_obj_begin(j, "pii");
    for (int i = 0; i < a->npii; i++)
        bw_json_uint(j, a->pii[i].type, a->pii[i].count);
    bw_json_obj_end(j);
    bw_json_uint(j, "window_s", a->window_s);
    if (a->has_baseline) {
        bw_json_obj_begin(j, "baseline");
        bw_json_str(j, "measure", a->measure);
        write_num(j, "value", a->value);
        write_num(j, "median", a->median);
        write_num(j, "mad", a->mad);
        write_num(j, "k", a->k);
        write_num(j, "limit", a->limit);
        bw_json_obj_end(j);
    } else {
        bw_json_obj_begin(j, "threshold");
        bw_json_str(j, "measure", a->measure);
        write_num(j, "value", a->value);
        write_num(j, "limit", a->limit);
        bw_json_obj_end(j);
    }
    if (a->has_geo) {
        bw_json_obj_begin(j, "dest_geo");
        if (a->country[0])
            bw_json_str(j, "country", a->country);
        bw_json_uint(j, "asn", a->asn);
        bw_json_obj_end(j);
    }
    if (a->has_evidence) {
        bw_json_obj_begin(j, "evidence");
        bw_json_str(j, "pcap", a->evidence_pcap);
        bw_json_str(j, "sha256", a->evidence_sha256);
        bw_json_uint(j, "packets", a->evidence_packets);
        bw_json_obj_end(j);
    }
    bw_json_obj_end(j);
}

void alert_write_eve(struct eve_out *e, const struct bw_alert *a)
{
    const char *proto = NULL, *app = NULL;
    if (strcmp(a->channel, "dns") == 0) {
        proto = "UDP";
        app = "dns";
    } else if (strncmp(a->channel, "log:", 4) != 0) {
        proto = "TCP";
        if (strcmp(a->channel, "flow") != 0)
            app = a->channel;
    }
    struct bw_json *j = eve_begin_tuple(e, "alert", a->ts_us, &a->actor_ip, a->actor_port,
                                        &a->dest_ip, a->dest_port, proto);
    if (a->flow_id)
        bw_json_uint(j, "flow_id", a->flow_id);
    if (app != NULL)
        bw_json_str(j, "app_proto", app);
    alert_write_json(j, a);
    eve_end(e);
}

/* Alerts: what a detector raised, and its EVE `alert` event (Suricata's alert
 * object plus Breachwatch's `breach` object, DESIGN.md). An alert has a stable
 * id (sensor id + sequence); updates of the same alert carry the same id and a
 * growing `update` number. */
#ifndef BW_ALERT_H
#define BW_ALERT_H

#include <stdint.h>

#include "common/ipaddr.h"
#include "common/json.h"
#include "sensor/access.h"

struct rule;
struct eve_out;

#define ALERT_ID_MAX  96
#define ALERT_PII_MAX 16

struct bw_alert {
    const struct rule *rule; /* borrowed for the callback */
    char alert_id[ALERT_ID_MAX];
    uint64_t update; /* 0 = first emission */
    uint64_t count;  /* evaluations over the limit since the alert opened */
    int64_t ts_us, first_seen_us, last_seen_us;

    char channel[40];
    struct bw_addr actor_ip, dest_ip;
    uint16_t actor_port, dest_port;
    char actor_user[ACCESS_USER_MAX];
    char dataset[ACCESS_DATASET_MAX];
    uint64_t flow_id;

    uint64_t records, bytes;
    const char *records_source; /* static: an access_records_src name, or "mixed" */
    char estimate_dataset[64];  /* records_source "estimate": the dataset assumed */
    uint32_t estimate_record_bytes;
    int npii;
    struct {
        const char *type; /* static name */
        uint64_t count;
    } pii[ALERT_PII_MAX];

    uint64_t window_s;
    const char *measure; /* static name */
    double value;        /* measure over the window when it was exceeded (or now) */
    double limit;        /* what it was compared against */
    int has_baseline;
    double median, mad, k;

    int has_geo;
    char country[3];
    uint32_t asn;

    /* filled by the evidence hook (responder ring), else absent */
    int has_evidence;
    char evidence_pcap[256];
    char evidence_sha256[65];
    uint64_t evidence_packets;
};

/* Writes the alert's own members (alert, breach, app_proto) into an open
 * event object. */
void alert_write_json(struct bw_json *j, const struct bw_alert *a);
/* One EVE `alert` line (src = actor, dest = the other side). */
void alert_write_eve(struct eve_out *e, const struct bw_alert *a);

#endif

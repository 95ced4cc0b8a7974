/* The access event: the spine of the pipeline. Every source — packet parsers
 * and log parsers alike — describes "who read or sent which records, how many
 * bytes, to where" in this one struct, and every detector consumes it. */
#ifndef BW_ACCESS_H
#define BW_ACCESS_H

#include <stdint.h>

#include "common/ipaddr.h"
#include "sensor/sql-estimate.h"

enum access_channel {
    ACCESS_CH_PGSQL,
    ACCESS_CH_MYSQL,
    ACCESS_CH_HTTP,
    ACCESS_CH_DNS,
    ACCESS_CH_TLS,
    ACCESS_CH_FLOW,
    ACCESS_CH_LOG, /* log sources: `format` names which (channel string "log:<format>") */
};

enum access_direction {
    ACCESS_READ, /* data flowed from the server to the actor (query results, downloads) */
    ACCESS_SEND, /* data flowed from the actor to the destination (uploads, DNS queries) */
};

/* How `records` was derived, carried into alerts and impact assessments. */
enum access_records_src {
    ACCESS_REC_NONE,      /* unknown: records is 0 */
    ACCESS_REC_ROWS,      /* rows returned (DataRow, result-set rows, COPY lines, Rows_sent) */
    ACCESS_REC_INVENTORY, /* records per response from the data inventory */
    ACCESS_REC_BYTES,     /* bytes divided by the inventory's record size */
    ACCESS_REC_PII,       /* distinct personal-data values seen in the content */
    ACCESS_REC_LOG,       /* stated by the log line (pgaudit rows and the like) */
    ACCESS_REC_STATEMENT, /* estimated from the statement text (sensor/sql-estimate.h);
                             records_rule says which rule */
    ACCESS_REC_ESTIMATE,  /* opaque bytes / the export record size of a dataset a rule
                             names (alerts only: rules' `estimate`) */
};

#define ACCESS_USER_MAX    64
#define ACCESS_DATASET_MAX 128
#define ACCESS_DETAIL_MAX  256

struct pii_counts; /* sensor/pii.h */
struct flow;       /* sensor/flow.h */

struct bw_access {
    int64_t ts_us; /* packet time or the log line's own time */
    enum access_channel channel;
    const char *format; /* log format name for ACCESS_CH_LOG, else NULL (static) */
    enum access_direction direction;

    struct bw_addr actor_ip; /* the source to isolate; family 0 when unknown */
    uint16_t actor_port;
    char actor_user[ACCESS_USER_MAX]; /* database or HTTP user, "" when unknown */
    struct bw_addr dest_ip;           /* the other side (server for reads, receiver for sends) */
    uint16_t dest_port;

    char dataset[ACCESS_DATASET_MAX]; /* "public.customers", "/api/customers/{n}", domain */
    char detail[ACCESS_DETAIL_MAX];   /* capped query text, URI or query name */

    uint64_t records;
    enum access_records_src records_src;
    const char *records_rule; /* static: for ACCESS_REC_STATEMENT "limit", "key",
                                 "full-table" or "aggregate"; else NULL */
    struct sql_shape sql;     /* log statements without row counts: what the statement
                                 asks for (kind 0 = none), resolved by sql_estimate_apply */
    uint64_t payload_bytes;   /* flow events: the L4 payload of `bytes` (headers excluded) */
    uint64_t bytes;           /* bytes of data moved (rows, body, upload payload) */
    uint64_t requests;        /* requests this event stands for (usually 1) */
    int status;               /* HTTP status or 0; negative for a failed SQL statement */
    int encrypted;            /* 1 when the content was protected in transit (TLS) */

    /* DNS measures for tunnelling detection (channel DNS or log:dnsmasq/bind). */
    uint16_t dns_qtype;
    uint16_t dns_name_len, dns_label_max, dns_labels;
    double dns_entropy; /* Shannon entropy (bits/char) of the subdomain part */

    const struct pii_counts *pii; /* content findings for this event, borrowed, may be NULL */
    const struct flow *flow;      /* borrowed, NULL for log sources */
    uint64_t flow_id;
};

/* Where access events go: the detection engine, plus the EVE `access` writer for
 * log sources. The event is borrowed for the duration of the call. */
struct access_sink {
    void (*emit)(void *ctx, const struct bw_access *ev);
    void *ctx;
};

static inline void access_emit(const struct access_sink *s, const struct bw_access *ev)
{
    if (s != NULL && s->emit != NULL)
        s->emit(s->ctx, ev);
}

/* Zeroes an event and sets requests = 1. */
void access_init(struct bw_access *ev);
/* "pgsql", "mysql", "http", "dns", "tls", "flow", or "log:<format>" into out. */
const char *access_channel_str(const struct bw_access *ev, char *out, unsigned outlen);
const char *access_records_src_name(enum access_records_src s);

#endif

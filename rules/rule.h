/* The rule language: a rule file (YAML) is loaded, validated with file:line:col
 * for every error, and compiled into struct rule (match, measure, group_by,
 * window, thresholds, alert policy). A loaded set is shared by reference so a
 * SIGHUP reload can swap it while the engine keeps its state. See docs/rules.md. */
#ifndef BW_RULE_H
#define BW_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "sensor/access.h"

#define RULE_ID_MAX        64
#define RULE_NAME_MAX      128
#define RULE_DESC_MAX      512
#define RULE_MAX_PER_FILE  256
#define RULE_MAX_FILES     64
#define RULE_MAX_MITRE     8
#define RULE_MAX_DATASETS  16
#define RULE_MAX_FORMATS   8
#define RULE_MAX_GEO       32
#define RULE_MAX_REQUIRE   4
#define RULE_MAX_ALLOW     16
#define RULE_MAX_BUCKETS   60
#define RULE_PII_TYPES_MAX 16 /* bit positions of pii types in rule.pii_types */

/* What a rule sums over its window. */
enum rule_measure {
    RM_RECORDS,        /* records (rows, inventory, log) */
    RM_BYTES,          /* bytes of data moved */
    RM_PII,            /* distinct personal-data values of the selected types */
    RM_REQUESTS,       /* requests / queries */
    RM_DISTINCT_URIS,  /* distinct `detail` (URI as requested, query string included) */
    RM_DISTINCT_IDS,   /* distinct numeric ids in `detail` (/customers/123, page=7, id = 9) */
    RM_DNS_SUBDOMAINS, /* distinct names below the registered domain */
    RM_DNS_LABEL_MAX,  /* longest label seen in the window */
    RM_DNS_ENTROPY,    /* mean Shannon entropy (bits/char) of the subdomain part */
    RM_MAX
};

enum rule_group {
    RG_ACTOR,         /* actor ip (+ user) */
    RG_ACTOR_DATASET, /* actor ip + dataset */
    RG_ACTOR_DEST,    /* actor ip + destination ip */
    RG_DOMAIN,        /* registered domain of the dataset (DNS) */
};

enum rule_scope { RS_ANY, RS_EXTERNAL, RS_INTERNAL };

/* One allowlist entry: the event is allowed when every given field matches. */
struct rule_allow {
    struct bw_cidr_set hosts;   /* empty = any host */
    char user[ACCESS_USER_MAX]; /* "" = any user */
};

/* An extra condition on the window, all must hold with the main threshold. */
struct rule_cond {
    enum rule_measure measure;
    double min;
};

struct rule {
    char id[RULE_ID_MAX];
    char name[RULE_NAME_MAX];
    char description[RULE_DESC_MAX];
    char category[64];
    uint32_t sid, rev;
    int severity; /* 1 = highest .. 4 */
    char mitre[RULE_MAX_MITRE][16];
    int nmitre;
    char file[256]; /* where it was defined, for messages and `rules list` */
    int line, col;

    /* match */
    uint32_t channels;                      /* bit (1 << access_channel); 0 = every channel */
    char log_formats[RULE_MAX_FORMATS][32]; /* with ACCESS_CH_LOG: "" entries = any */
    int nlog_formats;
    int log_any;                                          /* "log" or "log:*" given */
    char datasets[RULE_MAX_DATASETS][ACCESS_DATASET_MAX]; /* fnmatch globs */
    int ndatasets;
    char not_datasets[RULE_MAX_DATASETS][ACCESS_DATASET_MAX];
    int nnot_datasets;
    uint32_t datasets_star, not_datasets_star; /* bit i: glob i has no wildcard but '*' */
    struct bw_cidr_set actors, dests;          /* empty = any; dests match the data's destination */
    enum rule_scope dest_scope;                /* data destination inside/outside home_net */
    enum rule_scope actor_scope;
    int direction; /* -1 any, else enum access_direction */
    char countries[RULE_MAX_GEO][3];
    int ncountries;
    char not_countries[RULE_MAX_GEO][3];
    int nnot_countries;
    uint32_t asns[RULE_MAX_GEO];
    int nasns;
    int hour_from, hour_to;     /* [from, to) local hours, wrapping midnight; -1 = any time */
    int utc_offset_min;         /* local time = UTC + offset */
    int has_utc_offset;         /* given by the rule (else the engine's default) */
    uint64_t min_event_records; /* an event counts only with at least this many records */

    /* measure */
    enum rule_measure measure;
    uint32_t pii_types; /* RM_PII: bit per pii type; 0 = every type */
    char pii_type_names[RULE_PII_TYPES_MAX][24];
    int npii_type_names;
    enum rule_group group_by;
    uint64_t window_us;
    int buckets;

    /* thresholds */
    double threshold; /* absolute limit (alert when value >= threshold); 0 = none */
    bool baseline;
    uint64_t learn_us; /* training period from the first event */
    double k;          /* limit = max(threshold/min, median + k * MAD) */
    double mad_floor;  /* MAD never below this (flat histories) */
    bool first_seen;   /* only groups with no history before this window */
    struct rule_cond require[RULE_MAX_REQUIRE];
    int nrequire;

    /* alerts */
    uint64_t suppress_us; /* one alert per group per this period */
    uint64_t update_us;   /* updated alert at most this often */
    struct rule_allow allow[RULE_MAX_ALLOW];
    int nallow;

    /* records of opaque channels (tls flows, unparsed tcp), which only show
     * bytes: payload bytes / export_record_bytes of this inventory dataset
     * ("" = none); the alert says records_source "estimate" */
    char estimate_dataset[64];
};

/* A loaded set, shared by reference (engine, reload). */
struct rule_set {
    struct rule *v;
    size_t n, cap;
    int refs;
    int nfiles;
};

/* Loads every *.yaml / *.yml file of dir (sorted by name) into a new set with
 * one reference. A directory with no rule files gives an empty set. Any error
 * (file:line:col) fails the whole load: returns NULL with err. */
struct rule_set *rule_set_load_dir(const char *dir, struct bw_err *err);
/* Loads one file (or a buffer, `name` used in messages) and appends its rules
 * to set. Returns 0 or -1 with err; on error set is unchanged. */
int rule_set_load_file(struct rule_set *set, const char *path, struct bw_err *err) BW_WUR;
int rule_set_load_mem(struct rule_set *set, const char *name, const void *data, size_t len,
                      struct bw_err *err) BW_WUR;
/* An empty set with one reference; NULL when out of memory. */
struct rule_set *rule_set_new(void);
struct rule_set *rule_set_ref(struct rule_set *s);
/* Drops a reference; frees at zero. Accepts NULL. */
void rule_set_unref(struct rule_set *s);
/* Index of a rule id or -1. */
int rule_set_find(const struct rule_set *s, const char *id);

/* Personal-data type names in the order of enum pii_type (sensor/pii.h),
 * NULL-terminated; bit i of rule.pii_types is rule_pii_names[i]. */
extern const char *const rule_pii_names[];

/* Names: "records", "bytes", ... / "actor", "actor+dataset", ... */
const char *rule_measure_name(enum rule_measure m);
const char *rule_group_name(enum rule_group g);
/* Channels of a rule as text ("pgsql,mysql,log:nginx" or "any"). */
const char *rule_channels_str(const struct rule *r, char *out, size_t outlen);

/* Compiled matching (rules/rule-match.c). The caller provides what the rule may
 * need about the destination: whether each side is in home_net, and the
 * destination's country/ASN (NULL/0 when unknown). */
/* The last dataset glob matched against the event and its result. */
struct rule_glob_memo {
    const char *pat;
    bool hit;
};

struct rule_match_ctx {
    const struct bw_addr *recv; /* where the data went: actor for reads, dest for sends */
    bool actor_home, dest_home; /* dest_home: recv is inside home_net */
    const char *dest_country;   /* "" or NULL = unknown */
    uint32_t dest_asn;
    int utc_offset_min;          /* engine default, used when the rule has none */
    struct rule_glob_memo *memo; /* NULL, or zeroed per event (see rule_match) */
};

/* True when the event matches every match key of the rule (allowlists are
 * separate: rule_allowed). With m->memo, consecutive rules with the same
 * dataset glob match it once; the memo must be zeroed for each new event. */
bool rule_match(const struct rule *r, const struct bw_access *ev, const struct rule_match_ctx *m);
/* True when an allowlist entry of the rule covers the event's actor. */
bool rule_allowed(const struct rule *r, const struct bw_access *ev);
/* fnmatch(pat, s, 0) for a pattern whose only wildcard is '*' (the common
 * "*customers*"), without fnmatch's cost. */
bool rule_star_match(const char *pat, const char *s);
/* Bit i set when glob i of v has no wildcard but '*'. */
uint32_t rule_star_globs(const char (*v)[ACCESS_DATASET_MAX], int n);
/* Whether the rule looks at the destination's geography (so a lookup is needed). */
bool rule_needs_geo(const struct rule *r);
/* The channel part of rule_match alone (cheap; decides whether a rule's GeoIP
 * lookup is worth making). */
bool rule_match_channel(const struct rule *r, const struct bw_access *ev);
/* Local hour (0..23) of ts_us at the given UTC offset. */
int rule_local_hour(int64_t ts_us, int utc_offset_min);

#endif

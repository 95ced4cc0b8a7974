/* Rule loader: YAML files (through common/yaml-tree.h, anchors rejected there)
 * into struct rule, every key checked, every error at file:line:col. A set is
 * all or nothing: one bad rule fails the whole load. */
#include "rules/rule.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"
#include "common/yaml-tree.h"

/* Names of personal-data types in the order of enum pii_type (sensor/pii.h). */
const char *const rule_pii_names[] = {"email",       "cn_mobile", "phone_intl", "cn_resident_id",
                                      "card_number", "us_ssn",    "iban",       "passport",
                                      "person_name", NULL};

static const char *const measure_names[RM_MAX] = {
    "records",      "bytes",          "pii",           "requests",    "distinct_uris",
    "distinct_ids", "dns_subdomains", "dns_label_max", "dns_entropy",
};

static const char *const group_names[] = {"actor", "actor+dataset", "actor+destination", "domain"};

static const char *const channel_names[] = {"pgsql", "mysql", "http", "dns", "tls", "flow", "log"};

const char *rule_measure_name(enum rule_measure m)
{
    return (unsigned)m < RM_MAX ? measure_names[m] : "?";
}

const char *rule_group_name(enum rule_group g)
{
    return (unsigned)g <= RG_DOMAIN ? group_names[g] : "?";
}

const char *rule_channels_str(const struct rule *r, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    if (r->channels == 0) {
        snprintf(out, outlen, "any");
        return out;
    }
    for (int c = 0; c <= ACCESS_CH_LOG; c++) {
        if (!(r->channels & (1u << c)))
            continue;
        if (c == ACCESS_CH_LOG && !r->log_any) {
            for (int i = 0; i < r->nlog_formats && o < outlen; i++)
                o += (size_t)snprintf(out + o, outlen - o, "%slog:%s", o ? "," : "",
                                      r->log_formats[i]);
            continue;
        }
        if (o < outlen)
            o += (size_t)snprintf(out + o, outlen - o, "%s%s", o ? "," : "", channel_names[c]);
    }
    return out;
}

struct rule_set *rule_set_new(void)
{
    struct rule_set *s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->refs = 1;
    return s;
}

struct rule_set *rule_set_ref(struct rule_set *s)
{
    if (s != NULL)
        s->refs++;
    return s;
}

static void rule_fini(struct rule *r)
{
    bw_cidr_set_fini(&r->actors);
    bw_cidr_set_fini(&r->dests);
    for (int i = 0; i < r->nallow; i++)
        bw_cidr_set_fini(&r->allow[i].hosts);
}

void rule_set_unref(struct rule_set *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    for (size_t i = 0; i < s->n; i++)
        rule_fini(&s->v[i]);
    free(s->v);
    free(s);
}

int rule_set_find(const struct rule_set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* ---------------------------------------------------------------- helpers */

struct ld {
    const struct bw_ydoc *doc;
    struct bw_err *err;
};

static int copy_str(struct ld *l, const struct bw_ynode *n, char *out, size_t outlen,
                    const char *what)
{
    const char *s;
    if (bw_yget_str(l->doc, n, &s, l->err))
        return -1;
    if (n->len >= outlen)
        return bw_ynode_err(l->doc, n, l->err, "%s: longer than %zu characters", what, outlen - 1);
    if (memchr(s, '\0', n->len) != NULL)
        return bw_ynode_err(l->doc, n, l->err, "%s: contains a NUL byte", what);
    memcpy(out, s, n->len + 1);
    return 0;
}

/* Calls fn for a scalar or for each item of a sequence of scalars. */
static int each_scalar(struct ld *l, const struct bw_ynode *n,
                       int (*fn)(struct ld *, const struct bw_ynode *, void *), void *ctx)
{
    if (n->type == BW_Y_SCALAR)
        return fn(l, n, ctx);
    if (n->type != BW_Y_SEQ)
        return bw_ynode_err(l->doc, n, l->err, "expected a scalar or a sequence, found a mapping");
    if (n->n == 0)
        return bw_ynode_err(l->doc, n, l->err, "empty list");
    for (size_t i = 0; i < n->n; i++) {
        if (bw_yexpect(l->doc, n->kids[i], BW_Y_SCALAR, l->err))
            return -1;
        if (fn(l, n->kids[i], ctx))
            return -1;
    }
    return 0;
}

static int valid_id(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
              *s == '.'))
            return 0;
    return 1;
}

/* ---------------------------------------------------------------- match keys */

static int add_channel(struct ld *l, const struct bw_ynode *n, void *ctx)
{
    struct rule *r = ctx;
    const char *s = n->str;
    for (int c = 0; c < ACCESS_CH_LOG; c++)
        if (strcmp(s, channel_names[c]) == 0) {
            r->channels |= 1u << c;
            return 0;
        }
    if (strcmp(s, "log") == 0 || strcmp(s, "log:*") == 0) {
        r->channels |= 1u << ACCESS_CH_LOG;
        r->log_any = 1;
        return 0;
    }
    if (strncmp(s, "log:", 4) == 0 && s[4] != '\0') {
        if (r->nlog_formats == RULE_MAX_FORMATS)
            return bw_ynode_err(l->doc, n, l->err, "at most %d log formats", RULE_MAX_FORMATS);
        if (strlen(s + 4) >= sizeof(r->log_formats[0]))
            return bw_ynode_err(l->doc, n, l->err, "log format name too long");
        snprintf(r->log_formats[r->nlog_formats++], sizeof(r->log_formats[0]), "%s", s + 4);
        r->channels |= 1u << ACCESS_CH_LOG;
        return 0;
    }
    return bw_ynode_err(l->doc, n, l->err,
                        "unknown channel '%s' (pgsql, mysql, http, dns, tls, flow, log, "
                        "log:<format>)",
                        s);
}

struct globs {
    char (*v)[ACCESS_DATASET_MAX];
    int *n;
};

static int add_glob(struct ld *l, const struct bw_ynode *n, void *ctx)
{
    struct globs *g = ctx;
    if (*g->n == RULE_MAX_DATASETS)
        return bw_ynode_err(l->doc, n, l->err, "at most %d dataset patterns", RULE_MAX_DATASETS);
    return copy_str(l, n, g->v[(*g->n)++], ACCESS_DATASET_MAX, "dataset pattern");
}

struct countries {
    char (*v)[3];
    int *n;
};

static int add_country(struct ld *l, const struct bw_ynode *n, void *ctx)
{
    struct countries *c = ctx;
    const char *s = n->str;
    if (n->len != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
        return bw_ynode_err(l->doc, n, l->err,
                            "'%s': expected an ISO 3166-1 alpha-2 country code (upper case)", s);
    if (*c->n == RULE_MAX_GEO)
        return bw_ynode_err(l->doc, n, l->err, "at most %d countries", RULE_MAX_GEO);
    memcpy(c->v[(*c->n)++], s, 3);
    return 0;
}

static int add_asn(struct ld *l, const struct bw_ynode *n, void *ctx)
{
    struct rule *r = ctx;
    uint64_t v;
    const char *s = n->str;
    if (strncmp(s, "AS", 2) == 0 || strncmp(s, "as", 2) == 0)
        s += 2;
    const char *why = NULL;
    if (bw_parse_u64(s, 0, UINT32_MAX, &v, &why))
        return bw_ynode_err(l->doc, n, l->err, "asn '%s': %s", n->str, why);
    if (r->nasns == RULE_MAX_GEO)
        return bw_ynode_err(l->doc, n, l->err, "at most %d ASNs", RULE_MAX_GEO);
    r->asns[r->nasns++] = (uint32_t)v;
    return 0;
}

static int get_scope(struct ld *l, const struct bw_ynode *n, enum rule_scope *out)
{
    const char *s;
    if (bw_yget_str(l->doc, n, &s, l->err))
        return -1;
    if (strcmp(s, "any") == 0)
        *out = RS_ANY;
    else if (strcmp(s, "external") == 0)
        *out = RS_EXTERNAL;
    else if (strcmp(s, "internal") == 0)
        *out = RS_INTERNAL;
    else
        return bw_ynode_err(l->doc, n, l->err, "'%s': expected any, internal or external", s);
    return 0;
}

/* "HH-HH" or "HH:MM-HH:MM" with whole hours. */
static int get_hours(struct ld *l, const struct bw_ynode *n, struct rule *r)
{
    const char *s;
    if (bw_yget_str(l->doc, n, &s, l->err))
        return -1;
    unsigned a, b;
    char tail;
    int ok =
        sscanf(s, "%u-%u%c", &a, &b, &tail) == 2 || sscanf(s, "%u:00-%u:00%c", &a, &b, &tail) == 2;
    if (!ok || a > 24 || b > 24 || a == b)
        return bw_ynode_err(l->doc, n, l->err,
                            "hours '%s': expected FROM-TO in whole hours, e.g. 22-6 or "
                            "22:00-06:00 (TO excluded)",
                            s);
    r->hour_from = (int)(a % 24);
    r->hour_to = (int)(b % 24);
    if (r->hour_from == r->hour_to)
        return bw_ynode_err(l->doc, n, l->err, "hours '%s': empty range", s);
    return 0;
}

/* "+08:00", "-0500", "Z", "UTC", "0". */
static int get_offset(struct ld *l, const struct bw_ynode *n, int *out)
{
    const char *s;
    if (bw_yget_str(l->doc, n, &s, l->err))
        return -1;
    if (strcmp(s, "Z") == 0 || strcmp(s, "UTC") == 0 || strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    unsigned h, m = 0;
    char sign = s[0], tail;
    int ok = (sign == '+' || sign == '-') &&
             (sscanf(s + 1, "%2u:%2u%c", &h, &m, &tail) == 2 ||
              (strlen(s + 1) == 4 && sscanf(s + 1, "%2u%2u%c", &h, &m, &tail) == 2) ||
              (strlen(s + 1) <= 2 && sscanf(s + 1, "%u%c", &h, &tail) == 1));
    if (!ok || h > 14 || m > 59)
        return bw_ynode_err(l->doc, n, l->err, "utc_offset '%s': expected +HH:MM or -HH:MM", s);
    *out = (sign == '-' ? -1 : 1) * (int)(h * 60 + m);
    return 0;
}

static int load_match(struct ld *l, const struct bw_ynode *m, struct rule *r)
{
    static const char *const keys[] = {"channel",
                                       "dataset",
                                       "not_dataset",
                                       "actor",
                                       "actor_scope",
                                       "destination",
                                       "destination_scope",
                                       "direction",
                                       "country",
                                       "not_country",
                                       "asn",
                                       "hours",
                                       "utc_offset",
                                       "min_event_records",
                                       NULL};
    const struct bw_ynode *n;
    if (bw_ymap_check_keys(l->doc, m, keys, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "channel")) && each_scalar(l, n, add_channel, r))
        return -1;
    if ((n = bw_ymap_get(m, "dataset"))) {
        struct globs g = {r->datasets, &r->ndatasets};
        if (each_scalar(l, n, add_glob, &g))
            return -1;
    }
    if ((n = bw_ymap_get(m, "not_dataset"))) {
        struct globs g = {r->not_datasets, &r->nnot_datasets};
        if (each_scalar(l, n, add_glob, &g))
            return -1;
    }
    r->datasets_star = rule_star_globs(r->datasets, r->ndatasets);
    r->not_datasets_star = rule_star_globs(r->not_datasets, r->nnot_datasets);
    if ((n = bw_ymap_get(m, "actor")) && bw_yget_cidrs(l->doc, n, &r->actors, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "destination")) && bw_yget_cidrs(l->doc, n, &r->dests, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "actor_scope")) && get_scope(l, n, &r->actor_scope))
        return -1;
    if ((n = bw_ymap_get(m, "destination_scope")) && get_scope(l, n, &r->dest_scope))
        return -1;
    if ((n = bw_ymap_get(m, "direction"))) {
        const char *s;
        if (bw_yget_str(l->doc, n, &s, l->err))
            return -1;
        if (strcmp(s, "read") == 0)
            r->direction = ACCESS_READ;
        else if (strcmp(s, "send") == 0)
            r->direction = ACCESS_SEND;
        else if (strcmp(s, "any") == 0)
            r->direction = -1;
        else
            return bw_ynode_err(l->doc, n, l->err, "direction '%s': expected read, send or any", s);
    }
    if ((n = bw_ymap_get(m, "country"))) {
        struct countries c = {r->countries, &r->ncountries};
        if (each_scalar(l, n, add_country, &c))
            return -1;
    }
    if ((n = bw_ymap_get(m, "not_country"))) {
        struct countries c = {r->not_countries, &r->nnot_countries};
        if (each_scalar(l, n, add_country, &c))
            return -1;
    }
    if ((n = bw_ymap_get(m, "asn")) && each_scalar(l, n, add_asn, r))
        return -1;
    if ((n = bw_ymap_get(m, "hours")) && get_hours(l, n, r))
        return -1;
    if ((n = bw_ymap_get(m, "utc_offset"))) {
        if (get_offset(l, n, &r->utc_offset_min))
            return -1;
        r->has_utc_offset = 1;
    }
    if ((n = bw_ymap_get(m, "min_event_records")) &&
        bw_yget_u64(l->doc, n, 0, UINT64_MAX, &r->min_event_records, l->err))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- rule keys */

static int get_measure(struct ld *l, const struct bw_ynode *n, enum rule_measure *out)
{
    const char *s;
    if (bw_yget_str(l->doc, n, &s, l->err))
        return -1;
    for (int i = 0; i < RM_MAX; i++)
        if (strcmp(s, measure_names[i]) == 0) {
            *out = (enum rule_measure)i;
            return 0;
        }
    return bw_ynode_err(l->doc, n, l->err,
                        "unknown measure '%s' (records, bytes, pii, requests, distinct_uris, "
                        "distinct_ids, dns_subdomains, dns_label_max, dns_entropy)",
                        s);
}

static int add_pii_type(struct ld *l, const struct bw_ynode *n, void *ctx)
{
    struct rule *r = ctx;
    for (int i = 0; rule_pii_names[i] != NULL; i++)
        if (strcmp(n->str, rule_pii_names[i]) == 0) {
            r->pii_types |= 1u << i;
            if (r->npii_type_names < RULE_PII_TYPES_MAX)
                snprintf(r->pii_type_names[r->npii_type_names++], sizeof(r->pii_type_names[0]),
                         "%s", n->str);
            return 0;
        }
    return bw_ynode_err(l->doc, n, l->err, "unknown personal-data type '%s'", n->str);
}

static int add_mitre(struct ld *l, const struct bw_ynode *n, void *ctx)
{
    struct rule *r = ctx;
    const char *s = n->str;
    /* T1234 or T1234.001 */
    size_t len = n->len, i;
    int ok = len >= 5 && s[0] == 'T';
    for (i = 1; ok && i < 5; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (ok && len != 5)
        ok = len == 9 && s[5] == '.' && s[6] >= '0' && s[6] <= '9' && s[7] >= '0' && s[7] <= '9' &&
             s[8] >= '0' && s[8] <= '9';
    if (!ok)
        return bw_ynode_err(l->doc, n, l->err,
                            "'%s': expected a MITRE ATT&CK technique id (T1234 or T1234.001)", s);
    if (r->nmitre == RULE_MAX_MITRE)
        return bw_ynode_err(l->doc, n, l->err, "at most %d techniques", RULE_MAX_MITRE);
    memcpy(r->mitre[r->nmitre++], s, len + 1);
    return 0;
}

static int load_baseline(struct ld *l, const struct bw_ynode *b, struct rule *r)
{
    static const char *const keys[] = {"learn", "k", "mad_floor", NULL};
    const struct bw_ynode *n;
    if (bw_ymap_check_keys(l->doc, b, keys, l->err))
        return -1;
    r->baseline = true;
    if ((n = bw_ymap_get(b, "learn")) && bw_yget_duration_us(l->doc, n, &r->learn_us, l->err))
        return -1;
    if ((n = bw_ymap_get(b, "k")) && bw_yget_double(l->doc, n, 0.0, 1000.0, &r->k, l->err))
        return -1;
    if ((n = bw_ymap_get(b, "mad_floor")) &&
        bw_yget_double(l->doc, n, 0.0, 1e15, &r->mad_floor, l->err))
        return -1;
    return 0;
}

static int load_require(struct ld *l, const struct bw_ynode *m, struct rule *r)
{
    if (bw_yexpect(l->doc, m, BW_Y_MAP, l->err))
        return -1;
    if (m->n == 0)
        return bw_ynode_err(l->doc, m, l->err, "empty mapping");
    for (size_t i = 0; i < m->n; i++) {
        const struct bw_ynode *k = bw_ymap_key(m, i), *v = bw_ymap_val(m, i);
        if (r->nrequire == RULE_MAX_REQUIRE)
            return bw_ynode_err(l->doc, k, l->err, "at most %d conditions", RULE_MAX_REQUIRE);
        struct rule_cond *c = &r->require[r->nrequire];
        if (get_measure(l, k, &c->measure))
            return -1;
        if (bw_yget_double(l->doc, v, 0.0, 1e18, &c->min, l->err))
            return -1;
        r->nrequire++;
    }
    return 0;
}

static int load_allow(struct ld *l, const struct bw_ynode *s, struct rule *r)
{
    static const char *const keys[] = {"host", "user", NULL};
    if (bw_yexpect(l->doc, s, BW_Y_SEQ, l->err))
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        const struct bw_ynode *e = s->kids[i], *n;
        if (bw_ymap_check_keys(l->doc, e, keys, l->err))
            return -1;
        if (e->n == 0)
            return bw_ynode_err(l->doc, e, l->err, "allow entry needs host and/or user");
        if (r->nallow == RULE_MAX_ALLOW)
            return bw_ynode_err(l->doc, e, l->err, "at most %d allow entries", RULE_MAX_ALLOW);
        struct rule_allow *a = &r->allow[r->nallow++];
        bw_cidr_set_init(&a->hosts);
        if ((n = bw_ymap_get(e, "host")) && bw_yget_cidrs(l->doc, n, &a->hosts, l->err))
            return -1;
        if ((n = bw_ymap_get(e, "user")) && copy_str(l, n, a->user, sizeof(a->user), "user"))
            return -1;
    }
    return 0;
}

static uint32_t sid_from_id(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return 9000000u + h % 1000000u;
}

static void rule_defaults(struct rule *r)
{
    memset(r, 0, sizeof(*r));
    r->severity = 3;
    r->rev = 1;
    r->direction = -1;
    r->hour_from = r->hour_to = -1;
    r->measure = RM_RECORDS;
    r->group_by = RG_ACTOR_DATASET;
    r->window_us = 300ull * 1000000;
    r->buckets = 10;
    r->k = 6.0;
    r->mad_floor = 1.0;
    r->suppress_us = 3600ull * 1000000;
    r->update_us = 60ull * 1000000;
    snprintf(r->category, sizeof(r->category), "Potential Data Exfiltration");
    bw_cidr_set_init(&r->actors);
    bw_cidr_set_init(&r->dests);
}

/* estimate: {dataset: ID}: records of opaque flows from their bytes. */
static int load_estimate(struct ld *l, const struct bw_ynode *n, struct rule *r)
{
    static const char *const keys[] = {"dataset", NULL};
    const struct bw_ynode *d;
    if (bw_yexpect(l->doc, n, BW_Y_MAP, l->err) || bw_ymap_check_keys(l->doc, n, keys, l->err))
        return -1;
    if ((d = bw_ymap_get(n, "dataset")) == NULL)
        return bw_ynode_err(l->doc, n, l->err, "estimate: missing key 'dataset'");
    if (copy_str(l, d, r->estimate_dataset, sizeof(r->estimate_dataset), "estimate.dataset"))
        return -1;
    if (r->estimate_dataset[0] == '\0')
        return bw_ynode_err(l->doc, d, l->err, "estimate.dataset: an inventory dataset id");
    if (r->channels != 0 && (r->channels & (1u << ACCESS_CH_FLOW)) == 0)
        return bw_ynode_err(l->doc, n, l->err,
                            "estimate: applies to opaque flows only (match channel: flow)");
    return 0;
}

static int load_rule(struct ld *l, const struct bw_ynode *m, struct rule *r)
{
    static const char *const keys[] = {"id",         "name",     "description", "severity",
                                       "category",   "sid",      "rev",         "mitre",
                                       "match",      "measure",  "pii_types",   "group_by",
                                       "window",     "buckets",  "threshold",   "baseline",
                                       "first_seen", "require",  "suppress",    "update_interval",
                                       "allow",      "estimate", NULL};
    const struct bw_ynode *n;
    uint64_t v;
    r->line = m->line;
    r->col = m->col;
    snprintf(r->file, sizeof(r->file), "%s", l->doc->file);
    if (bw_ymap_check_keys(l->doc, m, keys, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "id")) == NULL)
        return bw_ynode_err(l->doc, m, l->err, "rule without 'id'");
    if (copy_str(l, n, r->id, sizeof(r->id), "id"))
        return -1;
    if (!valid_id(r->id))
        return bw_ynode_err(l->doc, n, l->err,
                            "id '%s': use lower-case letters, digits, '-', '_' and '.'", r->id);
    if ((n = bw_ymap_get(m, "name")) == NULL)
        return bw_ynode_err(l->doc, m, l->err, "rule '%s' without 'name'", r->id);
    if (copy_str(l, n, r->name, sizeof(r->name), "name"))
        return -1;
    if ((n = bw_ymap_get(m, "description")) &&
        copy_str(l, n, r->description, sizeof(r->description), "description"))
        return -1;
    if ((n = bw_ymap_get(m, "category")) &&
        copy_str(l, n, r->category, sizeof(r->category), "category"))
        return -1;
    if ((n = bw_ymap_get(m, "severity")) == NULL)
        return bw_ynode_err(l->doc, m, l->err, "rule '%s' without 'severity'", r->id);
    if (bw_yget_u64(l->doc, n, 1, 4, &v, l->err))
        return -1;
    r->severity = (int)v;
    r->sid = sid_from_id(r->id);
    if ((n = bw_ymap_get(m, "sid"))) {
        if (bw_yget_u64(l->doc, n, 1, UINT32_MAX, &v, l->err))
            return -1;
        r->sid = (uint32_t)v;
    }
    if ((n = bw_ymap_get(m, "rev"))) {
        if (bw_yget_u64(l->doc, n, 1, UINT32_MAX, &v, l->err))
            return -1;
        r->rev = (uint32_t)v;
    }
    if ((n = bw_ymap_get(m, "mitre")) && each_scalar(l, n, add_mitre, r))
        return -1;
    if ((n = bw_ymap_get(m, "match")) && load_match(l, n, r))
        return -1;
    if ((n = bw_ymap_get(m, "measure")) && get_measure(l, n, &r->measure))
        return -1;
    if ((n = bw_ymap_get(m, "pii_types"))) {
        if (r->measure != RM_PII)
            return bw_ynode_err(l->doc, n, l->err, "pii_types needs measure: pii");
        if (each_scalar(l, n, add_pii_type, r))
            return -1;
    }
    if ((n = bw_ymap_get(m, "group_by"))) {
        const char *s;
        int found = 0;
        if (bw_yget_str(l->doc, n, &s, l->err))
            return -1;
        for (int i = 0; i <= RG_DOMAIN; i++)
            if (strcmp(s, group_names[i]) == 0) {
                r->group_by = (enum rule_group)i;
                found = 1;
            }
        if (!found)
            return bw_ynode_err(l->doc, n, l->err,
                                "group_by '%s': expected actor, actor+dataset, "
                                "actor+destination or domain",
                                s);
    }
    if ((n = bw_ymap_get(m, "window"))) {
        if (bw_yget_duration_us(l->doc, n, &r->window_us, l->err))
            return -1;
        if (r->window_us < 1000000 || r->window_us > 31ull * 86400 * 1000000)
            return bw_ynode_err(l->doc, n, l->err, "window: between 1s and 31d");
    }
    if ((n = bw_ymap_get(m, "buckets"))) {
        if (bw_yget_u64(l->doc, n, 1, RULE_MAX_BUCKETS, &v, l->err))
            return -1;
        r->buckets = (int)v;
    }
    if ((n = bw_ymap_get(m, "threshold")) &&
        bw_yget_double(l->doc, n, 0.0, 1e18, &r->threshold, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "baseline")) && load_baseline(l, n, r))
        return -1;
    if ((n = bw_ymap_get(m, "first_seen")) && bw_yget_bool(l->doc, n, &r->first_seen, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "require")) && load_require(l, n, r))
        return -1;
    if ((n = bw_ymap_get(m, "suppress")) && bw_yget_duration_us(l->doc, n, &r->suppress_us, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "update_interval")) &&
        bw_yget_duration_us(l->doc, n, &r->update_us, l->err))
        return -1;
    if ((n = bw_ymap_get(m, "allow")) && load_allow(l, n, r))
        return -1;
    if ((n = bw_ymap_get(m, "estimate")) && load_estimate(l, n, r))
        return -1;
    if (r->threshold <= 0 && !r->baseline)
        return bw_ynode_err(l->doc, m, l->err, "rule '%s' needs a threshold or a baseline", r->id);
    if (r->group_by == RG_DOMAIN && r->channels != 0 &&
        (r->channels & ~((1u << ACCESS_CH_DNS) | (1u << ACCESS_CH_LOG))) != 0)
        return bw_ynode_err(l->doc, bw_ymap_get(m, "group_by"), l->err,
                            "group_by domain applies to dns and log channels only");
    return 0;
}

/* ---------------------------------------------------------------- files */

static int load_doc(struct rule_set *set, const struct bw_ydoc *doc, struct bw_err *err)
{
    static const char *const top[] = {"rules", NULL};
    struct ld l = {doc, err};
    size_t first = set->n;
    const struct bw_ynode *rules;
    int rc = -1;
    if (doc->root == NULL)
        return bw_err_setpos(err, doc->file, 1, 1, "empty rule file");
    if (bw_ymap_check_keys(doc, doc->root, top, err))
        return -1;
    rules = bw_ymap_get(doc->root, "rules");
    if (rules == NULL)
        return bw_ynode_err(doc, doc->root, err, "missing 'rules'");
    if (bw_yexpect(doc, rules, BW_Y_SEQ, err))
        return -1;
    if (rules->n > RULE_MAX_PER_FILE)
        return bw_ynode_err(doc, rules, err, "more than %d rules in one file", RULE_MAX_PER_FILE);
    for (size_t i = 0; i < rules->n; i++) {
        const struct bw_ynode *m = rules->kids[i];
        if (bw_yexpect(doc, m, BW_Y_MAP, err))
            goto out;
        if (set->n == set->cap) {
            size_t nc = set->cap ? set->cap * 2 : 16;
            struct rule *nv = realloc(set->v, nc * sizeof(*nv));
            if (nv == NULL) {
                bw_ynode_err(doc, m, err, "out of memory");
                goto out;
            }
            set->v = nv;
            set->cap = nc;
        }
        struct rule *r = &set->v[set->n];
        rule_defaults(r);
        set->n++; /* counted now so that rule_fini runs on failure */
        if (load_rule(&l, m, r))
            goto out;
        for (size_t j = 0; j + 1 < set->n; j++)
            if (strcmp(set->v[j].id, r->id) == 0) {
                bw_ynode_err(doc, bw_ymap_get(m, "id"), err,
                             "duplicate rule id '%s' (first at %s:%d:%d)", r->id, set->v[j].file,
                             set->v[j].line, set->v[j].col);
                goto out;
            }
    }
    rc = 0;
out:
    if (rc != 0) {
        for (size_t i = first; i < set->n; i++)
            rule_fini(&set->v[i]);
        set->n = first;
    }
    return rc;
}

int rule_set_load_mem(struct rule_set *set, const char *name, const void *data, size_t len,
                      struct bw_err *err)
{
    struct bw_ydoc doc;
    if (bw_ydoc_load_mem(&doc, name, data, len, err))
        return -1;
    int rc = load_doc(set, &doc, err);
    bw_ydoc_fini(&doc);
    if (rc == 0)
        set->nfiles++;
    return rc;
}

int rule_set_load_file(struct rule_set *set, const char *path, struct bw_err *err)
{
    struct bw_ydoc doc;
    if (bw_ydoc_load_file(&doc, path, err))
        return -1;
    int rc = load_doc(set, &doc, err);
    bw_ydoc_fini(&doc);
    if (rc == 0)
        set->nfiles++;
    return rc;
}

static int is_rule_file(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return 0;
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct rule_set *rule_set_load_dir(const char *dir, struct bw_err *err)
{
    struct rule_set *set = rule_set_new();
    char *names[RULE_MAX_FILES];
    int n = 0, ok = 0;
    DIR *d = NULL;
    if (set == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    d = opendir(dir);
    if (d == NULL) {
        bw_err_set(err, "%s: cannot open rule directory: %m", dir);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_rule_file(de->d_name))
            continue;
        if (n == RULE_MAX_FILES) {
            bw_err_set(err, "%s: more than %d rule files", dir, RULE_MAX_FILES);
            goto out;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            bw_err_set(err, "out of memory");
            goto out;
        }
        n++;
    }
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (rule_set_load_file(set, path, err))
            goto out;
    }
    ok = 1;
out:
    if (d != NULL)
        closedir(d);
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (!ok) {
        rule_set_unref(set);
        return NULL;
    }
    return set;
}

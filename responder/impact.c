/* Impact assessment (responder/impact.h): records and people exposed with
 * bounds and how they were derived, categories and their sensitivity,
 * jurisdictions of the people and of the destination, protection in transit
 * and at rest, and a risk level with its reasons. Only counts, categories and
 * names of datasets go into it: never a value of the data itself. */
#include "responder/impact.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/ipaddr.h"
#include "common/timeutil.h"
#include "responder/notice-text.h"
#include "sensor/geo.h"

const char *impact_placeholder(const char *what, char *out, size_t outlen)
{
    snprintf(out, outlen, "[TO COMPLETE: %s]", what);
    return out;
}

/* "10,000" */
static const char *fmt_count(uint64_t v, char out[32])
{
    char raw[24];
    int n = snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v);
    int o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = '\0';
    return out;
}

static json_t *count_obj(uint64_t v)
{
    char t[32];
    return json_pack("{s:I,s:s}", "value", (json_int_t)v, "text", fmt_count(v, t));
}

/* Human time in UTC: "2026-12-01 08:05:41 UTC". */
static const char *fmt_time(int64_t us, char out[40])
{
    time_t t = (time_t)(us / BW_USEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return out;
}

json_t *impact_time(int64_t us)
{
    char h[40], e[BW_TS_LEN];
    return json_pack("{s:s,s:s,s:I}", "text", fmt_time(us, h), "iso", bw_time_fmt(us, e), "us",
                     (json_int_t)us);
}

/* A dataset or URI as the sensor named it may carry values from a request:
 * e-mail-like words become "<email>" and digits '#'. */
static void scrub(const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    while (*s && o + 8 < outlen) {
        const char *w = s;
        while (*w && !isspace((unsigned char)*w) && *w != '/' && *w != '?' && *w != '&' &&
               *w != '=')
            w++;
        if (memchr(s, '@', (size_t)(w - s)) != NULL) {
            o += (size_t)snprintf(out + o, outlen - o, "<email>");
            s = w;
            continue;
        }
        for (; s < w && o + 1 < outlen; s++)
            out[o++] = isdigit((unsigned char)*s) ? '#' : *s;
        if (*s && o + 1 < outlen)
            out[o++] = *s++;
    }
    out[o] = '\0';
}

/* ---- inventory lookups ---- */

static int seg_match(const char *pat, const char *path)
{
    while (*pat && *path) {
        if (strcmp(pat, "/*") == 0)
            return 1;
        if (strncmp(pat, "{n}", 3) == 0 || strncmp(pat, "{s}", 3) == 0) {
            int digits = pat[1] == 'n';
            const char *e = path;
            while (*e && *e != '/' && *e != '?' && (!digits || isdigit((unsigned char)*e)))
                e++;
            if (e == path || (*e && *e != '/' && *e != '?'))
                return 0;
            path = e;
            pat += 3;
            continue;
        }
        if (*pat != *path)
            return 0;
        pat++;
        path++;
    }
    return *pat == '\0' && (*path == '\0' || *path == '?');
}

static const struct impact_dataset *find_dataset(const struct impact_inputs *in, const char *name)
{
    if (name == NULL || *name == '\0')
        return NULL;
    for (size_t i = 0; i < in->ndatasets; i++) {
        const struct impact_dataset *d = &in->datasets[i];
        if (strcmp(d->id, name) == 0)
            return d;
        for (size_t k = 0; k < d->ntables; k++) {
            const char *t = d->tables[k], *dot = strchr(t, '.');
            if (strcasecmp(t, name) == 0 ||
                (dot && strchr(name, '.') == NULL && strcasecmp(dot + 1, name) == 0))
                return d;
        }
        for (size_t k = 0; k < d->nendpoints; k++)
            if (name[0] == '/' && seg_match(d->endpoints[k], name))
                return d;
    }
    return NULL;
}

static const struct impact_category *category_of_type(const struct impact_inputs *in,
                                                      const char *type)
{
    for (size_t i = 0; i < in->nclasses; i++)
        for (size_t k = 0; k < in->classes[i].ntypes; k++)
            if (strcmp(in->classes[i].types[k], type) == 0)
                return &in->classes[i];
    return NULL;
}

static const struct impact_category *category_named(const struct impact_inputs *in,
                                                    const char *name)
{
    for (size_t i = 0; i < in->nclasses; i++)
        if (strcmp(in->classes[i].name, name) == 0)
            return &in->classes[i];
    return NULL;
}

static int sens_rank(const char *s)
{
    return strcmp(s, "high") == 0     ? 3
           : strcmp(s, "medium") == 0 ? 2
           : strcmp(s, "low") == 0    ? 1
                                      : 0;
}

/* ---- parts of the assessment ---- */

struct tally {
    uint64_t rows_max, rows_sum, pii_max;
    uint64_t pii[IV_MAX_PII * 4];
    char pii_type[IV_MAX_PII * 4][32];
    size_t npii;
    const struct impact_dataset *ds[IV_MAX_ALERTS];
    uint64_t ds_records[IV_MAX_ALERTS];
    char ds_name[IV_MAX_ALERTS][160];
    size_t nds;
    uint64_t subjects_cap; /* sum of inventory subjects of matched datasets; 0 unknown */
    int unmatched;         /* alerts whose dataset is not in the inventory */
};

static uint64_t tally_pii(const struct tally *t, const char *type)
{
    for (size_t i = 0; i < t->npii; i++)
        if (strcmp(t->pii_type[i], type) == 0)
            return t->pii[i];
    return 0;
}

static void tally_build(struct tally *t, const struct incident_view *v,
                        const struct impact_inputs *in)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < v->nalerts; i++) {
        const struct iv_alert *a = &v->alerts[i];
        if (a->records > t->rows_max)
            t->rows_max = a->records;
        for (size_t k = 0; k < a->npii; k++) {
            size_t j;
            for (j = 0; j < t->npii; j++)
                if (strcmp(t->pii_type[j], a->pii[k].type) == 0)
                    break;
            if (j == t->npii) {
                if (t->npii == sizeof(t->pii) / sizeof(t->pii[0]))
                    continue;
                snprintf(t->pii_type[j], sizeof(t->pii_type[j]), "%s", a->pii[k].type);
                t->pii[j] = 0;
                t->npii++;
            }
            if (a->pii[k].count > t->pii[j])
                t->pii[j] = a->pii[k].count;
            if (a->pii[k].count > t->pii_max)
                t->pii_max = a->pii[k].count;
        }
        const struct impact_dataset *d = find_dataset(in, a->dataset);
        char name[160];
        scrub(d               ? d->id
              : a->dataset[0] ? a->dataset
                              : "(not named by the sensor)",
              name, sizeof(name));
        if (d == NULL)
            t->unmatched++;
        size_t j;
        for (j = 0; j < t->nds; j++)
            if (strcmp(t->ds_name[j], name) == 0)
                break;
        if (j == t->nds) {
            t->ds[j] = d;
            snprintf(t->ds_name[j], sizeof(t->ds_name[j]), "%s", name);
            t->ds_records[j] = 0;
            t->nds++;
            if (d && d->subjects)
                t->subjects_cap += d->subjects;
        }
        if (a->records > t->ds_records[j])
            t->ds_records[j] = a->records;
    }
    for (size_t j = 0; j < t->nds; j++)
        t->rows_sum += t->ds_records[j];
}

static json_t *records_part(const struct tally *t, const struct incident_view *v, uint64_t *best,
                            uint64_t *low, uint64_t *high)
{
    json_t *how = json_array();
    char b1[32], b2[32];
    int opaque = 1;
    for (size_t i = 0; i < v->nalerts; i++)
        if (strcmp(v->alerts[i].channel, "tls") != 0)
            opaque = 0;
    *best = t->rows_max ? t->rows_max : t->pii_max;
    *low = *best;
    if (t->rows_max && t->pii_max && t->pii_max < *low)
        *low = t->pii_max;
    *high = t->rows_sum > *best ? t->rows_sum : *best;
    char line[320];
    if (t->rows_max) {
        snprintf(line, sizeof(line),
                 "%s records (rows) counted by the sensor: the largest count of any alert of "
                 "the incident (alerts over the same rows overlap, so they are not added)",
                 fmt_count(t->rows_max, b1));
        json_array_append_new(how, json_string(line));
    }
    if (t->pii_max) {
        snprintf(line, sizeof(line),
                 "%s validated personal-data values of the most frequent type found by the PII "
                 "scanner in the same traffic",
                 fmt_count(t->pii_max, b1));
        json_array_append_new(how, json_string(line));
    }
    if (t->rows_sum > t->rows_max) {
        snprintf(line, sizeof(line),
                 "upper bound %s: the alerts' counts added over the %zu datasets they name, in "
                 "case those hold different people",
                 fmt_count(t->rows_sum, b2), t->nds);
        json_array_append_new(how, json_string(line));
    }
    if (opaque && t->pii_max == 0 && *best)
        json_array_append_new(how,
                              json_string("the channel was encrypted (TLS), so the records could "
                                          "not be counted in the content: the figure is the "
                                          "sensor's estimate from the bytes sent"));
    if (*best == 0)
        json_array_append_new(how, json_string("no record was counted"));
    json_t *o =
        json_pack("{s:o,s:o,s:o,s:b,s:o}", "best", count_obj(*best), "low", count_obj(*low), "high",
                  count_obj(*high), "counted", !(opaque && t->pii_max == 0), "how", how);
    json_object_set_new(o, "exact", json_boolean(*low == *high));
    return o;
}

static json_t *subjects_part(const struct tally *t, uint64_t best, uint64_t high)
{
    char b[32], line[320];
    uint64_t sb = best, sh = high;
    json_t *how = json_array();
    json_array_append_new(how, json_string("one record per person assumed (customer records); "
                                           "duplicates would lower the number"));
    if (t->subjects_cap && t->unmatched == 0) {
        if (sh > t->subjects_cap)
            sh = t->subjects_cap;
        if (sb > sh)
            sb = sh;
        snprintf(line, sizeof(line),
                 "the inventory says the dataset(s) hold about %s people in all, which caps the "
                 "number",
                 fmt_count(t->subjects_cap, b));
        json_array_append_new(how, json_string(line));
    }
    return json_pack("{s:o,s:o,s:o}", "best", count_obj(sb), "high", count_obj(sh), "how", how);
}

static json_t *categories_part(const struct tally *t, const struct impact_inputs *in, int *max_sens,
                               int *national_id, int *financial, uint64_t *ssn, uint64_t *cn_id)
{
    json_t *arr = json_array();
    *max_sens = 0;
    *national_id = *financial = 0;
    *ssn = tally_pii(t, "us_ssn");
    *cn_id = tally_pii(t, "cn_resident_id");
    /* Confirmed by the scanner, grouped by category. */
    for (size_t i = 0; i < t->npii; i++) {
        const struct impact_category *c = category_of_type(in, t->pii_type[i]);
        const char *cname = c ? c->name : t->pii_type[i];
        json_t *cat = NULL;
        size_t idx;
        json_t *it;
        json_array_foreach(arr, idx, it) if (strcmp(json_string_value(json_object_get(it, "name")),
                                                    cname) == 0) cat = it;
        if (cat == NULL) {
            char ph[96];
            cat = json_pack(
                "{s:s,s:s,s:s,s:s,s:s,s:b,s:[]}", "name", cname, "label", notice_label(cname, "en"),
                "label_zh", notice_label(cname, "zh"), "sensitivity",
                c ? c->sensitivity
                  : impact_placeholder("sensitivity (no data class)", ph, sizeof(ph)),
                "source", "found by the PII scanner in the traffic", "confirmed", 1, "types");
            json_array_append_new(arr, cat);
        }
        json_array_append_new(json_object_get(cat, "types"),
                              json_pack("{s:s,s:s,s:s,s:o}", "type", t->pii_type[i], "label",
                                        notice_label(t->pii_type[i], "en"), "label_zh",
                                        notice_label(t->pii_type[i], "zh"), "count",
                                        count_obj(t->pii[i])));
    }
    /* Held by the dataset per the inventory but not seen in the traffic. */
    for (size_t j = 0; j < t->nds; j++) {
        if (t->ds[j] == NULL)
            continue;
        for (size_t k = 0; k < t->ds[j]->ncategories; k++) {
            const char *cname = t->ds[j]->categories[k];
            size_t idx;
            json_t *it;
            int have = 0;
            json_array_foreach(arr, idx, it) have |=
                strcmp(json_string_value(json_object_get(it, "name")), cname) == 0;
            if (have)
                continue;
            const struct impact_category *c = category_named(in, cname);
            char ph[96];
            json_array_append_new(
                arr,
                json_pack(
                    "{s:s,s:s,s:s,s:s,s:s,s:b,s:[]}", "name", cname, "label",
                    notice_label(cname, "en"), "label_zh", notice_label(cname, "zh"), "sensitivity",
                    c ? c->sensitivity
                      : impact_placeholder("sensitivity (no data class)", ph, sizeof(ph)),
                    "source", "held by the dataset per the inventory; not counted in the traffic",
                    "confirmed", 0, "types"));
        }
    }
    size_t idx;
    json_t *it;
    json_array_foreach(arr, idx, it)
    {
        const char *n = json_string_value(json_object_get(it, "name"));
        int r = sens_rank(json_string_value(json_object_get(it, "sensitivity")));
        if (r > *max_sens)
            *max_sens = r;
        if (strcmp(n, "national_id") == 0)
            *national_id = 1;
        if (strcmp(n, "financial") == 0)
            *financial = 1;
        json_object_set_new(it, "high", json_boolean(r == 3));
    }
    return arr;
}

static void jur_add(json_t *arr, const char *cc, double share, uint64_t est, uint64_t lower,
                    const char *source)
{
    char b[32], s[32];
    size_t idx;
    json_t *it;
    json_array_foreach(arr, idx, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "country")), cc) != 0)
            continue;
        json_int_t e =
            json_integer_value(json_object_get(json_object_get(it, "estimate"), "value"));
        json_object_set_new(it, "estimate", count_obj((uint64_t)e + est));
        return;
    }
    snprintf(s, sizeof(s), "%.0f%%", share * 100);
    (void)b;
    json_array_append_new(
        arr, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "country", cc, "name",
                       notice_country(cc, "en"), "name_zh", notice_country(cc, "zh"), "share", s,
                       "estimate", count_obj(est), "at_least", count_obj(lower), "source", source));
}

static json_t *jurisdictions_part(const struct tally *t, json_t **note)
{
    json_t *arr = json_array();
    int known = 0;
    for (size_t j = 0; j < t->nds; j++) {
        if (t->ds[j] == NULL || t->ds[j]->njur == 0)
            continue;
        known = 1;
        for (size_t k = 0; k < t->ds[j]->njur; k++) {
            double sh = t->ds[j]->jur[k].share;
            uint64_t est = (uint64_t)(sh * (double)t->ds_records[j] + 0.5);
            jur_add(arr, t->ds[j]->jur[k].country, sh, est, 0,
                    "inventory share of the dataset's people applied to the records exposed");
        }
    }
    /* Identifiers that only residents hold give a floor. */
    static const struct {
        const char *type, *cc;
    } floors[] = {{"cn_resident_id", "CN"}, {"us_ssn", "US"}};
    for (size_t f = 0; f < 2; f++) {
        uint64_t n = tally_pii(t, floors[f].type);
        if (n == 0)
            continue;
        size_t idx;
        json_t *it, *hit = NULL;
        json_array_foreach(arr, idx,
                           it) if (strcmp(json_string_value(json_object_get(it, "country")),
                                          floors[f].cc) == 0) hit = it;
        if (hit == NULL) {
            jur_add(arr, floors[f].cc, 0, n, n,
                    "at least one per national identifier of that country found in the traffic");
            hit = json_array_get(arr, json_array_size(arr) - 1);
            json_object_set_new(hit, "share", json_string("?"));
        }
        json_object_set_new(hit, "at_least", count_obj(n));
        json_int_t e =
            json_integer_value(json_object_get(json_object_get(hit, "estimate"), "value"));
        if ((uint64_t)e < n)
            json_object_set_new(hit, "estimate", count_obj(n));
    }
    char ph[200];
    if (!known)
        *note = json_string(impact_placeholder(
            "where the affected people live: the dataset is not in the inventory, so only "
            "national identifiers place them",
            ph, sizeof(ph)));
    else if (t->unmatched)
        *note = json_string(impact_placeholder(
            "where the people of the datasets not in the inventory live", ph, sizeof(ph)));
    else
        *note = json_string("");
    return arr;
}

static json_t *destination_part(const struct incident_view *v, const struct impact_inputs *in,
                                char *country, size_t clen)
{
    /* The destination of the data: the receiver of a send (alerts that carry
     * dest_geo tell it was outside home_net), else the actor. */
    const struct iv_alert *g = NULL;
    for (size_t i = 0; i < v->nalerts && g == NULL; i++)
        if (v->alerts[i].has_geo)
            g = &v->alerts[i];
    const char *ip = v->actor_ip;
    char cc[3] = "";
    uint32_t asn = 0;
    int external = 0;
    struct bw_addr addr;
    if (g != NULL) {
        external = 1;
        /* The receiver is dest_ip for sends; the actor for reads from outside. */
        struct bw_addr a2;
        if (bw_addr_parse(g->dest_ip, &a2) == 0 && !config_is_home(in->conf, &a2))
            ip = g->dest_ip;
        snprintf(cc, sizeof(cc), "%s", g->geo_country);
        asn = g->geo_asn;
    } else if (bw_addr_parse(v->actor_ip, &addr) == 0 && !config_is_home(in->conf, &addr)) {
        external = 1;
    }
    if (external && cc[0] == '\0' && in->geo != NULL && bw_addr_parse(ip, &addr) == 0) {
        struct geo_result r;
        if (geo_lookup(in->geo, &addr, &r) == 0) {
            snprintf(cc, sizeof(cc), "%s", r.country);
            if (!asn)
                asn = r.asn;
        }
    }
    /* A DNS tunnel's data goes through the resolver to the name servers of
     * the tunnel domain, whose address the alert does not carry. */
    const struct iv_alert *dns = NULL;
    for (size_t i = 0; i < v->nalerts && dns == NULL; i++)
        if (strcmp(v->alerts[i].channel, "dns") == 0)
            dns = &v->alerts[i];
    if (!external && dns != NULL) {
        char dom[160], t[320], tz[320], ph2[128];
        scrub(dns->dataset[0] ? dns->dataset : "(not named)", dom, sizeof(dom));
        snprintf(t, sizeof(t),
                 "the name servers of the domain %s, reached through the organisation's resolver "
                 "(outside the organisation; their address and country are not in the alert)",
                 dom);
        snprintf(
            tz, sizeof(tz),
            "域名 %s 的权威域名服务器（经本组织的解析器转发，位于组织外部；告警中无其地址和国家）",
            dom);
        snprintf(country, clen, "%s", "");
        return json_pack("{s:s,s:b,s:s,s:s,s:s,s:s,s:s}", "ip", "", "external", 1, "text", t,
                         "text_zh", tz, "country",
                         impact_placeholder("destination country of the tunnel's name servers", ph2,
                                            sizeof(ph2)),
                         "country_name", "", "asn", "");
    }
    snprintf(country, clen, "%s", cc);
    char ph[128], asn_s[24] = "";
    if (asn)
        snprintf(asn_s, sizeof(asn_s), "AS%u", asn);
    json_t *o = json_pack("{s:s,s:b}", "ip", ip, "external", external);
    if (!external) {
        json_object_set_new(o, "text",
                            json_string("an internal address (inside home_net): the records "
                                        "reached a host of the organisation that was not "
                                        "allowed to hold them"));
        json_object_set_new(
            o, "text_zh",
            json_string("内部地址（home_net 内）：记录到达了本组织内无权持有它们的主机"));
    } else {
        char t[256], tz[256];
        const char *cn = cc[0] ? notice_country(cc, "en") : NULL;
        snprintf(t, sizeof(t), "an external address in %s%s%s%s", cn ? cn : "an unknown country",
                 asn_s[0] ? " (" : "", asn_s, asn_s[0] ? ")" : "");
        snprintf(tz, sizeof(tz), "外部地址，位于%s%s%s%s",
                 cc[0] ? notice_country(cc, "zh") : "未知国家", asn_s[0] ? "（" : "", asn_s,
                 asn_s[0] ? "）" : "");
        json_object_set_new(o, "text", json_string(t));
        json_object_set_new(o, "text_zh", json_string(tz));
    }
    json_object_set_new(o, "country",
                        json_string(cc[0] ? cc
                                    : external
                                        ? impact_placeholder("destination country", ph, sizeof(ph))
                                        : ""));
    json_object_set_new(o, "country_name", json_string(cc[0] ? notice_country(cc, "en") : ""));
    json_object_set_new(o, "asn", json_string(asn_s));
    return o;
}

static json_t *transit_part(const struct incident_view *v, int *readable)
{
    int tls = 0, clear = 0, dns = 0;
    for (size_t i = 0; i < v->nalerts; i++) {
        const char *c = v->alerts[i].channel;
        if (strcmp(c, "tls") == 0)
            tls = 1;
        else if (strcmp(c, "dns") == 0)
            dns = 1;
        else
            clear = 1;
    }
    json_t *lines = json_array(), *lines_zh = json_array();
    if (clear) {
        json_array_append_new(lines, json_string("not encrypted in transit: the sensor read the "
                                                 "records in clear on the network"));
        json_array_append_new(lines_zh,
                              json_string("传输中未加密：传感器在网络上以明文读取到记录"));
    }
    if (dns) {
        json_array_append_new(lines, json_string("sent encoded (base32) in DNS query names: an "
                                                 "encoding, not a protection"));
        json_array_append_new(lines_zh,
                              json_string("以 base32 编码写入 DNS 查询名称外传：编码不是保护措施"));
    }
    if (tls) {
        json_array_append_new(lines,
                              json_string("encrypted in transit (TLS), but TLS ends at the "
                                          "receiver, which is the unauthorised party: it does not "
                                          "make the data unintelligible to them"));
        json_array_append_new(
            lines_zh,
            json_string("传输中经 TLS 加密，但 TLS "
                        "在接收方终止，而接收方正是未经授权的一方：加密并未使数据对其不可读"));
    }
    *readable = 1; /* every channel above delivers readable records to the receiver */
    return json_pack("{s:b,s:o,s:o}", "tls", tls, "lines", lines, "lines_zh", lines_zh);
}

static json_t *at_rest_part(const struct tally *t)
{
    int yes = 0, no = 0, unknown = 0;
    for (size_t j = 0; j < t->nds; j++) {
        if (t->ds[j] == NULL || t->ds[j]->encrypted_at_rest < 0)
            unknown = 1;
        else if (t->ds[j]->encrypted_at_rest)
            yes = 1;
        else
            no = 1;
    }
    char ph[160];
    const char *text, *zh;
    if (unknown)
        text = zh = impact_placeholder("whether the data was encrypted at rest (not in the "
                                       "inventory)",
                                       ph, sizeof(ph));
    else if (yes && !no) {
        text = "encrypted at rest, but it was read through the system's own interface, which "
               "decrypts: encryption at rest did not protect it here";
        zh = "静态存储已加密，但数据是通过系统自身接口读取的（接口会解密）：静态加密在本事件中未起"
             "保护作用";
    } else {
        text = "not encrypted at rest (inventory)";
        zh = "静态存储未加密（数据清单）";
    }
    return json_pack("{s:s,s:s,s:b}", "text", text, "text_zh", zh, "known", !unknown);
}

static void reason(json_t *arr, json_t *arr_zh, const char *en, const char *zh)
{
    json_array_append_new(arr, json_string(en));
    json_array_append_new(arr_zh, json_string(zh));
}

json_t *impact_assess(const struct incident_view *v, const struct impact_inputs *in)
{
    struct tally *t = calloc(1, sizeof(*t));
    json_t *a = json_object();
    if (t == NULL || a == NULL) {
        free(t);
        json_decref(a);
        return NULL;
    }
    tally_build(t, v, in);
    char b[32], line[512], zh[512];

    /* The incident. */
    json_t *rules = json_array(), *channels = json_array(), *alerts = json_array();
    for (size_t i = 0; i < v->nalerts; i++) {
        const struct iv_alert *al = &v->alerts[i];
        char ds[160];
        scrub(al->dataset[0] ? al->dataset : "(not named)", ds, sizeof(ds));
        json_array_append_new(
            alerts, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:i}", "rule", al->rule, "signature",
                              al->signature, "channel", al->channel, "dataset", ds, "records",
                              count_obj(al->records), "bytes", count_obj(al->bytes), "time",
                              impact_time(al->ts_us), "severity", al->severity));
        int seen = 0;
        size_t idx;
        json_t *it;
        json_array_foreach(rules, idx, it) seen |= strcmp(json_string_value(it), al->rule) == 0;
        if (!seen)
            json_array_append_new(rules, json_string(al->rule));
        seen = 0;
        json_array_foreach(channels, idx, it) seen |=
            strcmp(json_string_value(it), al->channel) == 0;
        if (!seen)
            json_array_append_new(channels, json_string(al->channel));
    }
    json_t *datasets = json_array();
    for (size_t j = 0; j < t->nds; j++) {
        char ph[128];
        json_array_append_new(
            datasets, json_pack("{s:s,s:b,s:s,s:o}", "name", t->ds_name[j], "in_inventory",
                                t->ds[j] != NULL, "description",
                                t->ds[j] && t->ds[j]->description[0]
                                    ? t->ds[j]->description
                                    : impact_placeholder("what this dataset holds", ph, sizeof(ph)),
                                "records", count_obj(t->ds_records[j])));
    }
    json_object_set_new(a, "incident",
                        json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:I,s:o,s:o}", "id", v->id,
                                  "status", v->status[0] ? v->status : "open", "actor_ip",
                                  v->actor_ip, "actor_user", v->actor_user, "severity", v->severity,
                                  "opened", impact_time(v->opened_us), "last",
                                  impact_time(v->last_us ? v->last_us : v->opened_us), "alerts",
                                  (json_int_t)v->nalerts, "rules", rules, "channels", channels));
    /* When the organisation became aware (the earliest alert) and the breach
     * dates (the span of the access activity the alerts cover). */
    json_t *inc = json_object_get(a, "incident");
    int64_t det = incident_view_detected(v);
    int64_t af = v->activity_first_us ? v->activity_first_us : det;
    int64_t al = v->activity_last_us ? v->activity_last_us : (v->last_us ? v->last_us : det);
    json_object_set_new(inc, "detected", impact_time(det));
    json_object_set_new(inc, "activity_first", impact_time(af));
    json_object_set_new(inc, "activity_last", impact_time(al < af ? af : al));
    json_object_set_new(a, "alerts", alerts);
    json_object_set_new(a, "datasets", datasets);

    uint64_t best, low, high;
    json_object_set_new(a, "records", records_part(t, v, &best, &low, &high));
    json_object_set_new(a, "subjects", subjects_part(t, best, high));
    int max_sens, nat, fin;
    uint64_t ssn, cnid;
    json_object_set_new(a, "categories",
                        categories_part(t, in, &max_sens, &nat, &fin, &ssn, &cnid));
    json_object_set_new(a, "identifiers",
                        json_pack("{s:b,s:b,s:o,s:o}", "national_id", nat, "financial", fin, "ssn",
                                  count_obj(ssn), "cn_resident_id", count_obj(cnid)));
    json_t *note = NULL;
    json_object_set_new(a, "jurisdictions", jurisdictions_part(t, &note));
    json_object_set_new(a, "jurisdictions_note", note);
    char dest_cc[3];
    json_object_set_new(a, "destination", destination_part(v, in, dest_cc, sizeof(dest_cc)));
    int readable;
    json_object_set_new(a, "transit", transit_part(v, &readable));
    json_object_set_new(a, "at_rest", at_rest_part(t));

    /* Risk: Breachwatch's rule of thumb, written out so the DPO can disagree. */
    json_t *why = json_array(), *why_zh = json_array();
    int level = 1;
    if (best == 0 && t->npii == 0) {
        reason(why, why_zh, "no customer record or personal-data value was counted",
               "未统计到客户记录或个人信息");
    }
    if (nat) {
        level = 3;
        snprintf(line, sizeof(line),
                 "national identification numbers were involved (%s found in the traffic): "
                 "identity theft and fraud",
                 fmt_count(ssn + cnid, b));
        snprintf(zh, sizeof(zh), "涉及身份证件号码（在流量中发现 %s 个）：存在身份盗用和欺诈风险",
                 fmt_count(ssn + cnid, b));
        reason(why, why_zh, line, zh);
    }
    if (fin) {
        level = 3;
        reason(why, why_zh, "payment card or bank account numbers were involved: financial fraud",
               "涉及银行卡或银行账号：存在金融欺诈风险");
    }
    if (max_sens >= 2 && level < 2) {
        level = 2;
        reason(why, why_zh, "contact details or personal attributes were involved",
               "涉及联系方式或个人属性信息");
    }
    if (best >= 1000) {
        if (level < 3 && max_sens >= 2)
            level = 3;
        snprintf(line, sizeof(line), "large scale: about %s records", fmt_count(best, b));
        snprintf(zh, sizeof(zh), "规模较大：约 %s 条记录", fmt_count(best, b));
        reason(why, why_zh, line, zh);
    }
    if (readable && best > 0)
        reason(why, why_zh,
               "the records reached the unauthorised party readable (see protection in transit "
               "and at rest)",
               "记录以可读形式到达未经授权的一方（见传输与存储保护）");
    const json_t *dest = json_object_get(a, "destination");
    if (json_is_true(json_object_get(dest, "external"))) {
        if (level < 2)
            level = 2;
        snprintf(line, sizeof(line), "the data left the organisation for %s",
                 json_string_value(json_object_get(dest, "text")));
        snprintf(zh, sizeof(zh), "数据已流出本组织，目的地为%s",
                 json_string_value(json_object_get(dest, "text_zh")));
        reason(why, why_zh, line, zh);
    }
    static const char *const names[] = {"", "low", "medium", "high"};
    static const char *const names_zh[] = {"", "低", "中", "高"};
    json_object_set_new(
        a, "risk",
        json_pack("{s:s,s:s,s:b,s:b,s:o,s:o,s:s}", "level", names[level], "level_zh",
                  names_zh[level], "high", level == 3, "not_low", level >= 2, "reasons", why,
                  "reasons_zh", why_zh, "basis",
                  "Breachwatch's rule of thumb (docs/notices.md): high when national identifiers "
                  "or financial data were involved, or contact data at large scale (1,000 or "
                  "more); to be confirmed by the DPO"));
    if (regimes_assess(a, v, in) != 0) {
        json_decref(a);
        a = NULL;
    }
    free(t);
    return a;
}

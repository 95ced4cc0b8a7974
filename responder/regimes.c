/* Which notification regimes apply to an incident, and their clocks: GDPR
 * Art. 33/34 (72 hours from awareness; Art. 34(3) exemptions), California
 * Civil Code 1798.82 (residents; Attorney General sample above 500), PIPL
 * Art. 57 (immediately), and China's incident-reporting deadline when the
 * config says it applies. Awareness is taken as the incident's detection: its
 * earliest alert, whatever order the alerts reached the responder in. */
#include "responder/impact.h"

#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"
#include "responder/notice-text.h"

static int64_t jint(const json_t *o, const char *a, const char *b)
{
    return (int64_t)json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* People estimated in countries matching pred (or cc when pred is NULL). */
static uint64_t people_in(const json_t *jur, int (*pred)(const char *), const char *cc)
{
    uint64_t n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(jur, i, it)
    {
        const char *c = json_string_value(json_object_get(it, "country"));
        if (pred ? pred(c) : strcmp(c, cc) == 0)
            n += (uint64_t)jint(it, "estimate", "value");
    }
    return n;
}

static json_t *num(uint64_t v)
{
    char raw[24], out[32];
    int n = snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = '\0';
    return json_pack("{s:I,s:s}", "value", (json_int_t)v, "text", out);
}

static const char *tri(int known, int yes)
{
    return !known ? "unknown" : yes ? "yes" : "no";
}

static const char *tri_zh(int known, int yes)
{
    return !known ? "待确认" : yes ? "是" : "否";
}

int regimes_assess(json_t *a, const struct incident_view *v, const struct impact_inputs *in)
{
    const json_t *jur = json_object_get(a, "jurisdictions");
    const json_t *risk = json_object_get(a, "risk");
    const json_t *ids = json_object_get(a, "identifiers");
    int jur_known = json_array_size(jur) > 0 &&
                    strlen(json_string_value(json_object_get(a, "jurisdictions_note"))) == 0;
    int high = json_is_true(json_object_get(risk, "high"));
    char ph[256], line[512];
    json_t *r = json_object();
    int64_t aware = incident_view_detected(v);
    json_object_set_new(r, "awareness", impact_time(aware));
    json_object_set_new(r, "awareness_basis",
                        json_string("the time Breachwatch first detected the breach (the "
                                    "earliest alert of the incident); if the organisation became "
                                    "aware later or earlier, the DPO sets the clock"));

    /* GDPR. */
    uint64_t eea = people_in(jur, notice_is_eea, NULL);
    int g_known = in->eu_establishment || eea > 0 || jur_known;
    int g_yes = in->eu_establishment || eea > 0;
    if (in->eu_establishment)
        snprintf(line, sizeof(line),
                 "the organisation is established in the EU/EEA (Art. 3(1)), per the config");
    else if (eea > 0)
        snprintf(line, sizeof(line),
                 "about %lld of the people live in the EU/EEA (Art. 3(2)); confirm that the "
                 "organisation offers them goods or services there",
                 (long long)eea);
    else if (jur_known)
        snprintf(line, sizeof(line),
                 "no EU/EEA residents among the people and no EU "
                 "establishment in the config");
    else
        impact_placeholder("whether EU/EEA residents are among the people (unknown)", line,
                           sizeof(line));
    json_t *ex = json_array();
    json_array_append_new(
        ex, json_pack("{s:s,s:s,s:s}", "point", "a", "met", "no", "text",
                      "Art. 34(3)(a) not met: the records reached the recipient readable, so no "
                      "protection made them unintelligible to that person"));
    json_array_append_new(
        ex, json_pack("{s:s,s:s,s:s}", "point", "b", "met", "unknown", "text",
                      impact_placeholder("Art. 34(3)(b): subsequent measures that ensure the "
                                         "high risk is no longer likely to materialise, if any",
                                         ph, sizeof(ph))));
    json_array_append_new(
        ex, json_pack("{s:s,s:s,s:s}", "point", "c", "met", "unknown", "text",
                      impact_placeholder("Art. 34(3)(c): whether individual notice would involve "
                                         "disproportionate effort (then a public communication)",
                                         ph, sizeof(ph))));
    json_t *gdpr_zh = json_string(tri_zh(g_known, g_yes));
    json_t *gdpr = json_pack(
        "{s:s,s:b,s:s,s:o,s:o,s:s,s:{s:b,s:s,s:o}}", "applies", tri(g_known, g_yes), "applies_yes",
        g_yes, "reason", line, "eea_people", num(eea), "deadline",
        impact_time(aware + 72 * 3600 * BW_USEC), "authority",
        in->supervisory_authority[0]
            ? in->supervisory_authority
            : impact_placeholder("lead supervisory authority", ph, sizeof(ph)),
        "art34", "needed", high, "reason",
        high ? "the risk assessed is high (Art. 34(1)), and no exemption of Art. 34(3) is "
               "established"
             : "the risk assessed is not high, so Art. 34(1) does not require notice to the "
               "people; the DPO may still decide to inform them",
        "exemptions", ex);
    json_object_set_new(gdpr, "applies_zh", gdpr_zh);
    json_object_set_new(r, "gdpr", gdpr);
    uint64_t gb = people_in(jur, NULL, "GB");
    json_object_set_new(r, "uk_gdpr", json_pack("{s:b,s:o}", "applies", gb > 0, "people", num(gb)));

    /* California Civil Code 1798.82. */
    uint64_t us = people_in(jur, NULL, "US");
    double ca_share = -1;
    for (size_t i = 0; i < in->nstates; i++)
        if (strcmp(in->us_states[i].code, "CA") == 0)
            ca_share = in->us_states[i].share;
    uint64_t ssn = (uint64_t)jint(ids, "ssn", "value");
    int c_known = (us > 0 && ca_share >= 0) || (jur_known && us == 0);
    uint64_t ca = ca_share >= 0 ? (uint64_t)(ca_share * (double)us + 0.5) : 0;
    int c_yes = ca > 0;
    json_t *ccpa = json_object();
    if (us == 0 && jur_known)
        snprintf(line, sizeof(line), "no US residents among the people");
    else if (ca_share < 0)
        impact_placeholder("how many of the US residents live in California (set "
                           "organisation.us_states.CA)",
                           line, sizeof(line));
    else
        snprintf(line, sizeof(line),
                 "about %llu California residents (share %.0f%% of the US residents, from "
                 "organisation.us_states)",
                 (unsigned long long)ca, ca_share * 100);
    json_object_set_new(ccpa, "applies", json_string(tri(c_known, c_yes)));
    json_object_set_new(ccpa, "applies_yes", json_boolean(c_yes));
    json_object_set_new(ccpa, "reason", json_string(line));
    json_object_set_new(
        ccpa, "residents",
        c_known ? num(ca)
                : json_pack("{s:I,s:s}", "value", (json_int_t)0, "text",
                            impact_placeholder("number of California residents", ph, sizeof(ph))));
    json_object_set_new(ccpa, "ag_sample", json_string(tri(c_known, ca > 500)));
    json_object_set_new(ccpa, "applies_zh", json_string(tri_zh(c_known, c_yes)));
    json_object_set_new(ccpa, "ag_sample_zh", json_string(tri_zh(c_known, ca > 500)));
    json_object_set_new(ccpa, "ag_sample_yes", json_boolean(ca > 500));
    int nat = json_is_true(json_object_get(ids, "national_id"));
    json_object_set_new(ccpa, "credit_bureaus", json_boolean(ssn > 0));
    json_object_set_new(ccpa, "id_theft_offer", json_boolean(ssn > 0));
    json_object_set_new(ccpa, "trigger",
                        json_string(ssn > 0 || nat
                                        ? "names together with Social Security or other "
                                          "government identification numbers: personal "
                                          "information under 1798.82(h)(1)"
                                        : impact_placeholder("whether the data is personal "
                                                             "information under 1798.82(h)",
                                                             ph, sizeof(ph))));
    json_object_set_new(ccpa, "timing",
                        json_string("in the most expedient time possible and without "
                                    "unreasonable delay (1798.82(a))"));
    json_object_set_new(r, "ccpa", ccpa);

    /* PIPL Art. 57. */
    uint64_t cn = people_in(jur, NULL, "CN");
    int p_known = cn > 0 || jur_known;
    json_object_set_new(
        r, "pipl",
        json_pack("{s:s,s:s,s:b,s:o,s:s,s:s}", "applies", tri(p_known, cn > 0), "applies_zh",
                  tri_zh(p_known, cn > 0), "applies_yes", cn > 0, "people",
                  p_known
                      ? num(cn)
                      : json_pack("{s:I,s:s}", "value", (json_int_t)0, "text",
                                  impact_placeholder("number of people in China", ph, sizeof(ph))),
                  "timing", "immediately (立即), Art. 57", "individuals",
                  "notify the individuals as well; only when the measures taken can effectively "
                  "avoid harm may the processor not notify them, and the authority may still "
                  "require it (Art. 57(2))"));

    /* China's incident reporting (config-driven). */
    char dl[64];
    if (in->cn_deadline_s % 3600 == 0)
        snprintf(dl, sizeof(dl), "%llu hour%s", (unsigned long long)(in->cn_deadline_s / 3600),
                 in->cn_deadline_s == 3600 ? "" : "s");
    else
        snprintf(dl, sizeof(dl), "%llu minutes", (unsigned long long)(in->cn_deadline_s / 60));
    json_object_set_new(
        r, "cn_reporting",
        json_pack("{s:b,s:s,s:o,s:s,s:s}", "applies", in->cn_applies, "within", dl, "deadline",
                  impact_time(aware + (int64_t)in->cn_deadline_s * BW_USEC), "authority",
                  in->cn_authority[0]
                      ? in->cn_authority
                      : impact_placeholder("the authority to report to", ph, sizeof(ph)),
                  "basis",
                  "organisation.cn_reporting in the config (default deadline 1 hour, for "
                  "incidents rated relatively major (较大) or above under the Cybersecurity "
                  "Incident Reporting Measures, 网络安全事件报告管理办法, in force 1 Nov 2025); "
                  "whether this incident reaches that grade is for the organisation to assess"));
    json_object_set_new(a, "regimes", r);
    return 0;
}

/* An incident in memory: its id, how alerts fold into it, and its hash (see
 * incident.h). */
#include "responder/incident.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "responder/forensics.h"
#include "responder/pipeline.h"

static void sha_hex(const char *s, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    static const char d[] = "0123456789abcdef";
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < n && i < 32; i++) {
        out[2 * i] = d[md[i] >> 4];
        out[2 * i + 1] = d[md[i] & 15];
    }
    out[64] = '\0';
}

void incident_make_id(const char *alert_id, const char *actor_ip, int64_t ts_us, char *out,
                      size_t outlen)
{
    char seed[256], h[65], day[16];
    snprintf(seed, sizeof(seed), "%s|%s", alert_id, actor_ip);
    sha_hex(seed, h);
    time_t t = (time_t)(ts_us / BW_USEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof(day), "%Y%m%d", &tm);
    snprintf(out, outlen, "INC-%s-%.10s", day, h);
}

/* ---- incidents ---- */

void incident_clear(struct incident *in)
{
    json_decref(in->categories);
    json_decref(in->rules);
    json_decref(in->datasets);
    json_decref(in->channels);
    json_decref(in->alert_records);
    memset(in, 0, sizeof(*in));
}

void incident_init(struct incident *in)
{
    memset(in, 0, sizeof(*in));
    in->categories = json_object();
    in->rules = json_array();
    in->datasets = json_array();
    in->channels = json_array();
    in->alert_records = json_object();
}

static json_t *load_sub(json_t *h, const char *k, int want_array)
{
    const char *s = jget_str(h, k);
    json_t *v = s ? json_loads(s, 0, NULL) : NULL;
    if (want_array ? json_is_array(v) : json_is_object(v))
        return v;
    json_decref(v);
    return want_array ? json_array() : json_object();
}

static int64_t hash_i64(json_t *h, const char *k)
{
    const char *s = jget_str(h, k);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* Incident from its hash (as the JSON object forensics_get_incident gives). */
void incident_from_hash(struct incident *in, json_t *h)
{
    incident_clear(in);
    copy_str(in->id, sizeof(in->id), jget_str(h, "id"));
    copy_str(in->actor, sizeof(in->actor), jget_str(h, "actor"));
    copy_str(in->actor_user, sizeof(in->actor_user), jget_str(h, "actor_user"));
    copy_str(in->status, sizeof(in->status), jget_str(h, "status"));
    copy_str(in->playbook, sizeof(in->playbook), jget_str(h, "playbook"));
    copy_str(in->mode, sizeof(in->mode), jget_str(h, "mode"));
    in->severity = (int)hash_i64(h, "severity");
    in->base_severity = (int)hash_i64(h, "base_severity");
    in->records = (uint64_t)hash_i64(h, "records");
    in->bytes = (uint64_t)hash_i64(h, "bytes");
    in->alerts = (uint64_t)hash_i64(h, "alerts");
    in->opened_us = hash_i64(h, "opened_us");
    in->last_us = hash_i64(h, "last_us");
    in->closed_us = hash_i64(h, "closed_us");
    /* A hash written before these fields existed: its opening was its
     * earliest known time. */
    in->detected_us = hash_i64(h, "detected_us");
    in->activity_first_us = hash_i64(h, "activity_first_us");
    in->activity_last_us = hash_i64(h, "activity_last_us");
    if (in->detected_us == 0)
        in->detected_us = in->opened_us;
    if (in->activity_first_us == 0)
        in->activity_first_us = in->opened_us;
    if (in->activity_last_us == 0)
        in->activity_last_us = in->last_us;
    in->categories = load_sub(h, "categories", 0);
    in->rules = load_sub(h, "rules", 1);
    in->datasets = load_sub(h, "datasets", 1);
    in->channels = load_sub(h, "channels", 1);
    in->alert_records = load_sub(h, "alert_records", 0);
}

static void set_add(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    if (s == NULL || *s == '\0')
        return;
    json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return;
    json_array_append_new(arr, json_string(s));
}

/* Folds an alert into the incident: records and categories are the largest
 * any alert of the incident reports (rules over the same rows overlap, and an
 * alert's updates carry running totals), severity is the highest alert
 * severity raised one level per escalate_alerts further alerts, detection is
 * the earliest alert and the activity span the union of the alerts' spans,
 * whatever order the alerts arrive in. */
void incident_add_alert(struct incident *in, const struct alert_in *a, uint64_t escalate)
{
    in->alerts++;
    if (in->base_severity == 0 || a->severity < in->base_severity)
        in->base_severity = a->severity;
    int sev = in->base_severity;
    if (escalate > 0)
        sev -= (int)((in->alerts - 1) / escalate);
    in->severity = sev < 1 ? 1 : sev;
    json_object_set_new(in->alert_records, a->alert_id, json_integer((json_int_t)a->records));
    if (a->records > in->records)
        in->records = a->records;
    if (a->bytes > in->bytes)
        in->bytes = a->bytes;
    const char *k;
    json_t *v;
    json_object_foreach(a->pii, k, v)
    {
        json_int_t have = json_integer_value(json_object_get(in->categories, k));
        if (json_integer_value(v) > have)
            json_object_set_new(in->categories, k, json_integer(json_integer_value(v)));
    }
    set_add(in->rules, a->rule);
    set_add(in->datasets, a->dataset);
    set_add(in->channels, a->channel);
    if (a->user && !in->actor_user[0])
        copy_str(in->actor_user, sizeof(in->actor_user), a->user);
    if (a->ts_us > in->last_us)
        in->last_us = a->ts_us;
    if (in->detected_us == 0 || a->ts_us < in->detected_us)
        in->detected_us = a->ts_us;
    if (in->activity_first_us == 0 || a->first_us < in->activity_first_us)
        in->activity_first_us = a->first_us;
    if (a->last_us > in->activity_last_us)
        in->activity_last_us = a->last_us;
}

/* Queues the incident hash (and, with set_actor, makes it the actor's
 * current incident). */
int incident_store(struct responder *R, const struct incident *in, int set_actor)
{
    char sev[8], bsev[8], rec[24], byt[24], al[24], op[24], last[24], cl[24];
    char det[24], af[24], alast[24];
    char opened_ts[BW_TS_LEN], last_ts[BW_TS_LEN], closed_ts[BW_TS_LEN];
    char det_ts[BW_TS_LEN], af_ts[BW_TS_LEN], al_ts[BW_TS_LEN];
    snprintf(sev, sizeof(sev), "%d", in->severity);
    snprintf(bsev, sizeof(bsev), "%d", in->base_severity);
    snprintf(rec, sizeof(rec), "%llu", (unsigned long long)in->records);
    snprintf(byt, sizeof(byt), "%llu", (unsigned long long)in->bytes);
    snprintf(al, sizeof(al), "%llu", (unsigned long long)in->alerts);
    snprintf(op, sizeof(op), "%lld", (long long)in->opened_us);
    snprintf(last, sizeof(last), "%lld", (long long)in->last_us);
    snprintf(cl, sizeof(cl), "%lld", (long long)in->closed_us);
    snprintf(det, sizeof(det), "%lld", (long long)in->detected_us);
    snprintf(af, sizeof(af), "%lld", (long long)in->activity_first_us);
    snprintf(alast, sizeof(alast), "%lld", (long long)in->activity_last_us);
    bw_time_fmt(in->detected_us, det_ts);
    bw_time_fmt(in->activity_first_us, af_ts);
    bw_time_fmt(in->activity_last_us, al_ts);
    bw_time_fmt(in->opened_us, opened_ts);
    bw_time_fmt(in->last_us, last_ts);
    if (in->closed_us)
        bw_time_fmt(in->closed_us, closed_ts);
    else
        closed_ts[0] = '\0';
    char *cats = dump(in->categories), *rules = dump(in->rules), *ds = dump(in->datasets),
         *ch = dump(in->channels), *ar = dump(in->alert_records);
    int rc = -1;
    if (cats && rules && ds && ch && ar) {
        const char *kv[] = {"id",         in->id,       "status",        in->status,
                            "actor",      in->actor,    "actor_user",    in->actor_user,
                            "severity",   sev,          "base_severity", bsev,
                            "records",    rec,          "bytes",         byt,
                            "alerts",     al,           "categories",    cats,
                            "rules",      rules,        "datasets",      ds,
                            "channels",   ch,           "alert_records", ar,
                            "opened",     opened_ts,    "opened_us",     op,
                            "last_alert", last_ts,      "last_us",       last,
                            "closed",     closed_ts,    "closed_us",     cl,
                            "playbook",   in->playbook, "mode",          in->mode};
        /* The breach dates and the awareness time (docs/responder.md). */
        const char *span[] = {"detected",          det_ts, "detected_us",      det,
                              "activity_first",    af_ts,  "activity_last",    al_ts,
                              "activity_first_us", af,     "activity_last_us", alast};
        const char *all[sizeof(kv) / sizeof(kv[0]) + sizeof(span) / sizeof(span[0])];
        memcpy(all, kv, sizeof(kv));
        memcpy(all + sizeof(kv) / sizeof(kv[0]), span, sizeof(span));
        rc = forensics_state(R->fx, in->id, in->opened_us, set_actor ? in->actor : NULL,
                             (int)(sizeof(all) / sizeof(all[0]) / 2), all);
    }
    free(cats);
    free(rules);
    free(ds);
    free(ch);
    free(ar);
    return rc;
}

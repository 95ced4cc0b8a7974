/* Impact assessment of an incident: the incident as the notice drafts see it
 * (struct incident_view, read from Redis or from an EVE file), the inputs it
 * is judged against (organisation, data classes, inventory: struct
 * impact_inputs) and the assessment itself, a JSON tree that the notice
 * templates and the json format render. */
#ifndef BW_IMPACT_H
#define BW_IMPACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"

struct bw_redis;
struct geo;

#define IV_MAX_ALERTS 128
#define IV_MAX_PII    16

/* One alert of the incident (the last update of its alert_id). */
struct iv_alert {
    char alert_id[96];
    uint64_t update;
    int64_t ts_us;             /* EVE timestamp: when the sensor raised it */
    int64_t first_us, last_us; /* breach.first_seen/last_seen; ts_us when absent */
    int severity;
    char rule[64];
    char signature[128];
    char channel[32];   /* pgsql|mysql|http|dns|tls|flow|log:<format> */
    char app_proto[16]; /* from the EVE header */
    char dataset[160];  /* as the sensor named it (table, endpoint, file, domain); "" = unknown */
    char dest_ip[64];   /* EVE dest_ip */
    char geo_country[3];
    uint32_t geo_asn;
    bool has_geo; /* breach.dest_geo present: the data left for an external address */
    uint64_t records, bytes;
    size_t npii;
    struct {
        char type[32];
        uint64_t count;
    } pii[IV_MAX_PII];
};

/* The incident as notices see it. Plain data; nothing is owned. */
struct incident_view {
    char id[96];
    char status[16];
    char actor_ip[64];
    char actor_user[64];
    int severity; /* 1 = highest */
    /* opened_us: the responder's opening time (hash opened_us; from an EVE
     * file the earliest alert); last_us: the latest alert. detected_us: the
     * earliest alert, when the organisation became aware. activity_*: the
     * span of the access activity the alerts cover (the breach dates). All
     * are taken over every update of every alert. */
    int64_t opened_us, last_us;
    int64_t detected_us, activity_first_us, activity_last_us;
    size_t nalerts;
    struct iv_alert alerts[IV_MAX_ALERTS];
};

/* Fills v from the alerts of one actor in an EVE file (other event types and
 * other actors are skipped; an alert_id seen again keeps its highest update).
 * actor NULL = the actor of the first alert. id names the incident. Lines
 * that are not JSON are counted in *bad (may be NULL). Returns 0, 1 when the
 * file holds no alert of that actor, -1 with err. v is large: heap it. */
int incident_view_from_eve(struct incident_view *v, const char *id, const char *path,
                           const char *actor, uint64_t *bad, struct bw_err *err) BW_WUR;

/* Fills v from Redis: the hash <prefix>incident:{ID} and the alert entries of
 * <prefix>incident:{ID}:timeline (field "data" = the alert's EVE JSON).
 * Returns 0, 1 when there is no such incident, -1 with err (unreachable). */
int incident_view_from_redis(struct incident_view *v, struct bw_redis *r, const char *prefix,
                             const char *id, struct bw_err *err) BW_WUR;

/* Adds one alert (EVE JSON text) to v. Returns 0, 1 when it is not an alert
 * with a breach object (ignored), -1 when v is full. */
int incident_view_add_eve(struct incident_view *v, const char *json, size_t len);

/* When the organisation became aware of the incident: its earliest alert
 * (detected_us), else its opening time. */
int64_t incident_view_detected(const struct incident_view *v);

/* ---- inputs ---- */

#define IMPACT_MAX_CLASSES  32
#define IMPACT_MAX_DATASETS 64
#define IMPACT_MAX_LOC      16
#define IMPACT_MAX_JUR      32

struct impact_category {
    char name[32];
    char description[160];
    char sensitivity[8]; /* high|medium|low */
    size_t ntypes;
    char types[16][32]; /* PII scanner types of this category */
};

struct impact_dataset {
    char id[64];
    char description[160];
    size_t ntables, nendpoints, ncategories, njur;
    char tables[IMPACT_MAX_LOC][128];
    char endpoints[IMPACT_MAX_LOC][128];
    char categories[IMPACT_MAX_LOC][32];
    uint64_t subjects; /* 0 = unknown */
    struct {
        char country[3];
        double share;
    } jur[IMPACT_MAX_JUR];
    int encrypted_at_rest; /* -1 unknown, 0 no, 1 yes */
};

/* Organisation section of config/breachwatch.yaml (docs/notices.md), plus
 * the data classes and inventory files it points to. Empty strings are
 * unknown and become placeholders in the drafts. */
struct impact_inputs {
    char org_name[160], org_address[256], org_contact[256];
    char dpo_name[128], dpo_email[128], dpo_phone[64];
    char supervisory_authority[256];
    bool eu_establishment; /* established in the EU/EEA (GDPR Art. 3(1)) */
    size_t nstates;
    struct {
        char code[3];
        double share; /* of the US subjects */
    } us_states[64];
    bool cn_applies;         /* cn_reporting.applies */
    uint64_t cn_deadline_s;  /* cn_reporting.deadline, default 1 h */
    char cn_authority[256];  /* cn_reporting.authority */
    char templates_dir[256]; /* "" = built-in (responder/templates under the source/share dir) */
    int notice_max_severity; /* auto drafts when incident severity <= this (0 = never) */
    char notice_dir[300];    /* where auto drafts go; default <state_dir>/notices */
    size_t nclasses, ndatasets;
    struct impact_category classes[IMPACT_MAX_CLASSES];
    struct impact_dataset datasets[IMPACT_MAX_DATASETS];
    bool have_classes, have_inventory;
    struct geo *geo;              /* optional, owned; for destinations the alert did not locate */
    const struct bw_config *conf; /* borrowed (home_net) */
};

/* Reads the `organisation:` section of conf, the data classes file
 * (organisation.data_classes, default data-classes.yaml beside the config)
 * and the inventory (organisation.inventory, default inventory.yaml); files
 * that do not exist leave have_classes/have_inventory false. GeoIP is opened
 * from the `geoip` section when possible. in is large: heap it. Returns 0 or
 * -1 with err (file:line:col). Free with impact_inputs_fini. */
int impact_inputs_load(struct impact_inputs *in, const struct bw_config *conf,
                       struct bw_err *err) BW_WUR;
void impact_inputs_fini(struct impact_inputs *in);

/* The impact assessment as a JSON object (caller owns it; json_decref),
 * every number with how it was derived and every judgement with its reasons
 * (docs/notices.md lists the members). Includes "regimes" (regimes.c).
 * NULL only when out of memory. */
json_t *impact_assess(const struct incident_view *v, const struct impact_inputs *in);

/* Adds the member "regimes" (which laws apply and their clocks) to an
 * assessment; implemented in responder/regimes.c. Returns 0 or -1 (memory). */
int regimes_assess(json_t *assessment, const struct incident_view *v,
                   const struct impact_inputs *in);

/* A time as {"text": "2026-12-01 08:05:41 UTC", "iso": EVE form, "us": N}. */
json_t *impact_time(int64_t us);

/* Placeholder text for a fact Breachwatch cannot know:
 * "[TO COMPLETE: what]" into out. Returns out. */
const char *impact_placeholder(const char *what, char *out, size_t outlen);

#endif

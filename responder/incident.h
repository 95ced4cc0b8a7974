/* An incident as the responder keeps it in memory (struct incident): how an
 * alert folds into it, and its bw:incident:{ID} hash (read and queued). */
#ifndef BW_INCIDENT_H
#define BW_INCIDENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "responder/alert.h"

struct responder;

/* An incident as the responder keeps it; stored as the bw:incident:{ID} hash. */
struct incident {
    char id[48], actor[BW_ADDR_STRLEN], actor_user[64], status[24], playbook[64], mode[16];
    int severity, base_severity;
    uint64_t records, bytes, alerts;
    /* opened_us: the first alert this responder processed; it seeds the
     * deterministic id and the playbook's action epoch, so it never moves.
     * detected_us: the earliest alert timestamp (awareness); activity_*: the
     * span of the access activity (min breach.first_seen, max
     * breach.last_seen). Those three move with out-of-order alerts. */
    int64_t opened_us, last_us, closed_us;
    int64_t detected_us, activity_first_us, activity_last_us;
    json_t *categories, *rules, *datasets, *channels, *alert_records; /* owned */
};

/* Incident id for an alert that opens one: "INC-YYYYMMDD-" + 10 hex digits of
 * SHA-256(alert_id "|" actor). Deterministic, so a re-delivered alert maps to
 * the incident it opened before a crash. */
void incident_make_id(const char *alert_id, const char *actor_ip, int64_t ts_us, char *out,
                      size_t outlen);

/* An empty incident (owns empty JSON sets), and its release (then zeroed). */
void incident_init(struct incident *in);
void incident_clear(struct incident *in);

/* Replaces in with the incident of hash h (the JSON object of strings
 * forensics_get_incident gives; borrowed). A hash written before the
 * detected/activity fields existed gets them from opened and last_alert. */
void incident_from_hash(struct incident *in, json_t *h);

/* Folds alert a (borrowed) into in: records and categories are the largest
 * any alert reports, severity escalates one level per `escalate` further
 * alerts, detection and activity span are order-independent. */
void incident_add_alert(struct incident *in, const struct alert_in *a, uint64_t escalate);

/* Queues the incident hash (and, with set_actor, makes it the actor's
 * current incident). Returns 0 or -1 (journal). */
int incident_store(struct responder *R, const struct incident *in, int set_actor) BW_WUR;

#endif

/* One alert stream entry through the pipeline: parse the EVE line, find or
 * open its incident, record the alert and its evidence, run the playbook,
 * draft the notices, then acknowledge (docs/responder.md "Incidents"). */
#ifndef BW_ALERT_H
#define BW_ALERT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct responder;

/* What the responder reads from one alert line. Strings point into root. */
struct alert_in {
    json_t *root;
    const char *alert_id, *rule, *ip, *user, *dataset, *channel, *signature;
    uint64_t update, records, bytes;
    int severity;
    int64_t ts_us;
    int64_t first_us, last_us; /* breach.first_seen/last_seen; ts_us when absent */
    json_t *pii, *evidence;
};

/* Handles stream entry sid whose `eve` field is eve[0..len) (borrowed; ""
 * for an entry without one). An entry that is not an alert is counted and
 * acknowledged. Returns 0 when handled (its ack queued and committed),
 * UNKNOWN when Redis could not answer a lookup (left pending), -1 when the
 * journal could not be written (stop). */
int alert_handle(struct responder *R, const char *sid, const char *eve, size_t len);

#endif

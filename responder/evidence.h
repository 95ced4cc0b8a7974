/* An alert's evidence capture (breach.evidence) as an item of the incident's
 * evidence hash and an `evidence` timeline entry (docs/responder.md). */
#ifndef BW_EVIDENCE_H
#define BW_EVIDENCE_H

#include "common/err.h"
#include "responder/incident-cache.h"

/* Queues the evidence of alert a (borrowed) for c's incident, hashing the
 * file itself when readable. Returns 0 (also when a names no capture) or -1. */
int evidence_record(struct responder *R, struct cache_entry *c, const struct alert_in *a) BW_WUR;

#endif

/* Playbook actions: decide which playbook matches an incident, run its action
 * at most once per action key (enforce through responder/contain.h, dry-run,
 * approve) and record the action and its results (docs/responder.md
 * "Playbooks"). */
#ifndef BW_PLAYBOOK_H
#define BW_PLAYBOOK_H

#include <stdint.h>

#include "responder/incident-cache.h"

/* Runs the first playbook matching c's incident, unless its action key has
 * a recorded state other than "started". now_us stamps the entries. Returns
 * 0, UNKNOWN when Redis could not say whether it was done (nothing done), -1
 * when the journal could not be written. */
int playbook_run(struct responder *R, struct cache_entry *c, int64_t now_us);

#endif

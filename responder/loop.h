/* The responder loop: reads bw:alerts through the consumer group, groups
 * alerts into incidents (same actor within a window; more alerts raise the
 * severity), runs the playbooks (enforce, dry-run, approve) through
 * responder/contain.h, records everything through responder/forensics.h, and
 * acknowledges an alert only after its incident update and actions are
 * durable. See docs/responder.md. */
#ifndef BW_LOOP_H
#define BW_LOOP_H

#include <stdint.h>

#include "common/err.h"
#include "responder/responder.h"

struct responder_stats {
    uint64_t alerts;        /* alert stream entries handled (acked) */
    uint64_t duplicates;    /* alerts already in their incident (re-delivered) */
    uint64_t bad;           /* entries that are not alert JSON (acked, counted) */
    uint64_t incidents;     /* incidents opened */
    uint64_t actions;       /* actions recorded (any mode) */
    uint64_t actions_skip;  /* actions not repeated: key already recorded */
    uint64_t reclaimed;     /* entries taken over from other consumers (XAUTOCLAIM) */
    uint64_t journal_waits; /* commits that reached the journal but not Redis */
    uint64_t deferred;      /* alerts left pending: Redis could not answer a lookup */
};

struct responder_opts {
    int once;        /* process what is in the stream, then return */
    int timeout_ms;  /* Redis command timeout */
    const char *url; /* Redis URL */
};

/* Runs until stopped (SIGINT/SIGTERM) or, with opts->once, until the stream
 * has nothing more for this consumer. cfg is borrowed. Returns 0, or -1 with
 * err when it could not start. */
int responder_run(struct responder_config *cfg, const struct responder_opts *opts,
                  struct responder_stats *stats, struct bw_err *err) BW_WUR;

/* Asks a running responder_run to return (async-signal-safe). */
void responder_stop(void);

#endif

/* The safety rails' state and the containment calls beyond contain.h:
 * repeat offenders (for escalating TTLs), applied action ids (idempotency),
 * recent block times (the per-minute cap) and active blocks (so exec hooks
 * and webhooks hear of a release at TTL expiry). The state is host-local, as
 * the nft set it guards is: a small text file (<state_dir>/containment.state)
 * locked with flock around every action, shared by the responder and the
 * contain/release commands. docs/containment.md describes the format. */
#ifndef BW_CONTAIN_RAILS_H
#define BW_CONTAIN_RAILS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/ipaddr.h"
#include "responder/contain.h"

#define RAILS_ACTIONS_MAX   8192 /* applied action ids remembered (oldest forgotten first) */
#define RAILS_OFFENDERS_MAX 8192 /* addresses remembered (least recent forgotten first) */
#define RAILS_RATE_MAX      10000
#define RAILS_ACTION_ID_MAX 256

struct rails_offender {
    struct bw_addr ip;
    uint32_t blocks;  /* blocks applied within the offender memory */
    int64_t last_us;  /* last block */
    int64_t until_us; /* active block expires then; 0 = not blocked */
};

struct rails_action {
    uint64_t hash; /* FNV-1a 64 of the action id */
    int64_t time_us;
};

struct rails_state {
    struct rails_action act[RAILS_ACTIONS_MAX];
    size_t nact;
    struct rails_offender off[RAILS_OFFENDERS_MAX];
    size_t noff;
    int64_t rate[RAILS_RATE_MAX]; /* block times within the last minute */
    size_t nrate;
    uint64_t bad_lines; /* lines of the state file that did not parse (skipped, counted) */
};

/* Parses the state text (any bytes; malformed lines are counted in
 * st->bad_lines and skipped). Entries older than memory_us before now_us are
 * dropped. Returns 0. */
int rails_state_parse(struct rails_state *st, const char *text, size_t len, int64_t now_us,
                      uint64_t memory_us);
/* Renders the state as text into out (appended). Returns 0 or -1 (out of memory). */
int rails_state_format(const struct rails_state *st, struct bw_buf *out);

/* Loads/saves the handle's state from/to its state file (path from the
 * `containment.state_file` key). containment_apply does both around every
 * action under an exclusive flock; these are for callers that inspect or
 * migrate the state. Return 0 or -1 with err. */
struct containment;
int containment_state_load(struct containment *c, struct bw_err *err) BW_WUR;
int containment_state_save(struct containment *c, struct bw_err *err) BW_WUR;
/* The handle's state as last loaded (borrowed). */
const struct rails_state *containment_state(const struct containment *c);

/* Adds a prefix to the never-block allowlist and lifts every active block
 * inside it (through every backend, as a release). Returns the number of
 * results written, or -1. */
int containment_allow(struct containment *c, const struct bw_cidr *cidr,
                      struct contain_result *results, int max_results) BW_WUR;

/* Releases, through the exec hooks and webhooks, blocks whose TTL has passed
 * (nft expires its elements itself). Call periodically. Returns the number of
 * results written, or -1. */
int containment_expire(struct containment *c, struct contain_result *results,
                       int max_results) BW_WUR;

/* The TTL a block of ip would get now (base ttl_s, 0 = configured default),
 * after escalation for a repeat offender and the max_ttl cap. */
uint64_t containment_ttl_for(struct containment *c, const struct bw_addr *ip, uint64_t ttl_s);

/* A deterministic action id for an ad-hoc analyst action, into out. */
void containment_adhoc_id(const struct bw_addr *ip, enum contain_kind kind, int64_t now_us,
                          char *out, size_t outlen);

#endif

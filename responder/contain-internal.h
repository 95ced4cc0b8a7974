/* What the containment files share (internal to responder/contain*.c): the
 * handle, its parsed configuration, and the rails' state helpers. contain.c
 * (handle, the decision: rails then backends), contain-config.c (the
 * `containment:` section), contain-state.c (the rails' state file and its
 * lock), contain-dispatch.c (one action to the nft set, exec hooks, webhooks). */
#ifndef BW_CONTAIN_INTERNAL_H
#define BW_CONTAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/ipaddr.h"
#include "responder/contain-backend.h"
#include "responder/contain-rails.h"
#include "responder/contain.h"

#define CONTAIN_HOOKS_MAX    16
#define CONTAIN_WEBHOOKS_MAX 16
#define CONTAIN_RESULTS_MAX  (1 + CONTAIN_HOOKS_MAX + CONTAIN_WEBHOOKS_MAX)
#define RATE_WINDOW_US       (60 * BW_USEC)

struct contain_conf {
    uint64_t ttl_s;     /* default block duration */
    double factor;      /* TTL multiplier per earlier block */
    uint64_t max_ttl_s; /* cap on an escalated TTL */
    uint64_t memory_s;  /* how long an offender's blocks count */
    uint64_t bpm;       /* blocks per minute, 0 = no cap */
    struct bw_cidr_set allow;
    int nft_enabled;
    struct contain_nft_conf nft;
    int nhooks;
    struct contain_hook hooks[CONTAIN_HOOKS_MAX];
    int nwebhooks;
    struct contain_webhook webhooks[CONTAIN_WEBHOOKS_MAX];
    char state_file[512];
};

struct containment {
    const struct responder_config *cfg;
    struct contain_conf conf;
    struct contain_nft *nft;
    struct rails_state *st;
    int lock_fd;
    struct bw_buf text; /* state file text / JSON bodies, reused */
};

/* ---- contain-config.c ---- */

/* Reads the `containment:` section of c->cfg into c->conf (defaults first;
 * errors with file:line:col). Returns 0 or -1 with err. */
int containment_conf_load(struct containment *c, struct bw_err *err);

/* ---- contain-state.c ---- */

/* FNV-1a 64 of an action id (the idempotency hash kept in the state). */
uint64_t rails_fnv1a(const char *s);
/* The offender entry of ip, NULL when none (borrowed from st). */
struct rails_offender *rails_offender_find(struct rails_state *st, const struct bw_addr *ip);
/* Finds or adds the offender entry of ip; when full, the least recently
 * blocked entry is replaced. Never NULL. */
struct rails_offender *rails_offender_get(struct rails_state *st, const struct bw_addr *ip);
/* 1 when an action with hash h was applied (and is still remembered). */
int rails_action_seen(const struct rails_state *st, uint64_t h);
/* Remembers an applied action (the oldest is forgotten when full). */
void rails_action_add(struct rails_state *st, uint64_t h, int64_t now);
/* Drops block times older than the rate window. */
void rails_rate_prune(struct rails_state *st, int64_t now);
/* Takes the state file's exclusive flock and loads the state. Returns 0, or
 * -1 with err (not locked then). */
int containment_state_lock(struct containment *c, struct bw_err *err);
/* Saves the state and releases the lock (released also on error). Returns 0
 * or -1 with err. */
int containment_state_unlock(struct containment *c, struct bw_err *err);

/* ---- contain-dispatch.c ---- */

/* Runs one action through every backend that takes it (the nft set only when
 * with_nft), ttl_s being the block's final TTL. Writes into res (room for
 * CONTAIN_RESULTS_MAX) and returns the number of results; *any_ok = 1 when a
 * backend succeeded. */
int containment_run_backends(struct containment *c, const struct contain_action *a, uint64_t ttl_s,
                             int with_nft, struct contain_result *res, int *any_ok);

#endif

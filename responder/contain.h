/* Containment: the one interface through which the responder (and the
 * `contain`/`release` commands) asks the backends (nftables, exec hooks,
 * webhooks; responder/contain-*.c) to block or release an address. The safety
 * rails (allowlist, TTL escalation, rate cap, idempotency by action_id) live
 * behind it in responder/contain.c. Results are recorded by the caller
 * (responder/forensics.c writes the timeline and bw:containment:{IP}). */
#ifndef BW_CONTAIN_H
#define BW_CONTAIN_H

#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "responder/responder.h"

enum contain_kind { CONTAIN_BLOCK, CONTAIN_RELEASE };

/* One action. Every pointer is borrowed for the call. */
struct contain_action {
    enum contain_kind kind;
    struct bw_addr ip;
    uint64_t ttl_s;            /* block duration (0 = backend default); ignored on release */
    const char *incident_id;   /* "" or NULL for an analyst's ad-hoc block/release */
    const char *reason;        /* human text, may be NULL */
    const char *incident_json; /* incident summary as JSON (hooks' stdin, webhook body) */
    /* Idempotency key: "<incident>:<block|release>:<ip>:<ttl epoch>". An action
     * whose key was already applied is not repeated (result.already = 1). */
    const char *action_id;
};

/* One backend's outcome. */
struct contain_result {
    int ok;           /* 1 = the backend did what was asked */
    int already;      /* 1 = not repeated: action_id already applied, or address already blocked */
    char backend[32]; /* "nft", "exec:<name>", "webhook:<name>", "rails" (refused by a rail) */
    char detail[512]; /* what happened, for the timeline (output capped, reason refused) */
    int exit_status;  /* exec hooks: exit status (or 128+signal); HTTP status for webhooks */
    int64_t duration_us;
};

struct containment;
struct bw_json;

/* Writes the members of one result (backend, ok, already, exit_status,
 * duration_us, detail) into an open JSON object: the one shape of a result in
 * timelines, `contain --json` and the tests. */
void contain_result_json(struct bw_json *j, const struct contain_result *r);

/* Builds the backends from cfg->containment (the `containment:` section of
 * responder.yaml; errors with file:line:col) and sets up what they need (nft
 * table and sets, created idempotently). cfg is borrowed and must outlive the
 * handle. Returns NULL with err. */
struct containment *containment_new(const struct responder_config *cfg, struct bw_err *err);

/* Applies one action through the rails and every configured backend. Writes
 * at most max_results results and returns how many were written (>= 1 when
 * max_results >= 1: a refusal by a rail is one result with backend "rails"),
 * or -1 on an internal error with results[0].detail saying why. */
int containment_apply(struct containment *c, const struct contain_action *a,
                      struct contain_result *results, int max_results) BW_WUR;

/* Frees the handle (does not release blocks: they expire by TTL). Accepts NULL. */
void containment_free(struct containment *c);

#endif

/* Playbook actions: decide, run, record (see playbook.h). */
#include "responder/playbook.h"

#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "responder/contain.h"
#include "responder/forensics.h"
#include "responder/pipeline.h"

static const struct playbook *playbook_match(const struct responder_config *cfg,
                                             const struct incident *in)
{
    for (int i = 0; i < cfg->nplaybooks; i++) {
        const struct playbook *pb = &cfg->playbooks[i];
        if (in->severity > pb->max_severity || in->records < pb->min_records)
            continue;
        for (int k = 0; k < pb->nrules; k++) {
            if (strcmp(pb->rules[k], "*") == 0)
                return pb;
            size_t idx;
            json_t *v;
            json_array_foreach(in->rules, idx,
                               v) if (strcmp(json_string_value(v), pb->rules[k]) == 0) return pb;
        }
    }
    return NULL;
}

static void incident_summary_json(const struct incident *in, struct bw_buf *out)
{
    struct bw_json j;
    char ts[BW_TS_LEN];
    bw_json_init(&j, out);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "id", in->id);
    bw_json_str(&j, "actor", in->actor);
    if (in->actor_user[0])
        bw_json_str(&j, "actor_user", in->actor_user);
    bw_json_int(&j, "severity", in->severity);
    bw_json_uint(&j, "records", in->records);
    bw_json_uint(&j, "bytes", in->bytes);
    bw_json_uint(&j, "alerts", in->alerts);
    bw_json_str(&j, "opened", bw_time_fmt(in->opened_us, ts));
    bw_json_str(&j, "detected", bw_time_fmt(in->detected_us, ts));
    bw_json_str(&j, "activity_first", bw_time_fmt(in->activity_first_us, ts));
    bw_json_str(&j, "activity_last", bw_time_fmt(in->activity_last_us, ts));
    char *s = dump(in->rules);
    if (s)
        bw_json_raw(&j, "rules", s, strlen(s));
    free(s);
    s = dump(in->categories);
    if (s)
        bw_json_raw(&j, "categories", s, strlen(s));
    free(s);
    bw_json_obj_end(&j);
}

/* The data of an action entry. */
static void action_data(struct bw_buf *b, const char *aid, const char *action, const char *mode,
                        const char *state, const struct playbook *pb, const struct incident *in,
                        const struct contain_result *res, int nres)
{
    struct bw_json j;
    bw_json_init(&j, b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "action_id", aid);
    bw_json_str(&j, "action", action);
    bw_json_str(&j, "mode", mode);
    bw_json_str(&j, "state", state);
    bw_json_str(&j, "ip", in->actor);
    bw_json_uint(&j, "ttl_s", pb->ttl_s);
    bw_json_str(&j, "playbook", pb->name);
    bw_json_int(&j, "severity", in->severity);
    if (res != NULL) {
        bw_json_arr_begin(&j, "results");
        for (int i = 0; i < nres; i++) {
            bw_json_obj_begin(&j, NULL);
            contain_result_json(&j, &res[i]);
            bw_json_obj_end(&j);
        }
        bw_json_arr_end(&j);
    }
    bw_json_obj_end(&j);
}

#define MAX_RESULTS 8

/* Executes (or records) the playbook's action once per action id. */
int playbook_run(struct responder *R, struct cache_entry *c, int64_t now_us)
{
    struct incident *in = &c->inc;
    const struct playbook *pb = playbook_match(R->cfg, in);
    if (pb == NULL)
        return 0;
    enum playbook_mode mode = R->cfg->force_dry_run ? PLAYBOOK_DRY_RUN : pb->mode;
    const char *mname = playbook_mode_name(mode);
    const char *action = pb->action_block ? "block" : "notify";
    char aid[256], state[24], eid[300];
    uint64_t epoch = pb->action_block ? (uint64_t)(in->opened_us / BW_USEC) / pb->ttl_s : 0;
    snprintf(aid, sizeof(aid), "%s:%s:%s:%llu", in->id, action, in->actor,
             (unsigned long long)epoch);
    if (incident_action_state(R, c, aid, state, sizeof(state)) != 0)
        return UNKNOWN; /* not known whether it was done: decide nothing */
    /* Any recorded state but "started" means the action happened (or was
     * recorded as intended, pending, refused or failed): never again. */
    if (state[0] != '\0' && strcmp(state, "started") != 0) {
        R->st->actions_skip++;
        return 0;
    }
    bw_debug("responder: %s: action %s (%s), synced %d", in->id, aid, mname,
             forensics_synced(R->fx));
    copy_str(in->playbook, sizeof(in->playbook), pb->name);
    copy_str(in->mode, sizeof(in->mode), mname);
    struct bw_buf b;
    bw_buf_init(&b);
    int rc = -1;

    if (!pb->action_block || mode == PLAYBOOK_DRY_RUN) {
        action_data(&b, aid, action, mname, pb->action_block ? "intended" : "notified", pb, in,
                    NULL, 0);
        snprintf(eid, sizeof(eid), "action:%s:done", aid);
        if (incident_add_entry(R, c, eid, "action", now_us, b.data) != 0 ||
            incident_record_action(R, c, aid, "done", b.data) != 0 || incident_store(R, in, 0) != 0)
            goto out;
        R->st->actions++;
        rc = 0;
        goto out;
    }
    if (mode == PLAYBOOK_APPROVE) {
        action_data(&b, aid, action, mname, "pending", pb, in, NULL, 0);
        snprintf(eid, sizeof(eid), "action:%s:pending", aid);
        char ttl[24];
        snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)pb->ttl_s);
        const char *kv[] = {"action_id", aid,        "incident", in->id,   "ttl_s",
                            ttl,         "playbook", pb->name,   "reason", pb->name};
        copy_str(in->status, sizeof(in->status), "awaiting-approval");
        if (incident_add_entry(R, c, eid, "action", now_us, b.data) != 0 ||
            incident_record_action(R, c, aid, "pending", b.data) != 0 ||
            forensics_pending(R->fx, in->actor, 5, kv) != 0 || incident_store(R, in, 0) != 0)
            goto out;
        R->st->actions++;
        rc = 0;
        goto out;
    }

    /* Enforce: record "started" durably, act, record "done". A crash between
     * the two leaves "started": the action is tried again after restart, and
     * the rails' idempotency by action_id keeps the backends from doing it
     * twice. */
    action_data(&b, aid, action, mname, "started", pb, in, NULL, 0);
    if (incident_record_action(R, c, aid, "started", b.data) != 0 || responder_commit(R) != 0)
        goto out;
    struct contain_result res[MAX_RESULTS];
    memset(res, 0, sizeof(res));
    int nres = -1;
    struct bw_buf ij;
    bw_buf_init(&ij);
    incident_summary_json(in, &ij);
    struct contain_action ca = {.kind = CONTAIN_BLOCK,
                                .ttl_s = pb->ttl_s,
                                .incident_id = in->id,
                                .reason = pb->name,
                                .incident_json = ij.data,
                                .action_id = aid};
    if (bw_addr_parse(in->actor, &ca.ip) == 0 && R->ct != NULL)
        nres = containment_apply(R->ct, &ca, res, MAX_RESULTS);
    bw_buf_fini(&ij);
    if (nres < 0) {
        nres = 1;
        copy_str(res[0].backend, sizeof(res[0].backend), "responder");
        if (res[0].detail[0] == '\0')
            copy_str(res[0].detail, sizeof(res[0].detail), "containment unavailable");
    }
    int ok = 0, any = 0;
    for (int i = 0; i < nres; i++) {
        ok |= res[i].ok || res[i].already;
        any |= strcmp(res[i].backend, "rails") != 0;
    }
    const char *final = ok ? "done" : (any ? "failed" : "refused");
    bw_buf_reset(&b);
    action_data(&b, aid, action, mname, final, pb, in, res, nres);
    snprintf(eid, sizeof(eid), "action:%s:%s", aid, final);
    if (incident_add_entry(R, c, eid, "action", bw_now_us(), b.data) != 0 ||
        incident_record_action(R, c, aid, strcmp(final, "failed") == 0 ? "done" : final, b.data) !=
            0)
        goto out;
    if (ok) {
        char backends[256] = "", since[BW_TS_LEN], exp[BW_TS_LEN], ttl[24];
        size_t bl = 0;
        for (int i = 0; i < nres && bl < sizeof(backends); i++)
            if (res[i].ok || res[i].already) {
                int w = snprintf(backends + bl, sizeof(backends) - bl, "%s%.31s", bl ? "," : "",
                                 res[i].backend);
                bl += w > 0 ? (size_t)w : 0;
            }
        int64_t now = bw_now_us(), exp_us = now + (int64_t)pb->ttl_s * BW_USEC;
        snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)pb->ttl_s);
        const char *kv[] = {"ip",        in->actor,
                            "incident",  in->id,
                            "action_id", aid,
                            "backend",   backends,
                            "reason",    pb->name,
                            "since",     bw_time_fmt(now, since),
                            "expires",   bw_time_fmt(exp_us, exp),
                            "ttl_s",     ttl};
        if (forensics_containment(R->fx, in->actor, exp_us / BW_USEC, 8, kv) != 0)
            goto out;
        copy_str(in->status, sizeof(in->status), "contained");
    }
    if (incident_store(R, in, 0) != 0)
        goto out;
    R->st->actions++;
    rc = 0;
out:
    bw_buf_fini(&b);
    return rc;
}

/* One alert through the pipeline (see alert.h): parse, incident, records,
 * evidence, playbook, notice drafts, acknowledgement. */
#include "responder/alert.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "responder/auto-notice.h"
#include "responder/evidence.h"
#include "responder/forensics.h"
#include "responder/pipeline.h"
#include "responder/playbook.h"
#include "responder/redact.h"

static int alert_parse(const char *eve, size_t len, struct alert_in *a)
{
    memset(a, 0, sizeof(*a));
    a->root = json_loadb(eve, len, 0, NULL);
    if (!json_is_object(a->root))
        goto bad;
    json_t *al = json_object_get(a->root, "alert"), *br = json_object_get(a->root, "breach");
    if (!json_is_object(al) || !json_is_object(br))
        goto bad;
    a->alert_id = jget_str(br, "alert_id");
    a->rule = jget_str(br, "rule");
    json_t *actor = json_object_get(br, "actor");
    a->ip = jget_str(actor, "ip");
    if (a->ip == NULL)
        a->ip = jget_str(a->root, "src_ip");
    a->user = jget_str(actor, "user");
    a->dataset = jget_str(br, "dataset");
    a->channel = jget_str(br, "channel");
    a->signature = jget_str(al, "signature");
    a->update = jget_u64(br, "update");
    a->records = jget_u64(br, "records");
    a->bytes = jget_u64(br, "bytes");
    a->severity = (int)jget_u64(al, "severity");
    a->pii = json_object_get(br, "pii");
    a->evidence = json_object_get(br, "evidence");
    struct bw_addr addr;
    const char *ts = jget_str(a->root, "timestamp");
    if (a->alert_id == NULL || a->rule == NULL || a->ip == NULL ||
        bw_addr_parse(a->ip, &addr) != 0 || ts == NULL || bw_time_parse(ts, &a->ts_us) != 0)
        goto bad;
    if (a->severity < 1 || a->severity > 4)
        a->severity = 3;
    /* The span of the activity the alert covers; an alert without it (or
     * with an unreadable one) covers its own instant. */
    const char *fs = jget_str(br, "first_seen"), *ls = jget_str(br, "last_seen");
    if (fs == NULL || bw_time_parse(fs, &a->first_us) != 0 || a->first_us <= 0)
        a->first_us = a->ts_us;
    if (ls == NULL || bw_time_parse(ls, &a->last_us) != 0 || a->last_us <= 0)
        a->last_us = a->ts_us;
    if (a->last_us < a->first_us) {
        int64_t t = a->first_us;
        a->first_us = a->last_us;
        a->last_us = t;
    }
    return 0;
bad:
    json_decref(a->root);
    a->root = NULL;
    return -1;
}

int alert_handle(struct responder *R, const char *sid, const char *eve, size_t len)
{
    struct alert_in a;
    if (alert_parse(eve, len, &a) != 0) {
        R->st->bad++;
        bw_warn("responder: stream entry %s is not an alert with a breach object; acknowledged",
                sid);
        if (forensics_ack(R->fx, sid) != 0 || responder_commit(R) != 0)
            return -1;
        return 0;
    }
    int rc = -1, seen;
    if (forensics_lock(R->fx, a.ip, 6000) != 0)
        bw_warn("responder: actor %s locked by another responder for 6 s; going on", a.ip);
    struct cache_entry *c = incident_cache_get(R, a.ip, 1);
    /* Every lookup below that decides "already recorded / already done"
     * needs Redis's answer: an error reply or a lost connection is unknown,
     * never absent, so the alert is left pending (UNKNOWN) and handled again
     * once Redis serves; what was queued before that was decided on known
     * state and is idempotent. */
    rc = incident_cache_refresh(R, c);
    if (rc != 0)
        goto out;
    rc = -1;
    c->stale = 0;
    char eid[256];
    snprintf(eid, sizeof(eid), "alert:%s:%llu", a.alert_id, (unsigned long long)a.update);
    struct incident *in = &c->inc;
    int opened_now = 0, fresh = 0;

    /* An alert seen before (an update, or a re-delivery) goes to the incident
     * its first emission joined, even when the actor has a newer one. */
    char mapped[64];
    int mrc = forensics_alert_incident(R->fx, a.alert_id, mapped, sizeof(mapped));
    if (mrc < 0) {
        rc = UNKNOWN;
        goto out;
    }
    int is_mapped = mrc == 0;
    if (is_mapped && strcmp(mapped, in->id) != 0) {
        int lrc = incident_cache_load(R, c, mapped);
        if (lrc == UNKNOWN) {
            rc = UNKNOWN;
            goto out;
        }
        if (lrc == 0)
            c->stale = 1; /* reload the actor's current incident next time */
    }

    int joins = in->id[0] &&
                a.ts_us <= in->last_us + (int64_t)R->cfg->incident_window_s * BW_USEC &&
                strcmp(in->status, "closed") != 0;
    if (is_mapped && strcmp(mapped, in->id) == 0)
        joins = 1;
    if (in->id[0] && !joins) {
        /* Re-delivery of an alert that already opened or joined an incident? */
        seen = incident_entry_seen(R, c, eid);
        if (seen == UNKNOWN) {
            rc = UNKNOWN;
            goto out;
        }
        if (seen)
            joins = 1;
    }
    if (!joins) {
        if (in->id[0] && strcmp(in->status, "closed") != 0) {
            in->closed_us = in->last_us + (int64_t)R->cfg->incident_window_s * BW_USEC;
            copy_str(in->status, sizeof(in->status), "closed");
            char ceid[96], data[160];
            snprintf(ceid, sizeof(ceid), "close:%s", in->id);
            snprintf(data, sizeof(data),
                     "{\"reason\":\"no alert from the actor within the window\",\"window_s\":%llu}",
                     (unsigned long long)R->cfg->incident_window_s);
            if (incident_add_entry(R, c, ceid, "note", in->closed_us, data) != 0 ||
                incident_store(R, in, 0) != 0)
                goto out;
        }
        incident_clear(in);
        incident_init(in);
        incident_make_id(a.alert_id, a.ip, a.ts_us, in->id, sizeof(in->id));
        copy_str(in->actor, sizeof(in->actor), a.ip);
        copy_str(in->status, sizeof(in->status), "open");
        in->opened_us = a.ts_us;
        opened_now = 1;
        json_object_clear(c->eids);
        json_object_clear(c->actions);
        c->actions_known = 1;
        /* The deterministic id may exist already (crash before the ack).
         * The journal holds nothing of it (only, at most, the closing of the
         * actor's previous incident), so Redis has all of it. */
        int lrc = incident_cache_load(R, c, in->id);
        if (lrc == UNKNOWN) {
            /* Redis could not say: forget the half-made incident; the
             * closing queued above is idempotent and redone next time. */
            incident_clear(in);
            incident_init(in);
            c->actions_known = 0;
            rc = UNKNOWN;
            goto out;
        }
        fresh = lrc == 1; /* counted once its hash is queued */
    }
    seen = incident_entry_seen(R, c, eid);
    if (seen == UNKNOWN) {
        rc = UNKNOWN;
        goto out;
    }
    if (seen) {
        R->st->duplicates++;
    } else {
        incident_add_alert(in, &a, R->cfg->escalate_alerts);
        if (R->cfg->redact)
            redact_json_tree(a.root);
        char *data = dump(a.root);
        if (data == NULL)
            goto out;
        int bad = incident_add_entry(R, c, eid, "alert", a.ts_us, data) != 0;
        free(data);
        if (bad || forensics_alert_map(R->fx, a.alert_id, in->id) != 0 ||
            incident_store(R, in, opened_now) != 0)
            goto out;
        R->st->incidents += (uint64_t)fresh;
    }
    if (a.evidence != NULL && evidence_record(R, c, &a) != 0)
        goto out;
    if (responder_commit(R) != 0)
        goto out;
    if ((rc = playbook_run(R, c, a.ts_us)) != 0 || (rc = notice_auto_draft(R, c)) != 0) {
        if (rc != UNKNOWN)
            rc = -1;
        goto out;
    }
    rc = -1;
    if (forensics_ack(R->fx, sid) != 0 || responder_commit(R) != 0)
        goto out;
    R->st->alerts++;
    rc = 0;
out:
    if (rc == UNKNOWN) {
        R->st->deferred++;
        bw_debug("responder: stream entry %s: Redis could not answer; left pending", sid);
    }
    forensics_unlock(R->fx, a.ip);
    json_decref(a.root);
    return rc;
}

/* The responder's notice drafts (see auto-notice.h). */
#include "responder/auto-notice.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "responder/forensics.h"
#include "responder/impact.h"
#include "responder/notice.h"
#include "responder/pipeline.h"

/* Drafts the breach notices once per incident, severity level and breach
 * start when the incident reaches organisation.auto_notice.max_severity: an
 * alert that arrives late with an earlier detection or activity start changes
 * the dates the drafts state, so they are drafted again (the activity's end,
 * like the records, grows with every update and does not). Records each
 * draft (path, SHA-256) in the timeline.
 *
 * The drafts are built from what Redis holds, so what this alert queued (its
 * entry, the incident hash, the playbook's action records and status) is
 * written through first: the drafts include the alert just handled. When it
 * cannot be (Redis away), the alert is left pending (UNKNOWN) rather than
 * acknowledged without drafts: it is handled again once Redis serves, as a
 * duplicate whose action is already recorded (nothing is repeated), and
 * drafted then. A draft that fails for another reason (a template) is logged
 * and retried with the next alert, never blocking the ack. */
int notice_auto_draft(struct responder *R, struct cache_entry *c)
{
    struct incident *in = &c->inc;
    const struct impact_inputs *ni = R->notice_in;
    if (ni == NULL || ni->notice_max_severity == 0 || in->severity > ni->notice_max_severity)
        return 0;
    /* What this alert queued (the playbook's records) goes to Redis first. */
    if (!forensics_synced(R->fx) && responder_commit(R) != 0)
        return -1;
    if (!forensics_synced(R->fx))
        return UNKNOWN; /* Redis away: drafted when the alert is handled again */
    char tag[80], marker[160];
    snprintf(tag, sizeof(tag), "sev%d:aware%lld:from%lld", in->severity, (long long)in->detected_us,
             (long long)in->activity_first_us);
    snprintf(marker, sizeof(marker), "notices:%s:%s", in->id, tag);
    int seen = incident_entry_seen(R, c, marker);
    if (seen != 0)
        return seen == 1 ? 0 : UNKNOWN; /* unknown: draft when Redis answers */
    struct incident_view *v = calloc(1, sizeof(*v));
    struct notice_draft *d = calloc(NOTICE_MAX_DRAFTS, sizeof(*d));
    struct bw_err err;
    int n = 0, rc = 0;
    bw_err_clear(&err);
    int vrc = v == NULL || d == NULL
                  ? 0
                  : incident_view_from_redis(v, R->r, R->cfg->prefix, in->id, &err);
    if (vrc == -1 && strncmp(err.msg, "redis:", 6) == 0) {
        rc = UNKNOWN; /* Redis did not answer: not a failed draft, a later one */
        goto out;
    }
    if (v == NULL || d == NULL || vrc == -1 ||
        notice_draft_all(v, ni, NULL, d, NOTICE_MAX_DRAFTS, &n, &err) != 0) {
        bw_warn("incident %s: notice drafts not written: %s", in->id,
                err.msg[0] ? err.msg : "out of memory");
        goto out;
    }
    struct bw_buf b;
    bw_buf_init(&b);
    for (int i = 0; i < n && rc == 0; i++) {
        char eid[240];
        snprintf(eid, sizeof(eid), "notice:%s:%s:%s.%s.%s", in->id, tag, d[i].regime, d[i].lang,
                 d[i].format);
        bw_buf_reset(&b);
        notice_draft_json(&d[i], &b);
        rc = incident_add_entry(R, c, eid, "notice", in->last_us, b.data);
    }
    bw_buf_reset(&b);
    bw_buf_printf(&b, "{\"drafts\":%d,\"severity\":%d}", n, in->severity);
    if (rc == 0)
        rc = incident_add_entry(R, c, marker, "note", in->last_us, b.data);
    bw_buf_fini(&b);
    if (rc == 0)
        rc = responder_commit(R);
out:
    free(v);
    free(d);
    return rc;
}

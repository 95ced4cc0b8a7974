/* Forensics store, operations: each call appends one idempotent operation
 * (a JSON line) to the journal; forensics-apply.c writes them through to Redis
 * once forensics_commit made them durable. */
#include "responder/forensics.h"

#include "common/json.h"
#include "common/timeutil.h"
#include "responder/forensics-internal.h"
#include "responder/journal.h"

static struct bw_json *op_begin(struct forensics *f, struct bw_json *j, const char *op)
{
    bw_buf_reset(&f->line);
    bw_json_init(j, &f->line);
    bw_json_obj_begin(j, NULL);
    bw_json_str(j, "op", op);
    return j;
}

static int op_end(struct forensics *f, struct bw_json *j)
{
    bw_json_obj_end(j);
    if (f->j == NULL || bw_json_finish(j) != 0 || f->line.oom)
        return -1;
    if (journal_append(f->j, f->line.data, f->line.len) != 0)
        return -1;
    f->pending = 1;
    return 0;
}

static void kv_pairs(struct bw_json *j, const char *key, int n, const char *const *kv)
{
    bw_json_arr_begin(j, key);
    for (int i = 0; i < 2 * n; i++)
        bw_json_str(j, NULL, kv[i] ? kv[i] : "");
    bw_json_arr_end(j);
}

int forensics_entry(struct forensics *f, const char *inc, const char *eid, const char *type,
                    int64_t time_us, const char *actor, const char *data_json)
{
    struct bw_json j;
    char ts[BW_TS_LEN];
    op_begin(f, &j, "entry");
    bw_json_str(&j, "inc", inc);
    bw_json_str(&j, "eid", eid);
    bw_json_str(&j, "type", type);
    bw_json_str(&j, "version", BW_VERSION);
    bw_json_str(&j, "host", f->cfg->host);
    bw_json_str(&j, "time", bw_time_fmt(time_us, ts));
    bw_json_str(&j, "actor", actor);
    bw_json_str(&j, "data", data_json); /* as a string: stored and hashed byte for byte */
    return op_end(f, &j);
}

int forensics_state(struct forensics *f, const char *inc, int64_t opened_us, const char *actor_ip,
                    int n, const char *const *kv)
{
    struct bw_json j;
    op_begin(f, &j, "state");
    bw_json_str(&j, "inc", inc);
    bw_json_int(&j, "opened_us", opened_us);
    if (actor_ip != NULL)
        bw_json_str(&j, "actor_ip", actor_ip);
    kv_pairs(&j, "kv", n, kv);
    return op_end(f, &j);
}

int forensics_alert_map(struct forensics *f, const char *alert_id, const char *inc)
{
    struct bw_json j;
    op_begin(f, &j, "alertmap");
    bw_json_str(&j, "alert_id", alert_id);
    bw_json_str(&j, "inc", inc);
    return op_end(f, &j);
}

int forensics_evidence(struct forensics *f, const char *inc, const char *item,
                       const char *value_json)
{
    struct bw_json j;
    op_begin(f, &j, "evidence");
    bw_json_str(&j, "inc", inc);
    bw_json_str(&j, "item", item);
    bw_json_str(&j, "value", value_json);
    return op_end(f, &j);
}

int forensics_action(struct forensics *f, const char *inc, const char *action_id,
                     const char *value_json)
{
    struct bw_json j;
    op_begin(f, &j, "action");
    bw_json_str(&j, "inc", inc);
    bw_json_str(&j, "aid", action_id);
    bw_json_str(&j, "value", value_json);
    return op_end(f, &j);
}

int forensics_containment(struct forensics *f, const char *ip, int64_t expire_at_s, int n,
                          const char *const *kv)
{
    struct bw_json j;
    op_begin(f, &j, "containment");
    bw_json_str(&j, "ip", ip);
    bw_json_int(&j, "expire_at", expire_at_s);
    kv_pairs(&j, "kv", n, kv);
    return op_end(f, &j);
}

int forensics_pending(struct forensics *f, const char *ip, int n, const char *const *kv)
{
    struct bw_json j;
    op_begin(f, &j, "pending");
    bw_json_str(&j, "ip", ip);
    kv_pairs(&j, "kv", n, kv);
    return op_end(f, &j);
}

int forensics_ack(struct forensics *f, const char *stream_id)
{
    struct bw_json j;
    op_begin(f, &j, "ack");
    bw_json_str(&j, "id", stream_id);
    return op_end(f, &j);
}

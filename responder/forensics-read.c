/* Forensics store, reads: incidents, actor and alert mappings, timeline,
 * actions and any hash from Redis, each telling "absent" from "unknown"; and
 * the per-actor lock shared by all responders. */
#include "responder/forensics.h"

#include <hiredis/hiredis.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "responder/forensics-internal.h"

int forensics_get_incident(struct forensics *f, const char *id, struct bw_buf *out)
{
    char key[256];
    forensics_key(f, id, "", key, sizeof(key));
    redisReply *rep = forensics_cmdv(f, 2, (const char *[]){"HGETALL", key});
    if (rep == NULL)
        return -1;
    int rc = 1;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0) {
        struct bw_json j;
        bw_json_init(&j, out);
        bw_json_obj_begin(&j, NULL);
        for (size_t i = 0; i + 1 < rep->elements; i += 2)
            bw_json_strn(&j, rep->element[i]->str, rep->element[i + 1]->str,
                         rep->element[i + 1]->len);
        bw_json_obj_end(&j);
        rc = 0;
    }
    bw_redis_reply_free(rep);
    return rc;
}

/* GET key into id[idlen]: 0 found, 1 absent (or too long), -1 Redis failed. */
static int get_id(struct forensics *f, const char *key, char *id, size_t idlen)
{
    redisReply *rep = forensics_cmdv(f, 2, (const char *[]){"GET", key});
    if (rep == NULL)
        return -1;
    int rc = 1;
    if (rep->type == REDIS_REPLY_STRING && rep->len < idlen) {
        memcpy(id, rep->str, rep->len + 1);
        rc = 0;
    }
    bw_redis_reply_free(rep);
    return rc;
}

int forensics_actor_incident(struct forensics *f, const char *ip, char *id, size_t idlen)
{
    char key[256];
    forensics_ip_key(f, "actor", ip, key, sizeof(key));
    return get_id(f, key, id, idlen);
}

int forensics_alert_incident(struct forensics *f, const char *alert_id, char *id, size_t idlen)
{
    char key[256];
    forensics_ip_key(f, "alert", alert_id, key, sizeof(key));
    return get_id(f, key, id, idlen);
}

int forensics_has_entry(struct forensics *f, const char *inc, const char *eid)
{
    char key[256];
    forensics_key(f, inc, ":eids", key, sizeof(key));
    redisReply *rep = forensics_cmdv(f, 3, (const char *[]){"HEXISTS", key, eid});
    if (rep == NULL)
        return -1;
    int rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    bw_redis_reply_free(rep);
    return rc;
}

int forensics_get_action(struct forensics *f, const char *inc, const char *action_id,
                         struct bw_buf *out)
{
    char key[256];
    forensics_key(f, inc, ":actions", key, sizeof(key));
    redisReply *rep = forensics_cmdv(f, 3, (const char *[]){"HGET", key, action_id});
    if (rep == NULL)
        return -1;
    int rc = 1;
    if (rep->type == REDIS_REPLY_STRING) {
        bw_buf_append(out, rep->str, rep->len);
        rc = 0;
    }
    bw_redis_reply_free(rep);
    return rc;
}

int forensics_lock(struct forensics *f, const char *ip, int timeout_ms)
{
    char key[256];
    forensics_ip_key(f, "lock", ip, key, sizeof(key));
    int64_t deadline = bw_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        redisReply *rep = forensics_cmdv(
            f, 6, (const char *[]){"SET", key, f->cfg->consumer, "NX", "PX", "5000"});
        if (rep == NULL)
            return 0; /* Redis down: no other responder can be working either */
        int ok = rep->type == REDIS_REPLY_STATUS;
        bw_redis_reply_free(rep);
        if (ok)
            return 0;
        /* Held under our own name: left by a previous run of this consumer
         * that was killed. */
        rep = forensics_cmdv(f, 2, (const char *[]){"GET", key});
        ok = rep != NULL && rep->type == REDIS_REPLY_STRING &&
             strcmp(rep->str, f->cfg->consumer) == 0;
        bw_redis_reply_free(rep);
        if (ok)
            return 0;
        if (bw_mono_us() > deadline)
            return -1;
        usleep(5000);
    }
}

void forensics_unlock(struct forensics *f, const char *ip)
{
    char key[256];
    forensics_ip_key(f, "lock", ip, key, sizeof(key));
    /* Delete only our own lock. */
    static const char script[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                 "return redis.call('DEL', KEYS[1]) end return 0";
    forensics_run(f, 5, (const char *[]){"EVAL", script, "1", key, f->cfg->consumer});
}

int forensics_list(struct forensics *f, int (*fn)(void *ctx, const char *id), void *ctx)
{
    char zk[128];
    snprintf(zk, sizeof(zk), "%sincidents", f->cfg->prefix);
    redisReply *rep = forensics_cmdv(f, 4, (const char *[]){"ZRANGE", zk, "0", "-1"});
    if (rep == NULL)
        return -1;
    int n = 0;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        if (rep->element[i]->type != REDIS_REPLY_STRING)
            continue;
        n++;
        if (fn(ctx, rep->element[i]->str) != 0)
            break;
    }
    bw_redis_reply_free(rep);
    return n;
}

/* Calls fn with each entry of a stream-like hash reply. */
int forensics_timeline(struct forensics *f, const char *id,
                       int (*fn)(void *ctx, const char *stream_id, int nfields,
                                 const char *const *kv),
                       void *ctx)
{
    char ktl[256], start[64] = "-";
    forensics_key(f, id, ":timeline", ktl, sizeof(ktl));
    int total = 0;
    for (;;) {
        redisReply *page =
            forensics_cmdv(f, 6, (const char *[]){"XRANGE", ktl, start, "+", "COUNT", "500"});
        if (page == NULL)
            return -1;
        size_t n = page->type == REDIS_REPLY_ARRAY ? page->elements : 0;
        for (size_t i = 0; i < n; i++) {
            const redisReply *e = page->element[i], *fl = e->element[1];
            const char *kv[64];
            int nf = 0;
            for (size_t k = 0; fl->type == REDIS_REPLY_ARRAY && k + 1 < fl->elements && nf < 32;
                 k += 2, nf++) {
                kv[2 * nf] = fl->element[k]->str;
                kv[2 * nf + 1] = fl->element[k + 1]->str;
            }
            total++;
            fn(ctx, e->element[0]->str, nf, kv);
        }
        if (n > 0)
            snprintf(start, sizeof(start), "(%s", page->element[n - 1]->element[0]->str);
        bw_redis_reply_free(page);
        if (n < 500)
            break;
    }
    return total;
}

int forensics_get_hash(struct forensics *f, const char *key, struct bw_buf *out)
{
    redisReply *rep = forensics_cmdv(f, 2, (const char *[]){"HGETALL", key});
    if (rep == NULL)
        return -1;
    struct bw_json j;
    bw_json_init(&j, out);
    bw_json_obj_begin(&j, NULL);
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2)
        bw_json_strn(&j, rep->element[i]->str, rep->element[i + 1]->str, rep->element[i + 1]->len);
    bw_json_obj_end(&j);
    int rc = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 ? 0 : 1;
    bw_redis_reply_free(rep);
    return rc;
}

/* Forensics store, write-through: replays the journal's operations against
 * Redis in journal order (each idempotent: the chained timeline append under
 * WATCH/MULTI, hash sets, expiries, XACK), then truncates it; also replays the
 * journals of responders that are gone. */
#include "responder/forensics.h"

#include <dirent.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "responder/forensics-internal.h"
#include "responder/journal.h"

/* Appends one timeline entry unless its eid is already there: WATCH the
 * incident hash, read the chain head, MULTI XADD + HSET head + HSET eid, EXEC;
 * retried when another writer moved the head in between. */
static int apply_entry(struct forensics *f, json_t *op)
{
    const char *inc = forensics_jstr(op, "inc"), *eid = forensics_jstr(op, "eid");
    char khash[256], ktl[256], keids[256];
    forensics_key(f, inc, "", khash, sizeof(khash));
    forensics_key(f, inc, ":timeline", ktl, sizeof(ktl));
    forensics_key(f, inc, ":eids", keids, sizeof(keids));
    for (int attempt = 0; attempt < 20; attempt++) {
        if (forensics_run(f, 2, (const char *[]){"WATCH", khash}) != 0)
            return -1;
        redisReply *rep = forensics_cmdv(f, 3, (const char *[]){"HEXISTS", keids, eid});
        if (rep == NULL)
            return -1;
        int seen = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
        bw_redis_reply_free(rep);
        if (seen) {
            forensics_run(f, 1, (const char *[]){"UNWATCH"});
            return 0;
        }
        rep = forensics_cmdv(f, 4, (const char *[]){"HMGET", khash, "last_hash", "entries"});
        if (rep == NULL)
            return -1;
        char prev[FORENSICS_HASH_HEX] = ZERO_HASH;
        long long entries = 0;
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2) {
            if (rep->element[0]->type == REDIS_REPLY_STRING && rep->element[0]->len == 64)
                memcpy(prev, rep->element[0]->str, 65);
            if (rep->element[1]->type == REDIS_REPLY_STRING)
                entries = strtoll(rep->element[1]->str, NULL, 10);
        }
        bw_redis_reply_free(rep);
        char h[FORENSICS_HASH_HEX], nbuf[24];
        timeline_hash(eid, forensics_jstr(op, "type"), forensics_jstr(op, "version"),
                      forensics_jstr(op, "host"), forensics_jstr(op, "time"),
                      forensics_jstr(op, "actor"), forensics_jstr(op, "data"), prev, h);
        snprintf(nbuf, sizeof(nbuf), "%lld", entries + 1);
        if (forensics_run(f, 1, (const char *[]){"MULTI"}) != 0)
            return -1;
        const char *xadd[] = {"XADD",
                              ktl,
                              "*",
                              "eid",
                              eid,
                              "type",
                              forensics_jstr(op, "type"),
                              "version",
                              forensics_jstr(op, "version"),
                              "host",
                              forensics_jstr(op, "host"),
                              "time",
                              forensics_jstr(op, "time"),
                              "actor",
                              forensics_jstr(op, "actor"),
                              "data",
                              forensics_jstr(op, "data"),
                              "prev",
                              prev,
                              "hash",
                              h};
        if (forensics_run(f, (int)(sizeof(xadd) / sizeof(xadd[0])), xadd) != 0 ||
            forensics_run(f, 6, (const char *[]){"HSET", khash, "last_hash", h, "entries", nbuf}) !=
                0 ||
            forensics_run(f, 4, (const char *[]){"HSET", keids, eid, nbuf}) != 0)
            return -1;
        rep = forensics_cmdv(f, 1, (const char *[]){"EXEC"});
        if (rep == NULL)
            return -1;
        int done = rep->type == REDIS_REPLY_ARRAY;
        bw_redis_reply_free(rep);
        if (done)
            return 0;
        /* EXEC returned nil: the head moved; read it again. */
    }
    bw_warn("forensics: incident %s: timeline head kept moving", inc);
    return -1;
}

static int apply_hset_pairs(struct forensics *f, const char *key, json_t *kv)
{
    /* The incident hash holds 28 fields (56 strings); room for more. */
    size_t n = json_array_size(kv);
    if (n == 0 || n % 2 != 0 || n > 120)
        return n == 0 ? 0 : -1;
    const char *argv[122];
    argv[0] = "HSET";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[2 + i] = json_string_value(json_array_get(kv, i));
    for (size_t i = 0; i < n; i++)
        if (argv[2 + i] == NULL)
            return -1;
    return forensics_run(f, (int)n + 2, argv);
}

static int apply_op(struct forensics *f, json_t *op)
{
    const char *kind = forensics_jstr(op, "op");
    char key[256], num[32];
    if (strcmp(kind, "entry") == 0)
        return apply_entry(f, op);
    if (strcmp(kind, "state") == 0) {
        const char *inc = forensics_jstr(op, "inc");
        forensics_key(f, inc, "", key, sizeof(key));
        if (apply_hset_pairs(f, key, json_object_get(op, "kv")) != 0)
            return -1;
        json_int_t opened = json_integer_value(json_object_get(op, "opened_us"));
        if (opened > 0) {
            char zk[128];
            snprintf(zk, sizeof(zk), "%sincidents", f->cfg->prefix);
            snprintf(num, sizeof(num), "%lld", (long long)opened);
            if (forensics_run(f, 5, (const char *[]){"ZADD", zk, "NX", num, inc}) != 0)
                return -1;
        }
        const char *ip = json_string_value(json_object_get(op, "actor_ip"));
        if (ip != NULL) {
            forensics_ip_key(f, "actor", ip, key, sizeof(key));
            if (forensics_run(f, 3, (const char *[]){"SET", key, inc}) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(kind, "alertmap") == 0) {
        forensics_ip_key(f, "alert", forensics_jstr(op, "alert_id"), key, sizeof(key));
        return forensics_run(
            f, 5, (const char *[]){"SET", key, forensics_jstr(op, "inc"), "EX", "2592000"});
    }
    if (strcmp(kind, "evidence") == 0) {
        forensics_key(f, forensics_jstr(op, "inc"), ":evidence", key, sizeof(key));
        return forensics_run(
            f, 4,
            (const char *[]){"HSET", key, forensics_jstr(op, "item"), forensics_jstr(op, "value")});
    }
    if (strcmp(kind, "action") == 0) {
        forensics_key(f, forensics_jstr(op, "inc"), ":actions", key, sizeof(key));
        return forensics_run(
            f, 4,
            (const char *[]){"HSET", key, forensics_jstr(op, "aid"), forensics_jstr(op, "value")});
    }
    if (strcmp(kind, "containment") == 0) {
        forensics_ip_key(f, "containment", forensics_jstr(op, "ip"), key, sizeof(key));
        json_int_t at = json_integer_value(json_object_get(op, "expire_at"));
        if (at <= 0 || at <= bw_now_us() / BW_USEC)
            return forensics_run(f, 2, (const char *[]){"DEL", key});
        if (apply_hset_pairs(f, key, json_object_get(op, "kv")) != 0)
            return -1;
        snprintf(num, sizeof(num), "%lld", (long long)at);
        return forensics_run(f, 3, (const char *[]){"EXPIREAT", key, num});
    }
    if (strcmp(kind, "pending") == 0) {
        forensics_ip_key(f, "pending", forensics_jstr(op, "ip"), key, sizeof(key));
        json_t *kv = json_object_get(op, "kv");
        if (json_array_size(kv) == 0)
            return forensics_run(f, 2, (const char *[]){"DEL", key});
        return apply_hset_pairs(f, key, kv);
    }
    if (strcmp(kind, "ack") == 0) {
        snprintf(key, sizeof(key), "%salerts", f->cfg->prefix);
        return forensics_run(
            f, 4, (const char *[]){"XACK", key, f->cfg->group, forensics_jstr(op, "id")});
    }
    bw_warn("forensics: journal: unknown operation '%s' skipped", kind);
    return 0;
}

static int replay_line(void *ctx, const char *line, size_t n)
{
    struct forensics *f = ctx;
    json_error_t jerr;
    json_t *op = json_loadb(line, n, 0, &jerr);
    if (op == NULL) {
        bw_warn("forensics: journal line not JSON (%s), skipped", jerr.text);
        return 0;
    }
    int rc = apply_op(f, op);
    json_decref(op);
    return rc == 0 ? 0 : 1;
}

int forensics_flush(struct forensics *f)
{
    if (f->j == NULL || journal_size(f->j) == 0) {
        f->pending = 0;
        return 0;
    }
    if (f->r == NULL || bw_redis_connect(f->r) != 0)
        return -1;
    if (journal_replay(f->j, replay_line, f) != 0)
        return -1;
    if (journal_truncate(f->j) != 0)
        return -1;
    f->pending = 0;
    return 0;
}

int forensics_commit(struct forensics *f, int *written)
{
    if (written != NULL)
        *written = 0;
    if (f->j == NULL || journal_sync(f->j) != 0)
        return -1;
    if (forensics_flush(f) == 0 && written != NULL)
        *written = 1;
    return 0;
}

int forensics_synced(const struct forensics *f)
{
    return f->j == NULL || journal_size(f->j) == 0;
}

struct orphan_ctx {
    struct forensics *f;
};

static int orphan_line(void *ctx, const char *line, size_t n)
{
    return replay_line(((struct orphan_ctx *)ctx)->f, line, n);
}

int forensics_flush_orphans(struct forensics *f)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/journal", f->cfg->state_dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int done = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 5 || strcmp(de->d_name + nl - 4, ".jnl") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (f->j != NULL && strcmp(path, journal_path(f->j)) == 0)
            continue;
        int busy = 0;
        struct bw_err err;
        struct journal *oj = journal_open(path, &busy, &err);
        if (oj == NULL)
            continue; /* a live responder's journal */
        struct orphan_ctx oc = {f};
        if (journal_replay(oj, orphan_line, &oc) == 0) {
            bw_info("forensics: wrote through orphan journal %s", path);
            journal_close_unlink(oj);
            done++;
        } else {
            journal_close(oj);
        }
    }
    closedir(d);
    return done;
}

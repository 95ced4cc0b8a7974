/* Forensics store: journal first, then Redis, every operation idempotent
 * (see forensics.h). The only responder file that sends incident commands to
 * Redis. */
#include "responder/forensics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "responder/journal.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct forensics {
    const struct responder_config *cfg;
    struct bw_redis *r;
    struct journal *j;
    int pending; /* operations appended since the last successful flush */
    struct bw_buf line;
};

const char *forensics_key(const struct forensics *f, const char *id, const char *suffix, char *out,
                          size_t outlen)
{
    snprintf(out, outlen, "%sincident:{%s}%s", f->cfg->prefix, id, suffix ? suffix : "");
    return out;
}

static const char *ip_key(const struct forensics *f, const char *what, const char *ip, char *out,
                          size_t outlen)
{
    snprintf(out, outlen, "%s%s:{%s}", f->cfg->prefix, what, ip);
    return out;
}

/* ---- hashing ---- */

static void field(struct bw_buf *out, const char *name, const char *v)
{
    size_t n = v ? strlen(v) : 0;
    bw_buf_printf(out, "%s:%zu:", name, n);
    bw_buf_append(out, v ? v : "", n);
    bw_buf_putc(out, '\n');
}

void timeline_canonical(struct bw_buf *out, const char *eid, const char *type, const char *version,
                        const char *host, const char *time, const char *actor, const char *data,
                        const char *prev)
{
    bw_buf_puts(out, "bw-timeline-v1\n");
    field(out, "eid", eid);
    field(out, "type", type);
    field(out, "version", version);
    field(out, "host", host);
    field(out, "time", time);
    field(out, "actor", actor);
    field(out, "data", data);
    field(out, "prev", prev);
}

static void hex(const unsigned char *d, unsigned n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void timeline_hash(const char *eid, const char *type, const char *version, const char *host,
                   const char *time, const char *actor, const char *data, const char *prev,
                   char out[FORENSICS_HASH_HEX])
{
    struct bw_buf b;
    bw_buf_init(&b);
    timeline_canonical(&b, eid, type, version, host, time, actor, data, prev);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(b.data ? b.data : "", b.len, md, &mdlen, EVP_sha256(), NULL);
    hex(md, mdlen, out);
    bw_buf_fini(&b);
}

int forensics_file_sha256(const char *path, char out[FORENSICS_HASH_HEX], uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -1;
    uint64_t total = 0;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (n < 0)
        goto out;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    hex(md, mdlen, out);
    if (size != NULL)
        *size = total;
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

/* ---- open / close ---- */

struct forensics *forensics_new(const struct responder_config *cfg, struct bw_redis *r,
                                const char *journal_path, struct bw_err *err)
{
    struct forensics *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    f->cfg = cfg;
    f->r = r;
    bw_buf_init(&f->line);
    char path[512];
    if (journal_path == NULL) {
        snprintf(path, sizeof(path), "%s/journal/%s.jnl", cfg->state_dir, cfg->consumer);
        journal_path = path;
    }
    if (strcmp(journal_path, "-") == 0)
        return f; /* read-only: no journal, no operations */
    f->j = journal_open(journal_path, NULL, err);
    if (f->j == NULL) {
        bw_buf_fini(&f->line);
        free(f);
        return NULL;
    }
    f->pending = journal_size(f->j) > 0;
    return f;
}

void forensics_free(struct forensics *f)
{
    if (f == NULL)
        return;
    if (f->r != NULL && f->j != NULL && journal_size(f->j) > 0)
        forensics_flush(f);
    journal_close(f->j);
    bw_buf_fini(&f->line);
    free(f);
}

/* ---- operations ---- */

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

/* ---- write-through ---- */

/* Runs a command; returns the reply, or NULL when Redis is unreachable. A
 * Redis error reply is logged and freed, and returned as NULL too (the
 * operation is retried later; a persistent error keeps the journal). */
static redisReply *cmd(struct forensics *f, int argc, const char **argv, const size_t *lens)
{
    if (f->r == NULL)
        return NULL;
    redisReply *rep = bw_redis_cmd(f->r, argc, argv, lens);
    if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
        bw_warn("forensics: redis %s: %s", argv[0], rep->str);
        bw_redis_reply_free(rep);
        return NULL;
    }
    return rep;
}

static redisReply *cmdv(struct forensics *f, int argc, const char **argv)
{
    size_t lens[64];
    if (argc > 64)
        return NULL;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return cmd(f, argc, argv, lens);
}

/* A command whose reply is only checked for success. */
static int run(struct forensics *f, int argc, const char **argv)
{
    redisReply *rep = cmdv(f, argc, argv);
    if (rep == NULL)
        return -1;
    bw_redis_reply_free(rep);
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Appends one timeline entry unless its eid is already there: WATCH the
 * incident hash, read the chain head, MULTI XADD + HSET head + HSET eid, EXEC;
 * retried when another writer moved the head in between. */
static int apply_entry(struct forensics *f, json_t *op)
{
    const char *inc = jstr(op, "inc"), *eid = jstr(op, "eid");
    char khash[256], ktl[256], keids[256];
    forensics_key(f, inc, "", khash, sizeof(khash));
    forensics_key(f, inc, ":timeline", ktl, sizeof(ktl));
    forensics_key(f, inc, ":eids", keids, sizeof(keids));
    for (int attempt = 0; attempt < 20; attempt++) {
        if (run(f, 2, (const char *[]){"WATCH", khash}) != 0)
            return -1;
        redisReply *rep = cmdv(f, 3, (const char *[]){"HEXISTS", keids, eid});
        if (rep == NULL)
            return -1;
        int seen = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
        bw_redis_reply_free(rep);
        if (seen) {
            run(f, 1, (const char *[]){"UNWATCH"});
            return 0;
        }
        rep = cmdv(f, 4, (const char *[]){"HMGET", khash, "last_hash", "entries"});
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
        timeline_hash(eid, jstr(op, "type"), jstr(op, "version"), jstr(op, "host"),
                      jstr(op, "time"), jstr(op, "actor"), jstr(op, "data"), prev, h);
        snprintf(nbuf, sizeof(nbuf), "%lld", entries + 1);
        if (run(f, 1, (const char *[]){"MULTI"}) != 0)
            return -1;
        const char *xadd[] = {"XADD",
                              ktl,
                              "*",
                              "eid",
                              eid,
                              "type",
                              jstr(op, "type"),
                              "version",
                              jstr(op, "version"),
                              "host",
                              jstr(op, "host"),
                              "time",
                              jstr(op, "time"),
                              "actor",
                              jstr(op, "actor"),
                              "data",
                              jstr(op, "data"),
                              "prev",
                              prev,
                              "hash",
                              h};
        if (run(f, (int)(sizeof(xadd) / sizeof(xadd[0])), xadd) != 0 ||
            run(f, 6, (const char *[]){"HSET", khash, "last_hash", h, "entries", nbuf}) != 0 ||
            run(f, 4, (const char *[]){"HSET", keids, eid, nbuf}) != 0)
            return -1;
        rep = cmdv(f, 1, (const char *[]){"EXEC"});
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
    return run(f, (int)n + 2, argv);
}

static int apply_op(struct forensics *f, json_t *op)
{
    const char *kind = jstr(op, "op");
    char key[256], num[32];
    if (strcmp(kind, "entry") == 0)
        return apply_entry(f, op);
    if (strcmp(kind, "state") == 0) {
        const char *inc = jstr(op, "inc");
        forensics_key(f, inc, "", key, sizeof(key));
        if (apply_hset_pairs(f, key, json_object_get(op, "kv")) != 0)
            return -1;
        json_int_t opened = json_integer_value(json_object_get(op, "opened_us"));
        if (opened > 0) {
            char zk[128];
            snprintf(zk, sizeof(zk), "%sincidents", f->cfg->prefix);
            snprintf(num, sizeof(num), "%lld", (long long)opened);
            if (run(f, 5, (const char *[]){"ZADD", zk, "NX", num, inc}) != 0)
                return -1;
        }
        const char *ip = json_string_value(json_object_get(op, "actor_ip"));
        if (ip != NULL) {
            ip_key(f, "actor", ip, key, sizeof(key));
            if (run(f, 3, (const char *[]){"SET", key, inc}) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(kind, "alertmap") == 0) {
        ip_key(f, "alert", jstr(op, "alert_id"), key, sizeof(key));
        return run(f, 5, (const char *[]){"SET", key, jstr(op, "inc"), "EX", "2592000"});
    }
    if (strcmp(kind, "evidence") == 0) {
        forensics_key(f, jstr(op, "inc"), ":evidence", key, sizeof(key));
        return run(f, 4, (const char *[]){"HSET", key, jstr(op, "item"), jstr(op, "value")});
    }
    if (strcmp(kind, "action") == 0) {
        forensics_key(f, jstr(op, "inc"), ":actions", key, sizeof(key));
        return run(f, 4, (const char *[]){"HSET", key, jstr(op, "aid"), jstr(op, "value")});
    }
    if (strcmp(kind, "containment") == 0) {
        ip_key(f, "containment", jstr(op, "ip"), key, sizeof(key));
        json_int_t at = json_integer_value(json_object_get(op, "expire_at"));
        if (at <= 0 || at <= bw_now_us() / BW_USEC)
            return run(f, 2, (const char *[]){"DEL", key});
        if (apply_hset_pairs(f, key, json_object_get(op, "kv")) != 0)
            return -1;
        snprintf(num, sizeof(num), "%lld", (long long)at);
        return run(f, 3, (const char *[]){"EXPIREAT", key, num});
    }
    if (strcmp(kind, "pending") == 0) {
        ip_key(f, "pending", jstr(op, "ip"), key, sizeof(key));
        json_t *kv = json_object_get(op, "kv");
        if (json_array_size(kv) == 0)
            return run(f, 2, (const char *[]){"DEL", key});
        return apply_hset_pairs(f, key, kv);
    }
    if (strcmp(kind, "ack") == 0) {
        snprintf(key, sizeof(key), "%salerts", f->cfg->prefix);
        return run(f, 4, (const char *[]){"XACK", key, f->cfg->group, jstr(op, "id")});
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

/* ---- reads ---- */

int forensics_get_incident(struct forensics *f, const char *id, struct bw_buf *out)
{
    char key[256];
    forensics_key(f, id, "", key, sizeof(key));
    redisReply *rep = cmdv(f, 2, (const char *[]){"HGETALL", key});
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
    redisReply *rep = cmdv(f, 2, (const char *[]){"GET", key});
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
    ip_key(f, "actor", ip, key, sizeof(key));
    return get_id(f, key, id, idlen);
}

int forensics_alert_incident(struct forensics *f, const char *alert_id, char *id, size_t idlen)
{
    char key[256];
    ip_key(f, "alert", alert_id, key, sizeof(key));
    return get_id(f, key, id, idlen);
}

int forensics_has_entry(struct forensics *f, const char *inc, const char *eid)
{
    char key[256];
    forensics_key(f, inc, ":eids", key, sizeof(key));
    redisReply *rep = cmdv(f, 3, (const char *[]){"HEXISTS", key, eid});
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
    redisReply *rep = cmdv(f, 3, (const char *[]){"HGET", key, action_id});
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
    ip_key(f, "lock", ip, key, sizeof(key));
    int64_t deadline = bw_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        redisReply *rep =
            cmdv(f, 6, (const char *[]){"SET", key, f->cfg->consumer, "NX", "PX", "5000"});
        if (rep == NULL)
            return 0; /* Redis down: no other responder can be working either */
        int ok = rep->type == REDIS_REPLY_STATUS;
        bw_redis_reply_free(rep);
        if (ok)
            return 0;
        /* Held under our own name: left by a previous run of this consumer
         * that was killed. */
        rep = cmdv(f, 2, (const char *[]){"GET", key});
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
    ip_key(f, "lock", ip, key, sizeof(key));
    /* Delete only our own lock. */
    static const char script[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                 "return redis.call('DEL', KEYS[1]) end return 0";
    run(f, 5, (const char *[]){"EVAL", script, "1", key, f->cfg->consumer});
}

int forensics_list(struct forensics *f, int (*fn)(void *ctx, const char *id), void *ctx)
{
    char zk[128];
    snprintf(zk, sizeof(zk), "%sincidents", f->cfg->prefix);
    redisReply *rep = cmdv(f, 4, (const char *[]){"ZRANGE", zk, "0", "-1"});
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
        redisReply *page = cmdv(f, 6, (const char *[]){"XRANGE", ktl, start, "+", "COUNT", "500"});
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
    redisReply *rep = cmdv(f, 2, (const char *[]){"HGETALL", key});
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

/* ---- verification ---- */

static void problem(struct verify_report *rep, const char *fmt, ...) BW_PRINTF(2, 3);
static void problem(struct verify_report *rep, const char *fmt, ...)
{
    if (rep->nproblems >= VERIFY_MAX_PROBLEMS) {
        rep->nproblems++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->problems[rep->nproblems], sizeof(rep->problems[0]), fmt, ap);
    va_end(ap);
    rep->nproblems++;
}

static const char *entry_field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, name) == 0)
            return fields->element[i + 1]->str;
    return NULL;
}

/* Checks evidence items named in timeline `evidence` entries against the
 * evidence hash, and every hash item against its file. */
static int verify_evidence(struct forensics *f, const char *id, json_t *claimed,
                           struct verify_report *rep)
{
    char key[256];
    forensics_key(f, id, ":evidence", key, sizeof(key));
    redisReply *ev = cmdv(f, 2, (const char *[]){"HGETALL", key});
    if (ev == NULL)
        return -1;
    json_t *have = json_object();
    for (size_t i = 0; ev->type == REDIS_REPLY_ARRAY && i + 1 < ev->elements; i += 2) {
        const char *item = ev->element[i]->str;
        json_t *v = json_loadb(ev->element[i + 1]->str, ev->element[i + 1]->len, 0, NULL);
        rep->evidence_items++;
        json_object_set_new(have, item, json_true());
        if (v == NULL) {
            problem(rep, "evidence %s: record is not JSON", item);
            continue;
        }
        const char *path = jstr(v, "path"), *want = jstr(v, "sha256");
        json_int_t size = json_integer_value(json_object_get(v, "size"));
        const char *tl = json_string_value(json_object_get(claimed, item));
        if (tl == NULL)
            problem(rep, "evidence %s: not recorded in the timeline", item);
        else if (strcmp(tl, want) != 0)
            problem(rep, "evidence %s: hash item says sha256 %.16s..., timeline says %.16s...",
                    item, want, tl);
        char got[FORENSICS_HASH_HEX];
        uint64_t gsize = 0;
        if (forensics_file_sha256(path, got, &gsize) != 0)
            problem(rep, "evidence %s: file %s unreadable: %s", item, path, strerror(errno));
        else if (strcmp(got, want) != 0 || (json_int_t)gsize != size)
            problem(rep,
                    "evidence %s: file %s changed (sha256 %.16s..., %llu bytes; recorded "
                    "%.16s..., %lld bytes)",
                    item, path, got, (unsigned long long)gsize, want, (long long)size);
        json_decref(v);
    }
    const char *item;
    json_t *val;
    json_object_foreach(claimed, item, val)
    {
        if (json_object_get(have, item) == NULL)
            problem(rep, "evidence %s: in the timeline but missing from the evidence hash", item);
    }
    json_decref(have);
    bw_redis_reply_free(ev);
    return 0;
}

int forensics_verify(struct forensics *f, const char *id, struct verify_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    char khash[256], ktl[256];
    forensics_key(f, id, "", khash, sizeof(khash));
    forensics_key(f, id, ":timeline", ktl, sizeof(ktl));
    redisReply *head = cmdv(f, 4, (const char *[]){"HMGET", khash, "last_hash", "entries"});
    if (head == NULL)
        return -1;
    redisReply *exists = cmdv(f, 2, (const char *[]){"EXISTS", khash});
    if (exists == NULL) {
        bw_redis_reply_free(head);
        return -1;
    }
    int found = exists->type == REDIS_REPLY_INTEGER && exists->integer == 1;
    bw_redis_reply_free(exists);
    if (!found) {
        bw_redis_reply_free(head);
        return 1;
    }
    char want_last[FORENSICS_HASH_HEX] = "";
    long long want_entries = -1;
    if (head->type == REDIS_REPLY_ARRAY && head->elements == 2) {
        if (head->element[0]->type == REDIS_REPLY_STRING)
            snprintf(want_last, sizeof(want_last), "%s", head->element[0]->str);
        if (head->element[1]->type == REDIS_REPLY_STRING)
            want_entries = strtoll(head->element[1]->str, NULL, 10);
    }
    bw_redis_reply_free(head);

    char prev[FORENSICS_HASH_HEX] = ZERO_HASH;
    char start[64] = "-";
    json_t *claimed = json_object();
    int rc = 0;
    for (;;) {
        redisReply *page = cmdv(f, 6, (const char *[]){"XRANGE", ktl, start, "+", "COUNT", "500"});
        if (page == NULL) {
            rc = -1;
            break;
        }
        size_t n = page->type == REDIS_REPLY_ARRAY ? page->elements : 0;
        for (size_t i = 0; i < n; i++) {
            const redisReply *e = page->element[i];
            const char *sid = e->element[0]->str;
            const redisReply *fl = e->element[1];
            int no = ++rep->entries;
            const char *eid = entry_field(fl, "eid"), *type = entry_field(fl, "type"),
                       *ver = entry_field(fl, "version"), *host = entry_field(fl, "host"),
                       *tm = entry_field(fl, "time"), *actor = entry_field(fl, "actor"),
                       *data = entry_field(fl, "data"), *eprev = entry_field(fl, "prev"),
                       *ehash = entry_field(fl, "hash");
            if (!eid || !type || !ver || !host || !tm || !actor || !data || !eprev || !ehash) {
                problem(rep, "entry %d (%s): fields missing", no, sid);
                snprintf(prev, sizeof(prev), "%s", ehash ? ehash : ZERO_HASH);
                continue;
            }
            char h[FORENSICS_HASH_HEX];
            timeline_hash(eid, type, ver, host, tm, actor, data, eprev, h);
            if (strcmp(eprev, prev) != 0)
                problem(rep,
                        "entry %d (%s, %s): prev does not match the hash of the entry before "
                        "it (an entry was removed, inserted or reordered)",
                        no, sid, type);
            if (strcmp(h, ehash) != 0)
                problem(rep, "entry %d (%s, %s): content does not match its hash (modified)", no,
                        sid, type);
            if (strcmp(type, "evidence") == 0) {
                json_t *d = json_loads(data, 0, NULL);
                const char *item = d ? json_string_value(json_object_get(d, "item")) : NULL;
                const char *sha = d ? json_string_value(json_object_get(d, "sha256")) : NULL;
                if (item != NULL && sha != NULL)
                    json_object_set_new(claimed, item, json_string(sha));
                json_decref(d);
            }
            /* Chain on the recomputed hash: a modified entry breaks its own
             * check, and an honest successor is then reported too only if it
             * was re-chained onto forged content. */
            snprintf(prev, sizeof(prev), "%s", ehash);
        }
        if (n > 0) {
            const char *last = page->element[n - 1]->element[0]->str;
            snprintf(start, sizeof(start), "(%s", last);
        }
        bw_redis_reply_free(page);
        if (n < 500)
            break;
    }
    if (rc == 0) {
        snprintf(rep->last_hash, sizeof(rep->last_hash), "%s", prev);
        if (want_entries >= 0 && want_entries != rep->entries)
            problem(rep, "timeline has %d entries, the incident records %lld (entries removed)",
                    rep->entries, want_entries);
        else if (want_last[0] && strcmp(want_last, prev) != 0)
            problem(rep, "last entry's hash %.16s... differs from the incident's head %.16s...",
                    prev, want_last);
        rc = verify_evidence(f, id, claimed, rep);
    }
    json_decref(claimed);
    return rc;
}

/* Redis connection with reconnect and backoff. */
#include "common/redis.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"
#include "common/timeutil.h"

struct bw_redis {
    struct bw_redis_url url;
    int timeout_ms;
    redisContext *ctx;
    int64_t next_try_us; /* monotonic time before which no reconnect is tried */
    int64_t backoff_us;
    char errstr[256];
};

static int url_part(const char *s, size_t n, char *out, size_t outlen)
{
    if (n >= outlen)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int bw_redis_url_parse(const char *url, struct bw_redis_url *out, struct bw_err *err)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    const char *why = NULL;
    uint64_t v;
    if (strncmp(url, "unix://", 7) == 0) {
        const char *path = url + 7, *q = strchr(path, '?');
        size_t n = q ? (size_t)(q - path) : strlen(path);
        out->is_unix = 1;
        if (n == 0 || url_part(path, n, out->host, sizeof(out->host)) != 0)
            return bw_err_set(err, "%s: bad socket path", url);
        if (q != NULL) {
            if (strncmp(q, "?db=", 4) != 0 || bw_parse_u64(q + 4, 0, 15, &v, &why) != 0)
                return bw_err_set(err, "%s: bad query (use ?db=N)", url);
            out->db = (int)v;
        }
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return bw_err_set(err, "%s: not a redis:// or unix:// URL", url);
    const char *p = url + 8, *at = strrchr(p, '@'), *slash;
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL) {
            if (url_part(p, (size_t)(at - p), out->password, sizeof(out->password)) != 0)
                return bw_err_set(err, "redis URL: password too long");
        } else if (url_part(p, (size_t)(colon - p), out->user, sizeof(out->user)) != 0 ||
                   url_part(colon + 1, (size_t)(at - colon - 1), out->password,
                            sizeof(out->password)) != 0) {
            return bw_err_set(err, "redis URL: user or password too long");
        }
        p = at + 1;
    }
    slash = strchr(p, '/');
    size_t hostport = slash ? (size_t)(slash - p) : strlen(p);
    const char *colon = NULL;
    if (p[0] == '[') { /* [IPv6]:port */
        const char *rb = memchr(p, ']', hostport);
        if (rb == NULL)
            return bw_err_set(err, "redis URL: unterminated [address]");
        if (url_part(p + 1, (size_t)(rb - p - 1), out->host, sizeof(out->host)) != 0)
            return bw_err_set(err, "redis URL: host too long");
        colon = (rb + 1 < p + hostport && rb[1] == ':') ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', hostport);
        size_t hn = colon ? (size_t)(colon - p) : hostport;
        if (url_part(p, hn, out->host, sizeof(out->host)) != 0)
            return bw_err_set(err, "redis URL: host too long");
    }
    if (out->host[0] == '\0')
        return bw_err_set(err, "%s: no host", url);
    if (colon != NULL) {
        if (bw_parse_u64n(colon + 1, (size_t)(p + hostport - colon - 1), 1, 65535, &v, &why) != 0)
            return bw_err_set(err, "%s: port %s", url, why);
        out->port = (uint16_t)v;
    }
    if (slash != NULL && slash[1] != '\0') {
        if (bw_parse_u64(slash + 1, 0, 15, &v, &why) != 0)
            return bw_err_set(err, "%s: database number %s", url, why);
        out->db = (int)v;
    }
    return 0;
}

void bw_redis_url_fmt(const struct bw_redis_url *u, char *out, size_t outlen)
{
    if (u->is_unix)
        snprintf(out, outlen, "unix://%s?db=%d", u->host, u->db);
    else
        snprintf(out, outlen, "redis://%s%s%s:%u/%d", u->user[0] ? u->user : "",
                 u->user[0] ? "@" : "", u->host, u->port, u->db);
}

struct bw_redis *bw_redis_new(const struct bw_redis_url *url, int timeout_ms)
{
    struct bw_redis *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    /* hiredis writes with write(2): a server that went away must be an error
     * return, not SIGPIPE. Only the default disposition is replaced. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    r->url = *url;
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    r->backoff_us = 100000;
    return r;
}

static void redis_drop(struct bw_redis *r, const char *why)
{
    snprintf(r->errstr, sizeof(r->errstr), "%s", why);
    if (r->ctx != NULL)
        redisFree(r->ctx);
    r->ctx = NULL;
    r->next_try_us = bw_mono_us() + r->backoff_us;
    r->backoff_us = r->backoff_us * 2 > 5000000 ? 5000000 : r->backoff_us * 2;
}

void bw_redis_free(struct bw_redis *r)
{
    if (r == NULL)
        return;
    if (r->ctx != NULL)
        redisFree(r->ctx);
    free(r);
}

/* Sends a command on a fresh connection during setup (AUTH, SELECT). */
static int redis_setup_cmd(struct bw_redis *r, int argc, const char **argv)
{
    size_t lens[4];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *rep = redisCommandArgv(r->ctx, argc, argv, lens);
    if (rep == NULL) {
        redis_drop(r, r->ctx->errstr[0] ? r->ctx->errstr : "connection lost");
        return -1;
    }
    int bad = rep->type == REDIS_REPLY_ERROR;
    if (bad) {
        char why[256];
        snprintf(why, sizeof(why), "%s: %s", argv[0], rep->str);
        freeReplyObject(rep);
        redis_drop(r, why);
        return -1;
    }
    freeReplyObject(rep);
    return 0;
}

int bw_redis_connect(struct bw_redis *r)
{
    if (r->ctx != NULL)
        return 0;
    if (bw_mono_us() < r->next_try_us)
        return -1;
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    if (r->url.is_unix)
        r->ctx = redisConnectUnixWithTimeout(r->url.host, tv);
    else
        r->ctx = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    if (r->ctx == NULL || r->ctx->err) {
        redis_drop(r, r->ctx ? r->ctx->errstr : "cannot allocate context");
        return -1;
    }
    redisSetTimeout(r->ctx, tv);
    if (r->url.password[0]) {
        const char *av[3] = {"AUTH", r->url.user, r->url.password};
        int rc = r->url.user[0] ? redis_setup_cmd(r, 3, av)
                                : redis_setup_cmd(r, 2, (const char *[]){"AUTH", r->url.password});
        if (rc != 0)
            return -1;
    }
    if (r->url.db != 0) {
        char db[8];
        snprintf(db, sizeof(db), "%d", r->url.db);
        if (redis_setup_cmd(r, 2, (const char *[]){"SELECT", db}) != 0)
            return -1;
    }
    r->backoff_us = 100000;
    r->errstr[0] = '\0';
    return 0;
}

struct redisReply *bw_redis_cmd(struct bw_redis *r, int argc, const char **argv, const size_t *lens)
{
    if (bw_redis_connect(r) != 0)
        return NULL;
    redisReply *rep = redisCommandArgv(r->ctx, argc, argv, lens);
    if (rep == NULL) {
        redis_drop(r, r->ctx->errstr[0] ? r->ctx->errstr : "connection lost");
        return NULL;
    }
    return rep;
}

struct redisReply *bw_redis_cmdv(struct bw_redis *r, int argc, const char **argv)
{
    size_t lens[64];
    if (argc > 64)
        return NULL;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return bw_redis_cmd(r, argc, argv, lens);
}

void bw_redis_reply_free(struct redisReply *reply)
{
    if (reply != NULL)
        freeReplyObject(reply);
}

const char *bw_redis_errstr(const struct bw_redis *r)
{
    return r->errstr;
}

int bw_redis_connected(const struct bw_redis *r)
{
    return r->ctx != NULL;
}

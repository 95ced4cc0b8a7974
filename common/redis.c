/* Redis connection with reconnect and backoff, to one server or to a Redis
 * Cluster (slot map, one connection per master, MOVED/ASK redirections). */
#include "common/redis.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/num.h"
#include "common/timeutil.h"

#define REDIS_MAX_NODES     64
#define REDIS_MAX_REDIRECTS 8
#define BACKOFF_MIN_US      100000
#define BACKOFF_MAX_US      5000000
#define MAP_REFRESH_MIN_US  50000 /* CLUSTER SLOTS at most this often */

/* One server: the only one, or one cluster master. */
struct redis_node {
    char host[256];
    uint16_t port;
    redisContext *ctx;
    int64_t next_try_us; /* monotonic time before which no reconnect is tried */
    int64_t backoff_us;
};

struct bw_redis {
    struct bw_redis_url url;
    int timeout_ms;
    struct redis_node nodes[REDIS_MAX_NODES]; /* single mode: nodes[0] */
    int nnodes;
    /* Cluster mode. */
    int16_t *slots; /* BW_REDIS_SLOTS entries: node index, -1 unknown */
    int map_stale;  /* refresh CLUSTER SLOTS before the next routed command */
    int64_t map_next_us;
    int pin;          /* node pinned by WATCH or a transaction; -1 none */
    int in_multi;     /* MULTI seen, EXEC/DISCARD not yet */
    int multi_sent;   /* MULTI actually sent to nodes[pin] */
    int multi_queued; /* commands queued after it */
    int watched;      /* pin set by WATCH */
    struct bw_redis_cluster_stats cst;
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

/* host, host:port or [v6]:port in p[0..n). */
static int parse_hostport(const char *url, const char *p, size_t n, char *host, size_t hostlen,
                          uint16_t *port, struct bw_err *err)
{
    const char *why = NULL, *colon = NULL;
    uint64_t v;
    if (n > 0 && p[0] == '[') { /* [IPv6]:port */
        const char *rb = memchr(p, ']', n);
        if (rb == NULL)
            return bw_err_set(err, "redis URL: unterminated [address]");
        if (url_part(p + 1, (size_t)(rb - p - 1), host, hostlen) != 0)
            return bw_err_set(err, "redis URL: host too long");
        colon = (rb + 1 < p + n && rb[1] == ':') ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', n);
        size_t hn = colon ? (size_t)(colon - p) : n;
        if (url_part(p, hn, host, hostlen) != 0)
            return bw_err_set(err, "redis URL: host too long");
    }
    if (host[0] == '\0')
        return bw_err_set(err, "%s: no host", url);
    if (colon != NULL) {
        if (bw_parse_u64n(colon + 1, (size_t)(p + n - colon - 1), 1, 65535, &v, &why) != 0)
            return bw_err_set(err, "%s: port %s", url, why);
        *port = (uint16_t)v;
    }
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
    const char *p;
    if (strncmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncmp(url, "redis+cluster://", 16) == 0) {
        p = url + 16;
        out->cluster = 1;
    } else {
        return bw_err_set(err, "%s: not a redis://, redis+cluster:// or unix:// URL", url);
    }
    const char *slash, *at = strrchr(p, '@');
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
    const char *query = strchr(p, '?');
    if (query != NULL) {
        if (strncmp(query, "?replicas=", 10) != 0 || bw_parse_u64(query + 10, 1, 16, &v, &why) != 0)
            return bw_err_set(err, "%s: bad query (use ?replicas=N)", url);
        out->replicas = (int)v;
    }
    slash = memchr(p, '/', query ? (size_t)(query - p) : strlen(p));
    size_t hostlist = slash ? (size_t)(slash - p) : query ? (size_t)(query - p) : strlen(p);
    const char *end = p + hostlist;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (out->nseeds > 0 && !out->cluster)
            return bw_err_set(err, "%s: several hosts need redis+cluster://", url);
        if (out->nseeds == BW_REDIS_MAX_SEEDS)
            return bw_err_set(err, "%s: at most %d hosts", url, BW_REDIS_MAX_SEEDS);
        struct bw_redis_seed *sd = &out->seeds[out->nseeds];
        sd->port = 6379;
        if (parse_hostport(url, p, n, sd->host, sizeof(sd->host), &sd->port, err) != 0)
            return -1;
        out->nseeds++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    memcpy(out->host, out->seeds[0].host, sizeof(out->host));
    out->port = out->seeds[0].port;
    if (!out->cluster)
        out->nseeds = 0; /* single server: host and port say it */
    if (slash != NULL && slash[1] != '\0' && slash[1] != '?') {
        size_t dn = query ? (size_t)(query - slash - 1) : strlen(slash + 1);
        if (bw_parse_u64n(slash + 1, dn, 0, 15, &v, &why) != 0)
            return bw_err_set(err, "%s: database number %s", url, why);
        out->db = (int)v;
        if (out->cluster && out->db != 0)
            return bw_err_set(err, "%s: Redis Cluster has database 0 only", url);
    }
    return 0;
}

void bw_redis_url_fmt(const struct bw_redis_url *u, char *out, size_t outlen)
{
    if (u->is_unix) {
        snprintf(out, outlen, "unix://%s?db=%d", u->host, u->db);
        return;
    }
    if (!u->cluster) {
        snprintf(out, outlen, "redis://%s%s%s:%u/%d", u->user[0] ? u->user : "",
                 u->user[0] ? "@" : "", u->host, u->port, u->db);
        return;
    }
    size_t n = (size_t)snprintf(out, outlen, "redis+cluster://%s%s", u->user[0] ? u->user : "",
                                u->user[0] ? "@" : "");
    for (int i = 0; i < u->nseeds && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%s:%u", i ? "," : "", u->seeds[i].host,
                              u->seeds[i].port);
}

/* ---- key slots ---- */

uint16_t bw_redis_crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint8_t)buf[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

unsigned bw_redis_key_slot(const char *key, size_t len)
{
    const char *lb = memchr(key, '{', len);
    if (lb != NULL) {
        size_t off = (size_t)(lb - key) + 1;
        const char *rb = memchr(key + off, '}', len - off);
        if (rb != NULL && rb > lb + 1)
            return bw_redis_crc16(lb + 1, (size_t)(rb - lb - 1)) & (BW_REDIS_SLOTS - 1);
    }
    return bw_redis_crc16(key, len) & (BW_REDIS_SLOTS - 1);
}

static int name_is(const char *arg, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(arg, name, len) == 0;
}

/* Index of the argument holding the routing key; -1 when the command has none. */
static int command_key_index(int argc, const char **argv, const size_t *lens)
{
    const char *c = argv[0];
    size_t n = lens[0];
    static const char *const keyless[] = {
        "PING",   "INFO",   "MULTI",    "EXEC",     "DISCARD",   "UNWATCH", "CLUSTER",
        "ASKING", "AUTH",   "SELECT",   "SCRIPT",   "FLUSHALL",  "FLUSHDB", "DBSIZE",
        "TIME",   "CONFIG", "CLIENT",   "COMMAND",  "ECHO",      "WAIT",    "READONLY",
        "ROLE",   "HELLO",  "KEYS",     "SCAN",     "RANDOMKEY", "PUBLISH", "DEBUG",
        "SAVE",   "BGSAVE", "LASTSAVE", "FUNCTION", NULL};
    for (int i = 0; keyless[i] != NULL; i++)
        if (name_is(c, n, keyless[i]))
            return -1;
    if (name_is(c, n, "XGROUP") || name_is(c, n, "XINFO") || name_is(c, n, "OBJECT") ||
        name_is(c, n, "MEMORY"))
        return argc > 2 ? 2 : -1;
    if (name_is(c, n, "XREAD") || name_is(c, n, "XREADGROUP")) {
        for (int i = 1; i + 1 < argc; i++)
            if (name_is(argv[i], lens[i], "STREAMS"))
                return i + 1;
        return -1;
    }
    if (name_is(c, n, "EVAL") || name_is(c, n, "EVALSHA") || name_is(c, n, "FCALL")) {
        if (argc > 3 && !(lens[2] == 1 && argv[2][0] == '0'))
            return 3;
        return -1;
    }
    return argc > 1 ? 1 : -1;
}

/* Commands that change nothing (no WAIT needed with ?replicas=N). */
static int command_reads_only(const char *c, size_t n)
{
    static const char *const ro[] = {
        "GET",     "MGET",          "HGET",      "HMGET",    "HGETALL",   "HEXISTS", "HLEN",
        "HKEYS",   "HVALS",         "EXISTS",    "TTL",      "PTTL",      "TYPE",    "STRLEN",
        "XRANGE",  "XREVRANGE",     "XLEN",      "XINFO",    "XPENDING",  "ZRANGE",  "ZSCORE",
        "ZCARD",   "ZRANGEBYSCORE", "ZREVRANGE", "SMEMBERS", "SISMEMBER", "SCARD",   "LRANGE",
        "LLEN",    "PING",          "INFO",      "CLUSTER",  "SCAN",      "KEYS",    "WATCH",
        "UNWATCH", "MULTI",         "DISCARD",   "DBSIZE",   "TIME",      "ECHO",    "WAIT",
        "ROLE",    "COMMAND",       "CONFIG",    "CLIENT",   "READONLY",  NULL};
    for (int i = 0; ro[i] != NULL; i++)
        if (name_is(c, n, ro[i]))
            return 1;
    return 0;
}

/* ---- connections ---- */

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
    r->pin = -1;
    if (url->cluster) {
        r->slots = malloc(BW_REDIS_SLOTS * sizeof(*r->slots));
        if (r->slots == NULL) {
            free(r);
            return NULL;
        }
        for (int i = 0; i < BW_REDIS_SLOTS; i++)
            r->slots[i] = -1;
        r->map_stale = 1;
        for (int i = 0; i < url->nseeds; i++) {
            struct redis_node *nd = &r->nodes[r->nnodes++];
            memcpy(nd->host, url->seeds[i].host, sizeof(nd->host));
            nd->port = url->seeds[i].port;
            nd->backoff_us = BACKOFF_MIN_US;
        }
    } else {
        memcpy(r->nodes[0].host, url->host, sizeof(r->nodes[0].host));
        r->nodes[0].port = url->port;
        r->nodes[0].backoff_us = BACKOFF_MIN_US;
        r->nnodes = 1;
    }
    return r;
}

static void node_drop(struct bw_redis *r, int i, const char *why)
{
    struct redis_node *nd = &r->nodes[i];
    if (r->url.cluster)
        snprintf(r->errstr, sizeof(r->errstr), "%s:%u: %s", nd->host, nd->port, why);
    else
        snprintf(r->errstr, sizeof(r->errstr), "%s", why);
    if (nd->ctx != NULL)
        redisFree(nd->ctx);
    nd->ctx = NULL;
    nd->next_try_us = bw_mono_us() + nd->backoff_us;
    nd->backoff_us = nd->backoff_us * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : nd->backoff_us * 2;
    if (r->pin == i) { /* the server forgot the WATCH or transaction */
        r->pin = -1;
        r->in_multi = r->multi_sent = r->multi_queued = r->watched = 0;
    }
    if (r->url.cluster) {
        r->cst.node_failures++;
        r->map_stale = 1;
    }
}

void bw_redis_free(struct bw_redis *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].ctx != NULL)
            redisFree(r->nodes[i].ctx);
    free(r->slots);
    free(r);
}

/* Sends a command on a fresh connection during setup (AUTH, SELECT). */
static int redis_setup_cmd(struct bw_redis *r, int i, int argc, const char **argv)
{
    size_t lens[4];
    for (int k = 0; k < argc; k++)
        lens[k] = strlen(argv[k]);
    redisContext *ctx = r->nodes[i].ctx;
    redisReply *rep = redisCommandArgv(ctx, argc, argv, lens);
    if (rep == NULL) {
        node_drop(r, i, ctx->errstr[0] ? ctx->errstr : "connection lost");
        return -1;
    }
    int bad = rep->type == REDIS_REPLY_ERROR;
    if (bad) {
        char why[256];
        snprintf(why, sizeof(why), "%s: %s", argv[0], rep->str);
        freeReplyObject(rep);
        node_drop(r, i, why);
        return -1;
    }
    freeReplyObject(rep);
    return 0;
}

/* Connects node i now if not connected and its backoff allows. */
static int node_connect(struct bw_redis *r, int i)
{
    struct redis_node *nd = &r->nodes[i];
    if (nd->ctx != NULL)
        return 0;
    if (bw_mono_us() < nd->next_try_us)
        return -1;
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    if (r->url.is_unix)
        nd->ctx = redisConnectUnixWithTimeout(nd->host, tv);
    else
        nd->ctx = redisConnectWithTimeout(nd->host, nd->port, tv);
    if (nd->ctx == NULL || nd->ctx->err) {
        node_drop(r, i, nd->ctx ? nd->ctx->errstr : "cannot allocate context");
        return -1;
    }
    redisSetTimeout(nd->ctx, tv);
    if (r->url.password[0]) {
        const char *av[3] = {"AUTH", r->url.user, r->url.password};
        int rc = r->url.user[0]
                     ? redis_setup_cmd(r, i, 3, av)
                     : redis_setup_cmd(r, i, 2, (const char *[]){"AUTH", r->url.password});
        if (rc != 0)
            return -1;
    }
    if (r->url.db != 0) {
        char db[8];
        snprintf(db, sizeof(db), "%d", r->url.db);
        if (redis_setup_cmd(r, i, 2, (const char *[]){"SELECT", db}) != 0)
            return -1;
    }
    nd->backoff_us = BACKOFF_MIN_US;
    r->errstr[0] = '\0';
    return 0;
}

/* Index of the node host:port, added when unknown; -1 when the table is full. */
static int node_find_or_add(struct bw_redis *r, const char *host, size_t hlen, uint16_t port)
{
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].port == port && strlen(r->nodes[i].host) == hlen &&
            memcmp(r->nodes[i].host, host, hlen) == 0)
            return i;
    if (r->nnodes == REDIS_MAX_NODES || hlen >= sizeof(r->nodes[0].host))
        return -1;
    struct redis_node *nd = &r->nodes[r->nnodes];
    memset(nd, 0, sizeof(*nd));
    memcpy(nd->host, host, hlen);
    nd->host[hlen] = '\0';
    nd->port = port;
    nd->backoff_us = BACKOFF_MIN_US;
    return r->nnodes++;
}

/* Parses "SLOT host:port" after MOVED/ASK; returns the node or -1. */
static int redirect_target(struct bw_redis *r, const char *s, unsigned *slot)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end != ' ' || v >= BW_REDIS_SLOTS)
        return -1;
    *slot = (unsigned)v;
    const char *hp = end + 1, *colon = strrchr(hp, ':');
    if (colon == NULL)
        return -1;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (port == 0 || port > 65535)
        return -1;
    return node_find_or_add(r, hp, (size_t)(colon - hp), (uint16_t)port);
}

/* Asks node i for CLUSTER SLOTS and rebuilds the map. Returns 0 or -1. */
static int map_from_node(struct bw_redis *r, int i)
{
    if (node_connect(r, i) != 0)
        return -1;
    redisReply *rep = redisCommand(r->nodes[i].ctx, "CLUSTER SLOTS");
    if (rep == NULL) {
        node_drop(r, i, r->nodes[i].ctx->errstr[0] ? r->nodes[i].ctx->errstr : "connection lost");
        return -1;
    }
    int rc = -1;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
        snprintf(r->errstr, sizeof(r->errstr), "%s:%u: CLUSTER SLOTS: %s", r->nodes[i].host,
                 r->nodes[i].port, rep->type == REDIS_REPLY_ERROR ? rep->str : "empty map");
        goto out;
    }
    for (int s = 0; s < BW_REDIS_SLOTS; s++)
        r->slots[s] = -1;
    for (size_t k = 0; k < rep->elements; k++) {
        const redisReply *e = rep->element[k];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
            e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER ||
            e->element[2]->type != REDIS_REPLY_ARRAY || e->element[2]->elements < 2)
            continue;
        const redisReply *m = e->element[2];
        if (m->element[0]->type != REDIS_REPLY_STRING || m->element[1]->type != REDIS_REPLY_INTEGER)
            continue;
        long long lo = e->element[0]->integer, hi = e->element[1]->integer;
        /* An empty or unknown address means "the node you asked". */
        const char *h = m->element[0]->str;
        size_t hl = m->element[0]->len;
        if (hl == 0 || (hl == 1 && h[0] == '?')) {
            h = r->nodes[i].host;
            hl = strlen(h);
        }
        long long port = m->element[1]->integer;
        if (lo < 0 || hi >= BW_REDIS_SLOTS || lo > hi || port <= 0 || port > 65535)
            continue;
        int n = node_find_or_add(r, h, hl, (uint16_t)port);
        if (n < 0)
            continue;
        for (long long s = lo; s <= hi; s++)
            r->slots[s] = (int16_t)n;
    }
    r->cst.map_refreshes++;
    r->map_stale = 0;
    int masters[REDIS_MAX_NODES] = {0};
    r->cst.nodes = 0;
    for (int s = 0; s < BW_REDIS_SLOTS; s++)
        if (r->slots[s] >= 0 && !masters[r->slots[s]]++)
            r->cst.nodes++;
    rc = 0;
out:
    freeReplyObject(rep);
    return rc;
}

/* Rebuilds the slot map from the first node that answers (connected ones
 * first), at most every MAP_REFRESH_MIN_US unless forced. */
static int map_refresh(struct bw_redis *r, int force)
{
    int64_t now = bw_mono_us();
    if (!force && now < r->map_next_us)
        return -1;
    r->map_next_us = now + MAP_REFRESH_MIN_US;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < r->nnodes; i++)
            if ((pass == 0) == (r->nodes[i].ctx != NULL) && map_from_node(r, i) == 0)
                return 0;
    return -1;
}

int bw_redis_connect(struct bw_redis *r)
{
    if (!r->url.cluster)
        return node_connect(r, 0);
    if (r->map_stale && map_refresh(r, r->cst.map_refreshes == 0) != 0 && r->cst.map_refreshes == 0)
        return -1;
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].ctx != NULL)
            return 0;
    return -1;
}

/* Any node that is connected, or can be. */
static int any_node(struct bw_redis *r)
{
    if (r->pin >= 0)
        return r->pin;
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].ctx != NULL)
            return i;
    for (int i = 0; i < r->nnodes; i++)
        if (node_connect(r, i) == 0)
            return i;
    return -1;
}

/* A reply made here (for MULTI deferred, or EXEC/DISCARD of an empty
 * transaction), freed by freeReplyObject like any other. */
static redisReply *local_reply(int type, const char *str)
{
    redisReply *rep = calloc(1, sizeof(*rep));
    if (rep == NULL)
        return NULL;
    rep->type = type;
    if (str != NULL) {
        rep->str = strdup(str);
        if (rep->str == NULL) {
            free(rep);
            return NULL;
        }
        rep->len = strlen(str);
    }
    return rep;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Sends one command to node i (ASKING first when asking); NULL when the
 * connection broke (then dropped). */
static redisReply *node_send(struct bw_redis *r, int i, int asking, int argc, const char **argv,
                             const size_t *lens)
{
    redisContext *ctx = r->nodes[i].ctx;
    redisReply *rep = NULL;
    if (r->url.replicas > 0 && !asking && !r->in_multi && !command_reads_only(argv[0], lens[0])) {
        /* ?replicas=N: a write counts as done only once N replicas have it
         * (WAIT, pipelined); else NULL, as if unreachable, and the caller
         * keeps it to send again. Replication is asynchronous: without
         * this a master killed right after replying can lose the write. */
        char nb[16], tb[16];
        snprintf(nb, sizeof(nb), "%d", r->url.replicas);
        snprintf(tb, sizeof(tb), "%d",
                 r->timeout_ms / 2); /* answered before the socket times out */
        void *w = NULL;
        if (redisAppendCommandArgv(ctx, argc, argv, lens) != REDIS_OK ||
            redisAppendCommand(ctx, "WAIT %s %s", nb, tb) != REDIS_OK ||
            redisGetReply(ctx, (void **)&rep) != REDIS_OK || redisGetReply(ctx, &w) != REDIS_OK) {
            bw_redis_reply_free(rep);
            goto broken;
        }
        redisReply *wr = w;
        int got = wr->type == REDIS_REPLY_INTEGER ? (int)wr->integer : -1;
        freeReplyObject(wr);
        /* Redirections and errors wrote nothing: no need to count. */
        if (rep->type != REDIS_REPLY_ERROR && got < r->url.replicas) {
            snprintf(r->errstr, sizeof(r->errstr), "%s:%u: %s reached %d of %d replicas",
                     r->nodes[i].host, r->nodes[i].port, argv[0], got, r->url.replicas);
            r->cst.unreplicated++;
            freeReplyObject(rep);
            return NULL;
        }
        return rep;
    }
    if (asking) {
        if (redisAppendCommand(ctx, "ASKING") != REDIS_OK ||
            redisAppendCommandArgv(ctx, argc, argv, lens) != REDIS_OK)
            goto broken;
        void *ask = NULL;
        if (redisGetReply(ctx, &ask) != REDIS_OK)
            goto broken;
        freeReplyObject(ask);
        void *out = NULL;
        if (redisGetReply(ctx, &out) != REDIS_OK)
            goto broken;
        return out;
    }
    rep = redisCommandArgv(ctx, argc, argv, lens);
    if (rep != NULL)
        return rep;
broken:
    node_drop(r, i, ctx->errstr[0] ? ctx->errstr : "connection lost");
    return NULL;
}

static int err_is(const redisReply *rep, const char *prefix)
{
    size_t n = strlen(prefix);
    return rep->type == REDIS_REPLY_ERROR && rep->len > n && strncmp(rep->str, prefix, n) == 0 &&
           rep->str[n] == ' ';
}

/* Cluster mode: route, send, follow redirections. */
static redisReply *cluster_cmd(struct bw_redis *r, int key_index, int argc, const char **argv,
                               const size_t *lens)
{
    const char *c = argv[0];
    size_t cn = lens[0];
    if (name_is(c, cn, "MULTI")) {
        if (r->in_multi)
            return local_reply(REDIS_REPLY_ERROR, "ERR MULTI calls can not be nested");
        r->in_multi = 1;
        r->multi_sent = r->multi_queued = 0;
        return local_reply(REDIS_REPLY_STATUS, "OK"); /* sent with the first command */
    }
    int is_exec = name_is(c, cn, "EXEC"), is_discard = name_is(c, cn, "DISCARD");
    if (is_exec || is_discard) {
        if (!r->in_multi)
            return local_reply(REDIS_REPLY_ERROR,
                               is_exec ? "ERR EXEC without MULTI" : "ERR DISCARD without MULTI");
        int sent = r->multi_sent, pin = r->pin;
        r->in_multi = r->multi_sent = r->multi_queued = r->watched = 0;
        r->pin = -1;
        if (!sent) { /* nothing queued: nothing to run, WATCH (if any) ends */
            if (pin >= 0 && r->nodes[pin].ctx != NULL)
                bw_redis_reply_free(
                    node_send(r, pin, 0, 1, (const char *[]){"UNWATCH"}, (const size_t[]){7}));
            return is_exec ? local_reply(REDIS_REPLY_ARRAY, NULL)
                           : local_reply(REDIS_REPLY_STATUS, "OK");
        }
        return node_send(r, pin, 0, argc, argv, lens);
    }
    if (name_is(c, cn, "UNWATCH") && !r->in_multi) {
        int pin = r->pin;
        r->pin = -1;
        r->watched = 0;
        if (pin < 0 || r->nodes[pin].ctx == NULL)
            return local_reply(REDIS_REPLY_STATUS, "OK");
        return node_send(r, pin, 0, argc, argv, lens);
    }
    int slot = key_index > 0 && key_index < argc
                   ? (int)bw_redis_key_slot(argv[key_index], lens[key_index])
                   : -1;
    int is_watch = name_is(c, cn, "WATCH");
    int ask_node = -1;
    int64_t wait_us = 10000;
    redisReply *last = NULL;
    for (int attempt = 0; attempt < REDIS_MAX_REDIRECTS; attempt++) {
        bw_redis_reply_free(last);
        last = NULL;
        int n;
        if (ask_node >= 0) {
            n = ask_node;
        } else if (r->in_multi && r->multi_sent) {
            n = r->pin; /* the transaction's node, whatever the key */
        } else if (slot >= 0) {
            if (r->map_stale)
                map_refresh(r, 0);
            n = r->slots[slot];
            if (n < 0)
                n = any_node(r);
        } else {
            n = any_node(r);
        }
        if (n < 0 || node_connect(r, n) != 0) {
            /* Nothing was sent: ask the others where the slot lives now.
             * Retried at once when the map now names another node (after a
             * failover); otherwise the caller hears "unreachable" (NULL)
             * without waiting, and keeps what it wanted to send. */
            if (r->in_multi && r->multi_sent)
                return NULL;
            if (slot < 0 || ask_node >= 0 || map_refresh(r, 1) != 0 || r->slots[slot] == n ||
                r->slots[slot] < 0)
                return NULL;
            continue;
        }
        if (r->in_multi && !r->multi_sent) {
            if (r->pin >= 0 && r->pin != n) /* WATCH on another node: cross-slot */
                return local_reply(REDIS_REPLY_ERROR,
                                   "CROSSSLOT transaction keys on different nodes");
            redisReply *m = node_send(r, n, 0, 1, (const char *[]){"MULTI"}, (const size_t[]){5});
            if (m == NULL)
                return NULL;
            int ok = m->type == REDIS_REPLY_STATUS;
            freeReplyObject(m);
            if (!ok)
                return local_reply(REDIS_REPLY_ERROR, "ERR MULTI refused");
            r->multi_sent = 1;
            r->pin = n;
        }
        redisReply *rep = node_send(r, n, ask_node >= 0, argc, argv, lens);
        if (rep == NULL)
            return NULL; /* maybe executed: never resent here */
        unsigned s;
        if (err_is(rep, "MOVED")) {
            r->cst.moved++;
            int t = redirect_target(r, rep->str + 6, &s);
            if (t >= 0)
                r->slots[s] = (int16_t)t;
            r->map_stale = 1; /* a failover or resharding moves more than one slot */
            ask_node = -1;
        } else if (err_is(rep, "ASK")) {
            r->cst.ask++;
            ask_node = redirect_target(r, rep->str + 4, &s);
        } else if (err_is(rep, "TRYAGAIN") || err_is(rep, "CLUSTERDOWN")) {
            if (rep->str[0] == 'T')
                r->cst.tryagain++;
            else
                r->cst.clusterdown++;
            r->map_stale = 1;
            ask_node = -1;
            sleep_us(wait_us);
            wait_us = wait_us * 2 > 500000 ? 500000 : wait_us * 2;
        } else {
            if (is_watch && rep->type != REDIS_REPLY_ERROR) {
                r->pin = n;
                r->watched = 1;
            }
            if (r->in_multi && r->multi_sent)
                r->multi_queued++;
            return rep;
        }
        if (r->in_multi && r->multi_sent) {
            /* Redirected as the first command of a transaction opened for it
             * (no WATCH): nothing of ours is queued there; start over on the
             * right node. Later in a transaction the error stands (EXEC
             * then aborts) and the caller retries the whole transaction. */
            if (r->multi_queued > 0 || r->watched)
                return rep;
            bw_redis_reply_free(
                node_send(r, r->pin, 0, 1, (const char *[]){"DISCARD"}, (const size_t[]){7}));
            r->multi_sent = 0;
            r->pin = -1;
        }
        last = rep;
    }
    return last; /* the last redirection or retry error, for the caller to see */
}

struct redisReply *bw_redis_cmd_key(struct bw_redis *r, int key_index, int argc, const char **argv,
                                    const size_t *lens)
{
    if (argc < 1)
        return NULL;
    if (r->url.cluster)
        return cluster_cmd(r, key_index, argc, argv, lens);
    if (node_connect(r, 0) != 0)
        return NULL;
    if (name_is(argv[0], lens[0], "EXEC") || name_is(argv[0], lens[0], "DISCARD"))
        r->in_multi = 0; /* EXEC itself is the write that waits */
    redisReply *rep = node_send(r, 0, 0, argc, argv, lens);
    if (rep != NULL && name_is(argv[0], lens[0], "MULTI") && rep->type == REDIS_REPLY_STATUS)
        r->in_multi = 1; /* queued commands are not waited for one by one */
    return rep;
}

struct redisReply *bw_redis_cmd(struct bw_redis *r, int argc, const char **argv, const size_t *lens)
{
    if (argc < 1)
        return NULL;
    int k = r->url.cluster ? command_key_index(argc, argv, lens) : -1;
    return bw_redis_cmd_key(r, k, argc, argv, lens);
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

void bw_redis_cluster_stats(const struct bw_redis *r, struct bw_redis_cluster_stats *out)
{
    *out = r->cst;
}

const char *bw_redis_errstr(const struct bw_redis *r)
{
    return r->errstr;
}

int bw_redis_connected(const struct bw_redis *r)
{
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].ctx != NULL)
            return !r->url.cluster || r->cst.nodes > 0;
    return 0;
}

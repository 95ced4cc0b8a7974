/* Drives common/redis.c against a real Redis Cluster for
 * tests/e2e/redis-cluster-client.sh:
 *   bwt-redis-cluster check URL      routing, transactions, scripts, streams,
 *                                    ASK and MOVED during a live slot migration
 *   bwt-redis-cluster produce URL N TAG   XADD N entries to bw:alerts, each
 *                                    retried until acknowledged; prints the
 *                                    acknowledged ids ("TAG-i") on stdout
 *   bwt-redis-cluster ids URL        prints the id field of every entry
 *   bwt-redis-cluster field URL F    prints field F of every entry of bw:alerts
 * Exits 0 when every check held, 1 with a message otherwise. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/redis.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static redisReply *cmd(struct bw_redis *r, int argc, const char **argv)
{
    return bw_redis_cmdv(r, argc, argv);
}

/* Runs a command expecting a status/int/string reply (no error). */
static int ok(struct bw_redis *r, int argc, const char **argv)
{
    redisReply *rep = cmd(r, argc, argv);
    int good = rep != NULL && rep->type != REDIS_REPLY_ERROR;
    if (!good)
        fprintf(stderr, "  %s %s: %s\n", argv[0], argc > 1 ? argv[1] : "",
                rep ? rep->str : bw_redis_errstr(r));
    bw_redis_reply_free(rep);
    return good;
}

static int get_eq(struct bw_redis *r, const char *key, const char *want)
{
    redisReply *rep = cmd(r, 2, (const char *[]){"GET", key});
    int good = rep && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, want) == 0;
    bw_redis_reply_free(rep);
    return good;
}

/* A direct connection to one node, for setting up a migration. */
static redisReply *direct(const char *host, int port, const char *fmt, const char *a, const char *b)
{
    redisContext *c = redisConnect(host, port);
    if (c == NULL || c->err) {
        redisFree(c);
        return NULL;
    }
    redisReply *rep = redisCommand(c, fmt, a, b);
    redisFree(c);
    return rep;
}

static int node_of_slot(struct bw_redis *r, unsigned slot, char *host, int *port, char *id)
{
    redisReply *rep = cmd(r, 2, (const char *[]){"CLUSTER", "SLOTS"});
    int found = -1;
    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        redisReply *e = rep->element[i];
        if ((unsigned long long)e->element[0]->integer <= slot &&
            slot <= (unsigned long long)e->element[1]->integer) {
            snprintf(host, 64, "%s", e->element[2]->element[0]->str);
            *port = (int)e->element[2]->element[1]->integer;
            snprintf(id, 64, "%s", e->element[2]->element[2]->str);
            found = 0;
        }
    }
    bw_redis_reply_free(rep);
    return found;
}

static int other_master(struct bw_redis *r, int not_port, char *host, int *port, char *id)
{
    for (unsigned s = 0; s < BW_REDIS_SLOTS; s += 1000)
        if (node_of_slot(r, s, host, port, id) == 0 && *port != not_port)
            return 0;
    return -1;
}

static int check(const char *url)
{
    struct bw_redis_url u;
    struct bw_err err;
    if (bw_redis_url_parse(url, &u, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct bw_redis *r = bw_redis_new(&u, 2000);
    struct bw_redis_cluster_stats st;
    CHECK(bw_redis_connect(r) == 0, "connect: %s", bw_redis_errstr(r));
    bw_redis_cluster_stats(r, &st);
    CHECK(st.nodes == 3, "slot map names %d masters, want 3", st.nodes);

    /* 1. Keys on every slot range, each routed straight to its master. */
    char k[64], v[64];
    for (int i = 0; i < 600; i++) {
        snprintf(k, sizeof(k), "bwt:key:%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        CHECK(ok(r, 3, (const char *[]){"SET", k, v}), "SET %s", k);
    }
    for (int i = 0; i < 600; i++) {
        snprintf(k, sizeof(k), "bwt:key:%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        CHECK(get_eq(r, k, v), "GET %s", k);
    }
    bw_redis_cluster_stats(r, &st);
    CHECK(st.moved == 0 && st.ask == 0, "fresh map, yet %llu MOVED %llu ASK",
          (unsigned long long)st.moved, (unsigned long long)st.ask);

    /* 2. Streams: consumer group, XREADGROUP (key after STREAMS), XACK. */
    ok(r, 2, (const char *[]){"DEL", "bwt:alerts"});
    CHECK(ok(r, 6, (const char *[]){"XGROUP", "CREATE", "bwt:alerts", "g", "0", "MKSTREAM"}),
          "XGROUP CREATE");
    CHECK(ok(r, 5, (const char *[]){"XADD", "bwt:alerts", "*", "eve", "{}"}), "XADD");
    redisReply *rep = cmd(r, 9,
                          (const char *[]){"XREADGROUP", "GROUP", "g", "c1", "COUNT", "10",
                                           "STREAMS", "bwt:alerts", ">"});
    CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1, "XREADGROUP: %s",
          rep && rep->str ? rep->str : "no array");
    bw_redis_reply_free(rep);
    rep = cmd(r, 3, (const char *[]){"XINFO", "STREAM", "bwt:alerts"});
    CHECK(rep && rep->type == REDIS_REPLY_ARRAY, "XINFO STREAM routed by argv[2]");
    bw_redis_reply_free(rep);

    /* 3. WATCH + MULTI/EXEC on one incident's keys (one slot by hash tag),
     * pinned to that slot's node even though MULTI/EXEC carry no key. */
    const char *h = "bwt:incident:{INC-42}", *tl = "bwt:incident:{INC-42}:timeline";
    CHECK(ok(r, 2, (const char *[]){"WATCH", h}), "WATCH");
    CHECK(ok(r, 1, (const char *[]){"MULTI"}), "MULTI");
    CHECK(ok(r, 4, (const char *[]){"HSET", h, "status", "open"}), "HSET queued");
    CHECK(ok(r, 5, (const char *[]){"XADD", tl, "*", "type", "opened"}), "XADD queued");
    rep = cmd(r, 1, (const char *[]){"EXEC"});
    CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2, "EXEC: %s",
          rep && rep->str ? rep->str : "not 2 results");
    bw_redis_reply_free(rep);
    /* A transaction whose first key lives on another node than the seed. */
    for (int i = 0; i < 3; i++) {
        char hk[64];
        snprintf(hk, sizeof(hk), "bwt:incident:{T%d}", i);
        CHECK(ok(r, 1, (const char *[]){"MULTI"}), "MULTI %d", i);
        CHECK(ok(r, 4, (const char *[]){"HSET", hk, "n", "1"}), "HSET %s", hk);
        CHECK(ok(r, 4, (const char *[]){"HINCRBY", hk, "n", "1"}), "HINCRBY queued");
        rep = cmd(r, 1, (const char *[]){"EXEC"});
        CHECK(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2, "EXEC %s", hk);
        bw_redis_reply_free(rep);
    }
    /* WATCH then a write by someone else: EXEC returns nil. */
    CHECK(ok(r, 2, (const char *[]){"WATCH", h}), "WATCH 2");
    char hh[64];
    int hp;
    char hid[64];
    node_of_slot(r, bw_redis_key_slot(h, strlen(h)), hh, &hp, hid);
    bw_redis_reply_free(direct(hh, hp, "HSET %s status %s", h, "closed"));
    CHECK(ok(r, 1, (const char *[]){"MULTI"}), "MULTI 2");
    CHECK(ok(r, 4, (const char *[]){"HSET", h, "status", "reopened"}), "HSET 2");
    rep = cmd(r, 1, (const char *[]){"EXEC"});
    CHECK(rep && rep->type == REDIS_REPLY_NIL, "EXEC after a watched change must be nil (type %d)",
          rep ? rep->type : -1);
    bw_redis_reply_free(rep);

    /* 4. EVAL routed by its first key. */
    rep = cmd(r, 5,
              (const char *[]){"EVAL", "return redis.call('GET', KEYS[1])", "1", "bwt:key:7", "x"});
    CHECK(rep && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "v7") == 0, "EVAL: %s",
          rep && rep->str ? rep->str : "?");
    bw_redis_reply_free(rep);
    CHECK(ok(r, 1, (const char *[]){"PING"}), "PING (no key)");

    /* 5. Live migration of one slot: ASK for keys already moved, then MOVED
     * once the slot belongs to the new node. */
    const char *mk = "bwt:mig:{m}";
    const char *mk2 = "bwt:mig:{m}:new";
    unsigned slot = bw_redis_key_slot(mk, strlen(mk));
    char sh[64], sid[64], dh[64], did[64], slotbuf[16];
    int sp, dp;
    snprintf(slotbuf, sizeof(slotbuf), "%u", slot);
    CHECK(ok(r, 3, (const char *[]){"SET", mk, "before"}), "SET before migration");
    CHECK(node_of_slot(r, slot, sh, &sp, sid) == 0, "slot owner");
    CHECK(other_master(r, sp, dh, &dp, did) == 0, "another master");
    bw_redis_reply_free(direct(dh, dp, "CLUSTER SETSLOT %s IMPORTING %s", slotbuf, sid));
    bw_redis_reply_free(direct(sh, sp, "CLUSTER SETSLOT %s MIGRATING %s", slotbuf, did));
    /* A key the source does not have: the source answers ASK. */
    CHECK(ok(r, 3, (const char *[]){"SET", mk2, "during"}), "SET during migration (ASK)");
    CHECK(get_eq(r, mk2, "during"), "GET during migration (ASK)");
    CHECK(get_eq(r, mk, "before"), "GET of a key still on the source");
    bw_redis_cluster_stats(r, &st);
    CHECK(st.ask >= 2, "ASK followed %llu times, want >= 2", (unsigned long long)st.ask);
    {
        char portb[8];
        snprintf(portb, sizeof(portb), "%d", dp);
        redisContext *c = redisConnect(sh, sp);
        redisReply *m = redisCommand(c, "MIGRATE %s %s %s 0 5000", dh, portb, mk);
        CHECK(m && m->type == REDIS_REPLY_STATUS, "MIGRATE: %s", m && m->str ? m->str : "?");
        freeReplyObject(m);
        redisFree(c);
    }
    /* The slot now belongs to the destination, told to every master. */
    for (unsigned s = 0; s < BW_REDIS_SLOTS; s += 16) {
        char nh[64], nid[64];
        int np;
        if (node_of_slot(r, s, nh, &np, nid) == 0)
            bw_redis_reply_free(direct(nh, np, "CLUSTER SETSLOT %s NODE %s", slotbuf, did));
    }
    bw_redis_reply_free(direct(dh, dp, "CLUSTER SETSLOT %s NODE %s", slotbuf, did));
    bw_redis_reply_free(direct(sh, sp, "CLUSTER SETSLOT %s NODE %s", slotbuf, did));
    usleep(300000);
    CHECK(get_eq(r, mk, "before"), "GET after migration (MOVED)");
    CHECK(get_eq(r, mk2, "during"), "GET after migration");
    bw_redis_cluster_stats(r, &st);
    CHECK(st.moved >= 1, "MOVED followed %llu times, want >= 1", (unsigned long long)st.moved);
    CHECK(st.map_refreshes >= 2, "slot map refreshed %llu times",
          (unsigned long long)st.map_refreshes);
    printf("moved=%llu ask=%llu refreshes=%llu nodes=%d\n", (unsigned long long)st.moved,
           (unsigned long long)st.ask, (unsigned long long)st.map_refreshes, st.nodes);
    bw_redis_free(r);
    return failures ? 1 : 0;
}

static int produce(const char *url, long n, const char *tag)
{
    struct bw_redis_url u;
    struct bw_err err;
    if (bw_redis_url_parse(url, &u, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct bw_redis *r = bw_redis_new(&u, 1000);
    long retries = 0;
    for (long i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof(id), "%s-%ld", tag, i);
        for (int tries = 0;; tries++) {
            if (tries == 3000) { /* a minute */
                fprintf(stderr, "produce %s: %s never acknowledged: %s\n", tag, id,
                        bw_redis_errstr(r));
                bw_redis_free(r);
                return 1;
            }
            redisReply *rep =
                bw_redis_cmdv(r, 5, (const char *[]){"XADD", "bw:alerts", "*", "id", id});
            int acked = rep && rep->type == REDIS_REPLY_STRING;
            bw_redis_reply_free(rep);
            if (acked)
                break;
            retries++;
            usleep(20000);
        }
        printf("%s\n", id);
        fflush(stdout);
        usleep(1000);
    }
    struct bw_redis_cluster_stats st;
    bw_redis_cluster_stats(r, &st);
    fprintf(stderr,
            "produce %s: %ld acknowledged, %ld retries, moved=%llu clusterdown=%llu "
            "node_failures=%llu unreplicated=%llu\n",
            tag, n, retries, (unsigned long long)st.moved, (unsigned long long)st.clusterdown,
            (unsigned long long)st.node_failures, (unsigned long long)st.unreplicated);
    bw_redis_free(r);
    return 0;
}

/* Prints one line per entry of bw:alerts: the value of field `field`. */
static int ids(const char *url, const char *field)
{
    struct bw_redis_url u;
    struct bw_err err;
    if (bw_redis_url_parse(url, &u, &err) != 0)
        return 1;
    struct bw_redis *r = bw_redis_new(&u, 2000);
    char start[64] = "-";
    for (;;) {
        redisReply *rep = bw_redis_cmdv(
            r, 6, (const char *[]){"XRANGE", "bw:alerts", start, "+", "COUNT", "1000"});
        if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "XRANGE: %s\n", rep && rep->str ? rep->str : bw_redis_errstr(r));
            bw_redis_reply_free(rep);
            bw_redis_free(r);
            return 1;
        }
        size_t n = rep->elements;
        for (size_t i = 0; i < n; i++) {
            redisReply *e = rep->element[i], *f = e->element[1];
            for (size_t k = 0; k + 1 < f->elements; k += 2)
                if (strcmp(f->element[k]->str, field) == 0)
                    printf("%s\n", f->element[k + 1]->str);
            if (i + 1 == n)
                snprintf(start, sizeof(start), "(%s", e->element[0]->str);
        }
        bw_redis_reply_free(rep);
        if (n < 1000)
            break;
    }
    bw_redis_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    if (argc == 5 && strcmp(argv[1], "produce") == 0)
        return produce(argv[2], strtol(argv[3], NULL, 10), argv[4]);
    if (argc == 3 && strcmp(argv[1], "ids") == 0)
        return ids(argv[2], "id");
    if (argc == 4 && strcmp(argv[1], "field") == 0)
        return ids(argv[2], argv[3]);
    fprintf(stderr, "usage: bwt-redis-cluster check|produce|ids URL ...\n");
    return 2;
}

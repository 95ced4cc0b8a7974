/* Consuming the alert stream through the consumer group (see
 * alert-stream.h): XGROUP CREATE, XREADGROUP, XAUTOCLAIM. */
#include "responder/alert-stream.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/redis.h"
#include "responder/alert.h"
#include "responder/pipeline.h"

/* Handles the entries of an XREADGROUP/XAUTOCLAIM entry list. Returns the
 * number handled, -1 on a fatal error, -2 when Redis could not answer a
 * lookup (that entry and the rest stay pending for a later re-read). */
static int alert_stream_entries(struct responder *R, const redisReply *list)
{
    int n = 0;
    for (size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        const char *sid = e->element[0]->str;
        const redisReply *fl = e->element[1];
        const char *eve = NULL;
        size_t elen = 0;
        for (size_t k = 0; fl->type == REDIS_REPLY_ARRAY && k + 1 < fl->elements; k += 2)
            if (strcmp(fl->element[k]->str, "eve") == 0) {
                eve = fl->element[k + 1]->str;
                elen = fl->element[k + 1]->len;
            }
        /* A deleted entry (nil fields) or one without `eve` is acknowledged. */
        int rc = alert_handle(R, sid, eve ? eve : "", elen);
        if (rc == UNKNOWN)
            return -2;
        if (rc != 0)
            return -1;
        n++;
        if (responder_stopping())
            break;
    }
    return n;
}

/* XREADGROUP from `from` ("0" = our pending entries, ">" = new). Returns
 * entries handled, -1 fatal, -2 Redis unreachable. */
int alert_stream_read(struct responder *R, const char *from, int block_ms)
{
    char blk[16];
    snprintf(blk, sizeof(blk), "%d", block_ms);
    const char *argv[] = {"XREADGROUP", "GROUP",     R->cfg->group, R->cfg->consumer,
                          "COUNT",      BATCH_COUNT, "BLOCK",       blk,
                          "STREAMS",    R->stream,   from};
    int argc = 11;
    if (block_ms < 0) {
        argv[5] = BATCH_COUNT;
        /* no BLOCK: shift the tail */
        argv[6] = "STREAMS";
        argv[7] = R->stream;
        argv[8] = from;
        argc = 9;
    }
    redisReply *rep = bw_redis_cmdv(R->r, argc, argv);
    if (rep == NULL)
        return -2;
    int n = 0;
    if (rep->type == REDIS_REPLY_ERROR) {
        /* -LOADING, -BUSY, -MISCONF...: Redis cannot serve yet; retried. */
        bw_warn("responder: XREADGROUP: %s", rep->str);
        n = strncmp(rep->str, "NOGROUP", 7) == 0 ? -3 : -2;
    } else if (rep->type == REDIS_REPLY_ARRAY) {
        for (size_t s = 0; s < rep->elements; s++) {
            const redisReply *st = rep->element[s];
            if (st->type == REDIS_REPLY_ARRAY && st->elements == 2) {
                int k = alert_stream_entries(R, st->element[1]);
                if (k < 0) {
                    n = k;
                    break;
                }
                n += k;
            }
        }
    }
    bw_redis_reply_free(rep);
    return n;
}

/* XAUTOCLAIM entries idle longer than reclaim_idle_ms from crashed consumers. */
int alert_stream_reclaim(struct responder *R)
{
    char idle[24], start[64] = "0-0";
    snprintf(idle, sizeof(idle), "%llu", (unsigned long long)R->cfg->reclaim_idle_ms);
    int total = 0;
    for (int round = 0; round < 64; round++) {
        const char *argv[] = {"XAUTOCLAIM", R->stream, R->cfg->group, R->cfg->consumer,
                              idle,         start,     "COUNT",       BATCH_COUNT};
        redisReply *rep = bw_redis_cmdv(R->r, 8, argv);
        if (rep == NULL)
            return -2;
        int n = 0;
        if (rep->type == REDIS_REPLY_ERROR) {
            bw_warn("responder: XAUTOCLAIM: %s", rep->str);
            n = -2;
        } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2) {
            snprintf(start, sizeof(start), "%s",
                     rep->element[0]->str ? rep->element[0]->str : "0-0");
            n = alert_stream_entries(R, rep->element[1]);
            if (n > 0)
                R->st->reclaimed += (uint64_t)n;
        }
        bw_redis_reply_free(rep);
        if (n < 0)
            return n;
        total += n;
        if (strcmp(start, "0-0") == 0)
            break;
    }
    return total;
}

/* Whether an error text (a reply, or the connection's AUTH/SELECT failure)
 * is one that waiting does not cure: a wrong or missing password, a command
 * the server does not have or the user may not run, bw:alerts not a stream,
 * a database index out of range. Anything else (-LOADING, -BUSY, -MISCONF,
 * -MASTERDOWN, -READONLY, no connection...) is waited out. */
static int config_error(const char *msg)
{
    static const char *const fatal[] = {
        "NOAUTH",
        "WRONGPASS",
        "NOPERM",
        "WRONGTYPE",
        "ERR unknown command",
        "ERR unknown subcommand",
        "ERR invalid password",
        "ERR AUTH",
        "ERR Client sent AUTH",
        "ERR DB index",
        "ERR invalid DB index",
    };
    /* The connection's own failures read "[host:port: ]AUTH: <reply>" and
     * "[host:port: ]SELECT: <reply>" (common/redis.c). */
    const char *p = strstr(msg, "AUTH: ");
    if (p != NULL)
        msg = p + 6;
    else if ((p = strstr(msg, "SELECT: ")) != NULL)
        msg = p + 8;
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        if (strncmp(msg, fatal[i], strlen(fatal[i])) == 0)
            return 1;
    return 0;
}

int alert_stream_group(struct responder *R, char *why, size_t whylen)
{
    const char *argv[] = {"XGROUP", "CREATE", R->stream, R->cfg->group, "0", "MKSTREAM"};
    redisReply *rep = bw_redis_cmdv(R->r, 6, argv);
    if (rep == NULL) {
        const char *e = bw_redis_errstr(R->r);
        snprintf(why, whylen, "%s", e[0] ? e : "no connection");
        return config_error(e) ? -1 : 1;
    }
    int rc = 0;
    if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "BUSYGROUP", 9) != 0) {
        snprintf(why, whylen, "XGROUP CREATE: %s", rep->str);
        rc = config_error(rep->str) ? -1 : 1;
    }
    bw_redis_reply_free(rep);
    return rc;
}

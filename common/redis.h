/* The one Redis connection every component uses: URL parsing
 * (redis://[user:password@]host:port/db, unix:///path?db=N), connect with a
 * timeout, AUTH and SELECT, commands through hiredis's argv API (explicit
 * lengths, never a format string with data). A connection that failed is freed
 * and recreated after a backoff, never reused (hiredis errors are sticky). */
#ifndef BW_REDIS_H
#define BW_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct redisReply; /* <hiredis/hiredis.h>: include it to read replies */

struct bw_redis_url {
    int is_unix;
    char host[256]; /* or the socket path when is_unix */
    uint16_t port;
    char user[64];
    char password[128];
    int db;
};

/* Parses a URL; "none" is not a URL (callers check for it first). */
int bw_redis_url_parse(const char *url, struct bw_redis_url *out, struct bw_err *err) BW_WUR;
/* Formats without the password (for logs and events). */
void bw_redis_url_fmt(const struct bw_redis_url *u, char *out, size_t outlen);

struct bw_redis;

/* Creates a handle; does not connect yet. timeout_ms bounds connect and each command. */
struct bw_redis *bw_redis_new(const struct bw_redis_url *url, int timeout_ms);
void bw_redis_free(struct bw_redis *r);

/* Connects now if not connected and the backoff allows. Returns 0 when connected. */
int bw_redis_connect(struct bw_redis *r);

/* Runs one command. Returns the reply (free with bw_redis_reply_free) or NULL
 * when the server could not be reached or the connection broke; then the
 * connection is dropped and the next call retries after a backoff (100 ms
 * doubling to 5 s). A Redis error reply (-ERR ...) is returned as a reply of
 * type REDIS_REPLY_ERROR, not NULL. */
struct redisReply *bw_redis_cmd(struct bw_redis *r, int argc, const char **argv,
                                const size_t *lens);
/* Convenience for NUL-terminated arguments. */
struct redisReply *bw_redis_cmdv(struct bw_redis *r, int argc, const char **argv);
void bw_redis_reply_free(struct redisReply *reply);

/* Last connection error ("" when none). */
const char *bw_redis_errstr(const struct bw_redis *r);
int bw_redis_connected(const struct bw_redis *r);

#endif

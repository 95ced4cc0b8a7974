/* The one Redis connection every component uses: URL parsing
 * (redis://[user:password@]host:port/db, unix:///path?db=N,
 * redis+cluster://[user:password@]host:port[,host:port]...[?replicas=N]),
 * connect with a
 * timeout, AUTH and SELECT, commands through hiredis's argv API (explicit
 * lengths, never a format string with data). A connection that failed is freed
 * and recreated after a backoff, never reused (hiredis errors are sticky).
 * Cluster mode (docs/scaling.md) routes each command by the key slot of its
 * key, builds the slot map with CLUSTER SLOTS, keeps one lazily created
 * connection per master, follows MOVED and ASK, and retries TRYAGAIN and
 * CLUSTERDOWN a bounded number of times. */
#ifndef BW_REDIS_H
#define BW_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct redisReply; /* <hiredis/hiredis.h>: include it to read replies */

#define BW_REDIS_MAX_SEEDS 8
#define BW_REDIS_SLOTS     16384

struct bw_redis_seed {
    char host[256];
    uint16_t port;
};

struct bw_redis_url {
    int is_unix;
    char host[256]; /* or the socket path when is_unix */
    uint16_t port;
    char user[64];
    char password[128];
    int db;
    int cluster;  /* redis+cluster://: route by key slot (db must be 0) */
    int replicas; /* ?replicas=N: writes wait (WAIT) until N replicas have them */
    int nseeds;   /* cluster: startup nodes; seeds[0] is host:port */
    struct bw_redis_seed seeds[BW_REDIS_MAX_SEEDS];
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
/* As bw_redis_cmd, naming the argument that holds the key the command is
 * routed by in cluster mode (key_index, 1..argc-1; -1 = no key: any node).
 * bw_redis_cmd finds the key itself for the commands Breachwatch sends
 * (argv[1] for most; XGROUP/XINFO argv[2]; XREAD(GROUP) the first key after
 * STREAMS; EVAL/EVALSHA the first key); use this for anything else. Outside
 * cluster mode key_index is ignored. In cluster mode WATCH pins the
 * connection to its key's node until EXEC, DISCARD or UNWATCH, and MULTI is
 * sent (to the node of the first queued command's key, or the pinned node)
 * only when that command is; MULTI then replies +OK without a round trip. */
struct redisReply *bw_redis_cmd_key(struct bw_redis *r, int key_index, int argc, const char **argv,
                                    const size_t *lens);
/* Convenience for NUL-terminated arguments. */
struct redisReply *bw_redis_cmdv(struct bw_redis *r, int argc, const char **argv);
void bw_redis_reply_free(struct redisReply *reply);

/* Cluster key slot: CRC16 (XMODEM) of the key, or of its hash tag (the
 * bytes between the first '{' and the next '}' when not empty), mod 16384. */
unsigned bw_redis_key_slot(const char *key, size_t len);
/* CRC16-CCITT (XMODEM: poly 0x1021, init 0), as the cluster spec defines. */
uint16_t bw_redis_crc16(const char *buf, size_t len);

/* Cluster counters (zero outside cluster mode), for tests and stats. */
struct bw_redis_cluster_stats {
    uint64_t moved, ask, tryagain, clusterdown, map_refreshes, node_failures;
    uint64_t unreplicated; /* writes that reached fewer than ?replicas=N replicas */
    int nodes;             /* master nodes in the current slot map */
};
void bw_redis_cluster_stats(const struct bw_redis *r, struct bw_redis_cluster_stats *out);

/* Last connection error ("" when none). */
const char *bw_redis_errstr(const struct bw_redis *r);
int bw_redis_connected(const struct bw_redis *r);

#endif

/* What the forensics store's files share (internal to responder/forensics*.c):
 * the store handle, the Redis command helpers and key builders. forensics.c
 * (open, close, Redis commands), forensics-ops.c (operations queued in the
 * journal), forensics-apply.c (write-through of the journal to Redis),
 * forensics-read.c (reads and locks), forensics-hash.c (timeline chain and file
 * hashes), forensics-verify.c (chain and evidence verification). */
#ifndef BW_FORENSICS_INTERNAL_H
#define BW_FORENSICS_INTERNAL_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "responder/forensics.h"

struct journal;

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct forensics {
    const struct responder_config *cfg;
    struct bw_redis *r;
    struct journal *j;
    int pending; /* operations appended since the last successful flush */
    struct bw_buf line;
};

/* "<prefix><what>:{<ip>}" into out (bw:actor:{IP}, bw:alert:{ID}, ...). */
const char *forensics_ip_key(const struct forensics *f, const char *what, const char *ip, char *out,
                             size_t outlen);

/* Runs a command (argv strings, lengths by strlen; at most 64). Returns the
 * reply (caller frees with bw_redis_reply_free), or NULL when Redis is
 * unreachable or answered with an error reply (logged): a read then reports
 * "unknown", a write-through keeps the journal. */
redisReply *forensics_cmdv(struct forensics *f, int argc, const char **argv);
/* A command whose reply is only checked for success. Returns 0 or -1. */
int forensics_run(struct forensics *f, int argc, const char **argv);

/* String member k of a journal operation, "" when absent (borrowed from o). */
static inline const char *forensics_jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

#endif

/* Forensics store: the handle (open, close), key names and the Redis command
 * helpers the other forensics*.c files send through; journal first, then
 * Redis, every operation idempotent (see forensics.h). With forensics-*.c, the
 * only responder code that sends incident commands to Redis. */
#include "responder/forensics.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/redis.h"
#include "responder/forensics-internal.h"
#include "responder/journal.h"

const char *forensics_key(const struct forensics *f, const char *id, const char *suffix, char *out,
                          size_t outlen)
{
    snprintf(out, outlen, "%sincident:{%s}%s", f->cfg->prefix, id, suffix ? suffix : "");
    return out;
}

const char *forensics_ip_key(const struct forensics *f, const char *what, const char *ip, char *out,
                             size_t outlen)
{
    snprintf(out, outlen, "%s%s:{%s}", f->cfg->prefix, what, ip);
    return out;
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

/* ---- Redis commands ---- */

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

redisReply *forensics_cmdv(struct forensics *f, int argc, const char **argv)
{
    size_t lens[64];
    if (argc > 64)
        return NULL;
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    return cmd(f, argc, argv, lens);
}

int forensics_run(struct forensics *f, int argc, const char **argv)
{
    redisReply *rep = forensics_cmdv(f, argc, argv);
    if (rep == NULL)
        return -1;
    bw_redis_reply_free(rep);
    return 0;
}

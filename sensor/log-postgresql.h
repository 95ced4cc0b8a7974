/* PostgreSQL stderr log lines, shared by the postgresql and pgaudit formats:
 * the log_line_prefix compiled into a matcher, and the assembly of messages
 * that continue on tab-indented lines. */
#ifndef BW_LOG_POSTGRESQL_H
#define BW_LOG_POSTGRESQL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "sensor/access.h"
#include "sensor/logsrc.h"

#define PG_PREFIX_OPS     48
#define PG_MSG_MAX        (16u * 1024)
#define PG_DEFAULT_PREFIX "%m [%p] "         /* PostgreSQL's own default since 10 */
#define PG_DEBIAN_PREFIX  "%m [%p] %q%u@%d " /* what Debian's postgresql.conf sets */

struct pg_prefix_op {
    char esc;        /* 0 = literal */
    const char *lit; /* into text */
    size_t lit_len;
};

struct pg_prefix {
    char text[512];
    struct pg_prefix_op ops[PG_PREFIX_OPS];
    int nops;
};

/* One log message after its prefix. */
struct pg_msg {
    int64_t ts_us;
    int pid;
    char user[ACCESS_USER_MAX];
    char db[64];
    struct bw_addr host;
    uint16_t port;
    char level[16];        /* LOG, ERROR, STATEMENT, ... */
    char text[PG_MSG_MAX]; /* the message after "LEVEL:  ", continuation lines joined by '\n' */
    size_t text_len;
};

/* Compiles a log_line_prefix (NULL = PG_DEFAULT_PREFIX). 0 or -1 with err. */
int pg_prefix_compile(struct pg_prefix *p, const char *prefix, struct bw_err *err) BW_WUR;

/* Called with each complete message. */
typedef void (*pg_msg_fn)(void *ctx, const struct pg_msg *m, struct log_emit *em);

/* The stderr reader: prefix + assembly of continuation lines. */
struct pg_stderr {
    struct pg_prefix prefix;
    struct pg_prefix alt; /* with no prefix configured: Debian's, tried second */
    int has_alt;
    struct pg_msg msg;
    int pending;
    pg_msg_fn fn;
    void *ctx;
};

int pg_stderr_init(struct pg_stderr *s, const struct log_fmt_cfg *cfg, pg_msg_fn fn, void *ctx,
                   struct bw_err *err) BW_WUR;
enum log_verdict pg_stderr_line(struct pg_stderr *s, const char *line, size_t len,
                                struct log_emit *em);
void pg_stderr_flush(struct pg_stderr *s, struct log_emit *em);

/* Fills the actor, time and default fields of an event from a message. */
void pg_msg_event(const struct pg_msg *m, const char *format, struct bw_access *ev);

#endif

/* Error reports for loaders and long-lived handles: a message and, for YAML
 * and rule files, the file:line:column it refers to. */
#ifndef BW_ERR_H
#define BW_ERR_H

#include <stddef.h>

#define BW_WUR          __attribute__((warn_unused_result))
#define BW_PRINTF(a, b) __attribute__((format(printf, a, b)))

struct bw_err {
    char msg[512];  /* human-readable, already prefixed with file:line:col when known */
    char file[256]; /* file the error refers to, "" when none */
    int line;       /* 1-based, 0 when unknown */
    int col;        /* 1-based, 0 when unknown */
};

/* Clears an error report. */
void bw_err_clear(struct bw_err *err);

/* Sets a message without a position. err may be NULL. Always returns -1 so a
 * caller can `return bw_err_set(err, ...)`. */
int bw_err_set(struct bw_err *err, const char *fmt, ...) BW_PRINTF(2, 3);

/* Sets a message for file:line:col (1-based); the message is prefixed with the
 * position. err may be NULL. Returns -1. */
int bw_err_setpos(struct bw_err *err, const char *file, int line, int col, const char *fmt, ...)
    BW_PRINTF(5, 6);

#endif

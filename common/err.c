/* Error reports with file:line:column. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void bw_err_clear(struct bw_err *err)
{
    if (err == NULL)
        return;
    err->msg[0] = '\0';
    err->file[0] = '\0';
    err->line = 0;
    err->col = 0;
}

int bw_err_set(struct bw_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    bw_err_clear(err);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int bw_err_setpos(struct bw_err *err, const char *file, int line, int col, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    bw_err_clear(err);
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    err->col = col;
    int n = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", err->file, line, col);
    if (n < 0 || (size_t)n >= sizeof(err->msg))
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Diagnostics to stderr. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum bw_log_level log_level = BW_LOG_WARN;

void bw_log_set_level(enum bw_log_level level)
{
    log_level = level;
}

enum bw_log_level bw_log_get_level(void)
{
    return log_level;
}

void bw_log(enum bw_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "breachwatch: %s: %s\n", names[level], line);
}

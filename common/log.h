/* Diagnostics to stderr, one line each, with a level. Not for events: events
 * are EVE JSON through the outputs. */
#ifndef BW_LOG_H
#define BW_LOG_H

#include "common/err.h"

enum bw_log_level { BW_LOG_ERROR, BW_LOG_WARN, BW_LOG_INFO, BW_LOG_DEBUG };

void bw_log_set_level(enum bw_log_level level);
enum bw_log_level bw_log_get_level(void);
void bw_log(enum bw_log_level level, const char *fmt, ...) BW_PRINTF(2, 3);

#define bw_error(...) bw_log(BW_LOG_ERROR, __VA_ARGS__)
#define bw_warn(...)  bw_log(BW_LOG_WARN, __VA_ARGS__)
#define bw_info(...)  bw_log(BW_LOG_INFO, __VA_ARGS__)
#define bw_debug(...) bw_log(BW_LOG_DEBUG, __VA_ARGS__)

#endif

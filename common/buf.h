/* Growable byte buffer used for output formatting (JSON lines, notices).
 * Not for the per-packet path: outputs reuse one buffer, reset per event. */
#ifndef BW_BUF_H
#define BW_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct bw_buf {
    char *data; /* always NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
    int oom; /* sticky: an append failed; contents are truncated */
};

void bw_buf_init(struct bw_buf *b);
void bw_buf_fini(struct bw_buf *b);
/* Empties the buffer, keeping its memory. */
void bw_buf_reset(struct bw_buf *b);
/* Ensures room for `extra` more bytes plus a NUL. Returns 0 or -1 (and sets oom). */
int bw_buf_reserve(struct bw_buf *b, size_t extra);
int bw_buf_append(struct bw_buf *b, const void *data, size_t len);
int bw_buf_putc(struct bw_buf *b, char c);
int bw_buf_puts(struct bw_buf *b, const char *s);
int bw_buf_printf(struct bw_buf *b, const char *fmt, ...) BW_PRINTF(2, 3);
int bw_buf_vprintf(struct bw_buf *b, const char *fmt, va_list ap) BW_PRINTF(2, 0);

#endif

/* Growable byte buffer used for output formatting (JSON lines, notices).
 * Not for the per-packet path: outputs reuse one buffer, reset per event.
 * Appends that fit are inline (the EVE writer makes dozens per event); only
 * growth goes through a call. */
#ifndef BW_BUF_H
#define BW_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
/* Ensures room for `extra` more bytes plus a NUL (bw_buf_reserve: inline when
 * there is room already; bw_buf_grow: the slow path, reallocating). Returns 0
 * or -1 (and sets oom). */
int bw_buf_grow(struct bw_buf *b, size_t extra);
int bw_buf_printf(struct bw_buf *b, const char *fmt, ...) BW_PRINTF(2, 3);
int bw_buf_vprintf(struct bw_buf *b, const char *fmt, va_list ap) BW_PRINTF(2, 0);

static inline int bw_buf_reserve(struct bw_buf *b, size_t extra)
{
    if (!b->oom && extra < b->cap && b->len < b->cap - extra)
        return 0;
    return bw_buf_grow(b, extra);
}

/* Appends `len` bytes (copied). Returns 0 or -1 (and sets oom). */
static inline int bw_buf_append(struct bw_buf *b, const void *data, size_t len)
{
    if (bw_buf_reserve(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static inline int bw_buf_putc(struct bw_buf *b, char c)
{
    if (bw_buf_reserve(b, 1) != 0)
        return -1;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

static inline int bw_buf_puts(struct bw_buf *b, const char *s)
{
    return bw_buf_append(b, s, strlen(s));
}

#endif

/* Growable byte buffer. */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bw_buf_init(struct bw_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

void bw_buf_fini(struct bw_buf *b)
{
    free(b->data);
    bw_buf_init(b);
}

void bw_buf_reset(struct bw_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->cap > 0)
        b->data[0] = '\0';
}

int bw_buf_grow(struct bw_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *nd = realloc(b->data, cap);
    if (nd == NULL) {
        b->oom = 1;
        return -1;
    }
    b->data = nd;
    b->cap = cap;
    return 0;
}

int bw_buf_vprintf(struct bw_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || bw_buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int bw_buf_printf(struct bw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bw_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

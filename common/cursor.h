/* Bounds-checked reader over untrusted bytes. Every parser reads packets and
 * messages through it instead of indexing buffers directly: a read past the end
 * fails (returns -1 and leaves the cursor at its end) instead of overrunning. */
#ifndef BW_CURSOR_H
#define BW_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bw_cursor {
    const uint8_t *p; /* borrowed */
    size_t len;
    size_t off;
};

static inline void bw_cur_init(struct bw_cursor *c, const void *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->off = 0;
}

static inline size_t bw_cur_left(const struct bw_cursor *c)
{
    return c->len - c->off;
}

static inline const uint8_t *bw_cur_ptr(const struct bw_cursor *c)
{
    return c->p + c->off;
}

static inline int bw_cur_skip(struct bw_cursor *c, size_t n)
{
    if (bw_cur_left(c) < n) {
        c->off = c->len;
        return -1;
    }
    c->off += n;
    return 0;
}

static inline int bw_cur_u8(struct bw_cursor *c, uint8_t *v)
{
    if (bw_cur_left(c) < 1)
        return -1;
    *v = c->p[c->off++];
    return 0;
}

static inline int bw_cur_be16(struct bw_cursor *c, uint16_t *v)
{
    if (bw_cur_left(c) < 2) {
        c->off = c->len;
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    *v = (uint16_t)((p[0] << 8) | p[1]);
    c->off += 2;
    return 0;
}

static inline int bw_cur_be32(struct bw_cursor *c, uint32_t *v)
{
    if (bw_cur_left(c) < 4) {
        c->off = c->len;
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    c->off += 4;
    return 0;
}

static inline int bw_cur_le16(struct bw_cursor *c, uint16_t *v)
{
    if (bw_cur_left(c) < 2) {
        c->off = c->len;
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    *v = (uint16_t)(p[0] | (p[1] << 8));
    c->off += 2;
    return 0;
}

static inline int bw_cur_le24(struct bw_cursor *c, uint32_t *v)
{
    if (bw_cur_left(c) < 3) {
        c->off = c->len;
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
    c->off += 3;
    return 0;
}

static inline int bw_cur_le32(struct bw_cursor *c, uint32_t *v)
{
    if (bw_cur_left(c) < 4) {
        c->off = c->len;
        return -1;
    }
    const uint8_t *p = c->p + c->off;
    *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    c->off += 4;
    return 0;
}

/* Copies n bytes out. */
static inline int bw_cur_copy(struct bw_cursor *c, void *dst, size_t n)
{
    if (bw_cur_left(c) < n) {
        c->off = c->len;
        return -1;
    }
    memcpy(dst, c->p + c->off, n);
    c->off += n;
    return 0;
}

/* Borrows n bytes in place: *out points into the cursor's buffer. */
static inline int bw_cur_take(struct bw_cursor *c, size_t n, const uint8_t **out)
{
    if (bw_cur_left(c) < n) {
        c->off = c->len;
        return -1;
    }
    *out = c->p + c->off;
    c->off += n;
    return 0;
}

#endif

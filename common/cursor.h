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

/* Borrows n bytes in place: *out points into the cursor's buffer. Every
 * reader below is built on it, so there is one bounds check to trust. */
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

static inline int bw_cur_u8(struct bw_cursor *c, uint8_t *v)
{
    const uint8_t *p;
    if (bw_cur_take(c, 1, &p) != 0)
        return -1;
    *v = p[0];
    return 0;
}

static inline int bw_cur_be16(struct bw_cursor *c, uint16_t *v)
{
    const uint8_t *p;
    if (bw_cur_take(c, 2, &p) != 0)
        return -1;
    *v = (uint16_t)((p[0] << 8) | p[1]);
    return 0;
}

static inline int bw_cur_be32(struct bw_cursor *c, uint32_t *v)
{
    const uint8_t *p;
    if (bw_cur_take(c, 4, &p) != 0)
        return -1;
    *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return 0;
}

static inline int bw_cur_le16(struct bw_cursor *c, uint16_t *v)
{
    const uint8_t *p;
    if (bw_cur_take(c, 2, &p) != 0)
        return -1;
    *v = (uint16_t)(p[0] | (p[1] << 8));
    return 0;
}

static inline int bw_cur_le24(struct bw_cursor *c, uint32_t *v)
{
    const uint8_t *p;
    if (bw_cur_take(c, 3, &p) != 0)
        return -1;
    *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
    return 0;
}

static inline int bw_cur_le32(struct bw_cursor *c, uint32_t *v)
{
    const uint8_t *p;
    if (bw_cur_take(c, 4, &p) != 0)
        return -1;
    *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return 0;
}

/* Copies n bytes out. */
static inline int bw_cur_copy(struct bw_cursor *c, void *dst, size_t n)
{
    const uint8_t *p;
    if (bw_cur_take(c, n, &p) != 0)
        return -1;
    memcpy(dst, p, n);
    return 0;
}

#endif

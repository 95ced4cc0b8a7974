/* Test helper: drives one app_proto parser the way the stream stage does
 * (a pending buffer per direction holding what the parser left unconsumed,
 * pending bytes dropped at a gap), collecting its EVE lines and access events
 * as text so two runs can be compared. Header-only. */
#ifndef BW_TESTS_APPDRIVE_H
#define BW_TESTS_APPDRIVE_H

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sensor/access.h"
#include "sensor/app.h"
#include "sensor/output-eve.h"

struct drv {
    const struct app_proto *proto;
    struct flow flow;
    void *state;
    struct app_ctx ctx;
    struct app_stats stats;
    uint8_t *pend[2];
    size_t plen[2];
    int stopped;
    uint64_t app_errors;   /* APP_ERROR returns (the stream counts these) */
    uint64_t over_pending; /* times the parser held more than APP_MAX_PENDING */
};

/* Collected output of a run: EVE lines, then a text line per access event. */
struct drv_out {
    struct bw_buf eve, access;
    struct eve_out *e;
    struct access_sink sink;
};

static inline void drv_eve_line(void *ctx, const char *type, const char *line, size_t len)
{
    struct drv_out *o = ctx;
    (void)type;
    bw_buf_append(&o->eve, line, len);
    bw_buf_putc(&o->eve, '\n');
}

static inline void drv_access(void *ctx, const struct bw_access *ev)
{
    struct drv_out *o = ctx;
    char ch[32], a[BW_ADDR_STRLEN], b[BW_ADDR_STRLEN];
    bw_buf_printf(&o->access,
                  "ch=%s dir=%d actor=%s:%u dest=%s:%u dataset=%s detail=%s records=%" PRIu64
                  " src=%s bytes=%" PRIu64 " status=%d enc=%d qtype=%u nlen=%u lmax=%u labels=%u"
                  " ent=%.3f pii=%d\n",
                  access_channel_str(ev, ch, sizeof(ch)), (int)ev->direction,
                  bw_addr_fmt(&ev->actor_ip, a), ev->actor_port, bw_addr_fmt(&ev->dest_ip, b),
                  ev->dest_port, ev->dataset, ev->detail, ev->records,
                  access_records_src_name(ev->records_src), ev->bytes, ev->status, ev->encrypted,
                  ev->dns_qtype, ev->dns_name_len, ev->dns_label_max, ev->dns_labels,
                  ev->dns_entropy, ev->pii != NULL);
}

static inline int drv_out_init(struct drv_out *o)
{
    struct bw_err err;
    bw_buf_init(&o->eve);
    bw_buf_init(&o->access);
    bw_buf_putc(&o->eve, '\0');
    bw_buf_reset(&o->eve);
    bw_buf_putc(&o->access, '\0');
    bw_buf_reset(&o->access);
    o->e = eve_open(NULL, &err);
    if (o->e == NULL || eve_add_listener(o->e, drv_eve_line, o) != 0)
        return -1;
    o->sink.emit = drv_access;
    o->sink.ctx = o;
    return 0;
}

static inline void drv_out_fini(struct drv_out *o)
{
    eve_close(o->e);
    bw_buf_fini(&o->eve);
    bw_buf_fini(&o->access);
}

static inline void drv_init(struct drv *d, const struct app_proto *p, struct drv_out *o,
                            uint64_t flow_id)
{
    memset(d, 0, sizeof(*d));
    d->proto = p;
    d->flow.proto = p->ipproto;
    d->flow.app = p;
    d->flow.flow_id = flow_id;
    d->ctx.flow = &d->flow;
    d->ctx.eve = o ? o->e : NULL;
    d->ctx.access = o ? &o->sink : NULL;
    d->ctx.stats = &d->stats;
    d->pend[0] = malloc(APP_MAX_PENDING);
    d->pend[1] = malloc(APP_MAX_PENDING);
    d->state = p->new_state(&d->ctx);
}

static inline void drv_stop(struct drv *d, enum app_result r)
{
    d->stopped = 1;
    d->flow.app_flags |= APP_FLOW_STOPPED;
    if (r == APP_ERROR)
        d->app_errors++;
}

/* One in-order chunk of direction `dir` (a whole datagram for UDP). */
static inline void drv_chunk(struct drv *d, int dir, const uint8_t *data, size_t len)
{
    if (d->stopped || d->state == NULL || len == 0)
        return;
    size_t c = 0;
    if (d->proto->ipproto != IPPROTO_TCP) {
        enum app_result r = d->proto->parse(d->state, &d->ctx, dir, data, len, &c);
        if (r != APP_OK)
            drv_stop(d, r);
        return;
    }
    while (len > 0) {
        size_t room = APP_MAX_PENDING - d->plen[dir];
        size_t n = len < room ? len : room;
        memcpy(d->pend[dir] + d->plen[dir], data, n);
        d->plen[dir] += n;
        data += n;
        len -= n;
        c = 0;
        enum app_result r = d->proto->parse(d->state, &d->ctx, dir, d->pend[dir], d->plen[dir], &c);
        if (r != APP_OK) {
            drv_stop(d, r);
            return;
        }
        if (c > d->plen[dir])
            c = d->plen[dir];
        if (c == 0 && d->plen[dir] == APP_MAX_PENDING) {
            d->over_pending++;
            drv_stop(d, APP_ERROR);
            return;
        }
        memmove(d->pend[dir], d->pend[dir] + c, d->plen[dir] - c);
        d->plen[dir] -= c;
    }
}

static inline void drv_gap(struct drv *d, int dir, uint64_t len)
{
    if (d->stopped || d->state == NULL)
        return;
    d->stats.gaps++;
    uint64_t dropped = d->plen[dir];
    d->plen[dir] = 0;
    enum app_result r =
        d->proto->gap ? d->proto->gap(d->state, &d->ctx, dir, len + dropped) : APP_ERROR;
    if (r != APP_OK)
        drv_stop(d, r);
}

/* Delivers `len` bytes in pieces: mode 0 whole, 1 one byte at a time, 2
 * random sizes 1..max from *rng (xorshift). */
static inline void drv_feed(struct drv *d, int dir, const uint8_t *data, size_t len, int mode,
                            uint32_t *rng, size_t max)
{
    if (d->proto->ipproto != IPPROTO_TCP || mode == 0) {
        drv_chunk(d, dir, data, len);
        return;
    }
    size_t off = 0;
    while (off < len) {
        size_t k = 1;
        if (mode == 2) {
            *rng ^= *rng << 13;
            *rng ^= *rng >> 17;
            *rng ^= *rng << 5;
            k = 1 + *rng % (max ? max : 1);
        }
        if (k > len - off)
            k = len - off;
        drv_chunk(d, dir, data + off, k);
        off += k;
    }
}

static inline void drv_end(struct drv *d)
{
    if (d->state != NULL)
        d->proto->free_state(d->state, &d->ctx);
    d->state = NULL;
    free(d->pend[0]);
    free(d->pend[1]);
    d->pend[0] = d->pend[1] = NULL;
}

#endif

/* TCP reassembly and app-layer dispatch: per-direction sequence tracking,
 * bounded out-of-order storage in pooled segment nodes, gap reporting, and
 * content-based protocol detection. Policy is described in docs/reassembly.md. */
#include "sensor/stream.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Out-of-order data lives in fixed-size nodes taken from a free list; a large
 * segment spans several nodes. */
#define SEG_DATA    2032
#define PEND_INLINE 1024
#define POOL_BLOCK  32 /* nodes or flow states allocated at once when a pool grows */
#define SEEN_MAX    8  /* ranges of sequence space seen beyond the contiguous part */

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
/* An ACK further ahead than this is not believed (garbage or a wrapped counter). */
#define ACK_WINDOW (1u << 30)

#define TH_FIN_ 0x01
#define TH_SYN_ 0x02
#define TH_RST_ 0x04
#define TH_ACK_ 0x10

struct seg {
    struct seg *next;
    uint32_t seq;
    uint32_t len;
    uint8_t data[SEG_DATA];
};

struct pendbuf {
    struct pendbuf *next; /* free list link */
    uint8_t data[APP_MAX_PENDING];
};

struct sdir {
    uint32_t next_seq; /* next byte expected in order */
    uint8_t init;      /* next_seq is valid */
    uint8_t midstream; /* picked up without a SYN, or after a gap before detection */
    uint8_t probe_no;  /* detection said no for this direction */
    uint8_t fin;
    uint32_t fin_seq;
    struct seg *held; /* out-of-order nodes, sorted by seq, non-overlapping */
    uint64_t held_bytes;
    uint8_t *pend; /* unconsumed in-order bytes: inline or a pool buffer */
    struct pendbuf *big;
    uint32_t pend_len;
    uint32_t probed; /* bytes looked at for detection */
    uint64_t lost;   /* bytes dropped before detection, reported as a gap after */
    /* Sequence space seen, for flow.out_payload: all of it before seen_next,
     * and up to SEEN_MAX sorted, disjoint, non-adjacent ranges beyond it.
     * Kept without data, also after the parser stopped. */
    uint32_t seen_next;
    uint8_t seen_init, nseen;
    struct {
        uint32_t lo, hi;
    } seen[SEEN_MAX];
    uint8_t inl[PEND_INLINE];
};

struct stream_flow {
    struct stream_flow *next_free;
    struct sdir d[2];
    uint8_t released; /* buffers returned after the parser stopped */
    uint8_t counted_midstream;
};

struct pool_block {
    struct pool_block *next;
};

struct stream_engine {
    struct stream_config cfg;
    struct stream_stats stats;
    uint64_t mem; /* bytes of nodes and pending buffers in use */
    struct seg *seg_free;
    struct pendbuf *pend_free;
    struct stream_flow *flow_free;
    struct pool_block *blocks; /* every allocation, freed with the engine */
};

void stream_config_defaults(struct stream_config *cfg)
{
    cfg->memcap = 64ull << 20;
    cfg->flow_ooo_cap = 1ull << 20;
    cfg->probe_max = 4096;
    cfg->midstream = 1;
}

struct stream_engine *stream_engine_new(const struct stream_config *cfg, struct bw_err *err)
{
    struct stream_engine *se = calloc(1, sizeof(*se));
    if (se == NULL) {
        bw_err_set(err, "stream: out of memory");
        return NULL;
    }
    if (cfg != NULL)
        se->cfg = *cfg;
    else
        stream_config_defaults(&se->cfg);
    if (se->cfg.probe_max == 0 || se->cfg.probe_max > APP_MAX_PENDING)
        se->cfg.probe_max = APP_MAX_PENDING;
    return se;
}

void stream_engine_free(struct stream_engine *se)
{
    if (se == NULL)
        return;
    struct pool_block *b = se->blocks;
    while (b != NULL) {
        struct pool_block *n = b->next;
        free(b);
        b = n;
    }
    free(se);
}

const struct stream_stats *stream_engine_stats(const struct stream_engine *se)
{
    return &se->stats;
}

/* Pools grow in blocks (allocated rarely, never freed before the engine) so
 * the steady state of the packet path does no malloc. */
static void *pool_grow(struct stream_engine *se, size_t item, size_t n)
{
    struct pool_block *b = malloc(sizeof(*b) + item * n + 16);
    if (b == NULL)
        return NULL;
    b->next = se->blocks;
    se->blocks = b;
    return (uint8_t *)b + ((sizeof(*b) + 15) & ~(size_t)15);
}

static struct seg *seg_get(struct stream_engine *se)
{
    if (se->mem + sizeof(struct seg) > se->cfg.memcap)
        return NULL;
    if (se->seg_free == NULL) {
        struct seg *v = pool_grow(se, sizeof(struct seg), POOL_BLOCK);
        if (v == NULL)
            return NULL;
        for (size_t i = 0; i < POOL_BLOCK; i++) {
            v[i].next = se->seg_free;
            se->seg_free = &v[i];
        }
    }
    struct seg *s = se->seg_free;
    se->seg_free = s->next;
    s->next = NULL;
    se->mem += sizeof(struct seg);
    return s;
}

static void seg_put(struct stream_engine *se, struct seg *s)
{
    s->next = se->seg_free;
    se->seg_free = s;
    se->mem -= sizeof(struct seg);
}

static struct pendbuf *pend_get(struct stream_engine *se)
{
    if (se->mem + sizeof(struct pendbuf) > se->cfg.memcap)
        return NULL;
    if (se->pend_free == NULL) {
        struct pendbuf *v = pool_grow(se, sizeof(struct pendbuf), 1);
        if (v == NULL)
            return NULL;
        v->next = NULL;
        se->pend_free = v;
    }
    struct pendbuf *p = se->pend_free;
    se->pend_free = p->next;
    se->mem += sizeof(struct pendbuf);
    return p;
}

static void pend_put(struct stream_engine *se, struct sdir *sd)
{
    if (sd->big != NULL) {
        sd->big->next = se->pend_free;
        se->pend_free = sd->big;
        sd->big = NULL;
        se->mem -= sizeof(struct pendbuf);
    }
    sd->pend = sd->inl;
    sd->pend_len = 0;
}

static struct stream_flow *sflow_get(struct stream_engine *se)
{
    if (se->flow_free == NULL) {
        struct stream_flow *v = pool_grow(se, sizeof(struct stream_flow), POOL_BLOCK);
        if (v == NULL)
            return NULL;
        for (size_t i = 0; i < POOL_BLOCK; i++) {
            v[i].next_free = se->flow_free;
            se->flow_free = &v[i];
        }
    }
    struct stream_flow *sf = se->flow_free;
    se->flow_free = sf->next_free;
    memset(sf, 0, sizeof(*sf));
    for (int i = 0; i < 2; i++)
        sf->d[i].pend = sf->d[i].inl;
    return sf;
}

static void held_free(struct stream_engine *se, struct sdir *sd)
{
    while (sd->held != NULL) {
        struct seg *s = sd->held;
        sd->held = s->next;
        seg_put(se, s);
    }
    sd->held_bytes = 0;
}

static void release_buffers(struct stream_engine *se, struct stream_flow *sf)
{
    for (int i = 0; i < 2; i++) {
        held_free(se, &sf->d[i]);
        pend_put(se, &sf->d[i]);
    }
    sf->released = 1;
}

/* Appends to a direction's pending bytes, moving them to a pool buffer when
 * the inline space runs out. Returns the bytes appended (may be short). */
static size_t pend_append(struct stream_engine *se, struct sdir *sd, const uint8_t *data,
                          size_t len)
{
    size_t cap = sd->big != NULL ? APP_MAX_PENDING : PEND_INLINE;
    if (sd->pend_len + len > cap && sd->big == NULL) {
        struct pendbuf *b = pend_get(se);
        if (b != NULL) {
            memcpy(b->data, sd->inl, sd->pend_len);
            sd->big = b;
            sd->pend = b->data;
            cap = APP_MAX_PENDING;
        } else {
            se->stats.memcap_drops++;
        }
    }
    size_t n = cap - sd->pend_len < len ? cap - sd->pend_len : len;
    memcpy(sd->pend + sd->pend_len, data, n);
    sd->pend_len += (uint32_t)n;
    return n;
}

static void pend_consume(struct stream_engine *se, struct sdir *sd, size_t n)
{
    if (n >= sd->pend_len) {
        pend_put(se, sd);
        return;
    }
    memmove(sd->pend, sd->pend + n, sd->pend_len - n);
    sd->pend_len -= (uint32_t)n;
}

static void ctx_make(struct stream_engine *se, struct app_ctx *ctx, const struct app_ctx *tmpl,
                     struct flow *f, int64_t ts_us)
{
    if (tmpl != NULL)
        *ctx = *tmpl;
    else
        memset(ctx, 0, sizeof(*ctx));
    ctx->flow = f;
    ctx->ts_us = ts_us;
    int idx = f->app != NULL ? app_index(f->app) : -1;
    ctx->stats = idx >= 0 && idx < 16 ? &se->stats.app[idx] : NULL;
}

static struct app_stats *app_stats_of(struct stream_engine *se, struct flow *f)
{
    int idx = f->app != NULL ? app_index(f->app) : -1;
    static struct app_stats sink; /* never read: absorbs counts of unregistered protocols */
    return idx >= 0 && idx < 16 ? &se->stats.app[idx] : &sink;
}

static void parser_stopped(struct stream_engine *se, struct flow *f, enum app_result r)
{
    f->app_flags |= APP_FLOW_STOPPED;
    if (r == APP_ERROR) {
        se->stats.parser_errors++;
        app_stats_of(se, f)->errors++;
    }
}

/* Hands in-order bytes to the parser through the pending buffer when the
 * parser left bytes unconsumed last time. */
static void parse_feed(struct stream_engine *se, struct flow *f, int dir, const uint8_t *data,
                       size_t len, struct app_ctx *ctx)
{
    struct stream_flow *sf = f->stream;
    struct sdir *sd = &sf->d[dir];
    size_t c = 0;
    enum app_result r;
    if (len == 0)
        return;
    if (sd->pend_len == 0) {
        r = f->app->parse(f->app_state, ctx, dir, data, len, &c);
        if (r != APP_OK) {
            parser_stopped(se, f, r);
            return;
        }
        if (c > len)
            c = len;
        data += c;
        len -= c;
    }
    while (len > 0) {
        size_t n = pend_append(se, sd, data, len);
        data += n;
        len -= n;
        c = 0;
        r = f->app->parse(f->app_state, ctx, dir, sd->pend, sd->pend_len, &c);
        if (r != APP_OK) {
            parser_stopped(se, f, r);
            return;
        }
        if (c == 0 && len > 0) {
            /* The parser needs more than the pending buffer can hold. */
            parser_stopped(se, f, APP_ERROR);
            return;
        }
        pend_consume(se, sd, c);
    }
}

/* Detected: create the parser state, report bytes lost before detection and
 * hand over what was buffered, the other direction's (older) bytes first. */
static void app_start(struct stream_engine *se, struct flow *f, const struct app_proto *p, int dir,
                      struct app_ctx *ctx)
{
    struct stream_flow *sf = f->stream;
    f->app = p;
    ctx->stats = app_stats_of(se, f);
    ctx->stats->detected++;
    f->app_state = p->new_state(ctx);
    if (f->app_state == NULL) {
        parser_stopped(se, f, APP_ERROR);
        return;
    }
    int order[2] = {!dir, dir};
    for (int i = 0; i < 2; i++) {
        struct sdir *sd = &sf->d[order[i]];
        if (sd->lost > 0 && !(f->app_flags & APP_FLOW_STOPPED)) {
            ctx->stats->gaps++;
            enum app_result r =
                p->gap != NULL ? p->gap(f->app_state, ctx, order[i], sd->lost) : APP_ERROR;
            sd->lost = 0;
            if (r != APP_OK)
                parser_stopped(se, f, r == APP_DONE ? APP_DONE : APP_OK);
        }
        if (sd->pend_len == 0 || (f->app_flags & APP_FLOW_STOPPED))
            continue;
        /* Move the buffered bytes out of the way: parse_feed appends to pend. */
        uint32_t n = sd->pend_len;
        sd->pend_len = 0;
        struct pendbuf *big = sd->big;
        uint8_t tmp[PEND_INLINE];
        const uint8_t *src;
        if (big != NULL) {
            sd->big = NULL;
            sd->pend = sd->inl;
            src = big->data;
        } else {
            memcpy(tmp, sd->inl, n);
            src = tmp;
        }
        parse_feed(se, f, order[i], src, n, ctx);
        if (big != NULL) {
            big->next = se->pend_free;
            se->pend_free = big;
            se->mem -= sizeof(struct pendbuf);
        }
    }
}

static void probe(struct stream_engine *se, struct flow *f, int dir, const uint8_t *data,
                  size_t len, struct app_ctx *ctx)
{
    struct stream_flow *sf = f->stream;
    struct sdir *sd = &sf->d[dir];
    if (sd->probe_no) {
        sd->lost += len;
        return;
    }
    size_t room = se->cfg.probe_max > sd->pend_len ? se->cfg.probe_max - sd->pend_len : 0;
    size_t n = pend_append(se, sd, data, len < room ? len : room);
    sd->probed += (uint32_t)(len < room ? len : room);
    /* Bytes beyond the probe window are kept (up to the pending cap) so the
     * parser sees them if detection succeeds on this very chunk. */
    int more = 0;
    const struct app_proto *p = app_detect(f->proto, sd->pend, sd->pend_len, dir, &more);
    if (p != NULL) {
        if (n < len) {
            size_t extra = pend_append(se, sd, data + n, len - n);
            sd->lost += len - n - extra; /* only when the pending buffer is full */
        }
        app_start(se, f, p, dir, ctx);
        return;
    }
    sd->lost += len - n;
    if (more && sd->probed < se->cfg.probe_max)
        return;
    if (sd->midstream && sd->probed < se->cfg.probe_max) {
        /* Mid-stream the buffer may start inside a message: try again at the
         * next segment boundary. */
        sd->lost += sd->pend_len;
        pend_put(se, sd);
        return;
    }
    sd->probe_no = 1;
    sd->lost += sd->pend_len;
    pend_put(se, sd);
    struct sdir *od = &sf->d[!dir];
    if (od->probe_no || od->probed >= se->cfg.probe_max) {
        se->stats.undetected++;
        f->app_flags |= APP_FLOW_STOPPED;
    }
}

/* In-order bytes of one direction: detection first, then the parser. */
static void deliver(struct stream_engine *se, struct flow *f, int dir, const uint8_t *data,
                    size_t len, struct app_ctx *ctx)
{
    se->stats.bytes_delivered += len;
    if (f->app_flags & APP_FLOW_STOPPED)
        return;
    if (f->app == NULL)
        probe(se, f, dir, data, len, ctx);
    else
        parse_feed(se, f, dir, data, len, ctx);
}

/* `len` bytes of direction `dir` will never be seen. */
static void gap(struct stream_engine *se, struct flow *f, int dir, uint64_t len,
                struct app_ctx *ctx)
{
    struct stream_flow *sf = f->stream;
    struct sdir *sd = &sf->d[dir];
    se->stats.gaps++;
    se->stats.gap_bytes += len;
    f->app_flags |= APP_FLOW_GAP;
    if (f->app_flags & APP_FLOW_STOPPED)
        return;
    if (f->app == NULL) {
        sd->lost += len + sd->pend_len;
        pend_put(se, sd);
        sd->midstream = 1;
        sd->probe_no = 0;
        return;
    }
    struct app_stats *st = app_stats_of(se, f);
    st->gaps++;
    /* An incomplete message before the hole is worthless. */
    uint64_t dropped = sd->pend_len;
    pend_put(se, sd);
    enum app_result r =
        f->app->gap != NULL ? f->app->gap(f->app_state, ctx, dir, len + dropped) : APP_ERROR;
    if (r != APP_OK)
        parser_stopped(se, f, r == APP_DONE ? APP_DONE : APP_OK);
}

/* Delivers held nodes that have become in order. */
static void drain(struct stream_engine *se, struct flow *f, int dir, struct app_ctx *ctx)
{
    struct sdir *sd = &((struct stream_flow *)f->stream)->d[dir];
    while (sd->held != NULL && SEQ_LEQ(sd->held->seq, sd->next_seq)) {
        struct seg *s = sd->held;
        sd->held = s->next;
        sd->held_bytes -= s->len;
        uint32_t end = s->seq + s->len;
        if (SEQ_GT(end, sd->next_seq)) {
            uint32_t off = sd->next_seq - s->seq;
            deliver(se, f, dir, s->data + off, s->len - off, ctx);
            sd->next_seq = end;
        }
        seg_put(se, s);
        if (f->app_flags & APP_FLOW_STOPPED)
            return;
    }
}

/* Skips the hole before the first held node and delivers what follows. */
static void skip_to_held(struct stream_engine *se, struct flow *f, int dir, struct app_ctx *ctx)
{
    struct sdir *sd = &((struct stream_flow *)f->stream)->d[dir];
    if (sd->held == NULL)
        return;
    uint32_t hole = sd->held->seq - sd->next_seq;
    if (SEQ_GT(sd->held->seq, sd->next_seq)) {
        gap(se, f, dir, hole, ctx);
        sd->next_seq = sd->held->seq;
    }
    drain(se, f, dir, ctx);
}

/* Stores [seq, seq+len) around the nodes already held: bytes already held win
 * (first seen); differing bytes are counted as conflicts. Returns -1 when a
 * node could not be had (memcap). */
static int held_insert(struct stream_engine *se, struct sdir *sd, uint32_t seq, const uint8_t *data,
                       uint32_t len)
{
    struct seg **link = &sd->held;
    uint32_t end = seq + len;
    int overlapped = 0;
    while (SEQ_LT(seq, end)) {
        struct seg *cur = *link;
        if (cur != NULL && SEQ_LEQ(cur->seq + cur->len, seq)) {
            link = &cur->next;
            continue;
        }
        if (cur != NULL && SEQ_LEQ(cur->seq, seq)) {
            /* Overlap with a held node: keep the held bytes. */
            uint32_t ov_end = SEQ_LT(end, cur->seq + cur->len) ? end : cur->seq + cur->len;
            uint32_t n = ov_end - seq;
            if (memcmp(cur->data + (seq - cur->seq), data, n) != 0)
                se->stats.overlap_conflicts++;
            overlapped = 1;
            data += n;
            seq += n;
            link = &cur->next;
            continue;
        }
        /* A hole before `cur` (or the end): fill it with new nodes. */
        uint32_t hole_end = cur != NULL && SEQ_LT(cur->seq, end) ? cur->seq : end;
        uint32_t n = hole_end - seq;
        if (n > SEG_DATA)
            n = SEG_DATA;
        struct seg *s = seg_get(se);
        if (s == NULL)
            return -1;
        s->seq = seq;
        s->len = n;
        memcpy(s->data, data, n);
        s->next = cur;
        *link = s;
        link = &s->next;
        sd->held_bytes += n;
        data += n;
        seq += n;
    }
    if (overlapped)
        se->stats.overlaps++;
    return 0;
}

/* Payload [seq, seq+len) of one direction: returns how many of its bytes lie
 * where no earlier segment was (first seen wins, as in reassembly) and marks
 * them seen. A retransmission returns 0; a segment filling a hole the capture
 * never showed counts in full. Beyond SEEN_MAX holes the two ranges closest
 * together are joined: bytes that later fill that hole are not counted (an
 * undercount bounded by the hole). Never more than len. */
static uint32_t seen_add(struct sdir *sd, uint32_t seq, uint32_t len)
{
    uint32_t end = seq + len;
    if (!sd->seen_init) {
        sd->seen_init = 1;
        sd->seen_next = seq;
    }
    if (SEQ_LEQ(end, sd->seen_next))
        return 0;
    if (SEQ_LT(seq, sd->seen_next))
        seq = sd->seen_next;
    uint32_t fresh = end - seq, lo = seq, hi = end;
    uint32_t rl[SEEN_MAX + 1], rh[SEEN_MAX + 1];
    unsigned n = 0, at = 0;
    for (unsigned i = 0; i < sd->nseen; i++) {
        uint32_t a = sd->seen[i].lo, b = sd->seen[i].hi;
        if (SEQ_LT(b, seq) || SEQ_GT(a, end)) {
            rl[n] = a;
            rh[n] = b;
            n++;
            if (SEQ_LT(b, seq))
                at = n;
            continue;
        }
        /* overlapping or touching: its bytes are not new, it joins [lo, hi) */
        uint32_t oa = SEQ_GT(a, seq) ? a : seq, ob = SEQ_LT(b, end) ? b : end;
        if (SEQ_LT(oa, ob))
            fresh -= ob - oa;
        if (SEQ_LT(a, lo))
            lo = a;
        if (SEQ_GT(b, hi))
            hi = b;
    }
    for (unsigned i = n; i > at; i--) {
        rl[i] = rl[i - 1];
        rh[i] = rh[i - 1];
    }
    rl[at] = lo;
    rh[at] = hi;
    n++;
    /* ranges that reach the contiguous part become part of it */
    unsigned first = 0;
    while (first < n && SEQ_LEQ(rl[first], sd->seen_next)) {
        if (SEQ_GT(rh[first], sd->seen_next))
            sd->seen_next = rh[first];
        first++;
    }
    if (n - first > SEEN_MAX) {
        unsigned best = first;
        for (unsigned i = first + 1; i + 1 < n; i++)
            if (rl[i + 1] - rh[i] < rl[best + 1] - rh[best])
                best = i;
        rh[best] = rh[best + 1];
        for (unsigned i = best + 1; i + 1 < n; i++) {
            rl[i] = rl[i + 1];
            rh[i] = rh[i + 1];
        }
        n--;
    }
    sd->nseen = (uint8_t)(n - first);
    for (unsigned i = first; i < n; i++) {
        sd->seen[i - first].lo = rl[i];
        sd->seen[i - first].hi = rh[i];
    }
    return fresh;
}

static void tcp_segment(struct stream_engine *se, struct flow *f, int dir, uint32_t seq,
                        const uint8_t *data, uint32_t len, struct app_ctx *ctx)
{
    struct sdir *sd = &((struct stream_flow *)f->stream)->d[dir];
    uint32_t end = seq + len;
    if (SEQ_LEQ(end, sd->next_seq)) {
        se->stats.retransmissions++;
        return;
    }
    if (SEQ_LT(seq, sd->next_seq)) {
        /* Partly old: the bytes already delivered win. */
        uint32_t off = sd->next_seq - seq;
        se->stats.overlaps++;
        data += off;
        len -= off;
        seq = sd->next_seq;
    }
    if (seq == sd->next_seq && sd->held == NULL) {
        deliver(se, f, dir, data, len, ctx);
        sd->next_seq = end;
        return;
    }
    if (seq != sd->next_seq)
        se->stats.ooo_segments++;
    /* Make room: past the per-flow cap, or when the worker's memory is out,
     * the hole in front is given up as a gap and what is held is delivered. */
    while (sd->held != NULL &&
           (sd->held_bytes + len > se->cfg.flow_ooo_cap ||
            se->mem + sizeof(struct seg) * (len / SEG_DATA + 1) > se->cfg.memcap)) {
        if (sd->held_bytes + len <= se->cfg.flow_ooo_cap)
            se->stats.memcap_drops++;
        skip_to_held(se, f, dir, ctx);
        if (f->app_flags & APP_FLOW_STOPPED)
            return;
    }
    if (SEQ_LEQ(end, sd->next_seq))
        return;
    if (SEQ_LT(seq, sd->next_seq)) {
        data += sd->next_seq - seq;
        len -= sd->next_seq - seq;
        seq = sd->next_seq;
    }
    if (len > se->cfg.flow_ooo_cap || held_insert(se, sd, seq, data, len) != 0) {
        /* Cannot hold it: skip the hole and take this segment as in order. */
        if (len <= se->cfg.flow_ooo_cap)
            se->stats.memcap_drops++;
        skip_to_held(se, f, dir, ctx);
        if (f->app_flags & APP_FLOW_STOPPED)
            return;
        if (SEQ_LT(sd->next_seq, seq)) {
            gap(se, f, dir, seq - sd->next_seq, ctx);
            sd->next_seq = seq;
        }
        if (SEQ_LT(sd->next_seq, end)) {
            uint32_t off = sd->next_seq - seq;
            deliver(se, f, dir, data + off, len - off, ctx);
            sd->next_seq = end;
        }
        drain(se, f, dir, ctx);
        return;
    }
    drain(se, f, dir, ctx);
}

static struct stream_flow *sflow_of(struct stream_engine *se, struct flow *f)
{
    if (f->stream == NULL)
        f->stream = sflow_get(se);
    return f->stream;
}

void stream_packet(struct stream_engine *se, struct flow *f, int dir, const struct bw_packet *p,
                   const struct app_ctx *tmpl)
{
    if (se == NULL || f == NULL || p == NULL || (dir != 0 && dir != 1))
        return;
    const uint8_t *data = p->payload;
    uint32_t len = data != NULL ? p->payload_len : 0;
    struct stream_flow *sf = sflow_of(se, f);
    if (dir == FLOW_TOSERVER && (sf == NULL || p->proto != IPPROTO_TCP))
        f->out_payload += len; /* no sequence numbers, or none kept: all of it */
    if (sf == NULL) {
        se->stats.memcap_drops++;
        return;
    }
    struct app_ctx ctx;
    ctx_make(se, &ctx, tmpl, f, p->ts_us);

    if (p->proto == IPPROTO_UDP) {
        if (len == 0)
            return;
        se->stats.segments++;
        se->stats.bytes_delivered += len;
        if (f->app_flags & APP_FLOW_STOPPED)
            return;
        if (f->app == NULL) {
            int more = 0;
            const struct app_proto *ap = app_detect(IPPROTO_UDP, data, len, dir, &more);
            if (ap == NULL) {
                if (++sf->d[dir].probed >= 4 || !more) {
                    se->stats.undetected++;
                    f->app_flags |= APP_FLOW_STOPPED;
                }
                return;
            }
            app_start(se, f, ap, dir, &ctx);
            if (f->app_flags & APP_FLOW_STOPPED)
                return;
        }
        size_t c = 0;
        enum app_result r = f->app->parse(f->app_state, &ctx, dir, data, len, &c);
        if (r != APP_OK)
            parser_stopped(se, f, r);
        return;
    }
    if (p->proto != IPPROTO_TCP)
        return;

    struct sdir *sd = &sf->d[dir], *od = &sf->d[!dir];
    uint8_t fl = p->tcp_flags;
    uint32_t seq = p->tcp_seq;
    if (fl & TH_SYN_) {
        if (!sd->init) {
            sd->init = 1;
            sd->next_seq = seq + 1;
        }
        if (!sd->seen_init) {
            sd->seen_init = 1;
            sd->seen_next = seq + 1;
        }
        seq += 1; /* data on a SYN starts after it */
    }
    if (len > 0) {
        se->stats.segments++;
        uint32_t fresh = seen_add(sd, seq, len);
        if (dir == FLOW_TOSERVER)
            f->out_payload += fresh;
    }
    if (f->app_flags & APP_FLOW_STOPPED) {
        if (!sf->released)
            release_buffers(se, sf);
        return;
    }
    if (!sd->init && (len > 0 || (fl & TH_FIN_))) {
        if (!se->cfg.midstream)
            return;
        sd->init = 1;
        sd->next_seq = seq;
        sd->midstream = 1;
        if (!sf->counted_midstream) {
            sf->counted_midstream = 1;
            se->stats.flows_midstream++;
        }
    }
    /* The peer acknowledged bytes the capture never showed: they are lost. */
    if ((fl & TH_ACK_) && !(fl & TH_RST_) && od->init && SEQ_GT(p->tcp_ack, od->next_seq) &&
        p->tcp_ack - od->next_seq < ACK_WINDOW) {
        uint32_t upto = p->tcp_ack;
        if (od->fin && SEQ_GT(upto, od->fin_seq))
            upto = od->fin_seq; /* the FIN takes one sequence number */
        if (od->held != NULL && SEQ_LT(od->held->seq, upto))
            upto = od->held->seq;
        if (SEQ_GT(upto, od->next_seq)) {
            gap(se, f, !dir, upto - od->next_seq, &ctx);
            od->next_seq = upto;
            drain(se, f, !dir, &ctx);
        }
    }
    if (len > 0 && !(f->app_flags & APP_FLOW_STOPPED))
        tcp_segment(se, f, dir, seq, data, len, &ctx);
    if ((fl & TH_FIN_) && !sd->fin) {
        sd->fin = 1;
        sd->fin_seq = seq + len;
    }
    if ((f->app_flags & APP_FLOW_STOPPED) && !sf->released)
        release_buffers(se, sf);
}

void stream_flow_end(struct stream_engine *se, struct flow *f, const struct app_ctx *tmpl)
{
    if (se == NULL || f == NULL)
        return;
    struct stream_flow *sf = f->stream;
    struct app_ctx ctx;
    ctx_make(se, &ctx, tmpl, f, f->last_us);
    if (sf != NULL) {
        for (int d = 0; d < 2; d++) {
            struct sdir *sd = &sf->d[d];
            while (sd->held != NULL && !(f->app_flags & APP_FLOW_STOPPED))
                skip_to_held(se, f, d, &ctx);
            if (sd->fin && SEQ_GT(sd->fin_seq, sd->next_seq) && sd->held == NULL &&
                sd->fin_seq - sd->next_seq < ACK_WINDOW) {
                gap(se, f, d, sd->fin_seq - sd->next_seq, &ctx);
                sd->next_seq = sd->fin_seq;
            }
        }
    }
    if (f->app != NULL && f->app_state != NULL) {
        f->app->free_state(f->app_state, &ctx);
        f->app_state = NULL;
    }
    if (sf != NULL) {
        release_buffers(se, sf);
        sf->next_free = se->flow_free;
        se->flow_free = sf;
        f->stream = NULL;
    }
}

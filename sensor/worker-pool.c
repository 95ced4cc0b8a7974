/* Worker pool: sharding by flow_key_hash in the capture thread, byte rings of
 * copied frames (no malloc per packet), one thread per worker. */
#include "sensor/worker-pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "sensor/decode.h"
#include "sensor/flow.h"
#include "sensor/output-eve.h"

/* Ring records are multiples of REC_ALIGN bytes, so the space left before the
 * end of the buffer is always 0 or room for a header (a wrap marker). */
#define REC_ALIGN 32

enum rec_type { REC_PACKET = 1, REC_TICK, REC_CLOCK, REC_WRAP, REC_STOP, REC_BARRIER };

struct rec {
    uint32_t len; /* whole record, header included, REC_ALIGN multiple */
    uint16_t type;
    int16_t dlt;
    uint32_t caplen, wirelen;
    int64_t ts_us;
    uint64_t pad;
};
_Static_assert(sizeof(struct rec) == REC_ALIGN, "ring record header");

struct pkt_ring {
    uint8_t *buf;
    uint64_t size;                              /* REC_ALIGN multiple */
    _Alignas(64) _Atomic uint64_t head;         /* bytes written (producer) */
    _Alignas(64) _Atomic uint64_t tail;         /* bytes consumed (consumer) */
    _Alignas(64) uint64_t drops, pushed, waits; /* producer's counters */
};

struct pool_worker {
    struct worker_pool *pool;
    struct worker *w;
    struct pkt_ring ring;
    pthread_t thread;
    int started;
    struct access_sink sink; /* locked forwarder to pool->sink */
    int64_t told_us;         /* offline: packet time this worker has been told */
    /* Counters copied by the worker thread at every tick, for stats while
     * the threads run. */
    pthread_mutex_t snap_lock;
    struct worker_counters snap;
};

struct worker_pool {
    int n, lossless, threaded;
    struct pool_worker *pw;
    struct decoder dec; /* the capture thread's, for the shard key only */
    int dec_ok;
    const struct access_sink *sink;
    pthread_mutex_t sink_lock;
    struct eve_out *eve;
    int64_t last_tick_us;
    int64_t max_ts_us; /* newest packet time handed to any worker */
};

/* As worker.c clamps packet times (untrusted files). */
static int64_t clamp_ts(int64_t ts_us)
{
    if (ts_us < 0)
        return 0;
    if (ts_us > (1ll << 52))
        return 1ll << 52;
    return ts_us;
}

/* The worker this thread runs (worker 0: the thread that made the pool). */
static __thread struct worker *current_worker;

struct worker *worker_pool_current(void)
{
    return current_worker;
}

static void nap_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* ---- ring ---- */

static int ring_init(struct pkt_ring *r, uint64_t bytes)
{
    memset(r, 0, sizeof(*r));
    r->size = bytes / REC_ALIGN * REC_ALIGN;
    r->buf = aligned_alloc(64, r->size);
    return r->buf ? 0 : -1;
}

/* Reserves need bytes contiguously; returns the record or NULL when full. */
static struct rec *ring_reserve(struct pkt_ring *r, uint32_t need)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    uint64_t pos = head % r->size, contig = r->size - pos, free = r->size - (head - tail);
    if (contig < need) {
        if (free < contig + need)
            return NULL;
        struct rec *w = (struct rec *)(r->buf + pos);
        w->len = (uint32_t)contig;
        w->type = REC_WRAP;
        atomic_store_explicit(&r->head, head + contig, memory_order_release);
        return (struct rec *)r->buf;
    }
    if (free < need)
        return NULL;
    return (struct rec *)(r->buf + pos);
}

static void ring_commit(struct pkt_ring *r, uint32_t len)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, head + len, memory_order_release);
}

/* Pushes a record; lossless waits for room, else a full ring returns -1. */
static int ring_push(struct pkt_ring *r, int lossless, enum rec_type type, int dlt,
                     const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts_us)
{
    uint32_t need =
        (uint32_t)((sizeof(struct rec) + caplen + REC_ALIGN - 1) / REC_ALIGN * REC_ALIGN);
    if (need > r->size / 2)
        return -1; /* cannot happen with snaplen <= 256 KiB and rings >= 1 MiB */
    struct rec *rec;
    while ((rec = ring_reserve(r, need)) == NULL) {
        if (!lossless)
            return -1;
        r->waits++;
        nap_us(20);
    }
    rec->len = need;
    rec->type = (uint16_t)type;
    rec->dlt = (int16_t)dlt;
    rec->caplen = caplen;
    rec->wirelen = wirelen;
    rec->ts_us = ts_us;
    if (caplen > 0)
        memcpy(rec + 1, data, caplen);
    ring_commit(r, need);
    return 0;
}

/* ---- worker thread ---- */

static void snapshot(struct pool_worker *pw)
{
    struct worker_counters c;
    worker_get_counters(pw->w, &c);
    pthread_mutex_lock(&pw->snap_lock);
    pw->snap = c;
    pthread_mutex_unlock(&pw->snap_lock);
}

/* Waits until every other threaded worker has handled its ring up to the
 * head recorded in heads (one uint64_t per worker, n bytes in all). The
 * frames waited for were all pushed earlier, so the worker whose barrier
 * was pushed first never waits on a later one: no cycle. */
static void barrier_wait(struct pool_worker *self, const uint8_t *heads, uint32_t n)
{
    struct worker_pool *p = self->pool;
    for (int i = 1; i < p->n && (uint32_t)(i + 1) * sizeof(uint64_t) <= n; i++) {
        struct pool_worker *o = &p->pw[i];
        if (o == self)
            continue;
        uint64_t h;
        memcpy(&h, heads + (size_t)i * sizeof(uint64_t), sizeof(h));
        for (int spin = 0; atomic_load_explicit(&o->ring.tail, memory_order_acquire) < h; spin++) {
            if (spin < 64)
                sched_yield();
            else
                nap_us(20);
        }
    }
}

static void *worker_main(void *arg)
{
    struct pool_worker *pw = arg;
    struct pkt_ring *r = &pw->ring;
    current_worker = pw->w;
    int idle = 0;
    for (;;) {
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail == head) {
            /* Spin a little, then sleep: a busy capture refills quickly. */
            if (++idle < 64)
                sched_yield();
            else
                nap_us(idle < 1024 ? 10 : 200);
            continue;
        }
        idle = 0;
        while (tail != head) {
            const struct rec *rec = (const struct rec *)(r->buf + tail % r->size);
            uint32_t len = rec->len;
            switch (rec->type) {
            case REC_PACKET:
                worker_packet(pw->w, rec->dlt, (const uint8_t *)(rec + 1), rec->caplen,
                              rec->wirelen, rec->ts_us);
                break;
            case REC_TICK:
                worker_tick(pw->w, rec->ts_us);
                snapshot(pw);
                break;
            case REC_CLOCK:
                /* Packet time reached by other workers: this worker's flows
                 * expire as they would have with one worker, which ticks
                 * at every packet that advances time. */
                if (rec->ts_us > pw->w->last_ts_us) {
                    pw->w->last_ts_us = rec->ts_us;
                    worker_tick(pw->w, rec->ts_us);
                }
                break;
            case REC_BARRIER:
                /* Offline DNS: what other workers were handed before the
                 * next frame is handled first (payload: their ring heads). */
                barrier_wait(pw, (const uint8_t *)(rec + 1), rec->caplen);
                break;
            case REC_STOP:
                snapshot(pw);
                atomic_store_explicit(&r->tail, tail + len, memory_order_release);
                return NULL;
            default: /* REC_WRAP */
                break;
            }
            tail += len;
            atomic_store_explicit(&r->tail, tail, memory_order_release);
        }
    }
}

static void locked_emit(void *ctx, const struct bw_access *ev)
{
    struct worker_pool *p = ctx;
    pthread_mutex_lock(&p->sink_lock);
    access_emit(p->sink, ev);
    pthread_mutex_unlock(&p->sink_lock);
}

/* ---- pool ---- */

struct worker_pool *worker_pool_new(int n, const struct worker_config *cfg, struct eve_out *eve,
                                    uint64_t ring_bytes, int lossless, struct bw_err *err)
{
    if (n < 1 || n > CAPTURE_MAX_WORKERS) {
        bw_err_set(err, "workers: %d (1 to %d)", n, CAPTURE_MAX_WORKERS);
        return NULL;
    }
    struct worker_pool *p = calloc(1, sizeof(*p));
    if (p == NULL || (p->pw = calloc((size_t)n, sizeof(*p->pw))) == NULL) {
        free(p);
        bw_err_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->sink_lock, NULL);
    p->n = n;
    p->lossless = lossless;
    p->eve = eve;
    p->threaded = n > 1;
    p->max_ts_us = INT64_MIN;
    for (int i = 0; i < n; i++) {
        struct pool_worker *pw = &p->pw[i];
        pw->pool = p;
        pw->told_us = INT64_MIN;
        pthread_mutex_init(&pw->snap_lock, NULL);
        pw->w = worker_new(cfg, eve, err);
        if (pw->w == NULL)
            goto fail;
        if (p->threaded && i > 0 && ring_init(&pw->ring, ring_bytes) != 0) {
            bw_err_set(err, "workers: cannot allocate a %llu-byte ring",
                       (unsigned long long)ring_bytes);
            goto fail;
        }
    }
    current_worker = p->pw[0].w; /* worker 0 runs on this thread */
    if (!p->threaded)
        return p;
    if (decoder_init(&p->dec, &cfg->decode, err) != 0)
        goto fail;
    p->dec_ok = 1;
    for (int i = 1; i < n; i++) { /* worker 0 runs in the capture thread */
        if (pthread_create(&p->pw[i].thread, NULL, worker_main, &p->pw[i]) != 0) {
            bw_err_set(err, "workers: cannot start thread %d", i);
            goto fail;
        }
        p->pw[i].started = 1;
    }
    return p;
fail:
    worker_pool_free(p);
    return NULL;
}

void worker_pool_join(struct worker_pool *p)
{
    if (!p->threaded)
        return;
    for (int i = 0; i < p->n; i++) {
        struct pool_worker *pw = &p->pw[i];
        if (!pw->started)
            continue;
        ring_push(&pw->ring, 1, REC_STOP, 0, NULL, 0, 0, 0);
        pthread_join(pw->thread, NULL);
        pw->started = 0;
    }
    p->threaded = 0; /* from now on the caller's thread drives the workers */
}

void worker_pool_free(struct worker_pool *p)
{
    if (p == NULL)
        return;
    worker_pool_join(p);
    for (int i = 0; i < p->n; i++) {
        if (current_worker == p->pw[i].w)
            current_worker = NULL;
        worker_free(p->pw[i].w);
        free(p->pw[i].ring.buf);
        pthread_mutex_destroy(&p->pw[i].snap_lock);
    }
    if (p->dec_ok)
        decoder_fini(&p->dec);
    pthread_mutex_destroy(&p->sink_lock);
    free(p->pw);
    free(p);
}

void worker_pool_set_access_sink(struct worker_pool *p, const struct access_sink *sink)
{
    p->sink = sink;
    for (int i = 0; i < p->n; i++) {
        if (p->n == 1) {
            worker_set_access_sink(p->pw[i].w, sink); /* one thread: no lock */
            continue;
        }
        p->pw[i].sink.emit = locked_emit;
        p->pw[i].sink.ctx = p;
        worker_set_access_sink(p->pw[i].w, &p->pw[i].sink);
    }
}

void worker_pool_lock(struct worker_pool *p)
{
    pthread_mutex_lock(&p->sink_lock);
}

void worker_pool_unlock(struct worker_pool *p)
{
    pthread_mutex_unlock(&p->sink_lock);
}

/* The worker of a frame: flow_key_hash of its decoded 5-tuple, so both
 * directions meet. IP fragments (and the datagrams they rebuild) carry no
 * ports in every piece: they are sharded by addresses and protocol alone, so
 * that every fragment of a datagram reaches the worker that reassembles it.
 * Frames that are not IP go to worker 0, which counts them. */
static int shard(struct worker_pool *p, int dlt, const uint8_t *data, uint32_t caplen,
                 uint32_t wirelen, int64_t ts_us, int *dns)
{
    struct bw_packet pk;
    *dns = 0;
    int r = decode_packet(&p->dec, dlt, data, caplen, wirelen, ts_us, &pk);
    if (!(pk.flags & PKT_HAS_IP))
        return 0;
    if (pk.flags & (PKT_FRAGMENT | PKT_REASSEMBLED)) {
        pk.sport = pk.dport = 0;
    } else if (r != 1) {
        return 0;
    }
    *dns = pk.sport == 53 || pk.dport == 53;
    struct flow_key k;
    flow_key_from_packet(&pk, &k);
    if (pk.flags & (PKT_FRAGMENT | PKT_REASSEMBLED))
        k.lo_port = k.hi_port = 0;
    return (int)(flow_key_hash(&k) % (uint32_t)p->n);
}

/* Offline, DNS frames (port 53) are handled in capture order across
 * workers: the client's query and the resolver's forwarded copy of it sit on
 * different workers, and which copy is the original is decided by which the
 * DNS payload streams see first (sensor/dns-payload.h). Before a DNS frame,
 * the worker it goes to waits until every other worker has handled what it
 * was handed so far: worker 0 (this thread) at once, a threaded worker
 * through a barrier record carrying the other rings' heads. */
static void dns_order(struct worker_pool *p, struct pool_worker *to)
{
    uint64_t heads[CAPTURE_MAX_WORKERS];
    for (int i = 1; i < p->n; i++)
        heads[i] = atomic_load_explicit(&p->pw[i].ring.head, memory_order_relaxed);
    heads[0] = 0;
    if (to == &p->pw[0]) {
        barrier_wait(to, (const uint8_t *)heads, (uint32_t)(p->n * sizeof(uint64_t)));
        return;
    }
    (void)ring_push(&to->ring, 1, REC_BARRIER, 0, (const uint8_t *)heads,
                    (uint32_t)(p->n * sizeof(uint64_t)), 0, 0);
}

void worker_pool_packet(struct worker_pool *p, int dlt, const uint8_t *data, uint32_t caplen,
                        uint32_t wirelen, int64_t ts_us)
{
    if (!p->threaded) {
        worker_packet(p->pw[0].w, dlt, data, caplen, wirelen, ts_us);
        return;
    }
    int dns;
    struct pool_worker *pw = &p->pw[shard(p, dlt, data, caplen, wirelen, ts_us, &dns)];
    int64_t t = clamp_ts(ts_us);
    if (dns && p->lossless)
        dns_order(p, pw);
    if (pw == &p->pw[0]) {
        /* Worker 0 runs here, in the capture thread: no copy, no ring. */
        if (p->lossless && p->max_ts_us > pw->w->last_ts_us) {
            pw->w->last_ts_us = p->max_ts_us;
            worker_tick(pw->w, p->max_ts_us);
        }
        worker_packet(pw->w, dlt, data, caplen, wirelen, ts_us);
        pw->ring.pushed++;
        if (t > p->max_ts_us)
            p->max_ts_us = t;
        goto ticks;
    }
    if (p->lossless) {
        /* Offline: before its next packet, a worker hears the newest time
         * any packet had, so that the flows it holds end (time out) exactly
         * when a single worker would end them, even when the files' times
         * run backwards. Only when time moved on elsewhere: cheap. */
        if (p->max_ts_us > pw->told_us) {
            ring_push(&pw->ring, 1, REC_CLOCK, 0, NULL, 0, 0, p->max_ts_us);
            pw->told_us = p->max_ts_us;
        }
        if (t > p->max_ts_us)
            p->max_ts_us = t;
        if (t > pw->told_us)
            pw->told_us = t;
    }
    if (ring_push(&pw->ring, p->lossless, REC_PACKET, dlt, data, caplen, wirelen, ts_us) != 0)
        pw->ring.drops++;
    else
        pw->ring.pushed++;
ticks:
    /* The shard decoder's fragment trackers expire on packet time. */
    if (ts_us - p->last_tick_us >= 1000000) {
        decode_tick(&p->dec, ts_us);
        p->last_tick_us = ts_us;
    }
}

void worker_pool_tick(struct worker_pool *p, int64_t now_us)
{
    if (!p->threaded) {
        for (int i = 0; i < p->n; i++)
            worker_tick(p->pw[i].w, now_us);
        return;
    }
    worker_tick(p->pw[0].w, now_us);
    for (int i = 1; i < p->n; i++)
        ring_push(&p->pw[i].ring, 0, REC_TICK, 0, NULL, 0, 0, now_us); /* full: next time */
}

int64_t worker_pool_last_ts(const struct worker_pool *p)
{
    int64_t t = INT64_MIN;
    for (int i = 0; i < p->n; i++)
        if (p->pw[i].w->last_ts_us > t)
            t = p->pw[i].w->last_ts_us;
    return t;
}

void worker_pool_shutdown(struct worker_pool *p, int64_t now_us)
{
    for (int i = 0; i < p->n; i++)
        worker_tick(p->pw[i].w, now_us);
    for (int i = 0; i < p->n; i++)
        worker_shutdown(p->pw[i].w);
}

struct stats_ctx {
    struct worker_pool *p;
    const struct worker_counters *per;
};

static void write_workers(void *ctx, struct bw_json *j)
{
    struct stats_ctx *sc = ctx;
    bw_json_arr_begin(j, "workers");
    for (int i = 0; i < sc->p->n; i++) {
        const struct worker_counters *c = &sc->per[i];
        const struct pkt_ring *r = &sc->p->pw[i].ring;
        bw_json_obj_begin(j, NULL);
        bw_json_int(j, "id", i);
        bw_json_uint(j, "packets", c->work.packets);
        bw_json_uint(j, "ring_drops", r->drops);
        bw_json_uint(j, "ring_waits", r->waits);
        bw_json_uint(j, "flows_created", c->flow.created);
        bw_json_uint(j, "flows_active", c->flow.active);
        bw_json_uint(j, "stream_bytes", c->stream.bytes_delivered);
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
    bw_json_uint(j, "ring_drops", worker_pool_drops(sc->p));
}

void worker_pool_write_stats(struct worker_pool *p, const struct capture_stats *cap, int64_t ts_us)
{
    if (p->n == 1) {
        worker_write_stats(p->pw[0].w, cap, ts_us);
        return;
    }
    struct worker_counters sum, per[CAPTURE_MAX_WORKERS];
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < p->n; i++) {
        struct pool_worker *pw = &p->pw[i];
        if (p->threaded && i > 0) {
            pthread_mutex_lock(&pw->snap_lock);
            per[i] = pw->snap;
            pthread_mutex_unlock(&pw->snap_lock);
        } else {
            worker_get_counters(pw->w, &per[i]);
        }
        worker_counters_add(&sum, &per[i]);
    }
    struct stats_ctx sc = {p, per};
    worker_write_stats_from(p->eve, cap, &sum, ts_us, write_workers, &sc);
}

int worker_pool_count(const struct worker_pool *p)
{
    return p->n;
}

uint64_t worker_pool_drops(const struct worker_pool *p)
{
    uint64_t d = 0;
    for (int i = 0; i < p->n; i++)
        d += p->pw[i].ring.drops;
    return d;
}

struct worker *worker_pool_worker(struct worker_pool *p, int i)
{
    return p->pw[i].w;
}

/* IP fragment reassembly. All memory is allocated when the decoder starts:
 * a tracker array (max_trackers), a hash of tracker chains, and a pool of
 * fixed-size data chunks sized from the memcap. A tracker maps each
 * DEFRAG_CHUNK-sized window of the datagram to a chunk and keeps one coverage
 * bit per 8-byte block (fragment offsets are multiples of 8), so overlaps are
 * detected exactly and the first data received for a block is kept. */
#include "sensor/defrag.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sensor/decode-internal.h"

#define DF_NONE      UINT32_MAX
#define DF_MAX_DGRAM 65535u
#define DF_NPAGES    ((DF_MAX_DGRAM + DEFRAG_CHUNK) / DEFRAG_CHUNK)
#define DF_BLOCKS    (DEFRAG_CHUNK / 8u)
#define DF_MAPBYTES  (DF_BLOCKS / 8u)

struct df_tracker {
    uint32_t hnext;        /* hash chain */
    uint32_t aprev, anext; /* age list (oldest first); free list uses anext */
    uint8_t in_use;
    uint8_t version;
    uint8_t proto; /* IPv4 key part */
    uint8_t have_last;
    uint8_t nh; /* IPv6: next header from the offset-0 fragment */
    uint8_t vlan_n;
    uint16_t vlan[2];
    uint32_t id;
    struct bw_addr src, dst;
    int64_t created_us;
    uint32_t end;       /* datagram payload length, once the last fragment is seen */
    uint32_t max_end;   /* highest fragment end seen */
    uint32_t covered;   /* payload bytes received (without overlaps) */
    uint32_t wirelen;   /* sum of the fragments' wire lengths */
    uint32_t hdr_chunk; /* chunk holding the unfragmentable part, DF_NONE until offset 0 */
    uint32_t hdr_len, nh_off;
    uint32_t pages[DF_NPAGES];
};

struct defrag {
    uint64_t timeout_us;
    uint32_t ntrackers, tused;
    struct df_tracker *t;
    uint32_t free_t;         /* free tracker list head (trackers given back) */
    uint32_t t_fresh;        /* t[t_fresh..ntrackers) never used: taken after the list */
    uint32_t oldest, newest; /* age list */
    uint32_t *buckets;
    uint32_t nbuckets; /* power of two */
    uint32_t nchunks, cused;
    uint8_t *cdata;  /* nchunks * DEFRAG_CHUNK */
    uint8_t *cmap;   /* nchunks * DF_MAPBYTES coverage bits */
    uint32_t *cnext; /* free chunk list */
    uint32_t free_c;
    uint32_t c_fresh; /* chunks [c_fresh, nchunks) never used: taken after the list */
    uint8_t out[DF_MAX_DGRAM + DEFRAG_HDR_MAX];
};

struct defrag *defrag_new(const struct decode_config *cfg, struct bw_err *err)
{
    uint64_t per_chunk = DEFRAG_CHUNK + DF_MAPBYTES + sizeof(uint32_t);
    uint64_t nchunks = cfg->defrag_memcap / per_chunk;
    if (nchunks < 2 || cfg->defrag_max_trackers < 1) {
        bw_err_set(err, "defrag: memcap %llu too small (at least %llu bytes)",
                   (unsigned long long)cfg->defrag_memcap, (unsigned long long)(2 * per_chunk));
        return NULL;
    }
    if (nchunks > UINT32_MAX - 1)
        nchunks = UINT32_MAX - 1;
    struct defrag *df = calloc(1, sizeof(*df));
    if (df == NULL)
        goto oom;
    df->timeout_us = cfg->defrag_timeout_us;
    df->ntrackers = cfg->defrag_max_trackers;
    df->nchunks = (uint32_t)nchunks;
    df->nbuckets = 1;
    while (df->nbuckets < df->ntrackers && df->nbuckets < (1u << 30))
        df->nbuckets <<= 1;
    df->t = calloc(df->ntrackers, sizeof(*df->t));
    df->buckets = malloc((size_t)df->nbuckets * sizeof(*df->buckets));
    df->cdata = malloc((size_t)df->nchunks * DEFRAG_CHUNK);
    df->cmap = calloc(df->nchunks, DF_MAPBYTES);
    df->cnext = malloc((size_t)df->nchunks * sizeof(*df->cnext));
    if (df->t == NULL || df->buckets == NULL || df->cdata == NULL || df->cmap == NULL ||
        df->cnext == NULL)
        goto oom;
    for (uint32_t i = 0; i < df->nbuckets; i++)
        df->buckets[i] = DF_NONE;
    /* Trackers and chunks are handed out in order the first time (t_fresh,
     * c_fresh) instead of being chained here: start-up touches none of them. */
    df->free_t = DF_NONE;
    df->oldest = df->newest = DF_NONE;
    df->free_c = DF_NONE;
    return df;
oom:
    defrag_free(df);
    bw_err_set(err, "defrag: out of memory (memcap %llu, %u trackers)",
               (unsigned long long)cfg->defrag_memcap, cfg->defrag_max_trackers);
    return NULL;
}

void defrag_free(struct defrag *df)
{
    if (df == NULL)
        return;
    free(df->t);
    free(df->buckets);
    free(df->cdata);
    free(df->cmap);
    free(df->cnext);
    free(df);
}

uint32_t defrag_trackers_used(const struct defrag *df)
{
    return df->tused;
}

uint32_t defrag_chunks_used(const struct defrag *df)
{
    return df->cused;
}

static uint32_t df_chunk_get(struct defrag *df)
{
    uint32_t c = df->free_c;
    if (c != DF_NONE)
        df->free_c = df->cnext[c];
    else if (df->c_fresh < df->nchunks)
        c = df->c_fresh++;
    else
        return DF_NONE;
    memset(df->cmap + (size_t)c * DF_MAPBYTES, 0, DF_MAPBYTES);
    df->cused++;
    return c;
}

static void df_chunk_put(struct defrag *df, uint32_t c)
{
    df->cnext[c] = df->free_c;
    df->free_c = c;
    df->cused--;
}

static uint32_t df_hash(const struct bw_packet *p, uint8_t version, uint8_t proto, uint32_t id)
{
    /* FNV-1a over the key; the key is attacker-chosen but the chains are
     * bounded by the tracker count, so a weak hash costs time, not memory. */
    uint32_t h = 2166136261u;
    const uint8_t *parts[2] = {p->src.bytes, p->dst.bytes};
    size_t alen = version == 4 ? 4 : 16;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < alen; i++)
            h = (h ^ parts[k][i]) * 16777619u;
    uint8_t extra[9] = {version,
                        proto,
                        (uint8_t)(id >> 24),
                        (uint8_t)(id >> 16),
                        (uint8_t)(id >> 8),
                        (uint8_t)id,
                        (uint8_t)p->vlan_n,
                        (uint8_t)(p->vlan[0] & 0xff),
                        (uint8_t)(p->vlan[1] & 0xff)};
    for (size_t i = 0; i < sizeof(extra); i++)
        h = (h ^ extra[i]) * 16777619u;
    return h;
}

static int df_key_eq(const struct df_tracker *t, const struct bw_packet *p, uint8_t version,
                     uint8_t proto, uint32_t id)
{
    if (t->version != version || t->id != id || t->vlan_n != p->vlan_n)
        return 0;
    if (version == 4 && t->proto != proto)
        return 0;
    for (uint8_t i = 0; i < p->vlan_n && i < 2; i++)
        if (t->vlan[i] != p->vlan[i])
            return 0;
    return bw_addr_eq(&t->src, &p->src) && bw_addr_eq(&t->dst, &p->dst);
}

/* Returns a tracker's chunks and the tracker itself to the pools (the caller
 * has unlinked it from its hash chain). */
static void df_release(struct defrag *df, uint32_t ti)
{
    struct df_tracker *t = &df->t[ti];
    for (uint32_t i = 0; i < DF_NPAGES; i++)
        if (t->pages[i] != DF_NONE)
            df_chunk_put(df, t->pages[i]);
    if (t->hdr_chunk != DF_NONE)
        df_chunk_put(df, t->hdr_chunk);
    /* Age list. */
    if (t->aprev != DF_NONE)
        df->t[t->aprev].anext = t->anext;
    else
        df->oldest = t->anext;
    if (t->anext != DF_NONE)
        df->t[t->anext].aprev = t->aprev;
    else
        df->newest = t->aprev;
    t->in_use = 0;
    t->anext = df->free_t;
    df->free_t = ti;
    df->tused--;
}

/* Unlinks tracker ti from bucket chain `bucket`. */
static void df_unhash(struct defrag *df, uint32_t bucket, uint32_t ti)
{
    uint32_t *link = &df->buckets[bucket];
    while (*link != DF_NONE) {
        if (*link == ti) {
            *link = df->t[ti].hnext;
            return;
        }
        link = &df->t[*link].hnext;
    }
}

static uint32_t df_bucket_of(const struct defrag *df, const struct df_tracker *t)
{
    struct bw_packet k;
    k.src = t->src;
    k.dst = t->dst;
    k.vlan_n = t->vlan_n;
    k.vlan[0] = t->vlan[0];
    k.vlan[1] = t->vlan[1];
    return df_hash(&k, t->version, t->version == 4 ? t->proto : 0, t->id) & (df->nbuckets - 1);
}

static void df_drop(struct defrag *df, uint32_t ti)
{
    df_unhash(df, df_bucket_of(df, &df->t[ti]), ti);
    df_release(df, ti);
}

void defrag_expire(struct decoder *d, int64_t now_us)
{
    struct defrag *df = d->defrag;
    if (df == NULL)
        return;
    while (df->oldest != DF_NONE) {
        struct df_tracker *t = &df->t[df->oldest];
        if (now_us < t->created_us || (uint64_t)(now_us - t->created_us) <= df->timeout_us)
            break;
        d->stats.events[DEC_FRAG_TIMEOUT]++;
        df_drop(df, df->oldest);
    }
}

static uint32_t df_lookup(struct defrag *df, const struct bw_packet *p, uint8_t version,
                          uint8_t proto, uint32_t id, uint32_t bucket)
{
    for (uint32_t ti = df->buckets[bucket]; ti != DF_NONE; ti = df->t[ti].hnext)
        if (df_key_eq(&df->t[ti], p, version, proto, id))
            return ti;
    return DF_NONE;
}

static uint32_t df_create(struct defrag *df, const struct bw_packet *p, uint8_t version,
                          uint8_t proto, uint32_t id, uint32_t bucket)
{
    uint32_t ti = df->free_t;
    if (ti != DF_NONE)
        df->free_t = df->t[ti].anext;
    else if (df->t_fresh < df->ntrackers)
        ti = df->t_fresh++;
    else
        return DF_NONE;
    struct df_tracker *t = &df->t[ti];
    memset(t, 0, sizeof(*t));
    t->in_use = 1;
    t->version = version;
    t->proto = version == 4 ? proto : 0;
    t->id = id;
    t->src = p->src;
    t->dst = p->dst;
    t->vlan_n = p->vlan_n;
    t->vlan[0] = p->vlan[0];
    t->vlan[1] = p->vlan[1];
    t->created_us = p->ts_us;
    t->hdr_chunk = DF_NONE;
    for (uint32_t i = 0; i < DF_NPAGES; i++)
        t->pages[i] = DF_NONE;
    t->hnext = df->buckets[bucket];
    df->buckets[bucket] = ti;
    t->anext = DF_NONE;
    t->aprev = df->newest;
    if (df->newest != DF_NONE)
        df->t[df->newest].anext = ti;
    else
        df->oldest = ti;
    df->newest = ti;
    df->tused++;
    return ti;
}

/* Builds the datagram of a complete tracker into df->out. Returns its length. */
static uint32_t df_build(struct defrag *df, const struct df_tracker *t)
{
    uint8_t *o = df->out;
    memcpy(o, df->cdata + (size_t)t->hdr_chunk * DEFRAG_CHUNK, t->hdr_len);
    for (uint32_t pos = 0; pos < t->end; pos += DEFRAG_CHUNK) {
        uint32_t n = t->end - pos < DEFRAG_CHUNK ? t->end - pos : DEFRAG_CHUNK;
        memcpy(o + t->hdr_len + pos,
               df->cdata + (size_t)t->pages[pos / DEFRAG_CHUNK] * DEFRAG_CHUNK, n);
    }
    uint32_t len = t->hdr_len + t->end;
    if (t->version == 4) {
        o[2] = (uint8_t)(len >> 8);
        o[3] = (uint8_t)len;
        o[6] = 0;
        o[7] = 0;
        o[10] = 0;
        o[11] = 0;
        uint32_t sum = 0;
        for (uint32_t i = 0; i + 1 < t->hdr_len; i += 2)
            sum += (uint32_t)(o[i] << 8 | o[i + 1]);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        o[10] = (uint8_t)(~sum >> 8);
        o[11] = (uint8_t)~sum;
    } else {
        uint32_t plen = len - 40;
        o[4] = (uint8_t)(plen >> 8);
        o[5] = (uint8_t)plen;
        o[t->nh_off] = t->nh;
    }
    return len;
}

int defrag_add(struct decoder *d, struct bw_packet *p, const struct defrag_frag *f,
               const uint8_t **out, uint32_t *outlen, uint32_t *wirelen)
{
    struct defrag *df = d->defrag;
    if (df == NULL)
        return 0;
    defrag_expire(d, p->ts_us);

    uint32_t fend = f->off + f->len;
    if (f->len == 0 || (f->more && (f->len & 7u) != 0) || f->hdr_len > DEFRAG_HDR_MAX ||
        (f->version == 6 && (f->hdr_len < 40 || f->nh_off >= f->hdr_len)))
        return dec_event(d, p, DEC_FRAG_INVALID);
    if (fend > DF_MAX_DGRAM)
        return dec_event(d, p, DEC_FRAG_TOO_LARGE);

    uint8_t proto = f->version == 4 ? f->proto : 0;
    uint32_t bucket = df_hash(p, f->version, proto, f->id) & (df->nbuckets - 1);
    uint32_t ti = df_lookup(df, p, f->version, proto, f->id, bucket);
    if (ti == DF_NONE) {
        ti = df_create(df, p, f->version, proto, f->id, bucket);
        if (ti == DF_NONE)
            return dec_event(d, p, DEC_FRAG_MEMCAP);
    }
    struct df_tracker *t = &df->t[ti];

    if (t->have_last && fend > t->end)
        return dec_event(d, p, DEC_FRAG_INVALID);
    if (!f->more && ((t->have_last && fend != t->end) || (!t->have_last && t->max_end > fend)))
        return dec_event(d, p, DEC_FRAG_INVALID);
    /* Once the unfragmentable part is known, a datagram that would exceed
     * 65535 bytes can never be valid: drop it whole. */
    uint32_t hlen = t->hdr_chunk != DF_NONE ? t->hdr_len : (f->off == 0 ? f->hdr_len : 0);
    uint32_t maxend = fend > t->max_end ? fend : t->max_end;
    if (hlen != 0 && hlen - (f->version == 6 ? 40u : 0u) + maxend > DF_MAX_DGRAM) {
        dec_event(d, p, DEC_FRAG_TOO_LARGE);
        df_drop(df, ti);
        return 0;
    }

    /* Reserve every chunk this fragment needs first, so a memcap failure
     * leaves the tracker as it was. */
    uint32_t need = (f->off == 0 && t->hdr_chunk == DF_NONE) ? 1 : 0;
    for (uint32_t pg = f->off / DEFRAG_CHUNK; pg <= (fend - 1) / DEFRAG_CHUNK; pg++)
        if (t->pages[pg] == DF_NONE)
            need++;
    if (need > df->nchunks - df->cused)
        return dec_event(d, p, DEC_FRAG_MEMCAP);
    for (uint32_t pg = f->off / DEFRAG_CHUNK; pg <= (fend - 1) / DEFRAG_CHUNK; pg++)
        if (t->pages[pg] == DF_NONE)
            t->pages[pg] = df_chunk_get(df);
    if (f->off == 0 && t->hdr_chunk == DF_NONE) {
        t->hdr_chunk = df_chunk_get(df);
        memcpy(df->cdata + (size_t)t->hdr_chunk * DEFRAG_CHUNK, f->hdr, f->hdr_len);
        t->hdr_len = f->hdr_len;
        t->nh_off = f->nh_off;
        t->nh = f->proto;
    }

    int overlap = 0, different = 0;
    for (uint32_t pos = f->off; pos < fend; pos += 8) {
        uint32_t n = fend - pos < 8 ? fend - pos : 8;
        uint32_t c = t->pages[pos / DEFRAG_CHUNK];
        uint32_t blk = (pos % DEFRAG_CHUNK) / 8;
        uint8_t *map = df->cmap + (size_t)c * DF_MAPBYTES + blk / 8;
        uint8_t bit = (uint8_t)(1u << (blk % 8));
        uint8_t *dst = df->cdata + (size_t)c * DEFRAG_CHUNK + pos % DEFRAG_CHUNK;
        const uint8_t *src = f->data + (pos - f->off);
        if (*map & bit) {
            overlap = 1;
            if (memcmp(dst, src, n) != 0)
                different = 1;
            continue;
        }
        memcpy(dst, src, n);
        *map |= bit;
        t->covered += n;
    }
    if (overlap)
        dec_event(d, p, DEC_FRAG_OVERLAP);
    if (different)
        dec_event(d, p, DEC_FRAG_OVERLAP_DIFFERENT);
    if (fend > t->max_end)
        t->max_end = fend;
    if (!f->more) {
        t->have_last = 1;
        t->end = fend;
    }
    t->wirelen += p->wirelen;

    if (!t->have_last || t->covered != t->end || t->hdr_chunk == DF_NONE)
        return 0;
    *outlen = df_build(df, t);
    *out = df->out;
    *wirelen = t->wirelen;
    df_drop(df, ti);
    return 1;
}

/* PII streaming scan. Hyperscan finds cheap triggers (an '@' between word
 * characters, nine digits, an IBAN head, a passport shape, a name key); each
 * trigger is then extracted from the bytes around it and validated
 * (pii-validate.c). Context words are searched only when a candidate needs
 * them, in the PII_CTX_WINDOW bytes before it, with a second small database:
 * keeping ~50 short literals out of the main scan more than doubles its speed
 * on text without personal data. Streams keep their last bytes; the last
 * PII_RESCAN are scanned again with the next data (vectored mode, no copy of
 * the data), so matches that straddle a boundary are found, and a candidate
 * that reaches the end of the data is decided only when the byte after it is
 * known. */
#include "sensor/pii-internal.h"

#include <emmintrin.h>
#include <string.h>

void pii_stream_init(struct pii_stream *st, const struct pii_scanner *sc)
{
    memset(st, 0, sizeof(*st));
    st->sc = sc;
    st->scratch = (struct pii_scratch *)&sc->own;
}

void pii_stream_use_scratch(struct pii_stream *st, struct pii_scratch *s)
{
    st->scratch = s;
}

void pii_stream_on_match(struct pii_stream *st, pii_match_fn fn, void *ctx)
{
    st->on_match = fn;
    st->on_match_ctx = ctx;
}

void pii_stream_fini(struct pii_stream *st)
{
    memset(st, 0, sizeof(*st));
}

/* Hands the bytes around a trigger ending at combined offset `to` to the
 * extractor of its family. */
static void dispatch(struct pii_stream *st, unsigned id, size_t to)
{
    enum fam fam = id == T_RUN ? FAM_DIGITS : pii_trig_fam[id];
    if (st->base + to <= st->done_end[fam])
        return;
    /* the window around the trigger, copied only when it spans history and data */
    size_t tl = st->rs_len, total = total_len(st);
    size_t lo = to > WIN ? (size_t)to - WIN : 0, hi = to + WIN < total ? (size_t)to + WIN : total;
    uint8_t copy[2 * WIN];
    struct win w = {.off = lo, .n = hi - lo};
    if (lo >= tl) {
        w.p = st->cur + (lo - tl);
    } else if (hi <= tl) {
        w.p = st->rs + lo;
    } else {
        memcpy(copy, st->rs + lo, tl - lo);
        memcpy(copy + (tl - lo), st->cur, hi - tl);
        w.p = copy;
    }
    size_t t = (size_t)to - lo;
    switch (id) {
    case T_EMAIL:
        pii_extract_email(st, &w, t);
        break;
    case T_DIGITS:
        pii_extract_digits(st, &w, t, FAM_PLUS);
        break;
    case T_RUN:
        pii_extract_digits(st, &w, t, FAM_DIGITS);
        break;
    default:
        pii_extract_name(st, &w, t);
        break;
    }
}

static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                 void *ctx)
{
    (void)from;
    (void)flags;
    dispatch(ctx, id, (size_t)to);
    return 0;
}

/* Numbers: every candidate number type holds a run of four digits, so one
 * SSE2 pass marks the ends of four-digit runs and do_digits() takes it from
 * there. Hyperscan tops out near 1.1 GB/s on digit-class patterns over text
 * with many numbers (timestamps, prices, ids); this pass runs at several
 * GB/s (see docs/pii.md). `run` carries the digits seen at the end of the
 * previous segment. */
static void digit_pass_seg(struct pii_stream *st, const uint8_t *p, size_t n, size_t off,
                           unsigned *run)
{
    const __m128i zero = _mm_set1_epi8('0'), bias = _mm_set1_epi8((char)0x80);
    const __m128i lim = _mm_set1_epi8((char)(10 ^ 0x80));
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        /* (c - '0') < 10 unsigned, as a signed compare after flipping the top bit */
        __m128i d = _mm_cmplt_epi8(_mm_xor_si128(_mm_sub_epi8(v, zero), bias), lim);
        uint32_t m = (uint32_t)_mm_movemask_epi8(d);
        if (m == 0) {
            *run = 0;
            continue;
        }
        uint32_t prev = *run >= 3 ? 7u : *run == 2 ? 6u : *run == 1 ? 4u : 0u;
        uint32_t x = m << 3 | prev;
        uint32_t q = x & x >> 1 & x >> 2 & x >> 3 & 0xFFFFu;
        while (q != 0) {
            unsigned k = (unsigned)__builtin_ctz(q);
            size_t to = off + i + k + 1;
            if (st->base + to > st->done_end[FAM_DIGITS])
                dispatch(st, T_RUN, to);
            q &= q - 1;
            /* bit k stands for the run ending at blk + k + 1: drop the bits of
             * a run decided just now */
            uint64_t done = st->done_end[FAM_DIGITS], blk = st->base + off + i;
            if (done > blk)
                q = done - blk >= 16 ? 0 : q & ~((1u << (done - blk)) - 1);
        }
        *run = m == 0xFFFFu ? *run + 16 : (unsigned)__builtin_clz(~m << 16);
    }
    for (; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            if (++*run >= 4)
                dispatch(st, T_RUN, off + i + 1);
        } else {
            *run = 0;
        }
    }
}

static void digit_pass(struct pii_stream *st)
{
    unsigned run = 0;
    digit_pass_seg(st, st->rs, st->rs_len, 0, &run);
    if (st->cur_len > 0)
        digit_pass_seg(st, st->cur, st->cur_len, st->rs_len, &run);
}

static int scan(struct pii_stream *st, const uint8_t *data, size_t len, struct pii_counts *out,
                bool final)
{
    size_t r = st->hist_len < PII_RESCAN ? st->hist_len : PII_RESCAN;
    st->rs = st->hist + st->hist_len - r;
    st->rs_len = r;
    st->base = st->hist_base + st->hist_len - r;
    st->cur = data;
    st->cur_len = len;
    st->out = out;
    st->final = final;
    const char *bufs[2] = {(const char *)st->rs, (const char *)data};
    unsigned lens[2] = {(unsigned)r, (unsigned)len};
    hs_error_t rc = HS_SUCCESS;
    digit_pass(st);
    if (r + len > 0)
        rc = hs_scan_vector(st->sc->db, bufs + (r == 0), lens + (r == 0), (r > 0) + (len > 0), 0,
                            st->scratch->s, on_hs, st);
    /* keep the last PII_HIST bytes of history + data */
    size_t total = st->hist_len + len;
    size_t keep = total < PII_HIST ? total : PII_HIST;
    if (len == 0) {
        /* nothing new: the history stays */
    } else if (len >= keep) {
        memcpy(st->hist, data + len - keep, keep);
    } else {
        size_t from_hist = keep - len;
        memmove(st->hist, st->hist + st->hist_len - from_hist, from_hist);
        memcpy(st->hist + from_hist, data, len);
    }
    st->hist_base += total - keep;
    st->hist_len = (uint32_t)keep;
    st->rs = st->cur = NULL;
    st->rs_len = st->cur_len = 0;
    st->out = NULL;
    return rc == HS_SUCCESS ? 0 : -1;
}

int pii_stream_feed(struct pii_stream *st, const uint8_t *data, size_t len, struct pii_counts *out)
{
    /* hs_scan_vector takes unsigned lengths: feed huge buffers in slices */
    const size_t slice = 1u << 30;
    int rc = 0;
    while (len > slice) {
        rc |= scan(st, data, slice, out, false);
        data += slice;
        len -= slice;
    }
    return rc | scan(st, data, len, out, false);
}

int pii_stream_flush(struct pii_stream *st, struct pii_counts *out)
{
    return scan(st, NULL, 0, out, true);
}

static int ctx_only(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    *(uint32_t *)ctx |= 1u << id;
    return 0;
}

void pii_stream_add_context(struct pii_stream *st, const void *text, size_t len)
{
    uint32_t found = 0;
    if (len > 0 && hs_scan(st->sc->ctx_db, text, (unsigned)(len > 65536 ? 65536 : len), 0,
                           st->scratch->ctx, ctx_only, &found) == HS_SUCCESS)
        st->sticky_ctx |= found;
}

int pii_scan_buf(const struct pii_scanner *sc, struct pii_scratch *scratch, const void *data,
                 size_t len, struct pii_counts *out)
{
    struct pii_stream st;
    pii_stream_init(&st, sc);
    if (scratch)
        pii_stream_use_scratch(&st, scratch);
    int rc = pii_stream_feed(&st, data, len, out);
    rc |= pii_stream_flush(&st, out);
    pii_stream_fini(&st);
    return rc;
}

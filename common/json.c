/* JSON writer. Strings are validated as UTF-8 while escaping: a byte that does
 * not start a well-formed sequence (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF) is written as \u00XX, so output is always valid JSON and the original
 * byte stays recoverable for an analyst. */
#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* What a byte needs inside a JSON string: nothing, a two-character escape
 * (\" \\ \n \r \t), \u00XX (the other control bytes), or UTF-8 validation
 * (bytes >= 0x80: written raw in a well-formed sequence, else as \u00XX). */
enum { ESC_NONE, ESC_SHORT, ESC_HEX, ESC_UTF8 };

static const uint8_t esc_class[256] = {
    [0x00 ... 0x08] = ESC_HEX, ['\t'] = ESC_SHORT, ['\n'] = ESC_SHORT,
    [0x0b ... 0x0c] = ESC_HEX, ['\r'] = ESC_SHORT, [0x0e ... 0x1f] = ESC_HEX,
    ['"'] = ESC_SHORT,         ['\\'] = ESC_SHORT, [0x80 ... 0xff] = ESC_UTF8,
};

void bw_json_init(struct bw_json *j, struct bw_buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

static void json_prefix(struct bw_json *j, const char *key)
{
    int comma = j->need_comma[j->depth];
    j->need_comma[j->depth] = 1;
    if (key == NULL) {
        if (comma)
            bw_buf_putc(j->out, ',');
        return;
    }
    /* Keys are nearly always short literals that need no escaping: copied
     * with the comma and quotes in one reservation. */
    size_t kl = strlen(key);
    struct bw_buf *b = j->out;
    if (bw_buf_reserve(b, kl + 4) != 0)
        return;
    char *w = b->data + b->len;
    if (comma)
        *w++ = ',';
    *w++ = '"';
    size_t i = 0;
    while (i < kl && esc_class[(unsigned char)key[i]] == ESC_NONE) {
        w[i] = key[i];
        i++;
    }
    if (i == kl) {
        w[kl] = '"';
        w[kl + 1] = ':';
        b->len = (size_t)(w - b->data) + kl + 2;
        b->data[b->len] = '\0';
        return;
    }
    b->len = (size_t)(w - b->data);
    bw_json_escape(b, key, kl);
    bw_buf_append(b, "\":", 2);
}

static void json_open(struct bw_json *j, const char *key, char c)
{
    json_prefix(j, key);
    bw_buf_putc(j->out, c);
    if (j->depth + 1 >= BW_JSON_MAX_DEPTH) {
        j->error = 1;
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = 0;
}

static void json_close(struct bw_json *j, char c)
{
    if (j->depth == 0) {
        j->error = 1;
        return;
    }
    j->depth--;
    bw_buf_putc(j->out, c);
}

void bw_json_obj_begin(struct bw_json *j, const char *key)
{
    json_open(j, key, '{');
}

void bw_json_obj_end(struct bw_json *j)
{
    json_close(j, '}');
}

void bw_json_arr_begin(struct bw_json *j, const char *key)
{
    json_open(j, key, '[');
}

void bw_json_arr_end(struct bw_json *j)
{
    json_close(j, ']');
}

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] > 0x9F)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && p[1] > 0x8F)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* 1 when the word holds a byte < 0x20, >= 0x80, '"' or '\\' (exact: the
 * borrow of a byte that matches can flag the next one too, which only sends
 * that word to the byte loop). */
static inline int word_dirty(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) != 0;
}

static inline int word32_dirty(uint32_t x)
{
    const uint32_t ones = 0x01010101u, high = 0x80808080u;
    uint32_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) != 0;
}

#ifdef __SSE2__
/* Bit i set when byte i of the 16 at p needs escaping or validation (one
 * signed compare finds both the control bytes and the bytes >= 0x80). */
static inline unsigned block_dirty(const unsigned char *p)
{
    const __m128i lim = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, lim),
                             _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bsl)));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first byte at or after p that needs escaping or validation, or end.
 * Whole blocks first (16 bytes with SSE2, else 8); the tail is checked as
 * one block that overlaps what is known clean, and only a string with
 * something to escape reaches the byte loop. Never reads outside [p, end). */
static inline __attribute__((always_inline)) const unsigned char *
scan_clean(const unsigned char *p, const unsigned char *end)
{
    size_t n = (size_t)(end - p);
    if (n >= 16) {
#ifdef __SSE2__
        while (end - p >= 16) {
            unsigned bits = block_dirty(p);
            if (bits != 0)
                return p + __builtin_ctz(bits);
            p += 16;
        }
        if (p == end || block_dirty(end - 16) == 0)
            return end;
#else
        uint64_t x;
        while (end - p >= 8) {
            memcpy(&x, p, 8);
            if (word_dirty(x))
                goto bytes;
            p += 8;
        }
        memcpy(&x, end - 8, 8);
        if (p == end || !word_dirty(x))
            return end;
#endif
    } else if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, end - 8, 8);
        if (!word_dirty(x) && !word_dirty(y))
            return end;
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, end - 4, 4);
        if (!word32_dirty(x) && !word32_dirty(y))
            return end;
    }
#ifndef __SSE2__
bytes:
#endif
    while (p < end && esc_class[*p] == ESC_NONE)
        p++;
    return p;
}

/* Copies n <= 16 bytes with at most four moves (the two ends overlap). */
static inline void copy_small(char *d, const void *src, size_t n)
{
    const char *s = src;
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

void bw_json_escape(struct bw_buf *out, const void *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        p = scan_clean(p, end);
        if (p > run)
            bw_buf_append(out, run, (size_t)(p - run));
        if (p == end)
            break;
        unsigned char c = *p;
        switch (esc_class[c]) {
        case ESC_UTF8: {
            size_t l = utf8_seq_len(p, (size_t)(end - p));
            if (l > 0) {
                bw_buf_append(out, p, l);
                p += l;
                continue;
            }
            break;
        }
        case ESC_SHORT: {
            char e2[2] = {'\\', (char)c};
            if (c == '\n')
                e2[1] = 'n';
            else if (c == '\r')
                e2[1] = 'r';
            else if (c == '\t')
                e2[1] = 't';
            bw_buf_append(out, e2, 2);
            p++;
            continue;
        }
        default:
            break;
        }
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        bw_buf_append(out, esc, 6);
        p++;
    }
}

/* The byte-at-a-time escaper the fast one replaced, kept as the reference
 * that the unit and fuzz tests compare it with. */
void bw_json_escape_ref(struct bw_buf *out, const void *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = s;
    size_t i = 0;
    while (i < n) {
        /* Copy the longest run that needs no escaping in one append. */
        size_t start = i;
        while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
            i++;
        if (i > start)
            bw_buf_append(out, p + start, i - start);
        if (i >= n)
            break;
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = utf8_seq_len(p + i, n - i);
            if (l > 0) {
                bw_buf_append(out, p + i, l);
                i += l;
                continue;
            }
        }
        char esc[6];
        switch (c) {
        case '"':
            bw_buf_append(out, "\\\"", 2);
            break;
        case '\\':
            bw_buf_append(out, "\\\\", 2);
            break;
        case '\n':
            bw_buf_append(out, "\\n", 2);
            break;
        case '\r':
            bw_buf_append(out, "\\r", 2);
            break;
        case '\t':
            bw_buf_append(out, "\\t", 2);
            break;
        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            bw_buf_append(out, esc, 6);
            break;
        }
        i++;
    }
}

/* A whole JSON string value, quotes included: the clean prefix (usually all
 * of it) is copied in the same reservation as the quotes. */
static void put_str(struct bw_buf *b, const void *s, size_t n)
{
    const unsigned char *p = s, *end = p + n;
    if (bw_buf_reserve(b, n + 2) != 0)
        return;
    char *w = b->data + b->len;
    *w = '"';
    const unsigned char *q = scan_clean(p, end);
    size_t run = (size_t)(q - p);
    if (run <= 16)
        copy_small(w + 1, p, run);
    else
        memcpy(w + 1, p, run);
    b->len += 1 + run;
    if (q < end) {
        bw_json_escape(b, q, (size_t)(end - q));
        bw_buf_putc(b, '"');
        return;
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
}

void bw_json_strn(struct bw_json *j, const char *key, const void *s, size_t n)
{
    json_prefix(j, key);
    put_str(j->out, s, n);
}

void bw_json_str(struct bw_json *j, const char *key, const char *s)
{
    if (s == NULL) {
        bw_json_null(j, key);
        return;
    }
    bw_json_strn(j, key, s, strlen(s));
}

/* json_prefix for a key known to need no escaping, of known length. */
static void json_kprefix(struct bw_json *j, const char *key, size_t kl)
{
    int comma = j->need_comma[j->depth];
    j->need_comma[j->depth] = 1;
    struct bw_buf *b = j->out;
    if (bw_buf_reserve(b, kl + 4) != 0)
        return;
    char *w = b->data + b->len;
    if (comma)
        *w++ = ',';
    *w++ = '"';
    if (kl <= 16)
        copy_small(w, key, kl);
    else
        memcpy(w, key, kl);
    w[kl] = '"';
    w[kl + 1] = ':';
    b->len = (size_t)(w - b->data) + kl + 2;
    b->data[b->len] = '\0';
}

void bw_json_kstrn(struct bw_json *j, const char *key, size_t klen, const void *s, size_t n)
{
    json_kprefix(j, key, klen);
    put_str(j->out, s, n);
}

void bw_json_kstr(struct bw_json *j, const char *key, size_t klen, const char *s)
{
    if (s == NULL) {
        bw_json_null(j, key);
        return;
    }
    json_kprefix(j, key, klen);
    put_str(j->out, s, strlen(s));
}

/* Decimal digits without printf: integers are most of an event's fields, and
 * vsnprintf twice per number dominated the cost of writing access events. */
static void put_u64(struct bw_buf *out, uint64_t v, int neg)
{
    char b[24];
    size_t i = sizeof(b);
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (neg)
        b[--i] = '-';
    bw_buf_append(out, b + i, sizeof(b) - i);
}

void bw_json_kuint(struct bw_json *j, const char *key, size_t klen, uint64_t v)
{
    json_kprefix(j, key, klen);
    put_u64(j->out, v, 0);
}

void bw_json_kint(struct bw_json *j, const char *key, size_t klen, int64_t v)
{
    json_kprefix(j, key, klen);
    put_u64(j->out, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void bw_json_kobj_begin(struct bw_json *j, const char *key, size_t klen)
{
    json_kprefix(j, key, klen);
    bw_buf_putc(j->out, '{');
    if (j->depth + 1 >= BW_JSON_MAX_DEPTH) {
        j->error = 1;
        return;
    }
    j->depth++;
    j->need_comma[j->depth] = 0;
}

void bw_json_int(struct bw_json *j, const char *key, int64_t v)
{
    json_prefix(j, key);
    put_u64(j->out, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void bw_json_uint(struct bw_json *j, const char *key, uint64_t v)
{
    json_prefix(j, key);
    put_u64(j->out, v, 0);
}

void bw_json_double(struct bw_json *j, const char *key, double v)
{
    if (!isfinite(v)) {
        bw_json_null(j, key);
        return;
    }
    json_prefix(j, key);
    bw_buf_printf(j->out, "%.6g", v);
}

void bw_json_bool(struct bw_json *j, const char *key, bool v)
{
    json_prefix(j, key);
    bw_buf_puts(j->out, v ? "true" : "false");
}

void bw_json_null(struct bw_json *j, const char *key)
{
    json_prefix(j, key);
    bw_buf_puts(j->out, "null");
}

void bw_json_raw(struct bw_json *j, const char *key, const char *json, size_t n)
{
    json_prefix(j, key);
    bw_buf_append(j->out, json, n);
}

int bw_json_finish(const struct bw_json *j)
{
    return (j->error || j->depth != 0 || j->out->oom) ? -1 : 0;
}

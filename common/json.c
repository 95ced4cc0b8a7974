/* JSON writer. Strings are validated as UTF-8 while escaping: a byte that does
 * not start a well-formed sequence (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF) is written as \u00XX, so output is always valid JSON and the original
 * byte stays recoverable for an analyst. */
#include "common/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void bw_json_init(struct bw_json *j, struct bw_buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

static void json_prefix(struct bw_json *j, const char *key)
{
    if (j->depth > 0) {
        if (j->need_comma[j->depth])
            bw_buf_putc(j->out, ',');
        j->need_comma[j->depth] = 1;
    } else if (j->need_comma[0]) {
        bw_buf_putc(j->out, ',');
    } else {
        j->need_comma[0] = 1;
    }
    if (key != NULL) {
        bw_buf_putc(j->out, '"');
        bw_json_escape(j->out, key, strlen(key));
        bw_buf_append(j->out, "\":", 2);
    }
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

void bw_json_escape(struct bw_buf *out, const void *s, size_t n)
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

void bw_json_strn(struct bw_json *j, const char *key, const void *s, size_t n)
{
    json_prefix(j, key);
    bw_buf_putc(j->out, '"');
    bw_json_escape(j->out, s, n);
    bw_buf_putc(j->out, '"');
}

void bw_json_str(struct bw_json *j, const char *key, const char *s)
{
    if (s == NULL) {
        bw_json_null(j, key);
        return;
    }
    bw_json_strn(j, key, s, strlen(s));
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

/* Body classification for the PII scanner: media types and encodings from
 * HTTP headers, and the control-byte sniff of a block's first bytes. */
#include "sensor/body-sniff.h"

#include <ctype.h>
#include <string.h>

/* p[0..n) equals the lower-case literal, ignoring case. */
static int ci_eq(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n != l)
        return 0;
    for (size_t i = 0; i < l; i++)
        if (tolower(p[i]) != lit[i])
            return 0;
    return 1;
}

/* p[0..n) ends with the lower-case literal, ignoring case. */
static int ci_suffix(const uint8_t *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && ci_eq(p + n - l, l, lit);
}

static void trim(const uint8_t **p, size_t *n)
{
    while (*n > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

enum body_kind body_kind_of_type(const uint8_t *v, size_t n)
{
    static const char *const text_types[] = {
        "application/x-www-form-urlencoded",
        "application/javascript",
        "application/ecmascript",
        "application/x-javascript",
        "application/csv",
        "application/x-ndjson",
        "application/graphql",
        "application/sql",
        "application/yaml",
        "application/x-yaml",
        "application/x-sh",
        "message/http",
        NULL,
    };
    if (v == NULL)
        return BODY_SNIFF;
    const uint8_t *semi = memchr(v, ';', n);
    if (semi != NULL)
        n = (size_t)(semi - v);
    trim(&v, &n);
    const uint8_t *slash = memchr(v, '/', n);
    if (slash == NULL)
        return BODY_SNIFF;
    size_t tl = (size_t)(slash - v);
    if (ci_eq(v, tl, "text") || ci_eq(v, tl, "multipart"))
        return BODY_TEXT;
    /* application/json, application/problem+json, text/xml, image/svg+xml ... */
    if (ci_suffix(v, n, "/json") || ci_suffix(v, n, "+json") || ci_suffix(v, n, "/xml") ||
        ci_suffix(v, n, "+xml"))
        return BODY_TEXT;
    for (int i = 0; text_types[i] != NULL; i++)
        if (ci_eq(v, n, text_types[i]))
            return BODY_TEXT;
    return BODY_SNIFF;
}

int body_encoding_compressed(const uint8_t *v, size_t n)
{
    static const char *const packed[] = {"gzip",     "x-gzip",     "deflate", "br",
                                         "compress", "x-compress", "zstd",    NULL};
    while (n > 0) {
        const uint8_t *comma = memchr(v, ',', n);
        size_t l = comma ? (size_t)(comma - v) : n;
        const uint8_t *t = v;
        size_t tl = l;
        trim(&t, &tl);
        for (int i = 0; packed[i] != NULL; i++)
            if (ci_eq(t, tl, packed[i]))
                return 1;
        if (comma == NULL)
            break;
        v = comma + 1;
        n -= l + 1;
    }
    return 0;
}

/* 1 for the bytes no text holds: C0 controls but TAB, LF, VT, FF, CR, ESC; DEL. */
static const uint8_t binary_byte[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1,
    [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1,
    [0x1a] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, [0x7f] = 1,
};

int body_looks_binary(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (binary_byte[p[i]])
            return 1;
    return 0;
}

/* URI folding: identifier path segments become placeholders. */
#include "sensor/uri-fold.h"

#include <ctype.h>
#include <string.h>

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

static int is_uuid(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static int is_long_hex(const char *s, size_t n)
{
    int digit = 0;
    if (n < 16)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return 0;
        digit |= isdigit((unsigned char)s[i]) != 0;
    }
    return digit;
}

/* Long tokens mixing letters and digits (opaque ids, short links). */
static int is_opaque_id(const char *s, size_t n)
{
    int digit = 0, alpha = 0;
    if (n < 20)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c))
            return 0;
        digit |= isdigit(c) != 0;
        alpha |= isalpha(c) != 0;
    }
    return digit && alpha;
}

static void put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
    if (outlen == 0)
        return;
    size_t room = outlen - 1 - *o;
    if (n > room)
        n = room;
    memcpy(out + *o, s, n);
    *o += n;
}

size_t uri_fold(const char *path, size_t len, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    if (outlen == 0)
        return 0;
    /* Absolute URI: drop scheme and authority. */
    if (len > 7 &&
        (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0)) {
        i = path[4] == ':' ? 7 : 8;
        while (i < len && path[i] != '/' && path[i] != '?' && path[i] != '#')
            i++;
    }
    size_t end = i;
    while (end < len && path[end] != '?' && path[end] != '#')
        end++;
    if (i == end) {
        put(out, outlen, &o, "/", 1);
        out[o] = '\0';
        return o;
    }
    while (i < end) {
        if (path[i] == '/') {
            put(out, outlen, &o, "/", 1);
            i++;
            continue;
        }
        size_t s = i;
        while (i < end && path[i] != '/')
            i++;
        const char *seg = path + s;
        size_t n = i - s;
        if (all_digits(seg, n))
            put(out, outlen, &o, "{n}", 3);
        else if (is_uuid(seg, n))
            put(out, outlen, &o, "{uuid}", 6);
        else if (is_long_hex(seg, n))
            put(out, outlen, &o, "{hex}", 5);
        else if (is_opaque_id(seg, n))
            put(out, outlen, &o, "{id}", 4);
        else
            put(out, outlen, &o, seg, n);
    }
    out[o] = '\0';
    return o;
}

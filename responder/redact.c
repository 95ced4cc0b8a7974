/* Redaction of personal data in stored samples (see redact.h). */
#include "responder/redact.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int is_local_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '%' || c == '+' || c == '-';
}

static int is_domain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* Length of an e-mail address ending its local part at s[at] == '@', given
 * the start of the local part; 0 when the domain has no dot. */
static size_t email_end(const char *s, size_t n, size_t at)
{
    size_t e = at + 1, dots = 0;
    while (e < n && is_domain_char((unsigned char)s[e])) {
        dots += s[e] == '.';
        e++;
    }
    while (e > at + 1 && s[e - 1] == '.') {
        e--;
        dots--;
    }
    return (dots > 0 && e > at + 2) ? e : 0;
}

size_t redact_text(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return 0;
    size_t i = 0;
    while (i < n && o + 1 < outlen) {
        unsigned char c = (unsigned char)s[i];
        if (is_local_char(c)) {
            /* A word that may be the local part of an address. */
            size_t j = i;
            while (j < n && is_local_char((unsigned char)s[j]))
                j++;
            size_t end = (j < n && s[j] == '@') ? email_end(s, n, j) : 0;
            if (end != 0) {
                const char *tag = "<email>";
                size_t tl = strlen(tag);
                if (o + tl >= outlen)
                    break;
                memcpy(out + o, tag, tl);
                o += tl;
                i = end;
                continue;
            }
            for (; i < j && o + 1 < outlen; i++)
                out[o++] = (s[i] >= '0' && s[i] <= '9') ? '#' : s[i];
            continue;
        }
        out[o++] = (char)c;
        i++;
    }
    out[o] = '\0';
    return o;
}

static const char *const text_keys[] = {"detail",  "query",     "uri",  "url",  "sample",
                                        "request", "statement", "text", "note", NULL};

static int is_text_key(const char *k)
{
    for (int i = 0; text_keys[i] != NULL; i++)
        if (strcmp(k, text_keys[i]) == 0)
            return 1;
    return 0;
}

static int redact_walk(json_t *v, int depth)
{
    int changed = 0;
    if (depth > 32)
        return 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m)
        {
            if (json_is_string(m) && is_text_key(k)) {
                size_t n = json_string_length(m);
                size_t cap = n * 2 + 16; /* "<email>" may be longer than a.b@c.d */
                char *tmp = malloc(cap);
                if (tmp == NULL)
                    continue;
                size_t o = redact_text(json_string_value(m), n, tmp, cap);
                if (o != n || memcmp(tmp, json_string_value(m), n) != 0) {
                    json_string_setn(m, tmp, o);
                    changed++;
                }
                free(tmp);
            } else {
                changed += redact_walk(m, depth + 1);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) changed += redact_walk(m, depth + 1);
    }
    return changed;
}

int redact_json_tree(void *json_root)
{
    return redact_walk(json_root, 0);
}

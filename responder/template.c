/* The notice template engine (responder/template.h): tokenises a template
 * once (stripping lines that hold only a section tag), then renders the tokens
 * recursively against a stack of JSON contexts. */
#include "responder/template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum tok_type { TOK_TEXT, TOK_VAR, TOK_RAW, TOK_OPEN, TOK_INVERT, TOK_CLOSE };

struct tok {
    enum tok_type type;
    const char *s; /* text, or the tag name (trimmed) */
    size_t n;
    int line;
    size_t match; /* TOK_OPEN/TOK_INVERT: index of the TOK_CLOSE */
};

struct toks {
    struct tok *v;
    size_t n, cap;
};

#define TEMPLATE_MAX_DEPTH 16
#define TEMPLATE_MAX_TOKS  100000

struct render {
    const char *name;
    const struct toks *t;
    const json_t *stack[TEMPLATE_MAX_DEPTH];
    int depth;
    int flags;
    struct bw_buf *out;
    struct bw_err *err;
};

static int toks_add(struct toks *t, enum tok_type type, const char *s, size_t n, int line)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        if (cap > TEMPLATE_MAX_TOKS)
            return -1;
        struct tok *v = realloc(t->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (struct tok){type, s, n, line, 0};
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int count_lines(const char *a, const char *b)
{
    int n = 0;
    for (; a < b; a++)
        n += *a == '\n';
    return n;
}

/* Splits the template into tokens and pairs the section tags. */
static int tokenise(const char *name, const char *tpl, size_t len, struct toks *t,
                    struct bw_err *err)
{
    const char *p = tpl, *end = tpl + len;
    int line = 1;
    size_t open[TEMPLATE_MAX_DEPTH];
    int nopen = 0;
    while (p < end) {
        const char *tag = memmem(p, (size_t)(end - p), "{{", 2);
        if (tag == NULL) {
            if (toks_add(t, TOK_TEXT, p, (size_t)(end - p), line) != 0)
                goto oom;
            break;
        }
        const char *close = memmem(tag + 2, (size_t)(end - tag - 2), "}}", 2);
        int tagline = line + count_lines(p, tag);
        if (close == NULL)
            return bw_err_set(err, "%s:%d: '{{' without '}}'", name, tagline);
        char kind = tag[2];
        const char *ns = tag + 2, *ne = close;
        enum tok_type type = TOK_VAR;
        int comment = 0;
        if (kind == '#' || kind == '^' || kind == '/' || kind == '!') {
            ns++;
            type = kind == '#' ? TOK_OPEN : kind == '^' ? TOK_INVERT : TOK_CLOSE;
            comment = kind == '!';
        } else if (kind == '&') {
            ns++;
            type = TOK_RAW;
        }
        while (ns < ne && is_blank(*ns))
            ns++;
        while (ne > ns && is_blank(ne[-1]))
            ne--;
        if (!comment && ns == ne)
            return bw_err_set(err, "%s:%d: empty tag", name, tagline);
        /* A section or comment tag alone on its line takes the line with it. */
        const char *text_end = tag, *next = close + 2;
        if ((type != TOK_VAR && type != TOK_RAW) || comment) {
            const char *ls = tag;
            while (ls > p && is_blank(ls[-1]))
                ls--;
            const char *le = next;
            while (le < end && is_blank(*le))
                le++;
            int at_line_start = ls == tpl || ls[-1] == '\n';
            if (at_line_start && (le == end || *le == '\n')) {
                text_end = ls;
                next = le < end ? le + 1 : le;
            }
        }
        if (text_end > p && toks_add(t, TOK_TEXT, p, (size_t)(text_end - p), line) != 0)
            goto oom;
        line = tagline + count_lines(tag, next);
        p = next;
        if (comment)
            continue;
        if (toks_add(t, type, ns, (size_t)(ne - ns), tagline) != 0)
            goto oom;
        if (type == TOK_OPEN || type == TOK_INVERT) {
            if (nopen == TEMPLATE_MAX_DEPTH)
                return bw_err_set(err, "%s:%d: sections nested too deep", name, tagline);
            open[nopen++] = t->n - 1;
        } else if (type == TOK_CLOSE) {
            if (nopen == 0)
                return bw_err_set(err, "%s:%d: {{/%.*s}} without an opening tag", name, tagline,
                                  (int)(ne - ns), ns);
            struct tok *o = &t->v[open[--nopen]];
            if (o->n != (size_t)(ne - ns) || memcmp(o->s, ns, o->n) != 0)
                return bw_err_set(err, "%s:%d: {{/%.*s}} closes {{#%.*s}} of line %d", name,
                                  tagline, (int)(ne - ns), ns, (int)o->n, o->s, o->line);
            o->match = t->n - 1;
        }
    }
    if (nopen > 0) {
        struct tok *o = &t->v[open[nopen - 1]];
        return bw_err_set(err, "%s:%d: {{#%.*s}} is never closed", name, o->line, (int)o->n, o->s);
    }
    return 0;
oom:
    return bw_err_set(err, "%s: out of memory", name);
}

/* Resolves a (dotted) name: the first part from the innermost context that
 * has it, the rest by descending. NULL when absent. */
static const json_t *lookup(const struct render *r, const char *s, size_t n)
{
    if (n == 1 && s[0] == '.')
        return r->stack[r->depth - 1];
    const char *dot = memchr(s, '.', n);
    size_t first = dot ? (size_t)(dot - s) : n;
    char key[128];
    if (first >= sizeof(key))
        return NULL;
    memcpy(key, s, first);
    key[first] = '\0';
    const json_t *v = NULL;
    for (int i = r->depth - 1; i >= 0 && v == NULL; i--)
        if (json_is_object(r->stack[i]))
            v = json_object_get(r->stack[i], key);
    while (v != NULL && dot != NULL) {
        const char *part = dot + 1;
        dot = memchr(part, '.', (size_t)(s + n - part));
        size_t pn = dot ? (size_t)(dot - part) : (size_t)(s + n - part);
        if (pn >= sizeof(key))
            return NULL;
        memcpy(key, part, pn);
        key[pn] = '\0';
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
    }
    return v;
}

static int truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return 1;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_TRUE:
        return 1;
    default:
        return 0;
    }
}

void template_html_escape(struct bw_buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        bw_buf_append(out, s + run, i - run);
        bw_buf_puts(out, rep);
        run = i + 1;
    }
    bw_buf_append(out, s + run, n - run);
}

static void put_value(struct render *r, const char *s, size_t n, int raw)
{
    if ((r->flags & TEMPLATE_HTML) && !raw)
        template_html_escape(r->out, s, n);
    else
        bw_buf_append(r->out, s, n);
}

static int render_range(struct render *r, size_t from, size_t to);

static int render_var(struct render *r, const struct tok *k)
{
    int raw = k->type == TOK_RAW;
    const json_t *v = lookup(r, k->s, k->n);
    char num[64];
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        put_value(r, json_string_value(v), json_string_length(v), raw);
        return 0;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        put_value(r, num, strlen(num), raw);
        return 0;
    case JSON_REAL:
        snprintf(num, sizeof(num), "%g", json_real_value(v));
        put_value(r, num, strlen(num), raw);
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        put_value(r, json_is_true(v) ? "yes" : "no", json_is_true(v) ? 3 : 2, raw);
        return 0;
    default:
        break;
    }
    return bw_err_set(r->err, "%s:%d: {{%.*s}} %s", r->name, k->line, (int)k->n, k->s,
                      v ? "is a list or object, not a value" : "is not defined");
}

static int render_section(struct render *r, size_t i)
{
    const struct tok *k = &r->t->v[i];
    const json_t *v = lookup(r, k->s, k->n);
    int yes = v != NULL && truthy(v);
    if (k->type == TOK_INVERT)
        return yes ? 0 : render_range(r, i + 1, k->match);
    if (!yes)
        return 0;
    if (r->depth == TEMPLATE_MAX_DEPTH)
        return bw_err_set(r->err, "%s:%d: sections nested too deep", r->name, k->line);
    if (json_is_array(v)) {
        size_t idx;
        const json_t *item;
        json_array_foreach(v, idx, item)
        {
            r->stack[r->depth++] = item;
            int rc = render_range(r, i + 1, k->match);
            r->depth--;
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    const json_t *ctx = json_is_object(v) || json_is_string(v) ? v : r->stack[r->depth - 1];
    r->stack[r->depth++] = ctx;
    int rc = render_range(r, i + 1, k->match);
    r->depth--;
    return rc;
}

static int render_range(struct render *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const struct tok *k = &r->t->v[i];
        switch (k->type) {
        case TOK_TEXT:
            bw_buf_append(r->out, k->s, k->n);
            break;
        case TOK_VAR:
        case TOK_RAW:
            if (render_var(r, k) != 0)
                return -1;
            break;
        case TOK_OPEN:
        case TOK_INVERT:
            if (render_section(r, i) != 0)
                return -1;
            i = k->match;
            break;
        case TOK_CLOSE:
            break;
        }
    }
    return 0;
}

int template_render(const char *name, const char *tpl, size_t len, const json_t *data, int flags,
                    struct bw_buf *out, struct bw_err *err)
{
    struct toks t = {0};
    int rc = -1;
    if (tokenise(name, tpl, len, &t, err) != 0)
        goto out;
    struct render r = {.name = name, .t = &t, .depth = 1, .flags = flags, .out = out, .err = err};
    r.stack[0] = data;
    if (render_range(&r, 0, t.n) != 0)
        goto out;
    if (out->oom) {
        bw_err_set(err, "%s: out of memory", name);
        goto out;
    }
    rc = 0;
out:
    free(t.v);
    return rc;
}

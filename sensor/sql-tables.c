/* Best-effort SQL table extraction: a small tokenizer that skips strings and
 * comments and picks the names that follow FROM/JOIN/INTO/UPDATE/TABLE/COPY. */
#include "sensor/sql-tables.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum tok_kind { T_END, T_IDENT, T_QIDENT, T_PUNCT, T_OTHER };

struct tok {
    enum tok_kind kind;
    const char *p; /* identifier text (quoted: without quotes, with doubled quotes) */
    size_t n;
    char c; /* punctuation */
};

struct lexer {
    const char *s;
    size_t len, i;
};

static int is_ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static int is_ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skips a string literal starting at the quote at lx->i. Backslash escapes are
 * honoured (MySQL, PostgreSQL E'' strings); a doubled quote is an escape. */
static void skip_string(struct lexer *lx, char q)
{
    lx->i++;
    while (lx->i < lx->len) {
        char c = lx->s[lx->i++];
        if (c == '\\' && lx->i < lx->len)
            lx->i++;
        else if (c == q) {
            if (lx->i < lx->len && lx->s[lx->i] == q)
                lx->i++;
            else
                return;
        }
    }
}

/* PostgreSQL dollar quoting: $tag$ ... $tag$. Returns 1 when one was skipped. */
static int skip_dollar(struct lexer *lx)
{
    size_t j = lx->i + 1;
    while (j < lx->len && (isalnum((unsigned char)lx->s[j]) || lx->s[j] == '_'))
        j++;
    if (j >= lx->len || lx->s[j] != '$')
        return 0;
    size_t taglen = j - lx->i + 1;
    const char *tag = lx->s + lx->i;
    for (size_t k = j + 1; k + taglen <= lx->len; k++) {
        if (lx->s[k] == '$' && memcmp(lx->s + k, tag, taglen) == 0) {
            lx->i = k + taglen;
            return 1;
        }
    }
    lx->i = lx->len;
    return 1;
}

static void next(struct lexer *lx, struct tok *t)
{
    for (;;) {
        while (lx->i < lx->len && isspace((unsigned char)lx->s[lx->i]))
            lx->i++;
        if (lx->i >= lx->len) {
            t->kind = T_END;
            return;
        }
        char c = lx->s[lx->i];
        char c2 = lx->i + 1 < lx->len ? lx->s[lx->i + 1] : '\0';
        if (c == '-' && c2 == '-') {
            while (lx->i < lx->len && lx->s[lx->i] != '\n')
                lx->i++;
            continue;
        }
        if (c == '/' && c2 == '*') {
            lx->i += 2;
            while (lx->i + 1 < lx->len && !(lx->s[lx->i] == '*' && lx->s[lx->i + 1] == '/'))
                lx->i++;
            lx->i = lx->i + 2 < lx->len ? lx->i + 2 : lx->len;
            continue;
        }
        if (c == '\'') {
            skip_string(lx, '\'');
            t->kind = T_OTHER;
            return;
        }
        if (c == '$' && skip_dollar(lx)) {
            t->kind = T_OTHER;
            return;
        }
        if (c == '"' || c == '`') {
            size_t start = ++lx->i;
            while (lx->i < lx->len) {
                if (lx->s[lx->i] == c) {
                    if (lx->i + 1 < lx->len && lx->s[lx->i + 1] == c) {
                        lx->i += 2;
                        continue;
                    }
                    break;
                }
                lx->i++;
            }
            t->kind = T_QIDENT;
            t->p = lx->s + start;
            t->n = lx->i - start;
            t->c = c;
            if (lx->i < lx->len)
                lx->i++;
            return;
        }
        if (is_ident_start((unsigned char)c)) {
            size_t start = lx->i;
            while (lx->i < lx->len && is_ident_char((unsigned char)lx->s[lx->i]))
                lx->i++;
            t->kind = T_IDENT;
            t->p = lx->s + start;
            t->n = lx->i - start;
            return;
        }
        if (c == '.' || c == ',' || c == '(' || c == ')' || c == ';') {
            lx->i++;
            t->kind = T_PUNCT;
            t->c = c;
            return;
        }
        if (isdigit((unsigned char)c)) {
            while (lx->i < lx->len && (isalnum((unsigned char)lx->s[lx->i]) || lx->s[lx->i] == '.'))
                lx->i++;
            t->kind = T_OTHER;
            return;
        }
        lx->i++;
        t->kind = T_OTHER;
        return;
    }
}

static int kw(const struct tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->kind == T_IDENT && t->n == n && strncasecmp(t->p, w, n) == 0;
}

static const char *const alias_stop[] = {
    "where",     "join",   "inner",     "left",      "right",         "full",
    "cross",     "on",     "using",     "group",     "order",         "limit",
    "having",    "union",  "natural",   "offset",    "for",           "window",
    "returning", "set",    "values",    "select",    "lateral",       "tablesample",
    "fetch",     "except", "intersect", "into",      "straight_join", "to",
    "from",      "with",   "outer",     "procedure", "lock",          "partition",
    "force",     "ignore", "use",       NULL,
};

static int is_alias_stop(const struct tok *t)
{
    for (int i = 0; alias_stop[i] != NULL; i++)
        if (kw(t, alias_stop[i]))
            return 1;
    return 0;
}

/* Appends an identifier part to a name being built, folding unquoted ones. */
static void put_part(char *dst, size_t *dn, const struct tok *t)
{
    for (size_t i = 0; i < t->n && *dn + 1 < SQL_TABLE_MAX; i++) {
        char c = t->p[i];
        if (t->kind == T_QIDENT && c == t->c && i + 1 < t->n && t->p[i + 1] == t->c)
            i++;
        dst[(*dn)++] = t->kind == T_IDENT ? (char)tolower((unsigned char)c) : c;
    }
    dst[*dn] = '\0';
}

static void add_name(char out[][SQL_TABLE_MAX], int *n, int max, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(out[i], name) == 0)
            return;
    if (*n < max) {
        snprintf(out[*n], SQL_TABLE_MAX, "%s", name);
        (*n)++;
    }
}

/* Reads a (possibly qualified) name starting at token t. On return t is the
 * token after the name. Returns 1 with parts in `parts` (last one = table). */
static int read_name(struct lexer *lx, struct tok *t, char parts[3][SQL_TABLE_MAX], int *np)
{
    *np = 0;
    while (t->kind == T_IDENT || t->kind == T_QIDENT) {
        size_t dn = 0;
        char tmp[SQL_TABLE_MAX];
        tmp[0] = '\0';
        put_part(tmp, &dn, t);
        if (*np < 3)
            memcpy(parts[(*np)++], tmp, dn + 1);
        else {
            memmove(parts[0], parts[1], sizeof(parts[0]) * 2);
            memcpy(parts[2], tmp, dn + 1);
        }
        next(lx, t);
        if (!(t->kind == T_PUNCT && t->c == '.'))
            return 1;
        next(lx, t);
    }
    return *np > 0;
}

static void emit(char out[][SQL_TABLE_MAX], int *n, int max, char parts[3][SQL_TABLE_MAX], int np,
                 const char *defschema)
{
    char name[SQL_TABLE_MAX];
    if (np >= 2)
        snprintf(name, sizeof(name), "%.63s.%.63s", parts[np - 2], parts[np - 1]);
    else if (defschema != NULL && defschema[0] != '\0')
        snprintf(name, sizeof(name), "%.63s.%.63s", defschema, parts[0]);
    else
        snprintf(name, sizeof(name), "%.127s", parts[0]);
    add_name(out, n, max, name);
}

int sql_tables(const char *sql, size_t len, const char *default_schema, char out[][SQL_TABLE_MAX],
               int max)
{
    struct lexer lx = {.s = sql, .len = len, .i = 0};
    struct tok t, prev = {.kind = T_END};
    int n = 0;
    /* Parentheses opened by functions whose arguments use FROM (EXTRACT(x FROM y)). */
    unsigned fn_from_depth = 0, depth = 0;
    next(&lx, &t);
    while (t.kind != T_END && n < max) {
        if (t.kind == T_PUNCT && t.c == '(') {
            depth++;
            if (depth < 64 && (kw(&prev, "extract") || kw(&prev, "substring") ||
                               kw(&prev, "trim") || kw(&prev, "position") || kw(&prev, "overlay")))
                fn_from_depth |= 1u << (depth & 31);
        } else if (t.kind == T_PUNCT && t.c == ')') {
            if (depth > 0) {
                fn_from_depth &= ~(1u << (depth & 31));
                depth--;
            }
        }
        int is_from = kw(&t, "from"), is_join = kw(&t, "join");
        int takes = is_from || is_join || kw(&t, "into") || kw(&t, "update") || kw(&t, "table") ||
                    kw(&t, "copy");
        if (takes && is_from && (fn_from_depth & (1u << (depth & 31))))
            takes = 0;
        /* "TABLE" also appears in DDL (CREATE TABLE x): still a table name. */
        if (!takes) {
            prev = t;
            next(&lx, &t);
            continue;
        }
        prev = t;
        next(&lx, &t);
        while (kw(&t, "only") || kw(&t, "ignore") || kw(&t, "low_priority") || kw(&t, "if") ||
               kw(&t, "not") || kw(&t, "exists") || kw(&t, "table"))
            next(&lx, &t);
        for (;;) {
            char parts[3][SQL_TABLE_MAX];
            int np;
            if (!(t.kind == T_IDENT || t.kind == T_QIDENT) ||
                (t.kind == T_IDENT && kw(&t, "select")))
                break;
            if (!read_name(&lx, &t, parts, &np))
                break;
            if ((is_from || is_join) && t.kind == T_PUNCT && t.c == '(') {
                /* A set-returning function, not a table: skip its arguments. */
                int d = 0;
                do {
                    if (t.kind == T_PUNCT && t.c == '(')
                        d++;
                    else if (t.kind == T_PUNCT && t.c == ')')
                        d--;
                    next(&lx, &t);
                } while (d > 0 && t.kind != T_END);
            } else {
                emit(out, &n, max, parts, np, default_schema);
            }
            if (!is_from)
                break;
            /* FROM a [AS] x, b ...: skip the alias, continue after a comma. */
            if (kw(&t, "as")) {
                next(&lx, &t);
                next(&lx, &t);
            } else if ((t.kind == T_IDENT && !is_alias_stop(&t)) || t.kind == T_QIDENT) {
                next(&lx, &t);
            }
            if (t.kind == T_PUNCT && t.c == ',') {
                next(&lx, &t);
                continue;
            }
            break;
        }
        prev.kind = T_OTHER;
    }
    return n;
}

/* Table names referenced by a SQL statement, found by a small tokenizer that
 * skips strings and comments and looks at what follows the keywords that
 * introduce a table. Not a SQL parser: good enough to name the dataset. The
 * tokenizer is exported (sql_lex_*) for the records estimator. */
#include "sensor/sql-tables.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* Bounded access: 0 past the end. */
static int at(const struct sql_lex *sc, size_t i)
{
    return i < sc->len ? (unsigned char)sc->s[i] : 0;
}

static int is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Skips spaces and comments. */
static void skip_ws(struct sql_lex *sc)
{
    while (sc->i < sc->len) {
        int c = at(sc, sc->i);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            sc->i++;
        } else if (c == '-' && at(sc, sc->i + 1) == '-') {
            while (sc->i < sc->len && at(sc, sc->i) != '\n')
                sc->i++;
        } else if (c == '#') {
            /* MySQL comment; harmless for PostgreSQL text that has none */
            while (sc->i < sc->len && at(sc, sc->i) != '\n')
                sc->i++;
        } else if (c == '/' && at(sc, sc->i + 1) == '*') {
            sc->i += 2;
            while (sc->i < sc->len && !(at(sc, sc->i) == '*' && at(sc, sc->i + 1) == '/'))
                sc->i++;
            sc->i += 2;
        } else {
            return;
        }
    }
}

static void skip_quoted(struct sql_lex *sc, int q)
{
    sc->i++;
    while (sc->i < sc->len) {
        int c = at(sc, sc->i++);
        if (c == '\\' && q == '\'') {
            sc->i++;
        } else if (c == q) {
            if (at(sc, sc->i) == q)
                sc->i++; /* doubled quote */
            else
                return;
        }
    }
}

/* Word at the cursor compared case-insensitively with `kw`. */
static int word_is(const char *w, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)w[i]) != kw[i])
            return 0;
    return 1;
}

static int in_list(const char *w, size_t n, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (word_is(w, n, list[i]))
            return 1;
    return 0;
}

/* Words that may sit between the keyword and the table name. */
static const char *const noise[] = {"only",          "lateral",      "if",     "not",      "exists",
                                    "table",         "low_priority", "ignore", "delayed",  "quick",
                                    "high_priority", "temporary",    "temp",   "unlogged", NULL};
/* Words that end a table reference (so are not aliases). */
static const char *const stops[] = {"where",
                                    "join",
                                    "on",
                                    "using",
                                    "group",
                                    "order",
                                    "limit",
                                    "union",
                                    "left",
                                    "right",
                                    "inner",
                                    "outer",
                                    "cross",
                                    "natural",
                                    "full",
                                    "set",
                                    "values",
                                    "select",
                                    "having",
                                    "window",
                                    "offset",
                                    "fetch",
                                    "for",
                                    "into",
                                    "returning",
                                    "to",
                                    "from",
                                    "with",
                                    "except",
                                    "intersect",
                                    "straight_join",
                                    "partition",
                                    "default",
                                    "as",
                                    "nowait",
                                    "skip",
                                    "of",
                                    "share",
                                    NULL};

/* Reads one identifier part into out (appending); returns 0 when none. */
static int read_part(struct sql_lex *sc, char *out, size_t cap, size_t *olen, int fold)
{
    int c = at(sc, sc->i);
    if (c == '"' || c == '`') {
        int q = c;
        sc->i++;
        size_t start = *olen;
        while (sc->i < sc->len) {
            c = at(sc, sc->i++);
            if (c == q) {
                if (at(sc, sc->i) == q) {
                    sc->i++;
                } else {
                    break;
                }
            }
            if (*olen + 1 < cap)
                out[(*olen)++] = (char)c;
        }
        out[*olen] = 0;
        return *olen > start;
    }
    if (!is_ident_start(c))
        return 0;
    while (sc->i < sc->len && is_ident(at(sc, sc->i))) {
        c = at(sc, sc->i++);
        if (*olen + 1 < cap)
            out[(*olen)++] = (char)(fold ? lower(c) : c);
    }
    out[*olen] = 0;
    return 1;
}

static void add(struct sql_tables *t, const char *name)
{
    if (name[0] == 0)
        return;
    for (unsigned i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0)
            return;
    if (t->n < SQL_TABLES_MAX) {
        size_t n = strnlen(name, SQL_TABLE_NAME_MAX - 1);
        memcpy(t->name[t->n], name, n);
        t->name[t->n++][n] = 0;
    }
}

/* One table reference after a keyword; returns 1 when one was taken. */
static int table_ref(struct sql_lex *sc, int after_from, const char *schema, int fold,
                     struct sql_tables *out)
{
    for (;;) {
        skip_ws(sc);
        size_t save = sc->i;
        if (!is_ident_start(at(sc, sc->i)))
            break;
        size_t b = sc->i;
        while (sc->i < sc->len && is_ident(at(sc, sc->i)))
            sc->i++;
        if (!in_list(sc->s + b, sc->i - b, noise)) {
            sc->i = save;
            break;
        }
    }
    char a[SQL_TABLE_NAME_MAX], bpart[SQL_TABLE_NAME_MAX];
    size_t al = 0, bl = 0;
    size_t start = sc->i;
    if (!read_part(sc, a, sizeof(a), &al, fold))
        return 0;
    if (at(sc, start) != '"' && at(sc, start) != '`' &&
        in_list(sc->s + start, sc->i - start, stops))
        return 0;
    int qualified = 0;
    /* catalog.schema.table: keep the last two parts. */
    while (at(sc, sc->i) == '.') {
        sc->i++;
        if (qualified) {
            memcpy(a, bpart, sizeof(a));
            al = bl;
        }
        bl = 0;
        if (!read_part(sc, bpart, sizeof(bpart), &bl, fold))
            break;
        qualified = 1;
    }
    size_t after = sc->i;
    skip_ws(sc);
    if (after_from && at(sc, sc->i) == '(') {
        /* A set-returning function such as generate_series(...): not a table,
         * but the FROM list goes on after it. */
        unsigned d = 0;
        while (sc->i < sc->len) {
            int ch = at(sc, sc->i);
            if (ch == '\'' || ch == '"') {
                skip_quoted(sc, ch);
                continue;
            }
            sc->i++;
            if (ch == '(')
                d++;
            else if (ch == ')' && --d == 0)
                break;
        }
        return 2;
    }
    sc->i = after;
    char name[SQL_TABLE_NAME_MAX * 2 + 2];
    if (qualified)
        snprintf(name, sizeof(name), "%s.%s", a, bpart);
    else if (schema != NULL && schema[0])
        snprintf(name, sizeof(name), "%s.%s", schema, a);
    else
        snprintf(name, sizeof(name), "%s", a);
    name[SQL_TABLE_NAME_MAX - 1] = 0;
    add(out, name);
    return 1;
}

/* After a FROM table: an optional alias, then maybe ", next". */
static int list_continues(struct sql_lex *sc)
{
    skip_ws(sc);
    if (at(sc, sc->i) != ',' && is_ident_start(at(sc, sc->i))) {
        size_t b = sc->i;
        while (sc->i < sc->len && is_ident(at(sc, sc->i)))
            sc->i++;
        if (word_is(sc->s + b, sc->i - b, "as")) {
            skip_ws(sc);
            b = sc->i;
            while (sc->i < sc->len && is_ident(at(sc, sc->i)))
                sc->i++;
        } else if (in_list(sc->s + b, sc->i - b, stops)) {
            sc->i = b;
            return 0;
        }
        skip_ws(sc);
    }
    if (at(sc, sc->i) == ',') {
        sc->i++;
        return 1;
    }
    return 0;
}

void sql_lex_init(struct sql_lex *lx, const char *sql, size_t len)
{
    lx->s = sql;
    lx->len = sql != NULL ? len : 0;
    lx->i = 0;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

enum sql_tok_type sql_lex_next(struct sql_lex *lx, struct sql_tok *t)
{
    skip_ws(lx);
    if (lx->i > lx->len)
        lx->i = lx->len; /* an unterminated comment skips past the end */
    size_t b = lx->i;
    t->s = lx->s + b;
    t->n = 0;
    if (b >= lx->len)
        return t->type = SQL_TOK_END;
    int c = at(lx, b);
    if (c == '\'' || c == '"' || c == '`') {
        skip_quoted(lx, c);
        t->type = c == '\'' ? SQL_TOK_STRING : SQL_TOK_QIDENT;
    } else if (c == '$' && at(lx, b + 1) == '$') {
        /* dollar-quoted body: up to the closing $$ */
        lx->i += 2;
        while (lx->i < lx->len && !(at(lx, lx->i) == '$' && at(lx, lx->i + 1) == '$'))
            lx->i++;
        lx->i += 2;
        t->type = SQL_TOK_STRING;
    } else if ((c == '$' && is_digit(at(lx, b + 1))) || c == '?') {
        lx->i++;
        while (lx->i < lx->len && is_digit(at(lx, lx->i)))
            lx->i++;
        t->type = SQL_TOK_PARAM;
    } else if (is_digit(c) || (c == '.' && is_digit(at(lx, b + 1)))) {
        while (lx->i < lx->len && is_digit(at(lx, lx->i)))
            lx->i++;
        if (at(lx, lx->i) == '.' && lx->i < lx->len) {
            lx->i++;
            while (lx->i < lx->len && is_digit(at(lx, lx->i)))
                lx->i++;
        }
        if (lower(at(lx, lx->i)) == 'e' &&
            (is_digit(at(lx, lx->i + 1)) ||
             ((at(lx, lx->i + 1) == '+' || at(lx, lx->i + 1) == '-') &&
              is_digit(at(lx, lx->i + 2))))) {
            lx->i += 2;
            while (lx->i < lx->len && is_digit(at(lx, lx->i)))
                lx->i++;
        }
        t->type = SQL_TOK_NUMBER;
    } else if (is_ident_start(c)) {
        while (lx->i < lx->len && is_ident(at(lx, lx->i)))
            lx->i++;
        t->type = SQL_TOK_WORD;
    } else {
        lx->i++;
        t->type = SQL_TOK_PUNCT;
    }
    if (lx->i > lx->len)
        lx->i = lx->len;
    t->n = lx->i - b;
    return t->type;
}

int sql_tok_is(const struct sql_tok *t, const char *kw)
{
    return t->type == SQL_TOK_WORD && word_is(t->s, t->n, kw);
}

int sql_tok_u64(const struct sql_tok *t, uint64_t *v)
{
    if (t->type != SQL_TOK_NUMBER || t->n == 0 || t->n > 18)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (!is_digit((unsigned char)t->s[i]))
            return -1;
        x = x * 10 + (uint64_t)(t->s[i] - '0');
    }
    *v = x;
    return 0;
}

void sql_tables_extract(const char *sql, size_t len, const char *default_schema, int fold_case,
                        struct sql_tables *out)
{
    memset(out, 0, sizeof(*out));
    if (sql == NULL)
        return;
    struct sql_lex sc;
    struct sql_tok tk;
    sql_lex_init(&sc, sql, len);
    /* FROM inside extract(...), substring(...), trim(...), overlay(...) and
     * position(...) is an argument separator, not a table list: keep one flag
     * per open parenthesis saying whether it belongs to such a function. */
    uint32_t fnparen = 0; /* bit d: parenthesis at depth d opened by such a function */
    unsigned depth = 0;
    const char *last = NULL;
    size_t lastn = 0;
    while (sql_lex_next(&sc, &tk) != SQL_TOK_END) {
        int c = (unsigned char)tk.s[0];
        if (tk.type == SQL_TOK_PUNCT && (c == '(' || c == ')')) {
            if (c == '(') {
                int fn =
                    last && (word_is(last, lastn, "extract") || word_is(last, lastn, "substring") ||
                             word_is(last, lastn, "trim") || word_is(last, lastn, "overlay") ||
                             word_is(last, lastn, "position"));
                if (depth < 32) {
                    fnparen = fn ? fnparen | (1u << depth) : fnparen & ~(1u << depth);
                }
                depth++;
            } else if (depth > 0) {
                depth--;
            }
            last = NULL;
            continue;
        }
        if (tk.type != SQL_TOK_WORD) {
            last = NULL;
            continue;
        }
        const char *w = tk.s;
        size_t n = tk.n;
        last = w;
        lastn = n;
        int in_fn = depth > 0 && depth <= 32 && (fnparen & (1u << (depth - 1)));
        if (word_is(w, n, "from") && in_fn) {
            continue;
        } else if (word_is(w, n, "from")) {
            while (table_ref(&sc, 1, default_schema, fold_case, out) && list_continues(&sc))
                ;
        } else if (word_is(w, n, "join")) {
            table_ref(&sc, 1, default_schema, fold_case, out);
        } else if (word_is(w, n, "into") || word_is(w, n, "update") || word_is(w, n, "copy") ||
                   word_is(w, n, "table") || word_is(w, n, "truncate")) {
            table_ref(&sc, 0, default_schema, fold_case, out);
        }
    }
}

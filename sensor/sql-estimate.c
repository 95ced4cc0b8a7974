/* Statement shapes and the records they read, for logs without row counts:
 * a pass over the tokens of sensor/sql-tables.h at parenthesis depth 0 that
 * notes the clauses (FROM, WHERE, GROUP BY, LIMIT/OFFSET/FETCH), the tables,
 * aggregates and key equalities; then the inventory turns the shape into
 * records. Rules and limits: docs/logs.md ("Records from statements"). */
#include "sensor/sql-estimate.h"

#include <string.h>
#include <strings.h>

#include "sensor/access.h"
#include "sensor/inventory.h"
#include "sensor/sql-tables.h"

enum clause { CL_LIST, CL_FROM, CL_WHERE, CL_GROUP, CL_ORDER, CL_OTHER };

/* Aggregate functions: one row per group, not records of the dataset. */
static const char *const aggregates[] = {"count",
                                         "sum",
                                         "avg",
                                         "min",
                                         "max",
                                         "string_agg",
                                         "array_agg",
                                         "json_agg",
                                         "jsonb_agg",
                                         "bool_and",
                                         "bool_or",
                                         "every",
                                         "bit_and",
                                         "bit_or",
                                         "stddev",
                                         "stddev_pop",
                                         "stddev_samp",
                                         "variance",
                                         "var_pop",
                                         "var_samp",
                                         "group_concat",
                                         "json_object_agg",
                                         "jsonb_object_agg",
                                         "percentile_cont",
                                         "percentile_disc",
                                         "mode",
                                         NULL};

static int tok_in(const struct sql_tok *t, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (sql_tok_is(t, list[i]))
            return 1;
    return 0;
}

static int is_punct(const struct sql_tok *t, char c)
{
    return t->type == SQL_TOK_PUNCT && t->s[0] == c;
}

static int is_literal(const struct sql_tok *t)
{
    return t->type == SQL_TOK_NUMBER || t->type == SQL_TOK_STRING || t->type == SQL_TOK_PARAM;
}

/* The next token without consuming it. */
static enum sql_tok_type peek(const struct sql_lex *lx, struct sql_tok *t)
{
    struct sql_lex c = *lx;
    return sql_lex_next(&c, t);
}

/* A column name from a word or quoted identifier: lower-cased unless quoted. */
static void col_name(const struct sql_tok *t, char *out, size_t cap)
{
    const char *s = t->s;
    size_t n = t->n, o = 0;
    int quoted = t->type == SQL_TOK_QIDENT;
    if (quoted && n >= 2) {
        s++;
        n -= 2;
    }
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char c = s[i];
        out[o++] = (char)(!quoted && c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[o] = '\0';
}

static void add_key(struct sql_shape *sh, const struct sql_tok *col, uint32_t values)
{
    if (sh->nkeys >= SQL_SHAPE_KEYS)
        return;
    col_name(col, sh->key[sh->nkeys].col, sizeof(sh->key[0].col));
    sh->key[sh->nkeys++].values = values;
}

/* After `col IN`: "(" literal ("," literal)* ")" gives the count and moves
 * lx past it; otherwise returns 0 and lx is unchanged. */
static uint32_t in_list(struct sql_lex *lx)
{
    struct sql_lex c = *lx;
    struct sql_tok t;
    uint32_t n = 0;
    if (sql_lex_next(&c, &t) != SQL_TOK_PUNCT || !is_punct(&t, '('))
        return 0;
    for (;;) {
        sql_lex_next(&c, &t);
        if (is_punct(&t, '-'))
            sql_lex_next(&c, &t);
        if (!is_literal(&t) || n == UINT32_MAX)
            return 0;
        n++;
        sql_lex_next(&c, &t);
        if (is_punct(&t, ')'))
            break;
        if (!is_punct(&t, ','))
            return 0;
    }
    *lx = c;
    return n;
}

/* What ends one condition of an AND chain at depth 0. */
static int ends_condition(const struct sql_tok *t)
{
    static const char *const ends[] = {"and",    "order",  "limit", "offset", "fetch",
                                       "group",  "for",    "union", "except", "intersect",
                                       "window", "having", NULL};
    return t->type == SQL_TOK_END || is_punct(t, ';') || tok_in(t, ends);
}

/* The history of depth-0 tokens in WHERE: h[0] the latest. */
#define HIST 6
struct hist {
    struct sql_tok h[HIST];
};

static void hist_push(struct hist *h, const struct sql_tok *t)
{
    memmove(&h->h[1], &h->h[0], (HIST - 1) * sizeof(h->h[0]));
    h->h[0] = *t;
}

/* The history as it was before its latest token. */
static void hist_prev(const struct hist *h, struct hist *out)
{
    memmove(&out->h[0], &h->h[1], (HIST - 1) * sizeof(h->h[0]));
    memset(&out->h[HIST - 1], 0, sizeof(out->h[0]));
}

/* Does the column token h[0] start a condition (after WHERE or AND, maybe
 * qualified as q.col)? */
static int column_starts_condition(const struct hist *h)
{
    const struct sql_tok *c = &h->h[0];
    if (c->type != SQL_TOK_WORD && c->type != SQL_TOK_QIDENT)
        return 0;
    const struct sql_tok *b = &h->h[1];
    if (is_punct(b, '.')) {
        if (h->h[2].type != SQL_TOK_WORD && h->h[2].type != SQL_TOK_QIDENT)
            return 0;
        b = &h->h[3];
    }
    return sql_tok_is(b, "where") || sql_tok_is(b, "and");
}

/* LIMIT n | LIMIT m, n | LIMIT ALL | LIMIT $1. */
static void read_limit(struct sql_lex *lx, struct sql_shape *sh, int *unknown)
{
    struct sql_tok t, u;
    uint64_t a, b;
    sql_lex_next(lx, &t);
    if (sql_tok_is(&t, "all"))
        return;
    if (sql_tok_u64(&t, &a) != 0) {
        *unknown = 1;
        return;
    }
    peek(lx, &u);
    if (is_punct(&u, ',')) {
        /* MySQL: LIMIT offset, count */
        sql_lex_next(lx, &u);
        sql_lex_next(lx, &u);
        if (sql_tok_u64(&u, &b) != 0) {
            *unknown = 1;
            return;
        }
        sh->offset = a;
        a = b;
    }
    sh->has_limit = 1;
    sh->limit = a;
}

/* FETCH FIRST|NEXT [n] ROW|ROWS ONLY (WITH TIES may return more: unknown). */
static void read_fetch(struct sql_lex *lx, struct sql_shape *sh, int *unknown)
{
    struct sql_tok t;
    uint64_t n = 1;
    sql_lex_next(lx, &t);
    if (!sql_tok_is(&t, "first") && !sql_tok_is(&t, "next")) {
        *unknown = 1; /* a cursor FETCH, or something else */
        return;
    }
    sql_lex_next(lx, &t);
    if (t.type == SQL_TOK_NUMBER) {
        if (sql_tok_u64(&t, &n) != 0) {
            *unknown = 1;
            return;
        }
        sql_lex_next(lx, &t);
    } else if (t.type == SQL_TOK_PARAM) {
        *unknown = 1;
        return;
    }
    if (!sql_tok_is(&t, "row") && !sql_tok_is(&t, "rows")) {
        *unknown = 1;
        return;
    }
    sql_lex_next(lx, &t);
    if (!sql_tok_is(&t, "only")) {
        *unknown = 1;
        return;
    }
    sh->has_limit = 1;
    sh->limit = n;
}

/* The rest of a SELECT after its keyword (or of TABLE t, with table_form:
 * the FROM clause already holds one table). */
static enum sql_shape_kind shape_select(struct sql_lex *lx, struct sql_shape *sh, int table_form)
{
    struct sql_tok t, nx;
    struct hist h;
    memset(&h, 0, sizeof(h));
    enum clause cl = table_form ? CL_FROM : CL_LIST;
    unsigned depth = 0, agg_depth = 0;
    int first = 1, distinct = 0, agg = 0, agg_pending = 0, from = table_form, ntab = table_form;
    int expect_table = 0, subq = 0, join = 0, where = 0, where_or = 0, group = 0, setop = 0;
    int into = 0, unknown = 0;
    while (sql_lex_next(lx, &t) != SQL_TOK_END) {
        if (is_punct(&t, '(')) {
            if (depth == 0 && expect_table)
                subq = 1; /* a derived table */
            expect_table = 0;
            depth++;
            continue;
        }
        if (is_punct(&t, ')')) {
            if (depth > 0)
                depth--;
            if (agg_pending && depth == agg_depth) {
                agg_pending = 0;
                /* count(*) OVER (...) is a window function: one row per row */
                if (!(peek(lx, &nx) == SQL_TOK_WORD && sql_tok_is(&nx, "over")))
                    agg = 1;
            }
            continue;
        }
        if (depth > 0) {
            if (sql_tok_is(&t, "select"))
                subq = 1;
            continue;
        }
        if (is_punct(&t, ';'))
            break;
        int was_first = first;
        first = 0;
        if (cl == CL_WHERE)
            hist_push(&h, &t);
        if (t.type == SQL_TOK_WORD) {
            if (sql_tok_is(&t, "distinct") && cl == CL_LIST && was_first) {
                distinct = 1;
            } else if (sql_tok_is(&t, "from") && cl == CL_LIST) {
                cl = CL_FROM;
                from = 1;
                expect_table = 1;
            } else if (sql_tok_is(&t, "into") && cl == CL_LIST) {
                into = 1;
            } else if (sql_tok_is(&t, "where")) {
                cl = CL_WHERE;
                where = 1;
                memset(&h, 0, sizeof(h));
                hist_push(&h, &t);
            } else if (sql_tok_is(&t, "group") || sql_tok_is(&t, "having")) {
                cl = CL_GROUP;
                group = 1;
            } else if (sql_tok_is(&t, "order")) {
                cl = CL_ORDER;
            } else if (sql_tok_is(&t, "window") || sql_tok_is(&t, "for")) {
                cl = CL_OTHER;
            } else if (sql_tok_is(&t, "union") || sql_tok_is(&t, "intersect") ||
                       sql_tok_is(&t, "except")) {
                setop = 1;
                cl = CL_OTHER;
            } else if (sql_tok_is(&t, "select")) {
                cl = CL_LIST; /* the next branch of a set operation */
                first = 1;
            } else if (sql_tok_is(&t, "limit")) {
                read_limit(lx, sh, &unknown);
                cl = CL_OTHER;
            } else if (sql_tok_is(&t, "offset")) {
                sql_lex_next(lx, &t);
                if (sql_tok_u64(&t, &sh->offset) != 0)
                    sh->offset = 0; /* unknown offset: the limit alone bounds */
                cl = CL_OTHER;
            } else if (sql_tok_is(&t, "fetch")) {
                read_fetch(lx, sh, &unknown);
                cl = CL_OTHER;
            } else if (cl == CL_LIST && tok_in(&t, aggregates) && peek(lx, &nx) == SQL_TOK_PUNCT &&
                       is_punct(&nx, '(')) {
                agg_pending = 1;
                agg_depth = 0;
            } else if (cl == CL_FROM) {
                if (sql_tok_is(&t, "join")) {
                    join = 1;
                    expect_table = 1;
                } else if (expect_table && !sql_tok_is(&t, "only") && !sql_tok_is(&t, "lateral")) {
                    ntab++;
                    expect_table = 0;
                }
            } else if (cl == CL_WHERE) {
                if (sql_tok_is(&t, "or") || (sql_tok_is(&t, "not") && !sql_tok_is(&h.h[1], "is"))) {
                    where_or = 1;
                } else if (sql_tok_is(&t, "in") && h.h[1].type != SQL_TOK_END) {
                    /* col IN (v, ...): h[1] is the column */
                    struct hist hc;
                    hist_prev(&h, &hc);
                    uint32_t n = column_starts_condition(&hc) ? in_list(lx) : 0;
                    if (n > 0 && (peek(lx, &nx), ends_condition(&nx)))
                        add_key(sh, &hc.h[0], n);
                }
            }
        } else if (t.type == SQL_TOK_QIDENT && cl == CL_FROM && expect_table) {
            ntab++;
            expect_table = 0;
        } else if (is_punct(&t, ',') && cl == CL_FROM) {
            expect_table = 1;
        } else if (is_punct(&t, '=') && cl == CL_WHERE) {
            /* col = literal, the whole condition */
            struct hist hc;
            hist_prev(&h, &hc);
            struct sql_lex c = *lx;
            struct sql_tok v;
            sql_lex_next(&c, &v);
            if (is_punct(&v, '-'))
                sql_lex_next(&c, &v);
            if (column_starts_condition(&hc) && is_literal(&v) &&
                (peek(&c, &nx), ends_condition(&nx)))
                add_key(sh, &hc.h[0], 1);
        }
    }
    if (!from || into)
        return SQL_SHAPE_NONE; /* no table read; SELECT INTO writes a table */
    if (unknown) {
        sh->has_limit = 0;
        sh->limit = 0;
    }
    if (agg && !setop && (!group || !sh->has_limit))
        return sh->kind = SQL_SHAPE_AGGREGATE;
    sh->kind = SQL_SHAPE_READ;
    sh->single = ntab == 1 && !join && !subq && !setop;
    sh->whole = sh->single && !where && !group && !distinct && !sh->has_limit && !unknown;
    if (!sh->single || where_or || !where)
        sh->nkeys = 0;
    return SQL_SHAPE_READ;
}

/* Skips a parenthesised group whose "(" was just read; returns the index of
 * its ")" or len. */
static size_t skip_group(struct sql_lex *lx)
{
    struct sql_tok t;
    unsigned d = 1;
    while (sql_lex_next(lx, &t) != SQL_TOK_END) {
        if (is_punct(&t, '('))
            d++;
        else if (is_punct(&t, ')') && --d == 0)
            return (size_t)(t.s - lx->s);
    }
    return lx->len;
}

static enum sql_shape_kind shape_stmt(const char *sql, size_t len, struct sql_shape *sh, int nest)
{
    struct sql_lex lx;
    struct sql_tok t;
    sql_lex_init(&lx, sql, len);
    if (nest > 2 || sql_lex_next(&lx, &t) != SQL_TOK_WORD)
        return SQL_SHAPE_NONE;
    if (sql_tok_is(&t, "select"))
        return shape_select(&lx, sh, 0);
    if (sql_tok_is(&t, "with")) {
        /* the common table expressions, then the statement they serve */
        unsigned d = 0;
        while (sql_lex_next(&lx, &t) != SQL_TOK_END) {
            if (is_punct(&t, '('))
                d++;
            else if (is_punct(&t, ')') && d > 0)
                d--;
            else if (d == 0 && sql_tok_is(&t, "select")) {
                /* the tables it reads may be the expressions': only a limit
                 * or an aggregate says something */
                enum sql_shape_kind k = shape_select(&lx, sh, 0);
                sh->single = sh->whole = sh->nkeys = 0;
                return k;
            } else if (d == 0 && t.type == SQL_TOK_WORD &&
                       (sql_tok_is(&t, "insert") || sql_tok_is(&t, "update") ||
                        sql_tok_is(&t, "delete") || sql_tok_is(&t, "merge")))
                return SQL_SHAPE_NONE;
        }
        return SQL_SHAPE_NONE;
    }
    if (sql_tok_is(&t, "table")) {
        /* TABLE [ONLY] name [*]: SELECT * FROM name */
        sql_lex_next(&lx, &t);
        if (sql_tok_is(&t, "only"))
            sql_lex_next(&lx, &t);
        if (t.type != SQL_TOK_WORD && t.type != SQL_TOK_QIDENT)
            return SQL_SHAPE_NONE;
        return shape_select(&lx, sh, 1);
    }
    if (sql_tok_is(&t, "copy")) {
        sql_lex_next(&lx, &t);
        if (is_punct(&t, '(')) {
            size_t b = lx.i, e = skip_group(&lx);
            sql_lex_next(&lx, &t);
            if (!sql_tok_is(&t, "to"))
                return SQL_SHAPE_NONE;
            return shape_stmt(sql + b, e - b, sh, nest + 1);
        }
        if (t.type != SQL_TOK_WORD && t.type != SQL_TOK_QIDENT)
            return SQL_SHAPE_NONE;
        /* name [. name] [(columns)] TO ... */
        while (sql_lex_next(&lx, &t) != SQL_TOK_END) {
            if (is_punct(&t, '.')) {
                sql_lex_next(&lx, &t);
                continue;
            }
            if (is_punct(&t, '(')) {
                skip_group(&lx);
                continue;
            }
            break;
        }
        if (!sql_tok_is(&t, "to"))
            return SQL_SHAPE_NONE; /* COPY .. FROM writes */
        sh->kind = SQL_SHAPE_READ;
        sh->single = sh->whole = 1;
        return SQL_SHAPE_READ;
    }
    if (sql_tok_is(&t, "declare")) {
        /* DECLARE name [options] CURSOR [WITH HOLD] FOR query */
        int cursor = 0;
        while (sql_lex_next(&lx, &t) != SQL_TOK_END) {
            if (sql_tok_is(&t, "cursor"))
                cursor = 1;
            else if (cursor && sql_tok_is(&t, "for"))
                return shape_stmt(sql + lx.i, len - lx.i, sh, nest + 1);
        }
    }
    return SQL_SHAPE_NONE;
}

enum sql_shape_kind sql_shape_read(const char *sql, size_t len, struct sql_shape *sh)
{
    memset(sh, 0, sizeof(*sh));
    if (sql == NULL)
        return SQL_SHAPE_NONE;
    enum sql_shape_kind k = shape_stmt(sql, len, sh, 0);
    if (k == SQL_SHAPE_NONE)
        memset(sh, 0, sizeof(*sh));
    sh->kind = (uint8_t)k;
    return k;
}

enum sql_est_rule sql_estimate(const struct sql_shape *sh, const struct inventory_dataset *d,
                               uint64_t *records)
{
    if (sh->kind == SQL_SHAPE_AGGREGATE) {
        *records = 0;
        return SQL_EST_AGGREGATE;
    }
    if (sh->kind != SQL_SHAPE_READ)
        return SQL_EST_NONE;
    int rows = sh->single && d != NULL && d->rows > 0;
    if (sh->single && d != NULL && d->key[0])
        for (unsigned k = 0; k < sh->nkeys && k < SQL_SHAPE_KEYS; k++)
            if (strcasecmp(sh->key[k].col, d->key) == 0) {
                uint64_t n = sh->key[k].values;
                if (sh->has_limit && sh->limit < n)
                    n = sh->limit;
                if (rows && n > d->rows)
                    n = d->rows;
                *records = n;
                return SQL_EST_KEY;
            }
    if (sh->has_limit) {
        uint64_t n = sh->limit;
        if (rows) {
            uint64_t left = sh->offset < d->rows ? d->rows - sh->offset : 0;
            if (n > left)
                n = left;
        }
        *records = n;
        return SQL_EST_LIMIT;
    }
    if (sh->whole && rows) {
        *records = d->rows;
        return SQL_EST_FULL_TABLE;
    }
    return SQL_EST_NONE;
}

const char *sql_est_rule_name(enum sql_est_rule r)
{
    switch (r) {
    case SQL_EST_AGGREGATE:
        return "aggregate";
    case SQL_EST_KEY:
        return "key";
    case SQL_EST_LIMIT:
        return "limit";
    case SQL_EST_FULL_TABLE:
        return "full-table";
    case SQL_EST_NONE:
        break;
    }
    return NULL;
}

int sql_estimate_apply(const struct inventory *inv, struct bw_access *ev)
{
    if (ev->records_src != ACCESS_REC_NONE || ev->sql.kind == SQL_SHAPE_NONE)
        return 0;
    const struct inventory_dataset *d =
        inv != NULL && ev->dataset[0] ? inventory_find_table(inv, ev->dataset) : NULL;
    uint64_t n = 0;
    enum sql_est_rule r = sql_estimate(&ev->sql, d, &n);
    if (r == SQL_EST_NONE)
        return 0;
    ev->records = n;
    ev->records_src = ACCESS_REC_STATEMENT;
    ev->records_rule = sql_est_rule_name(r);
    return 1;
}

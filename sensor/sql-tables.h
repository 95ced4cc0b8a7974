/* Best-effort table names from SQL text for the pgsql and mysql parsers: the
 * identifiers after FROM, JOIN, INTO, UPDATE, COPY and TABLE, schema-qualified
 * with a default schema when unqualified. Bounded: a fixed number of names.
 * Also the project's one SQL tokenizer (sql_lex_*), which the table extractor
 * and the records estimator (sensor/sql-estimate.h) both read statements with. */
#ifndef BW_SQL_TABLES_H
#define BW_SQL_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define SQL_TABLES_MAX     8
#define SQL_TABLE_NAME_MAX 128

struct sql_tables {
    unsigned n;
    char name[SQL_TABLES_MAX][SQL_TABLE_NAME_MAX]; /* "schema.table" or "table" */
};

/* Scans `len` bytes of SQL text and fills `out` (cleared first) with distinct
 * table names in order of appearance. Unquoted identifiers are lower-cased
 * (`fold_case`, PostgreSQL) or kept (MySQL); quotes ("", ``) are removed.
 * `default_schema` (may be NULL or "") prefixes unqualified names. */
void sql_tables_extract(const char *sql, size_t len, const char *default_schema, int fold_case,
                        struct sql_tables *out);

/* ---- tokenizer ----------------------------------------------------------
 * Splits SQL text into words, numbers, strings, quoted identifiers,
 * parameters and single punctuation bytes, skipping spaces and comments
 * (--, #, slash-star) and dollar-quoted bodies. Never reads past len. */

enum sql_tok_type {
    SQL_TOK_END,    /* no more input */
    SQL_TOK_WORD,   /* keyword or unquoted identifier */
    SQL_TOK_QIDENT, /* "quoted" or `quoted` identifier (s/n include the quotes) */
    SQL_TOK_STRING, /* 'string' (quotes included) or a $$dollar-quoted$$ body */
    SQL_TOK_NUMBER, /* digits, with an optional fraction or exponent */
    SQL_TOK_PARAM,  /* $1 (PostgreSQL), or the MySQL/ODBC ? placeholder */
    SQL_TOK_PUNCT,  /* one byte: ( ) , . ; = * and the rest */
};

struct sql_tok {
    enum sql_tok_type type;
    const char *s; /* into the scanned text */
    size_t n;
};

struct sql_lex {
    const char *s;
    size_t len, i; /* i: the next byte to read */
};

/* Starts scanning len bytes of sql (borrowed for the scanner's lifetime). */
void sql_lex_init(struct sql_lex *lx, const char *sql, size_t len);
/* The next token into t; returns t->type (SQL_TOK_END at the end). */
enum sql_tok_type sql_lex_next(struct sql_lex *lx, struct sql_tok *t);
/* 1 when t is a word equal to the lower-case keyword kw (case-insensitive). */
int sql_tok_is(const struct sql_tok *t, const char *kw);
/* The value of a SQL_TOK_NUMBER made of digits only (at most 18): 0 with *v,
 * else -1. */
int sql_tok_u64(const struct sql_tok *t, uint64_t *v);

#endif

/* Best-effort table names from SQL text for the pgsql and mysql parsers: the
 * identifiers after FROM, JOIN, INTO, UPDATE, COPY and TABLE, schema-qualified
 * with a default schema when unqualified. Bounded: a fixed number of names. */
#ifndef BW_SQL_TABLES_H
#define BW_SQL_TABLES_H

#include <stddef.h>

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

#endif

/* Best-effort table names from an SQL statement (PostgreSQL and MySQL
 * dialects): the names after FROM, JOIN, INTO, UPDATE, TABLE and COPY, with
 * quoted identifiers and schema qualification. Used by the pgsql/mysql packet
 * parsers and the log parsers to name an access event's dataset. */
#ifndef BW_SQL_TABLES_H
#define BW_SQL_TABLES_H

#include <stddef.h>

#define SQL_TABLE_MAX 128

/* Writes up to `max` distinct names into out[], in order of appearance.
 * Unquoted identifiers are folded to lower case; a name without a schema gets
 * `default_schema` (NULL or "" = none) as "schema.table". Strings and comments
 * are skipped; names longer than SQL_TABLE_MAX-1 are cut. Returns the number of
 * names written. Never reads past sql[len]. */
int sql_tables(const char *sql, size_t len, const char *default_schema, char out[][SQL_TABLE_MAX],
               int max);

#endif

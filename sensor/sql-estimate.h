/* Records estimated from a statement's text, for logs that state no row
 * counts (PostgreSQL's stderr, csv and json logs, pgaudit lines without
 * rows). Two steps: the log parser reads the statement's shape from its full
 * text (no inventory needed), then the sensor resolves the shape against the
 * data inventory (rows and key of the dataset). Read with the one SQL
 * tokenizer of sensor/sql-tables.h. Never invents: unknown stays unknown. */
#ifndef BW_SQL_ESTIMATE_H
#define BW_SQL_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

struct bw_access;         /* sensor/access.h */
struct inventory;         /* sensor/inventory.h */
struct inventory_dataset; /* sensor/inventory.h */

#define SQL_SHAPE_KEYS    2
#define SQL_SHAPE_COL_MAX 32

enum sql_shape_kind {
    SQL_SHAPE_NONE = 0,  /* not a read of table rows, or not understood */
    SQL_SHAPE_AGGREGATE, /* aggregate rows (count(*), sum(..) GROUP BY ..): no records */
    SQL_SHAPE_READ,      /* rows of the table(s) named; see the flags */
};

/* What one statement asks for, independent of the inventory. */
struct sql_shape {
    uint8_t kind;      /* enum sql_shape_kind */
    uint8_t single;    /* exactly one table, no join, no subquery */
    uint8_t whole;     /* single, and every row: no WHERE, GROUP BY, DISTINCT, limit */
    uint8_t has_limit; /* limit (LIMIT n, FETCH FIRST n) is stated */
    uint8_t nkeys;
    uint64_t limit, offset;
    struct {
        char col[SQL_SHAPE_COL_MAX]; /* lower-cased column, qualifier dropped */
        uint32_t values;             /* col = v: 1; col IN (v1, .., vk): k */
    } key[SQL_SHAPE_KEYS];           /* equality conditions AND-ed at the top of WHERE */
};

/* Reads the shape of len bytes of SQL into sh (cleared first). Handles
 * SELECT (and WITH .. SELECT), TABLE t, COPY t TO, COPY (query) TO and
 * DECLARE .. CURSOR FOR query; anything else is SQL_SHAPE_NONE. Returns
 * sh->kind. */
enum sql_shape_kind sql_shape_read(const char *sql, size_t len, struct sql_shape *sh);

enum sql_est_rule {
    SQL_EST_NONE,       /* unknown: no estimate */
    SQL_EST_AGGREGATE,  /* 0 records: aggregate rows are no records of the dataset */
    SQL_EST_KEY,        /* equality on the dataset's key: one record per value */
    SQL_EST_LIMIT,      /* at most the limit (capped by rows - offset when known) */
    SQL_EST_FULL_TABLE, /* every row of the table: the dataset's `rows` */
};

/* Records of a shape read from dataset d (NULL when not in the inventory):
 * sets *records and returns the rule, or SQL_EST_NONE (records untouched). */
enum sql_est_rule sql_estimate(const struct sql_shape *sh, const struct inventory_dataset *d,
                               uint64_t *records);
/* "aggregate", "key", "limit", "full-table", or NULL for SQL_EST_NONE. */
const char *sql_est_rule_name(enum sql_est_rule r);

/* For a log access event whose records are unknown (records_src NONE) and
 * whose parser read a statement shape (ev->sql): records from the shape and
 * the dataset of ev->dataset in inv (may be NULL), records_src
 * ACCESS_REC_STATEMENT and records_rule set. Returns 1 when set. */
int sql_estimate_apply(const struct inventory *inv, struct bw_access *ev);

#endif

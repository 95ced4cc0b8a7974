/* The data inventory (config/inventory.yaml): which datasets -- database
 * tables, API endpoint patterns, file shares -- hold which categories of
 * personal data, for about how many people, in which jurisdictions, and
 * whether they are encrypted at rest. Enrichment maps an access event's
 * table or path to a dataset; impact assessment reads the rest. */
#ifndef BW_INVENTORY_H
#define BW_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "sensor/access.h"
#include "sensor/dataclass.h"

#define INVENTORY_MAX_LOC 16 /* tables, endpoints and shares of one dataset, each */
#define INVENTORY_MAX_CAT 16
#define INVENTORY_MAX_JUR 32

struct inventory_share {
    char country[3]; /* ISO 3166-1 alpha-2 */
    double share;    /* of the dataset's subjects, 0..1 */
};

/* How many records one successful response of an endpoint carries, for
 * HTTP access events whose body was not counted (nginx logs, non-JSON or
 * unparsed bodies). First match wins: the query parameter, the fixed number,
 * then bytes / record_bytes. */
struct inventory_records {
    char param[32];        /* query parameter that states the records asked for ("per_page") */
    uint32_t per_response; /* records in one response; 0 = not stated */
    uint32_t record_bytes; /* bytes of one record in the body; 0 = the dataset's */
};

struct inventory_dataset {
    char id[64];
    char description[160];
    char tables[INVENTORY_MAX_LOC][128]; /* schema.table */
    size_t ntables;
    char endpoints[INVENTORY_MAX_LOC][128]; /* "/api/customers/{n}"; {n} digits, {s} any
                                               segment, a final "*" any rest */
    size_t nendpoints;
    struct inventory_records endpoint_records[INVENTORY_MAX_LOC]; /* per endpoint */
    uint32_t record_bytes; /* default bytes of one record for every endpoint; 0 unknown */
    char shares[INVENTORY_MAX_LOC][128]; /* path prefixes: "//fs01/exports" */
    size_t nshares;
    char categories[INVENTORY_MAX_CAT][32];
    size_t ncategories;
    uint64_t subjects; /* approximate number of people */
    uint64_t rows;     /* rows of each of its tables (a whole-table read returns them); 0 unknown */
    char key[64];      /* column that identifies one row ("id"): col = v reads one; "" unknown */
    uint32_t export_record_bytes; /* bytes of one record in a plain (CSV) export; 0 unknown */
    struct inventory_share jur[INVENTORY_MAX_JUR];
    size_t njur;
    bool encrypted_at_rest;
};

struct inventory {
    struct inventory_dataset *ds; /* owned */
    size_t n;
};

/* Loads an inventory file. When classes is not NULL every category must be
 * defined there. Returns 0, or -1 with file:line:col in err; inv is empty
 * then. Free with inventory_fini. */
int inventory_load(struct inventory *inv, const char *path, const struct dataclass_set *classes,
                   struct bw_err *err) BW_WUR;
/* The same from memory; name is used in messages. */
int inventory_load_mem(struct inventory *inv, const char *name, const void *data, size_t len,
                       const struct dataclass_set *classes, struct bw_err *err) BW_WUR;
void inventory_fini(struct inventory *inv);

/* Lookups; each returns a dataset owned by inv, or NULL. */
const struct inventory_dataset *inventory_find(const struct inventory *inv, const char *id);
/* "public.customers" exactly, or an unqualified "customers" against the table
 * part (first dataset in file order); case-insensitive as SQL identifiers. */
const struct inventory_dataset *inventory_find_table(const struct inventory *inv,
                                                     const char *table);
/* Request path, query string ignored, against the endpoint patterns. */
const struct inventory_dataset *inventory_find_endpoint(const struct inventory *inv,
                                                        const char *path);
/* The same, also giving the matched endpoint's records rule (owned by inv). */
const struct inventory_dataset *inventory_find_endpoint_rec(const struct inventory *inv,
                                                            const char *path,
                                                            const struct inventory_records **rec);
/* Records of one HTTP response read from an inventory endpoint: for a 2xx
 * status, records from the endpoint's query parameter (capped at the
 * dataset's subjects when known), its records per response, or body bytes
 * divided by the record size (rounded). `uri` is path + query. Returns
 * ACCESS_REC_INVENTORY or ACCESS_REC_BYTES with *records set, or
 * ACCESS_REC_NONE (records untouched) when the inventory says nothing. */
enum access_records_src inventory_http_records(const struct inventory *inv, const char *uri,
                                               int status, uint64_t bytes, uint64_t *records);
/* Applies inventory_http_records to an access event of an HTTP read (packet
 * or web log) whose records are unknown (records_src NONE); uri from
 * ev->detail. Returns 1 when records were set. */
int inventory_apply_http(const struct inventory *inv, struct bw_access *ev);
/* File path under one of the shares (prefix ending at a '/' boundary). */
const struct inventory_dataset *inventory_find_share(const struct inventory *inv, const char *path);

/* Does one endpoint pattern match a path? (exposed for tests) */
bool inventory_endpoint_match(const char *pattern, const char *path);

#endif

/* The PII scanner as the packet parsers use it: a per-worker pool of distinct
 * estimators handed to a transaction's counts on its first match of a type,
 * a stream wrapper that batches small field values (SQL row cells) before
 * scanning, the `pii:` config section and the JSON form of the counts. */
#ifndef BW_PII_TAP_H
#define BW_PII_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "sensor/pii.h"

struct bw_config;
struct bw_json;

/* Distinct estimators (4 KiB each) for one worker thread. Preallocated;
 * taking and giving back never allocates. Not thread-safe. */
struct pii_pool;

/* Creates a pool of n estimators. Returns NULL with err. */
struct pii_pool *pii_pool_new(size_t n, struct bw_err *err);
/* Accepts NULL. Every estimator must have been given back. */
void pii_pool_free(struct pii_pool *p);
/* Matches that found the pool empty (their type counts stay raw only). */
uint64_t pii_pool_exhausted(const struct pii_pool *p);
/* Estimators currently lent out. */
size_t pii_pool_in_use(const struct pii_pool *p);
/* Gives every type of c that has matches an estimator (when the pool has
 * one) and, when it attached any, clears the matches for a second scan of
 * the same bytes. Returns the estimators attached. */
size_t pii_counts_attach(struct pii_pool *p, struct pii_counts *c);
/* Gives the estimators of c back to the pool and clears its pointers. Call
 * once the counts' access event has been emitted. Accepts NULL pool. */
void pii_counts_release(struct pii_pool *p, struct pii_counts *c);

#define PII_TAP_BUF 1024

/* A pii_stream feeding `out`, with a small batch buffer: callers that hand
 * over many short values (row cells) append them with pii_tap_put, and the
 * scanner sees them in batches, each value followed by a separator so that
 * neighbouring cells never run together. Lives in parser state (no heap). */
struct pii_tap {
    struct pii_stream st;
    struct pii_pool *pool; /* borrowed, may be NULL: raw counts only */
    struct pii_counts *out;
    uint32_t blen;
    uint8_t on;
    uint8_t buf[PII_TAP_BUF];
};

/* Starts scanning into out (zeroed by the caller). scratch NULL means the
 * scanner's own (one thread); pool may be NULL. Ends a tap still open. */
void pii_tap_begin(struct pii_tap *t, const struct pii_scanner *sc, struct pii_scratch *scratch,
                   struct pii_pool *pool, struct pii_counts *out);
/* Context words (column names, a CSV header) that hold for the whole tap. */
void pii_tap_context(struct pii_tap *t, const void *text, size_t len);
/* Appends bytes to the batch (part of the current value). */
void pii_tap_put(struct pii_tap *t, const void *p, size_t n);
/* Ends the current value: appends separator byte sep ('\t' between cells,
 * '\n' between rows). */
void pii_tap_sep(struct pii_tap *t, uint8_t sep);
/* Scans bytes directly (large bodies), after what is batched. */
void pii_tap_feed(struct pii_tap *t, const uint8_t *p, size_t n);
/* A hole in the scanned bytes (a skipped binary block): decides what is
 * pending and starts a fresh stream into the same counts, so bytes on either
 * side of the hole never form one match. No-op when not begun. */
void pii_tap_gap(struct pii_tap *t);
/* Scans the batch, decides pending candidates, ends the stream. The counts
 * stay in out (their estimators are released with pii_counts_release).
 * No-op when not begun. */
void pii_tap_end(struct pii_tap *t);

/* The `pii:` config section. */
struct pii_config {
    int enabled;          /* default 1 */
    size_t distinct_pool; /* estimators per worker, default 256 (1 MiB) */
};
/* Reads `pii:` (may be absent). Returns 0 or -1 with err (file:line:col). */
int pii_config_load(struct pii_config *pc, const struct bw_config *conf, struct bw_err *err) BW_WUR;
/* A scanner keyed with <state_dir>/pii.key (created when absent). Returns
 * NULL with err. */
struct pii_scanner *pii_scanner_for(const struct bw_config *conf, struct bw_err *err);

/* Writes "key": {"matches": {type: n}, "distinct": {type: n}, "records": n}
 * with non-zero types only; distinct only for types with an estimator (the
 * estimate capped at the raw count). Nothing when c is NULL. */
void pii_counts_json(struct bw_json *j, const char *key, const struct pii_counts *c);

#endif

/* On-disk spool for alerts on their way to Redis: an append-only file of
 * lines (<dir>/alerts.spool) and the offset delivered so far (<dir>/alerts.pos,
 * replaced atomically). Entries are delivered in order; an entry is only
 * dropped from the spool after its delivery was confirmed, so a Redis outage
 * or a crash loses nothing (a crash between delivery and commit re-delivers
 * once; output-redis makes that idempotent). */
#ifndef BW_SPOOL_H
#define BW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define SPOOL_LINE_MAX (1u << 20)

struct spool;

/* Opens (creating dir and files) a spool. fsync_each: fsync after every
 * append and commit (else left to the OS). Returns NULL with err. */
struct spool *spool_open(const char *dir, int fsync_each, struct bw_err *err);
/* Closes. Accepts NULL. Undelivered entries stay for the next start. */
void spool_close(struct spool *s);
/* Appends one line (no newline inside; one is added). Returns 0 or -1 (counted). */
int spool_append(struct spool *s, const char *line, size_t len) BW_WUR;
/* The oldest undelivered entry: returns 1 with *line and *len (valid until the
 * next call on s), 0 when the spool is empty, -1 on a read error. */
int spool_peek(struct spool *s, const char **line, size_t *len);
/* Marks the entry returned by the last spool_peek delivered. When everything
 * is delivered the files are truncated. Returns 0 or -1. */
int spool_commit(struct spool *s) BW_WUR;
/* Entries not yet delivered. */
uint64_t spool_pending(const struct spool *s);
/* Appends that failed (disk full, line too long). */
uint64_t spool_errors(const struct spool *s);

#endif

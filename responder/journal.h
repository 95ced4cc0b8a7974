/* The responder's local journal: an append-only file of JSON lines (one
 * forensics operation each), fsynced before anything that depends on it, so
 * timeline entries, state changes and action records survive a Redis outage
 * or a SIGKILL. Each responder holds an exclusive flock on its own file; a
 * file nobody holds is an orphan another responder may replay. */
#ifndef BW_JOURNAL_H
#define BW_JOURNAL_H

#include <stddef.h>

#include "common/err.h"

struct journal;

/* Opens (creating the directory and file) path with an exclusive,
 * non-blocking lock. Returns NULL with err when it cannot, or when another
 * process holds the lock (then *busy = 1 if busy is not NULL). */
struct journal *journal_open(const char *path, int *busy, struct bw_err *err);
/* Closes (the lock goes with it). Accepts NULL. */
void journal_close(struct journal *j);
/* Closes and removes the file (after a replayed orphan). */
void journal_close_unlink(struct journal *j);

/* Appends one line (a '\n' is added; the line must not contain one). Not yet
 * durable: call journal_sync. Returns 0 or -1. */
int journal_append(struct journal *j, const char *line, size_t n)
    __attribute__((warn_unused_result));
/* fsync. Returns 0 or -1. */
int journal_sync(struct journal *j) __attribute__((warn_unused_result));

/* Calls fn for each complete line from the start of the file (a torn last
 * line from a crash is ignored). fn returns 0 to go on, nonzero to stop;
 * journal_replay returns that value, 0 after the last line, -1 on I/O error. */
int journal_replay(struct journal *j, int (*fn)(void *ctx, const char *line, size_t n), void *ctx);
/* Empties the file (after everything in it reached Redis), durably. */
int journal_truncate(struct journal *j) __attribute__((warn_unused_result));
/* Bytes in the file (0 = nothing waiting for Redis). */
long journal_size(const struct journal *j);
const char *journal_path(const struct journal *j);

#endif

/* The log file follower: reads a file (or stdin) line by line, in the manner
 * of `tail -F` in follow mode — surviving rotation by rename, copytruncate, a
 * deleted and recreated file and a file that appears later — or to EOF in
 * one-shot mode. Lines are assembled in a bounded buffer: a line longer than
 * max_line is counted as oversized and skipped without being buffered. Read
 * positions are saved atomically under <state_dir>/positions/ so a restart
 * neither re-reads nor skips a line. Change detection polls with stat(). */
#ifndef BW_LOGTAIL_H
#define BW_LOGTAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define LOGTAIL_MAX_LINE_DEFAULT (64u * 1024)
#define LOGTAIL_READ_CHUNK       (256u * 1024)
#define LOGTAIL_TAIL_HASH_BYTES  64

/* Called with every complete line, without its newline (a trailing '\r' is
 * kept). `line` is borrowed for the call. `off` is the file offset of the
 * line's first byte and `end` the offset after its newline. */
typedef void (*logtail_line_fn)(void *ctx, const char *line, size_t len, int64_t off, int64_t end);

struct logtail_opts {
    int follow;            /* 1: tail -F; 0: read to EOF and stop */
    const char *state_dir; /* positions under <state_dir>/positions/; NULL = none */
    size_t max_line;       /* 0 = LOGTAIL_MAX_LINE_DEFAULT */
    int from_start;        /* follow mode without a saved position: 1 read the existing
                              content, 0 start at the end (like tail -F -n0) */
};

/* One open file: its descriptor, identity and partial line. */
struct logtail_file {
    int fd; /* -1 when closed */
    dev_t dev;
    ino_t ino;
    int64_t base;                       /* file offset of buf[0] */
    size_t len;                         /* bytes held in buf (a partial line) */
    int discarding;                     /* inside an oversized line: skip to the next newline */
    int idle_polls;                     /* polls without data (for a rotated-away file) */
    char last[LOGTAIL_TAIL_HASH_BYTES]; /* last bytes read, to detect a rewrite */
    size_t lastn;
    char *buf; /* max_line + LOGTAIL_READ_CHUNK bytes */
};

struct logtail {
    char path[4096];
    int is_stdin;
    struct logtail_opts opts;
    struct logtail_file cur; /* the file at `path` */
    struct logtail_file old; /* a file rotated away, drained until idle */
    int eof;                 /* one-shot: everything read; stdin: closed */
    int64_t commit;          /* offset up to which lines are fully processed (saved) */
    int64_t pending_commit;  /* set by the line consumer, see logtail_hold */
    int hold;                /* the consumer holds a partial multi-line entry */
    char pos_path[4200];     /* "" when positions are not kept */
    int64_t saved_commit;
    int64_t last_end; /* offset after the last line delivered from cur */
    /* counters */
    uint64_t lines, oversized, rotations, truncations, reopen_errors, bytes;
    int missing;      /* path does not exist (yet) */
    int64_t mtime_us; /* modification time at open (reference for year-less dates) */
};

/* Opens `path` ("-" = stdin). A missing file is not an error in follow mode
 * (it is opened when it appears). A saved position is resumed when the file
 * is the same one (inode and the hash of the bytes before the position), else
 * the file is read from its start. Returns 0 or -1 with err. */
int logtail_open(struct logtail *t, const char *path, const struct logtail_opts *o,
                 struct bw_err *err) BW_WUR;
/* Saves the position and closes. Accepts a never-opened (zeroed) logtail. */
void logtail_close(struct logtail *t);

/* Reads what is available, calling fn per line; in follow mode also detects
 * rotation, truncation and recreation. Returns the number of lines delivered
 * (0 = nothing new) or -1 on a read error (counted; the follower retries). In
 * one-shot mode sets t->eof when the file is finished (a last line without
 * newline is delivered). */
int logtail_poll(struct logtail *t, logtail_line_fn fn, void *ctx);

/* For multi-line entries: the consumer says that the entry it is assembling
 * began at `off`, so a saved position does not skip it (hold = 1), or that it
 * holds nothing (hold = 0). Call from the line callback. */
void logtail_hold(struct logtail *t, int hold, int64_t off);

/* Releases a hold after the consumer completed its entry outside a line
 * callback (idle flush): the position moves to the last delivered line. */
void logtail_release(struct logtail *t);

/* Writes the position file now (temp file + rename). Returns 0 or -1. */
int logtail_save(struct logtail *t);

/* Name of the position file for a path: <state_dir>/positions/<fnv64 hex>. */
void logtail_pos_path(const char *state_dir, const char *path, char *out, size_t outlen);

#endif

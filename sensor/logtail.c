/* The log file follower: bounded line assembly, rotation detection by stat()
 * polling, and saved read positions. */
#include "sensor/logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

/* A rotated-away file is drained for this many polls without data before it
 * is closed: a writer may still append to it until it reopens its log. */
#define LOGTAIL_OLD_IDLE_POLLS 8

static uint64_t fnv64(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

void logtail_pos_path(const char *state_dir, const char *path, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/positions/%016" PRIx64, state_dir, fnv64(path, strlen(path)));
}

static int file_init(struct logtail_file *f, size_t max_line)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->buf = malloc(max_line + LOGTAIL_READ_CHUNK);
    return f->buf == NULL ? -1 : 0;
}

static void file_fini(struct logtail_file *f)
{
    if (f->fd >= 0 && f->fd != 0)
        close(f->fd);
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
}

/* Hash of the `n` bytes before `off` in fd, or 0 when they can't be read. */
static uint64_t hash_before(int fd, int64_t off, size_t *n_out)
{
    char b[LOGTAIL_TAIL_HASH_BYTES];
    size_t n = off < (int64_t)sizeof(b) ? (size_t)off : sizeof(b);
    *n_out = n;
    if (n == 0)
        return 0;
    ssize_t r = pread(fd, b, n, off - (int64_t)n);
    if (r != (ssize_t)n)
        return 0;
    return fnv64(b, n);
}

int logtail_save(struct logtail *t)
{
    if (t->pos_path[0] == '\0' || t->cur.fd < 0)
        return 0;
    size_t n;
    uint64_t h = hash_before(t->cur.fd, t->commit, &n);
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", t->pos_path);
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL)
        return -1;
    fprintf(fp, "bwpos1 %" PRIu64 " %" PRIu64 " %" PRId64 " %zu %016" PRIx64 "\n",
            (uint64_t)t->cur.dev, (uint64_t)t->cur.ino, t->commit, n, h);
    fprintf(fp, "%s\n", t->path);
    int bad = ferror(fp);
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0)
        bad = 1;
    if (fclose(fp) != 0)
        bad = 1;
    if (bad || rename(tmp, t->pos_path) != 0) {
        unlink(tmp);
        return -1;
    }
    t->saved_commit = t->commit;
    return 0;
}

/* Reads a saved position and returns the offset to resume at in fd (0 when
 * the saved one does not belong to this file). */
static int64_t resume_offset(struct logtail *t, const struct stat *st)
{
    FILE *fp = fopen(t->pos_path, "r");
    if (fp == NULL)
        return 0;
    uint64_t dev, ino, h;
    int64_t off;
    size_t n;
    int got = fscanf(fp, "bwpos1 %" SCNu64 " %" SCNu64 " %" SCNd64 " %zu %" SCNx64, &dev, &ino,
                     &off, &n, &h);
    fclose(fp);
    if (got != 5 || off < 0 || off > st->st_size)
        return 0;
    size_t n2;
    uint64_t h2 = hash_before(t->cur.fd, off, &n2);
    if (n2 != n || h2 != h) {
        bw_info("logs: %s: saved position does not match the file (replaced): reading from "
                "the start",
                t->path);
        return 0;
    }
    if (dev != (uint64_t)st->st_dev || ino != (uint64_t)st->st_ino)
        bw_info("logs: %s: new inode but same content at the saved position: resuming", t->path);
    return off;
}

/* Opens the file at t->path as cur, positioned at `off` (or the saved position
 * when `use_saved`). Returns 0, or -1 (missing or unreadable). */
static int open_cur(struct logtail *t, int use_saved, int at_end)
{
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        t->missing = 1;
        if (errno != ENOENT)
            t->reopen_errors++;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        t->reopen_errors++;
        return -1;
    }
    t->missing = 0;
    t->cur.fd = fd;
    t->cur.dev = st.st_dev;
    t->cur.ino = st.st_ino;
    t->cur.len = 0;
    t->cur.discarding = 0;
    t->cur.idle_polls = 0;
    t->cur.lastn = 0;
    t->mtime_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
    int64_t off = 0;
    if (use_saved && t->pos_path[0] != '\0')
        off = resume_offset(t, &st);
    if (off == 0 && at_end)
        off = st.st_size;
    if (off > 0 && lseek(fd, off, SEEK_SET) != off)
        off = 0;
    if (off > 0) {
        size_t n = off < LOGTAIL_TAIL_HASH_BYTES ? (size_t)off : LOGTAIL_TAIL_HASH_BYTES;
        if (pread(fd, t->cur.last, n, off - (int64_t)n) == (ssize_t)n)
            t->cur.lastn = n;
    }
    t->cur.base = off;
    t->commit = off;
    t->last_end = off;
    t->hold = 0;
    return 0;
}

int logtail_open(struct logtail *t, const char *path, const struct logtail_opts *o,
                 struct bw_err *err)
{
    memset(t, 0, sizeof(*t));
    t->cur.fd = t->old.fd = -1;
    if (strlen(path) >= sizeof(t->path))
        return bw_err_set(err, "log path too long");
    snprintf(t->path, sizeof(t->path), "%s", path);
    t->opts = *o;
    if (t->opts.max_line == 0)
        t->opts.max_line = LOGTAIL_MAX_LINE_DEFAULT;
    if (t->opts.max_line < 256)
        t->opts.max_line = 256;
    if (file_init(&t->cur, t->opts.max_line) != 0 || file_init(&t->old, t->opts.max_line) != 0) {
        logtail_close(t);
        return bw_err_set(err, "out of memory");
    }
    if (strcmp(path, "-") == 0) {
        t->is_stdin = 1;
        t->cur.fd = 0;
        return 0;
    }
    if (t->opts.follow && t->opts.state_dir != NULL && t->opts.state_dir[0] != '\0') {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/positions", t->opts.state_dir);
        if (mkdir(t->opts.state_dir, 0750) != 0 && errno != EEXIST) {
            int e = errno;
            logtail_close(t);
            return bw_err_set(err, "%s: %s", t->opts.state_dir, strerror(e));
        }
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            int e = errno;
            logtail_close(t);
            return bw_err_set(err, "%s: %s", dir, strerror(e));
        }
        logtail_pos_path(t->opts.state_dir, path, t->pos_path, sizeof(t->pos_path));
    }
    if (open_cur(t, 1, t->opts.follow && !t->opts.from_start) != 0 && !t->opts.follow) {
        int e = errno;
        logtail_close(t);
        return bw_err_set(err, "%s: %s", path, strerror(e));
    }
    return 0;
}

void logtail_close(struct logtail *t)
{
    if (t->cur.fd >= 0 && !t->is_stdin)
        (void)logtail_save(t);
    if (t->is_stdin)
        t->cur.fd = -1;
    file_fini(&t->cur);
    file_fini(&t->old);
}

void logtail_hold(struct logtail *t, int hold, int64_t off)
{
    t->hold = hold;
    t->pending_commit = off;
}

void logtail_release(struct logtail *t)
{
    t->hold = 0;
    if (t->last_end > t->commit)
        t->commit = t->last_end;
}

/* Keeps the last bytes read, to recognise a file rewritten under us. */
static void remember_tail(struct logtail_file *f, const char *p, size_t n)
{
    if (n >= LOGTAIL_TAIL_HASH_BYTES) {
        memcpy(f->last, p + n - LOGTAIL_TAIL_HASH_BYTES, LOGTAIL_TAIL_HASH_BYTES);
        f->lastn = LOGTAIL_TAIL_HASH_BYTES;
        return;
    }
    size_t keep = f->lastn + n > LOGTAIL_TAIL_HASH_BYTES ? LOGTAIL_TAIL_HASH_BYTES - n : f->lastn;
    memmove(f->last, f->last + f->lastn - keep, keep);
    memcpy(f->last + keep, p, n);
    f->lastn = keep + n;
}

/* Splits f->buf[0..f->len) into lines after `fresh` new bytes arrived at its
 * end. Delivers complete lines, keeps a partial one, and enforces max_line. */
static int split_lines(struct logtail *t, struct logtail_file *f, size_t fresh, int is_cur,
                       logtail_line_fn fn, void *ctx)
{
    int n = 0;
    size_t start = 0;
    char *b = f->buf;
    if (f->discarding) {
        /* Only the fresh bytes are in the buffer while discarding. */
        char *nl = memchr(b, '\n', f->len);
        if (nl == NULL) {
            f->base += (int64_t)f->len;
            f->len = 0;
            if (is_cur && !t->hold)
                t->commit = f->base;
            return 0;
        }
        start = (size_t)(nl - b) + 1;
        f->discarding = 0;
        if (is_cur && !t->hold)
            t->commit = f->base + (int64_t)start;
    }
    /* Search for newlines only in the fresh part: the held part has none. */
    size_t scan = f->len - fresh > start ? f->len - fresh : start;
    for (;;) {
        char *nl = memchr(b + scan, '\n', f->len - scan);
        if (nl == NULL)
            break;
        size_t end = (size_t)(nl - b);
        int64_t off = f->base + (int64_t)start;
        int64_t eoff = f->base + (int64_t)end + 1;
        if (end - start > t->opts.max_line) {
            t->oversized++;
        } else {
            t->lines++;
            n++;
            fn(ctx, b + start, end - start, off, eoff);
        }
        if (is_cur) {
            t->last_end = eoff;
            t->commit = t->hold ? t->pending_commit : eoff;
        }
        start = end + 1;
        scan = start;
    }
    size_t rest = f->len - start;
    if (rest > t->opts.max_line) {
        /* Too long already: drop it and skip to the next newline. */
        t->oversized++;
        f->discarding = 1;
        f->base += (int64_t)f->len;
        f->len = 0;
        if (is_cur && !t->hold)
            t->commit = f->base;
        return n;
    }
    if (start > 0) {
        memmove(b, b + start, rest);
        f->base += (int64_t)start;
        f->len = rest;
    }
    return n;
}

/* Delivers a final line without newline (EOF in one-shot mode, or a closed
 * rotated file). */
static int flush_partial(struct logtail *t, struct logtail_file *f, int is_cur, logtail_line_fn fn,
                         void *ctx)
{
    int n = 0;
    if (f->len > 0 && !f->discarding) {
        t->lines++;
        n = 1;
        fn(ctx, f->buf, f->len, f->base, f->base + (int64_t)f->len);
    }
    f->base += (int64_t)f->len;
    f->len = 0;
    f->discarding = 0;
    if (is_cur) {
        t->last_end = f->base;
        t->commit = t->hold ? t->pending_commit : f->base;
    }
    return n;
}

/* Reads fd to its current end (bounded per call so one busy file cannot
 * starve the others). Returns lines delivered, -1 on a read error. *got is
 * set when any byte arrived. */
static int drain(struct logtail *t, struct logtail_file *f, int is_cur, logtail_line_fn fn,
                 void *ctx, int *got)
{
    int n = 0;
    *got = 0;
    for (int rounds = 0; rounds < 64; rounds++) {
        if (t->is_stdin) {
            struct pollfd p = {.fd = 0, .events = POLLIN};
            if (!t->opts.follow) {
                /* one-shot: block */
            } else if (poll(&p, 1, 0) <= 0) {
                break;
            }
        }
        size_t room = t->opts.max_line + LOGTAIL_READ_CHUNK - f->len;
        if (f->discarding) {
            room = t->opts.max_line + LOGTAIL_READ_CHUNK;
            f->len = 0;
        }
        ssize_t r = read(f->fd, f->buf + f->len, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            t->reopen_errors++;
            return -1;
        }
        if (r == 0) {
            if (t->is_stdin)
                t->eof = 1;
            break;
        }
        *got = 1;
        t->bytes += (uint64_t)r;
        remember_tail(f, f->buf + f->len, (size_t)r);
        f->len += (size_t)r;
        n += split_lines(t, f, (size_t)r, is_cur, fn, ctx);
    }
    return n;
}

/* The position up to which bytes were read from the file. */
static int64_t read_pos(const struct logtail_file *f)
{
    return f->base + (int64_t)f->len;
}

/* Copytruncate check: the file is shorter than what was read, or the bytes
 * before the read position changed. */
static int truncated(struct logtail_file *f, const struct stat *st)
{
    int64_t rp = read_pos(f);
    if (st->st_size < rp)
        return 1;
    if (rp == 0 || st->st_size == rp)
        return 0;
    /* The file grew: check that it grew from the same content, comparing
     * the last bytes we read with what the file holds there now. */
    size_t n = f->lastn;
    char b[LOGTAIL_TAIL_HASH_BYTES];
    if (n == 0 || (int64_t)n > rp)
        return 0;
    if (pread(f->fd, b, n, rp - (int64_t)n) != (ssize_t)n)
        return 1;
    return memcmp(b, f->last, n) != 0;
}

int logtail_poll(struct logtail *t, logtail_line_fn fn, void *ctx)
{
    int n = 0, got, r;
    if (t->eof)
        return 0;
    if (t->is_stdin) {
        r = drain(t, &t->cur, 1, fn, ctx, &got);
        if (r < 0)
            return -1;
        n += r;
        if (t->eof)
            n += flush_partial(t, &t->cur, 1, fn, ctx);
        return n;
    }
    if (!t->opts.follow) {
        if (t->cur.fd < 0) {
            t->eof = 1;
            return 0;
        }
        do {
            r = drain(t, &t->cur, 1, fn, ctx, &got);
            if (r < 0) {
                t->eof = 1;
                return -1;
            }
            n += r;
        } while (got && n < 4096);
        if (!got) {
            n += flush_partial(t, &t->cur, 1, fn, ctx);
            t->eof = 1;
        }
        return n;
    }

    /* Follow mode: first the rotated-away file, until it has been idle. */
    if (t->old.fd >= 0) {
        r = drain(t, &t->old, 0, fn, ctx, &got);
        n += r > 0 ? r : 0;
        if (got)
            t->old.idle_polls = 0;
        else if (++t->old.idle_polls >= LOGTAIL_OLD_IDLE_POLLS || r < 0) {
            n += flush_partial(t, &t->old, 0, fn, ctx);
            close(t->old.fd);
            t->old.fd = -1;
        }
    }
    if (t->cur.fd < 0) {
        if (open_cur(t, 0, 0) != 0)
            return n;
    }
    struct stat st;
    if (stat(t->path, &st) != 0) {
        /* Deleted or renamed away, nothing new yet: keep reading the open file. */
        t->missing = 1;
    } else if (st.st_ino != t->cur.ino || st.st_dev != t->cur.dev) {
        /* Rotated by rename, or deleted and recreated: finish the old file
         * (kept open and drained until idle), then read the new one from 0. */
        r = drain(t, &t->cur, 1, fn, ctx, &got);
        n += r > 0 ? r : 0;
        if (t->old.fd >= 0) {
            n += flush_partial(t, &t->old, 0, fn, ctx);
            close(t->old.fd);
        }
        struct logtail_file tmp = t->old;
        t->old = t->cur;
        t->old.idle_polls = 0;
        t->cur = tmp;
        t->cur.fd = -1;
        t->rotations++;
        if (open_cur(t, 0, 0) != 0)
            return n;
    } else if (truncated(&t->cur, &st)) {
        /* Copytruncate: the content we had read is gone; start over at 0. */
        t->truncations++;
        t->cur.base = 0;
        t->cur.len = 0;
        t->cur.discarding = 0;
        t->cur.lastn = 0;
        t->hold = 0;
        t->commit = 0;
        t->last_end = 0;
        if (lseek(t->cur.fd, 0, SEEK_SET) != 0)
            return -1;
    }
    r = drain(t, &t->cur, 1, fn, ctx, &got);
    if (r < 0)
        return n > 0 ? n : -1;
    n += r;
    return n;
}

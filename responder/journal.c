/* Append-only, fsynced journal of forensics operations (see journal.h). */
#include "responder/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct journal {
    int fd;
    long size;
    char path[512];
};

/* mkdir -p for the directory part of path. */
static int make_parent(const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

struct journal *journal_open(const char *path, int *busy, struct bw_err *err)
{
    if (busy != NULL)
        *busy = 0;
    if (strlen(path) >= sizeof(((struct journal *)0)->path)) {
        bw_err_set(err, "%s: journal path too long", path);
        return NULL;
    }
    if (make_parent(path) != 0) {
        bw_err_set(err, "%s: cannot create directory: %s", path, strerror(errno));
        return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        bw_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (busy != NULL)
            *busy = errno == EWOULDBLOCK;
        bw_err_set(err, "%s: locked by another responder", path);
        close(fd);
        return NULL;
    }
    struct journal *j = calloc(1, sizeof(*j));
    if (j == NULL) {
        close(fd);
        bw_err_set(err, "out of memory");
        return NULL;
    }
    j->fd = fd;
    snprintf(j->path, sizeof(j->path), "%s", path);
    struct stat st;
    j->size = fstat(fd, &st) == 0 ? (long)st.st_size : 0;
    /* A torn last line (crash mid-write) is cut off, so the next append does
     * not glue onto it. */
    if (j->size > 0) {
        char c;
        long keep = j->size;
        while (keep > 0 && pread(fd, &c, 1, keep - 1) == 1 && c != '\n')
            keep--;
        if (keep != j->size && ftruncate(fd, keep) == 0)
            j->size = keep;
    }
    return j;
}

void journal_close(struct journal *j)
{
    if (j == NULL)
        return;
    close(j->fd);
    free(j);
}

void journal_close_unlink(struct journal *j)
{
    if (j == NULL)
        return;
    unlink(j->path); /* while still locked, so nobody replays it twice */
    journal_close(j);
}

int journal_append(struct journal *j, const char *line, size_t n)
{
    /* One write per line (with its newline) so a crash leaves at worst one
     * torn last line, which replay ignores. */
    char stackbuf[4096];
    char *buf = n + 1 <= sizeof(stackbuf) ? stackbuf : malloc(n + 1);
    if (buf == NULL)
        return -1;
    memcpy(buf, line, n);
    buf[n] = '\n';
    size_t off = 0;
    int rc = 0;
    while (off < n + 1) {
        ssize_t w = write(j->fd, buf + off, n + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -1;
            break;
        }
        off += (size_t)w;
    }
    if (buf != stackbuf)
        free(buf);
    j->size += (long)off;
    return rc;
}

int journal_sync(struct journal *j)
{
    return fsync(j->fd) == 0 ? 0 : -1;
}

int journal_replay(struct journal *j, int (*fn)(void *ctx, const char *line, size_t n), void *ctx)
{
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "r");
    if (f == NULL) {
        close(fd);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break; /* torn by a crash mid-write */
        line[len - 1] = '\0';
        if ((rc = fn(ctx, line, (size_t)len - 1)) != 0)
            break;
    }
    if (ferror(f))
        rc = -1;
    free(line);
    fclose(f);
    return rc;
}

int journal_truncate(struct journal *j)
{
    if (ftruncate(j->fd, 0) != 0 || fsync(j->fd) != 0)
        return -1;
    j->size = 0;
    return 0;
}

long journal_size(const struct journal *j)
{
    return j->size;
}

const char *journal_path(const struct journal *j)
{
    return j->path;
}

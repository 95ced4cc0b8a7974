/* Append-only alert spool (see spool.h). */
#include "sensor/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/num.h"

struct spool {
    int fd;
    int fsync_each;
    uint64_t pos;    /* delivered offset */
    uint64_t peeked; /* length of the peeked entry incl. newline, 0 = none */
    uint64_t pending;
    uint64_t errors;
    char *buf;
    size_t cap;
    char path[512], pos_path[512], pos_tmp[520];
};

static int mkdir_p(const char *dir)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_pos(struct spool *s)
{
    char b[32];
    int n = snprintf(b, sizeof(b), "%" PRIu64 "\n", s->pos);
    int fd = open(s->pos_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int ok = write(fd, b, (size_t)n) == n && (!s->fsync_each || fsync(fd) == 0);
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(s->pos_tmp, s->pos_path) != 0) {
        unlink(s->pos_tmp);
        return -1;
    }
    return 0;
}

struct spool *spool_open(const char *dir, int fsync_each, struct bw_err *err)
{
    struct spool *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    s->fd = -1;
    s->fsync_each = fsync_each;
    snprintf(s->path, sizeof(s->path), "%s/alerts.spool", dir);
    snprintf(s->pos_path, sizeof(s->pos_path), "%s/alerts.pos", dir);
    snprintf(s->pos_tmp, sizeof(s->pos_tmp), "%s/alerts.pos.tmp", dir);
    if (mkdir_p(dir) != 0) {
        bw_err_set(err, "%s: %s", dir, strerror(errno));
        goto fail;
    }
    s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (s->fd < 0) {
        bw_err_set(err, "%s: %s", s->path, strerror(errno));
        goto fail;
    }
    FILE *fp = fopen(s->pos_path, "r");
    if (fp != NULL) {
        char b[32] = "";
        if (fgets(b, sizeof(b), fp) != NULL) {
            b[strcspn(b, "\n")] = '\0';
            if (bw_parse_u64(b, 0, UINT64_MAX, &s->pos, NULL) != 0)
                s->pos = 0; /* unreadable: deliver from the start, dedup drops repeats */
        }
        fclose(fp);
    }
    struct stat st;
    if (fstat(s->fd, &st) != 0) {
        bw_err_set(err, "%s: %s", s->path, strerror(errno));
        goto fail;
    }
    if (s->pos > (uint64_t)st.st_size)
        s->pos = 0;
    /* count what is pending */
    char b[65536];
    uint64_t off = s->pos;
    ssize_t n;
    while ((n = pread(s->fd, b, sizeof(b), (off_t)off)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            s->pending += b[i] == '\n';
        off += (uint64_t)n;
    }
    return s;
fail:
    spool_close(s);
    return NULL;
}

void spool_close(struct spool *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s);
}

int spool_append(struct spool *s, const char *line, size_t len)
{
    if (len == 0 || len >= SPOOL_LINE_MAX || memchr(line, '\n', len) != NULL) {
        s->errors++;
        return -1;
    }
    /* one write of line + newline: O_APPEND keeps entries whole */
    char stackbuf[8192], *b = len + 1 <= sizeof(stackbuf) ? stackbuf : malloc(len + 1);
    if (b == NULL) {
        s->errors++;
        return -1;
    }
    memcpy(b, line, len);
    b[len] = '\n';
    ssize_t w = write(s->fd, b, len + 1);
    if (b != stackbuf)
        free(b);
    if (w != (ssize_t)(len + 1) || (s->fsync_each && fdatasync(s->fd) != 0)) {
        s->errors++;
        return -1;
    }
    s->pending++;
    return 0;
}

int spool_peek(struct spool *s, const char **line, size_t *len)
{
    s->peeked = 0;
    if (s->pending == 0)
        return 0;
    size_t have = 0;
    for (;;) {
        if (have == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 16384;
            if (nc > SPOOL_LINE_MAX + 1)
                return -1;
            char *nb = realloc(s->buf, nc);
            if (nb == NULL)
                return -1;
            s->buf = nb;
            s->cap = nc;
        }
        ssize_t n = pread(s->fd, s->buf + have, s->cap - have, (off_t)(s->pos + have));
        if (n <= 0)
            return -1; /* pending says there is a line: a truncated file */
        char *nl = memchr(s->buf + have, '\n', (size_t)n);
        have += (size_t)n;
        if (nl != NULL) {
            *line = s->buf;
            *len = (size_t)(nl - s->buf);
            s->peeked = *len + 1;
            return 1;
        }
    }
}

int spool_commit(struct spool *s)
{
    if (s->peeked == 0)
        return -1;
    s->pos += s->peeked;
    s->peeked = 0;
    s->pending--;
    if (s->pending == 0) {
        /* all delivered: start over with empty files */
        if (ftruncate(s->fd, 0) == 0)
            s->pos = 0;
    }
    return write_pos(s);
}

uint64_t spool_pending(const struct spool *s)
{
    return s->pending;
}

uint64_t spool_errors(const struct spool *s)
{
    return s->errors;
}

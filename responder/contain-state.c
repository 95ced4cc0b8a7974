/* Containment rails' state: the host-local state file (applied action ids,
 * repeat offenders, recent block times; docs/containment.md gives the format),
 * its parser and writer, and the flock held around every action. */
#include "responder/contain.h"
#include "responder/contain-backend.h"
#include "responder/contain-internal.h"
#include "responder/contain-rails.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/num.h"
#include "common/timeutil.h"

uint64_t rails_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct rails_offender *rails_offender_find(struct rails_state *st, const struct bw_addr *ip)
{
    for (size_t i = 0; i < st->noff; i++)
        if (bw_addr_eq(&st->off[i].ip, ip))
            return &st->off[i];
    return NULL;
}

/* Finds or adds; when full, the least recently blocked inactive entry is replaced. */
struct rails_offender *rails_offender_get(struct rails_state *st, const struct bw_addr *ip)
{
    struct rails_offender *o = rails_offender_find(st, ip);
    if (o != NULL)
        return o;
    if (st->noff < RAILS_OFFENDERS_MAX) {
        o = &st->off[st->noff++];
    } else {
        o = &st->off[0];
        for (size_t i = 1; i < st->noff; i++)
            if (st->off[i].last_us < o->last_us)
                o = &st->off[i];
    }
    memset(o, 0, sizeof(*o));
    o->ip = *ip;
    return o;
}

int rails_action_seen(const struct rails_state *st, uint64_t h)
{
    for (size_t i = 0; i < st->nact; i++)
        if (st->act[i].hash == h)
            return 1;
    return 0;
}

void rails_action_add(struct rails_state *st, uint64_t h, int64_t now)
{
    if (st->nact == RAILS_ACTIONS_MAX) {
        /* Forget the oldest (entries are kept in time order). */
        memmove(&st->act[0], &st->act[1], (RAILS_ACTIONS_MAX - 1) * sizeof(st->act[0]));
        st->nact--;
    }
    st->act[st->nact++] = (struct rails_action){.hash = h, .time_us = now};
}

void rails_rate_prune(struct rails_state *st, int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < st->nrate; i++)
        if (st->rate[i] > now - RATE_WINDOW_US)
            st->rate[k++] = st->rate[i];
    st->nrate = k;
}

/* One whitespace-separated token of a line, bounded. */
static const char *token(const char *p, const char *end, char *out, size_t outlen)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    size_t n = 0;
    while (p < end && *p != ' ' && *p != '\t') {
        if (n + 1 < outlen)
            out[n++] = *p;
        else
            n = outlen; /* too long: marks the token invalid */
        p++;
        if (n == outlen)
            break;
    }
    if (n >= outlen)
        out[0] = '\0';
    else
        out[n] = '\0';
    return p;
}

int rails_state_parse(struct rails_state *st, const char *text, size_t len, int64_t now_us,
                      uint64_t memory_us)
{
    st->nact = st->noff = st->nrate = 0;
    const char *p = text, *end = text + len;
    int64_t horizon = now_us - (int64_t)memory_us;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        char kind[24], a[64], b[32], c2[32], d[32];
        const char *q = token(p, le, kind, sizeof(kind));
        q = token(q, le, a, sizeof(a));
        q = token(q, le, b, sizeof(b));
        q = token(q, le, c2, sizeof(c2));
        q = token(q, le, d, sizeof(d));
        uint64_t u1 = 0, u2;
        int64_t i1, i2, i3;
        int ok = 0;
        if (strcmp(kind, "bw-contain-state") == 0) {
            ok = 1;
        } else if (strcmp(kind, "a") == 0) {
            /* a <16 hex digits> <time_us> */
            if (strlen(a) == 16) {
                char *ep;
                errno = 0;
                u1 = strtoull(a, &ep, 16);
                ok = errno == 0 && *ep == '\0' && bw_parse_i64(b, 0, INT64_MAX, &i1, NULL) == 0;
            } else {
                ok = 0;
            }
            if (ok && i1 >= horizon && st->nact < RAILS_ACTIONS_MAX)
                st->act[st->nact++] = (struct rails_action){.hash = u1, .time_us = i1};
        } else if (strcmp(kind, "o") == 0) {
            struct bw_addr ip;
            ok = bw_addr_parse(a, &ip) == 0 && bw_parse_u64(b, 0, UINT32_MAX, &u2, NULL) == 0 &&
                 bw_parse_i64(c2, 0, INT64_MAX, &i2, NULL) == 0 &&
                 bw_parse_i64(d, 0, INT64_MAX, &i3, NULL) == 0;
            if (ok && (i2 >= horizon || i3 > now_us) && st->noff < RAILS_OFFENDERS_MAX)
                st->off[st->noff++] = (struct rails_offender){
                    .ip = ip, .blocks = (uint32_t)u2, .last_us = i2, .until_us = i3};
        } else if (strcmp(kind, "r") == 0) {
            ok = bw_parse_i64(a, 0, INT64_MAX, &i1, NULL) == 0;
            if (ok && i1 > now_us - RATE_WINDOW_US && st->nrate < RAILS_RATE_MAX)
                st->rate[st->nrate++] = i1;
        } else if (kind[0] == '\0' && le == p) {
            ok = 1; /* empty line */
        }
        if (!ok)
            st->bad_lines++;
        p = eol ? eol + 1 : end;
    }
    return 0;
}

int rails_state_format(const struct rails_state *st, struct bw_buf *out)
{
    char ip[BW_ADDR_STRLEN];
    bw_buf_puts(out, "bw-contain-state 1\n");
    for (size_t i = 0; i < st->nact; i++)
        bw_buf_printf(out, "a %016llx %lld\n", (unsigned long long)st->act[i].hash,
                      (long long)st->act[i].time_us);
    for (size_t i = 0; i < st->noff; i++)
        bw_buf_printf(out, "o %s %u %lld %lld\n", bw_addr_fmt(&st->off[i].ip, ip),
                      st->off[i].blocks, (long long)st->off[i].last_us,
                      (long long)st->off[i].until_us);
    for (size_t i = 0; i < st->nrate; i++)
        bw_buf_printf(out, "r %lld\n", (long long)st->rate[i]);
    return out->oom ? -1 : 0;
}

int containment_state_load(struct containment *c, struct bw_err *err)
{
    struct stat sb;
    if (fstat(c->lock_fd, &sb) != 0)
        return bw_err_set(err, "%s: %s", c->conf.state_file, strerror(errno));
    if (sb.st_size > 8 * 1024 * 1024)
        return bw_err_set(err, "%s: larger than 8 MiB", c->conf.state_file);
    bw_buf_reset(&c->text);
    if (bw_buf_reserve(&c->text, (size_t)sb.st_size) != 0)
        return bw_err_set(err, "out of memory");
    ssize_t k = pread(c->lock_fd, c->text.data, (size_t)sb.st_size, 0);
    if (k < 0)
        return bw_err_set(err, "%s: %s", c->conf.state_file, strerror(errno));
    c->text.len = (size_t)k;
    c->text.data[k] = '\0';
    uint64_t before = c->st->bad_lines;
    rails_state_parse(c->st, c->text.data, c->text.len, bw_now_us(), c->conf.memory_s * BW_USEC);
    if (c->st->bad_lines != before)
        bw_warn("%s: %llu malformed lines skipped", c->conf.state_file,
                (unsigned long long)(c->st->bad_lines - before));
    return 0;
}

int containment_state_save(struct containment *c, struct bw_err *err)
{
    bw_buf_reset(&c->text);
    if (rails_state_format(c->st, &c->text) != 0)
        return bw_err_set(err, "out of memory");
    if (pwrite(c->lock_fd, c->text.data, c->text.len, 0) != (ssize_t)c->text.len ||
        ftruncate(c->lock_fd, (off_t)c->text.len) != 0)
        return bw_err_set(err, "%s: %s", c->conf.state_file, strerror(errno));
    return 0;
}

const struct rails_state *containment_state(const struct containment *c)
{
    return c->st;
}

int containment_state_lock(struct containment *c, struct bw_err *err)
{
    while (flock(c->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return bw_err_set(err, "%s: lock: %s", c->conf.state_file, strerror(errno));
    if (containment_state_load(c, err) != 0) {
        flock(c->lock_fd, LOCK_UN);
        return -1;
    }
    return 0;
}

int containment_state_unlock(struct containment *c, struct bw_err *err)
{
    int rc = containment_state_save(c, err);
    flock(c->lock_fd, LOCK_UN);
    return rc;
}

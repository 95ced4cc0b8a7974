/* Containment dispatcher and safety rails: reads the `containment:` section of
 * responder.yaml, builds the backends (nft, exec hooks, webhooks) and passes
 * every block/release through the rails first: never-block allowlist,
 * idempotency by action id, blocks-per-minute cap, escalating TTLs for repeat
 * offenders. The rails' state is a host-local file (responder/contain-rails.h). */
#include "responder/contain.h"
#include "responder/contain-backend.h"
#include "responder/contain-rails.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/log.h"
#include "common/num.h"
#include "common/timeutil.h"

#define CONTAIN_HOOKS_MAX    16
#define CONTAIN_WEBHOOKS_MAX 16
#define CONTAIN_RESULTS_MAX  (1 + CONTAIN_HOOKS_MAX + CONTAIN_WEBHOOKS_MAX)
#define RATE_WINDOW_US       (60 * BW_USEC)

struct contain_conf {
    uint64_t ttl_s;     /* default block duration */
    double factor;      /* TTL multiplier per earlier block */
    uint64_t max_ttl_s; /* cap on an escalated TTL */
    uint64_t memory_s;  /* how long an offender's blocks count */
    uint64_t bpm;       /* blocks per minute, 0 = no cap */
    struct bw_cidr_set allow;
    int nft_enabled;
    struct contain_nft_conf nft;
    int nhooks;
    struct contain_hook hooks[CONTAIN_HOOKS_MAX];
    int nwebhooks;
    struct contain_webhook webhooks[CONTAIN_WEBHOOKS_MAX];
    char state_file[512];
};

struct containment {
    const struct responder_config *cfg;
    struct contain_conf conf;
    struct contain_nft *nft;
    struct rails_state *st;
    int lock_fd;
    struct bw_buf text; /* state file text / JSON bodies, reused */
};

/* ---------------------------------------------------------------- config */

static const char *const top_keys[] = {"ttl",
                                       "escalation_factor",
                                       "max_ttl",
                                       "offender_memory",
                                       "blocks_per_minute",
                                       "allowlist",
                                       "state_file",
                                       "nft",
                                       "exec",
                                       "webhooks",
                                       NULL};
static const char *const nft_keys[] = {"enabled", "table", "family", "priority", NULL};
static const char *const hook_keys[] = {"name", "argv", "timeout", "kill_grace", "on", NULL};
static const char *const webhook_keys[] = {"name",    "url",         "timeout", "retries",
                                           "backoff", "max_backoff", "on",      NULL};

/* `on: [block, release]` (or a single scalar). */
static int get_on(const struct bw_ydoc *doc, const struct bw_ynode *n, int *on_block,
                  int *on_release, struct bw_err *err)
{
    *on_block = *on_release = 0;
    size_t cnt = n->type == BW_Y_SEQ ? n->n : 1;
    if (n->type != BW_Y_SEQ && n->type != BW_Y_SCALAR)
        return bw_ynode_err(doc, n, err, "expected block, release or a list of them");
    for (size_t i = 0; i < cnt; i++) {
        const struct bw_ynode *k = n->type == BW_Y_SEQ ? n->kids[i] : n;
        const char *s;
        if (bw_yget_str(doc, k, &s, err) != 0)
            return -1;
        if (strcmp(s, "block") == 0)
            *on_block = 1;
        else if (strcmp(s, "release") == 0)
            *on_release = 1;
        else
            return bw_ynode_err(doc, k, err, "'%s': expected block or release", s);
    }
    return 0;
}

static int load_hook(const struct bw_ydoc *doc, const struct bw_ynode *n, struct contain_conf *cc,
                     struct bw_err *err)
{
    if (cc->nhooks >= CONTAIN_HOOKS_MAX)
        return bw_ynode_err(doc, n, err, "more than %d exec hooks", CONTAIN_HOOKS_MAX);
    if (bw_yexpect(doc, n, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, n, hook_keys, err) != 0)
        return -1;
    struct contain_hook *h = &cc->hooks[cc->nhooks];
    memset(h, 0, sizeof(*h));
    h->timeout_us = 10 * BW_USEC;
    h->kill_grace_us = 2 * BW_USEC;
    h->on_block = h->on_release = 1;
    cc->nhooks++; /* counted now so containment_free releases argv on error */
    const struct bw_ynode *v;
    if ((v = bw_ymap_get(n, "name")) == NULL)
        return bw_ynode_err(doc, n, err, "exec hook without a name");
    if (bw_yget_strbuf(doc, v, h->name, sizeof(h->name), err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "argv")) == NULL)
        return bw_ynode_err(doc, n, err, "exec hook '%s' without argv", h->name);
    if (bw_yexpect(doc, v, BW_Y_SEQ, err) != 0)
        return -1;
    if (v->n == 0 || v->n > CONTAIN_HOOK_ARGV_MAX)
        return bw_ynode_err(doc, v, err, "argv: 1 to %d items", CONTAIN_HOOK_ARGV_MAX);
    for (size_t i = 0; i < v->n; i++) {
        const char *s;
        if (bw_yget_str(doc, v->kids[i], &s, err) != 0)
            return -1;
        if ((h->argv[i] = strdup(s)) == NULL)
            return bw_err_set(err, "out of memory");
        h->nargv++;
    }
    if (h->argv[0][0] != '/')
        return bw_ynode_err(doc, v->kids[0], err,
                            "argv[0] '%s': an absolute path (no PATH search, no shell)",
                            h->argv[0]);
    if (access(h->argv[0], X_OK) != 0)
        return bw_ynode_err(doc, v->kids[0], err, "argv[0] '%s': %s", h->argv[0], strerror(errno));
    if ((v = bw_ymap_get(n, "timeout")) != NULL &&
        bw_yget_duration_us(doc, v, &h->timeout_us, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "kill_grace")) != NULL &&
        bw_yget_duration_us(doc, v, &h->kill_grace_us, err) != 0)
        return -1;
    if (h->timeout_us == 0)
        return bw_ynode_err(doc, n, err, "exec hook '%s': timeout must be positive", h->name);
    if ((v = bw_ymap_get(n, "on")) != NULL &&
        get_on(doc, v, &h->on_block, &h->on_release, err) != 0)
        return -1;
    return 0;
}

static int load_webhook(const struct bw_ydoc *doc, const struct bw_ynode *n,
                        struct contain_conf *cc, struct bw_err *err)
{
    if (cc->nwebhooks >= CONTAIN_WEBHOOKS_MAX)
        return bw_ynode_err(doc, n, err, "more than %d webhooks", CONTAIN_WEBHOOKS_MAX);
    if (bw_yexpect(doc, n, BW_Y_MAP, err) != 0 ||
        bw_ymap_check_keys(doc, n, webhook_keys, err) != 0)
        return -1;
    struct contain_webhook *w = &cc->webhooks[cc->nwebhooks];
    memset(w, 0, sizeof(*w));
    w->timeout_us = 5 * BW_USEC;
    w->retries = 3;
    w->backoff_us = 500000;
    w->max_backoff_us = 30 * BW_USEC;
    w->on_block = w->on_release = 1;
    const struct bw_ynode *v;
    if ((v = bw_ymap_get(n, "name")) == NULL)
        return bw_ynode_err(doc, n, err, "webhook without a name");
    if (bw_yget_strbuf(doc, v, w->name, sizeof(w->name), err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "url")) == NULL)
        return bw_ynode_err(doc, n, err, "webhook '%s' without url", w->name);
    if (bw_yget_strbuf(doc, v, w->url, sizeof(w->url), err) != 0)
        return -1;
    if (strncmp(w->url, "http://", 7) != 0 && strncmp(w->url, "https://", 8) != 0)
        return bw_ynode_err(doc, v, err, "url '%s': expected http:// or https://", w->url);
    if (strpbrk(w->url, " \t\r\n") != NULL)
        return bw_ynode_err(doc, v, err, "url contains white space");
    uint64_t u;
    if ((v = bw_ymap_get(n, "timeout")) != NULL &&
        bw_yget_duration_us(doc, v, &w->timeout_us, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "retries")) != NULL) {
        if (bw_yget_u64(doc, v, 0, 20, &u, err) != 0)
            return -1;
        w->retries = (unsigned)u;
    }
    if ((v = bw_ymap_get(n, "backoff")) != NULL &&
        bw_yget_duration_us(doc, v, &w->backoff_us, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "max_backoff")) != NULL &&
        bw_yget_duration_us(doc, v, &w->max_backoff_us, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "on")) != NULL &&
        get_on(doc, v, &w->on_block, &w->on_release, err) != 0)
        return -1;
    cc->nwebhooks++;
    return 0;
}

static int load_nft(const struct bw_ydoc *doc, const struct bw_ynode *n, struct contain_conf *cc,
                    struct bw_err *err)
{
    if (bw_yexpect(doc, n, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, n, nft_keys, err) != 0)
        return -1;
    const struct bw_ynode *v;
    if ((v = bw_ymap_get(n, "enabled")) != NULL) {
        bool b;
        if (bw_yget_bool(doc, v, &b, err) != 0)
            return -1;
        cc->nft_enabled = b;
    }
    if ((v = bw_ymap_get(n, "table")) != NULL &&
        bw_yget_strbuf(doc, v, cc->nft.table, sizeof(cc->nft.table), err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "family")) != NULL &&
        bw_yget_strbuf(doc, v, cc->nft.family, sizeof(cc->nft.family), err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "priority")) != NULL) {
        const char *s, *why;
        int64_t p;
        if (bw_yget_str(doc, v, &s, err) != 0)
            return -1;
        if (bw_parse_i64(s, -1000, 1000, &p, &why) != 0)
            return bw_ynode_err(doc, v, err, "priority '%s': %s (-1000..1000)", s, why);
        cc->nft.priority = (int)p;
    }
    return 0;
}

static int load_conf(struct containment *c, struct bw_err *err)
{
    struct contain_conf *cc = &c->conf;
    const struct responder_config *cfg = c->cfg;
    const struct bw_ydoc *doc = &cfg->doc;
    cc->ttl_s = 3600;
    cc->factor = 2.0;
    cc->max_ttl_s = 7 * 86400;
    cc->memory_s = 30 * 86400;
    cc->bpm = 30;
    cc->nft_enabled = 1;
    snprintf(cc->nft.table, sizeof(cc->nft.table), "breachwatch");
    snprintf(cc->nft.family, sizeof(cc->nft.family), "inet");
    cc->nft.priority = -10;
    snprintf(cc->state_file, sizeof(cc->state_file), "%s/containment.state",
             cfg->state_dir[0] ? cfg->state_dir : ".");

    /* Loopback is never blocked, whatever the allowlist says. */
    struct bw_cidr lo;
    const char *why;
    if (bw_cidr_parse("127.0.0.0/8", &lo, &why) != 0 || bw_cidr_set_add(&cc->allow, &lo) ||
        bw_cidr_parse("::1", &lo, &why) != 0 || bw_cidr_set_add(&cc->allow, &lo))
        return bw_err_set(err, "out of memory");
    const struct bw_ynode *sec = cfg->containment, *v;
    if (sec == NULL)
        return 0;
    if (bw_yexpect(doc, sec, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, sec, top_keys, err))
        return -1;
    if ((v = bw_ymap_get(sec, "ttl")) != NULL &&
        bw_yget_duration_s(doc, v, 1, &cc->ttl_s, err) != 0)
        return -1;
    if ((v = bw_ymap_get(sec, "max_ttl")) != NULL &&
        bw_yget_duration_s(doc, v, 1, &cc->max_ttl_s, err))
        return -1;
    if ((v = bw_ymap_get(sec, "offender_memory")) != NULL &&
        bw_yget_duration_s(doc, v, 1, &cc->memory_s, err) != 0)
        return -1;
    if ((v = bw_ymap_get(sec, "escalation_factor")) != NULL &&
        bw_yget_double(doc, v, 1.0, 100.0, &cc->factor, err) != 0)
        return -1;
    if ((v = bw_ymap_get(sec, "blocks_per_minute")) != NULL &&
        bw_yget_u64(doc, v, 0, RAILS_RATE_MAX, &cc->bpm, err) != 0)
        return -1;
    if ((v = bw_ymap_get(sec, "allowlist")) != NULL && bw_yget_cidrs(doc, v, &cc->allow, err))
        return -1;
    if ((v = bw_ymap_get(sec, "state_file")) != NULL) {
        char tmp[512];
        if (bw_yget_strbuf(doc, v, tmp, sizeof(tmp), err) != 0)
            return -1;
        snprintf(cc->state_file, sizeof(cc->state_file), "%s", tmp);
    }
    if (cc->max_ttl_s < cc->ttl_s)
        return bw_ynode_err(doc, sec, err, "max_ttl (%llus) is below ttl (%llus)",
                            (unsigned long long)cc->max_ttl_s, (unsigned long long)cc->ttl_s);
    if ((v = bw_ymap_get(sec, "nft")) != NULL && load_nft(doc, v, cc, err) != 0)
        return -1;
    if ((v = bw_ymap_get(sec, "exec")) != NULL) {
        if (bw_yexpect(doc, v, BW_Y_SEQ, err) != 0)
            return -1;
        for (size_t i = 0; i < v->n; i++)
            if (load_hook(doc, v->kids[i], cc, err) != 0)
                return -1;
    }
    if ((v = bw_ymap_get(sec, "webhooks")) != NULL) {
        if (bw_yexpect(doc, v, BW_Y_SEQ, err) != 0)
            return -1;
        for (size_t i = 0; i < v->n; i++)
            if (load_webhook(doc, v->kids[i], cc, err) != 0)
                return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- state */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static struct rails_offender *offender_find(struct rails_state *st, const struct bw_addr *ip)
{
    for (size_t i = 0; i < st->noff; i++)
        if (bw_addr_eq(&st->off[i].ip, ip))
            return &st->off[i];
    return NULL;
}

/* Finds or adds; when full, the least recently blocked inactive entry is replaced. */
static struct rails_offender *offender_get(struct rails_state *st, const struct bw_addr *ip)
{
    struct rails_offender *o = offender_find(st, ip);
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

static int action_seen(const struct rails_state *st, uint64_t h)
{
    for (size_t i = 0; i < st->nact; i++)
        if (st->act[i].hash == h)
            return 1;
    return 0;
}

static void action_add(struct rails_state *st, uint64_t h, int64_t now)
{
    if (st->nact == RAILS_ACTIONS_MAX) {
        /* Forget the oldest (entries are kept in time order). */
        memmove(&st->act[0], &st->act[1], (RAILS_ACTIONS_MAX - 1) * sizeof(st->act[0]));
        st->nact--;
    }
    st->act[st->nact++] = (struct rails_action){.hash = h, .time_us = now};
}

static void rate_prune(struct rails_state *st, int64_t now)
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

static int state_lock(struct containment *c, struct bw_err *err)
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

static int state_unlock(struct containment *c, struct bw_err *err)
{
    int rc = containment_state_save(c, err);
    flock(c->lock_fd, LOCK_UN);
    return rc;
}

/* ------------------------------------------------------------- backends */

static uint64_t ttl_for(struct containment *c, const struct bw_addr *ip, uint64_t ttl_s,
                        int64_t now)
{
    const struct contain_conf *cc = &c->conf;
    double t = (double)(ttl_s ? ttl_s : cc->ttl_s);
    struct rails_offender *o = offender_find(c->st, ip);
    int active = o != NULL && o->until_us > now;
    if (o != NULL && o->blocks > 0) {
        /* Escalate by the earlier blocks; a renewal of an active block does
         * not count as a new offence. */
        uint32_t n = active ? o->blocks - 1 : o->blocks;
        t *= pow(cc->factor, (double)n);
    }
    if (t > (double)cc->max_ttl_s)
        t = (double)cc->max_ttl_s;
    uint64_t ttl = (uint64_t)t;
    if (active) {
        /* Never shorten a block that is in force. */
        uint64_t left = (uint64_t)((o->until_us - now + BW_USEC - 1) / BW_USEC);
        if (left > ttl)
            ttl = left;
    }
    return ttl;
}

uint64_t containment_ttl_for(struct containment *c, const struct bw_addr *ip, uint64_t ttl_s)
{
    return ttl_for(c, ip, ttl_s, bw_now_us());
}

void containment_adhoc_id(const struct bw_addr *ip, enum contain_kind kind, int64_t now_us,
                          char *out, size_t outlen)
{
    char a[BW_ADDR_STRLEN];
    snprintf(out, outlen, "adhoc:%s:%s:%lld", kind == CONTAIN_BLOCK ? "block" : "release",
             bw_addr_fmt(ip, a), (long long)(now_us / BW_USEC));
}

/* The JSON document hooks read on stdin and webhooks receive as body. */
static const char *action_json(struct containment *c, const struct contain_action *a,
                               uint64_t ttl_s, size_t *len)
{
    char ip[BW_ADDR_STRLEN], ts[BW_TS_LEN];
    struct bw_json j;
    bw_buf_reset(&c->text);
    bw_json_init(&j, &c->text);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "action", a->kind == CONTAIN_BLOCK ? "block" : "release");
    bw_json_str(&j, "ip", bw_addr_fmt(&a->ip, ip));
    bw_json_int(&j, "family", a->ip.family == AF_INET6 ? 6 : 4);
    if (a->kind == CONTAIN_BLOCK)
        bw_json_uint(&j, "ttl_s", ttl_s);
    bw_json_str(&j, "incident_id", a->incident_id ? a->incident_id : "");
    bw_json_str(&j, "action_id", a->action_id ? a->action_id : "");
    bw_json_str(&j, "reason", a->reason ? a->reason : "");
    bw_json_str(&j, "time", bw_time_fmt(bw_now_us(), ts));
    bw_json_str(&j, "host", c->cfg->host);
    if (a->incident_json != NULL && a->incident_json[0] != '\0')
        bw_json_raw(&j, "incident", a->incident_json, strlen(a->incident_json));
    else
        bw_json_null(&j, "incident");
    bw_json_obj_end(&j);
    bw_buf_putc(&c->text, '\n');
    *len = c->text.len;
    return c->text.data;
}

/* Runs one action through every backend that takes it. Returns the number of
 * results in res and sets *any_ok. */
static int run_backends(struct containment *c, const struct contain_action *a, uint64_t ttl_s,
                        int with_nft, struct contain_result *res, int *any_ok)
{
    int n = 0, block = a->kind == CONTAIN_BLOCK;
    *any_ok = 0;
    if (with_nft && c->nft != NULL) {
        if (block)
            (void)contain_nft_block(c->nft, &a->ip, ttl_s, &res[n]);
        else
            (void)contain_nft_release(c->nft, &a->ip, &res[n]);
        *any_ok |= res[n].ok;
        n++;
    }
    int need_body = 0;
    for (int i = 0; i < c->conf.nhooks; i++)
        need_body |= block ? c->conf.hooks[i].on_block : c->conf.hooks[i].on_release;
    for (int i = 0; i < c->conf.nwebhooks; i++)
        need_body |= block ? c->conf.webhooks[i].on_block : c->conf.webhooks[i].on_release;
    if (!need_body)
        return n;
    size_t blen;
    char *body = NULL;
    const char *b = action_json(c, a, ttl_s, &blen);
    if ((body = malloc(blen + 1)) == NULL) {
        snprintf(res[n].backend, sizeof(res[n].backend), "rails");
        snprintf(res[n].detail, sizeof(res[n].detail), "out of memory");
        return n + 1;
    }
    memcpy(body, b, blen + 1);

    char ip[BW_ADDR_STRLEN], e_action[32], e_ip[64], e_fam[16], e_ttl[48], e_inc[160], e_id[320],
        e_hook[96];
    snprintf(e_action, sizeof(e_action), "BW_ACTION=%s", block ? "block" : "release");
    snprintf(e_ip, sizeof(e_ip), "BW_IP=%s", bw_addr_fmt(&a->ip, ip));
    snprintf(e_fam, sizeof(e_fam), "BW_FAMILY=%d", a->ip.family == AF_INET6 ? 6 : 4);
    snprintf(e_ttl, sizeof(e_ttl), "BW_TTL=%llu", (unsigned long long)(block ? ttl_s : 0));
    snprintf(e_inc, sizeof(e_inc), "BW_INCIDENT=%.140s", a->incident_id ? a->incident_id : "");
    snprintf(e_id, sizeof(e_id), "BW_ACTION_ID=%.300s", a->action_id ? a->action_id : "");
    for (int i = 0; i < c->conf.nhooks; i++) {
        const struct contain_hook *h = &c->conf.hooks[i];
        if (!(block ? h->on_block : h->on_release))
            continue;
        snprintf(e_hook, sizeof(e_hook), "BW_HOOK=%.80s", h->name);
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "LANG=C.UTF-8",
                        e_action,
                        e_ip,
                        e_fam,
                        e_ttl,
                        e_inc,
                        e_id,
                        e_hook,
                        NULL};
        (void)contain_exec_run(h, envp, body, blen, &res[n], NULL);
        *any_ok |= res[n].ok;
        n++;
    }
    for (int i = 0; i < c->conf.nwebhooks; i++) {
        const struct contain_webhook *w = &c->conf.webhooks[i];
        if (!(block ? w->on_block : w->on_release))
            continue;
        (void)contain_webhook_post(w, body, blen, a->action_id, &res[n], NULL);
        *any_ok |= res[n].ok;
        n++;
    }
    free(body);
    return n;
}

static void rails_result(struct contain_result *r, int ok, int already, const char *fmt, ...)
    BW_PRINTF(4, 5);
static void rails_result(struct contain_result *r, int ok, int already, const char *fmt, ...)
{
    va_list ap;
    memset(r, 0, sizeof(*r));
    snprintf(r->backend, sizeof(r->backend), "rails");
    r->ok = ok;
    r->already = already;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
}

static int copy_results(struct contain_result *dst, int max, const struct contain_result *src,
                        int n)
{
    int k = n < max ? n : max;
    memcpy(dst, src, (size_t)k * sizeof(*dst));
    return k;
}

/* A release under the lock: every backend, offender marked inactive. */
static int release_locked(struct containment *c, const struct contain_action *a,
                          struct contain_result *res)
{
    int any_ok;
    int n = run_backends(c, a, 0, 1, res, &any_ok);
    struct rails_offender *o = offender_find(c->st, &a->ip);
    if (o != NULL && any_ok)
        o->until_us = 0;
    if (n == 0)
        rails_result(&res[n++], 1, 1, "no backend configured");
    return n;
}

int containment_apply(struct containment *c, const struct contain_action *a,
                      struct contain_result *results, int max_results)
{
    struct contain_result res[CONTAIN_RESULTS_MAX];
    struct bw_err err;
    char ip[BW_ADDR_STRLEN];
    int n = 0;
    if (max_results < 1)
        return -1;
    if (a->ip.family != AF_INET && a->ip.family != AF_INET6) {
        rails_result(&results[0], 0, 0, "no address");
        return -1;
    }
    if (a->action_id != NULL && strlen(a->action_id) >= RAILS_ACTION_ID_MAX) {
        rails_result(&results[0], 0, 0, "action id longer than %d bytes", RAILS_ACTION_ID_MAX - 1);
        return -1;
    }
    bw_err_clear(&err);
    if (state_lock(c, &err) != 0) {
        rails_result(&results[0], 0, 0, "%s", err.msg);
        return -1;
    }
    int64_t now = bw_now_us();
    bw_addr_fmt(&a->ip, ip);
    uint64_t h = a->action_id && a->action_id[0] ? fnv1a(a->action_id) : 0;
    if (h != 0 && action_seen(c->st, h)) {
        rails_result(&res[n++], 1, 1, "action %s already applied", a->action_id);
        goto out;
    }
    if (a->kind == CONTAIN_RELEASE) {
        n = release_locked(c, a, res);
        int any_ok = 0;
        for (int i = 0; i < n; i++)
            any_ok |= res[i].ok;
        if (h != 0 && any_ok)
            action_add(c->st, h, now);
        goto out;
    }
    /* Block: the rails first. */
    for (size_t i = 0; i < c->conf.allow.n; i++) {
        const struct bw_cidr *cd = &c->conf.allow.v[i];
        if (bw_cidr_contains(cd, &a->ip)) {
            char net[BW_ADDR_STRLEN];
            rails_result(&res[n++], 0, 0, "refused: %s is allowlisted (%s/%u)", ip,
                         bw_addr_fmt(&cd->addr, net), cd->prefix);
            goto out;
        }
    }
    rate_prune(c->st, now);
    struct rails_offender *o = offender_find(c->st, &a->ip);
    int active = o != NULL && o->until_us > now;
    if (!active && c->conf.bpm > 0 && c->st->nrate >= c->conf.bpm) {
        rails_result(&res[n++], 0, 0, "refused: rate cap of %llu blocks per minute reached",
                     (unsigned long long)c->conf.bpm);
        goto out;
    }
    uint64_t ttl = ttl_for(c, &a->ip, a->ttl_s, now);
    int any_ok;
    n = run_backends(c, a, ttl, 1, res, &any_ok);
    if (n == 0) {
        rails_result(&res[n++], 0, 0, "no backend configured");
        goto out;
    }
    if (any_ok) {
        o = offender_get(c->st, &a->ip);
        if (!active) {
            o->blocks++;
            if (c->st->nrate < RAILS_RATE_MAX)
                c->st->rate[c->st->nrate++] = now;
        }
        o->last_us = now;
        o->until_us = now + (int64_t)ttl * BW_USEC;
        if (h != 0)
            action_add(c->st, h, now);
    }
out:
    if (state_unlock(c, &err) != 0)
        bw_warn("containment: %s", err.msg);
    return copy_results(results, max_results, res, n);
}

int containment_expire(struct containment *c, struct contain_result *results, int max_results)
{
    struct contain_result res[CONTAIN_RESULTS_MAX];
    struct bw_err err;
    int n = 0;
    bw_err_clear(&err);
    if (state_lock(c, &err) != 0)
        return -1;
    int64_t now = bw_now_us();
    for (size_t i = 0; i < c->st->noff; i++) {
        struct rails_offender *o = &c->st->off[i];
        if (o->until_us == 0 || o->until_us > now)
            continue;
        struct contain_action a = {.kind = CONTAIN_RELEASE, .ip = o->ip, .reason = "ttl expired"};
        int any_ok;
        /* nft expired the element itself; hooks and webhooks are told. */
        int k = run_backends(c, &a, 0, 0, res, &any_ok);
        o->until_us = 0;
        int room = max_results - n;
        n += copy_results(results + n, room > 0 ? room : 0, res, k);
    }
    if (state_unlock(c, &err) != 0)
        bw_warn("containment: %s", err.msg);
    return n;
}

struct addr_list {
    struct bw_addr v[1024];
    int n;
    const struct bw_cidr *within;
};

static void collect(const struct bw_addr *ip, void *arg)
{
    struct addr_list *l = arg;
    if (l->n < (int)(sizeof(l->v) / sizeof(l->v[0])) && bw_cidr_contains(l->within, ip))
        l->v[l->n++] = *ip;
}

/* Releases every active block inside cidr; the lock is held. */
static int retract_locked(struct containment *c, const struct bw_cidr *cidr,
                          struct contain_result *results, int max_results)
{
    struct contain_result res[CONTAIN_RESULTS_MAX];
    struct addr_list *l = calloc(1, sizeof(*l));
    int n = 0;
    if (l == NULL)
        return -1;
    l->within = cidr;
    if (c->nft != NULL)
        (void)contain_nft_each(c->nft, collect, l);
    int64_t now = bw_now_us();
    for (size_t i = 0; i < c->st->noff; i++) {
        const struct rails_offender *o = &c->st->off[i];
        int dup = 0;
        for (int k = 0; k < l->n; k++)
            dup |= bw_addr_eq(&l->v[k], &o->ip);
        if (!dup && o->until_us > now)
            collect(&o->ip, l);
    }
    for (int k = 0; k < l->n; k++) {
        struct contain_action a = {.kind = CONTAIN_RELEASE, .ip = l->v[k], .reason = "allowlisted"};
        char ip[BW_ADDR_STRLEN];
        int m = release_locked(c, &a, res);
        bw_info("containment: lifted the block on %s (allowlisted)", bw_addr_fmt(&l->v[k], ip));
        int room = max_results - n;
        n += copy_results(results + n, room > 0 ? room : 0, res, m);
    }
    free(l);
    return n;
}

int containment_allow(struct containment *c, const struct bw_cidr *cidr,
                      struct contain_result *results, int max_results)
{
    struct bw_err err;
    bw_err_clear(&err);
    if (bw_cidr_set_add(&c->conf.allow, cidr) != 0)
        return -1;
    if (state_lock(c, &err) != 0)
        return -1;
    int n = retract_locked(c, cidr, results, max_results);
    if (state_unlock(c, &err) != 0)
        bw_warn("containment: %s", err.msg);
    return n;
}

/* --------------------------------------------------------------- handle */

struct containment *containment_new(const struct responder_config *cfg, struct bw_err *err)
{
    struct containment *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    c->lock_fd = -1;
    bw_cidr_set_init(&c->conf.allow);
    bw_buf_init(&c->text);
    if ((c->st = calloc(1, sizeof(*c->st))) == NULL) {
        bw_err_set(err, "out of memory");
        goto fail;
    }
    if (load_conf(c, err) != 0)
        goto fail;
    /* The state folder may not exist yet on a fresh host. */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", c->conf.state_file);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            bw_err_set(err, "%s: %s", dir, strerror(errno));
            goto fail;
        }
    }
    c->lock_fd = open(c->conf.state_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock_fd < 0) {
        bw_err_set(err, "%s: %s", c->conf.state_file, strerror(errno));
        goto fail;
    }
    if (c->conf.nwebhooks > 0)
        contain_webhook_global_init();
    if (c->conf.nft_enabled && (c->nft = contain_nft_new(&c->conf.nft, err)) == NULL)
        goto fail;
    /* The allowlist wins over blocks made before it was extended. */
    if (c->conf.allow.n > 0) {
        struct contain_result res[8];
        if (state_lock(c, err) != 0)
            goto fail;
        for (size_t i = 0; i < c->conf.allow.n; i++)
            (void)retract_locked(c, &c->conf.allow.v[i], res, 8);
        if (state_unlock(c, err) != 0)
            goto fail;
    }
    return c;
fail:
    containment_free(c);
    return NULL;
}

void containment_free(struct containment *c)
{
    if (c == NULL)
        return;
    contain_nft_free(c->nft);
    for (int i = 0; i < c->conf.nhooks; i++)
        for (int k = 0; k < c->conf.hooks[i].nargv; k++)
            free(c->conf.hooks[i].argv[k]);
    bw_cidr_set_fini(&c->conf.allow);
    bw_buf_fini(&c->text);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c->st);
    free(c);
}

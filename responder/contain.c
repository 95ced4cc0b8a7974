/* Containment: the handle and the decision. Every block/release passes the
 * safety rails first (never-block allowlist, idempotency by action id,
 * blocks-per-minute cap, escalating TTLs for repeat offenders), under the lock
 * of the host-local rails state (contain-state.c), then goes to the backends
 * (contain-dispatch.c); the configuration is read by contain-config.c. */
#include "responder/contain.h"
#include "responder/contain-backend.h"
#include "responder/contain-internal.h"
#include "responder/contain-rails.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"

/* ------------------------------------------------------------- decision */

static uint64_t ttl_for(struct containment *c, const struct bw_addr *ip, uint64_t ttl_s,
                        int64_t now)
{
    const struct contain_conf *cc = &c->conf;
    double t = (double)(ttl_s ? ttl_s : cc->ttl_s);
    struct rails_offender *o = rails_offender_find(c->st, ip);
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
    int n = containment_run_backends(c, a, 0, 1, res, &any_ok);
    struct rails_offender *o = rails_offender_find(c->st, &a->ip);
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
    if (containment_state_lock(c, &err) != 0) {
        rails_result(&results[0], 0, 0, "%s", err.msg);
        return -1;
    }
    int64_t now = bw_now_us();
    bw_addr_fmt(&a->ip, ip);
    uint64_t h = a->action_id && a->action_id[0] ? rails_fnv1a(a->action_id) : 0;
    if (h != 0 && rails_action_seen(c->st, h)) {
        rails_result(&res[n++], 1, 1, "action %s already applied", a->action_id);
        goto out;
    }
    if (a->kind == CONTAIN_RELEASE) {
        n = release_locked(c, a, res);
        int any_ok = 0;
        for (int i = 0; i < n; i++)
            any_ok |= res[i].ok;
        if (h != 0 && any_ok)
            rails_action_add(c->st, h, now);
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
    rails_rate_prune(c->st, now);
    struct rails_offender *o = rails_offender_find(c->st, &a->ip);
    int active = o != NULL && o->until_us > now;
    if (!active && c->conf.bpm > 0 && c->st->nrate >= c->conf.bpm) {
        rails_result(&res[n++], 0, 0, "refused: rate cap of %llu blocks per minute reached",
                     (unsigned long long)c->conf.bpm);
        goto out;
    }
    uint64_t ttl = ttl_for(c, &a->ip, a->ttl_s, now);
    int any_ok;
    n = containment_run_backends(c, a, ttl, 1, res, &any_ok);
    if (n == 0) {
        rails_result(&res[n++], 0, 0, "no backend configured");
        goto out;
    }
    if (any_ok) {
        o = rails_offender_get(c->st, &a->ip);
        if (!active) {
            o->blocks++;
            if (c->st->nrate < RAILS_RATE_MAX)
                c->st->rate[c->st->nrate++] = now;
        }
        o->last_us = now;
        o->until_us = now + (int64_t)ttl * BW_USEC;
        if (h != 0)
            rails_action_add(c->st, h, now);
    }
out:
    if (containment_state_unlock(c, &err) != 0)
        bw_warn("containment: %s", err.msg);
    return copy_results(results, max_results, res, n);
}

int containment_expire(struct containment *c, struct contain_result *results, int max_results)
{
    struct contain_result res[CONTAIN_RESULTS_MAX];
    struct bw_err err;
    int n = 0;
    bw_err_clear(&err);
    if (containment_state_lock(c, &err) != 0)
        return -1;
    int64_t now = bw_now_us();
    for (size_t i = 0; i < c->st->noff; i++) {
        struct rails_offender *o = &c->st->off[i];
        if (o->until_us == 0 || o->until_us > now)
            continue;
        struct contain_action a = {.kind = CONTAIN_RELEASE, .ip = o->ip, .reason = "ttl expired"};
        int any_ok;
        /* nft expired the element itself; hooks and webhooks are told. */
        int k = containment_run_backends(c, &a, 0, 0, res, &any_ok);
        o->until_us = 0;
        int room = max_results - n;
        n += copy_results(results + n, room > 0 ? room : 0, res, k);
    }
    if (containment_state_unlock(c, &err) != 0)
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
    if (containment_state_lock(c, &err) != 0)
        return -1;
    int n = retract_locked(c, cidr, results, max_results);
    if (containment_state_unlock(c, &err) != 0)
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
    if (containment_conf_load(c, err) != 0)
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
        if (containment_state_lock(c, err) != 0)
            goto fail;
        for (size_t i = 0; i < c->conf.allow.n; i++)
            (void)retract_locked(c, &c->conf.allow.v[i], res, 8);
        if (containment_state_unlock(c, err) != 0)
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

/* Containment configuration: reads and checks the `containment:` section of
 * responder.yaml (TTLs, escalation, rate cap, allowlist, state file, nft,
 * exec hooks, webhooks) into the handle (docs/containment.md). */
#include "responder/contain.h"
#include "responder/contain-backend.h"
#include "responder/contain-internal.h"
#include "responder/contain-rails.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/num.h"
#include "common/timeutil.h"

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

int containment_conf_load(struct containment *c, struct bw_err *err)
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

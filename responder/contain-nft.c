/* nftables containment backend: a dedicated table (default `inet breachwatch`)
 * with sets block4/block6 (flags timeout) and input/forward chains dropping
 * their source addresses, driven through libnftables. Commands are composed
 * only from the validated table name, inet_ntop-formatted addresses and
 * integers; nothing from an alert reaches the nft parser as text. */
#include "responder/contain-backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

/* libnftables.h defines _GNU_SOURCE itself; we already build with it. */
#undef _GNU_SOURCE
#include <nftables/libnftables.h>

struct contain_nft {
    struct contain_nft_conf conf;
    struct nft_ctx *ctx;
};

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CONTAIN_NFT_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

static int has4(const struct contain_nft *n)
{
    return strcmp(n->conf.family, "ip6") != 0;
}

static int has6(const struct contain_nft *n)
{
    return strcmp(n->conf.family, "ip") != 0;
}

/* Runs one command buffer (one transaction). On failure copies the first line
 * of nft's error into errbuf. */
static int run(struct contain_nft *n, const char *cmd, char *errbuf, size_t errlen)
{
    int rc = nft_run_cmd_from_buffer(n->ctx, cmd);
    const char *e = nft_ctx_get_error_buffer(n->ctx);
    if (rc != 0 && errbuf != NULL) {
        const char *nl = e ? strchr(e, '\n') : NULL;
        int len = e ? (nl ? (int)(nl - e) : (int)strlen(e)) : 0;
        snprintf(errbuf, errlen, "%.*s", len, e ? e : "");
    }
    return rc == 0 ? 0 : -1;
}

static const char *set_of(const struct bw_addr *ip)
{
    return ip->family == AF_INET6 ? "block6" : "block4";
}

static int family_ok(const struct contain_nft *n, const struct bw_addr *ip)
{
    if (ip->family == AF_INET)
        return has4(n);
    if (ip->family == AF_INET6)
        return has6(n);
    return 0;
}

struct contain_nft *contain_nft_new(const struct contain_nft_conf *conf, struct bw_err *err)
{
    struct contain_nft *n = NULL;
    char cmd[2048], ebuf[256];
    if (!name_ok(conf->table)) {
        bw_err_set(err, "nft table name '%s': expected 1-%d of [A-Za-z0-9_]", conf->table,
                   CONTAIN_NFT_NAME_MAX);
        goto fail;
    }
    if (strcmp(conf->family, "inet") != 0 && strcmp(conf->family, "ip") != 0 &&
        strcmp(conf->family, "ip6") != 0) {
        bw_err_set(err, "nft family '%s': expected inet, ip or ip6", conf->family);
        goto fail;
    }
    if ((n = calloc(1, sizeof(*n))) == NULL) {
        bw_err_set(err, "out of memory");
        goto fail;
    }
    n->conf = *conf;
    if ((n->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
        bw_err_set(err, "nft_ctx_new failed");
        goto fail;
    }
    nft_ctx_buffer_output(n->ctx);
    nft_ctx_buffer_error(n->ctx);

    /* One transaction: `add` is idempotent for tables, sets and chains; the
     * chains are flushed and refilled so their rules never pile up, while the
     * sets (and their elements) are left as they are. */
    const char *f = conf->family, *t = conf->table;
    int len = snprintf(cmd, sizeof(cmd), "add table %s %s\n", f, t);
    if (has4(n))
        len += snprintf(cmd + len, sizeof(cmd) - (size_t)len,
                        "add set %s %s block4 { type ipv4_addr; flags timeout; }\n", f, t);
    if (has6(n))
        len += snprintf(cmd + len, sizeof(cmd) - (size_t)len,
                        "add set %s %s block6 { type ipv6_addr; flags timeout; }\n", f, t);
    static const char *const hooks[] = {"input", "forward"};
    for (int i = 0; i < 2; i++) {
        const char *h = hooks[i];
        len += snprintf(cmd + len, sizeof(cmd) - (size_t)len,
                        "add chain %s %s %s { type filter hook %s priority %d; policy accept; }\n"
                        "flush chain %s %s %s\n",
                        f, t, h, h, conf->priority, f, t, h);
        if (has4(n))
            len += snprintf(cmd + len, sizeof(cmd) - (size_t)len,
                            "add rule %s %s %s ip saddr @block4 counter drop\n", f, t, h);
        if (has6(n))
            len += snprintf(cmd + len, sizeof(cmd) - (size_t)len,
                            "add rule %s %s %s ip6 saddr @block6 counter drop\n", f, t, h);
    }
    if (run(n, cmd, ebuf, sizeof(ebuf)) != 0) {
        bw_err_set(err, "nft: creating table %s %s: %s", f, t, ebuf);
        goto fail;
    }
    return n;
fail:
    contain_nft_free(n);
    return NULL;
}

void contain_nft_free(struct contain_nft *n)
{
    if (n == NULL)
        return;
    if (n->ctx != NULL)
        nft_ctx_free(n->ctx);
    free(n);
}

int contain_nft_has(struct contain_nft *n, const struct bw_addr *ip)
{
    char cmd[256], a[BW_ADDR_STRLEN];
    if (!family_ok(n, ip))
        return -1;
    snprintf(cmd, sizeof(cmd), "get element %s %s %s { %s }", n->conf.family, n->conf.table,
             set_of(ip), bw_addr_fmt(ip, a));
    int rc = nft_run_cmd_from_buffer(n->ctx, cmd);
    if (rc == 0)
        return 1;
    const char *e = nft_ctx_get_error_buffer(n->ctx);
    if (e != NULL && strstr(e, "No such file or directory") != NULL)
        return 0;
    return -1;
}

static void result_init(struct contain_result *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->backend, sizeof(r->backend), "nft");
}

int contain_nft_block(struct contain_nft *n, const struct bw_addr *ip, uint64_t ttl_s,
                      struct contain_result *r)
{
    char cmd[512], a[BW_ADDR_STRLEN], ebuf[256];
    int64_t t0 = bw_mono_us();
    result_init(r);
    if (!family_ok(n, ip)) {
        snprintf(r->detail, sizeof(r->detail), "address family not handled by nft family %s",
                 n->conf.family);
        return -1;
    }
    if (ttl_s == 0)
        ttl_s = 1;
    bw_addr_fmt(ip, a);
    int had = contain_nft_has(n, ip);
    /* add (no-op when present) + delete + add-with-timeout, in one
     * transaction: the element is never absent in between, and a block that
     * already exists gets the new timeout. */
    const char *f = n->conf.family, *t = n->conf.table, *s = set_of(ip);
    snprintf(cmd, sizeof(cmd),
             "add element %s %s %s { %s }\n"
             "delete element %s %s %s { %s }\n"
             "add element %s %s %s { %s timeout %llus }\n",
             f, t, s, a, f, t, s, a, f, t, s, a, (unsigned long long)ttl_s);
    int rc = run(n, cmd, ebuf, sizeof(ebuf));
    r->duration_us = bw_mono_us() - t0;
    if (rc != 0) {
        snprintf(r->detail, sizeof(r->detail), "nft add %s to %s %s %s failed: %s", a, f, t, s,
                 ebuf);
        return -1;
    }
    r->ok = 1;
    r->already = had == 1;
    snprintf(r->detail, sizeof(r->detail), "%s %s in %s %s %s, timeout %llus",
             had == 1 ? "renewed" : "added", a, f, t, s, (unsigned long long)ttl_s);
    return 0;
}

int contain_nft_release(struct contain_nft *n, const struct bw_addr *ip, struct contain_result *r)
{
    char cmd[512], a[BW_ADDR_STRLEN], ebuf[256];
    int64_t t0 = bw_mono_us();
    result_init(r);
    if (!family_ok(n, ip)) {
        snprintf(r->detail, sizeof(r->detail), "address family not handled by nft family %s",
                 n->conf.family);
        return -1;
    }
    bw_addr_fmt(ip, a);
    int had = contain_nft_has(n, ip);
    /* add + delete in one transaction succeeds whether or not it was there. */
    const char *f = n->conf.family, *t = n->conf.table, *s = set_of(ip);
    snprintf(cmd, sizeof(cmd),
             "add element %s %s %s { %s }\n"
             "delete element %s %s %s { %s }\n",
             f, t, s, a, f, t, s, a);
    int rc = run(n, cmd, ebuf, sizeof(ebuf));
    r->duration_us = bw_mono_us() - t0;
    if (rc != 0) {
        snprintf(r->detail, sizeof(r->detail), "nft delete %s from %s %s %s failed: %s", a, f, t, s,
                 ebuf);
        return -1;
    }
    r->ok = 1;
    r->already = had == 0;
    snprintf(r->detail, sizeof(r->detail), "%s %s from %s %s %s",
             had == 0 ? "not present:" : "deleted", a, f, t, s);
    return 0;
}

/* Parses the addresses of "elements = { a timeout .. expires .., b, ... }"
 * in nft's listing. Each candidate token is validated by bw_addr_parse. */
static int parse_elements(const char *text, void (*fn)(const struct bw_addr *, void *), void *arg)
{
    int count = 0;
    const char *p = text;
    while ((p = strstr(p, "elements = {")) != NULL) {
        p += strlen("elements = {");
        const char *end = strchr(p, '}');
        if (end == NULL)
            break;
        int first = 1;
        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
                p++;
            const char *tok = p;
            while (p < end && *p != ' ' && *p != ',' && *p != '\n' && *p != '\t')
                p++;
            char buf[BW_ADDR_STRLEN + 1];
            size_t tl = (size_t)(p - tok);
            struct bw_addr a;
            if (first && tl > 0 && tl < sizeof(buf)) {
                memcpy(buf, tok, tl);
                buf[tl] = '\0';
                if (bw_addr_parse(buf, &a) == 0) {
                    fn(&a, arg);
                    count++;
                }
            }
            first = 0;
            while (p < end && *p != ',')
                p++;
            if (p < end && *p == ',') {
                p++;
                first = 1;
            }
        }
        p = end + 1;
    }
    return count;
}

int contain_nft_each(struct contain_nft *n, void (*fn)(const struct bw_addr *ip, void *arg),
                     void *arg)
{
    char cmd[256];
    int total = 0;
    for (int v6 = 0; v6 < 2; v6++) {
        if (v6 ? !has6(n) : !has4(n))
            continue;
        snprintf(cmd, sizeof(cmd), "list set %s %s %s", n->conf.family, n->conf.table,
                 v6 ? "block6" : "block4");
        if (nft_run_cmd_from_buffer(n->ctx, cmd) != 0)
            return -1;
        /* Copy: fn may run nft commands, which reset the output buffer. */
        const char *o = nft_ctx_get_output_buffer(n->ctx);
        char *copy = strdup(o ? o : "");
        if (copy == NULL)
            return -1;
        total += parse_elements(copy, fn, arg);
        free(copy);
    }
    return total;
}

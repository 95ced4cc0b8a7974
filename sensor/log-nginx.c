/* nginx and Apache access logs: the combined format (tolerating fields
 * appended after it, and Apache's shorter common format), or any nginx
 * `log_format` from the config, compiled into a token program of literals
 * and variables that is matched left to right without backtracking. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/logparse.h"
#include "sensor/logsrc.h"

enum nginx_var {
    V_SKIP,
    V_REMOTE_ADDR,
    V_REMOTE_PORT,
    V_REMOTE_USER,
    V_TIME_LOCAL,
    V_TIME_ISO,
    V_MSEC,
    V_REQUEST,
    V_METHOD,
    V_REQUEST_URI,
    V_URI,
    V_STATUS,
    V_BODY_BYTES,
    V_BYTES_SENT,
    V_SERVER_ADDR,
    V_SERVER_PORT,
    V_XFF,
};

static const struct {
    const char *name;
    enum nginx_var v;
} nginx_vars[] = {
    {"remote_addr", V_REMOTE_ADDR},
    {"remote_port", V_REMOTE_PORT},
    {"remote_user", V_REMOTE_USER},
    {"time_local", V_TIME_LOCAL},
    {"time_iso8601", V_TIME_ISO},
    {"msec", V_MSEC},
    {"request", V_REQUEST},
    {"request_method", V_METHOD},
    {"request_uri", V_REQUEST_URI},
    {"uri", V_URI},
    {"document_uri", V_URI},
    {"status", V_STATUS},
    {"body_bytes_sent", V_BODY_BYTES},
    {"bytes_sent", V_BYTES_SENT},
    {"server_addr", V_SERVER_ADDR},
    {"server_port", V_SERVER_PORT},
    {"http_x_forwarded_for", V_XFF},
};

#define NGINX_MAX_OPS 64
#define NGINX_COMBINED                                                                             \
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "             \
    "\"$http_referer\" \"$http_user_agent\""

struct nginx_op {
    enum nginx_var var; /* V_SKIP with lit_len > 0: a literal */
    int is_var;
    const char *lit; /* into fmt */
    size_t lit_len;
};

struct nginx_state {
    char fmt[2048];
    struct nginx_op ops[NGINX_MAX_OPS];
    int nops;
    int min_ops; /* a line may end after this many ops (Apache common) */
    const char *name;
    char last_time[32]; /* cache of the last $time_local and its value */
    int64_t last_us;
};

static enum nginx_var var_lookup(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(nginx_vars) / sizeof(nginx_vars[0]); i++)
        if (strlen(nginx_vars[i].name) == n && memcmp(nginx_vars[i].name, s, n) == 0)
            return nginx_vars[i].v;
    return V_SKIP;
}

static int var_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Compiles st->fmt into ops. Returns 0 or -1 with err. */
static int nginx_compile(struct nginx_state *st, struct bw_err *err)
{
    const char *f = st->fmt;
    size_t n = strlen(f), i = 0;
    st->nops = 0;
    while (i < n) {
        if (st->nops == NGINX_MAX_OPS)
            return bw_err_set(err, "log_format: more than %d fields", NGINX_MAX_OPS);
        struct nginx_op *op = &st->ops[st->nops];
        memset(op, 0, sizeof(*op));
        if (f[i] == '$' && i + 1 < n && (var_char(f[i + 1]) || f[i + 1] == '{')) {
            size_t s, e;
            if (f[i + 1] == '{') {
                s = i + 2;
                e = s;
                while (e < n && f[e] != '}')
                    e++;
                if (e == n)
                    return bw_err_set(err, "log_format: unclosed ${ at offset %zu", i);
                i = e + 1;
            } else {
                s = i + 1;
                e = s;
                while (e < n && var_char(f[e]))
                    e++;
                i = e;
            }
            if (st->nops > 0 && st->ops[st->nops - 1].is_var)
                return bw_err_set(err,
                                  "log_format: two variables without a separator at "
                                  "offset %zu",
                                  s - 1);
            op->is_var = 1;
            op->var = var_lookup(f + s, e - s);
        } else {
            size_t s = i;
            while (i < n && !(f[i] == '$' && i + 1 < n && (var_char(f[i + 1]) || f[i + 1] == '{')))
                i++;
            op->lit = f + s;
            op->lit_len = i - s;
        }
        st->nops++;
    }
    st->min_ops = st->nops;
    return 0;
}

static void *nginx_create_named(const struct log_fmt_cfg *cfg, const char *name, struct bw_err *err)
{
    struct nginx_state *st = calloc(1, sizeof(*st));
    const char *fmt = NULL;
    if (st == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    st->name = name;
    if (cfg != NULL && log_cfg_str(cfg, "log_format", &fmt, err) != 0)
        goto fail;
    if (fmt == NULL || strcmp(fmt, "combined") == 0)
        fmt = NGINX_COMBINED;
    if (strlen(fmt) >= sizeof(st->fmt)) {
        bw_err_set(err, "log_format: longer than %zu bytes", sizeof(st->fmt) - 1);
        goto fail;
    }
    memcpy(st->fmt, fmt, strlen(fmt) + 1);
    if (nginx_compile(st, err) != 0)
        goto fail;
    if (strcmp(fmt, NGINX_COMBINED) == 0)
        st->min_ops = 11; /* ... $status $body_bytes_sent: Apache's common format */
    return st;
fail:
    free(st);
    return NULL;
}

static void *nginx_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    return nginx_create_named(cfg, "nginx", err);
}

static void *apache_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    return nginx_create_named(cfg, "apache", err);
}

static void nginx_destroy(void *state)
{
    free(state);
}

/* Literals between variables are one to three bytes ("\" ", " [", "] \""):
 * compared inline, the library call cost more than the comparison. */
static inline int lit_eq(const char *a, const char *b, size_t n)
{
    uint16_t x, y;
    switch (n) {
    case 0:
        return 1;
    case 1:
        return a[0] == b[0];
    case 2:
    case 3:
        memcpy(&x, a, 2);
        memcpy(&y, b, 2);
        return x == y && a[n - 1] == b[n - 1];
    default:
        return memcmp(a, b, n) == 0;
    }
}

/* "-" (nginx and Apache write it for an empty value) counts as empty. */
static int dash(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '-');
}

static enum log_verdict nginx_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    struct nginx_state *st = state;
    struct bw_access ev;
    const char *uri = NULL, *req_uri = NULL, *xff = NULL;
    size_t uri_n = 0, req_uri_n = 0, xff_n = 0;
    uint64_t body = 0, sent = 0;
    int have_body = 0, have_sent = 0, have_time = 0;
    size_t pos = 0;
    access_init(&ev);
    while (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return LOG_SKIP;
    for (int i = 0; i < st->nops; i++) {
        const struct nginx_op *op = &st->ops[i];
        if (pos == len && i >= st->min_ops)
            break;
        if (!op->is_var) {
            if (len - pos < op->lit_len || !lit_eq(line + pos, op->lit, op->lit_len))
                return LOG_BAD;
            pos += op->lit_len;
            continue;
        }
        /* A variable extends to the next literal (or, last, to a space). */
        size_t end;
        if (i + 1 < st->nops) {
            const struct nginx_op *nx = &st->ops[i + 1];
            size_t from = pos;
            for (;;) {
                end = from + logp_find(line + from, len - from, nx->lit[0]);
                if (end == len)
                    break;
                if (len - end >= nx->lit_len && lit_eq(line + end, nx->lit, nx->lit_len))
                    break;
                from = end + 1;
            }
            if (end == len && !(i + 1 >= st->min_ops))
                return LOG_BAD;
        } else {
            end = pos + logp_find(line + pos, len - pos, ' ');
        }
        const char *v = line + pos;
        size_t vn = end - pos;
        pos = end;
        switch (op->var) {
        case V_REMOTE_ADDR:
            if (logp_addr(v, vn, &ev.actor_ip) != 0)
                return LOG_BAD;
            break;
        case V_REMOTE_PORT: {
            uint64_t p;
            if (logp_u64(v, vn, &p) == 0 && p <= 65535)
                ev.actor_port = (uint16_t)p;
            break;
        }
        case V_REMOTE_USER:
            if (!dash(v, vn))
                logp_copy(ev.actor_user, sizeof(ev.actor_user), v, vn);
            break;
        case V_TIME_LOCAL:
            if (vn < sizeof(st->last_time) && st->last_time[vn] == '\0' &&
                memcmp(st->last_time, v, vn) == 0 && vn > 0) {
                ev.ts_us = st->last_us;
            } else {
                if (vn != 26 || logp_time_clf(v, vn, &ev.ts_us) != 0)
                    return LOG_BAD;
                memcpy(st->last_time, v, vn);
                st->last_time[vn] = '\0';
                st->last_us = ev.ts_us;
            }
            have_time = 1;
            break;
        case V_TIME_ISO:
            if (logp_time_iso(v, vn, &ev.ts_us) < 0)
                return LOG_BAD;
            have_time = 1;
            break;
        case V_MSEC:
            if (logp_time_epoch(v, vn, &ev.ts_us) != 0)
                return LOG_BAD;
            have_time = 1;
            break;
        case V_REQUEST: {
            /* "GET /path HTTP/1.1"; anything else (garbage sent to the port)
             * is still a request, with no endpoint. */
            size_t sp = logp_find(v, vn, ' ');
            if (sp < vn) {
                size_t s2 = sp + 1 + logp_find(v + sp + 1, vn - sp - 1, ' ');
                req_uri = v + sp + 1;
                req_uri_n = s2 - sp - 1;
            }
            break;
        }
        case V_REQUEST_URI:
            req_uri = v;
            req_uri_n = vn;
            break;
        case V_URI:
            uri = v;
            uri_n = vn;
            break;
        case V_STATUS: {
            uint64_t s;
            if (logp_u64(v, vn, &s) != 0 || s > 999)
                return LOG_BAD;
            ev.status = (int)s;
            break;
        }
        case V_BODY_BYTES:
            if (!dash(v, vn) && logp_u64(v, vn, &body) != 0)
                return LOG_BAD;
            have_body = 1;
            break;
        case V_BYTES_SENT:
            if (!dash(v, vn) && logp_u64(v, vn, &sent) != 0)
                return LOG_BAD;
            have_sent = 1;
            break;
        case V_SERVER_ADDR:
            (void)logp_addr(v, vn, &ev.dest_ip);
            break;
        case V_SERVER_PORT: {
            uint64_t p;
            if (logp_u64(v, vn, &p) == 0 && p <= 65535)
                ev.dest_port = (uint16_t)p;
            break;
        }
        case V_XFF:
            xff = v;
            xff_n = vn;
            break;
        case V_METHOD:
        case V_SKIP:
            break;
        }
    }
    if (!have_time)
        ev.ts_us = 0;
    (void)xff;
    (void)xff_n;
    ev.channel = ACCESS_CH_LOG;
    ev.format = st->name;
    ev.direction = ACCESS_READ;
    ev.bytes = have_body ? body : have_sent ? sent : 0;
    if (req_uri != NULL)
        logp_http(&ev, req_uri, req_uri_n);
    else if (uri != NULL)
        logp_http(&ev, uri, uri_n);
    ev.records_src = ACCESS_REC_NONE;
    log_emit(em, &ev);
    return LOG_ENTRY;
}

static const char *const nginx_keys[] = {"log_format", NULL};

const struct log_format log_format_nginx = {
    .name = "nginx",
    .keys = nginx_keys,
    .create = nginx_create,
    .destroy = nginx_destroy,
    .parse_line = nginx_parse,
};

const struct log_format log_format_apache = {
    .name = "apache",
    .keys = nginx_keys,
    .create = apache_create,
    .destroy = nginx_destroy,
    .parse_line = nginx_parse,
};

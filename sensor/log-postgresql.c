/* PostgreSQL logs: the stderr log with the configured log_line_prefix (escapes
 * %m %t %n %p %u %d %h %r %a %l %c %s %v %x %e %i %b %q %%...), csvlog and
 * jsonlog. `statement:` and `duration: ... statement:` / `execute` messages
 * become access events; the statement names the dataset. */
#include "sensor/log-postgresql.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/logparse.h"
#include "sensor/sql-estimate.h"

/* ---- log_line_prefix --------------------------------------------------- */

int pg_prefix_compile(struct pg_prefix *p, const char *prefix, struct bw_err *err)
{
    memset(p, 0, sizeof(*p));
    if (prefix == NULL)
        prefix = PG_DEFAULT_PREFIX;
    if (strlen(prefix) >= sizeof(p->text))
        return bw_err_set(err, "log_line_prefix: longer than %zu bytes", sizeof(p->text) - 1);
    memcpy(p->text, prefix, strlen(prefix) + 1);
    const char *t = p->text;
    size_t n = strlen(t), i = 0;
    while (i < n) {
        if (p->nops == PG_PREFIX_OPS)
            return bw_err_set(err, "log_line_prefix: too many fields");
        struct pg_prefix_op *op = &p->ops[p->nops];
        if (t[i] == '%' && i + 1 < n && t[i + 1] != '%') {
            size_t j = i + 1;
            /* Padding like %-10u or %10p: PostgreSQL allows a width. */
            while (j < n && (t[j] == '-' || isdigit((unsigned char)t[j])))
                j++;
            if (j >= n)
                return bw_err_set(err, "log_line_prefix: '%%' at the end");
            if (!strchr("amntpPudhrlcsvxeiQbq", t[j]))
                return bw_err_set(err, "log_line_prefix: unknown escape %%%c", t[j]);
            if (p->nops > 0 && p->ops[p->nops - 1].esc && p->ops[p->nops - 1].esc != 'q' &&
                t[j] != 'q')
                return bw_err_set(err, "log_line_prefix: escapes %%%c%%%c need a separator",
                                  p->ops[p->nops - 1].esc, t[j]);
            op->esc = t[j];
            i = j + 1;
        } else {
            /* Literal, with %% as a percent sign: stored in place by
             * compacting the text. */
            char *w = p->text + i;
            op->lit = w;
            size_t k = i;
            while (k < n && !(t[k] == '%' && k + 1 < n && t[k + 1] != '%')) {
                if (t[k] == '%' && k + 1 < n && t[k + 1] == '%')
                    k++;
                *w++ = t[k++];
            }
            op->lit_len = (size_t)(w - op->lit);
            /* Blank out what compaction freed (never read again). */
            for (char *z = w; z < p->text + k; z++)
                *z = '\0';
            i = k;
        }
        p->nops++;
    }
    return 0;
}

static const char *const pg_levels[] = {
    "LOG",    "ERROR",  "STATEMENT", "DETAIL",   "HINT",   "CONTEXT", "WARNING",
    "NOTICE", "INFO",   "FATAL",     "PANIC",    "DEBUG1", "DEBUG2",  "DEBUG3",
    "DEBUG4", "DEBUG5", "QUERY",     "LOCATION", NULL,
};

/* "LOG:  text" -> level, text offset. Returns 0 or -1. */
static int split_level(const char *s, size_t n, char *level, size_t lcap, size_t *text_off)
{
    size_t c = logp_find(s, n, ':');
    if (c == n || c == 0 || c >= lcap)
        return -1;
    int ok = 0;
    for (int i = 0; pg_levels[i] != NULL; i++)
        if (strlen(pg_levels[i]) == c && memcmp(pg_levels[i], s, c) == 0)
            ok = 1;
    if (!ok)
        return -1;
    memcpy(level, s, c);
    level[c] = '\0';
    size_t i = c + 1;
    while (i < n && i < c + 3 && s[i] == ' ')
        i++;
    *text_off = i;
    return 0;
}

static int pg_value(struct pg_msg *m, char esc, const char *v, size_t vn)
{
    uint64_t u;
    switch (esc) {
    case 'u':
        if (!(vn == 1 && v[0] == '['))
            logp_copy(m->user, sizeof(m->user), v, vn);
        break;
    case 'd':
        logp_copy(m->db, sizeof(m->db), v, vn);
        break;
    case 'p':
        if (logp_u64(v, vn, &u) != 0 || u > 0x7fffffff)
            return -1;
        m->pid = (int)u;
        break;
    case 'h':
        (void)logp_addr(v, vn, &m->host);
        break;
    case 'r': {
        /* host(port), or [local] */
        size_t lp = logp_find(v, vn, '(');
        (void)logp_addr(v, lp, &m->host);
        if (lp < vn && v[vn - 1] == ')' && logp_u64(v + lp + 1, vn - lp - 2, &u) == 0 && u <= 65535)
            m->port = (uint16_t)u;
        break;
    }
    default:
        break;
    }
    return 0;
}

/* Matches the prefix from op `from` at line[pos]. Returns the offset of the
 * message or -1. `qpos` receives where %q was reached (or -1). */
static long prefix_match(const struct pg_prefix *p, int from, const char *line, size_t len,
                         size_t pos, struct pg_msg *m, long *qpos, int *qop)
{
    for (int i = from; i < p->nops; i++) {
        const struct pg_prefix_op *op = &p->ops[i];
        if (!op->esc) {
            if (len - pos < op->lit_len || memcmp(line + pos, op->lit, op->lit_len) != 0)
                return -1;
            pos += op->lit_len;
            continue;
        }
        if (op->esc == 'q') {
            if (qpos != NULL && *qpos < 0) {
                *qpos = (long)pos;
                *qop = i + 1;
            }
            continue;
        }
        if (op->esc == 'm' || op->esc == 't' || op->esc == 's') {
            int64_t us;
            int c = logp_time_iso(line + pos, len - pos, &us);
            if (c < 0)
                return -1;
            if (op->esc != 's')
                m->ts_us = us;
            pos += (size_t)c;
            continue;
        }
        /* Other escapes extend to the next literal (or the next space at the end). */
        size_t end;
        const struct pg_prefix_op *nx = NULL;
        for (int k = i + 1; k < p->nops; k++) {
            if (!p->ops[k].esc) {
                nx = &p->ops[k];
                break;
            }
            if (p->ops[k].esc != 'q')
                break;
        }
        if (nx != NULL && nx->lit_len > 0) {
            size_t from2 = pos;
            for (;;) {
                end = from2 + logp_find(line + from2, len - from2, nx->lit[0]);
                if (end == len)
                    return -1;
                if (len - end >= nx->lit_len && memcmp(line + end, nx->lit, nx->lit_len) == 0)
                    break;
                from2 = end + 1;
            }
        } else {
            end = pos + logp_find(line + pos, len - pos, ' ');
        }
        if (op->esc == 'n') {
            int64_t us;
            if (logp_time_epoch(line + pos, end - pos, &us) != 0)
                return -1;
            m->ts_us = us;
        } else if (pg_value(m, op->esc, line + pos, end - pos) != 0) {
            return -1;
        }
        pos = end;
    }
    return (long)pos;
}

/* Parses the prefix and level of a first line into m. 0 or -1. */
static int pg_line_head(const struct pg_prefix *p, const char *line, size_t len, struct pg_msg *m)
{
    long q = -1;
    int qop = 0;
    m->ts_us = 0;
    m->pid = 0;
    m->user[0] = m->db[0] = '\0';
    memset(&m->host, 0, sizeof(m->host));
    m->port = 0;
    size_t toff;
    long at = prefix_match(p, 0, line, len, 0, m, &q, &qop);
    if (at >= 0 && split_level(line + at, len - (size_t)at, m->level, sizeof(m->level), &toff) == 0)
        goto ok;
    /* Non-session processes stop at %q. */
    if (q >= 0 && split_level(line + q, len - (size_t)q, m->level, sizeof(m->level), &toff) == 0) {
        m->user[0] = m->db[0] = '\0';
        memset(&m->host, 0, sizeof(m->host));
        at = q;
        goto ok;
    }
    return -1;
ok:
    m->text_len = 0;
    size_t s = (size_t)at + toff;
    size_t n = len - s < sizeof(m->text) ? len - s : sizeof(m->text);
    memcpy(m->text, line + s, n);
    m->text_len = n;
    return 0;
}

int pg_stderr_init(struct pg_stderr *s, const struct log_fmt_cfg *cfg, pg_msg_fn fn, void *ctx,
                   struct bw_err *err)
{
    const char *prefix = NULL;
    memset(s, 0, sizeof(*s));
    if (cfg != NULL && log_cfg_str(cfg, "log_line_prefix", &prefix, err) != 0)
        return -1;
    if (pg_prefix_compile(&s->prefix, prefix, err) != 0)
        return -1;
    if (prefix == NULL) {
        if (pg_prefix_compile(&s->alt, PG_DEBIAN_PREFIX, err) != 0)
            return -1;
        s->has_alt = 1;
    }
    s->fn = fn;
    s->ctx = ctx;
    return 0;
}

enum log_verdict pg_stderr_line(struct pg_stderr *s, const char *line, size_t len,
                                struct log_emit *em)
{
    while (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > 0 && line[0] == '\t') {
        if (!s->pending)
            return LOG_BAD;
        struct pg_msg *m = &s->msg;
        if (m->text_len < sizeof(m->text))
            m->text[m->text_len++] = '\n';
        size_t room = sizeof(m->text) - m->text_len;
        size_t n = len - 1 < room ? len - 1 : room;
        memcpy(m->text + m->text_len, line + 1, n);
        m->text_len += n;
        return LOG_ENTRY;
    }
    if (s->pending) {
        s->pending = 0;
        s->fn(s->ctx, &s->msg, em);
    }
    if (len == 0)
        return LOG_SKIP;
    if (pg_line_head(&s->prefix, line, len, &s->msg) != 0 &&
        (!s->has_alt || pg_line_head(&s->alt, line, len, &s->msg) != 0))
        return LOG_BAD;
    s->pending = 1;
    em->started = 1;
    return LOG_ENTRY;
}

void pg_stderr_flush(struct pg_stderr *s, struct log_emit *em)
{
    if (s->pending) {
        s->pending = 0;
        s->fn(s->ctx, &s->msg, em);
    }
}

void pg_msg_event(const struct pg_msg *m, const char *format, struct bw_access *ev)
{
    access_init(ev);
    ev->channel = ACCESS_CH_LOG;
    ev->format = format;
    ev->direction = ACCESS_READ;
    ev->ts_us = m->ts_us;
    ev->actor_ip = m->host;
    ev->actor_port = m->port;
    memcpy(ev->actor_user, m->user, sizeof(ev->actor_user));
}

/* The statement of a "statement: ", "duration: X ms  statement: " or
 * "execute NAME: " message, or NULL. */
static const char *pg_statement(const char *t, size_t n, size_t *sn)
{
    size_t i = 0;
    if (logp_starts(t, n, "duration: ")) {
        long at = logp_search(t, n, " ms  ", 5);
        if (at < 0)
            return NULL;
        i = (size_t)at + 5;
    }
    if (logp_starts(t + i, n - i, "statement: ")) {
        i += 11;
    } else if (logp_starts(t + i, n - i, "execute ")) {
        size_t c = logp_search(t + i, n - i, ": ", 2) >= 0
                       ? (size_t)logp_search(t + i, n - i, ": ", 2)
                       : n - i;
        if (c == n - i)
            return NULL;
        i += c + 2;
    } else {
        return NULL;
    }
    *sn = n - i;
    return t + i;
}

static void pg_statement_event(const struct pg_msg *m, const char *format, struct log_emit *em,
                               int *entries)
{
    size_t sn;
    if (strcmp(m->level, "LOG") != 0)
        return;
    const char *sql = pg_statement(m->text, m->text_len, &sn);
    if (sql == NULL)
        return;
    struct bw_access ev;
    pg_msg_event(m, format, &ev);
    logp_sql(&ev, sql, sn, "public");
    ev.records_src = ACCESS_REC_NONE;
    /* no row counts in these logs: what the statement asks for, from its
     * whole text (the sensor turns it into records with the inventory) */
    (void)sql_shape_read(sql, sn, &ev.sql);
    log_emit(em, &ev);
    (*entries)++;
}

/* ---- stderr ------------------------------------------------------------ */

struct pg_state {
    struct pg_stderr rd;
    int entries;
};

static void pg_on_msg(void *ctx, const struct pg_msg *m, struct log_emit *em)
{
    struct pg_state *st = ctx;
    pg_statement_event(m, "postgresql", em, &st->entries);
}

static void *pg_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    struct pg_state *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    if (pg_stderr_init(&st->rd, cfg, pg_on_msg, st, err) != 0) {
        free(st);
        return NULL;
    }
    return st;
}

static void pg_destroy(void *state)
{
    free(state);
}

static enum log_verdict pg_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    struct pg_state *st = state;
    return pg_stderr_line(&st->rd, line, len, em);
}

static void pg_flush(void *state, struct log_emit *em)
{
    struct pg_state *st = state;
    pg_stderr_flush(&st->rd, em);
}

static int pg_pending(const void *state)
{
    return ((const struct pg_state *)state)->rd.pending;
}

static const char *const pg_keys[] = {"log_line_prefix", NULL};

const struct log_format log_format_postgresql = {
    .name = "postgresql",
    .keys = pg_keys,
    .create = pg_create,
    .destroy = pg_destroy,
    .parse_line = pg_parse,
    .flush = pg_flush,
    .pending = pg_pending,
};

/* ---- csvlog ------------------------------------------------------------ */

#define PGCSV_REC_MAX (64u * 1024)
#define PGCSV_FIELDS  26

struct pgcsv_state {
    char rec[PGCSV_REC_MAX]; /* a record spanning lines (quoted newlines) */
    size_t len;
    int in_quote;
    int overflow;
    int pending;
    struct pg_msg msg;
    int entries;
};

static void *pgcsv_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    (void)cfg;
    struct pgcsv_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        bw_err_set(err, "out of memory");
    return st;
}

/* Splits a CSV record into fields, unquoting in place. Returns the count. */
static int csv_split(char *r, size_t n, char **f, size_t *fl, int max)
{
    int nf = 0;
    size_t i = 0;
    for (;;) {
        if (nf == max)
            return nf;
        char *w = r + i;
        f[nf] = w;
        if (i < n && r[i] == '"') {
            i++;
            while (i < n) {
                if (r[i] == '"') {
                    if (i + 1 < n && r[i + 1] == '"') {
                        *w++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *w++ = r[i++];
            }
            fl[nf] = (size_t)(w - f[nf]);
            while (i < n && r[i] != ',')
                i++;
        } else {
            while (i < n && r[i] != ',')
                i++;
            fl[nf] = (size_t)(r + i - f[nf]);
        }
        nf++;
        if (i >= n)
            return nf;
        i++; /* comma */
    }
}

static enum log_verdict pgcsv_record(struct pgcsv_state *st, struct log_emit *em)
{
    char *f[PGCSV_FIELDS];
    size_t fl[PGCSV_FIELDS];
    int nf = csv_split(st->rec, st->len, f, fl, PGCSV_FIELDS);
    if (nf < 14)
        return LOG_BAD;
    struct pg_msg *m = &st->msg;
    memset(&m->host, 0, sizeof(m->host));
    m->port = 0;
    if (logp_time_iso(f[0], fl[0], &m->ts_us) < 0)
        return LOG_BAD;
    logp_copy(m->user, sizeof(m->user), f[1], fl[1]);
    logp_copy(m->db, sizeof(m->db), f[2], fl[2]);
    uint64_t u;
    m->pid = logp_u64(f[3], fl[3], &u) == 0 && u < 0x7fffffff ? (int)u : 0;
    size_t colon = 0;
    while (colon < fl[4] && f[4][colon] != ':')
        colon++;
    /* connection_from: host:port ([local] for Unix sockets); IPv6 has colons. */
    size_t last = fl[4];
    for (size_t k = 0; k < fl[4]; k++)
        if (f[4][k] == ':')
            last = k;
    if (last < fl[4] && logp_addr(f[4], last, &m->host) == 0) {
        if (logp_u64(f[4] + last + 1, fl[4] - last - 1, &u) == 0 && u <= 65535)
            m->port = (uint16_t)u;
    } else {
        (void)logp_addr(f[4], fl[4], &m->host);
    }
    logp_copy(m->level, sizeof(m->level), f[11], fl[11]);
    size_t tn = fl[13] < sizeof(m->text) ? fl[13] : sizeof(m->text);
    memcpy(m->text, f[13], tn);
    m->text_len = tn;
    int before = st->entries;
    pg_statement_event(m, "postgresql-csv", em, &st->entries);
    return st->entries > before ? LOG_ENTRY : LOG_SKIP;
}

static enum log_verdict pgcsv_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    struct pgcsv_state *st = state;
    if (!st->pending) {
        if (len == 0)
            return LOG_SKIP;
        st->len = 0;
        st->in_quote = 0;
        st->overflow = 0;
        st->pending = 1;
        em->started = 1;
    } else if (st->len < sizeof(st->rec)) {
        st->rec[st->len++] = '\n';
    } else {
        st->overflow = 1;
    }
    for (size_t i = 0; i < len; i++)
        if (line[i] == '"')
            st->in_quote = !st->in_quote;
    size_t room = sizeof(st->rec) - st->len;
    if (len > room) {
        st->overflow = 1;
        len = room;
    }
    memcpy(st->rec + st->len, line, len);
    st->len += len;
    if (st->in_quote)
        return LOG_ENTRY; /* the record continues */
    st->pending = 0;
    if (st->overflow)
        return LOG_BAD;
    return pgcsv_record(st, em);
}

static void pgcsv_flush(void *state, struct log_emit *em)
{
    struct pgcsv_state *st = state;
    (void)em;
    /* An unterminated quoted record at EOF is incomplete: dropped. */
    st->pending = 0;
}

static int pgcsv_pending(const void *state)
{
    return ((const struct pgcsv_state *)state)->pending;
}

const struct log_format log_format_postgresql_csv = {
    .name = "postgresql-csv",
    .create = pgcsv_create,
    .destroy = pg_destroy,
    .parse_line = pgcsv_parse,
    .flush = pgcsv_flush,
    .pending = pgcsv_pending,
};

/* ---- jsonlog ----------------------------------------------------------- */

struct pgjson_state {
    struct pg_msg msg;
    int entries;
};

static void *pgjson_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    (void)cfg;
    struct pgjson_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        bw_err_set(err, "out of memory");
    return st;
}

static const char *jstr(json_t *o, const char *k, size_t *n)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        return NULL;
    *n = json_string_length(v);
    return json_string_value(v);
}

static enum log_verdict pgjson_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    struct pgjson_state *st = state;
    json_error_t jerr;
    if (len == 0)
        return LOG_SKIP;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    enum log_verdict v = LOG_BAD;
    const char *s;
    size_t n;
    if (!json_is_object(o))
        goto out;
    struct pg_msg *m = &st->msg;
    memset(m, 0, offsetof(struct pg_msg, text));
    if ((s = jstr(o, "timestamp", &n)) == NULL || logp_time_iso(s, n, &m->ts_us) < 0)
        goto out;
    if ((s = jstr(o, "user", &n)) != NULL)
        logp_copy(m->user, sizeof(m->user), s, n);
    if ((s = jstr(o, "dbname", &n)) != NULL)
        logp_copy(m->db, sizeof(m->db), s, n);
    if ((s = jstr(o, "remote_host", &n)) != NULL)
        (void)logp_addr(s, n, &m->host);
    json_t *port = json_object_get(o, "remote_port");
    if (json_is_integer(port) && json_integer_value(port) >= 0 && json_integer_value(port) <= 65535)
        m->port = (uint16_t)json_integer_value(port);
    json_t *pid = json_object_get(o, "pid");
    if (json_is_integer(pid) && json_integer_value(pid) >= 0 &&
        json_integer_value(pid) < 0x7fffffff)
        m->pid = (int)json_integer_value(pid);
    if ((s = jstr(o, "error_severity", &n)) == NULL)
        goto out;
    logp_copy(m->level, sizeof(m->level), s, n);
    if ((s = jstr(o, "message", &n)) == NULL)
        goto out;
    m->text_len = n < sizeof(m->text) ? n : sizeof(m->text);
    memcpy(m->text, s, m->text_len);
    int before = st->entries;
    pg_statement_event(m, "postgresql-json", em, &st->entries);
    v = st->entries > before ? LOG_ENTRY : LOG_SKIP;
out:
    json_decref(o);
    return v;
}

const struct log_format log_format_postgresql_json = {
    .name = "postgresql-json",
    .create = pgjson_create,
    .destroy = pg_destroy,
    .parse_line = pgjson_parse,
};

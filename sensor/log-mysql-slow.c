/* MariaDB/MySQL slow query log: multi-line entries of `# Time:`, `# User@Host:`,
 * `# Query_time: ... Rows_sent:` header lines, then `use db;`, `SET timestamp=N;`
 * and the statement. An entry is complete at the statement's terminating `;`,
 * at the next entry's header, or at end of input. `# Time:` is not repeated
 * for every entry (MariaDB writes it when the second changes): the last one is
 * carried forward. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "sensor/logparse.h"
#include "sensor/logsrc.h"

#define MYSLOW_STMT_MAX 8192

struct myslow {
    int64_t last_time_us; /* last `# Time:` seen, carried forward */
    int in_entry;         /* a header was seen */
    int has_stmt;
    int has_userhost;
    int64_t own_time_us; /* this entry's `# Time:` (0 = none) */
    int64_t set_ts_us;   /* SET timestamp= (0 = none) */
    char user[ACCESS_USER_MAX];
    char schema[64];
    char use_schema[64]; /* from `use db;` */
    struct bw_addr ip;
    uint64_t rows_sent, rows_examined, rows_affected, bytes_sent;
    int have_bytes;
    char stmt[MYSLOW_STMT_MAX];
    size_t stmt_len;
};

static void *myslow_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    (void)cfg;
    struct myslow *s = calloc(1, sizeof(*s));
    if (s == NULL)
        bw_err_set(err, "out of memory");
    return s;
}

static void myslow_destroy(void *state)
{
    free(state);
}

static void entry_reset(struct myslow *s)
{
    s->in_entry = 0;
    s->has_stmt = 0;
    s->has_userhost = 0;
    s->own_time_us = 0;
    s->set_ts_us = 0;
    s->user[0] = '\0';
    s->schema[0] = '\0';
    s->use_schema[0] = '\0';
    memset(&s->ip, 0, sizeof(s->ip));
    s->rows_sent = s->rows_examined = s->rows_affected = s->bytes_sent = 0;
    s->have_bytes = 0;
    s->stmt_len = 0;
}

static void entry_emit(struct myslow *s, struct log_emit *em)
{
    if (!s->in_entry)
        return;
    struct bw_access ev;
    access_init(&ev);
    ev.channel = ACCESS_CH_LOG;
    ev.format = "mysql-slow";
    ev.direction = ACCESS_READ;
    ev.ts_us = s->own_time_us ? s->own_time_us : s->set_ts_us ? s->set_ts_us : s->last_time_us;
    ev.actor_ip = s->ip;
    memcpy(ev.actor_user, s->user, sizeof(ev.actor_user));
    const char *schema = s->use_schema[0] ? s->use_schema : s->schema;
    logp_sql(&ev, s->stmt, s->stmt_len, schema);
    ev.records = s->rows_sent;
    ev.records_src = ACCESS_REC_ROWS;
    ev.bytes = s->have_bytes ? s->bytes_sent : 0;
    log_emit(em, &ev);
    entry_reset(s);
}

/* "# Time: 2026-12-01T07:51:33.123456Z" or "# Time: 261201  7:51:33". */
static int parse_time(const char *v, size_t n, int64_t *us)
{
    if (n >= 19 && v[4] == '-')
        return logp_time_iso(v, n, us) > 0 ? 0 : -1;
    /* yymmdd h:mm:ss, the hour space-padded. */
    int f[6] = {0};
    size_t i = 0;
    if (n < 13)
        return -1;
    for (int k = 0; k < 6; k++) {
        if (!isdigit((unsigned char)v[k]))
            return -1;
    }
    f[0] = 2000 + (v[0] - '0') * 10 + (v[1] - '0');
    f[1] = (v[2] - '0') * 10 + (v[3] - '0');
    f[2] = (v[4] - '0') * 10 + (v[5] - '0');
    i = 6;
    while (i < n && v[i] == ' ')
        i++;
    for (int k = 3; k < 6; k++) {
        int d = 0, nd = 0;
        while (i < n && isdigit((unsigned char)v[i]) && nd < 2) {
            d = d * 10 + (v[i] - '0');
            i++;
            nd++;
        }
        if (nd == 0)
            return -1;
        f[k] = d;
        if (k < 5) {
            if (i >= n || v[i] != ':')
                return -1;
            i++;
        }
    }
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return -1;
    *us = (bw_days_from_civil(f[0], (unsigned)f[1], (unsigned)f[2]) * 86400 + f[3] * 3600 +
           f[4] * 60 + f[5]) *
          BW_USEC;
    return 0;
}

/* Finds "Key: value" in a header line; returns the value's bytes. */
static int header_value(const char *line, size_t len, const char *key, const char **v, size_t *vn)
{
    size_t kl = strlen(key);
    long at = logp_search(line, len, key, kl);
    if (at < 0)
        return -1;
    size_t i = (size_t)at + kl;
    while (i < len && line[i] == ' ')
        i++;
    size_t s = i;
    while (i < len && line[i] != ' ')
        i++;
    *v = line + s;
    *vn = i - s;
    return 0;
}

static void header_u64(const char *line, size_t len, const char *key, uint64_t *out, int *have)
{
    const char *v;
    size_t vn;
    if (header_value(line, len, key, &v, &vn) == 0 && logp_u64(v, vn, out) == 0 && have != NULL)
        *have = 1;
}

/* "# User@Host: root[root] @ localhost [127.0.0.1]  Id: 8" */
static int parse_userhost(struct myslow *s, const char *v, size_t n)
{
    size_t b = logp_find(v, n, '[');
    if (b == n)
        return -1;
    logp_copy(s->user, sizeof(s->user), v, b);
    long at = logp_search(v, n, " @ ", 3);
    if (at < 0)
        return -1;
    size_t i = (size_t)at + 3;
    size_t hs = i;
    while (i < n && v[i] != ' ' && v[i] != '[')
        i++;
    struct bw_addr a;
    if (i > hs && logp_addr(v + hs, i - hs, &a) == 0)
        s->ip = a;
    size_t lb = i + logp_find(v + i, n - i, '[');
    if (lb < n) {
        size_t rb = lb + logp_find(v + lb, n - lb, ']');
        if (rb < n && rb > lb + 1 && logp_addr(v + lb + 1, rb - lb - 1, &a) == 0)
            s->ip = a;
    }
    return 0;
}

static void copy_schema(char *dst, size_t cap, const char *v, size_t n)
{
    while (n > 0 && (v[n - 1] == ';' || v[n - 1] == ' '))
        n--;
    if (n >= 2 && v[0] == '`' && v[n - 1] == '`') {
        v++;
        n -= 2;
    }
    logp_copy(dst, cap, v, n);
}

static enum log_verdict myslow_parse(void *state, const char *line, size_t len, struct log_emit *em)
{
    struct myslow *s = state;
    while (len > 0 && line[len - 1] == '\r')
        len--;
    if (len >= 2 && line[0] == '#' && line[1] == ' ') {
        const char *v = line + 2;
        size_t vn = len - 2;
        if (logp_starts(v, vn, "Time:")) {
            int64_t t;
            size_t i = 5;
            while (i < vn && v[i] == ' ')
                i++;
            if (parse_time(v + i, vn - i, &t) != 0)
                return LOG_BAD;
            if (s->in_entry && (s->has_stmt || s->has_userhost))
                entry_emit(s, em);
            if (!s->in_entry) {
                entry_reset(s);
                s->in_entry = 1;
                em->started = 1;
            }
            s->last_time_us = t;
            s->own_time_us = t;
            return LOG_ENTRY;
        }
        if (logp_starts(v, vn, "User@Host:")) {
            if (s->in_entry && (s->has_stmt || s->has_userhost))
                entry_emit(s, em);
            if (!s->in_entry) {
                entry_reset(s);
                s->in_entry = 1;
                em->started = 1;
            }
            size_t i = 10;
            while (i < vn && v[i] == ' ')
                i++;
            if (parse_userhost(s, v + i, vn - i) != 0)
                return LOG_BAD;
            s->has_userhost = 1;
            return LOG_ENTRY;
        }
        if (!s->in_entry)
            return LOG_SKIP;
        if (s->has_stmt) {
            /* A header after the statement: "# administrator command" and
             * the like belong to a new entry only via Time/User@Host. */
            return LOG_ENTRY;
        }
        const char *hv;
        size_t hn;
        if (header_value(v, vn, "Schema:", &hv, &hn) == 0 && hn > 0 &&
            !logp_starts(hv, hn, "QC_hit:"))
            copy_schema(s->schema, sizeof(s->schema), hv, hn);
        header_u64(v, vn, "Rows_sent:", &s->rows_sent, NULL);
        header_u64(v, vn, "Rows_examined:", &s->rows_examined, NULL);
        header_u64(v, vn, "Rows_affected:", &s->rows_affected, NULL);
        header_u64(v, vn, "Bytes_sent:", &s->bytes_sent, &s->have_bytes);
        return LOG_ENTRY;
    }
    if (!s->in_entry) {
        /* The banner a server writes when it (re)opens the log. */
        if (logp_search(line, len, ", Version: ", 11) >= 0 || logp_starts(line, len, "Tcp port:") ||
            logp_starts(line, len, "Time ") || logp_starts(line, len, "Time\t") || len == 0)
            return LOG_SKIP;
        return LOG_BAD;
    }
    if (!s->has_stmt) {
        if (len > 4 && strncasecmp(line, "use ", 4) == 0 && line[len - 1] == ';') {
            copy_schema(s->use_schema, sizeof(s->use_schema), line + 4, len - 4);
            return LOG_ENTRY;
        }
        if (len > 14 && strncasecmp(line, "SET timestamp=", 14) == 0 && line[len - 1] == ';') {
            int64_t t;
            if (logp_frac_us(line + 14, len - 15, &t) == 0)
                s->set_ts_us = t;
            return LOG_ENTRY;
        }
    }
    if (len == 0 && !s->has_stmt)
        return LOG_ENTRY;
    if (s->stmt_len > 0 && s->stmt_len < sizeof(s->stmt))
        s->stmt[s->stmt_len++] = '\n';
    size_t room = sizeof(s->stmt) - s->stmt_len;
    size_t n = len < room ? len : room;
    memcpy(s->stmt + s->stmt_len, line, n);
    s->stmt_len += n;
    s->has_stmt = 1;
    if (len > 0 && line[len - 1] == ';')
        entry_emit(s, em);
    return LOG_ENTRY;
}

static void myslow_flush(void *state, struct log_emit *em)
{
    struct myslow *s = state;
    if (s->in_entry && (s->has_stmt || s->has_userhost))
        entry_emit(s, em);
    entry_reset(s);
}

static int myslow_pending(const void *state)
{
    return ((const struct myslow *)state)->in_entry;
}

const struct log_format log_format_mysql_slow = {
    .name = "mysql-slow",
    .create = myslow_create,
    .destroy = myslow_destroy,
    .parse_line = myslow_parse,
    .flush = myslow_flush,
    .pending = myslow_pending,
};

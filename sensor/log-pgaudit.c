/* pgaudit lines inside PostgreSQL stderr log messages:
 * "AUDIT: SESSION|OBJECT,stmt_id,substmt_id,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,
 * STATEMENT,PARAMETER[,ROWS]" — ROWS present when pgaudit.log_rows is on. Each
 * audited statement becomes one access event; the rows count, when logged, is
 * its records. Other messages of the log are skipped. */
#include <stdlib.h>
#include <string.h>

#include "sensor/log-postgresql.h"
#include "sensor/logparse.h"
#include "sensor/sql-estimate.h"

struct pgaudit_state {
    struct pg_stderr rd;
    int last_pid;
    uint64_t last_stmt, last_sub;
    int bad; /* the last AUDIT message was malformed */
    char field[PG_MSG_MAX];
};

/* Next CSV field from t[*i..n) into out (unquoted). Returns its length, or -1
 * at the end. */
static long csv_field(const char *t, size_t n, size_t *i, char *out, size_t cap)
{
    size_t o = 0, k = *i;
    if (k > n)
        return -1;
    if (k < n && t[k] == '"') {
        k++;
        while (k < n) {
            if (t[k] == '"') {
                if (k + 1 < n && t[k + 1] == '"') {
                    if (o < cap)
                        out[o++] = '"';
                    k += 2;
                    continue;
                }
                k++;
                break;
            }
            /* Continuation lines lose their tab in assembly; keep the newline. */
            if (o < cap)
                out[o++] = t[k];
            k++;
        }
        while (k < n && t[k] != ',')
            k++;
    } else {
        while (k < n && t[k] != ',') {
            if (o < cap)
                out[o++] = t[k];
            k++;
        }
    }
    *i = k + 1;
    return (long)o;
}

static void pgaudit_msg(void *ctx, const struct pg_msg *m, struct log_emit *em)
{
    struct pgaudit_state *st = ctx;
    if (!logp_starts(m->text, m->text_len, "AUDIT: "))
        return;
    const char *t = m->text + 7;
    size_t n = m->text_len - 7, i = 0;
    char type[16], cls[32], cmd[64], otype[32], oname[128];
    uint64_t stmt_id, sub_id, rows = 0;
    char num[24];
    long l;
    int have_rows = 0;
    em->bad++; /* until the message is fully read */
    if ((l = csv_field(t, n, &i, type, sizeof(type) - 1)) < 0)
        return;
    type[l] = '\0';
    if (strcmp(type, "SESSION") != 0 && strcmp(type, "OBJECT") != 0)
        return;
    if ((l = csv_field(t, n, &i, num, sizeof(num) - 1)) < 0 || logp_u64(num, (size_t)l, &stmt_id))
        return;
    if ((l = csv_field(t, n, &i, num, sizeof(num) - 1)) < 0 || logp_u64(num, (size_t)l, &sub_id))
        return;
    if ((l = csv_field(t, n, &i, cls, sizeof(cls) - 1)) < 0)
        return;
    cls[l] = '\0';
    if ((l = csv_field(t, n, &i, cmd, sizeof(cmd) - 1)) < 0)
        return;
    cmd[l] = '\0';
    if ((l = csv_field(t, n, &i, otype, sizeof(otype) - 1)) < 0)
        return;
    otype[l] = '\0';
    if ((l = csv_field(t, n, &i, oname, sizeof(oname) - 1)) < 0)
        return;
    oname[l] = '\0';
    long sl = csv_field(t, n, &i, st->field, sizeof(st->field));
    if (sl < 0)
        return;
    char param[32];
    if (csv_field(t, n, &i, param, sizeof(param)) < 0)
        return; /* PARAMETER is always written */
    if ((l = csv_field(t, n, &i, num, sizeof(num) - 1)) >= 0) {
        if (logp_u64(num, (size_t)l, &rows) != 0)
            return;
        have_rows = 1;
    }
    em->bad--;
    /* With pgaudit.log_relation every relation of a statement gets its own
     * line carrying the same counts: one event per statement. */
    if (m->pid == st->last_pid && stmt_id == st->last_stmt && sub_id == st->last_sub)
        return;
    st->last_pid = m->pid;
    st->last_stmt = stmt_id;
    st->last_sub = sub_id;
    struct bw_access ev;
    pg_msg_event(m, "pgaudit", &ev);
    logp_sql(&ev, st->field, (size_t)sl, "public");
    if (oname[0] != '\0')
        logp_copy(ev.dataset, sizeof(ev.dataset), oname, strlen(oname));
    if (have_rows) {
        ev.records = rows;
        ev.records_src = ACCESS_REC_LOG;
    } else {
        /* pgaudit.log_rows off: estimated from the statement, like the plain log */
        (void)sql_shape_read(st->field, (size_t)sl, &ev.sql);
    }
    if (strcmp(cls, "WRITE") == 0)
        ev.direction = ACCESS_SEND;
    log_emit(em, &ev);
}

static void *pgaudit_create(const struct log_fmt_cfg *cfg, struct bw_err *err)
{
    struct pgaudit_state *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        bw_err_set(err, "out of memory");
        return NULL;
    }
    st->last_pid = -1;
    if (pg_stderr_init(&st->rd, cfg, pgaudit_msg, st, err) != 0) {
        free(st);
        return NULL;
    }
    return st;
}

static void pgaudit_destroy(void *state)
{
    free(state);
}

static enum log_verdict pgaudit_parse(void *state, const char *line, size_t len,
                                      struct log_emit *em)
{
    struct pgaudit_state *st = state;
    /* A malformed AUDIT message is counted (em->bad) on the line after it. */
    return pg_stderr_line(&st->rd, line, len, em);
}

static void pgaudit_flush(void *state, struct log_emit *em)
{
    struct pgaudit_state *st = state;
    pg_stderr_flush(&st->rd, em);
}

static int pgaudit_pending(const void *state)
{
    return ((const struct pgaudit_state *)state)->rd.pending;
}

static const char *const pgaudit_keys[] = {"log_line_prefix", NULL};

const struct log_format log_format_pgaudit = {
    .name = "pgaudit",
    .keys = pgaudit_keys,
    .create = pgaudit_create,
    .destroy = pgaudit_destroy,
    .parse_line = pgaudit_parse,
    .flush = pgaudit_flush,
    .pending = pgaudit_pending,
};

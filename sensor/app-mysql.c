/* MySQL/MariaDB client/server protocol parser: greeting and login (with the
 * TLS upgrade), commands (COM_QUERY, COM_INIT_DB, COM_FIELD_LIST, prepared
 * statements, COM_QUIT, ...) and text/binary result sets counted packet by
 * packet, with or without CLIENT_DEPRECATE_EOF. Writes EVE `mysql` events and
 * one access event per command. */
#include "sensor/app-mysql.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cursor.h"
#include "common/json.h"
#include "sensor/output-eve.h"
#include "sensor/pii-tap.h"
#include "sensor/sql-tables.h"

#define MY_CAP       1100 /* payload bytes kept of a packet parsed in place */
#define MY_MAXPKT    0xFFFFFFu
#define MY_STMTS     4
#define MY_STMT_TEXT 256

#define CAP_CONNECT_WITH_DB    0x00000008u
#define CAP_PROTOCOL_41        0x00000200u
#define CAP_SSL                0x00000800u
#define CAP_SECURE_CONN        0x00008000u
#define CAP_PLUGIN_AUTH        0x00080000u
#define CAP_PLUGIN_AUTH_LENENC 0x00200000u
#define CAP_DEPRECATE_EOF      0x01000000u
#define SERVER_MORE_RESULTS    0x0008u

enum my_phase { PH_GREETING, PH_LOGIN, PH_AUTH, PH_COMMAND };

/* What the server is expected to send next for the open command. */
enum my_resp {
    R_NONE,
    R_FIRST,     /* OK, ERR, local infile, or a column count */
    R_COLDEFS,   /* column definitions of a result set */
    R_COLS_EOF,  /* the EOF after the column definitions (no DEPRECATE_EOF) */
    R_ROWS,      /* rows until EOF/OK terminator or ERR */
    R_PREP_DEFS, /* parameter and column definitions after COM_STMT_PREPARE's OK */
    R_FIELDS,    /* COM_FIELD_LIST: definitions until EOF */
    R_SIMPLE,    /* one packet: OK, ERR or a string */
};

struct my_tx {
    uint8_t cmd, active, error, gap, anomalies;
    uint8_t qtrunc;
    uint16_t qlen;
    char query[MYSQL_QUERY_MAX + 1];
    uint64_t rows, bytes, affected;
    uint64_t field_count;
    uint16_t err_code;
    char err_msg[160];
    char use_schema[64]; /* `USE x` or COM_INIT_DB target, applied on OK */
    uint32_t stmt_id;
    uint8_t pii_used;
    struct pii_counts pii; /* content findings of the rows (estimators from the pool) */
};

struct my_rd {
    uint8_t hdr[4];
    uint8_t hlen, in_body, cont, resync;
    uint8_t seq;
    uint32_t plen, off;
    uint8_t cap[MY_CAP];
    uint32_t caplen;
};

struct my_stmt {
    uint32_t id;
    uint8_t used;
    char text[MY_STMT_TEXT];
};

struct my_state {
    struct my_rd rd[2];
    enum my_phase phase;
    uint32_t srv_caps, cli_caps;
    char version[64];
    char user[ACCESS_USER_MAX];
    char schema[64];
    struct my_tx tx;
    enum my_resp resp;
    uint64_t cols_left, params_left;
    uint8_t prep_eofs; /* EOF packets still expected after prepare definitions */
    struct my_stmt stmts[MY_STMTS];
    unsigned stmt_next;
    uint64_t tx_count;
    /* PII scanning of result rows: one tap per result set; text-protocol
     * rows are walked cell by cell (length-encoded strings). */
    struct pii_tap tap;
    uint64_t name_cols; /* columns (first 64) whose name holds "name" */
    uint64_t cell_rem;  /* value bytes left of the current cell */
    uint16_t cell_col;  /* index of the current cell */
    uint8_t cell_st;    /* 0 length byte, 1 extra length bytes, 2 value */
    uint8_t cell_need, cell_nl;
    uint8_t cell_len[8];
};

static int lenenc(struct bw_cursor *c, uint64_t *v);

/* Starts scanning a result set into the open command's counts. */
static void pii_begin(struct my_state *st, struct app_ctx *ctx)
{
    if (!st->tx.pii_used) {
        pii_counts_init(&st->tx.pii);
        st->tx.pii_used = 1;
    }
    pii_tap_begin(&st->tap, ctx->pii, ctx->pii_scratch, ctx->pii_pool, &st->tx.pii);
    st->name_cols = 0;
}

static void cell_next(struct my_state *st)
{
    st->cell_col++;
    st->cell_st = 0;
    pii_tap_sep(&st->tap, '\t');
}

/* One column definition: a column named like "name" gets a "name=" key
 * before its cells (the scanner finds names only after such a key; column
 * names are not stream-wide context, see pgsql_row_description). */
static void pii_coldef(struct my_state *st, uint64_t col, const uint8_t *p, size_t n)
{
    struct bw_cursor c;
    uint64_t l = 0;
    bw_cur_init(&c, p, n);
    for (int i = 0; i < 4; i++) /* catalog, schema, table, org_table */
        if (lenenc(&c, &l) != 0 || bw_cur_skip(&c, l) != 0)
            return;
    if (lenenc(&c, &l) != 0 || l > bw_cur_left(&c))
        return;
    const char *name = (const char *)bw_cur_ptr(&c);
    for (size_t k = 0; col < 64 && k + 4 <= l; k++)
        if (strncasecmp(name + k, "name", 4) == 0) {
            st->name_cols |= 1ull << col;
            break;
        }
}

/* The PII scanner hook: payload bytes of a result row (off: offset of data
 * in the packet). Text rows are walked cell by cell so that only values are
 * scanned, separated; binary rows (prepared statements) are scanned whole. */
static void mysql_scan_row(struct my_state *st, struct app_ctx *ctx, uint32_t off,
                           const uint8_t *data, size_t len)
{
    if (!st->tap.on)
        pii_begin(st, ctx);
    if (st->tx.cmd != 0x03) {
        pii_tap_put(&st->tap, data, len);
        if (off + len >= st->rd[FLOW_TOCLIENT].plen)
            pii_tap_sep(&st->tap, '\n');
        return;
    }
    if (off == 0) {
        st->cell_col = 0;
        st->cell_st = 0;
    }
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    while (bw_cur_left(&c) > 0) {
        uint8_t b;
        if (st->cell_st == 2) {
            size_t k = bw_cur_left(&c) < st->cell_rem ? bw_cur_left(&c) : (size_t)st->cell_rem;
            const uint8_t *v = NULL;
            (void)bw_cur_take(&c, k, &v);
            pii_tap_put(&st->tap, v, k);
            st->cell_rem -= k;
            if (st->cell_rem == 0)
                cell_next(st);
            continue;
        }
        (void)bw_cur_u8(&c, &b);
        if (st->cell_st == 0) {
            if (b == 0xFB) { /* NULL */
                st->cell_col++;
                continue;
            }
            if (b < 0xFB) {
                st->cell_rem = b;
            } else if (b == 0xFF) {
                return; /* not a length: not a text row */
            } else {
                st->cell_need = b == 0xFC ? 2 : b == 0xFD ? 3 : 8;
                st->cell_nl = 0;
                st->cell_st = 1;
                continue;
            }
        } else {
            st->cell_len[st->cell_nl++] = b;
            if (st->cell_nl < st->cell_need)
                continue;
            st->cell_rem = 0;
            for (int i = st->cell_nl - 1; i >= 0; i--)
                st->cell_rem = st->cell_rem << 8 | st->cell_len[i];
        }
        if (st->cell_rem == 0) {
            st->cell_col++;
            st->cell_st = 0;
            continue;
        }
        st->cell_st = 2;
        if (st->cell_col < 64 && (st->name_cols >> st->cell_col & 1))
            pii_tap_put(&st->tap, "name=", 5);
    }
}

/* Copies a string, cut to the destination. */
static void scpy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static int deprecate_eof(const struct my_state *st)
{
    return (st->srv_caps & st->cli_caps & CAP_DEPRECATE_EOF) != 0;
}

/* Length-encoded integer; -1 when truncated or invalid. */
static int lenenc(struct bw_cursor *c, uint64_t *v)
{
    uint8_t b;
    if (bw_cur_u8(c, &b) != 0)
        return -1;
    if (b < 0xFB) {
        *v = b;
        return 0;
    }
    if (b == 0xFC) {
        uint16_t x;
        if (bw_cur_le16(c, &x) != 0)
            return -1;
        *v = x;
        return 0;
    }
    if (b == 0xFD) {
        uint32_t x;
        if (bw_cur_le24(c, &x) != 0)
            return -1;
        *v = x;
        return 0;
    }
    if (b == 0xFE) {
        uint32_t lo, hi;
        if (bw_cur_le32(c, &lo) != 0 || bw_cur_le32(c, &hi) != 0)
            return -1;
        *v = ((uint64_t)hi << 32) | lo;
        return 0;
    }
    return -1;
}

static void cstr(struct bw_cursor *c, char *dst, size_t cap)
{
    size_t n = strnlen((const char *)bw_cur_ptr(c), bw_cur_left(c));
    size_t m = n < cap - 1 ? n : cap - 1;
    memcpy(dst, bw_cur_ptr(c), m);
    dst[m] = 0;
    (void)bw_cur_skip(c, n + 1 <= bw_cur_left(c) ? n + 1 : n);
}

/* ---- probe: the server greeting, protocol 10 ---- */

static enum app_probe mysql_probe(const uint8_t *data, size_t len, int dir)
{
    if (dir != FLOW_TOCLIENT)
        return APP_PROBE_NO;
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    uint32_t plen;
    uint8_t seq, proto;
    if (bw_cur_le24(&c, &plen) != 0 || bw_cur_u8(&c, &seq) != 0 || bw_cur_u8(&c, &proto) != 0)
        return APP_PROBE_MORE;
    if (seq != 0 || proto != 10 || plen < 20 || plen > 4096)
        return APP_PROBE_NO;
    /* version string: printable, starts with a digit, NUL-terminated */
    size_t i = 0;
    uint8_t ch;
    while (bw_cur_u8(&c, &ch) == 0) {
        if (ch == 0)
            return i > 0 ? APP_PROBE_YES : APP_PROBE_NO;
        if ((i == 0 && (ch < '0' || ch > '9')) || ch < 0x20 || ch > 0x7e || i > 60)
            return APP_PROBE_NO;
        i++;
    }
    return APP_PROBE_MORE;
}

/* ---- events ---- */

static const char *cmd_name(uint8_t cmd)
{
    switch (cmd) {
    case 0x01:
        return "quit";
    case 0x02:
        return "init_db";
    case 0x03:
        return "query";
    case 0x04:
        return "field_list";
    case 0x05:
        return "create_db";
    case 0x06:
        return "drop_db";
    case 0x07:
        return "refresh";
    case 0x08:
        return "shutdown";
    case 0x09:
        return "statistics";
    case 0x0a:
        return "process_info";
    case 0x0c:
        return "process_kill";
    case 0x0d:
        return "debug";
    case 0x0e:
        return "ping";
    case 0x11:
        return "change_user";
    case 0x12:
        return "binlog_dump";
    case 0x16:
        return "stmt_prepare";
    case 0x17:
        return "stmt_execute";
    case 0x18:
        return "stmt_send_long_data";
    case 0x19:
        return "stmt_close";
    case 0x1a:
        return "stmt_reset";
    case 0x1b:
        return "set_option";
    case 0x1c:
        return "stmt_fetch";
    case 0x1f:
        return "reset_connection";
    case 0xff:
        return "login";
    default:
        return "unknown";
    }
}

static void emit_access(struct my_state *st, struct app_ctx *ctx, const struct my_tx *tx,
                        const struct sql_tables *tables)
{
    if (ctx->access == NULL || ctx->flow == NULL)
        return;
    const struct flow *f = ctx->flow;
    struct bw_access ev;
    access_init(&ev);
    ev.ts_us = ctx->ts_us;
    ev.channel = ACCESS_CH_MYSQL;
    ev.direction = ACCESS_READ;
    ev.actor_ip = f->cli;
    ev.actor_port = f->cport;
    scpy(ev.actor_user, sizeof(ev.actor_user), st->user);
    ev.dest_ip = f->srv;
    ev.dest_port = f->sport;
    if (tables->n > 0)
        scpy(ev.dataset, sizeof(ev.dataset), tables->name[0]);
    scpy(ev.detail, sizeof(ev.detail), tx->cmd == 0xff ? "login" : tx->query);
    ev.records = tx->rows;
    ev.records_src = ACCESS_REC_ROWS;
    ev.bytes = tx->bytes;
    ev.status = tx->error ? -(int)(tx->err_code ? tx->err_code : 1) : 0;
    ev.pii = tx->pii_used ? &tx->pii : NULL;
    ev.flow = f;
    ev.flow_id = f->flow_id;
    access_emit(ctx->access, &ev);
}

/* Writes the open command's event and closes it. */
static void tx_finish(struct my_state *st, struct app_ctx *ctx)
{
    struct my_tx *tx = &st->tx;
    if (!tx->active)
        return;
    tx->active = 0;
    st->resp = R_NONE;
    pii_tap_end(&st->tap);
    if (tx->cmd == 0x19 || tx->cmd == 0x18) {
        pii_counts_release(ctx->pii_pool, &tx->pii);
        tx->pii_used = 0;
        return; /* statement close / long data: no response, nothing to say */
    }
    struct sql_tables tables;
    sql_tables_extract(tx->query, tx->qlen, st->schema, 0, &tables);
    st->tx_count++;
    if (ctx->stats != NULL)
        ctx->stats->events++;
    if (ctx->eve != NULL) {
        struct bw_json *j = eve_begin(ctx->eve, "mysql", ctx->ts_us, ctx->flow, 0);
        bw_json_obj_begin(j, "mysql");
        bw_json_uint(j, "tx_id", st->tx_count);
        bw_json_str(j, "user", st->user);
        bw_json_str(j, "schema", st->schema);
        bw_json_str(j, "command", cmd_name(tx->cmd));
        if (tx->cmd == 0xff) {
            bw_json_bool(j, "success", !tx->error);
            if (st->version[0])
                bw_json_str(j, "server_version", st->version);
        } else if (tx->cmd != 0x01) {
            bw_json_str(j, "query", tx->query);
            if (tx->qtrunc)
                bw_json_bool(j, "truncated", true);
        }
        if (tx->field_count > 0)
            bw_json_uint(j, "field_count", tx->field_count);
        bw_json_uint(j, "rows", tx->rows);
        bw_json_uint(j, "bytes", tx->bytes);
        bw_json_uint(j, "affected_rows", tx->affected);
        bw_json_arr_begin(j, "tables");
        for (unsigned i = 0; i < tables.n; i++)
            bw_json_str(j, NULL, tables.name[i]);
        bw_json_arr_end(j);
        if (tx->error) {
            bw_json_obj_begin(j, "error");
            bw_json_uint(j, "code", tx->err_code);
            bw_json_str(j, "message", tx->err_msg);
            bw_json_obj_end(j);
        }
        if (tx->gap)
            bw_json_bool(j, "gap", true);
        if (tx->anomalies)
            bw_json_uint(j, "anomalies", tx->anomalies);
        if (tx->pii_used)
            pii_counts_json(j, "pii", &tx->pii);
        bw_json_obj_end(j);
        eve_end(ctx->eve);
    }
    emit_access(st, ctx, tx, &tables);
    pii_counts_release(ctx->pii_pool, &tx->pii);
    tx->pii_used = 0;
}

static void tx_begin(struct my_state *st, struct app_ctx *ctx, uint8_t cmd)
{
    if (st->tx.active)
        tx_finish(st, ctx); /* the previous one never completed */
    memset(&st->tx, 0, sizeof(st->tx));
    st->tx.cmd = cmd;
    st->tx.active = 1;
}

static void set_query(struct my_tx *tx, const uint8_t *s, size_t n, int trunc)
{
    if (n > MYSQL_QUERY_MAX) {
        n = MYSQL_QUERY_MAX;
        trunc = 1;
    }
    memcpy(tx->query, s, n);
    tx->query[n] = 0;
    /* a NUL inside the text ends what is shown */
    tx->qlen = (uint16_t)strnlen(tx->query, n);
    tx->qtrunc = (uint8_t)trunc;
}

/* `USE db` as a query: remembered, applied when the server says OK. */
static void note_use(struct my_tx *tx)
{
    const char *q = tx->query;
    while (*q == ' ' || *q == '\t' || *q == '\n')
        q++;
    if (strncasecmp(q, "use", 3) != 0 || (q[3] != ' ' && q[3] != '\t' && q[3] != '`'))
        return;
    q += 3;
    while (*q == ' ' || *q == '\t')
        q++;
    size_t i = 0;
    if (*q == '`')
        q++;
    while (q[i] && q[i] != '`' && q[i] != ';' && q[i] != ' ' && i < sizeof(tx->use_schema) - 1) {
        tx->use_schema[i] = q[i];
        i++;
    }
    tx->use_schema[i] = 0;
}

static void on_err(struct my_tx *tx, struct bw_cursor *c)
{
    tx->error = 1;
    (void)bw_cur_le16(c, &tx->err_code);
    if (bw_cur_left(c) > 0 && *bw_cur_ptr(c) == '#')
        (void)bw_cur_skip(c, 6); /* SQL state marker and state */
    size_t n = bw_cur_left(c) < sizeof(tx->err_msg) - 1 ? bw_cur_left(c) : sizeof(tx->err_msg) - 1;
    memcpy(tx->err_msg, bw_cur_ptr(c), n);
    tx->err_msg[n] = 0;
}

/* OK packet: affected rows; returns the status flags (0 when absent). */
static uint16_t on_ok(struct my_state *st, struct bw_cursor *c)
{
    uint64_t aff = 0, id = 0;
    uint16_t status = 0;
    if (lenenc(c, &aff) == 0 && lenenc(c, &id) == 0 && (st->cli_caps & CAP_PROTOCOL_41))
        (void)bw_cur_le16(c, &status);
    st->tx.affected += aff;
    return status;
}

/* ---- client packets ---- */

static void on_login(struct my_state *st, struct app_ctx *ctx, const uint8_t *p, size_t n,
                     uint32_t plen)
{
    struct bw_cursor c;
    bw_cur_init(&c, p, n);
    uint32_t caps = 0;
    uint16_t caps16 = 0;
    if (bw_cur_le16(&c, &caps16) != 0)
        return;
    caps = caps16;
    if (caps & CAP_PROTOCOL_41) {
        c.off = 0;
        if (bw_cur_le32(&c, &caps) != 0 || bw_cur_skip(&c, 4 + 1 + 23) != 0) {
            if (plen == 32 && (caps & CAP_SSL))
                goto ssl;
            return;
        }
        st->cli_caps = caps;
        if ((caps & CAP_SSL) && plen == 32)
            goto ssl;
    } else {
        st->cli_caps = caps;
        if (bw_cur_skip(&c, 3) != 0)
            return;
        if ((caps & CAP_SSL) && bw_cur_left(&c) == 0)
            goto ssl;
    }
    cstr(&c, st->user, sizeof(st->user));
    if (caps & CAP_PROTOCOL_41) {
        uint64_t alen = 0;
        if (caps & CAP_PLUGIN_AUTH_LENENC) {
            if (lenenc(&c, &alen) != 0)
                goto out;
        } else if (caps & CAP_SECURE_CONN) {
            uint8_t l8 = 0;
            if (bw_cur_u8(&c, &l8) != 0)
                goto out;
            alen = l8;
        } else {
            alen = strnlen((const char *)bw_cur_ptr(&c), bw_cur_left(&c)) + 1;
        }
        if (bw_cur_skip(&c, alen) != 0)
            goto out;
        if ((caps & CAP_CONNECT_WITH_DB) && bw_cur_left(&c) > 0)
            cstr(&c, st->schema, sizeof(st->schema));
    } else {
        /* pre-4.1: the scrambled password is NUL-terminated; a database may follow */
        size_t al = strnlen((const char *)bw_cur_ptr(&c), bw_cur_left(&c));
        if (bw_cur_skip(&c, al + 1) == 0 && (caps & CAP_CONNECT_WITH_DB) && bw_cur_left(&c) > 0)
            cstr(&c, st->schema, sizeof(st->schema));
    }
out:
    st->phase = PH_AUTH;
    tx_begin(st, ctx, 0xff);
    return;
ssl:
    st->cli_caps = caps;
    if (ctx->flow != NULL)
        ctx->flow->app_flags |= APP_FLOW_ENCRYPTED;
    st->phase = PH_AUTH; /* what follows is TLS */
}

static void on_command(struct my_state *st, struct app_ctx *ctx, struct my_rd *rd)
{
    struct bw_cursor c;
    bw_cur_init(&c, rd->cap, rd->caplen);
    uint8_t cmd;
    if (bw_cur_u8(&c, &cmd) != 0)
        return;
    tx_begin(st, ctx, cmd);
    struct my_tx *tx = &st->tx;
    int trunc = rd->plen > rd->caplen;
    switch (cmd) {
    case 0x03: /* COM_QUERY */
        set_query(tx, bw_cur_ptr(&c), bw_cur_left(&c), trunc);
        note_use(tx);
        st->resp = R_FIRST;
        break;
    case 0x16: /* COM_STMT_PREPARE */
        set_query(tx, bw_cur_ptr(&c), bw_cur_left(&c), trunc);
        st->resp = R_FIRST;
        break;
    case 0x17: { /* COM_STMT_EXECUTE */
        uint32_t id = 0;
        (void)bw_cur_le32(&c, &id);
        tx->stmt_id = id;
        for (unsigned i = 0; i < MY_STMTS; i++)
            if (st->stmts[i].used && st->stmts[i].id == id)
                set_query(tx, (const uint8_t *)st->stmts[i].text, strlen(st->stmts[i].text), 0);
        st->resp = R_FIRST;
        break;
    }
    case 0x02: /* COM_INIT_DB */
        set_query(tx, bw_cur_ptr(&c), bw_cur_left(&c), trunc);
        scpy(tx->use_schema, sizeof(tx->use_schema), tx->query);
        st->resp = R_SIMPLE;
        break;
    case 0x04: /* COM_FIELD_LIST: table NUL wildcard */
        set_query(tx, bw_cur_ptr(&c), bw_cur_left(&c), trunc);
        st->resp = R_FIELDS;
        break;
    case 0x01: /* COM_QUIT: no answer */
        tx_finish(st, ctx);
        break;
    case 0x19: /* COM_STMT_CLOSE */
        (void)bw_cur_le32(&c, &tx->stmt_id);
        for (unsigned i = 0; i < MY_STMTS; i++)
            if (st->stmts[i].id == tx->stmt_id)
                st->stmts[i].used = 0;
        tx_finish(st, ctx);
        break;
    case 0x18: /* COM_STMT_SEND_LONG_DATA */
        tx_finish(st, ctx);
        break;
    default:
        st->resp = R_SIMPLE;
        break;
    }
}

/* ---- server packets ---- */

static void on_greeting(struct my_state *st, struct app_ctx *ctx, struct bw_cursor *c)
{
    uint8_t proto;
    if (bw_cur_u8(c, &proto) != 0)
        return;
    if (proto == 0xff) {
        tx_begin(st, ctx, 0xff);
        on_err(&st->tx, c);
        tx_finish(st, ctx);
        return;
    }
    cstr(c, st->version, sizeof(st->version));
    uint16_t lo = 0, hi = 0;
    (void)bw_cur_skip(c, 4 + 8 + 1);
    (void)bw_cur_le16(c, &lo);
    if (bw_cur_skip(c, 1 + 2) == 0)
        (void)bw_cur_le16(c, &hi);
    st->srv_caps = ((uint32_t)hi << 16) | lo;
    st->phase = PH_LOGIN;
}

static void result_done(struct my_state *st, struct app_ctx *ctx, uint16_t status)
{
    if (status & SERVER_MORE_RESULTS) {
        st->resp = R_FIRST;
        return;
    }
    if (st->tx.use_schema[0] && !st->tx.error)
        scpy(st->schema, sizeof(st->schema), st->tx.use_schema);
    tx_finish(st, ctx);
}

static void remember_stmt(struct my_state *st, uint32_t id)
{
    struct my_stmt *s = &st->stmts[st->stmt_next++ % MY_STMTS];
    s->id = id;
    s->used = 1;
    scpy(s->text, sizeof(s->text), st->tx.query);
}

static void on_server(struct my_state *st, struct app_ctx *ctx, struct my_rd *rd)
{
    struct bw_cursor c;
    bw_cur_init(&c, rd->cap, rd->caplen);
    uint8_t first = rd->caplen > 0 ? rd->cap[0] : 0;
    struct my_tx *tx = &st->tx;
    if (st->phase == PH_GREETING) {
        on_greeting(st, ctx, &c);
        return;
    }
    if (st->phase == PH_AUTH) {
        if (first == 0x00 || first == 0xff) {
            (void)bw_cur_skip(&c, 1);
            if (first == 0xff)
                on_err(tx, &c);
            tx_finish(st, ctx);
            st->phase = PH_COMMAND;
        }
        return; /* auth switch / more data */
    }
    if (!tx->active || st->resp == R_NONE) {
        tx->anomalies++;
        return;
    }
    int eof = first == 0xfe && rd->plen < MY_MAXPKT;
    switch (st->resp) {
    case R_FIRST:
        if (first == 0x00 && (rd->plen >= 7 || tx->cmd != 0x16)) {
            (void)bw_cur_skip(&c, 1);
            if (tx->cmd == 0x16) {
                uint32_t id = 0;
                uint16_t ncols = 0, nparams = 0;
                (void)bw_cur_le32(&c, &id);
                (void)bw_cur_le16(&c, &ncols);
                (void)bw_cur_le16(&c, &nparams);
                remember_stmt(st, id);
                st->cols_left = ncols;
                st->params_left = nparams;
                st->prep_eofs = (uint8_t)(deprecate_eof(st) ? 0 : (ncols > 0) + (nparams > 0));
                st->resp = R_PREP_DEFS;
                if (ncols == 0 && nparams == 0)
                    tx_finish(st, ctx);
                return;
            }
            result_done(st, ctx, on_ok(st, &c));
        } else if (first == 0xff) {
            (void)bw_cur_skip(&c, 1);
            on_err(tx, &c);
            tx_finish(st, ctx);
        } else if (first == 0xfb) {
            tx_finish(st, ctx); /* LOCAL INFILE request: the file content follows from the client */
        } else {
            uint64_t n = 0;
            if (lenenc(&c, &n) != 0 || n == 0) {
                tx->anomalies++;
                tx_finish(st, ctx);
                return;
            }
            st->cols_left = n;
            tx->field_count = n;
            st->resp = R_COLDEFS;
            if (ctx->pii != NULL)
                pii_begin(st, ctx);
        }
        break;
    case R_COLDEFS:
        if (first == 0xff) {
            (void)bw_cur_skip(&c, 1);
            on_err(tx, &c);
            tx_finish(st, ctx);
            return;
        }
        if (ctx->pii != NULL && st->cols_left > 0 && st->tap.on)
            pii_coldef(st, tx->field_count - st->cols_left, rd->cap, rd->caplen);
        if (st->cols_left > 0)
            st->cols_left--;
        if (st->cols_left == 0)
            st->resp = deprecate_eof(st) ? R_ROWS : R_COLS_EOF;
        break;
    case R_COLS_EOF:
        if (!eof)
            tx->anomalies++;
        st->resp = R_ROWS;
        if (!eof)
            goto rows;
        break;
    case R_ROWS:
    rows:
        if (eof) {
            uint16_t status = 0;
            (void)bw_cur_skip(&c, 1);
            if (deprecate_eof(st)) {
                status = on_ok(st, &c);
            } else if (bw_cur_skip(&c, 2) == 0) {
                (void)bw_cur_le16(&c, &status);
            }
            result_done(st, ctx, status);
        } else if (first == 0xff) {
            (void)bw_cur_skip(&c, 1);
            on_err(tx, &c);
            tx_finish(st, ctx);
        } else {
            tx->rows++;
            tx->bytes += rd->plen;
        }
        break;
    case R_PREP_DEFS:
        if (eof && st->prep_eofs > 0) {
            st->prep_eofs--;
        } else if (st->params_left > 0) {
            st->params_left--;
        } else if (st->cols_left > 0) {
            st->cols_left--;
        }
        if (st->params_left == 0 && st->cols_left == 0 && st->prep_eofs == 0)
            tx_finish(st, ctx);
        break;
    case R_FIELDS:
        if (first == 0xff) {
            (void)bw_cur_skip(&c, 1);
            on_err(tx, &c);
            tx_finish(st, ctx);
        } else if (eof) {
            tx_finish(st, ctx);
        }
        break;
    case R_SIMPLE:
        if (first == 0xff) {
            (void)bw_cur_skip(&c, 1);
            on_err(tx, &c);
            tx_finish(st, ctx);
        } else {
            if (first == 0x00) {
                (void)bw_cur_skip(&c, 1);
                (void)on_ok(st, &c);
            }
            result_done(st, ctx, 0);
        }
        break;
    case R_NONE:
        break;
    }
}

/* ---- byte-level reader ---- */

static void packet_end(struct my_state *st, struct app_ctx *ctx, int dir, struct my_rd *rd)
{
    int was_cont = rd->cont;
    rd->cont = rd->plen == MY_MAXPKT;
    if (was_cont) {
        /* continuation of a packet of 16 MiB or more */
        if (dir == FLOW_TOCLIENT && st->resp == R_ROWS)
            st->tx.bytes += rd->plen;
        return;
    }
    if (dir == FLOW_TOSERVER) {
        if (st->phase == PH_LOGIN)
            on_login(st, ctx, rd->cap, rd->caplen, rd->plen);
        else if (st->phase == PH_COMMAND && rd->seq == 0)
            on_command(st, ctx, rd);
        else if (st->phase == PH_GREETING && rd->seq == 0 && rd->caplen > 0) {
            /* mid-stream (greeting never seen): take commands from here */
            st->phase = PH_COMMAND;
            on_command(st, ctx, rd);
        }
        return;
    }
    on_server(st, ctx, rd);
}

static enum app_result mysql_parse(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                                   size_t len, size_t *consumed)
{
    struct my_state *st = state;
    struct my_rd *rd = &st->rd[dir];
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    *consumed = len;
    if (rd->resync) {
        /* After a gap: the client resumes with a command (sequence 0); the
         * server's bytes mean something again once it answers one (sequence 1). */
        uint32_t pl = 0;
        uint8_t sq = 0xff;
        struct bw_cursor h = c;
        if (bw_cur_le24(&h, &pl) != 0 || bw_cur_u8(&h, &sq) != 0 || pl == 0)
            return APP_OK;
        if (dir == FLOW_TOSERVER && sq != 0)
            return APP_OK;
        if (dir == FLOW_TOCLIENT && (sq != 1 || !st->tx.active))
            return APP_OK;
        rd->resync = 0;
        if (ctx->stats != NULL)
            ctx->stats->resyncs++;
    }
    while (bw_cur_left(&c) > 0) {
        if (st->phase == PH_AUTH && (ctx->flow != NULL) &&
            (ctx->flow->app_flags & APP_FLOW_ENCRYPTED)) {
            tx_finish(st, ctx);
            return APP_DONE;
        }
        if (!rd->in_body) {
            uint8_t v;
            (void)bw_cur_u8(&c, &v);
            rd->hdr[rd->hlen++] = v;
            if (rd->hlen < 4)
                continue;
            rd->plen =
                (uint32_t)rd->hdr[0] | ((uint32_t)rd->hdr[1] << 8) | ((uint32_t)rd->hdr[2] << 16);
            rd->seq = rd->hdr[3];
            rd->hlen = 0;
            rd->off = 0;
            rd->caplen = 0;
            rd->in_body = 1;
            if (rd->plen == 0) {
                rd->in_body = 0;
                packet_end(st, ctx, dir, rd);
            }
            continue;
        }
        size_t k = bw_cur_left(&c) < rd->plen - rd->off ? bw_cur_left(&c) : rd->plen - rd->off;
        const uint8_t *p = NULL;
        (void)bw_cur_take(&c, k, &p);
        size_t room = MY_CAP - rd->caplen;
        size_t keep = k < room ? k : room;
        memcpy(rd->cap + rd->caplen, p, keep);
        rd->caplen += (uint32_t)keep;
        if (dir == FLOW_TOCLIENT && st->resp == R_ROWS && ctx->pii != NULL && rd->caplen > 0 &&
            rd->cap[0] != 0xfe && rd->cap[0] != 0xff)
            mysql_scan_row(st, ctx, rd->off, p, k);
        rd->off += (uint32_t)k;
        if (rd->off == rd->plen) {
            rd->in_body = 0;
            packet_end(st, ctx, dir, rd);
        }
    }
    if (st->phase == PH_AUTH && ctx->flow != NULL && (ctx->flow->app_flags & APP_FLOW_ENCRYPTED))
        return APP_DONE;
    return APP_OK;
}

static enum app_result mysql_gap(void *state, struct app_ctx *ctx, int dir, uint64_t len)
{
    struct my_state *st = state;
    (void)len;
    st->tx.gap = 1;
    tx_finish(st, ctx); /* what it had so far, flagged */
    for (int d = 0; d < 2; d++) {
        if (d != dir && d != FLOW_TOCLIENT)
            continue;
        struct my_rd *rd = &st->rd[d];
        rd->hlen = 0;
        rd->in_body = 0;
        rd->cont = 0;
        rd->caplen = 0;
        rd->resync = 1;
    }
    st->phase = PH_COMMAND;
    return APP_OK;
}

static void *mysql_new_state(struct app_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct my_state));
}

static void mysql_free_state(void *state, struct app_ctx *ctx)
{
    struct my_state *st = state;
    if (st == NULL)
        return;
    tx_finish(st, ctx);
    pii_tap_end(&st->tap);
    free(st);
}

const struct app_proto app_mysql = {
    .name = "mysql",
    .ipproto = IPPROTO_TCP,
    .probe = mysql_probe,
    .new_state = mysql_new_state,
    .free_state = mysql_free_state,
    .parse = mysql_parse,
    .gap = mysql_gap,
};

/* PostgreSQL wire protocol (v3) parser: startup, SSL/GSSENC negotiation,
 * simple and extended query, result sets counted row by row (never buffered),
 * COPY out. Writes EVE `pgsql` events and one access event per transaction.
 * Each direction is a byte-level state machine, so a message split over many
 * segments takes the same path as a whole one. */
#include "sensor/app-pgsql.h"

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

#define PG_CAP           1024       /* body bytes kept of messages parsed in place */
#define PG_TXQ           4          /* transactions awaiting ReadyForQuery */
#define PG_MSG_MAX       (1u << 30) /* PostgreSQL's own limit on a message */
#define PG_PROBE_MSG_MAX (1u << 24)

#define PG_CODE_SSL    80877103u
#define PG_CODE_GSSENC 80877104u
#define PG_CODE_CANCEL 80877102u
#define PG_PROTO_3     196608u

enum pg_kind {
    TX_NONE,     /* responses seen without their request (mid-stream) */
    TX_SIMPLE,   /* Query */
    TX_EXTENDED, /* Parse/Bind/Execute ... Sync */
    TX_FUNCTION, /* FunctionCall */
    TX_SYNC,     /* a Sync with nothing before it: only consumes a ReadyForQuery */
};

struct pg_tx {
    uint64_t id;
    uint8_t kind, qtrunc, error, gap, copy_out, done_cmd;
    uint16_t qlen;
    char query[PGSQL_QUERY_MAX + 1];
    uint32_t field_count, anomalies;
    uint64_t rows, bytes, copy_rows, copy_bytes, copy_in_rows, copy_in_bytes;
    char tag[64];
    char err_sev[16], err_code[8], err_msg[160];
    uint8_t pii_used;
    struct pii_counts pii; /* content findings of the rows (estimators from the pool) */
};

struct pg_rd {
    uint8_t hdr[8];
    uint8_t hlen, hneed;
    uint8_t type; /* 0: untyped startup-phase message */
    uint8_t in_body;
    uint8_t resync; /* framing lost: waiting for a chunk that starts a message */
    uint32_t blen, boff;
    uint8_t cap[PG_CAP];
    uint32_t caplen;
    /* DataRow walk */
    uint8_t dr_state;
    uint8_t dr_nlen;
    uint8_t dr_num[4];
    uint16_t dr_ncols, dr_col;
    uint32_t dr_rem;
};

struct pg_state {
    struct pg_rd rd[2];
    uint8_t startup_done; /* the client speaks typed messages */
    uint8_t await_answer; /* 1 SSL, 2 GSSENC, 3 unknown request: a 1-byte answer may follow */
    uint8_t auth_done;
    char user[ACCESS_USER_MAX], database[64], appname[64];
    uint64_t next_tx_id;
    struct pg_tx startup;
    int startup_active;
    uint32_t auth_method;
    struct pg_tx building;
    int building_active;
    struct pg_tx q[PG_TXQ];
    unsigned qhead, qn;
    /* PII scanning of result rows (to the client): one tap per result set,
     * feeding the counts of the transaction the rows belong to. */
    struct pii_tap tap;
    struct pg_tx *pii_tx;
    uint64_t name_cols; /* columns (first 64) whose name holds "name" */
};

/* Starts scanning a result set into tx's counts (ending the one open). */
static void pii_begin(struct pg_state *st, struct app_ctx *ctx, struct pg_tx *tx)
{
    if (!tx->pii_used) {
        pii_counts_init(&tx->pii);
        tx->pii_used = 1;
    }
    pii_tap_begin(&st->tap, ctx->pii, ctx->pii_scratch, ctx->pii_pool, &tx->pii);
    st->pii_tx = tx;
}

/* The transaction's scanning is over: pending candidates are decided. */
static void pii_end(struct pg_state *st, const struct pg_tx *tx)
{
    if (st->pii_tx == tx) {
        pii_tap_end(&st->tap);
        st->pii_tx = NULL;
        st->name_cols = 0;
    }
}

/* The PII scanner hook: bytes of one row cell (DataRow) or of COPY OUT data,
 * for the transaction the responses belong to. Cells are batched by the tap
 * and separated there, never run together. */
static void pgsql_scan_row(struct pg_state *st, struct app_ctx *ctx, const uint8_t *data,
                           size_t len)
{
    struct pg_tx *tx = st->qn > 0 ? &st->q[st->qhead] : st->startup_active ? &st->startup : NULL;
    if (tx == NULL)
        return;
    if (st->pii_tx != tx)
        pii_begin(st, ctx, tx);
    pii_tap_put(&st->tap, data, len);
}

/* RowDescription: columns named like "name" get a "name=" key in front of
 * their cells, since the scanner finds names only after such a key. The
 * column names are not declared as stream-wide context: measured on
 * pcaps/exfil-pgsql-bulk.pcap, an "ssn" column made 169 other 9-digit
 * values count as SSNs (2660 against 2491 real ones); see docs/pii.md. */
static void pgsql_row_description(struct pg_state *st, struct app_ctx *ctx, struct pg_tx *tx,
                                  const uint8_t *b, size_t n)
{
    struct bw_cursor c;
    uint16_t ncols = 0;
    pii_begin(st, ctx, tx);
    st->name_cols = 0;
    bw_cur_init(&c, b, n);
    if (bw_cur_be16(&c, &ncols) != 0)
        return;
    for (uint16_t i = 0; i < ncols && bw_cur_left(&c) > 0; i++) {
        const char *name = (const char *)bw_cur_ptr(&c);
        size_t nl = strnlen(name, bw_cur_left(&c));
        for (size_t k = 0; i < 64 && k + 4 <= nl; k++)
            if (strncasecmp(name + k, "name", 4) == 0) {
                st->name_cols |= 1ull << i;
                break;
            }
        if (bw_cur_skip(&c, nl + 1 + 18) != 0)
            break;
    }
}

static int be_type_known(uint8_t t)
{
    return strchr("RSKZTDCENn123stIHGWdcAVv", t) != NULL && t != 0;
}

static int fe_type_known(uint8_t t)
{
    return strchr("QPBEDSCHFXpdcf", t) != NULL && t != 0;
}

static uint32_t rd_be32(const uint8_t *p)
{
    struct bw_cursor c;
    uint32_t v = 0;
    bw_cur_init(&c, p, 4);
    (void)bw_cur_be32(&c, &v);
    return v;
}

/* ---- probe ---- */

/* Walks typed messages: 1 when they look like PostgreSQL, 2 when more bytes
 * are needed, 0 otherwise. One complete message is enough only when it is
 * self-checking (a NUL-terminated Query, a ReadyForQuery with a valid status)
 * or when the next message's header is valid too: other protocols' first
 * bytes can pass for one short message (a MySQL greeting is a 'd' of 10). */
static int probe_typed(const uint8_t *data, size_t len, int (*known)(uint8_t))
{
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    int complete = 0, strong = 0;
    while (bw_cur_left(&c) > 0) {
        uint8_t t;
        uint32_t l;
        if (bw_cur_u8(&c, &t) != 0 || !known(t))
            return 0;
        if (bw_cur_be32(&c, &l) != 0)
            return strong ? 1 : 2;
        if (l < 4 || l > PG_PROBE_MSG_MAX)
            return 0;
        if (t == 'Z' && l != 5)
            return 0;
        if (complete)
            return 1; /* a complete message followed by a valid header */
        if (bw_cur_left(&c) < l - 4)
            return 2;
        if (t == 'Z') {
            uint8_t s = 0;
            (void)bw_cur_u8(&c, &s);
            if (s != 'I' && s != 'T' && s != 'E')
                return 0;
            strong = 1;
        } else if (t == 'Q' && l > 4) {
            const uint8_t *b = NULL;
            (void)bw_cur_take(&c, l - 4, &b);
            if (b[l - 5] != 0)
                return 0;
            strong = 1;
        } else {
            (void)bw_cur_skip(&c, l - 4);
        }
        complete++;
    }
    return strong ? 1 : 2;
}

static enum app_probe pgsql_probe(const uint8_t *data, size_t len, int dir)
{
    if (len == 0)
        return APP_PROBE_MORE;
    if (dir == FLOW_TOSERVER && data[0] == 0) {
        if (len < 8)
            return APP_PROBE_MORE;
        uint32_t l = rd_be32(data), code = rd_be32(data + 4);
        if ((code == PG_CODE_SSL || code == PG_CODE_GSSENC) && l == 8)
            return APP_PROBE_YES;
        if (code == PG_CODE_CANCEL && l == 16)
            return APP_PROBE_YES;
        if ((code >> 16) == 3 && l > 8 && l <= 10000)
            return APP_PROBE_YES;
        /* An 8-byte request with an unknown code: the shape of a special
         * request; the parser flags it. */
        if (l == 8)
            return APP_PROBE_YES;
        return APP_PROBE_NO;
    }
    int r = probe_typed(data, len, dir == FLOW_TOSERVER ? fe_type_known : be_type_known);
    return r == 1 ? APP_PROBE_YES : r == 2 ? APP_PROBE_MORE : APP_PROBE_NO;
}

/* ---- transactions ---- */

static void tx_init(struct pg_state *st, struct pg_tx *tx, enum pg_kind kind)
{
    memset(tx, 0, sizeof(*tx));
    tx->kind = (uint8_t)kind;
    tx->id = ++st->next_tx_id;
}

static void tx_set_query(struct pg_tx *tx, const uint8_t *s, size_t n, int truncated)
{
    size_t k = strnlen((const char *)s, n);
    if (k > PGSQL_QUERY_MAX) {
        k = PGSQL_QUERY_MAX;
        truncated = 1;
    }
    memcpy(tx->query, s, k);
    tx->query[k] = 0;
    tx->qlen = (uint16_t)k;
    tx->qtrunc = (uint8_t)truncated;
}

static void write_error(struct bw_json *j, const struct pg_tx *tx)
{
    bw_json_obj_begin(j, "error");
    bw_json_str(j, "severity", tx->err_sev);
    bw_json_str(j, "code", tx->err_code);
    bw_json_str(j, "message", tx->err_msg);
    bw_json_obj_end(j);
}

static void emit_access(struct pg_state *st, struct app_ctx *ctx, const struct pg_tx *tx,
                        const struct sql_tables *tables, const char *detail)
{
    if (ctx->access == NULL || ctx->flow == NULL)
        return;
    struct bw_access ev;
    access_init(&ev);
    const struct flow *f = ctx->flow;
    ev.ts_us = ctx->ts_us;
    ev.channel = ACCESS_CH_PGSQL;
    ev.direction = ACCESS_READ;
    ev.actor_ip = f->cli;
    ev.actor_port = f->cport;
    snprintf(ev.actor_user, sizeof(ev.actor_user), "%s", st->user);
    ev.dest_ip = f->srv;
    ev.dest_port = f->sport;
    if (tables != NULL && tables->n > 0)
        snprintf(ev.dataset, sizeof(ev.dataset), "%s", tables->name[0]);
    snprintf(ev.detail, sizeof(ev.detail), "%s", detail);
    ev.records = tx->rows + tx->copy_rows;
    ev.records_src = ACCESS_REC_ROWS;
    ev.bytes = tx->bytes + tx->copy_bytes;
    ev.status = tx->error ? -1 : 0;
    ev.encrypted = (f->app_flags & APP_FLOW_ENCRYPTED) != 0;
    ev.pii = tx->pii_used ? &tx->pii : NULL;
    ev.flow = f;
    ev.flow_id = f->flow_id;
    access_emit(ctx->access, &ev);
}

/* Writes the event of a query transaction (and its access event). */
static void tx_emit(struct pg_state *st, struct app_ctx *ctx, struct pg_tx *tx)
{
    pii_end(st, tx);
    if (tx->kind == TX_SYNC) {
        pii_counts_release(ctx->pii_pool, &tx->pii);
        return;
    }
    struct sql_tables tables;
    sql_tables_extract(tx->query, tx->qlen, "public", 1, &tables);
    if (ctx->stats != NULL)
        ctx->stats->events++;
    if (ctx->eve != NULL) {
        struct bw_json *j = eve_begin(ctx->eve, "pgsql", ctx->ts_us, ctx->flow, 0);
        bw_json_obj_begin(j, "pgsql");
        bw_json_uint(j, "tx_id", tx->id);
        if (st->user[0])
            bw_json_str(j, "user", st->user);
        if (st->database[0])
            bw_json_str(j, "database", st->database);
        bw_json_obj_begin(j, "request");
        if (tx->kind == TX_SIMPLE)
            bw_json_str(j, "simple_query", tx->query);
        else if (tx->kind == TX_EXTENDED)
            bw_json_str(j, "statement", tx->query);
        else if (tx->kind == TX_FUNCTION)
            bw_json_str(j, "message", "function_call");
        else
            bw_json_str(j, "message", "unknown (mid-stream)");
        if (tx->qtrunc)
            bw_json_bool(j, "truncated", true);
        if (tx->copy_in_rows > 0) {
            bw_json_obj_begin(j, "copy_data_in");
            bw_json_uint(j, "row_count", tx->copy_in_rows);
            bw_json_uint(j, "data_size", tx->copy_in_bytes);
            bw_json_obj_end(j);
        }
        bw_json_obj_end(j);
        bw_json_obj_begin(j, "response");
        bw_json_uint(j, "field_count", tx->field_count);
        bw_json_uint(j, "data_rows", tx->rows + tx->copy_rows);
        bw_json_uint(j, "data_size", tx->bytes + tx->copy_bytes);
        if (tx->done_cmd)
            bw_json_str(j, "command_completed", tx->tag);
        if (tx->copy_out) {
            bw_json_obj_begin(j, "copy_data_out");
            bw_json_uint(j, "row_count", tx->copy_rows);
            bw_json_uint(j, "data_size", tx->copy_bytes);
            bw_json_obj_end(j);
        }
        if (tx->error)
            write_error(j, tx);
        bw_json_obj_end(j);
        bw_json_arr_begin(j, "tables");
        for (unsigned i = 0; i < tables.n; i++)
            bw_json_str(j, NULL, tables.name[i]);
        bw_json_arr_end(j);
        if (tx->gap)
            bw_json_bool(j, "gap", true);
        if (tx->anomalies)
            bw_json_uint(j, "anomalies", tx->anomalies);
        if (tx->pii_used)
            pii_counts_json(j, "pii", &tx->pii);
        bw_json_obj_end(j);
        eve_end(ctx->eve);
    }
    emit_access(st, ctx, tx, &tables, tx->query);
    pii_counts_release(ctx->pii_pool, &tx->pii);
    tx->pii_used = 0;
}

/* Session-level events: SSL/GSSENC answers, startup + authentication,
 * cancel and unknown requests. */
static void emit_session(struct pg_state *st, struct app_ctx *ctx, const char *message,
                         int accepted, uint32_t code, const struct pg_tx *tx)
{
    uint64_t id = ++st->next_tx_id;
    if (ctx->stats != NULL)
        ctx->stats->events++;
    if (ctx->eve == NULL)
        return;
    struct bw_json *j = eve_begin(ctx->eve, "pgsql", ctx->ts_us, ctx->flow, 0);
    bw_json_obj_begin(j, "pgsql");
    bw_json_uint(j, "tx_id", id);
    if (st->user[0])
        bw_json_str(j, "user", st->user);
    if (st->database[0])
        bw_json_str(j, "database", st->database);
    bw_json_obj_begin(j, "request");
    bw_json_str(j, "message", message);
    if (code != 0)
        bw_json_uint(j, "code", code);
    bw_json_obj_end(j);
    bw_json_obj_begin(j, "response");
    if (strcmp(message, "SSL Request") == 0)
        bw_json_bool(j, "ssl_accepted", accepted);
    else if (strcmp(message, "GSSENC Request") == 0)
        bw_json_bool(j, "gssenc_accepted", accepted);
    if (tx != NULL && strcmp(message, "Startup") == 0) {
        bw_json_str(j, "message", tx->error ? "authentication_failed" : "authentication_ok");
        bw_json_uint(j, "auth_method", st->auth_method);
        if (st->appname[0])
            bw_json_str(j, "application_name", st->appname);
        if (tx->error)
            write_error(j, tx);
    }
    bw_json_obj_end(j);
    if (strcmp(message, "unknown_request") == 0)
        bw_json_str(j, "anomaly", "unknown_message");
    bw_json_obj_end(j);
    eve_end(ctx->eve);
}

static void startup_finish(struct pg_state *st, struct app_ctx *ctx)
{
    if (!st->startup_active)
        return;
    st->startup_active = 0;
    st->auth_done = 1;
    pii_end(st, &st->startup);
    emit_session(st, ctx, "Startup", 0, 0, &st->startup);
    if (st->startup.error) {
        st->startup.rows = 0;
        emit_access(st, ctx, &st->startup, NULL, "login");
    }
    pii_counts_release(ctx->pii_pool, &st->startup.pii);
    st->startup.pii_used = 0;
}

static struct pg_tx *q_push(struct pg_state *st, struct app_ctx *ctx)
{
    if (st->qn == PG_TXQ) {
        /* Too many in flight: the oldest is written as it stands. */
        tx_emit(st, ctx, &st->q[st->qhead]);
        st->qhead = (st->qhead + 1) % PG_TXQ;
        st->qn--;
    }
    struct pg_tx *tx = &st->q[(st->qhead + st->qn) % PG_TXQ];
    st->qn++;
    return tx;
}

/* The transaction responses belong to; one is made up mid-stream. */
static struct pg_tx *resp_tx(struct pg_state *st, struct app_ctx *ctx)
{
    if (st->qn > 0)
        return &st->q[st->qhead];
    if (st->startup_active)
        return &st->startup;
    struct pg_tx *tx = q_push(st, ctx);
    tx_init(st, tx, TX_NONE);
    return tx;
}

static void building_flush(struct pg_state *st, struct app_ctx *ctx)
{
    if (!st->building_active)
        return;
    struct pg_tx *tx = q_push(st, ctx);
    *tx = st->building;
    st->building_active = 0;
}

static struct pg_tx *building(struct pg_state *st)
{
    if (!st->building_active) {
        tx_init(st, &st->building, TX_EXTENDED);
        st->building_active = 1;
    }
    return &st->building;
}

/* ---- message handlers ---- */

static void parse_startup_params(struct pg_state *st, const uint8_t *b, size_t n)
{
    struct bw_cursor c;
    bw_cur_init(&c, b, n);
    while (bw_cur_left(&c) > 0) {
        const uint8_t *k = bw_cur_ptr(&c);
        size_t kl = strnlen((const char *)k, bw_cur_left(&c));
        if (kl == 0 || bw_cur_skip(&c, kl + 1) != 0)
            return;
        const uint8_t *v = bw_cur_ptr(&c);
        size_t vl = strnlen((const char *)v, bw_cur_left(&c));
        if (bw_cur_skip(&c, vl + 1) != 0)
            vl = 0;
        char *dst = NULL;
        size_t cap = 0;
        if (kl == 4 && memcmp(k, "user", 4) == 0) {
            dst = st->user;
            cap = sizeof(st->user);
        } else if (kl == 8 && memcmp(k, "database", 8) == 0) {
            dst = st->database;
            cap = sizeof(st->database);
        } else if (kl == 16 && memcmp(k, "application_name", 16) == 0) {
            dst = st->appname;
            cap = sizeof(st->appname);
        }
        if (dst != NULL) {
            size_t m = vl < cap - 1 ? vl : cap - 1;
            memcpy(dst, v, m);
            dst[m] = 0;
        }
    }
}

static void on_untyped(struct pg_state *st, struct app_ctx *ctx, const struct pg_rd *rd)
{
    uint32_t code = rd_be32(rd->hdr + 4);
    if (code == PG_CODE_SSL) {
        st->await_answer = 1;
    } else if (code == PG_CODE_GSSENC) {
        st->await_answer = 2;
    } else if (code == PG_CODE_CANCEL) {
        emit_session(st, ctx, "Cancel Request", 0, 0, NULL);
    } else if ((code >> 16) == 3) {
        /* StartupMessage: parameters follow the code. The body starts after
         * the 8-byte header; rd->cap holds what follows. */
        parse_startup_params(st, rd->cap, rd->caplen);
        st->startup_done = 1;
        tx_init(st, &st->startup, TX_NONE);
        st->next_tx_id--; /* numbered when written */
        st->startup_active = 1;
    } else {
        if (ctx->stats != NULL)
            ctx->stats->errors++;
        emit_session(st, ctx, "unknown_request", 0, code, NULL);
        st->await_answer = 3;
    }
}

static void on_error_fields(struct pg_tx *tx, const uint8_t *b, size_t n)
{
    struct bw_cursor c;
    bw_cur_init(&c, b, n);
    tx->error = 1;
    uint8_t t;
    while (bw_cur_u8(&c, &t) == 0 && t != 0) {
        const uint8_t *v = bw_cur_ptr(&c);
        size_t vl = strnlen((const char *)v, bw_cur_left(&c));
        char *dst = NULL;
        size_t cap = 0;
        if (t == 'V' || (t == 'S' && tx->err_sev[0] == 0)) {
            dst = tx->err_sev;
            cap = sizeof(tx->err_sev);
        } else if (t == 'C') {
            dst = tx->err_code;
            cap = sizeof(tx->err_code);
        } else if (t == 'M') {
            dst = tx->err_msg;
            cap = sizeof(tx->err_msg);
        }
        if (dst != NULL) {
            size_t m = vl < cap - 1 ? vl : cap - 1;
            memcpy(dst, v, m);
            dst[m] = 0;
        }
        if (bw_cur_skip(&c, vl + 1) != 0)
            break;
    }
}

static void on_frontend(struct pg_state *st, struct app_ctx *ctx, const struct pg_rd *rd)
{
    const uint8_t *b = rd->cap;
    size_t n = rd->caplen;
    int trunc = rd->blen > rd->caplen;
    struct pg_tx *tx;
    switch (rd->type) {
    case 'Q':
        building_flush(st, ctx);
        tx = q_push(st, ctx);
        tx_init(st, tx, TX_SIMPLE);
        tx_set_query(tx, b, n, trunc);
        break;
    case 'P': {
        tx = building(st);
        struct bw_cursor c;
        bw_cur_init(&c, b, n);
        size_t nl = strnlen((const char *)b, n);
        if (tx->qlen == 0 && bw_cur_skip(&c, nl + 1) == 0)
            tx_set_query(tx, bw_cur_ptr(&c), bw_cur_left(&c), trunc);
        break;
    }
    case 'B':
    case 'E':
    case 'D':
    case 'C':
        (void)building(st);
        break;
    case 'S':
        if (st->building_active) {
            building_flush(st, ctx);
        } else {
            tx = q_push(st, ctx);
            tx_init(st, tx, TX_SYNC);
            st->next_tx_id--;
        }
        break;
    case 'F':
        building_flush(st, ctx);
        tx = q_push(st, ctx);
        tx_init(st, tx, TX_FUNCTION);
        break;
    default:
        break; /* H, X, p (passwords are never kept), c, f; d is counted as it streams */
    }
}

static void on_backend(struct pg_state *st, struct app_ctx *ctx, const struct pg_rd *rd)
{
    const uint8_t *b = rd->cap;
    size_t n = rd->caplen;
    struct bw_cursor c;
    bw_cur_init(&c, b, n);
    struct pg_tx *tx;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    switch (rd->type) {
    case 'R':
        if (bw_cur_be32(&c, &v32) == 0 && st->startup_active && v32 != 0 && v32 != 11 && v32 != 12)
            st->auth_method = v32;
        break;
    case 'Z':
        if (st->qn > 0) {
            tx = &st->q[st->qhead];
            tx_emit(st, ctx, tx);
            st->qhead = (st->qhead + 1) % PG_TXQ;
            st->qn--;
        } else if (st->startup_active) {
            startup_finish(st, ctx);
        }
        break;
    case 'T':
        tx = resp_tx(st, ctx);
        if (bw_cur_be16(&c, &v16) == 0)
            tx->field_count = v16;
        if (ctx->pii != NULL)
            pgsql_row_description(st, ctx, tx, b, n);
        break;
    case 'H':
        tx = resp_tx(st, ctx);
        if (ctx->pii != NULL)
            pii_begin(st, ctx, tx);
        tx->copy_out = 1;
        if (bw_cur_skip(&c, 1) == 0 && bw_cur_be16(&c, &v16) == 0)
            tx->field_count = v16;
        break;
    case 'C': {
        tx = resp_tx(st, ctx);
        size_t k = strnlen((const char *)b, n);
        if (k >= sizeof(tx->tag))
            k = sizeof(tx->tag) - 1;
        memcpy(tx->tag, b, k);
        tx->tag[k] = 0;
        tx->done_cmd = 1;
        break;
    }
    case 'I':
        tx = resp_tx(st, ctx);
        tx->done_cmd = 1;
        tx->tag[0] = 0;
        break;
    case 'E':
        if (st->startup_active) {
            on_error_fields(&st->startup, b, n);
            startup_finish(st, ctx);
            break;
        }
        tx = resp_tx(st, ctx);
        on_error_fields(tx, b, n);
        break;
    default:
        break; /* S K N A 1 2 3 n s t G W c V v: nothing to keep */
    }
}

/* ---- byte-level reader ---- */

static void rd_reset(struct pg_rd *rd)
{
    rd->hlen = 0;
    rd->in_body = 0;
    rd->caplen = 0;
    rd->dr_state = 0;
    rd->dr_nlen = 0;
}

static void anomaly(struct pg_state *st, struct app_ctx *ctx)
{
    if (ctx->stats != NULL)
        ctx->stats->errors++;
    if (st->qn > 0)
        st->q[st->qhead].anomalies++;
}

/* Body bytes of a DataRow: column lengths are read, column values are
 * counted (and shown to the PII hook), never stored. */
static void datarow_bytes(struct pg_state *st, struct app_ctx *ctx, struct pg_rd *rd,
                          const uint8_t *p, size_t n)
{
    struct pg_tx *tx = resp_tx(st, ctx);
    struct bw_cursor c;
    bw_cur_init(&c, p, n);
    while (bw_cur_left(&c) > 0) {
        if (rd->dr_state == 0 || rd->dr_state == 1) {
            size_t need = rd->dr_state == 0 ? 2 : 4;
            uint8_t v;
            (void)bw_cur_u8(&c, &v);
            rd->dr_num[rd->dr_nlen++] = v;
            if (rd->dr_nlen < need)
                continue;
            rd->dr_nlen = 0;
            if (rd->dr_state == 0) {
                rd->dr_ncols = (uint16_t)((rd->dr_num[0] << 8) | rd->dr_num[1]);
                rd->dr_col = 0;
                rd->dr_state = rd->dr_ncols > 0 ? 1 : 3;
            } else {
                uint32_t l = rd_be32(rd->dr_num);
                rd->dr_col++;
                if (l == 0xFFFFFFFFu || l == 0) {
                    rd->dr_state = rd->dr_col < rd->dr_ncols ? 1 : 3;
                } else {
                    rd->dr_rem = l;
                    rd->dr_state = 2;
                    if (ctx->pii != NULL && rd->dr_col <= 64 &&
                        (st->name_cols >> (rd->dr_col - 1) & 1))
                        pgsql_scan_row(st, ctx, (const uint8_t *)"name=", 5);
                }
            }
        } else if (rd->dr_state == 2) {
            size_t k = bw_cur_left(&c) < rd->dr_rem ? bw_cur_left(&c) : rd->dr_rem;
            const uint8_t *v = NULL;
            (void)bw_cur_take(&c, k, &v);
            tx->bytes += k;
            if (ctx->pii != NULL)
                pgsql_scan_row(st, ctx, v, k);
            rd->dr_rem -= (uint32_t)k;
            if (rd->dr_rem == 0) {
                rd->dr_state = rd->dr_col < rd->dr_ncols ? 1 : 3;
                if (ctx->pii != NULL && st->pii_tx != NULL)
                    pii_tap_sep(&st->tap, rd->dr_state == 3 ? '\n' : '\t');
            }
        } else {
            /* Bytes past the declared columns: malformed, skipped. */
            tx->anomalies += 1;
            (void)bw_cur_skip(&c, bw_cur_left(&c));
        }
    }
}

static void body_bytes(struct pg_state *st, struct app_ctx *ctx, int dir, struct pg_rd *rd,
                       const uint8_t *p, size_t n)
{
    if (dir == FLOW_TOCLIENT && rd->type == 'D') {
        datarow_bytes(st, ctx, rd, p, n);
        return;
    }
    if (rd->type == 'd') {
        struct pg_tx *tx = dir == FLOW_TOCLIENT ? resp_tx(st, ctx) : NULL;
        if (tx != NULL) {
            tx->copy_bytes += n;
            if (ctx->pii != NULL)
                pgsql_scan_row(st, ctx, p, n);
        } else if (st->qn > 0) {
            st->q[st->qhead].copy_in_bytes += n;
        }
        return;
    }
    if (rd->type == 'p')
        return; /* passwords and SASL data are not kept */
    size_t k = PG_CAP - rd->caplen < n ? PG_CAP - rd->caplen : n;
    memcpy(rd->cap + rd->caplen, p, k);
    rd->caplen += (uint32_t)k;
}

static void message_end(struct pg_state *st, struct app_ctx *ctx, int dir, struct pg_rd *rd)
{
    if (rd->type == 0) {
        on_untyped(st, ctx, rd);
    } else if (dir == FLOW_TOSERVER) {
        if (!fe_type_known(rd->type))
            anomaly(st, ctx);
        else if (rd->type == 'd' && st->qn > 0)
            st->q[st->qhead].copy_in_rows++;
        else
            on_frontend(st, ctx, rd);
    } else {
        if (!be_type_known(rd->type)) {
            anomaly(st, ctx);
        } else if (rd->type == 'D') {
            struct pg_tx *tx = resp_tx(st, ctx);
            tx->rows++;
            if (rd->dr_state != 3)
                tx->anomalies++;
        } else if (rd->type == 'd') {
            resp_tx(st, ctx)->copy_rows++;
        } else {
            on_backend(st, ctx, rd);
        }
    }
    rd_reset(rd);
}

/* Returns 0, or -1 when the header cannot be a message (framing lost). */
static int header_done(struct pg_state *st, struct pg_rd *rd)
{
    uint32_t l;
    if (rd->hneed == 8) {
        rd->type = 0;
        l = rd_be32(rd->hdr);
        if (l < 8 || l > 10000)
            return -1;
        rd->blen = l - 8;
    } else {
        rd->type = rd->hdr[0];
        l = rd_be32(rd->hdr + 1);
        if (l < 4 || l > PG_MSG_MAX)
            return -1;
        rd->blen = l - 4;
    }
    (void)st;
    rd->boff = 0;
    rd->in_body = 1;
    rd->caplen = 0;
    rd->dr_state = 0;
    rd->dr_nlen = 0;
    return 0;
}

static void lose_framing(struct pg_state *st, struct app_ctx *ctx, struct pg_rd *rd)
{
    anomaly(st, ctx);
    rd_reset(rd);
    rd->resync = 1;
}

static enum app_result pgsql_parse(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                                   size_t len, size_t *consumed)
{
    struct pg_state *st = state;
    struct pg_rd *rd = &st->rd[dir];
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    *consumed = len; /* the reader keeps its own partial state: everything is taken */
    if (rd->resync) {
        int ok = probe_typed(data, len, dir == FLOW_TOSERVER ? fe_type_known : be_type_known);
        if (ok != 1)
            return APP_OK;
        rd->resync = 0;
        if (ctx->stats != NULL)
            ctx->stats->resyncs++;
    }
    while (bw_cur_left(&c) > 0) {
        if (!rd->in_body) {
            if (rd->hlen == 0) {
                const uint8_t b0 = *bw_cur_ptr(&c);
                if (dir == FLOW_TOCLIENT && st->await_answer) {
                    uint8_t a = st->await_answer;
                    if (b0 == 'S' || b0 == 'G' || b0 == 'N') {
                        (void)bw_cur_skip(&c, 1);
                        st->await_answer = 0;
                        int accepted = b0 != 'N';
                        if (a != 3)
                            emit_session(st, ctx, a == 2 ? "GSSENC Request" : "SSL Request",
                                         accepted, 0, NULL);
                        if (accepted) {
                            if (ctx->flow != NULL)
                                ctx->flow->app_flags |= APP_FLOW_ENCRYPTED;
                            return APP_DONE;
                        }
                        continue;
                    }
                    st->await_answer = 0;
                }
                if (dir == FLOW_TOSERVER && !st->startup_done && b0 != 0)
                    st->startup_done = 1; /* mid-stream: typed messages already */
                rd->hneed = dir == FLOW_TOSERVER && !st->startup_done ? 8 : 5;
            }
            uint8_t v;
            (void)bw_cur_u8(&c, &v);
            rd->hdr[rd->hlen++] = v;
            if (rd->hlen < rd->hneed)
                continue;
            if (header_done(st, rd) != 0) {
                lose_framing(st, ctx, rd);
                return APP_OK;
            }
            if (rd->blen > 0)
                continue;
            message_end(st, ctx, dir, rd);
            continue;
        }
        size_t k = bw_cur_left(&c) < rd->blen - rd->boff ? bw_cur_left(&c) : rd->blen - rd->boff;
        const uint8_t *p = NULL;
        (void)bw_cur_take(&c, k, &p);
        body_bytes(st, ctx, dir, rd, p, k);
        rd->boff += (uint32_t)k;
        if (rd->boff == rd->blen)
            message_end(st, ctx, dir, rd);
    }
    return APP_OK;
}

static enum app_result pgsql_gap(void *state, struct app_ctx *ctx, int dir, uint64_t len)
{
    struct pg_state *st = state;
    (void)len;
    rd_reset(&st->rd[dir]);
    st->rd[dir].resync = 1;
    if (dir == FLOW_TOSERVER)
        st->startup_done = 1; /* whatever follows is typed */
    for (unsigned i = 0; i < st->qn; i++)
        st->q[(st->qhead + i) % PG_TXQ].gap = 1;
    if (st->building_active)
        st->building.gap = 1;
    return APP_OK;
}

static void *pgsql_new_state(struct app_ctx *ctx)
{
    (void)ctx;
    struct pg_state *st = calloc(1, sizeof(*st));
    return st;
}

static void pgsql_free_state(void *state, struct app_ctx *ctx)
{
    struct pg_state *st = state;
    if (st == NULL)
        return;
    building_flush(st, ctx);
    while (st->qn > 0) {
        tx_emit(st, ctx, &st->q[st->qhead]);
        st->qhead = (st->qhead + 1) % PG_TXQ;
        st->qn--;
    }
    if (st->startup_active)
        startup_finish(st, ctx);
    pii_tap_end(&st->tap);
    free(st);
}

const struct app_proto app_pgsql = {
    .name = "pgsql",
    .ipproto = IPPROTO_TCP,
    .probe = pgsql_probe,
    .new_state = pgsql_new_state,
    .free_state = pgsql_free_state,
    .parse = pgsql_parse,
    .gap = pgsql_gap,
};

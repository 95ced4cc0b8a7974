/* TLS parser: record headers framed per direction; handshake messages in
 * clear are reassembled in a capped buffer for the ClientHello (SNI, ALPN,
 * offered versions), the ServerHello (negotiated version, ALPN) and the first
 * certificate (subject, issuer via OpenSSL); application data is counted from
 * record headers and skipped, never buffered. Events are written at flow end. */
#include "sensor/app-tls.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "common/cursor.h"
#include "common/json.h"
#include "sensor/output-eve.h"

#define TLS_HS_MAX_TOSERVER 8192 /* a ClientHello beyond this is parsed from its start */
#define TLS_REC_MAX         (16384 + 2048)
#define TLS_SNI_MAX         256
#define TLS_ALPN_MAX        128
#define TLS_NAME_MAX        512

enum {
    TLS_F_HS_TRUNCATED = 1u << 0, /* a handshake message exceeded the buffer */
    TLS_F_BAD_HELLO = 1u << 1,    /* a hello did not parse */
    TLS_F_BAD_CERT = 1u << 2,     /* the certificate did not parse */
    TLS_F_BAD_RECORD = 1u << 3,   /* a record header that is not TLS: parsing stopped */
};

static const char *const tls_anomaly_names[] = {"handshake_truncated", "invalid_hello",
                                                "invalid_certificate", "invalid_record"};

struct tls_dir {
    uint8_t type;      /* content type of the current record */
    uint32_t rec_left; /* bytes of the current record still to come */
    uint8_t encrypted; /* ChangeCipherSpec seen: later handshake records are opaque */
    uint8_t *hs;       /* handshake reassembly buffer, hs_cap bytes */
    uint32_t hs_cap, hs_len, hs_need, hs_skip;
    uint64_t app_bytes, records;
};

struct tls_state {
    struct tls_dir d[2];
    int64_t ts_us;
    uint8_t hello_seen, server_hello_seen, cert_seen, client_app_seen;
    uint16_t client_version, server_version;
    uint32_t flags;
    char sni[TLS_SNI_MAX];
    char alpn_client[TLS_ALPN_MAX]; /* comma-separated offer */
    char alpn_server[64];
    char subject[TLS_NAME_MAX], issuer[TLS_NAME_MAX];
    uint8_t buf_ts[TLS_HS_MAX_TOSERVER];
    uint8_t buf_tc[TLS_HS_MAX];
};

static const char *tls_version_name(uint16_t v, char buf[16])
{
    switch (v) {
    case 0x0300:
        return "SSLv3";
    case 0x0301:
        return "TLS 1.0";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    default:
        snprintf(buf, 16, "0x%04x", v);
        return buf;
    }
}

static int grease(uint16_t v)
{
    return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);
}

static int be24(struct bw_cursor *c, uint32_t *v)
{
    uint8_t a, b, d;
    if (bw_cur_u8(c, &a) != 0 || bw_cur_u8(c, &b) != 0 || bw_cur_u8(c, &d) != 0)
        return -1;
    *v = ((uint32_t)a << 16) | ((uint32_t)b << 8) | d;
    return 0;
}

/* Sub-cursor of n bytes at the current position (advances the parent). */
static int sub(struct bw_cursor *c, size_t n, struct bw_cursor *out)
{
    const uint8_t *p;
    if (bw_cur_take(c, n, &p) != 0)
        return -1;
    bw_cur_init(out, p, n);
    return 0;
}

static int sub16(struct bw_cursor *c, struct bw_cursor *out)
{
    uint16_t n;
    return bw_cur_be16(c, &n) != 0 ? -1 : sub(c, n, out);
}

static int sub8(struct bw_cursor *c, struct bw_cursor *out)
{
    uint8_t n;
    return bw_cur_u8(c, &n) != 0 ? -1 : sub(c, n, out);
}

static void alpn_list(struct bw_cursor *e, char *out, size_t cap, int first_only)
{
    struct bw_cursor l;
    if (sub16(e, &l) != 0)
        return;
    size_t o = strlen(out);
    struct bw_cursor p;
    while (sub8(&l, &p) == 0) {
        size_t n = bw_cur_left(&p);
        if (n == 0 || o + n + 2 > cap)
            break;
        if (o > 0)
            out[o++] = ',';
        memcpy(out + o, bw_cur_ptr(&p), n);
        o += n;
        out[o] = '\0';
        if (first_only)
            break;
    }
}

/* Hello extensions: SNI, ALPN, supported_versions. */
static int hello_extensions(struct tls_state *s, struct bw_cursor *c, int client)
{
    if (bw_cur_left(c) == 0)
        return 0; /* no extensions */
    struct bw_cursor exts;
    if (sub16(c, &exts) != 0)
        return -1;
    while (bw_cur_left(&exts) > 0) {
        uint16_t type;
        struct bw_cursor e;
        if (bw_cur_be16(&exts, &type) != 0 || sub16(&exts, &e) != 0)
            return -1;
        if (type == 0 && client) {
            struct bw_cursor list, name;
            uint8_t nt;
            if (sub16(&e, &list) == 0 && bw_cur_u8(&list, &nt) == 0 && nt == 0 &&
                sub16(&list, &name) == 0) {
                size_t n = bw_cur_left(&name);
                if (n >= sizeof(s->sni))
                    n = sizeof(s->sni) - 1;
                memcpy(s->sni, bw_cur_ptr(&name), n);
                s->sni[n] = '\0';
            }
        } else if (type == 16) {
            if (client)
                alpn_list(&e, s->alpn_client, sizeof(s->alpn_client), 0);
            else
                alpn_list(&e, s->alpn_server, sizeof(s->alpn_server), 1);
        } else if (type == 43) {
            uint16_t v;
            if (client) {
                struct bw_cursor vl;
                if (sub8(&e, &vl) == 0)
                    while (bw_cur_be16(&vl, &v) == 0)
                        if (!grease(v) && v > s->client_version && v <= 0x0304)
                            s->client_version = v;
            } else if (bw_cur_be16(&e, &v) == 0) {
                s->server_version = v;
            }
        }
    }
    return 0;
}

static int client_hello(struct tls_state *s, struct bw_cursor *c)
{
    uint16_t ver;
    struct bw_cursor skip;
    if (bw_cur_be16(c, &ver) != 0 || bw_cur_skip(c, 32) != 0 || sub8(c, &skip) != 0 ||
        sub16(c, &skip) != 0 || sub8(c, &skip) != 0)
        return -1;
    s->hello_seen = 1;
    if (ver > s->client_version)
        s->client_version = ver;
    return hello_extensions(s, c, 1);
}

static int server_hello(struct tls_state *s, struct bw_cursor *c)
{
    uint16_t ver, cipher;
    uint8_t comp;
    struct bw_cursor skip;
    if (bw_cur_be16(c, &ver) != 0 || bw_cur_skip(c, 32) != 0 || sub8(c, &skip) != 0 ||
        bw_cur_be16(c, &cipher) != 0 || bw_cur_u8(c, &comp) != 0)
        return -1;
    s->server_hello_seen = 1;
    s->server_version = ver;
    return hello_extensions(s, c, 0);
}

static void name_print(X509_NAME *n, char *out, size_t cap)
{
    out[0] = '\0';
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return;
    unsigned long fl =
        XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT;
    if (X509_NAME_print_ex(b, n, 0, fl) >= 0) {
        int r = BIO_read(b, out, (int)cap - 1);
        out[r > 0 ? r : 0] = '\0';
    }
    BIO_free(b);
}

/* The first certificate of a Certificate message (TLS <= 1.2 layout). */
static int certificate(struct tls_state *s, struct bw_cursor *c)
{
    uint32_t list_len, cert_len;
    if (be24(c, &list_len) != 0 || be24(c, &cert_len) != 0)
        return -1;
    const uint8_t *der;
    if (bw_cur_take(c, cert_len, &der) != 0)
        return -1;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)cert_len);
    if (x == NULL)
        return -1;
    name_print(X509_get_subject_name(x), s->subject, sizeof(s->subject));
    name_print(X509_get_issuer_name(x), s->issuer, sizeof(s->issuer));
    X509_free(x);
    s->cert_seen = 1;
    return 0;
}

/* One handshake message (possibly cut at the buffer size). */
static void hs_message(struct tls_state *s, struct app_ctx *ctx, int dir, const uint8_t *m,
                       size_t n)
{
    struct bw_cursor c;
    bw_cur_init(&c, m, n);
    uint8_t type;
    uint32_t len;
    if (bw_cur_u8(&c, &type) != 0 || be24(&c, &len) != 0)
        return;
    int r = 0;
    uint32_t bad = 0;
    if (type == 1 && dir == FLOW_TOSERVER && !s->hello_seen) {
        r = client_hello(s, &c);
        bad = TLS_F_BAD_HELLO;
    } else if (type == 2 && dir == FLOW_TOCLIENT && !s->server_hello_seen) {
        r = server_hello(s, &c);
        bad = TLS_F_BAD_HELLO;
    } else if (type == 11 && dir == FLOW_TOCLIENT && !s->cert_seen && s->server_version != 0x0304) {
        r = certificate(s, &c);
        bad = TLS_F_BAD_CERT;
    }
    if (r != 0 && !(s->flags & TLS_F_HS_TRUNCATED)) {
        s->flags |= bad;
        if (ctx->stats)
            ctx->stats->errors++;
    }
}

/* Handshake bytes in clear, in order: messages are cut out and parsed. */
static void hs_feed(struct tls_state *s, struct app_ctx *ctx, int dir, const uint8_t *p, size_t n)
{
    struct tls_dir *d = &s->d[dir];
    while (n > 0) {
        if (d->hs_skip > 0) {
            size_t k = n < d->hs_skip ? n : d->hs_skip;
            d->hs_skip -= (uint32_t)k;
            p += k;
            n -= k;
            continue;
        }
        uint32_t want = d->hs_len < 4 ? 4 : d->hs_need;
        if (want > d->hs_cap)
            want = d->hs_cap;
        size_t k = want - d->hs_len;
        if (k > n)
            k = n;
        memcpy(d->hs + d->hs_len, p, k);
        d->hs_len += (uint32_t)k;
        p += k;
        n -= k;
        if (d->hs_len == 4 && d->hs_need == 0) {
            d->hs_need = 4 + (((uint32_t)d->hs[1] << 16) | ((uint32_t)d->hs[2] << 8) | d->hs[3]);
        }
        if (d->hs_need != 0 && (d->hs_len == d->hs_need || d->hs_len == d->hs_cap)) {
            if (d->hs_need > d->hs_len) {
                s->flags |= TLS_F_HS_TRUNCATED;
                d->hs_skip = d->hs_need - d->hs_len;
            }
            hs_message(s, ctx, dir, d->hs, d->hs_len);
            d->hs_len = 0;
            d->hs_need = 0;
        }
    }
}

static enum app_result tls_parse(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                                 size_t len, size_t *consumed)
{
    struct tls_state *s = state;
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    *consumed = 0;
    if (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)
        return APP_ERROR;
    struct tls_dir *d = &s->d[dir];
    if (s->ts_us == 0)
        s->ts_us = ctx->ts_us;
    while (bw_cur_left(&c) > 0) {
        if (d->rec_left == 0) {
            if (bw_cur_left(&c) < 5)
                break;
            uint8_t type = 0, vmaj = 0, vmin = 0;
            uint16_t rl = 0;
            (void)bw_cur_u8(&c, &type);
            (void)bw_cur_u8(&c, &vmaj);
            (void)bw_cur_u8(&c, &vmin);
            (void)bw_cur_be16(&c, &rl);
            if (type < 20 || type > 24 || vmaj != 3 || vmin > 4 || rl > TLS_REC_MAX) {
                s->flags |= TLS_F_BAD_RECORD;
                *consumed = c.off;
                return APP_ERROR;
            }
            d->type = type;
            d->rec_left = rl;
            d->records++;
            if (type == 20) {
                d->encrypted = 1;
                if (ctx->flow != NULL)
                    ctx->flow->app_flags |= APP_FLOW_ENCRYPTED;
            } else if (type == 23) {
                /* TLS 1.3 sends its encrypted handshake as application data:
                 * the server's records before the client's first one, and that
                 * first one (client Finished), are handshake, not data. */
                int tls13 = s->server_version == 0x0304;
                if (!tls13 || s->client_app_seen)
                    d->app_bytes += rl;
                if (dir == FLOW_TOSERVER)
                    s->client_app_seen = 1;
            }
            continue;
        }
        size_t k = bw_cur_left(&c) < d->rec_left ? bw_cur_left(&c) : d->rec_left;
        const uint8_t *p = NULL;
        (void)bw_cur_take(&c, k, &p);
        if (d->type == 22 && !d->encrypted)
            hs_feed(s, ctx, dir, p, k);
        d->rec_left -= (uint32_t)k;
    }
    *consumed = c.off;
    return APP_OK;
}

static enum app_result tls_gap(void *state, struct app_ctx *ctx, int dir, uint64_t len)
{
    struct tls_state *s = state;
    (void)ctx;
    if (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)
        return APP_ERROR;
    struct tls_dir *d = &s->d[dir];
    /* Inside a record the framing survives: skip and count. */
    if (len <= d->rec_left) {
        d->rec_left -= (uint32_t)len;
        if (d->type == 22) {
            d->hs_len = 0;
            d->hs_need = 0;
            d->hs_skip = 0;
        }
        return APP_OK;
    }
    return APP_ERROR;
}

static void *tls_new_state(struct app_ctx *ctx)
{
    struct tls_state *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->d[FLOW_TOSERVER].hs = s->buf_ts;
    s->d[FLOW_TOSERVER].hs_cap = sizeof(s->buf_ts);
    s->d[FLOW_TOCLIENT].hs = s->buf_tc;
    s->d[FLOW_TOCLIENT].hs_cap = sizeof(s->buf_tc);
    s->ts_us = ctx != NULL ? ctx->ts_us : 0;
    return s;
}

static void tls_emit(struct tls_state *s, struct app_ctx *ctx)
{
    const struct flow *f = ctx->flow;
    char vb[16];
    uint16_t v = s->server_version ? s->server_version : s->client_version;
    uint64_t up = s->d[FLOW_TOSERVER].app_bytes, down = s->d[FLOW_TOCLIENT].app_bytes;
    if (ctx->stats)
        ctx->stats->events++;
    if (ctx->eve != NULL) {
        struct bw_json *j = eve_begin(ctx->eve, "tls", s->ts_us, f, 0);
        bw_json_obj_begin(j, "tls");
        if (s->sni[0])
            bw_json_str(j, "sni", s->sni);
        if (v != 0)
            bw_json_str(j, "version", tls_version_name(v, vb));
        if (s->subject[0])
            bw_json_str(j, "subject", s->subject);
        if (s->issuer[0])
            bw_json_str(j, "issuer", s->issuer);
        if (s->alpn_server[0])
            bw_json_str(j, "alpn", s->alpn_server);
        if (s->alpn_client[0]) {
            bw_json_arr_begin(j, "client_alpns");
            const char *p = s->alpn_client;
            while (*p) {
                size_t n = strcspn(p, ",");
                bw_json_strn(j, NULL, p, n);
                p += n + (p[n] == ',');
            }
            bw_json_arr_end(j);
        }
        bw_json_uint(j, "bytes_toserver", up);
        bw_json_uint(j, "bytes_toclient", down);
        if (s->flags) {
            bw_json_arr_begin(j, "anomalies");
            for (unsigned i = 0; i < sizeof(tls_anomaly_names) / sizeof(tls_anomaly_names[0]); i++)
                if (s->flags & (1u << i))
                    bw_json_str(j, NULL, tls_anomaly_names[i]);
            bw_json_arr_end(j);
        }
        bw_json_obj_end(j);
        eve_end(ctx->eve);
    }
    if (ctx->access != NULL && f != NULL) {
        struct bw_access ev;
        access_init(&ev);
        ev.ts_us = s->ts_us;
        ev.channel = ACCESS_CH_TLS;
        ev.direction = up > down ? ACCESS_SEND : ACCESS_READ;
        ev.bytes = up > down ? up : down;
        ev.actor_ip = f->cli;
        ev.actor_port = f->cport;
        ev.dest_ip = f->srv;
        ev.dest_port = f->sport;
        size_t sl = strlen(s->sni);
        memcpy(ev.dataset, s->sni, sl < sizeof(ev.dataset) ? sl : sizeof(ev.dataset) - 1);
        memcpy(ev.detail, s->sni, sl < sizeof(ev.detail) ? sl : sizeof(ev.detail) - 1);
        ev.encrypted = 1;
        ev.flow = f;
        ev.flow_id = f->flow_id;
        access_emit(ctx->access, &ev);
    }
}

static void tls_free_state(void *state, struct app_ctx *ctx)
{
    struct tls_state *s = state;
    if (s == NULL)
        return;
    if (s->hello_seen || s->server_hello_seen || s->d[0].records + s->d[1].records > 0)
        tls_emit(s, ctx);
    free(s);
}

/* A handshake record carrying a ClientHello (to server) or ServerHello. */
static enum app_probe tls_probe(const uint8_t *data, size_t len, int dir)
{
    uint8_t want = dir == FLOW_TOSERVER ? 1 : 2;
    if (len >= 1 && data[0] != 0x16)
        return APP_PROBE_NO;
    if (len >= 2 && data[1] != 0x03)
        return APP_PROBE_NO;
    if (len >= 3 && data[2] > 0x04)
        return APP_PROBE_NO;
    if (len < 6)
        return APP_PROBE_MORE;
    return data[5] == want ? APP_PROBE_YES : APP_PROBE_NO;
}

const struct app_proto app_tls = {
    .name = "tls",
    .ipproto = IPPROTO_TCP,
    .probe = tls_probe,
    .new_state = tls_new_state,
    .free_state = tls_free_state,
    .parse = tls_parse,
    .gap = tls_gap,
};

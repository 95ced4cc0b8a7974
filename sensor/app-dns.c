/* DNS parser over UDP (one message per datagram) and TCP (2-byte length
 * prefix, messages split across segments). Names are decompressed with loop
 * protection; each question of a query becomes a `dns` query event and an
 * access event with the tunnelling measures; each response becomes an answer
 * event. Malformed messages are counted and logged as far as they parse. */
#include "sensor/app-dns.h"
#include "sensor/dns-name.h"
#include "sensor/dns-payload.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/json.h"
#include "sensor/output-eve.h"
#include "sensor/pii-tap.h"

#define DNS_HDR_LEN       12
#define DNS_QUESTIONS_MAX 16    /* questions logged per message */
#define DNS_ANSWERS_MAX   64    /* answers logged per message */
#define DNS_RR_PARSE_MAX  256   /* records walked per section: bounds the work per message */
#define DNS_WALK_MAX      16384 /* decoded bytes per name, pointers included */
#define DNS_SEEN_IDS      32    /* recent query ids, to tell answers whose query we missed */

struct dns_state {
    int tcp;
    uint64_t tx_id;
    uint16_t seen[DNS_SEEN_IDS];
    unsigned seen_n, seen_pos;
    uint32_t skip[2];          /* TCP: bytes of an oversized message still to skip */
    struct dns_name name, tmp; /* decoding buffers, kept here: no allocation per message */
};

/* ---- names ---- */

int dns_name_read(const uint8_t *msg, size_t mlen, size_t *off, struct dns_name *out)
{
    struct bw_cursor c;
    bw_cur_init(&c, msg, mlen);
    uint32_t full_len = 0;
    uint16_t labels = 0, label_max = 0, len = 0;
    uint8_t truncated = 0;
    if (bw_cur_skip(&c, *off) != 0)
        return -1;
    size_t end = 0;
    int jumped = 0, hops = 0;
    const uint8_t *last[3] = {NULL, NULL, NULL}; /* most recent label first */
    uint8_t last_len[3] = {0, 0, 0};
    for (;;) {
        uint8_t l;
        if (bw_cur_u8(&c, &l) != 0)
            return -1;
        if (l == 0) {
            if (!jumped)
                end = c.off;
            break;
        }
        if ((l & 0xC0) == 0xC0) {
            uint8_t lo;
            if (bw_cur_u8(&c, &lo) != 0)
                return -1;
            size_t ptr = ((size_t)(l & 0x3F) << 8) | lo;
            if (!jumped)
                end = c.off;
            jumped = 1;
            /* Forward pointers are legal; loops end at the hop limit. */
            if (++hops > DNS_MAX_HOPS || ptr >= mlen)
                return -1;
            c.off = ptr;
            continue;
        }
        if (l & 0xC0)
            return -1; /* extended label types are not in use */
        const uint8_t *lab;
        if (bw_cur_take(&c, l, &lab) != 0 || full_len + l + 1 > DNS_WALK_MAX)
            return -1;
        if (labels > 0) {
            full_len++;
            if (len < DNS_NAME_MAX) {
                if (out != NULL)
                    out->s[len] = '.';
                len++;
            } else {
                truncated = 1;
            }
        }
        size_t k = l;
        if (len + k > DNS_NAME_MAX) {
            k = DNS_NAME_MAX - len;
            truncated = 1;
        }
        if (out != NULL)
            memcpy(out->s + len, lab, k);
        len = (uint16_t)(len + k);
        full_len += l;
        labels++;
        last[2] = last[1], last_len[2] = last_len[1];
        last[1] = last[0], last_len[1] = last_len[0];
        last[0] = lab, last_len[0] = l;
        if (l > label_max)
            label_max = l;
    }
    if (out != NULL) {
        out->s[len] = '\0';
        out->len = len;
        out->full_len = full_len;
        out->labels = labels;
        out->label_max = label_max;
        out->truncated = truncated;
        size_t t = 0;
        for (int i = 2; i >= 0; i--) {
            if (last[i] == NULL)
                continue;
            if (t > 0)
                out->tail[t++] = '.';
            memcpy(out->tail + t, last[i], last_len[i]);
            t += last_len[i];
        }
        out->tail[t] = '\0';
        out->tail_len = (uint16_t)t;
    }
    *off = end;
    return 0;
}

/* ---- names of numbers ---- */

static const char *rrtype_name(uint16_t t, char buf[8])
{
    switch (t) {
    case 1:
        return "A";
    case 2:
        return "NS";
    case 5:
        return "CNAME";
    case 6:
        return "SOA";
    case 10:
        return "NULL";
    case 12:
        return "PTR";
    case 13:
        return "HINFO";
    case 15:
        return "MX";
    case 16:
        return "TXT";
    case 28:
        return "AAAA";
    case 33:
        return "SRV";
    case 35:
        return "NAPTR";
    case 41:
        return "OPT";
    case 43:
        return "DS";
    case 46:
        return "RRSIG";
    case 47:
        return "NSEC";
    case 48:
        return "DNSKEY";
    case 50:
        return "NSEC3";
    case 64:
        return "SVCB";
    case 65:
        return "HTTPS";
    case 99:
        return "SPF";
    case 252:
        return "AXFR";
    case 255:
        return "ANY";
    case 257:
        return "CAA";
    default:
        snprintf(buf, 8, "%u", t);
        return buf;
    }
}

static const char *rcode_name(unsigned r, char buf[8])
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                        "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (r < sizeof(names) / sizeof(names[0]))
        return names[r];
    snprintf(buf, 8, "%u", r);
    return buf;
}

static const char *name_text(const struct dns_name *n)
{
    return n->labels == 0 ? "<root>" : n->s;
}

/* ---- messages ---- */

struct dns_hdr {
    uint16_t id, flags, qd, an, ns, ar;
};

static int hdr_read(struct bw_cursor *c, struct dns_hdr *h)
{
    return bw_cur_be16(c, &h->id) | bw_cur_be16(c, &h->flags) | bw_cur_be16(c, &h->qd) |
           bw_cur_be16(c, &h->an) | bw_cur_be16(c, &h->ns) | bw_cur_be16(c, &h->ar);
}

/* Reads one question at *off. */
static int question_read(const uint8_t *m, size_t ml, size_t *off, struct dns_name *name,
                         uint16_t *qtype, uint16_t *qclass)
{
    if (dns_name_read(m, ml, off, name) != 0)
        return -1;
    struct bw_cursor c;
    bw_cur_init(&c, m, ml);
    if (bw_cur_skip(&c, *off) != 0 || bw_cur_be16(&c, qtype) != 0 || bw_cur_be16(&c, qclass) != 0)
        return -1;
    *off = c.off;
    return 0;
}

struct dns_rr {
    uint16_t type, klass, rdlen;
    uint32_t ttl;
    size_t rdata; /* offset of rdata in the message */
};

static int rr_read(const uint8_t *m, size_t ml, size_t *off, struct dns_name *name,
                   struct dns_rr *rr)
{
    if (dns_name_read(m, ml, off, name) != 0)
        return -1;
    struct bw_cursor c;
    bw_cur_init(&c, m, ml);
    if (bw_cur_skip(&c, *off) != 0 || bw_cur_be16(&c, &rr->type) != 0 ||
        bw_cur_be16(&c, &rr->klass) != 0 || bw_cur_be32(&c, &rr->ttl) != 0 ||
        bw_cur_be16(&c, &rr->rdlen) != 0)
        return -1;
    rr->rdata = c.off;
    if (bw_cur_skip(&c, rr->rdlen) != 0)
        return -1;
    *off = c.off;
    return 0;
}

/* Writes the rdata of one answer (as Suricata's v2 answers do). */
static void rdata_write(struct bw_json *j, const uint8_t *m, size_t ml, const struct dns_rr *rr,
                        struct dns_name *tmp)
{
    struct bw_cursor c;
    bw_cur_init(&c, m, ml);
    (void)bw_cur_skip(&c, rr->rdata);
    char ip[INET6_ADDRSTRLEN];
    size_t off = rr->rdata;
    switch (rr->type) {
    case 1:
        if (rr->rdlen == 4) {
            uint8_t a[4];
            (void)bw_cur_copy(&c, a, 4);
            bw_json_str(j, "rdata", inet_ntop(AF_INET, a, ip, sizeof(ip)));
        }
        break;
    case 28:
        if (rr->rdlen == 16) {
            uint8_t a[16];
            (void)bw_cur_copy(&c, a, 16);
            bw_json_str(j, "rdata", inet_ntop(AF_INET6, a, ip, sizeof(ip)));
        }
        break;
    case 2:
    case 5:
    case 12:
        if (dns_name_read(m, rr->rdata + rr->rdlen, &off, tmp) == 0)
            bw_json_strn(j, "rdata", tmp->s, tmp->len);
        break;
    case 15:
        off += 2;
        if (rr->rdlen > 2 && dns_name_read(m, rr->rdata + rr->rdlen, &off, tmp) == 0)
            bw_json_strn(j, "rdata", tmp->s, tmp->len);
        break;
    case 16: {
        /* character-strings, concatenated */
        char txt[DNS_NAME_MAX];
        size_t tl = 0;
        struct bw_cursor t;
        bw_cur_init(&t, m + rr->rdata, rr->rdlen);
        uint8_t l;
        while (bw_cur_u8(&t, &l) == 0) {
            const uint8_t *p;
            if (bw_cur_take(&t, l, &p) != 0)
                break;
            size_t k = l < sizeof(txt) - tl ? l : sizeof(txt) - tl;
            memcpy(txt + tl, p, k);
            tl += k;
        }
        bw_json_strn(j, "rdata", txt, tl);
        break;
    }
    case 33: {
        uint16_t prio, weight, port;
        if (bw_cur_be16(&c, &prio) == 0 && bw_cur_be16(&c, &weight) == 0 &&
            bw_cur_be16(&c, &port) == 0) {
            off = c.off;
            if (dns_name_read(m, rr->rdata + rr->rdlen, &off, tmp) == 0) {
                bw_json_obj_begin(j, "srv");
                bw_json_uint(j, "priority", prio);
                bw_json_uint(j, "weight", weight);
                bw_json_uint(j, "port", port);
                bw_json_strn(j, "name", tmp->s, tmp->len);
                bw_json_obj_end(j);
            }
        }
        break;
    }
    default:
        break;
    }
}

static int id_seen(struct dns_state *s, uint16_t id)
{
    for (unsigned i = 0; i < s->seen_n; i++)
        if (s->seen[i] == id)
            return 1;
    return 0;
}

static void id_remember(struct dns_state *s, uint16_t id)
{
    s->seen[s->seen_pos] = id;
    s->seen_pos = (s->seen_pos + 1) % DNS_SEEN_IDS;
    if (s->seen_n < DNS_SEEN_IDS)
        s->seen_n++;
}

static void str_cap(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* One access event for a question (the payload an exfiltrator controls). */
static void access_question(struct app_ctx *ctx, const struct dns_name *n, uint16_t qtype)
{
    const struct flow *f = ctx->flow;
    if (ctx->access == NULL || f == NULL)
        return;
    struct bw_access ev;
    access_init(&ev);
    ev.ts_us = ctx->ts_us;
    ev.channel = ACCESS_CH_DNS;
    ev.direction = ACCESS_SEND;
    ev.actor_ip = f->cli;
    ev.actor_port = f->cport;
    ev.dest_ip = f->srv;
    ev.dest_port = f->sport;
    size_t rd = dns_registered_domain(n->s, n->len);
    if (n->truncated) {
        /* the text was cut: the registered domain comes from the last labels */
        size_t trd = dns_registered_domain(n->tail, n->tail_len);
        str_cap(ev.dataset, sizeof(ev.dataset), n->tail + trd, n->tail_len - trd);
    } else {
        str_cap(ev.dataset, sizeof(ev.dataset), n->s + rd, n->len - rd);
    }
    str_cap(ev.detail, sizeof(ev.detail), n->s, n->len);
    ev.bytes = n->full_len;
    ev.dns_qtype = qtype;
    ev.dns_name_len = n->full_len > UINT16_MAX ? UINT16_MAX : (uint16_t)n->full_len;
    ev.dns_label_max = n->label_max;
    ev.dns_labels = n->labels;
    /* the part left of the registered domain, without its trailing dot */
    ev.dns_entropy = dns_entropy(n->s, rd > 0 ? rd - 1 : 0);
    ev.flow = f;
    ev.flow_id = f->flow_id;
    if (ctx->dns_payload != NULL) {
        /* The payload stream of (client, domain): labels and queries joined,
         * repeats left out. A resolver's forwarded copy is no access of its
         * own (the client's event stands for it). A name cut short is
         * measured but not decoded. */
        struct dns_payload_result res;
        if (!n->truncated && dns_payload_access(ctx->dns_payload, &f->srv, n->s, n->len, &ev,
                                                &res) == DNS_SEEN_FORWARD)
            return;
        access_emit(ctx->access, &ev);
        return;
    }
    struct pii_counts pc;
    pii_counts_init(&pc);
    if (ctx->pii != NULL && pii_scan_dns_name(ctx->pii, ctx->pii_scratch, n->s, n->len, &pc) == 0) {
        /* Estimators only for the (rare) names with findings: scanned again
         * with them attached. */
        if (ctx->pii_pool != NULL && pii_counts_attach(ctx->pii_pool, &pc) > 0)
            (void)pii_scan_dns_name(ctx->pii, ctx->pii_scratch, n->s, n->len, &pc);
        ev.pii = &pc;
        if ((ev.records = pii_counts_records(&pc)) > 0)
            ev.records_src = ACCESS_REC_PII;
    }
    access_emit(ctx->access, &ev);
    pii_counts_release(ctx->pii_pool, &pc);
}

static void eve_flags(struct bw_json *j, const struct dns_hdr *h)
{
    char fl[8];
    snprintf(fl, sizeof(fl), "%04x", h->flags);
    bw_json_str(j, "flags", fl);
    if (h->flags & 0x8000)
        bw_json_bool(j, "qr", true);
    if (h->flags & 0x0400)
        bw_json_bool(j, "aa", true);
    if (h->flags & 0x0200)
        bw_json_bool(j, "tc", true);
    if (h->flags & 0x0100)
        bw_json_bool(j, "rd", true);
    if (h->flags & 0x0080)
        bw_json_bool(j, "ra", true);
}

/* Parses one whole message. Returns 0, or -1 when it is malformed (counted;
 * whatever parsed before the damage is still logged). */
static int dns_message(struct dns_state *s, struct app_ctx *ctx, int dir, const uint8_t *m,
                       size_t ml)
{
    struct bw_cursor c;
    bw_cur_init(&c, m, ml);
    struct dns_hdr h;
    if (hdr_read(&c, &h) != 0) {
        if (ctx->stats)
            ctx->stats->errors++;
        return -1;
    }
    int qr = (h.flags & 0x8000) != 0;
    unsigned opcode = (h.flags >> 11) & 0xF, rcode = h.flags & 0xF;
    struct dns_name *name = &s->name, *tmp = &s->tmp;
    int rc = -1;

    /* Pass 1: how far the message parses. */
    size_t off = DNS_HDR_LEN;
    unsigned q_ok = 0, an_ok = 0;
    int damaged = 0;
    for (unsigned i = 0; i < h.qd && i < DNS_RR_PARSE_MAX; i++) {
        uint16_t qt, qc;
        if (question_read(m, ml, &off, name, &qt, &qc) != 0) {
            damaged = 1;
            break;
        }
        q_ok++;
    }
    size_t an_off = off;
    for (unsigned i = 0; !damaged && i < h.an && i < DNS_RR_PARSE_MAX; i++) {
        struct dns_rr rr;
        if (rr_read(m, ml, &off, name, &rr) != 0) {
            damaged = 1;
            break;
        }
        an_ok++;
    }
    unsigned rest = (unsigned)h.ns + h.ar;
    if (q_ok < h.qd || an_ok < h.an)
        rest = 0; /* stopped at the parse limit: later sections are not reached */
    for (unsigned i = 0; !damaged && i < rest && i < DNS_RR_PARSE_MAX; i++) {
        struct dns_rr rr;
        if (rr_read(m, ml, &off, name, &rr) != 0)
            damaged = 1;
    }
    if (damaged && ctx->stats)
        ctx->stats->errors++;

    /* Pass 2: events. */
    char b1[8], b2[8];
    off = DNS_HDR_LEN;
    if (!qr) {
        uint64_t tx = s->tx_id++;
        id_remember(s, h.id);
        for (unsigned i = 0; i < q_ok; i++) {
            uint16_t qt, qc;
            (void)question_read(m, ml, &off, name, &qt, &qc);
            if (i >= DNS_QUESTIONS_MAX)
                continue;
            if (ctx->eve != NULL) {
                struct bw_json *j =
                    eve_begin(ctx->eve, "dns", ctx->ts_us, ctx->flow, dir == FLOW_TOCLIENT);
                bw_json_obj_begin(j, "dns");
                bw_json_str(j, "type", "query");
                bw_json_uint(j, "id", h.id);
                bw_json_strn(j, "rrname", name_text(name), name->labels ? name->len : 6);
                if (name->truncated)
                    bw_json_bool(j, "rrname_truncated", true);
                bw_json_str(j, "rrtype", rrtype_name(qt, b1));
                bw_json_uint(j, "tx_id", tx);
                bw_json_uint(j, "opcode", opcode);
                if (damaged)
                    bw_json_bool(j, "malformed", true);
                bw_json_obj_end(j);
                eve_end(ctx->eve);
            }
            if (ctx->stats)
                ctx->stats->events++;
            access_question(ctx, name, qt);
        }
        rc = damaged ? -1 : 0;
        goto out;
    }

    /* Response: one answer event; the question counts as a query when we
     * never saw the query itself (asymmetric capture, lost packet). */
    int missed = !id_seen(s, h.id);
    struct dns_name *q0 = tmp;
    uint16_t q0type = 0;
    q0->labels = 0;
    q0->len = 0;
    q0->s[0] = '\0';
    for (unsigned i = 0; i < q_ok; i++) {
        uint16_t qt, qc;
        (void)question_read(m, ml, &off, i == 0 ? q0 : name, &qt, &qc);
        if (i == 0)
            q0type = qt;
        if (missed && i < DNS_QUESTIONS_MAX)
            access_question(ctx, i == 0 ? q0 : name, qt);
    }
    if (ctx->stats)
        ctx->stats->events++;
    if (ctx->eve != NULL) {
        struct bw_json *j = eve_begin(ctx->eve, "dns", ctx->ts_us, ctx->flow, dir == FLOW_TOCLIENT);
        bw_json_obj_begin(j, "dns");
        bw_json_uint(j, "version", 2);
        bw_json_str(j, "type", "answer");
        bw_json_uint(j, "id", h.id);
        eve_flags(j, &h);
        bw_json_uint(j, "opcode", opcode);
        if (q_ok > 0) {
            bw_json_strn(j, "rrname", name_text(q0), q0->labels ? q0->len : 6);
            if (q0->truncated)
                bw_json_bool(j, "rrname_truncated", true);
            bw_json_str(j, "rrtype", rrtype_name(q0type, b1));
        }
        bw_json_str(j, "rcode", rcode_name(rcode, b2));
        if (an_ok > 0) {
            struct dns_name *an = name;
            bw_json_arr_begin(j, "answers");
            off = an_off;
            for (unsigned i = 0; i < an_ok; i++) {
                struct dns_rr rr;
                (void)rr_read(m, ml, &off, an, &rr);
                if (i >= DNS_ANSWERS_MAX)
                    continue;
                bw_json_obj_begin(j, NULL);
                bw_json_strn(j, "rrname", name_text(an), an->labels ? an->len : 6);
                bw_json_str(j, "rrtype", rrtype_name(rr.type, b1));
                bw_json_uint(j, "ttl", rr.ttl);
                /* rdata decoding reuses a second name buffer: q0 is no longer needed */
                rdata_write(j, m, ml, &rr, q0);
                bw_json_obj_end(j);
            }
            bw_json_arr_end(j);
        }
        if (damaged)
            bw_json_bool(j, "malformed", true);
        bw_json_obj_end(j);
        eve_end(ctx->eve);
    }
    rc = damaged ? -1 : 0;
out:
    return rc;
}

/* ---- app_proto glue ---- */

static void *dns_new_state_udp(struct app_ctx *ctx)
{
    (void)ctx;
    return calloc(1, sizeof(struct dns_state));
}

static void *dns_new_state_tcp(struct app_ctx *ctx)
{
    (void)ctx;
    struct dns_state *s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->tcp = 1;
    return s;
}

static void dns_free_state(void *state, struct app_ctx *ctx)
{
    (void)ctx;
    free(state);
}

static enum app_result dns_parse_udp(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                                     size_t len, size_t *consumed)
{
    *consumed = len;
    /* A malformed datagram is counted in dns_message; the next one may be fine. */
    (void)dns_message(state, ctx, dir, data, len);
    return APP_OK;
}

static enum app_result dns_parse_tcp(void *state, struct app_ctx *ctx, int dir, const uint8_t *data,
                                     size_t len, size_t *consumed)
{
    struct dns_state *s = state;
    struct bw_cursor c;
    bw_cur_init(&c, data, len);
    *consumed = 0;
    if (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)
        return APP_ERROR;
    while (bw_cur_left(&c) > 0) {
        if (s->skip[dir] > 0) {
            size_t k = bw_cur_left(&c) < s->skip[dir] ? bw_cur_left(&c) : s->skip[dir];
            (void)bw_cur_skip(&c, k);
            s->skip[dir] -= (uint32_t)k;
            continue;
        }
        size_t start = c.off;
        uint16_t ml;
        if (bw_cur_be16(&c, &ml) != 0) {
            c.off = start;
            break;
        }
        if (ml < DNS_HDR_LEN) {
            /* Cannot be a message: framing is lost for good. */
            *consumed = c.off;
            return APP_ERROR;
        }
        if ((size_t)ml + 2 > APP_MAX_PENDING) {
            /* Larger than the stream holds for us: counted and skipped. */
            if (ctx->stats)
                ctx->stats->errors++;
            s->skip[dir] = ml;
            continue;
        }
        const uint8_t *m;
        if (bw_cur_take(&c, ml, &m) != 0) {
            c.off = start; /* wait for the rest of the message */
            break;
        }
        (void)dns_message(s, ctx, dir, m, ml);
    }
    *consumed = c.off;
    return APP_OK;
}

static enum app_result dns_gap_tcp(void *state, struct app_ctx *ctx, int dir, uint64_t len)
{
    struct dns_state *s = state;
    if (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT)
        return APP_ERROR;
    if (s->skip[dir] >= len) {
        s->skip[dir] -= (uint32_t)len;
        return APP_OK;
    }
    /* Inside a message or a length prefix: no way to find the next one. */
    (void)ctx;
    return APP_ERROR;
}

/* Shape check of a message: sane header and a first question that decodes
 * completely. Returns YES, NO, or MORE when the question is cut short. */
static enum app_probe dns_shape(const uint8_t *m, size_t ml, int dir, int complete)
{
    struct bw_cursor c;
    bw_cur_init(&c, m, ml);
    struct dns_hdr h;
    if (hdr_read(&c, &h) != 0)
        return complete ? APP_PROBE_NO : APP_PROBE_MORE;
    int qr = (h.flags & 0x8000) != 0;
    unsigned opcode = (h.flags >> 11) & 0xF;
    if (qr != (dir == FLOW_TOCLIENT) || opcode > 5 || opcode == 3)
        return APP_PROBE_NO;
    /* qdcount is 1 in practice, but abusive queries (sv-dns-truncated-rname
     * claims 1500) must still be recognised and logged. */
    if (h.qd == 0 || h.qd > 4096 || (!qr && h.an > 16) || h.ns > 64 || h.ar > 64)
        return APP_PROBE_NO;
    size_t off = DNS_HDR_LEN;
    uint16_t qt = 0, qc = 0;
    if (question_read(m, ml, &off, NULL, &qt, &qc) != 0) {
        /* A question longer than the probe window (tunnels send 1-16 KiB names)
         * cannot be decoded whole; a sane header plus a kilobyte of name is
         * enough evidence. */
        if (!complete && ml >= 1024)
            return APP_PROBE_YES;
        return complete ? APP_PROBE_NO : APP_PROBE_MORE;
    }
    qc &= 0x7FFF; /* mDNS unicast-response bit */
    if (qc != 1 && qc != 3 && qc != 4 && qc != 254 && qc != 255)
        return APP_PROBE_NO;
    return APP_PROBE_YES;
}

static enum app_probe dns_probe_udp(const uint8_t *data, size_t len, int dir)
{
    return dns_shape(data, len, dir, 1);
}

static enum app_probe dns_probe_tcp(const uint8_t *data, size_t len, int dir)
{
    if (len < 2)
        return APP_PROBE_MORE;
    size_t ml = ((size_t)data[0] << 8) | data[1];
    if (ml < DNS_HDR_LEN + 5)
        return APP_PROBE_NO;
    size_t have = len - 2 < ml ? len - 2 : ml;
    return dns_shape(data + 2, have, dir, have == ml);
}

const struct app_proto app_dns_udp = {
    .name = "dns",
    .ipproto = IPPROTO_UDP,
    .probe = dns_probe_udp,
    .new_state = dns_new_state_udp,
    .free_state = dns_free_state,
    .parse = dns_parse_udp,
    .gap = NULL,
};

const struct app_proto app_dns_tcp = {
    .name = "dns",
    .ipproto = IPPROTO_TCP,
    .probe = dns_probe_tcp,
    .new_state = dns_new_state_tcp,
    .free_state = dns_free_state,
    .parse = dns_parse_tcp,
    .gap = dns_gap_tcp,
};

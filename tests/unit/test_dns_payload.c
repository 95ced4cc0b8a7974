/* Unit tests for sensor/dns-payload.c: zone learning (session labels drop
 * out, the zone narrows and grows), one record base32-encoded over two
 * queries with 60-character labels and a sequence label, the other
 * encodings, repeats and a resolver's forwarded copy in either order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sensor/dns-payload.h"

static struct pii_scanner *sc;
static struct bw_addr client, resolver, upstream;

static int setup(void **state)
{
    (void)state;
    struct bw_err err;
    sc = pii_scanner_new(&err);
    if (sc == NULL)
        return -1;
    static const uint8_t key[BW_DISTINCT_KEY_LEN] = "breachwatch-test";
    pii_scanner_set_key(sc, key);
    if (bw_addr_parse("10.77.0.66", &client) != 0 || bw_addr_parse("10.77.0.53", &resolver) != 0 ||
        bw_addr_parse("175.16.199.1", &upstream) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pii_scanner_free(sc);
    return 0;
}

/* Per-test fixture: a fresh dns_payload on the shared scanner (its own
 * seen-table), or for the two-worker test two of them sharing one. */
struct fx {
    struct dns_seen *seen;
    struct dns_payload *dp, *dp2;
};

static int fx_setup(void **state)
{
    struct bw_err err;
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    *state = f;
    f->dp = dns_payload_new(sc, NULL, &err);
    return f->dp == NULL ? -1 : 0;
}

static int fx_setup_workers(void **state)
{
    struct bw_err err;
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    *state = f;
    f->seen = dns_seen_new(&err);
    if (f->seen == NULL)
        return -1;
    f->dp = dns_payload_new(sc, f->seen, &err);
    f->dp2 = dns_payload_new(sc, f->seen, &err);
    return f->dp == NULL || f->dp2 == NULL ? -1 : 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f == NULL)
        return 0;
    if (f->dp != NULL)
        dns_payload_free(f->dp);
    if (f->dp2 != NULL)
        dns_payload_free(f->dp2);
    if (f->seen != NULL)
        dns_seen_free(f->seen);
    free(f);
    return 0;
}

/* RFC 4648 encoders, lower case, no padding. */
static size_t b32(const char *in, size_t n, char *out)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz234567";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | (uint8_t)in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = al[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = al[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return o;
}

static size_t hex(const char *in, size_t n, char *out)
{
    static const char al[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = al[(uint8_t)in[i] >> 4];
        out[2 * i + 1] = al[(uint8_t)in[i] & 15];
    }
    out[2 * n] = '\0';
    return 2 * n;
}

/* data split into labels of `lab` characters, then the suffix. */
static void name_of(const char *data, size_t n, size_t lab, const char *suffix, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += lab) {
        size_t k = n - i < lab ? n - i : lab;
        memcpy(out + o, data + i, k);
        o += k;
        out[o++] = '.';
    }
    strcpy(out + o, suffix);
}

struct run {
    uint64_t records, matches[PII_TYPE_MAX], bytes;
    enum dns_seen_verdict last;
};

static void ask(struct dns_payload *dp, const struct bw_addr *actor, const struct bw_addr *dest,
                const char *name, int64_t ts, struct run *r)
{
    struct dns_payload_result res;
    assert_int_equal(dns_payload_query(dp, actor, dest, name, strlen(name), ts, &res), 0);
    r->records += res.records;
    r->bytes += res.bytes;
    for (int t = 0; t < PII_TYPE_MAX; t++)
        r->matches[t] += res.pii.matches[t];
    r->last = res.verdict;
}

static const char *const rows[] = {
    "1,Thomas Taylor,thomastaylor@yahoo.com,+1 617 809 2035,,5121035034466374,417-46-4907,"
    "\"5484 Oak Street, Austin, TX 78707\",1980-04-14,US\n",
    "2,Wang Fang,wang.fang@163.com,+86 138 0013 8000,110105194912310025,4111111111111111,,"
    "\"12 Chaoyang Road, Beijing\",1975-02-03,CN\n",
    "3,Maria Garcia,maria.garcia@example.org,+1 212 555 0199,,378282246310005,536-90-4399,"
    "\"7 Elm Street, Boston, MA 02108\",1991-11-30,US\n",
};

/* Each row base32-encoded on its own and sent as a tunnel client does:
 * 180 characters (3 labels of 60) per query, then a sequence label and a
 * session label below the zone. */
static void send_rows(struct dns_payload *dp, const struct bw_addr *actor,
                      const struct bw_addr *dest, const char *session, struct run *r, int64_t *ts)
{
    char enc[512], part[256], name[512], suffix[128];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t n = b32(rows[i], strlen(rows[i]), enc);
        size_t parts = (n + 179) / 180;
        for (size_t p = 0; p < parts; p++) {
            size_t k = n - p * 180 < 180 ? n - p * 180 : 180;
            memcpy(part, enc + p * 180, k);
            snprintf(suffix, sizeof(suffix), "r%zup%zuof%zu.%s.exfil-tunnel.test", i + 1, p + 1,
                     parts, session);
            name_of(part, k, 60, suffix, name);
            ask(dp, actor, dest, name, (*ts)++, r);
        }
    }
}

static void test_zone_learning(void **state)
{
    struct dns_payload *dp = ((struct fx *)*state)->dp;
    struct run r = {0};
    int64_t ts = 1000;
    /* one name alone is held: zone and payload cannot be told apart */
    ask(dp, &client, &resolver,
        "gewfi2dpnvqxgicumf4wy33sfr2gq33nmfzxiylznrxxeqdzmfug63zomnxw.r1p1of2.sa5cd.exfil-tunnel."
        "test",
        ts++, &r);
    assert_null(dns_payload_zone(dp, &client, "exfil-tunnel.test"));
    ask(dp, &client, &resolver,
        "qibxha3tanzcfqytsobqfuydiljrgqwfkuy.r1p2of2.sa5cd.exfil-tunnel.test", ts++, &r);
    assert_string_equal(dns_payload_zone(dp, &client, "exfil-tunnel.test"),
                        "sa5cd.exfil-tunnel.test");
    /* the held name was decoded with the second: both data labels */
    struct dns_payload_stats st;
    dns_payload_get_stats(dp, &st);
    assert_int_equal(st.labels_data, 2);
    assert_int_equal(st.labels_seq, 2);
    /* a name outside the zone narrows it to what they share */
    ask(dp, &client, &resolver,
        "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi.r9p1of1.sb77e.exfil-tunnel.test", ts++, &r);
    assert_string_equal(dns_payload_zone(dp, &client, "exfil-tunnel.test"), "exfil-tunnel.test");
    /* three names agreeing on the new session label widen it again */
    for (int i = 0; i < 4; i++) {
        char name[160];
        snprintf(name, sizeof(name),
                 "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dz%c%c.r%dp1of1.sb77e.exfil-tunnel.test",
                 'a' + i, 'b' + i, 10 + i);
        ask(dp, &client, &resolver, name, ts++, &r);
    }
    assert_string_equal(dns_payload_zone(dp, &client, "exfil-tunnel.test"),
                        "sb77e.exfil-tunnel.test");
    /* short names open no stream */
    ask(dp, &client, &resolver, "www.example.com", ts++, &r);
    assert_null(dns_payload_zone(dp, &client, "example.com"));
}

static void test_across_queries(void **state)
{
    struct dns_payload *dp = ((struct fx *)*state)->dp;
    struct run r = {0};
    int64_t ts = 1000;
    send_rows(dp, &client, &resolver, "sa5cd", &r, &ts);
    /* every row spans two queries, none aligned to 8 characters per label:
     * three people, each e-mail and card found once */
    assert_int_equal(r.records, 3);
    assert_int_equal(r.matches[PII_EMAIL], 3);
    assert_int_equal(r.matches[PII_CARD], 3);
    size_t plain = 0;
    for (size_t i = 0; i < 3; i++)
        plain += strlen(rows[i]);
    assert_true(r.bytes >= plain && r.bytes <= plain + 3); /* + message separators */
    struct dns_payload_stats st;
    dns_payload_get_stats(dp, &st);
    assert_int_equal(st.labels_seq, 6); /* r1p1of2 ... r3p2of2 */
    assert_int_equal(st.streams, 1);
}

static void test_hex_one_stream(void **state)
{
    struct dns_payload *dp = ((struct fx *)*state)->dp;
    /* the rows as one hex stream, 50 characters a label, 2 labels a query,
     * a counter label first: the carry crosses labels and queries */
    char all[1024], enc[2048], name[256], lab[128];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        memcpy(all + n, rows[i], strlen(rows[i]));
        n += strlen(rows[i]);
    }
    size_t en = hex(all, n, enc);
    struct run r = {0};
    unsigned q = 0;
    for (size_t off = 0; off < en; off += 100, q++) {
        size_t k = en - off < 100 ? en - off : 100;
        snprintf(lab, sizeof(lab), "t%u", q);
        memcpy(name, enc + off, k > 50 ? 50 : k);
        size_t o = k > 50 ? 50 : k;
        name[o++] = '.';
        if (k > 50) {
            memcpy(name + o, enc + off + 50, k - 50);
            o += k - 50;
            name[o++] = '.';
        }
        snprintf(name + o, sizeof(name) - o, "%s.cdn-sync.example.net", lab);
        ask(dp, &client, &upstream, name, 1000 + q, &r);
    }
    assert_int_equal(r.records, 3);
    assert_int_equal(r.matches[PII_EMAIL], 3);
    struct dns_payload_result res;
    assert_int_equal(
        dns_payload_query(dp, &client, &upstream, "ffff.zz.cdn-sync.example.net", 28, 5000, &res),
        0);
    assert_int_equal(res.enc, DNS_ENC_HEX);
}

static void test_repeats(void **state)
{
    struct dns_payload *dp = ((struct fx *)*state)->dp;
    struct run r = {0};
    int64_t ts = 1000;
    send_rows(dp, &client, &resolver, "sa5cd", &r, &ts);
    /* the client retransmits, and the resolver forwards each name upstream */
    struct run again = {0};
    ts = 1000;
    send_rows(dp, &client, &resolver, "sa5cd", &again, &ts);
    assert_int_equal(again.last, DNS_SEEN_REPEAT);
    ts = 1000;
    send_rows(dp, &resolver, &upstream, "sa5cd", &again, &ts);
    assert_int_equal(again.last, DNS_SEEN_FORWARD);
    assert_int_equal(again.records, 0);
    assert_int_equal(again.bytes, 0);
    struct dns_payload_stats st;
    dns_payload_get_stats(dp, &st);
    assert_int_equal(st.repeats, 6);
    assert_int_equal(st.forwards, 6);
    assert_null(dns_payload_zone(dp, &resolver, "exfil-tunnel.test")); /* no stream of its own */
}

/* Two workers: the one with the resolver leg got to the first name before
 * the one with the client's flow. The client still owns its names, and the
 * resolver is known as a forwarder from then on. */
static void test_forward_seen_first(void **state)
{
    struct fx *f = *state;
    struct dns_payload *w1 = f->dp, *w2 = f->dp2;
    const char *n1 =
        "gewfi2dpnvqxgicumf4wy33sfr2gq33nmfzxiylznrxxeqdzmfug63zomnxw.r1p1of2.sa5cd.exfil-tunnel."
        "test";
    const char *n2 = "qibxha3tanzcfqytsobqfuydiljrgqwfkuy.r1p2of2.sa5cd.exfil-tunnel.test";
    struct run a = {0}, b = {0};
    ask(w2, &resolver, &upstream, n1, 1001, &b);
    assert_int_equal(b.last, DNS_SEEN_NEW);
    ask(w1, &client, &resolver, n1, 1000, &a);
    assert_int_equal(a.last, DNS_SEEN_NEW);
    ask(w1, &client, &resolver, n2, 1010, &a);
    assert_int_equal(a.last, DNS_SEEN_NEW);
    ask(w2, &resolver, &upstream, n2, 1011, &b);
    assert_int_equal(b.last, DNS_SEEN_FORWARD);
    /* a forwarder's new names under the domain are copies too */
    ask(w2, &resolver, &upstream,
        "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi.r2p1of1.sa5cd.exfil-tunnel.test", 1020, &b);
    assert_int_equal(b.last, DNS_SEEN_FORWARD);
    assert_string_equal(dns_payload_zone(w1, &client, "exfil-tunnel.test"),
                        "sa5cd.exfil-tunnel.test");
}

/* Many actors: the table stays at its size and evicts the least recent. */
static void test_bounded(void **state)
{
    struct dns_payload *dp = ((struct fx *)*state)->dp;
    struct run r = {0};
    for (unsigned i = 0; i < DNS_PAYLOAD_STREAMS + 40; i++) {
        struct bw_addr a = client;
        a.bytes[1] = 200; /* away from the resolver's address */
        a.bytes[2] = (uint8_t)(i >> 8);
        a.bytes[3] = (uint8_t)i;
        ask(dp, &a, &resolver, "mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dz.x.exfil-tunnel.test", i,
            &r);
    }
    struct dns_payload_stats st;
    dns_payload_get_stats(dp, &st);
    assert_int_equal(st.streams, 1); /* the others were repeats of the same name */
    assert_int_equal(st.repeats, DNS_PAYLOAD_STREAMS + 39);
    for (unsigned i = 0; i < DNS_PAYLOAD_STREAMS + 40; i++) {
        struct bw_addr a = client;
        a.bytes[1] = 200; /* away from the resolver's address */
        a.bytes[2] = (uint8_t)(i >> 8);
        a.bytes[3] = (uint8_t)i;
        char name[128];
        snprintf(name, sizeof(name), "mfrggzdfmztwq2lknnwg23tpobyxe43u%05u.x.exfil-tunnel.test", i);
        ask(dp, &a, &resolver, name, 1000 + i, &r);
    }
    dns_payload_get_stats(dp, &st);
    assert_int_equal(st.streams, DNS_PAYLOAD_STREAMS + 40);
    assert_int_equal(st.evictions, 40);
    assert_true(dns_payload_memory() < 4u << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zone_learning, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_across_queries, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hex_one_stream, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_repeats, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_forward_seen_first, fx_setup_workers, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bounded, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* DNS payload, decoding: splits the payload part of a name into labels,
 * tells counters from data, guesses the stream's encoding (hex, base32,
 * base32hex, base64url or plain), decodes with the partial quantum carried
 * across labels and queries, and feeds the bytes to the PII scanner. */
#include "sensor/dns-payload.h"

#include <string.h>

#include "common/cursor.h"
#include "sensor/dns-payload-internal.h"

const char *dns_enc_name(enum dns_enc e)
{
    switch (e) {
    case DNS_ENC_HEX:
        return "hex";
    case DNS_ENC_BASE32:
        return "base32";
    case DNS_ENC_BASE32HEX:
        return "base32hex";
    case DNS_ENC_BASE64URL:
        return "base64url";
    case DNS_ENC_PLAIN:
        return "plain";
    case DNS_ENC_UNKNOWN:
        break;
    }
    return "unknown";
}

enum {
    C_DIG01 = 1 << 0,
    C_DIG27 = 1 << 1,
    C_DIG89 = 1 << 2,
    C_AF = 1 << 3,
    C_GV = 1 << 4,
    C_WZ = 1 << 5,
    C_UPPER = 1 << 6,
    C_LOWER = 1 << 7,
    C_DASH = 1 << 8,
    C_USCORE = 1 << 9,
    C_OTHER = 1 << 10,
};

static uint32_t char_class(unsigned char c)
{
    if (c == '0' || c == '1')
        return C_DIG01;
    if (c >= '2' && c <= '7')
        return C_DIG27;
    if (c == '8' || c == '9')
        return C_DIG89;
    uint32_t cs = 0;
    if (c >= 'A' && c <= 'Z') {
        cs = C_UPPER;
        c = (unsigned char)(c - 'A' + 'a');
    } else if (c >= 'a' && c <= 'z') {
        cs = C_LOWER;
    }
    if (cs == 0)
        return c == '-' ? C_DASH : c == '_' ? C_USCORE : C_OTHER;
    if (c <= 'f')
        return cs | C_AF;
    if (c <= 'v')
        return cs | C_GV;
    return cs | C_WZ;
}

static uint32_t label_classes(const char *l, size_t n)
{
    uint32_t cs = 0;
    for (size_t i = 0; i < n; i++)
        cs |= char_class((unsigned char)l[i]);
    return cs;
}

static int enc_fits(enum dns_enc e, uint32_t cs)
{
    const uint32_t base = C_DASH | C_USCORE | C_OTHER;
    switch (e) {
    case DNS_ENC_HEX:
        return (cs & (base | C_GV | C_WZ)) == 0;
    case DNS_ENC_BASE32:
        return (cs & (base | C_DIG01 | C_DIG89)) == 0;
    case DNS_ENC_BASE32HEX:
        return (cs & (base | C_WZ)) == 0;
    case DNS_ENC_BASE64URL:
        return (cs & C_OTHER) == 0;
    case DNS_ENC_PLAIN:
        return 1;
    case DNS_ENC_UNKNOWN:
        break;
    }
    return 0;
}

/* The most specific alphabet that holds every class seen. Base32 is taken
 * over base64 when both fit: resolvers randomise the case of names (0x20),
 * so mixed case alone does not make base64. */
static enum dns_enc enc_decide(uint32_t cs)
{
    if (cs == 0)
        return DNS_ENC_UNKNOWN;
    if (enc_fits(DNS_ENC_HEX, cs))
        return DNS_ENC_HEX;
    if (enc_fits(DNS_ENC_BASE32, cs))
        return DNS_ENC_BASE32;
    if (enc_fits(DNS_ENC_BASE32HEX, cs))
        return DNS_ENC_BASE32HEX;
    if (enc_fits(DNS_ENC_BASE64URL, cs) && (cs & C_UPPER) && (cs & C_LOWER))
        return DNS_ENC_BASE64URL;
    return DNS_ENC_PLAIN;
}

/* A counter or sequence token: all digits, or short runs of at most three
 * letters between runs of digits with at least two digit runs ("r1p1of2",
 * "p3of7"), or up to three letters and one run of two or more digits
 * ("seq0042"); at most 12 characters. */
static int seq_shaped(const char *l, size_t n)
{
    if (n == 0 || n > 12)
        return 0;
    unsigned digit_runs = 0, letters = 0, digits = 0, longest_letters = 0, run = 0;
    int prev_digit = -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)l[i];
        int d = c >= '0' && c <= '9';
        int a = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!d && !a)
            return 0;
        if (d) {
            digits++;
            if (prev_digit != 1)
                digit_runs++;
            run = 0;
        } else {
            letters++;
            if (++run > longest_letters)
                longest_letters = run;
        }
        prev_digit = d;
    }
    if (letters == 0)
        return 1;
    if (longest_letters > 3)
        return 0;
    if (digit_runs >= 2)
        return 1;
    int starts_letter = !(l[0] >= '0' && l[0] <= '9');
    return digit_runs == 1 && digits >= 2 && letters <= 3 && starts_letter;
}

/* 1 when the label is a counter that the stream's encoding could not hold
 * as data: hex and base32hex streams keep all-digit or letter-digit labels
 * that fit their alphabet, since those are plausible data. */
static int is_seq(enum dns_enc e, uint32_t cs, const char *l, size_t n)
{
    if (!seq_shaped(l, n))
        return 0;
    if ((e == DNS_ENC_HEX || e == DNS_ENC_BASE32HEX) && enc_fits(e, cs))
        return 0;
    return 1;
}

static int sym_value(enum dns_enc e, unsigned char c)
{
    unsigned char f = c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
    switch (e) {
    case DNS_ENC_HEX:
        if (f >= '0' && f <= '9')
            return f - '0';
        return f >= 'a' && f <= 'f' ? f - 'a' + 10 : -1;
    case DNS_ENC_BASE32:
        if (f >= 'a' && f <= 'z')
            return f - 'a';
        return f >= '2' && f <= '7' ? f - '2' + 26 : -1;
    case DNS_ENC_BASE32HEX:
        if (f >= '0' && f <= '9')
            return f - '0';
        return f >= 'a' && f <= 'v' ? f - 'a' + 10 : -1;
    case DNS_ENC_BASE64URL:
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        return c == '-' ? 62 : c == '_' ? 63 : -1;
    default:
        return -1;
    }
}

static unsigned sym_bits(enum dns_enc e)
{
    return e == DNS_ENC_HEX ? 4 : e == DNS_ENC_BASE64URL ? 6 : 5;
}

/* Decodes n symbols with the carry (*acc, *bits) into out (room for n bytes);
 * returns the bytes written. */
static size_t decode_syms(enum dns_enc e, const char *p, size_t n, uint32_t *acc, uint8_t *bits,
                          uint8_t *out)
{
    unsigned w = sym_bits(e);
    size_t o = 0;
    uint32_t a = *acc;
    unsigned b = *bits;
    for (size_t i = 0; i < n; i++) {
        int v = sym_value(e, (unsigned char)p[i]);
        if (v < 0)
            continue; /* cannot happen: labels were checked against the alphabet */
        a = (a << w) | (uint32_t)v;
        b += w;
        if (b >= 8) {
            b -= 8;
            out[o++] = (uint8_t)(a >> b);
        }
        a &= (1u << b) - 1;
    }
    *acc = a;
    *bits = (uint8_t)b;
    return o;
}

/* How much decoded bytes look like text: the characters of words, numbers
 * and delimited records count most, other printable bytes less; control
 * bytes and high bytes count against (a reading shifted by a bit or two
 * turns text into both). Binary payloads score low either way, and then
 * the carry is kept. */
static int text_score(const uint8_t *p, size_t n)
{
    int s = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == ' ' || c == ',' || c == '.' || c == '@' || c == '-' || c == '\n' || c == '"')
            s += 2;
        else if ((c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r')
            s += 1;
        else if (c < 0x20 || c == 0x7f)
            s -= 2;
        else
            s -= 1;
    }
    return s;
}

static void feed(struct dns_payload *dp, struct dp_stream *s, const uint8_t *p, size_t n,
                 struct dns_payload_result *res)
{
    if (n == 0)
        return;
    if (pii_stream_feed(&s->st, p, n, &s->total) != 0)
        dp->st.scan_errors++;
    dp->st.bytes += n;
    res->bytes += n;
}

/* Decodes the payload labels name[0 .. n) (the part left of the zone). */
void dp_decode_part(struct dns_payload *dp, struct dp_stream *s, const char *name, size_t n,
                    struct dns_payload_result *res)
{
    struct {
        const char *p;
        uint8_t n;
        uint32_t cs;
    } lab[DP_LABELS_MAX];
    size_t nl = 0;
    struct bw_cursor c;
    bw_cur_init(&c, name, n);
    size_t start = 0;
    while (nl < DP_LABELS_MAX) {
        uint8_t ch = 0;
        int end = bw_cur_u8(&c, &ch) != 0;
        if (end || ch == '.') {
            size_t ln = (end ? c.off : c.off - 1) - start;
            if (ln > 0 && ln <= 63) {
                lab[nl].p = name + start;
                lab[nl].n = (uint8_t)ln;
                lab[nl].cs = label_classes(name + start, ln);
                nl++;
            } else if (ln > 63) {
                dp->st.labels_other++;
            }
            start = c.off;
            if (end)
                break;
        }
    }
    /* Encoding: decided from every candidate label of the name, revised
     * while the stream is young when a label does not fit. */
    if (s->enc == DNS_ENC_UNKNOWN) {
        uint32_t cs = s->classes, any = 0;
        for (size_t i = 0; i < nl; i++) {
            if (seq_shaped(lab[i].p, lab[i].n))
                continue;
            any |= lab[i].cs;
            if (lab[i].n >= DP_EVIDENCE_LEN)
                cs |= lab[i].cs;
        }
        if (cs == s->classes)
            cs |= any; /* only short labels: take them all */
        s->enc = enc_decide(cs);
        s->classes = cs;
    }
    char data[DP_NAME_MAX + 1];
    size_t dn = 0;
    for (size_t i = 0; i < nl; i++) {
        if (is_seq(s->enc, lab[i].cs, lab[i].p, lab[i].n)) {
            dp->st.labels_seq++;
            continue;
        }
        if (!enc_fits(s->enc, lab[i].cs)) {
            if (s->enc_chars >= DP_ENC_SETTLE || lab[i].n < DP_EVIDENCE_LEN) {
                dp->st.labels_other++;
                continue;
            }
            enum dns_enc e = enc_decide(s->classes | lab[i].cs);
            if (e != s->enc) {
                dp->st.enc_changes++;
                s->acc = 0;
                s->bits = 0;
                s->term = 0;
                dn = 0; /* what was collected used the old reading */
                s->enc = e;
            }
        }
        s->classes |= lab[i].cs;
        if (dn + lab[i].n + 1 > sizeof(data))
            break;
        memcpy(data + dn, lab[i].p, lab[i].n);
        dn += lab[i].n;
        if (s->enc == DNS_ENC_PLAIN)
            data[dn++] = '.';
        dp->st.labels_data++;
    }
    if (dn == 0)
        return;
    s->enc_chars += (uint32_t)dn;
    uint8_t out[DP_NAME_MAX + 1];
    if (s->enc == DNS_ENC_PLAIN) {
        feed(dp, s, (const uint8_t *)data, dn, res);
        return;
    }
    /* A query after one that ended on a possible message end: the carry is
     * either the start of the next symbol (one message over queries) or
     * padding (each message encoded on its own). Decode the start both ways
     * and keep the reading that looks more like text. */
    if (s->term) {
        size_t k = dn < DP_SCORE_SYMS ? dn : DP_SCORE_SYMS;
        uint8_t a[DP_SCORE_SYMS], b[DP_SCORE_SYMS]; /* a symbol yields at most a byte */
        uint32_t acc1 = s->acc, acc2 = 0;
        uint8_t bits1 = s->bits, bits2 = 0;
        size_t n1 = decode_syms(s->enc, data, k, &acc1, &bits1, a);
        size_t n2 = decode_syms(s->enc, data, k, &acc2, &bits2, b);
        if (text_score(b, n2) > text_score(a, n1)) {
            s->acc = 0;
            s->bits = 0;
            dp->st.resyncs++;
            static const uint8_t sep = '\n'; /* a message ended: nothing runs across */
            feed(dp, s, &sep, 1, res);
            res->bytes--;
            dp->st.bytes--;
        }
    }
    size_t on = decode_syms(s->enc, data, dn, &s->acc, &s->bits, out);
    feed(dp, s, out, on, res);
    /* Unpadded base32/base64 ends with fewer bits than a symbol, all zero;
     * hex never ends inside a byte. */
    s->term = s->enc != DNS_ENC_HEX && s->bits > 0 && s->bits < sym_bits(s->enc) && s->acc == 0;
}

/* PII candidate extraction: from the bytes around a trigger, each family
 * (numbers, e-mail addresses, IBANs, passports, names) finds where its
 * candidate starts and ends, decides it once in stream order (or waits for
 * the next feed when it reaches the end of the data), looks for context words
 * before it when it needs them, and reports what pii-validate.c accepts. */
#include "sensor/pii-internal.h"

#include <string.h>

#include "sensor/pii-validate.h"

/* Start of a candidate at window index s: is the left side decided? */
static enum verdict left_edge(const struct pii_stream *st, const struct win *w, size_t s)
{
    if (s > 0)
        return V_OK;
    /* touching the window start: longer than we look at, or cut off by the
     * re-scanned history, unless this is the very start of the stream */
    return w->off == 0 && st->base == 0 ? V_OK : V_REJECT;
}

/* End of a candidate at window index e (exclusive). */
static enum verdict right_edge(const struct pii_stream *st, const struct win *w, size_t e)
{
    if (e < w->n)
        return V_OK;
    if (w->off + w->n < total_len(st))
        return V_REJECT;
    return st->final ? V_OK : V_DEFER;
}

/* Context words in the PII_CTX_WINDOW bytes before one candidate, searched
 * once when first asked for. */
struct ctxinfo {
    bool done;
    uint64_t start;
    uint64_t end[PII_CTX_MAX]; /* stream offset where the last word ended, 0 none */
};

static int on_ctx(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                  void *ctx)
{
    (void)from;
    (void)flags;
    uint64_t *end = ctx;
    if (to > end[id])
        end[id] = to;
    return 0;
}

static void ctx_lookup(struct pii_stream *st, struct ctxinfo *ci, uint64_t start)
{
    if (ci->done && ci->start == start)
        return;
    memset(ci, 0, sizeof(*ci));
    ci->done = true;
    ci->start = start;
    /* bytes [from, start): the history holds what came before this feed */
    uint64_t from = start > PII_CTX_WINDOW ? start - PII_CTX_WINDOW : 0;
    if (from < st->hist_base)
        from = st->hist_base;
    uint8_t buf[PII_CTX_WINDOW];
    size_t n = 0;
    uint64_t hist_end = st->hist_base + st->hist_len;
    for (uint64_t a = from; a < start && a < hist_end; a++)
        buf[n++] = st->hist[a - st->hist_base];
    if (start > hist_end) {
        uint64_t a = from > hist_end ? from : hist_end;
        memcpy(buf + n, st->cur + (a - hist_end), (size_t)(start - a));
        n += (size_t)(start - a);
    }
    uint64_t rel[PII_CTX_MAX] = {0};
    if (n > 0 && hs_scan(st->sc->ctx_db, (const char *)buf, (unsigned)n, 0, st->scratch->ctx,
                         on_ctx, rel) == HS_SUCCESS)
        for (int c = 0; c < PII_CTX_MAX; c++)
            ci->end[c] = rel[c] ? start - n + rel[c] : 0;
}

/* Distance from the end of the last context word of class c to start, or
 * UINT64_MAX when there is none before it. Sticky context counts as near. */
static uint64_t ctx_dist(struct pii_stream *st, struct ctxinfo *ci, enum pii_ctx c, uint64_t start)
{
    ctx_lookup(st, ci, start);
    if (ci->end[c] > 0)
        return start - ci->end[c];
    return (st->sticky_ctx & (1u << c)) ? PII_CTX_WINDOW : UINT64_MAX;
}

/* Context that raises confidence: within PII_CTX_WINDOW bytes. */
static bool ctx_near(struct pii_stream *st, struct ctxinfo *ci, enum pii_ctx c, uint64_t start)
{
    return ctx_dist(st, ci, c, start) <= PII_CTX_WINDOW;
}

/* Context that a type needs before it is counted at all (bare 9-digit SSN,
 * passport): the word must be right before the value, as a key or label is. */
static bool ctx_close(struct pii_stream *st, struct ctxinfo *ci, enum pii_ctx c, uint64_t start)
{
    return (st->sticky_ctx & (1u << c)) || ctx_dist(st, ci, c, start) <= PII_CTX_CLOSE;
}

static unsigned boost(unsigned base, bool ctx, unsigned with)
{
    return ctx ? with : base;
}

/* A run of digits with single separators, as groups. */
struct digits {
    char d[32];
    size_t nd;
    unsigned char g[12];
    size_t ng;
    char sep; /* the separator used, 0 if none, '?' if mixed */
    bool plus;
};

static bool groups_are(const struct digits *x, const unsigned char *want, size_t n)
{
    if (x->ng != n || x->sep == '?')
        return false;
    for (size_t i = 0; i < n; i++)
        if (x->g[i] != want[i])
            return false;
    return true;
}

static bool card_grouping(const struct digits *x)
{
    static const unsigned char amex[] = {4, 6, 5}, diners[] = {4, 6, 4};
    if (x->ng == 1)
        return true;
    if (x->sep == '?')
        return false;
    if (groups_are(x, amex, 3) || groups_are(x, diners, 3))
        return true;
    for (size_t i = 0; i + 1 < x->ng; i++)
        if (x->g[i] != 4)
            return false;
    return x->g[x->ng - 1] >= 1 && x->g[x->ng - 1] <= 4;
}

/* Classifies a digit run; emits and returns true when it is personal data. */
static bool classify_digits(struct pii_stream *st, const struct digits *x, uint64_t start,
                            uint64_t end)
{
    struct ctxinfo ci = {0};
    const char *d = x->d;
    size_t n = x->nd;
    if (x->plus ||
        (n > 10 && d[0] == '0' && d[1] == '0' && ctx_close(st, &ci, PII_CTX_PHONE, start))) {
        const char *e = x->plus ? d : d + 2;
        size_t en = x->plus ? n : n - 2;
        if (en == 13 && e[0] == '8' && e[1] == '6' && pii_cn_mobile_valid(e + 2, 11)) {
            pii_emit(st, PII_CN_MOBILE, start, end,
                     boost(80, ctx_near(st, &ci, PII_CTX_PHONE, start), 95), e + 2, 11);
            return true;
        }
        int ccl = pii_e164_valid(e, en);
        /* written in groups, the first group is the whole country code */
        if (ccl > 0 && (x->ng == 1 || !x->plus || x->g[0] == (unsigned)ccl)) {
            pii_emit(st, PII_PHONE_INTL, start, end,
                     boost(x->plus ? 55 : 60, ctx_near(st, &ci, PII_CTX_PHONE, start), 90), e, en);
            return true;
        }
        return false;
    }
    static const unsigned char g_id[] = {6, 8, 4}, g_mob[] = {3, 4, 4}, g_mob86[] = {2, 3, 4, 4},
                               g_ssn[] = {3, 2, 4};
    if (n == 18 && (x->ng == 1 || groups_are(x, g_id, 3)) && pii_cn_id_valid(d, n)) {
        pii_emit(st, PII_CN_RESIDENT_ID, start, end,
                 boost(90, ctx_near(st, &ci, PII_CTX_ID, start), 99), d, n);
        return true;
    }
    if (d[n - 1] == 'X')
        return false;
    if (n == 11 && (x->ng == 1 || groups_are(x, g_mob, 3)) && pii_cn_mobile_valid(d, n)) {
        pii_emit(st, PII_CN_MOBILE, start, end,
                 boost(60, ctx_near(st, &ci, PII_CTX_PHONE, start), 90), d, n);
        return true;
    }
    if (n == 13 && d[0] == '8' && d[1] == '6' && (x->ng == 1 || groups_are(x, g_mob86, 4)) &&
        pii_cn_mobile_valid(d + 2, 11)) {
        pii_emit(st, PII_CN_MOBILE, start, end,
                 boost(70, ctx_near(st, &ci, PII_CTX_PHONE, start), 90), d + 2, 11);
        return true;
    }
    if (n >= 13 && n <= 19 && card_grouping(x) && pii_card_valid(d, n)) {
        pii_emit(st, PII_CARD, start, end,
                 boost(x->ng > 1 ? 85 : 80, ctx_near(st, &ci, PII_CTX_CARD, start), 98), d, n);
        return true;
    }
    if (n == 9) {
        bool dashed = groups_are(x, g_ssn, 3);
        /* a bare 9-digit number: the closer of an SSN and a passport label */
        bool ssn_first =
            ctx_dist(st, &ci, PII_CTX_SSN, start) <= ctx_dist(st, &ci, PII_CTX_PASSPORT, start);
        bool ssn_bare = x->ng == 1 && ssn_first && ctx_close(st, &ci, PII_CTX_SSN, start);
        if ((dashed || ssn_bare) && pii_ssn_valid(d, d + 3, d + 5)) {
            pii_emit(st, PII_US_SSN, start, end,
                     dashed ? boost(55, ctx_near(st, &ci, PII_CTX_SSN, start), 90) : 75, d, n);
            return true;
        }
        if (x->ng == 1 && ctx_close(st, &ci, PII_CTX_PASSPORT, start) && pii_passport_valid(d, n)) {
            pii_emit(st, PII_PASSPORT, start, end, 70, d, n);
            return true;
        }
    }
    return false;
}

/* Last decided end of a family, in window coordinates (0 if before it). */
static size_t done_in_win(const struct pii_stream *st, const struct win *w, enum fam f)
{
    uint64_t win_abs = st->base + w->off;
    return st->done_end[f] > win_abs ? (size_t)(st->done_end[f] - win_abs) : 0;
}

/* Marks a candidate ending at window index e as decided. Returns false when
 * an earlier feed already decided it: its end lies in the re-scanned history. */
static bool decide(struct pii_stream *st, const struct win *w, enum fam f, size_t e)
{
    uint64_t abs = st->base + w->off + e;
    if (abs > st->done_end[f])
        st->done_end[f] = abs;
    return abs >= st->base + st->rs_len;
}

static enum verdict iban_before(struct pii_stream *st, const struct win *w, size_t s);
static void do_passport(struct pii_stream *st, const struct win *w, size_t t);

void pii_extract_digits(struct pii_stream *st, const struct win *w, size_t t, enum fam fam)
{
    const uint8_t *p = w->p;
    size_t lim = done_in_win(st, w, fam);
    size_t s = t;
    while (s > 0) {
        uint8_t c = p[s - 1];
        if (is_digit(c))
            s--;
        else if ((c == ' ' || c == '-') && s >= 2 && is_digit(p[s - 2]) && is_digit(p[s]))
            s--;
        else
            break;
    }
    size_t e = t;
    while (e < w->n) {
        uint8_t c = p[e];
        if (is_digit(c))
            e++;
        else if ((c == ' ' || c == '-') && e + 1 < w->n && is_digit(p[e + 1]))
            e++;
        else
            break;
    }
    if (e + 1 == w->n && (p[e] == ' ' || p[e] == '-'))
        e++; /* a separator at the very end: undecided */
    /* the run continues one already decided (too long a run): stay rejected */
    if (s < lim || left_edge(st, w, s) == V_REJECT) {
        decide(st, w, fam, e);
        return;
    }
    bool plus = s > 0 && p[s - 1] == '+';
    size_t lb = plus ? s - 1 : s;
    if (e < w->n && (p[e] == 'X' || p[e] == 'x'))
        e++;
    enum verdict v = right_edge(st, w, e);
    if (v == V_DEFER)
        return;
    /* letters before the digits: the BBAN of an IBAN, a passport number */
    if (fam == FAM_DIGITS && s > 0 && v == V_OK && (is_upper(p[s - 1]) || p[s - 1] == ' ')) {
        if ((is_upper(p[s - 1]) || (s >= 2 && (is_upper(p[s - 2]) || is_digit(p[s - 2])))) &&
            iban_before(st, w, s) == V_DEFER)
            return; /* decided together with its IBAN */
        if (is_upper(p[s - 1]))
            do_passport(st, w, e);
    }
    if (!decide(st, w, fam, e) || v == V_REJECT || plus != (fam == FAM_PLUS))
        return; /* a '+' number is the other family's */
    size_t nd = 0;
    for (size_t i = s; i < e; i++)
        nd += is_digit(p[i]);
    if (nd < 9 && !(nd == 8 && p[e - 1] == 'X'))
        return; /* years, prices, dates: the common case, decided cheaply */
    /* boundaries: no letter or digit either side, and not a decimal */
    if (lb > 0) {
        uint8_t c = p[lb - 1];
        if (is_alnum(c) || (lb > 1 && c == '.' && is_digit(p[lb - 2])))
            return;
    } else if (left_edge(st, w, lb) == V_REJECT) {
        return;
    }
    if (e < w->n) {
        uint8_t c = p[e];
        if (is_alnum(c) || (c == '.' && e + 1 < w->n && is_digit(p[e + 1])))
            return;
    }
    struct digits x = {.plus = plus};
    size_t glen = 0;
    for (size_t i = s; i < e; i++) {
        uint8_t c = p[i];
        if (is_digit(c) || c == 'X' || c == 'x') {
            if (x.nd >= sizeof(x.d))
                return;
            x.d[x.nd++] = c == 'x' ? 'X' : (char)c;
            glen++;
            continue;
        }
        if (x.ng >= sizeof(x.g) - 1)
            return;
        x.g[x.ng++] = (unsigned char)glen;
        glen = 0;
        x.sep = x.sep == 0 || x.sep == (char)c ? (char)c : '?';
    }
    x.g[x.ng++] = (unsigned char)glen;
    if (x.nd == 0 || (x.d[x.nd - 1] == 'X' && (x.nd != 18 || glen == 1)))
        return; /* X only as the last character of an 18-character ID */
    uint64_t abs0 = st->base + w->off;
    if (classify_digits(st, &x, abs0 + lb, abs0 + e) || x.ng == 1 || x.plus)
        return;
    /* several numbers written side by side: try each group alone */
    size_t pos = s;
    for (size_t k = 0; k < x.ng; k++) {
        size_t gl = x.g[k];
        if (gl >= 9) {
            struct digits y = {.nd = gl, .ng = 1, .g = {(unsigned char)gl}};
            size_t off = 0;
            for (size_t i = 0; i < k; i++)
                off += x.g[i];
            memcpy(y.d, x.d + off, gl);
            classify_digits(st, &y, abs0 + pos, abs0 + pos + gl);
        }
        pos += gl + 1;
    }
}

static bool local_char(uint8_t c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool domain_char(uint8_t c)
{
    return is_alnum(c) || c == '.' || c == '-';
}

void pii_extract_email(struct pii_stream *st, const struct win *w, size_t t)
{
    const uint8_t *p = w->p;
    size_t a = t - 2; /* the '@' */
    size_t s = a;
    while (s > 0 && local_char(p[s - 1]) && a - s <= 64)
        s--;
    size_t e = a + 1;
    while (e < w->n && domain_char(p[e]) && e - a <= 254)
        e++;
    enum verdict v = right_edge(st, w, e);
    if (v == V_DEFER)
        return;
    if (!decide(st, w, FAM_EMAIL, e) || v == V_REJECT || a - s > 64 || e - a > 254 ||
        (s == 0 && left_edge(st, w, 0) == V_REJECT))
        return;
    while (s < a && p[s] == '.')
        s++;
    while (e > a + 1 && (p[e - 1] == '.' || p[e - 1] == '-'))
        e--;
    /* "example.comD": a lower-case TLD run into the next binary field (the
     * 'D' of a PostgreSQL DataRow); the upper-case tail is not part of it */
    size_t u = e;
    while (u > a + 1 && p[u - 1] >= 'A' && p[u - 1] <= 'Z')
        u--;
    if (u < e && u > a + 2 && p[u - 1] >= 'a' && p[u - 1] <= 'z' && p[u - 2] >= 'a' &&
        p[u - 2] <= 'z')
        e = u;
    char buf[320];
    size_t n = e - s;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[s + i];
        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (!pii_email_valid(buf, n))
        return;
    uint64_t abs0 = st->base + w->off;
    struct ctxinfo ci = {0};
    pii_emit(st, PII_EMAIL, abs0 + s, abs0 + e,
             boost(80, ctx_near(st, &ci, PII_CTX_EMAIL, abs0 + s), 95), buf, n);
}

/* An IBAN starting at window index s (country code). V_DEFER when its end
 * is not known yet. */
static enum verdict do_iban(struct pii_stream *st, const struct win *w, size_t s)
{
    const uint8_t *p = w->p;
    if (st->base + w->off + s < st->done_end[FAM_IBAN])
        return V_REJECT; /* inside one decided already */
    if ((s > 0 && is_alnum(p[s - 1])) || left_edge(st, w, s) == V_REJECT)
        return V_REJECT;
    bool printed = s + 4 < w->n && p[s + 4] == ' ';
    char buf[40];
    size_t n = 0, ends[40], e = s;
    while (e < w->n && n < 34) {
        uint8_t c = p[e];
        if ((c >= 'A' && c <= 'Z') || is_digit(c)) {
            buf[n++] = (char)c;
            e++;
            ends[n] = e;
        } else if (printed && c == ' ' && n % 4 == 0 && e + 1 == w->n) {
            e = w->n; /* a space at the very end: undecided */
            break;
        } else if (printed && c == ' ' && n % 4 == 0 && is_alnum(p[e + 1])) {
            e++;
        } else {
            break;
        }
    }
    enum verdict v = right_edge(st, w, e);
    if (v == V_DEFER)
        return V_DEFER;
    if (!decide(st, w, FAM_IBAN, e) || v == V_REJECT)
        return V_REJECT;
    uint64_t abs0 = st->base + w->off;
    struct ctxinfo ci = {0};
    for (size_t k = n; k >= 15; k--) {
        size_t ke = ends[k];
        if (ke < w->n && is_alnum(p[ke]))
            continue;
        if (pii_iban_valid(buf, k)) {
            pii_emit(st, PII_IBAN, abs0 + s, abs0 + ke,
                     boost(90, ctx_near(st, &ci, PII_CTX_IBAN, abs0 + s), 99), buf, k);
            return V_OK;
        }
    }
    return V_OK;
}

/* A digit run at s may be the BBAN of an IBAN whose head ("DE89", "GB82
 * WEST") is up to 36 bytes before it: find the head and decide the IBAN. */
static enum verdict iban_before(struct pii_stream *st, const struct win *w, size_t s)
{
    const uint8_t *p = w->p;
    size_t i = s;
    while (i > 0 && s - i < 36 && (is_upper(p[i - 1]) || is_digit(p[i - 1]) || p[i - 1] == ' '))
        i--;
    for (; i + 4 <= s + 2; i++)
        if (is_upper(p[i]) && is_upper(p[i + 1]) && is_digit(p[i + 2]) && is_digit(p[i + 3]) &&
            (i == 0 || !is_alnum(p[i - 1])))
            return do_iban(st, w, i);
    return V_OK;
}

static void do_passport(struct pii_stream *st, const struct win *w, size_t t)
{
    const uint8_t *p = w->p;
    uint64_t abs0 = st->base + w->off;
    struct ctxinfo ci = {0};
    size_t s = t;
    while (s > 0 && t - s < 10 && ((p[s - 1] >= 'A' && p[s - 1] <= 'Z') || is_digit(p[s - 1])))
        s--;
    if (!ctx_close(st, &ci, PII_CTX_PASSPORT, abs0 + s))
        return;
    size_t e = t;
    while (e < w->n && e - s < 10 && ((p[e] >= 'A' && p[e] <= 'Z') || is_digit(p[e])))
        e++;
    enum verdict v = right_edge(st, w, e);
    if (v == V_DEFER)
        return;
    if (!decide(st, w, FAM_PASSPORT, e) || v == V_REJECT || left_edge(st, w, s) == V_REJECT)
        return;
    if ((s > 0 && is_alnum(p[s - 1])) || (e < w->n && is_alnum(p[e])))
        return;
    if (!pii_passport_valid((const char *)p + s, e - s))
        return;
    bool cn = e - s == 9 && (p[s] == 'E' || p[s] == 'G') && is_digit(p[s + 1]);
    pii_emit(st, PII_PASSPORT, abs0 + s, abs0 + e, cn ? 85 : 75, (const char *)p + s, e - s);
}

static bool han_at(const uint8_t *p, size_t i, size_t n)
{
    if (i + 3 > n || p[i] < 0xE4 || p[i] > 0xE9)
        return false;
    return (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80 &&
           (p[i] != 0xE4 || p[i + 1] >= 0xB8);
}

void pii_extract_name(struct pii_stream *st, const struct win *w, size_t t)
{
    const uint8_t *p = w->p;
    size_t s = t;
    while (s < w->n && s - t < 3 && (p[s] == ' ' || p[s] == '"' || p[s] == '\'' || p[s] == '\t'))
        s++;
    size_t e = s;
    bool han = han_at(p, s, w->n) || (s < w->n && s + 3 > w->n && p[s] >= 0xE4);
    if (han) {
        while (e - s < 15 && han_at(p, e, w->n))
            e += 3;
        if (e < w->n && e + 3 > w->n && p[e] >= 0xE4)
            e = w->n; /* a character cut by the end of the data: undecided */
    } else {
        while (e < w->n && e - s < 49 &&
               (is_alpha(p[e]) || p[e] == ' ' || p[e] == '\'' || p[e] == '-'))
            e++;
    }
    enum verdict v = right_edge(st, w, e);
    if (v == V_DEFER)
        return;
    if (!decide(st, w, FAM_NAME, e) || v == V_REJECT || e == s)
        return;
    uint64_t abs0 = st->base + w->off;
    if (han) {
        if (e - s > 12 || !pii_cn_name_valid((const char *)p + s, e - s))
            return;
        pii_emit(st, PII_NAME, abs0 + s, abs0 + e, 80, (const char *)p + s, e - s);
        return;
    }
    while (e > s && p[e - 1] == ' ')
        e--;
    if (e - s >= 49 || (e < w->n && (is_alpha(p[e]))))
        return;
    bool known;
    if (!pii_en_name_valid((const char *)p + s, e - s, &known))
        return;
    pii_emit(st, PII_NAME, abs0 + s, abs0 + e, known ? 80 : 50, (const char *)p + s, e - s);
}

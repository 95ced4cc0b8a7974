/* DNS payload streams (see dns-payload.h): per (actor, registered domain) the
 * zone is learned, the data labels left of it are decoded with the partial
 * quantum carried across labels and queries, and the bytes go to the
 * streaming PII scanner. Repeats and resolver copies are told apart by a
 * sensor-wide cache of recent names. */
#include "sensor/dns-payload.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "sensor/dns-name.h"

#define DP_NAME_MAX     255 /* longest name text handled (a DNS name is <= 253) */
#define DP_DOMAIN_MAX   192
#define DP_LABELS_MAX   128
#define DP_ENC_SETTLE   64 /* payload characters after which the encoding guess stands */
#define DP_EVIDENCE_LEN 8  /* labels this long or longer decide the encoding */
#define DP_ZONE_GROW    3  /* consecutive names agreeing on a longer suffix grow the zone */
#define DP_SCORE_SYMS   96 /* symbols decoded both ways to tell a new message */

/* ---------------------------------------------------------------- hashing */

static uint64_t fnv_fold(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* 0 for an unknown address, never 0 otherwise. */
static uint64_t addr_hash(const struct bw_addr *a)
{
    if (a == NULL || a->family == 0)
        return 0;
    uint64_t h = 0xcbf29ce484222325ull ^ a->family;
    for (int i = 0; i < 16; i++) {
        h ^= a->bytes[i];
        h *= 0x100000001b3ull;
    }
    return mix64(h) | 1;
}

static size_t strip_dot(const char *name, size_t len)
{
    while (len > 0 && name[len - 1] == '.')
        len--;
    return len;
}

/* ---------------------------------------------------------------- seen cache */

struct seen_ent {
    uint64_t name, actor, dest; /* name 0 = empty slot */
    int64_t ts;
};

struct dns_seen {
    pthread_mutex_t mu;
    struct seen_ent set[DNS_SEEN_SETS][DNS_SEEN_WAYS];
    uint64_t fwd[DNS_SEEN_FORWARDERS]; /* (actor, domain) keys; 0 = empty */
    unsigned fwd_pos;
};

struct dns_seen *dns_seen_new(struct bw_err *err)
{
    struct dns_seen *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        bw_err_set(err, "dns payload: out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void dns_seen_free(struct dns_seen *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int fwd_has(const struct dns_seen *s, uint64_t k)
{
    for (unsigned i = 0; i < DNS_SEEN_FORWARDERS; i++)
        if (s->fwd[i] == k)
            return 1;
    return 0;
}

static void fwd_add(struct dns_seen *s, uint64_t k)
{
    if (fwd_has(s, k))
        return;
    s->fwd[s->fwd_pos] = k;
    s->fwd_pos = (s->fwd_pos + 1) % DNS_SEEN_FORWARDERS;
}

enum dns_seen_verdict dns_seen_check(struct dns_seen *s, const struct bw_addr *actor,
                                     const struct bw_addr *dest, const char *name, size_t len,
                                     const char *domain, size_t domain_len, int64_t ts_us)
{
    len = strip_dot(name, len);
    uint64_t nh = fnv_fold(0xcbf29ce484222325ull, name, len) | 1;
    uint64_t dh = fnv_fold(0x84222325cbf29ce4ull, domain, strip_dot(domain, domain_len));
    uint64_t ah = addr_hash(actor), sh = addr_hash(dest);
    uint64_t fkey = mix64(ah ^ dh) | 1;
    enum dns_seen_verdict v = DNS_SEEN_NEW;
    pthread_mutex_lock(&s->mu);
    if (ah != 0 && fwd_has(s, fkey)) {
        v = DNS_SEEN_FORWARD;
        goto out;
    }
    struct seen_ent *set = s->set[mix64(nh) % DNS_SEEN_SETS], *e = NULL, *victim = NULL;
    int victim_live = 1;
    for (int w = 0; w < DNS_SEEN_WAYS; w++) {
        struct seen_ent *c = &set[w];
        int64_t age = ts_us - c->ts;
        int live = c->name != 0 && age <= DNS_SEEN_WINDOW_US && -age <= DNS_SEEN_WINDOW_US;
        if (live && c->name == nh) {
            e = c;
            break;
        }
        if (!live) {
            if (victim == NULL || victim_live)
                victim = c;
            victim_live = 0;
        } else if (victim == NULL || (victim_live && c->ts < victim->ts)) {
            victim = c; /* the oldest of a full set goes */
        }
    }
    if (e == NULL) {
        victim->name = nh;
        victim->actor = ah;
        victim->dest = sh;
        victim->ts = ts_us;
        goto out;
    }
    if (e->actor == ah) {
        v = DNS_SEEN_REPEAT; /* retransmission */
    } else if (ah != 0 && e->dest == ah) {
        fwd_add(s, fkey); /* its client asked us first: we pass it on */
        v = DNS_SEEN_FORWARD;
    } else if (sh != 0 && e->actor == sh) {
        /* The copy we saw first was our server forwarding this very query
         * (another worker got to it sooner): the server is the forwarder and
         * this is the original. */
        fwd_add(s, mix64(sh ^ dh) | 1);
        e->actor = ah;
        e->dest = sh;
        e->ts = ts_us;
    } else {
        v = DNS_SEEN_REPEAT; /* someone else asked the same */
    }
out:
    pthread_mutex_unlock(&s->mu);
    return v;
}

/* ---------------------------------------------------------------- streams */

struct dns_payload;

struct dp_stream {
    uint64_t key; /* 0 = free */
    uint64_t lru; /* table clock at last use */
    struct dns_payload *dp;
    struct bw_addr actor;
    char domain[DP_DOMAIN_MAX];
    uint16_t domain_len;
    /* zone learning */
    uint8_t zone_known, prev_held; /* prev not decoded yet (the zone was unknown) */
    uint16_t zone_len, prev_len;
    char zone[DP_NAME_MAX + 1];
    char prev[DP_NAME_MAX + 1];
    uint64_t cand_hash; /* a longer common suffix seen lately, and how often */
    uint16_t cand_len;
    uint8_t cand_n;
    /* decoding */
    enum dns_enc enc;
    uint32_t classes;   /* character classes of the payload seen so far */
    uint32_t enc_chars; /* payload characters decoded with enc */
    uint32_t acc;       /* bits not yet forming a byte */
    uint8_t bits;
    uint8_t term; /* the last query ended where a message may end */
    /* findings */
    uint64_t records;           /* reported so far (estimate of distinct people) */
    uint64_t est[PII_TYPE_MAX]; /* distinct estimate per type, redone on new matches only */
    struct pii_stream st;
    struct pii_counts total; /* running counts; distinct from the table's pool */
};

struct dns_payload {
    const struct pii_scanner *sc;
    struct pii_scratch *scratch; /* owned */
    struct dns_seen *seen;       /* borrowed or owned */
    int own_seen;
    uint64_t clock;
    struct dp_stream *streams;
    struct bw_distinct *est;
    uint16_t est_free[DNS_PAYLOAD_ESTIMATORS];
    unsigned nfree;
    struct dns_payload_stats st;
    char zone_out[DP_NAME_MAX + 1];
};

_Static_assert(DNS_PAYLOAD_ESTIMATORS <= 65535, "estimator indices fit");

size_t dns_payload_memory(void)
{
    return sizeof(struct dns_payload) + DNS_PAYLOAD_STREAMS * sizeof(struct dp_stream) +
           DNS_PAYLOAD_ESTIMATORS * sizeof(struct bw_distinct);
}

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

struct dns_payload *dns_payload_new(const struct pii_scanner *sc, struct dns_seen *seen,
                                    struct bw_err *err)
{
    struct dns_payload *dp = calloc(1, sizeof(*dp));
    if (dp == NULL)
        goto oom;
    dp->sc = sc;
    dp->streams = calloc(DNS_PAYLOAD_STREAMS, sizeof(*dp->streams));
    dp->est = calloc(DNS_PAYLOAD_ESTIMATORS, sizeof(*dp->est));
    if (dp->streams == NULL || dp->est == NULL)
        goto oom;
    for (unsigned i = 0; i < DNS_PAYLOAD_ESTIMATORS; i++)
        dp->est_free[i] = (uint16_t)(DNS_PAYLOAD_ESTIMATORS - 1 - i);
    dp->nfree = DNS_PAYLOAD_ESTIMATORS;
    if (seen == NULL) {
        if ((seen = dns_seen_new(err)) == NULL)
            goto fail;
        dp->own_seen = 1;
    }
    dp->seen = seen;
    if ((dp->scratch = pii_scratch_new(sc, err)) == NULL)
        goto fail;
    return dp;
oom:
    bw_err_set(err, "dns payload: out of memory");
fail:
    dns_payload_free(dp);
    return NULL;
}

static void est_give(struct dns_payload *dp, struct bw_distinct *d)
{
    if (d != NULL && dp->nfree < DNS_PAYLOAD_ESTIMATORS)
        dp->est_free[dp->nfree++] = (uint16_t)(d - dp->est);
}

static void stream_clear(struct dns_payload *dp, struct dp_stream *s)
{
    for (int t = 0; t < PII_TYPE_MAX; t++)
        est_give(dp, s->total.distinct[t]);
    pii_stream_fini(&s->st);
    memset(s, 0, sizeof(*s));
}

void dns_payload_free(struct dns_payload *dp)
{
    if (dp == NULL)
        return;
    if (dp->streams != NULL)
        for (unsigned i = 0; i < DNS_PAYLOAD_STREAMS; i++)
            if (dp->streams[i].key != 0)
                stream_clear(dp, &dp->streams[i]);
    free(dp->streams);
    free(dp->est);
    pii_scratch_free(dp->scratch);
    if (dp->own_seen)
        dns_seen_free(dp->seen);
    free(dp);
}

void dns_payload_get_stats(const struct dns_payload *dp, struct dns_payload_stats *out)
{
    *out = dp->st;
}

/* The first match of a type in a stream takes an estimator from the pool. */
static void on_match(void *ctx, const struct pii_match *m)
{
    struct dp_stream *s = ctx;
    struct dns_payload *dp = s->dp;
    if (s->total.distinct[m->type] != NULL)
        return; /* the scanner added the hash itself */
    if (dp->nfree == 0) {
        dp->st.estimators_exhausted++;
        return;
    }
    struct bw_distinct *d = &dp->est[dp->est_free[--dp->nfree]];
    bw_distinct_init(d);
    bw_distinct_add(d, m->hash);
    s->total.distinct[m->type] = d;
}

static uint64_t stream_key(const struct bw_addr *actor, const char *domain, size_t n)
{
    return mix64(addr_hash(actor) ^ fnv_fold(0x9e3779b97f4a7c15ull, domain, n)) | 1;
}

static int domain_eq(const struct dp_stream *s, const char *d, size_t n)
{
    if (s->domain_len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = s->domain[i], b = d[i];
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static struct dp_stream *stream_find(const struct dns_payload *dp, const struct bw_addr *actor,
                                     const char *domain, size_t n, uint64_t key)
{
    struct bw_addr none = {0};
    if (actor == NULL)
        actor = &none;
    for (unsigned i = 0; i < DNS_PAYLOAD_STREAMS; i++) {
        struct dp_stream *s = &dp->streams[i];
        if (s->key == key && bw_addr_eq(&s->actor, actor) && domain_eq(s, domain, n))
            return s;
    }
    return NULL;
}

static struct dp_stream *stream_open(struct dns_payload *dp, const struct bw_addr *actor,
                                     const char *domain, size_t n, uint64_t key)
{
    struct dp_stream *s = NULL;
    for (unsigned i = 0; i < DNS_PAYLOAD_STREAMS; i++) {
        struct dp_stream *c = &dp->streams[i];
        if (c->key == 0) {
            s = c;
            break;
        }
        if (s == NULL || c->lru < s->lru)
            s = c;
    }
    if (s->key != 0) {
        dp->st.evictions++;
        stream_clear(dp, s);
    }
    s->key = key;
    s->dp = dp;
    if (actor != NULL)
        s->actor = *actor;
    for (size_t i = 0; i < n; i++) {
        char c = domain[i];
        s->domain[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    s->domain_len = (uint16_t)n;
    pii_stream_init(&s->st, dp->sc);
    pii_stream_use_scratch(&s->st, dp->scratch);
    pii_stream_on_match(&s->st, on_match, s);
    pii_counts_init(&s->total);
    dp->st.streams++;
    return s;
}

/* ---------------------------------------------------------------- zone */

static int ieq(char a, char b)
{
    if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
        b = (char)(b - 'A' + 'a');
    return a == b;
}

/* Bytes of the longest common suffix of a and b that starts at a label
 * boundary in both. */
static size_t common_suffix(const char *a, size_t an, const char *b, size_t bn)
{
    size_t k = 0, best = 0;
    while (k < an && k < bn && ieq(a[an - 1 - k], b[bn - 1 - k])) {
        k++;
        int a_edge = k == an || a[an - 1 - k] == '.';
        int b_edge = k == bn || b[bn - 1 - k] == '.';
        if (a_edge && b_edge)
            best = k;
    }
    return best;
}

/* 1 when name ends with the zone at a label boundary. */
static int ends_with_zone(const struct dp_stream *s, const char *name, size_t n)
{
    if (s->zone_len > n)
        return 0;
    if (s->zone_len < n && name[n - s->zone_len - 1] != '.')
        return 0;
    for (size_t i = 0; i < s->zone_len; i++)
        if (!ieq(name[n - s->zone_len + i], s->zone[i]))
            return 0;
    return 1;
}

static void zone_set(struct dp_stream *s, const char *name, size_t n, size_t suf)
{
    if (suf < s->domain_len)
        suf = s->domain_len; /* never narrower than the registered domain */
    if (suf > n)
        suf = n;
    memcpy(s->zone, name + n - suf, suf);
    s->zone[suf] = '\0';
    s->zone_len = (uint16_t)suf;
    s->zone_known = 1;
}

/* ---------------------------------------------------------------- labels */

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

/* ---------------------------------------------------------------- decoding */

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
static void decode_part(struct dns_payload *dp, struct dp_stream *s, const char *name, size_t n,
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

/* Zone learning and decoding for one name (n bytes, no trailing dot). */
static void stream_name(struct dns_payload *dp, struct dp_stream *s, const char *name, size_t n,
                        struct dns_payload_result *res)
{
    if (!s->zone_known) {
        if (!s->prev_held) {
            /* one name cannot tell payload from zone: held until the next */
            memcpy(s->prev, name, n);
            s->prev_len = (uint16_t)n;
            s->prev_held = 1;
            return;
        }
        zone_set(s, name, n, common_suffix(s->prev, s->prev_len, name, n));
        if (s->prev_len > s->zone_len)
            decode_part(dp, s, s->prev, s->prev_len - s->zone_len - 1, res);
        s->prev_held = 0;
    } else if (!ends_with_zone(s, name, n)) {
        /* a name outside the zone: the zone narrows to what they share */
        zone_set(s, name, n, common_suffix(s->zone, s->zone_len, name, n));
        s->cand_n = 0;
    } else {
        /* recent names agreeing on a longer suffix (a new session label)
         * widen the zone again */
        size_t cand = common_suffix(s->prev, s->prev_len, name, n);
        if (cand > s->zone_len) {
            uint64_t h = fnv_fold(1, name + n - cand, cand);
            if (s->cand_n > 0 && h == s->cand_hash && cand == s->cand_len) {
                if (++s->cand_n >= DP_ZONE_GROW) {
                    zone_set(s, name, n, cand);
                    s->cand_n = 0;
                }
            } else {
                s->cand_hash = h;
                s->cand_len = (uint16_t)cand;
                s->cand_n = 1;
            }
        } else {
            s->cand_n = 0;
        }
    }
    if (n > s->zone_len)
        decode_part(dp, s, name, n - s->zone_len - 1, res);
    memcpy(s->prev, name, n);
    s->prev_len = (uint16_t)n;
}

int dns_payload_query(struct dns_payload *dp, const struct bw_addr *actor,
                      const struct bw_addr *dest, const char *name, size_t len, int64_t ts_us,
                      struct dns_payload_result *res)
{
    memset(res, 0, sizeof(*res));
    dp->st.queries++;
    len = strip_dot(name, len);
    if (len == 0 || len > DP_NAME_MAX)
        return 0;
    size_t rd = dns_registered_domain(name, len);
    size_t dlen = len - rd;
    if (rd == 0 || dlen >= DP_DOMAIN_MAX)
        return 0;
    res->verdict = dns_seen_check(dp->seen, actor, dest, name, len, name + rd, dlen, ts_us);
    if (res->verdict == DNS_SEEN_REPEAT) {
        dp->st.repeats++;
        return 0;
    }
    if (res->verdict == DNS_SEEN_FORWARD) {
        dp->st.forwards++;
        return 0;
    }
    uint64_t key = stream_key(actor, name + rd, dlen);
    struct dp_stream *s = stream_find(dp, actor, name + rd, dlen, key);
    if (s == NULL) {
        if (rd - 1 < DNS_PAYLOAD_MIN_SUB)
            return 0;
        s = stream_open(dp, actor, name + rd, dlen, key);
    }
    s->lru = ++dp->clock;
    uint64_t before[PII_TYPE_MAX], hist[PII_CONF_BUCKETS];
    memcpy(before, s->total.matches, sizeof(before));
    memcpy(hist, s->total.conf_hist, sizeof(hist));
    uint64_t errs = dp->st.scan_errors;
    stream_name(dp, s, name, len, res);
    res->enc = s->enc;
    pii_counts_init(&res->pii);
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        res->pii.matches[t] = s->total.matches[t] - before[t];
        if (res->pii.matches[t] > 0) {
            res->pii.distinct[t] = s->total.distinct[t];
            res->has_pii = 1;
        }
    }
    for (int b = 0; b < PII_CONF_BUCKETS; b++)
        res->pii.conf_hist[b] = s->total.conf_hist[b] - hist[b];
    /* pii_counts_records() of the running counts, but an estimate walks 4 KiB:
     * only the types this name added to are estimated again. */
    uint64_t r = 0;
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        if (res->pii.matches[t] > 0 && s->total.distinct[t] != NULL) {
            uint64_t e = bw_distinct_estimate(s->total.distinct[t]);
            s->est[t] = e < s->total.matches[t] ? e : s->total.matches[t];
        }
        if (s->est[t] > r)
            r = s->est[t];
    }
    if (r > s->records) {
        res->records = r - s->records;
        s->records = r;
    }
    return dp->st.scan_errors == errs ? 0 : -1;
}

const char *dns_payload_zone(const struct dns_payload *dp, const struct bw_addr *actor,
                             const char *domain)
{
    size_t n = strlen(domain);
    uint64_t key = stream_key(actor, domain, n);
    struct dp_stream *s = stream_find(dp, actor, domain, n, key);
    if (s == NULL || !s->zone_known)
        return NULL;
    return s->zone;
}

enum dns_seen_verdict dns_payload_access(struct dns_payload *dp, const struct bw_addr *dest,
                                         const char *name, size_t len, struct bw_access *ev,
                                         struct dns_payload_result *res)
{
    if (dp == NULL)
        return DNS_SEEN_NEW;
    if (dns_payload_query(dp, &ev->actor_ip, dest, name, len, ev->ts_us, res) != 0 || !res->has_pii)
        return res->verdict;
    ev->pii = &res->pii;
    if ((ev->records = res->records) > 0)
        ev->records_src = ACCESS_REC_PII;
    return res->verdict;
}

/* PII content scanner. Hyperscan finds cheap triggers (an '@' between word
 * characters, nine digits, an IBAN head, a passport shape, a name key); each
 * trigger is then extracted from the bytes around it and validated
 * (pii-validate.c). Context words are searched only when a candidate needs
 * them, in the PII_CTX_WINDOW bytes before it, with a second small database:
 * keeping ~50 short literals out of the main scan more than doubles its speed
 * on text without personal data. Streams keep their last bytes; the last
 * PII_RESCAN are scanned again with the next data (vectored mode, no copy of
 * the data), so matches that straddle a boundary are found, and a candidate
 * that reaches the end of the data is decided only when the byte after it is
 * known. */
#include "sensor/pii.h"

#include <emmintrin.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "sensor/pii-validate.h"

/* Candidate families: each decides its candidates in stream order and keeps
 * the end of the last one decided. Numbers with a leading '+' are their own
 * family, as Hyperscan finds them while digit_pass() finds the rest. */
enum fam { FAM_DIGITS, FAM_EMAIL, FAM_IBAN, FAM_PASSPORT, FAM_NAME, FAM_PLUS, FAM_MAX };

enum trig { T_EMAIL, T_DIGITS, T_NAME_EN, T_NAME_CN, T_MAX };
#define T_RUN T_MAX /* a four-digit run found by digit_pass(), not by Hyperscan */

#define WIN 160 /* bytes either side of a trigger looked at by an extractor */

struct pii_scratch {
    hs_scratch_t *s;   /* for the trigger database */
    hs_scratch_t *ctx; /* for the context database, used inside trigger callbacks */
};

struct pii_scanner {
    hs_database_t *db;
    hs_database_t *ctx_db;
    struct pii_scratch own;
    uint8_t key[BW_DISTINCT_KEY_LEN];
};

static const struct {
    const char *re;
    unsigned flags;
} triggers[T_MAX] = {
    [T_EMAIL] = {"[A-Za-z0-9_%+\\-]@[A-Za-z0-9]", 0},
    /* numbers are found by digit_pass(); Hyperscan only adds "+digit", for
     * international numbers written in groups shorter than four */
    [T_DIGITS] = {"\\+[0-9]", 0},
    [T_NAME_EN] = {"name[\"']?[ \\t]{0,3}[:=][ \\t]{0,3}[\"']?", HS_FLAG_CASELESS},
    [T_NAME_CN] =
        {"\xe5\xa7\x93\xe5\x90\x8d[\"']?[ \\t]{0,3}(?::|\xef\xbc\x9a|=)?[ \\t]{0,3}[\"']?", 0},
};

static const enum fam trig_fam[T_MAX] = {
    [T_EMAIL] = FAM_EMAIL,
    [T_DIGITS] = FAM_PLUS,
    [T_NAME_EN] = FAM_NAME,
    [T_NAME_CN] = FAM_NAME,
};

static const char *const type_names[PII_TYPE_MAX] = {
    [PII_EMAIL] = "email",
    [PII_CN_MOBILE] = "cn_mobile",
    [PII_PHONE_INTL] = "phone_intl",
    [PII_CN_RESIDENT_ID] = "cn_resident_id",
    [PII_CARD] = "card_number",
    [PII_US_SSN] = "us_ssn",
    [PII_IBAN] = "iban",
    [PII_PASSPORT] = "passport",
    [PII_NAME] = "person_name",
};

static const char *const type_cats[PII_TYPE_MAX] = {
    [PII_EMAIL] = "contact",      [PII_CN_MOBILE] = "contact",
    [PII_PHONE_INTL] = "contact", [PII_CN_RESIDENT_ID] = "national_id",
    [PII_CARD] = "financial",     [PII_US_SSN] = "national_id",
    [PII_IBAN] = "financial",     [PII_PASSPORT] = "national_id",
    [PII_NAME] = "identity",
};

const char *pii_type_name(enum pii_type t)
{
    return (unsigned)t < PII_TYPE_MAX ? type_names[t] : "unknown";
}

int pii_type_from_name(const char *name)
{
    for (int i = 0; i < PII_TYPE_MAX; i++)
        if (strcmp(type_names[i], name) == 0)
            return i;
    return -1;
}

const char *pii_type_category(enum pii_type t)
{
    return (unsigned)t < PII_TYPE_MAX ? type_cats[t] : "unknown";
}

/* Context words become literal patterns: every byte that is not a letter or
 * digit is written as \xHH so no word can be read as regex syntax. */
static int literal_re(const char *w, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        int n = ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
                    ? snprintf(out + o, cap - o, "%c", *p)
                    : snprintf(out + o, cap - o, "\\x%02x", *p);
        if (n < 0 || (size_t)n >= cap - o)
            return -1;
        o += (size_t)n;
    }
    return 0;
}

static int alloc_scratch(const struct pii_scanner *sc, struct pii_scratch *s)
{
    if (hs_alloc_scratch(sc->db, &s->s) != HS_SUCCESS ||
        hs_alloc_scratch(sc->ctx_db, &s->ctx) != HS_SUCCESS)
        return -1;
    return 0;
}

/* ---- compiled databases cached in the state directory ---- */

#define PII_CACHE_MAGIC "BWPIIHS1"

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Key of one pattern set: expressions, flags, ids and mode. */
static uint64_t set_hash(uint64_t h, const char *const *e, const unsigned *f, const unsigned *id,
                         unsigned n, unsigned mode)
{
    h = fnv1a(h, &n, sizeof(n));
    h = fnv1a(h, &mode, sizeof(mode));
    for (unsigned i = 0; i < n; i++) {
        h = fnv1a(h, e[i], strlen(e[i]) + 1);
        h = fnv1a(h, &f[i], sizeof(f[i]));
        h = fnv1a(h, &id[i], sizeof(id[i]));
    }
    return h;
}

static int read_db(FILE *fp, hs_database_t **db)
{
    uint64_t len;
    if (fread(&len, sizeof(len), 1, fp) != 1 || len == 0 || len > (256u << 20))
        return -1;
    char *b = malloc(len);
    int rc = -1;
    if (b != NULL && fread(b, 1, len, fp) == len &&
        hs_deserialize_database(b, (size_t)len, db) == HS_SUCCESS)
        rc = 0;
    free(b);
    return rc;
}

/* Loads both databases from path when its key matches. Returns 0 or -1. */
static int cache_load(struct pii_scanner *sc, const char *path, uint64_t key)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return -1;
    char magic[8];
    uint64_t k;
    int rc = -1;
    if (fread(magic, 1, 8, fp) == 8 && memcmp(magic, PII_CACHE_MAGIC, 8) == 0 &&
        fread(&k, sizeof(k), 1, fp) == 1 && k == key && read_db(fp, &sc->db) == 0 &&
        read_db(fp, &sc->ctx_db) == 0)
        rc = 0;
    fclose(fp);
    if (rc != 0) {
        hs_free_database(sc->db);
        hs_free_database(sc->ctx_db);
        sc->db = sc->ctx_db = NULL;
    }
    return rc;
}

static int write_db(FILE *fp, const hs_database_t *db)
{
    char *b = NULL;
    size_t n = 0;
    if (hs_serialize_database(db, &b, &n) != HS_SUCCESS)
        return -1;
    uint64_t len = n;
    int rc = fwrite(&len, sizeof(len), 1, fp) == 1 && fwrite(b, 1, n, fp) == n ? 0 : -1;
    free(b);
    return rc;
}

/* Writes both databases to path (through a temporary file and rename, so a
 * reader never sees half a file). Failure only costs the next start a compile. */
static void cache_store(const struct pii_scanner *sc, const char *path, uint64_t key)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
        return;
    FILE *fp = fopen(tmp, "wb");
    if (fp == NULL)
        return;
    int ok = fwrite(PII_CACHE_MAGIC, 1, 8, fp) == 8 && fwrite(&key, sizeof(key), 1, fp) == 1 &&
             write_db(fp, sc->db) == 0 && write_db(fp, sc->ctx_db) == 0;
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

struct pii_scanner *pii_scanner_new(struct bw_err *err)
{
    return pii_scanner_new_cached(NULL, err);
}

struct pii_scanner *pii_scanner_new_cached(const char *cache_dir, struct bw_err *err)
{
    size_t nw;
    const struct pii_ctx_word *words = pii_ctx_words(&nw);
    const char *exprs[T_MAX];
    unsigned flags[T_MAX], ids[T_MAX];
    const char **cexprs = calloc(nw, sizeof(*cexprs));
    unsigned *cflags = calloc(nw, sizeof(*cflags));
    unsigned *cids = calloc(nw, sizeof(*cids));
    char(*lits)[128] = calloc(nw, sizeof(*lits));
    struct pii_scanner *sc = calloc(1, sizeof(*sc));
    hs_compile_error_t *cerr = NULL;
    if (!cexprs || !cflags || !cids || !lits || !sc) {
        bw_err_set(err, "pii: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < T_MAX; i++) {
        exprs[i] = triggers[i].re;
        flags[i] = triggers[i].flags;
        ids[i] = (unsigned)i;
    }
    for (size_t i = 0; i < nw; i++) {
        if (literal_re(words[i].word, lits[i], sizeof(lits[i])) != 0) {
            bw_err_set(err, "pii: context word too long: %s", words[i].word);
            goto fail;
        }
        cexprs[i] = lits[i];
        cflags[i] = HS_FLAG_CASELESS;
        cids[i] = (unsigned)words[i].ctx;
    }
    char path[4096] = "";
    uint64_t key = 0;
    if (cache_dir != NULL && cache_dir[0] != '\0') {
        const char *v = hs_version();
        key = fnv1a(0xcbf29ce484222325ull, v, strlen(v) + 1);
        key = set_hash(key, exprs, flags, ids, T_MAX, HS_MODE_VECTORED);
        key = set_hash(key, cexprs, cflags, cids, (unsigned)nw, HS_MODE_BLOCK);
        if (snprintf(path, sizeof(path), "%s/pii-patterns.hsdb", cache_dir) >= (int)sizeof(path))
            path[0] = '\0';
    }
    if (path[0] == '\0' || cache_load(sc, path, key) != 0) {
        if (hs_compile_multi(exprs, flags, ids, T_MAX, HS_MODE_VECTORED, NULL, &sc->db, &cerr) !=
                HS_SUCCESS ||
            hs_compile_multi(cexprs, cflags, cids, (unsigned)nw, HS_MODE_BLOCK, NULL, &sc->ctx_db,
                             &cerr) != HS_SUCCESS) {
            bw_err_set(err, "pii: pattern %d: %s", cerr ? cerr->expression : -1,
                       cerr ? cerr->message : "compile failed");
            goto fail;
        }
        if (path[0] != '\0')
            cache_store(sc, path, key);
    }
    if (alloc_scratch(sc, &sc->own) != 0) {
        bw_err_set(err, "pii: cannot allocate scratch");
        goto fail;
    }
    if (getrandom(sc->key, sizeof(sc->key), 0) != (ssize_t)sizeof(sc->key)) {
        bw_err_set(err, "pii: getrandom failed");
        goto fail;
    }
    free(cexprs);
    free(cflags);
    free(cids);
    free(lits);
    return sc;
fail:
    hs_free_compile_error(cerr);
    free(cexprs);
    free(cflags);
    free(cids);
    free(lits);
    pii_scanner_free(sc);
    return NULL;
}

void pii_scanner_free(struct pii_scanner *sc)
{
    if (sc == NULL)
        return;
    hs_free_scratch(sc->own.s);
    hs_free_scratch(sc->own.ctx);
    hs_free_database(sc->db);
    hs_free_database(sc->ctx_db);
    free(sc);
}

void pii_scanner_set_key(struct pii_scanner *sc, const uint8_t key[BW_DISTINCT_KEY_LEN])
{
    memcpy(sc->key, key, BW_DISTINCT_KEY_LEN);
}

struct pii_scratch *pii_scratch_new(const struct pii_scanner *sc, struct bw_err *err)
{
    struct pii_scratch *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        bw_err_set(err, "pii: out of memory");
        return NULL;
    }
    if (alloc_scratch(sc, s) != 0) {
        bw_err_set(err, "pii: cannot allocate scratch");
        pii_scratch_free(s);
        return NULL;
    }
    return s;
}

void pii_scratch_free(struct pii_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->s);
    hs_free_scratch(s->ctx);
    free(s);
}

void pii_counts_init(struct pii_counts *c)
{
    memset(c, 0, sizeof(*c));
}

uint64_t pii_counts_records(const struct pii_counts *c)
{
    uint64_t best = 0;
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        uint64_t v = c->distinct[t] ? bw_distinct_estimate(c->distinct[t]) : 0;
        if (v > c->matches[t])
            v = c->matches[t]; /* the estimate never exceeds what was seen */
        if (v > best)
            best = v;
    }
    return best;
}

void pii_stream_init(struct pii_stream *st, const struct pii_scanner *sc)
{
    memset(st, 0, sizeof(*st));
    st->sc = sc;
    st->scratch = (struct pii_scratch *)&sc->own;
}

void pii_stream_use_scratch(struct pii_stream *st, struct pii_scratch *s)
{
    st->scratch = s;
}

void pii_stream_on_match(struct pii_stream *st, pii_match_fn fn, void *ctx)
{
    st->on_match = fn;
    st->on_match_ctx = ctx;
}

void pii_stream_fini(struct pii_stream *st)
{
    memset(st, 0, sizeof(*st));
}

/* ---- candidate extraction ---- */

/* Bytes around a trigger: p[0] is at combined offset off; combined offsets
 * count the re-scanned history first, then the current data. */
struct win {
    const uint8_t *p;
    size_t n, off;
};

enum verdict { V_REJECT, V_DEFER, V_OK };

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_upper(uint8_t c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_alnum(uint8_t c)
{
    return is_digit(c) || is_alpha(c);
}

static size_t total_len(const struct pii_stream *st)
{
    return st->rs_len + st->cur_len;
}

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

static void emit(struct pii_stream *st, enum pii_type type, uint64_t start, uint64_t end,
                 unsigned conf, const char *val, size_t vlen)
{
    uint8_t buf[1 + 256];
    if (vlen > 256)
        vlen = 256;
    buf[0] = (uint8_t)type;
    memcpy(buf + 1, val, vlen);
    uint64_t h = bw_siphash(st->sc->key, buf, vlen + 1);
    struct pii_counts *out = st->out;
    out->matches[type]++;
    unsigned b = conf / 10;
    out->conf_hist[b >= PII_CONF_BUCKETS ? PII_CONF_BUCKETS - 1 : b]++;
    if (out->distinct[type])
        bw_distinct_add(out->distinct[type], h);
    if (st->on_match) {
        struct pii_match m = {type, start, end, conf, val, vlen, h};
        st->on_match(st->on_match_ctx, &m);
    }
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
            emit(st, PII_CN_MOBILE, start, end,
                 boost(80, ctx_near(st, &ci, PII_CTX_PHONE, start), 95), e + 2, 11);
            return true;
        }
        int ccl = pii_e164_valid(e, en);
        /* written in groups, the first group is the whole country code */
        if (ccl > 0 && (x->ng == 1 || !x->plus || x->g[0] == (unsigned)ccl)) {
            emit(st, PII_PHONE_INTL, start, end,
                 boost(x->plus ? 55 : 60, ctx_near(st, &ci, PII_CTX_PHONE, start), 90), e, en);
            return true;
        }
        return false;
    }
    static const unsigned char g_id[] = {6, 8, 4}, g_mob[] = {3, 4, 4}, g_mob86[] = {2, 3, 4, 4},
                               g_ssn[] = {3, 2, 4};
    if (n == 18 && (x->ng == 1 || groups_are(x, g_id, 3)) && pii_cn_id_valid(d, n)) {
        emit(st, PII_CN_RESIDENT_ID, start, end,
             boost(90, ctx_near(st, &ci, PII_CTX_ID, start), 99), d, n);
        return true;
    }
    if (d[n - 1] == 'X')
        return false;
    if (n == 11 && (x->ng == 1 || groups_are(x, g_mob, 3)) && pii_cn_mobile_valid(d, n)) {
        emit(st, PII_CN_MOBILE, start, end, boost(60, ctx_near(st, &ci, PII_CTX_PHONE, start), 90),
             d, n);
        return true;
    }
    if (n == 13 && d[0] == '8' && d[1] == '6' && (x->ng == 1 || groups_are(x, g_mob86, 4)) &&
        pii_cn_mobile_valid(d + 2, 11)) {
        emit(st, PII_CN_MOBILE, start, end, boost(70, ctx_near(st, &ci, PII_CTX_PHONE, start), 90),
             d + 2, 11);
        return true;
    }
    if (n >= 13 && n <= 19 && card_grouping(x) && pii_card_valid(d, n)) {
        emit(st, PII_CARD, start, end,
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
            emit(st, PII_US_SSN, start, end,
                 dashed ? boost(55, ctx_near(st, &ci, PII_CTX_SSN, start), 90) : 75, d, n);
            return true;
        }
        if (x->ng == 1 && ctx_close(st, &ci, PII_CTX_PASSPORT, start) && pii_passport_valid(d, n)) {
            emit(st, PII_PASSPORT, start, end, 70, d, n);
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

static void do_digits(struct pii_stream *st, const struct win *w, size_t t, enum fam fam)
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

static void do_email(struct pii_stream *st, const struct win *w, size_t t)
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
    emit(st, PII_EMAIL, abs0 + s, abs0 + e,
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
            emit(st, PII_IBAN, abs0 + s, abs0 + ke,
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
    emit(st, PII_PASSPORT, abs0 + s, abs0 + e, cn ? 85 : 75, (const char *)p + s, e - s);
}

static bool han_at(const uint8_t *p, size_t i, size_t n)
{
    if (i + 3 > n || p[i] < 0xE4 || p[i] > 0xE9)
        return false;
    return (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80 &&
           (p[i] != 0xE4 || p[i + 1] >= 0xB8);
}

static void do_name(struct pii_stream *st, const struct win *w, size_t t)
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
        emit(st, PII_NAME, abs0 + s, abs0 + e, 80, (const char *)p + s, e - s);
        return;
    }
    while (e > s && p[e - 1] == ' ')
        e--;
    if (e - s >= 49 || (e < w->n && (is_alpha(p[e]))))
        return;
    bool known;
    if (!pii_en_name_valid((const char *)p + s, e - s, &known))
        return;
    emit(st, PII_NAME, abs0 + s, abs0 + e, known ? 80 : 50, (const char *)p + s, e - s);
}

/* Hands the bytes around a trigger ending at combined offset `to` to the
 * extractor of its family. */
static void dispatch(struct pii_stream *st, unsigned id, size_t to)
{
    enum fam fam = id == T_RUN ? FAM_DIGITS : trig_fam[id];
    if (st->base + to <= st->done_end[fam])
        return;
    /* the window around the trigger, copied only when it spans history and data */
    size_t tl = st->rs_len, total = total_len(st);
    size_t lo = to > WIN ? (size_t)to - WIN : 0, hi = to + WIN < total ? (size_t)to + WIN : total;
    uint8_t copy[2 * WIN];
    struct win w = {.off = lo, .n = hi - lo};
    if (lo >= tl) {
        w.p = st->cur + (lo - tl);
    } else if (hi <= tl) {
        w.p = st->rs + lo;
    } else {
        memcpy(copy, st->rs + lo, tl - lo);
        memcpy(copy + (tl - lo), st->cur, hi - tl);
        w.p = copy;
    }
    size_t t = (size_t)to - lo;
    switch (id) {
    case T_EMAIL:
        do_email(st, &w, t);
        break;
    case T_DIGITS:
        do_digits(st, &w, t, FAM_PLUS);
        break;
    case T_RUN:
        do_digits(st, &w, t, FAM_DIGITS);
        break;
    default:
        do_name(st, &w, t);
        break;
    }
}

static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                 void *ctx)
{
    (void)from;
    (void)flags;
    dispatch(ctx, id, (size_t)to);
    return 0;
}

/* Numbers: every candidate number type holds a run of four digits, so one
 * SSE2 pass marks the ends of four-digit runs and do_digits() takes it from
 * there. Hyperscan tops out near 1.1 GB/s on digit-class patterns over text
 * with many numbers (timestamps, prices, ids); this pass runs at several
 * GB/s (see docs/pii.md). `run` carries the digits seen at the end of the
 * previous segment. */
static void digit_pass_seg(struct pii_stream *st, const uint8_t *p, size_t n, size_t off,
                           unsigned *run)
{
    const __m128i zero = _mm_set1_epi8('0'), bias = _mm_set1_epi8((char)0x80);
    const __m128i lim = _mm_set1_epi8((char)(10 ^ 0x80));
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        /* (c - '0') < 10 unsigned, as a signed compare after flipping the top bit */
        __m128i d = _mm_cmplt_epi8(_mm_xor_si128(_mm_sub_epi8(v, zero), bias), lim);
        uint32_t m = (uint32_t)_mm_movemask_epi8(d);
        if (m == 0) {
            *run = 0;
            continue;
        }
        uint32_t prev = *run >= 3 ? 7u : *run == 2 ? 6u : *run == 1 ? 4u : 0u;
        uint32_t x = m << 3 | prev;
        uint32_t q = x & x >> 1 & x >> 2 & x >> 3 & 0xFFFFu;
        while (q != 0) {
            unsigned k = (unsigned)__builtin_ctz(q);
            size_t to = off + i + k + 1;
            if (st->base + to > st->done_end[FAM_DIGITS])
                dispatch(st, T_RUN, to);
            q &= q - 1;
            /* bit k stands for the run ending at blk + k + 1: drop the bits of
             * a run decided just now */
            uint64_t done = st->done_end[FAM_DIGITS], blk = st->base + off + i;
            if (done > blk)
                q = done - blk >= 16 ? 0 : q & ~((1u << (done - blk)) - 1);
        }
        *run = m == 0xFFFFu ? *run + 16 : (unsigned)__builtin_clz(~m << 16);
    }
    for (; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            if (++*run >= 4)
                dispatch(st, T_RUN, off + i + 1);
        } else {
            *run = 0;
        }
    }
}

static void digit_pass(struct pii_stream *st)
{
    unsigned run = 0;
    digit_pass_seg(st, st->rs, st->rs_len, 0, &run);
    if (st->cur_len > 0)
        digit_pass_seg(st, st->cur, st->cur_len, st->rs_len, &run);
}

static int scan(struct pii_stream *st, const uint8_t *data, size_t len, struct pii_counts *out,
                bool final)
{
    size_t r = st->hist_len < PII_RESCAN ? st->hist_len : PII_RESCAN;
    st->rs = st->hist + st->hist_len - r;
    st->rs_len = r;
    st->base = st->hist_base + st->hist_len - r;
    st->cur = data;
    st->cur_len = len;
    st->out = out;
    st->final = final;
    const char *bufs[2] = {(const char *)st->rs, (const char *)data};
    unsigned lens[2] = {(unsigned)r, (unsigned)len};
    hs_error_t rc = HS_SUCCESS;
    digit_pass(st);
    if (r + len > 0)
        rc = hs_scan_vector(st->sc->db, bufs + (r == 0), lens + (r == 0), (r > 0) + (len > 0), 0,
                            st->scratch->s, on_hs, st);
    /* keep the last PII_HIST bytes of history + data */
    size_t total = st->hist_len + len;
    size_t keep = total < PII_HIST ? total : PII_HIST;
    if (len == 0) {
        /* nothing new: the history stays */
    } else if (len >= keep) {
        memcpy(st->hist, data + len - keep, keep);
    } else {
        size_t from_hist = keep - len;
        memmove(st->hist, st->hist + st->hist_len - from_hist, from_hist);
        memcpy(st->hist + from_hist, data, len);
    }
    st->hist_base += total - keep;
    st->hist_len = (uint32_t)keep;
    st->rs = st->cur = NULL;
    st->rs_len = st->cur_len = 0;
    st->out = NULL;
    return rc == HS_SUCCESS ? 0 : -1;
}

int pii_stream_feed(struct pii_stream *st, const uint8_t *data, size_t len, struct pii_counts *out)
{
    /* hs_scan_vector takes unsigned lengths: feed huge buffers in slices */
    const size_t slice = 1u << 30;
    int rc = 0;
    while (len > slice) {
        rc |= scan(st, data, slice, out, false);
        data += slice;
        len -= slice;
    }
    return rc | scan(st, data, len, out, false);
}

int pii_stream_flush(struct pii_stream *st, struct pii_counts *out)
{
    return scan(st, NULL, 0, out, true);
}

static int ctx_only(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    *(uint32_t *)ctx |= 1u << id;
    return 0;
}

void pii_stream_add_context(struct pii_stream *st, const void *text, size_t len)
{
    uint32_t found = 0;
    if (len > 0 && hs_scan(st->sc->ctx_db, text, (unsigned)(len > 65536 ? 65536 : len), 0,
                           st->scratch->ctx, ctx_only, &found) == HS_SUCCESS)
        st->sticky_ctx |= found;
}

int pii_scan_buf(const struct pii_scanner *sc, struct pii_scratch *scratch, const void *data,
                 size_t len, struct pii_counts *out)
{
    struct pii_stream st;
    pii_stream_init(&st, sc);
    if (scratch)
        pii_stream_use_scratch(&st, scratch);
    int rc = pii_stream_feed(&st, data, len, out);
    rc |= pii_stream_flush(&st, out);
    pii_stream_fini(&st);
    return rc;
}

/* ---- DNS names ---- */

static int hexval(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t decode_hex(const uint8_t *s, size_t n, uint8_t *out)
{
    if (n % 2 != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (hexval(s[i]) < 0)
            return 0;
    for (size_t i = 0; i < n; i += 2)
        out[i / 2] = (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1]));
    return n / 2;
}

static size_t decode_base32(const uint8_t *s, size_t n, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i] | 0x20;
        int v;
        if (c >= 'a' && c <= 'z')
            v = c - 'a';
        else if (s[i] >= '2' && s[i] <= '7')
            v = s[i] - '2' + 26;
        else if (s[i] == '=')
            break;
        else
            return 0;
        acc = acc << 5 | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

static size_t decode_base64(const uint8_t *s, size_t n, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (is_digit(c))
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=')
            break;
        else
            return 0;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

int pii_scan_dns_name(const struct pii_scanner *sc, struct pii_scratch *scratch, const char *name,
                      size_t len, struct pii_counts *out)
{
    uint8_t joined[256], dec[256];
    size_t labels = 1, jn = 0;
    if (len > 255)
        len = 255;
    if (len > 0 && name[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++)
        labels += name[i] == '.';
    int rc = pii_scan_buf(sc, scratch, name, len, out);
    if (labels < 3)
        return rc;
    /* join the leading labels that carry data: not the last two (the
     * registered domain), and up to the first short label ("t" in
     * data.data.t.tunnel.example), as tunnels put the payload first */
    size_t seen = 0, start = 0;
    for (size_t i = 0; i <= len && seen < labels - 2; i++) {
        if (i < len && name[i] != '.')
            continue;
        if (i - start < 4)
            break;
        memcpy(joined + jn, name + start, i - start);
        jn += i - start;
        seen++;
        start = i + 1;
    }
    if (jn < 12)
        return rc;
    size_t n = decode_hex(joined, jn, dec);
    if (n > 0)
        rc |= pii_scan_buf(sc, scratch, dec, n, out);
    n = decode_base32(joined, jn, dec);
    if (n > 0)
        rc |= pii_scan_buf(sc, scratch, dec, n, out);
    n = decode_base64(joined, jn, dec);
    if (n > 0)
        rc |= pii_scan_buf(sc, scratch, dec, n, out);
    return rc;
}

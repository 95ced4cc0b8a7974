/* What the parts of the PII scanner share and nothing else sees: the candidate
 * families and triggers, the scanner and scratch handles, the window of bytes
 * around a trigger, and the calls between pattern table, compile, scan,
 * extraction and results. Include only from sensor/pii-*.c. */
#ifndef BW_PII_INTERNAL_H
#define BW_PII_INTERNAL_H

#include "sensor/pii.h"

#include <hs/hs.h>

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

/* ---- pattern table (pii-patterns.c) ---- */

/* One Hyperscan pattern set as hs_compile_multi takes it. */
struct pii_pattern_set {
    const char **exprs;
    unsigned *flags;
    unsigned *ids;
    unsigned n;
    unsigned mode;
    char (*lits)[128]; /* storage of the literal expressions, or NULL */
};

/* Family of each Hyperscan trigger id. */
extern const enum fam pii_trig_fam[T_MAX];

/* Fills ps with the trigger patterns (vectored mode) and cs with the context
 * words as literals (block mode). Returns 0, or -1 with a message in err;
 * both sets are to be released with pii_patterns_fini either way. */
int pii_patterns_build(struct pii_pattern_set *ps, struct pii_pattern_set *cs, struct bw_err *err);
/* Frees what pii_patterns_build allocated; accepts a zeroed set. */
void pii_patterns_fini(struct pii_pattern_set *ps);

/* ---- candidate extraction (pii-extract.c) ---- */

/* Bytes around a trigger: p[0] is at combined offset off; combined offsets
 * count the re-scanned history first, then the current data. */
struct win {
    const uint8_t *p;
    size_t n, off;
};

enum verdict { V_REJECT, V_DEFER, V_OK };

static inline bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_alpha(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline bool is_upper(uint8_t c)
{
    return c >= 'A' && c <= 'Z';
}

static inline bool is_alnum(uint8_t c)
{
    return is_digit(c) || is_alpha(c);
}

static inline size_t total_len(const struct pii_stream *st)
{
    return st->rs_len + st->cur_len;
}

/* Extractors, one per trigger family: take the candidate at window index t,
 * decide it (or defer it to the next feed) and report what validates. */
void pii_extract_digits(struct pii_stream *st, const struct win *w, size_t t, enum fam fam);
void pii_extract_email(struct pii_stream *st, const struct win *w, size_t t);
void pii_extract_name(struct pii_stream *st, const struct win *w, size_t t);

/* ---- results (pii-results.c) ---- */

/* Records one validated match of a stream: counts, confidence histogram,
 * distinct estimator and the match callback. val is borrowed. */
void pii_emit(struct pii_stream *st, enum pii_type type, uint64_t start, uint64_t end,
              unsigned conf, const char *val, size_t vlen);

#endif

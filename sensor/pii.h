/* PII content scanner: finds and validates personal data in payloads and log
 * fields, per stream with constant memory, so a match that straddles a
 * segment boundary is still found. One compiled pattern set (Hyperscan) is
 * shared read-only; each flow direction or log source owns a pii_stream. */
#ifndef BW_PII_H
#define BW_PII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "sensor/distinct.h"
#include "sensor/pii-context.h"

enum pii_type {
    PII_EMAIL = 0,
    PII_CN_MOBILE,
    PII_PHONE_INTL,
    PII_CN_RESIDENT_ID,
    PII_CARD,
    PII_US_SSN,
    PII_IBAN,
    PII_PASSPORT,
    PII_NAME,
    PII_TYPE_MAX
};

/* Confidence histogram: bucket i holds matches with confidence in
 * [i/10, (i+1)/10), the last one also 1.0. */
#define PII_CONF_BUCKETS 10

/* A stream keeps the last PII_HIST bytes it was fed. The last PII_RESCAN of
 * them are scanned again with the next data, so a match up to that long is
 * found across a boundary (longer candidates are dropped there); the rest is
 * the look-back in which context words are searched. */
#define PII_RESCAN 128
#define PII_HIST   (PII_RESCAN + PII_CTX_WINDOW)

/* Match counts, filled by pii_stream_feed. Zero it (or pii_counts_init)
 * before use; counts accumulate over calls. */
struct pii_counts {
    uint64_t matches[PII_TYPE_MAX];             /* validated matches, raw */
    uint64_t conf_hist[PII_CONF_BUCKETS];       /* over all types */
    struct bw_distinct *distinct[PII_TYPE_MAX]; /* caller-owned or NULL: keyed hash of each
                                                   normalised value is added here */
};

/* One validated match, passed to the match callback. */
struct pii_match {
    enum pii_type type;
    uint64_t start, end; /* stream offsets, end exclusive */
    unsigned confidence; /* percent, 1..100 */
    const char *value;   /* normalised value (digits, lower-case email), borrowed */
    size_t value_len;
    uint64_t hash; /* keyed hash of type + value */
};

typedef void (*pii_match_fn)(void *ctx, const struct pii_match *m);

struct pii_scanner;
struct pii_scratch;

/* Per-stream state in caller storage: constant size, no heap. */
struct pii_stream {
    const struct pii_scanner *sc;
    struct pii_scratch *scratch; /* borrowed: the scanner's own unless set */
    uint64_t hist_base;          /* stream offset of hist[0] */
    uint8_t hist[PII_HIST];
    uint32_t hist_len;
    uint32_t sticky_ctx;  /* context classes that hold for the whole stream */
    uint64_t done_end[6]; /* per candidate family: end of the last token decided */
    pii_match_fn on_match;
    void *on_match_ctx;
    /* valid during one feed only: the re-scanned history, then the data */
    uint64_t base; /* stream offset of rs[0] */
    const uint8_t *rs;
    size_t rs_len;
    const uint8_t *cur;
    size_t cur_len;
    struct pii_counts *out;
    bool final;
};

/* Compiles the pattern set. Returns a scanner (free with pii_scanner_free)
 * or NULL with a message in err. The distinct-count key is random until
 * pii_scanner_set_key is called. */
struct pii_scanner *pii_scanner_new(struct bw_err *err);
/* As pii_scanner_new, but the compiled databases are kept in
 * <cache_dir>/pii-patterns.hsdb (Hyperscan's serialized form) under a key of
 * the patterns, flags and Hyperscan version: a later start with the same key
 * loads them instead of compiling; a missing, stale, foreign-platform or
 * unreadable file means a compile and a rewrite. cache_dir NULL: no cache. */
struct pii_scanner *pii_scanner_new_cached(const char *cache_dir, struct bw_err *err);
void pii_scanner_free(struct pii_scanner *sc);

/* Sets the per-installation key for the keyed hash (see
 * bw_distinct_key_load). Call before streams use the scanner. */
void pii_scanner_set_key(struct pii_scanner *sc, const uint8_t key[BW_DISTINCT_KEY_LEN]);

/* A Hyperscan scratch for one more thread. The scanner carries one for the
 * thread that created it; every other thread scanning with it needs its own.
 * Returns NULL with a message in err. */
struct pii_scratch *pii_scratch_new(const struct pii_scanner *sc, struct bw_err *err);
void pii_scratch_free(struct pii_scratch *s);

void pii_counts_init(struct pii_counts *c);

/* Starts a stream using the scanner's own scratch (one thread). */
void pii_stream_init(struct pii_stream *st, const struct pii_scanner *sc);
/* Uses a worker's scratch (borrowed) for this stream. */
void pii_stream_use_scratch(struct pii_stream *st, struct pii_scratch *s);
/* Reports every validated match to fn (value bytes valid during the call). */
void pii_stream_on_match(struct pii_stream *st, pii_match_fn fn, void *ctx);

/* Declares context for the whole stream, e.g. column names of a result set
 * or a CSV header: every context word found in text holds for all later
 * matches of this stream. Text is borrowed. */
void pii_stream_add_context(struct pii_stream *st, const void *text, size_t len);

/* Scans the next bytes of the stream (borrowed for the call) and adds what
 * it found to out. A candidate reaching the end of data is kept in the history
 * and decided by a later feed or by pii_stream_flush. Never allocates.
 * Returns 0, or -1 when the pattern engine failed (counts are partial). */
int pii_stream_feed(struct pii_stream *st, const uint8_t *data, size_t len, struct pii_counts *out);

/* Ends the stream: decides the candidates still held in the history. */
int pii_stream_flush(struct pii_stream *st, struct pii_counts *out);
void pii_stream_fini(struct pii_stream *st);

/* One-shot scan of a complete buffer (a log field, a decoded DNS name);
 * scratch NULL means the scanner's own (one thread). */
int pii_scan_buf(const struct pii_scanner *sc, struct pii_scratch *scratch, const void *data,
                 size_t len, struct pii_counts *out);

/* Scans a DNS name: the leading labels before the registered domain (the
 * last two labels) are joined up to the first label shorter than 4 bytes
 * and, when they look like hex, base32 or base64, decoded and scanned; the
 * name as written is scanned as well. */
int pii_scan_dns_name(const struct pii_scanner *sc, struct pii_scratch *scratch, const char *name,
                      size_t len, struct pii_counts *out);

/* Name of a type as used in JSON (email, cn_mobile, phone_intl,
 * cn_resident_id, card_number, us_ssn, iban, passport, person_name). */
const char *pii_type_name(enum pii_type t);
/* Parses a type name; returns the type or -1. */
int pii_type_from_name(const char *name);
/* Data category of a type as in config/data-classes.yaml: national_id,
 * financial, contact or identity. */
const char *pii_type_category(enum pii_type t);

/* Best estimate of the distinct people behind the counts: the largest
 * distinct count over the types (one person usually carries each type once). */
uint64_t pii_counts_records(const struct pii_counts *c);

#endif

/* What the DNS payload files share (internal to sensor/dns-payload*.c): the
 * stream and table structs, the sizes and the hashes. The stages a query name
 * takes: dns-payload.c (entry: registered domain, verdict, results),
 * dns-payload-seen.c (repeats and resolver copies), dns-payload-stream.c (the
 * stream table: LRU, estimator pool), dns-payload-zone.c (zone learning),
 * dns-payload-decode.c (labels, encodings, decoding, the scanner feed). */
#ifndef BW_DNS_PAYLOAD_INTERNAL_H
#define BW_DNS_PAYLOAD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/distinct.h"
#include "sensor/dns-payload.h"
#include "sensor/pii.h"

#define DP_NAME_MAX     255 /* longest name text handled (a DNS name is <= 253) */
#define DP_DOMAIN_MAX   192
#define DP_LABELS_MAX   128
#define DP_ENC_SETTLE   64 /* payload characters after which the encoding guess stands */
#define DP_EVIDENCE_LEN 8  /* labels this long or longer decide the encoding */
#define DP_ZONE_GROW    3  /* consecutive names agreeing on a longer suffix grow the zone */
#define DP_SCORE_SYMS   96 /* symbols decoded both ways to tell a new message */

/* ---------------------------------------------------------------- hashing */

static inline uint64_t dp_fnv_fold(uint64_t h, const char *s, size_t n)
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

static inline uint64_t dp_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* 0 for an unknown address, never 0 otherwise. */
static inline uint64_t dp_addr_hash(const struct bw_addr *a)
{
    if (a == NULL || a->family == 0)
        return 0;
    uint64_t h = 0xcbf29ce484222325ull ^ a->family;
    for (int i = 0; i < 16; i++) {
        h ^= a->bytes[i];
        h *= 0x100000001b3ull;
    }
    return dp_mix64(h) | 1;
}

static inline size_t dp_strip_dot(const char *name, size_t len)
{
    while (len > 0 && name[len - 1] == '.')
        len--;
    return len;
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

/* ---- dns-payload-stream.c ---- */

/* Key of the stream of (actor, registered domain d of n bytes); never 0. */
uint64_t dp_stream_key(const struct bw_addr *actor, const char *domain, size_t n);
/* The table's stream of (actor, domain), NULL when none (borrowed). */
struct dp_stream *dp_stream_find(const struct dns_payload *dp, const struct bw_addr *actor,
                                 const char *domain, size_t n, uint64_t key);
/* Opens a stream for (actor, domain) in a free slot or in place of the least
 * recently used one (evicted, counted). Never NULL; no heap. */
struct dp_stream *dp_stream_open(struct dns_payload *dp, const struct bw_addr *actor,
                                 const char *domain, size_t n, uint64_t key);

/* ---- dns-payload-zone.c ---- */

/* Zone learning and decoding for one name (n bytes, no trailing dot) of
 * stream s; what was decoded is added to res. */
void dp_stream_name(struct dns_payload *dp, struct dp_stream *s, const char *name, size_t n,
                    struct dns_payload_result *res);

/* ---- dns-payload-decode.c ---- */

/* Decodes the payload labels name[0 .. n) (the part left of the zone) with
 * the stream's encoding and carry, and feeds the bytes to its scanner. */
void dp_decode_part(struct dns_payload *dp, struct dp_stream *s, const char *name, size_t n,
                    struct dns_payload_result *res);

#endif

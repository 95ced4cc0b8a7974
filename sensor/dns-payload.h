/* DNS payload streams: the data a tunnel encodes into query names, put back
 * together per (actor, registered domain) across labels and queries, decoded
 * and fed to the streaming PII scanner, so that a customer record split over
 * two queries is still counted once. Shared by the DNS packet parser and the
 * resolver log formats (dnsmasq, BIND). */
#ifndef BW_DNS_PAYLOAD_H
#define BW_DNS_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"
#include "sensor/access.h"
#include "sensor/pii.h"

/* Sizes; the memory they cost is fixed when a table is made (see
 * docs/pii.md, "DNS payload streams"). */
#define DNS_PAYLOAD_STREAMS    128 /* (actor, domain) streams per table, LRU-evicted */
#define DNS_PAYLOAD_ESTIMATORS 96  /* distinct estimators (4 KiB each) per table */
#define DNS_PAYLOAD_MIN_SUB                                                                        \
    20                           /* a name opens a stream with this many bytes left of             \
                                    its registered domain (continuations need not) */
#define DNS_SEEN_SETS       1024 /* recent-name cache: sets of DNS_SEEN_WAYS names */
#define DNS_SEEN_WAYS       4
#define DNS_SEEN_FORWARDERS 64          /* (resolver, domain) pairs known to forward */
#define DNS_SEEN_WINDOW_US  300000000ll /* a name repeated within 5 min is a repeat */

/* How a stream's data labels are written. */
enum dns_enc {
    DNS_ENC_UNKNOWN = 0,
    DNS_ENC_HEX,
    DNS_ENC_BASE32,    /* RFC 4648 alphabet a-z 2-7, case folded */
    DNS_ENC_BASE32HEX, /* RFC 4648 "extended hex" alphabet 0-9 a-v */
    DNS_ENC_BASE64URL, /* A-Z a-z 0-9 - _, case preserved */
    DNS_ENC_PLAIN,     /* in no alphabet: the labels are scanned as written */
};

/* What became of one query name. */
enum dns_seen_verdict {
    DNS_SEEN_NEW = 0, /* first sight: its payload is decoded */
    DNS_SEEN_REPEAT,  /* the same name again (retransmission, another asker) */
    DNS_SEEN_FORWARD, /* a resolver's copy of a name its client sent it */
};

/* Recent query names of a whole sensor, shared by every worker's table (a
 * mutex inside): tells repeats and a resolver's forwarded copies from first
 * sightings whichever worker sees which leg first. Fixed size, no heap after
 * creation. */
struct dns_seen;

/* Creates an empty cache. Returns NULL with err. */
struct dns_seen *dns_seen_new(struct bw_err *err);
/* Accepts NULL. */
void dns_seen_free(struct dns_seen *s);
/* Classifies the name `name` (len bytes, case folded, trailing dot ignored)
 * asked by actor of server dest (either may be NULL: unknown) at ts_us, and
 * remembers it. A first sighting whose earlier copy came from its own server
 * marks that server a forwarder of `domain` for good; a forwarder's names
 * under that domain are DNS_SEEN_FORWARD from then on. Thread-safe. */
enum dns_seen_verdict dns_seen_check(struct dns_seen *s, const struct bw_addr *actor,
                                     const struct bw_addr *dest, const char *name, size_t len,
                                     const char *domain, size_t domain_len, int64_t ts_us);

/* A table of payload streams for one thread. */
struct dns_payload;

struct dns_payload_stats {
    uint64_t queries;              /* names handed in */
    uint64_t repeats;              /* DNS_SEEN_REPEAT: not decoded again */
    uint64_t forwards;             /* DNS_SEEN_FORWARD: not decoded again */
    uint64_t streams;              /* streams opened */
    uint64_t evictions;            /* streams pushed out by a newer one (LRU) */
    uint64_t labels_data;          /* labels decoded as payload */
    uint64_t labels_seq;           /* counter / sequence labels skipped ("r1p1of2", "0007") */
    uint64_t labels_other;         /* labels outside the stream's alphabet, skipped */
    uint64_t bytes;                /* payload bytes decoded and scanned */
    uint64_t resyncs;              /* a query began a new message (quantum carry dropped) */
    uint64_t enc_changes;          /* a stream's encoding guess was revised */
    uint64_t estimators_exhausted; /* matches that found no estimator free */
    uint64_t scan_errors;          /* the pattern engine failed */
};

/* Creates a table scanning with sc (borrowed, outlives the table; its own
 * scanner scratch is made here) and classifying names with seen (borrowed,
 * may be NULL: then the table keeps a private cache). Returns NULL with err. */
struct dns_payload *dns_payload_new(const struct pii_scanner *sc, struct dns_seen *seen,
                                    struct bw_err *err);
/* Accepts NULL. */
void dns_payload_free(struct dns_payload *dp);

/* What one query added. `pii.matches` holds this query's new matches and
 * `pii.distinct[t]` (for types with new matches) the stream's running
 * estimator, so that a detector's union over events counts each person once.
 * Valid until the next call on the same table. */
struct dns_payload_result {
    enum dns_seen_verdict verdict;
    enum dns_enc enc; /* the stream's encoding, UNKNOWN when no stream */
    uint64_t records; /* growth of the stream's distinct-people estimate */
    uint64_t bytes;   /* payload bytes decoded from this name (and a held one) */
    int has_pii;      /* 1 when pii has any match */
    struct pii_counts pii;
};

/* Hands one query name (len bytes, borrowed) of actor (dest: the server
 * asked, may be NULL) to the table and fills res. Never allocates. Returns 0,
 * or -1 when the scanner failed (res partial, counted). */
int dns_payload_query(struct dns_payload *dp, const struct bw_addr *actor,
                      const struct bw_addr *dest, const char *name, size_t len, int64_t ts_us,
                      struct dns_payload_result *res);

/* dns_payload_query for an access event's query name: actor ev->actor_ip,
 * server dest (may be NULL), time ev->ts_us; on findings ev->pii points into
 * res (caller storage, must outlive the emit) and ev->records takes the new
 * distinct people (records_src PII). Returns the verdict: callers emit no
 * access event for DNS_SEEN_FORWARD (a resolver's copy is not an actor of its
 * own; its client's event stands for it). dp NULL does nothing (NEW). */
enum dns_seen_verdict dns_payload_access(struct dns_payload *dp, const struct bw_addr *dest,
                                         const char *name, size_t len, struct bw_access *ev,
                                         struct dns_payload_result *res);

/* The zone learned for (actor, domain): the common label suffix of the
 * stream's recent names ("sa5cd.exfil-tunnel.test"), or NULL when the table
 * holds no such stream or nothing is learned yet. Borrowed until the next
 * call. For tests and diagnostics. */
const char *dns_payload_zone(const struct dns_payload *dp, const struct bw_addr *actor,
                             const char *domain);

/* Counters so far. */
void dns_payload_get_stats(const struct dns_payload *dp, struct dns_payload_stats *out);
/* Bytes the table holds (streams, estimators, scratch excluded): the cap. */
size_t dns_payload_memory(void);
/* "hex", "base32", "base32hex", "base64url", "plain" or "unknown". */
const char *dns_enc_name(enum dns_enc e);

#endif

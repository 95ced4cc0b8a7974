/* DNS payload, stream table: the fixed table of (actor, registered domain)
 * streams of one thread (LRU eviction) and the pool of distinct estimators a
 * stream takes on its first match of a type; the table's life cycle. */
#include "sensor/dns-payload.h"

#include <stdlib.h>
#include <string.h>

#include "sensor/dns-payload-internal.h"

_Static_assert(DNS_PAYLOAD_ESTIMATORS <= 65535, "estimator indices fit");

size_t dns_payload_memory(void)
{
    return sizeof(struct dns_payload) + DNS_PAYLOAD_STREAMS * sizeof(struct dp_stream) +
           DNS_PAYLOAD_ESTIMATORS * sizeof(struct bw_distinct);
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

uint64_t dp_stream_key(const struct bw_addr *actor, const char *domain, size_t n)
{
    return dp_mix64(dp_addr_hash(actor) ^ dp_fnv_fold(0x9e3779b97f4a7c15ull, domain, n)) | 1;
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

struct dp_stream *dp_stream_find(const struct dns_payload *dp, const struct bw_addr *actor,
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

struct dp_stream *dp_stream_open(struct dns_payload *dp, const struct bw_addr *actor,
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

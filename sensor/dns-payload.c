/* DNS payload streams, the entry (see dns-payload.h): a query name's
 * registered domain, its verdict from the recent-name cache
 * (dns-payload-seen.c), its stream (dns-payload-stream.c), zone learning and
 * decoding (dns-payload-zone.c, dns-payload-decode.c) and what it added. */
#include "sensor/dns-payload.h"

#include <string.h>

#include "sensor/dns-name.h"
#include "sensor/dns-payload-internal.h"

int dns_payload_query(struct dns_payload *dp, const struct bw_addr *actor,
                      const struct bw_addr *dest, const char *name, size_t len, int64_t ts_us,
                      struct dns_payload_result *res)
{
    memset(res, 0, sizeof(*res));
    dp->st.queries++;
    len = dp_strip_dot(name, len);
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
    uint64_t key = dp_stream_key(actor, name + rd, dlen);
    struct dp_stream *s = dp_stream_find(dp, actor, name + rd, dlen, key);
    if (s == NULL) {
        if (rd - 1 < DNS_PAYLOAD_MIN_SUB)
            return 0;
        s = dp_stream_open(dp, actor, name + rd, dlen, key);
    }
    s->lru = ++dp->clock;
    uint64_t before[PII_TYPE_MAX], hist[PII_CONF_BUCKETS];
    memcpy(before, s->total.matches, sizeof(before));
    memcpy(hist, s->total.conf_hist, sizeof(hist));
    uint64_t errs = dp->st.scan_errors;
    dp_stream_name(dp, s, name, len, res);
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
    uint64_t key = dp_stream_key(actor, domain, n);
    struct dp_stream *s = dp_stream_find(dp, actor, domain, n, key);
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

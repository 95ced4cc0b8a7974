/* What the PII scanner reports: each validated match counted by type and
 * confidence, its keyed hash added to the caller's distinct estimator and
 * handed to the match callback; and the record count read back from them. */
#include "sensor/pii-internal.h"

#include <string.h>

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

void pii_emit(struct pii_stream *st, enum pii_type type, uint64_t start, uint64_t end,
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

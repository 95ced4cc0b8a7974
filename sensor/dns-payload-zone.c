/* DNS payload, zone learning: the common label suffix of a stream's recent
 * names is its zone (held until a second name tells payload from zone,
 * narrowed by a name outside it, widened by names agreeing on a longer one);
 * what is left of the zone goes to the decoder. */
#include "sensor/dns-payload.h"

#include <string.h>

#include "sensor/dns-payload-internal.h"

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

/* Zone learning and decoding for one name (n bytes, no trailing dot). */
void dp_stream_name(struct dns_payload *dp, struct dp_stream *s, const char *name, size_t n,
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
            dp_decode_part(dp, s, s->prev, s->prev_len - s->zone_len - 1, res);
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
            uint64_t h = dp_fnv_fold(1, name + n - cand, cand);
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
        dp_decode_part(dp, s, name, n - s->zone_len - 1, res);
    memcpy(s->prev, name, n);
    s->prev_len = (uint16_t)n;
}

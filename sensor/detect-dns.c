/* DNS name measures (see detect-dns.h). */
#include "sensor/detect-dns.h"

#include <math.h>
#include <strings.h>

static int is_sld_suffix(const char *l, size_t n)
{
    static const char *const v[] = {"co",  "com", "net", "org", "gov",
                                    "edu", "ac",  "or",  "ne",  NULL};
    for (int i = 0; v[i]; i++) {
        size_t k = 0;
        while (v[i][k])
            k++;
        if (k == n && strncasecmp(l, v[i], n) == 0)
            return 1;
    }
    return 0;
}

void dns_split_name(const char *name, size_t n, struct dns_split *out)
{
    if (n > 0 && name[n - 1] == '.')
        n--;
    /* label starts, from the end */
    size_t dots[3];
    int nd = 0;
    for (size_t i = n; i > 0 && nd < 3; i--)
        if (name[i - 1] == '.')
            dots[nd++] = i - 1;
    size_t start = 0;
    if (nd >= 2) {
        start = dots[1] + 1;
        /* example.co.uk: "co" is a second-level suffix under a two-letter TLD */
        size_t tld_len = n - dots[0] - 1, sld_len = dots[0] - dots[1] - 1;
        if (tld_len == 2 && is_sld_suffix(name + dots[1] + 1, sld_len))
            start = nd >= 3 ? dots[2] + 1 : 0;
    }
    out->reg = name + start;
    out->reg_len = n - start;
    out->sub_len = start > 0 ? start - 1 : 0;
    out->label_max = 0;
    out->entropy = 0;
    unsigned cnt[256] = {0}, total = 0, cur = 0;
    for (size_t i = 0; i < out->sub_len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            cur = 0;
            continue;
        }
        if (++cur > out->label_max)
            out->label_max = (uint16_t)(cur > 65535 ? 65535 : cur);
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        cnt[c]++;
        total++;
    }
    for (int c = 0; c < 256 && total; c++)
        if (cnt[c]) {
            double p = (double)cnt[c] / total;
            out->entropy -= p * log2(p);
        }
}

/* DNS query name measures for tunnelling detection. */
#include "sensor/dns-name.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void dns_name_measure(const char *name, size_t len, struct bw_access *ev)
{
    while (len > 0 && name[len - 1] == '.')
        len--;
    size_t labels = 0, lmax = 0, cur = 0;
    size_t dots[3] = {len, len, len}; /* positions of the last three dots */
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '.') {
            labels++;
            if (cur > lmax)
                lmax = cur;
            cur = 0;
            dots[2] = dots[1];
            dots[1] = dots[0];
            dots[0] = i;
        } else {
            cur++;
        }
    }
    if (len > 0)
        labels++;
    if (cur > lmax)
        lmax = cur;
    ev->dns_name_len = len > 65535 ? 65535 : (uint16_t)len;
    ev->dns_labels = (uint16_t)(labels > 65535 ? 65535 : labels);
    ev->dns_label_max = (uint16_t)(lmax > 65535 ? 65535 : lmax);
    /* Registered domain: last two labels; three when the second-level label
     * is a short public suffix part (co.uk, com.cn). */
    size_t reg = 0;
    if (labels > 2) {
        reg = dots[1] + 1;
        size_t sl = dots[0] - reg; /* second-level label length */
        if (sl <= 3 && labels > 3 && (len - dots[0] - 1) == 2)
            reg = dots[2] + 1;
    }
    size_t rn = len - reg;
    snprintf(ev->dataset, sizeof(ev->dataset), "%.*s", (int)(rn < 127 ? rn : 127), name + reg);
    for (char *p = ev->dataset; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(ev->detail, sizeof(ev->detail), "%.*s", (int)(len < 255 ? len : 255), name);
    /* Entropy of the subdomain part (without its final dot). */
    size_t sub = reg > 0 ? reg - 1 : 0;
    unsigned counts[256] = {0};
    size_t total = 0;
    for (size_t i = 0; i < sub; i++) {
        if (name[i] == '.')
            continue;
        counts[(unsigned char)tolower((unsigned char)name[i])]++;
        total++;
    }
    double h = 0;
    for (int c = 0; c < 256 && total > 0; c++) {
        if (counts[c] == 0)
            continue;
        double p = (double)counts[c] / (double)total;
        h -= p * log2(p);
    }
    ev->dns_entropy = h;
}

uint16_t dns_qtype_num(const char *s, size_t len)
{
    static const struct {
        const char *name;
        uint16_t num;
    } types[] = {
        {"A", 1},      {"NS", 2},    {"CNAME", 5},   {"SOA", 6},   {"PTR", 12},   {"HINFO", 13},
        {"MX", 15},    {"TXT", 16},  {"AAAA", 28},   {"SRV", 33},  {"NAPTR", 35}, {"DS", 43},
        {"RRSIG", 46}, {"NSEC", 47}, {"DNSKEY", 48}, {"SVCB", 64}, {"HTTPS", 65}, {"SPF", 99},
        {"AXFR", 252}, {"ANY", 255}, {"CAA", 257},   {"NULL", 10},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strlen(types[i].name) == len && strncasecmp(s, types[i].name, len) == 0)
            return types[i].num;
    if (len > 4 && strncasecmp(s, "TYPE", 4) == 0) {
        unsigned v = 0;
        for (size_t i = 4; i < len; i++) {
            if (!isdigit((unsigned char)s[i]) || v > 6553)
                return 0;
            v = v * 10 + (unsigned)(s[i] - '0');
        }
        return v <= 65535 ? (uint16_t)v : 0;
    }
    return 0;
}

/* DNS query name measures for tunnelling detection. */
#include "sensor/dns-name.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t dns_registered_domain(const char *name, size_t len)
{
    static const char *const sld[] = {"co",  "com", "net", "org",  "gov", "edu", "ac",
                                      "or",  "ne",  "go",  "gob",  "mil", "nic", "ltd",
                                      "plc", "gen", "biz", "info", NULL};
    while (len > 0 && name[len - 1] == '.')
        len--;
    size_t dots[3] = {0, 0, 0}; /* positions after the last three dots, from the end */
    int nd = 0;
    for (size_t i = len; i > 0 && nd < 3; i--)
        if (name[i - 1] == '.')
            dots[nd++] = i;
    if (nd < 2)
        return 0;
    size_t tld_len = len - dots[0];
    size_t sl_start = dots[1], sl_len = dots[0] - 1 - dots[1];
    if (tld_len == 2) {
        for (size_t k = 0; sld[k] != NULL; k++)
            if (strlen(sld[k]) == sl_len && strncasecmp(name + sl_start, sld[k], sl_len) == 0)
                return nd >= 3 ? dots[2] : 0;
    }
    return dots[1];
}

double dns_entropy(const char *s, size_t len)
{
    unsigned counts[256];
    memset(counts, 0, sizeof(counts));
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.')
            continue;
        counts[(uint8_t)tolower((unsigned char)s[i])]++;
        n++;
    }
    if (n == 0)
        return 0.0;
    double h = 0.0;
    for (int i = 0; i < 256; i++) {
        if (counts[i] == 0)
            continue;
        double p = (double)counts[i] / (double)n;
        h -= p * log2(p);
    }
    return h;
}

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
    size_t reg = dns_registered_domain(name, len);
    size_t rn = len - reg;
    snprintf(ev->dataset, sizeof(ev->dataset), "%.*s", (int)(rn < 127 ? rn : 127), name + reg);
    for (char *p = ev->dataset; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(ev->detail, sizeof(ev->detail), "%.*s", (int)(len < 255 ? len : 255), name);
    /* Entropy of the subdomain part (without its final dot). */
    ev->dns_entropy = dns_entropy(name, reg > 0 ? reg - 1 : 0);
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

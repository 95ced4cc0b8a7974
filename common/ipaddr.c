/* IP addresses and CIDR sets. */
#include "common/ipaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"

/* Dotted quad as inet_pton(AF_INET) takes it: four decimal parts of 1-3
 * digits, each <= 255, no leading zero, nothing else. Without the library
 * call (log sources parse an address per line). 0 or -1. */
static int parse_v4(const char *s, uint8_t out[4])
{
    for (int k = 0; k < 4; k++) {
        if (k > 0 && *s++ != '.')
            return -1;
        if (*s < '0' || *s > '9')
            return -1;
        unsigned v = (unsigned)(*s++ - '0');
        for (int d = 1; d < 3 && *s >= '0' && *s <= '9'; d++) {
            if (v == 0)
                return -1; /* leading zero */
            v = v * 10 + (unsigned)(*s++ - '0');
        }
        if (v > 255 || (*s >= '0' && *s <= '9'))
            return -1;
        out[k] = (uint8_t)v;
    }
    return *s == '\0' ? 0 : -1;
}

int bw_addr_parse(const char *s, struct bw_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (parse_v4(s, out->bytes) == 0) {
        out->family = AF_INET;
        return 0;
    }
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s, out->bytes) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->bytes) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    memset(out, 0, sizeof(*out));
    return -1;
}

/* Dotted quad without inet_ntop (which goes through sprintf): returns the
 * length written, NUL excluded. */
static size_t fmt_v4(const uint8_t b[4], char *out)
{
    char *w = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100) {
            *w++ = (char)('0' + v / 100);
            v %= 100;
            *w++ = (char)('0' + v / 10);
        } else if (v >= 10) {
            *w++ = (char)('0' + v / 10);
        }
        *w++ = (char)('0' + v % 10);
        *w++ = '.';
    }
    w[-1] = '\0';
    return (size_t)(w - 1 - out);
}

char *bw_addr_fmt(const struct bw_addr *a, char *out)
{
    if (a->family == AF_INET) {
        fmt_v4(a->bytes, out);
        return out;
    }
    if (a->family == AF_INET6) {
        if (inet_ntop(a->family, a->bytes, out, BW_ADDR_STRLEN) != NULL)
            return out;
    }
    strcpy(out, "");
    return out;
}

bool bw_addr_eq(const struct bw_addr *a, const struct bw_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

int bw_addr_cmp(const struct bw_addr *a, const struct bw_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, 16);
}

void bw_addr_from_v4(struct bw_addr *a, const uint8_t v4[4])
{
    memset(a, 0, sizeof(*a));
    a->family = AF_INET;
    memcpy(a->bytes, v4, 4);
}

void bw_addr_from_v6(struct bw_addr *a, const uint8_t v6[16])
{
    a->family = AF_INET6;
    memcpy(a->bytes, v6, 16);
}

socklen_t bw_addr_to_sockaddr(const struct bw_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, a->bytes, 4);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    memcpy(&sin6->sin6_addr, a->bytes, 16);
    return sizeof(*sin6);
}

static void cidr_mask(struct bw_cidr *c)
{
    unsigned bits = c->addr.family == AF_INET ? 32 : 128;
    for (unsigned i = 0; i < bits / 8; i++) {
        unsigned lo = i * 8;
        if (c->prefix >= lo + 8)
            continue;
        unsigned keep = c->prefix > lo ? c->prefix - lo : 0;
        c->addr.bytes[i] &= (uint8_t)(0xFF00u >> keep);
    }
}

int bw_cidr_parse(const char *s, struct bw_cidr *out, const char **reason)
{
    char tmp[64];
    size_t n = strlen(s);
    if (n >= sizeof(tmp)) {
        if (reason)
            *reason = "too long for an address";
        return -1;
    }
    memcpy(tmp, s, n + 1);
    char *slash = strchr(tmp, '/');
    if (slash)
        *slash = '\0';
    if (bw_addr_parse(tmp, &out->addr) != 0) {
        if (reason)
            *reason = "not an IPv4 or IPv6 address";
        return -1;
    }
    uint64_t max = out->addr.family == AF_INET ? 32 : 128, p = max;
    if (slash && bw_parse_u64(slash + 1, 0, max, &p, reason) != 0)
        return -1;
    out->prefix = (uint8_t)p;
    cidr_mask(out);
    return 0;
}

bool bw_cidr_contains(const struct bw_cidr *c, const struct bw_addr *a)
{
    if (c->addr.family != a->family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr.bytes, a->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFF00u >> rest);
    return (a->bytes[full] & mask) == c->addr.bytes[full];
}

void bw_cidr_set_init(struct bw_cidr_set *s)
{
    s->v = NULL;
    s->n = s->cap = 0;
}

void bw_cidr_set_fini(struct bw_cidr_set *s)
{
    free(s->v);
    bw_cidr_set_init(s);
}

int bw_cidr_set_add(struct bw_cidr_set *s, const struct bw_cidr *c)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct bw_cidr *nv = realloc(s->v, cap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = *c;
    return 0;
}

bool bw_cidr_set_contains(const struct bw_cidr_set *s, const struct bw_addr *a)
{
    for (size_t i = 0; i < s->n; i++)
        if (bw_cidr_contains(&s->v[i], a))
            return true;
    return false;
}

int bw_cidr_set_add_private(struct bw_cidr_set *s)
{
    static const char *priv[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"};
    for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
        struct bw_cidr c;
        if (bw_cidr_parse(priv[i], &c, NULL) != 0 || bw_cidr_set_add(s, &c) != 0)
            return -1;
    }
    return 0;
}

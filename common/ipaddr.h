/* IP addresses and CIDR sets (home_net, allowlists, rule matches) for IPv4
 * and IPv6 in one representation. */
#ifndef BW_IPADDR_H
#define BW_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

struct bw_addr {
    uint8_t family;    /* AF_INET or AF_INET6; 0 = unset */
    uint8_t bytes[16]; /* network order; IPv4 in bytes[0..3], rest zero */
};

struct bw_cidr {
    struct bw_addr addr; /* masked network address */
    uint8_t prefix;      /* 0..32 or 0..128 */
};

/* A small set of prefixes, searched linearly (home_net and allowlists hold a
 * handful of entries; rules compile theirs into the same form). */
struct bw_cidr_set {
    struct bw_cidr *v;
    size_t n, cap;
};

#define BW_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

int bw_addr_parse(const char *s, struct bw_addr *out) BW_WUR;
/* Formats into out (at least BW_ADDR_STRLEN bytes). Returns out. */
char *bw_addr_fmt(const struct bw_addr *a, char *out);
bool bw_addr_eq(const struct bw_addr *a, const struct bw_addr *b);
/* Memcmp-style order (family first). */
int bw_addr_cmp(const struct bw_addr *a, const struct bw_addr *b);
void bw_addr_from_v4(struct bw_addr *a, const uint8_t v4[4]);
void bw_addr_from_v6(struct bw_addr *a, const uint8_t v6[16]);
/* Fills a sockaddr (for libmaxminddb, connect). Returns its length. */
socklen_t bw_addr_to_sockaddr(const struct bw_addr *a, uint16_t port, struct sockaddr_storage *ss);

/* "10.0.0.0/8", "fd00::/8", or a bare address (full-length prefix). */
int bw_cidr_parse(const char *s, struct bw_cidr *out, const char **reason) BW_WUR;
bool bw_cidr_contains(const struct bw_cidr *c, const struct bw_addr *a);

void bw_cidr_set_init(struct bw_cidr_set *s);
void bw_cidr_set_fini(struct bw_cidr_set *s);
int bw_cidr_set_add(struct bw_cidr_set *s, const struct bw_cidr *c) BW_WUR;
bool bw_cidr_set_contains(const struct bw_cidr_set *s, const struct bw_addr *a);
/* RFC 1918, RFC 6598 is not included; IPv6 unique-local fc00::/7 (DESIGN.md). */
int bw_cidr_set_add_private(struct bw_cidr_set *s) BW_WUR;

#endif

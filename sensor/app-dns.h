/* DNS parser (app-dns.c) over UDP and TCP: queries and answers as `dns` EVE
 * events (Suricata v2 layout) and one access event per query carrying the
 * tunnelling measures. The helpers below are exported for tests. */
#ifndef BW_APP_DNS_H
#define BW_APP_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/app.h"

extern const struct app_proto app_dns_udp;
extern const struct app_proto app_dns_tcp;

#define DNS_NAME_MAX 1025 /* decoded names are cut here, as Suricata does */
#define DNS_MAX_HOPS 64   /* compression pointers followed per name */

/* A decoded name: the text (cut at DNS_NAME_MAX) and measures of the whole. */
struct dns_name {
    char s[DNS_NAME_MAX + 1];
    uint16_t len;      /* bytes in s */
    uint32_t full_len; /* length of the whole name as text, without a trailing dot */
    uint16_t labels, label_max;
    uint8_t truncated;
    char tail[3 * 64]; /* the last three labels, for the registered domain of a cut name */
    uint16_t tail_len;
};

/* Decodes the name at *off in a message of mlen bytes, following compression
 * pointers (forward ones too) up to DNS_MAX_HOPS. On success returns 0 and
 * moves *off past the name where it was written; -1 on a malformed name. */
int dns_name_read(const uint8_t *msg, size_t mlen, size_t *off, struct dns_name *out);

#endif

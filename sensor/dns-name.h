/* Measures of a DNS query name used by tunnelling detection: length, labels,
 * longest label and the entropy of the part below the registered domain.
 * Shared by the DNS packet parser and the resolver log parsers. */
#ifndef BW_DNS_NAME_H
#define BW_DNS_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/access.h"

/* Fills ev->dns_name_len, dns_labels, dns_label_max, dns_entropy, and the
 * registered domain (the last two labels, three when the second-level label
 * is short like co.uk) into ev->dataset; the name (capped) into ev->detail. A
 * trailing dot is ignored. */
void dns_name_measure(const char *name, size_t len, struct bw_access *ev);
/* Offset in `name` where its registered domain starts (0 when the name is
 * itself one). An approximation of the public-suffix list: the last two labels,
 * or three when the second-to-last is a common second-level suffix under a
 * two-letter country code (co.uk, com.cn, ...). */
size_t dns_registered_domain(const char *name, size_t len);
/* Shannon entropy (bits per character) of `s`, dots ignored, case folded
 * (resolvers may randomise case, RFC draft "0x20"). */
double dns_entropy(const char *s, size_t len);
/* Query type number for a mnemonic ("A" -> 1, "TXT" -> 16, "TYPE65" -> 65), 0 if unknown. */
uint16_t dns_qtype_num(const char *s, size_t len);

#endif

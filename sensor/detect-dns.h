/* DNS measures for tunnelling detection: registered domain of a query name
 * (last two labels, three under a short list of second-level public
 * suffixes), the subdomain part below it, its longest label and its Shannon
 * entropy. Used when the producer did not fill them (log sources). */
#ifndef BW_DETECT_DNS_H
#define BW_DETECT_DNS_H

#include <stddef.h>
#include <stdint.h>

struct dns_split {
    const char *reg; /* registered domain inside the name (borrowed) */
    size_t reg_len;
    size_t sub_len;     /* subdomain = name[0 .. sub_len), without the dot; 0 = none */
    uint16_t label_max; /* longest label of the subdomain part */
    double entropy;     /* bits per character over the subdomain part (dots excluded) */
};

/* Splits `name` (n bytes, a trailing dot ignored). Never fails: a name of one
 * label is its own registered domain. */
void dns_split_name(const char *name, size_t n, struct dns_split *out);

#endif

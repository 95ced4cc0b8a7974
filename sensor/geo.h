/* GeoIP/ASN enrichment: maps an address to a country code and an autonomous
 * system, read from MaxMind DB (.mmdb) files through libmaxminddb. */
#ifndef BW_SENSOR_GEO_H
#define BW_SENSOR_GEO_H

#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "common/ipaddr.h"

/* Longest autonomous system organisation kept, NUL included; longer names
 * are cut at a UTF-8 character boundary. */
#define GEO_ORG_MAX 96

/* Returned by geo_lookup when nothing is known about an address. */
#define GEO_UNKNOWN 1

/* What the databases say about one address. Empty string / 0 = unknown. */
struct geo_result {
    char country[3];           /* ISO 3166-1 alpha-2 of "country", e.g. "SE" */
    uint32_t asn;              /* autonomous_system_number */
    char asn_org[GEO_ORG_MAX]; /* autonomous_system_organization */
};

/* Counters since geo_new. hits + misses == lookups; errors counts database
 * reads that failed (corrupt tree or record, wrong types; such a record is
 * ignored as a whole), and the lookup that
 * met them still counts as a hit or a miss. */
struct geo_stats {
    uint64_t lookups;
    uint64_t hits;   /* at least one field known */
    uint64_t misses; /* nothing known */
    uint64_t errors;
};

struct geo;

/* Open the databases: COUNTRY_DB (GeoLite2-Country/City shape, or
 * Breachwatch's combined breachwatch-geo.mmdb) and, when not NULL and not the
 * same path, ASN_DB (GeoLite2-ASN shape). Either may be NULL, not both. Every
 * field is read from whichever database has it, country database first, so
 * the combined file alone gives country and ASN. The files are memory-mapped
 * and must not be rewritten in place while open (replace them by rename).
 * Returns a handle the caller frees with geo_free, or NULL with ERR filled. */
struct geo *geo_new(const char *country_db, const char *asn_db, struct bw_err *err) BW_WUR;

/* The database opened when the configuration names none: Breachwatch's
 * own, beside the configuration file (or under ./config without one). */
#define GEO_DEFAULT_DB "geoip/breachwatch-geo.mmdb"

/* Open the databases named by the `geoip` section of CFG: `enabled` (bool,
 * default true), `country_db` (default GEO_DEFAULT_DB), `asn_db` (default
 * none; "" = none). Relative paths are relative to the configuration file.
 * Returns 0 with *OUT the handle (the caller frees it), 0 with *OUT NULL
 * when enrichment is disabled, or -1 with ERR filled (file:line:col for a
 * bad key or value, the path for a file that does not open). */
int geo_from_config(const struct bw_config *cfg, struct geo **out, struct bw_err *err) BW_WUR;

/* Close the databases and free G. Accepts NULL. */
void geo_free(struct geo *g);

/* Look up ADDR (AF_INET or AF_INET6; IPv4-mapped IPv6 is looked up as IPv4)
 * and fill OUT, which is always fully written. No allocation, no string
 * formatting; safe to call from several threads on one handle. A corrupt
 * database or an unsupported family gives "unknown" and a counter, never a
 * crash. Returns 0 when at least one field is known, GEO_UNKNOWN otherwise. */
int geo_lookup(const struct geo *g, const struct bw_addr *addr, struct geo_result *out);

/* Copy the counters of G into OUT. */
void geo_get_stats(const struct geo *g, struct geo_stats *out);

#endif

/* GeoIP/ASN enrichment: looks addresses up in MaxMind DB files (a country or
 * city database, an ASN database, or Breachwatch's combined one) so that
 * alerts can say where data went ("dest_geo"). */
#include "sensor/geo.h"

#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/yaml-tree.h"

/* At most two files: the country database and a separate ASN database. */
#define GEO_MAX_DB 2

struct geo_db {
    MMDB_s mmdb;
    uint16_t ip_version; /* 4 or 6, from the metadata */
};

struct geo {
    struct geo_db db[GEO_MAX_DB];
    int ndb;
    /* Counters change on every lookup through a const handle: they live
     * beside it and are updated with relaxed atomics, so one handle can be
     * shared by several threads. */
    struct geo_stats *stats;
    struct geo_stats stats_store;
};

/* What reading one field of an entry gave. */
enum geo_field {
    GEO_FIELD_ABSENT = 0,
    GEO_FIELD_FOUND = 1,
    GEO_FIELD_BAD = -1,
};

/* Add one to counter C. */
static void geo_count(uint64_t *c)
{
    __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* Open PATH into DB. Returns 0, or -1 with ERR filled. */
static int geo_db_open(struct geo_db *db, const char *path, struct bw_err *err)
{
    int status;

    status = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
    if (status != MMDB_SUCCESS) {
        if (status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR)
            bw_err_set(err, "geoip: cannot open %s: %s (%s)", path, MMDB_strerror(status),
                       strerror(errno));
        else
            bw_err_set(err, "geoip: cannot open %s: %s", path, MMDB_strerror(status));
        return -1;
    }
    db->ip_version = db->mmdb.metadata.ip_version;
    return 0;
}

struct geo *geo_new(const char *country_db, const char *asn_db, struct bw_err *err)
{
    struct geo *g = NULL;
    const char *paths[GEO_MAX_DB];
    int npaths = 0;
    int i;

    if (country_db != NULL && country_db[0] != '\0')
        paths[npaths++] = country_db;
    if (asn_db != NULL && asn_db[0] != '\0' && (npaths == 0 || strcmp(asn_db, country_db) != 0))
        paths[npaths++] = asn_db;
    if (npaths == 0) {
        bw_err_set(err, "geoip: no database configured");
        goto fail;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL) {
        bw_err_set(err, "geoip: out of memory");
        goto fail;
    }
    g->stats = &g->stats_store;
    for (i = 0; i < npaths; i++) {
        if (geo_db_open(&g->db[i], paths[i], err) < 0)
            goto fail;
        g->ndb++;
    }
    return g;
fail:
    geo_free(g);
    return NULL;
}

/* Resolve the path in NODE (or DEF when NODE is NULL) against the
 * configuration into OUT. Returns 0, or -1 with ERR filled. */
static int geo_config_path(const struct bw_config *cfg, const struct bw_ynode *node,
                           const char *def, char *out, size_t outlen, struct bw_err *err)
{
    const char *p = def;

    if (node != NULL && bw_yget_str(&cfg->doc, node, &p, err) != 0)
        return -1;
    if (p[0] == '\0') {
        out[0] = '\0';
        return 0;
    }
    if (node == NULL && cfg->path[0] == '\0') {
        /* No configuration file: the tree's own config/ folder. */
        snprintf(out, outlen, "config/%s", p);
    } else {
        config_path(cfg, p, out, outlen);
    }
    if (strlen(out) + 1 >= outlen) {
        if (node != NULL)
            return bw_ynode_err(&cfg->doc, node, err, "geoip: path too long");
        return bw_err_set(err, "geoip: path too long: %s", p);
    }
    return 0;
}

int geo_from_config(const struct bw_config *cfg, struct geo **out, struct bw_err *err)
{
    static const char *const keys[] = {"enabled", "country_db", "asn_db", NULL};
    const struct bw_ynode *sec = config_section(cfg, "geoip");
    const struct bw_ynode *n;
    char country[4096], asn[4096];
    bool enabled = true;

    *out = NULL;
    if (sec != NULL && bw_ymap_check_keys(&cfg->doc, sec, keys, err) != 0)
        return -1;
    n = sec != NULL ? bw_ymap_get(sec, "enabled") : NULL;
    if (n != NULL && bw_yget_bool(&cfg->doc, n, &enabled, err) != 0)
        return -1;
    if (!enabled)
        return 0;
    if (geo_config_path(cfg, sec != NULL ? bw_ymap_get(sec, "country_db") : NULL, GEO_DEFAULT_DB,
                        country, sizeof(country), err) != 0 ||
        geo_config_path(cfg, sec != NULL ? bw_ymap_get(sec, "asn_db") : NULL, "", asn, sizeof(asn),
                        err) != 0)
        return -1;
    *out = geo_new(country, asn, err);
    return *out != NULL ? 0 : -1;
}

void geo_free(struct geo *g)
{
    int i;

    if (g == NULL)
        return;
    for (i = 0; i < g->ndb; i++)
        MMDB_close(&g->db[i].mmdb);
    free(g);
}

/* One value of ENTRY at the NULL-terminated path: FOUND with *d set, ABSENT
 * when the record has no such value, BAD when the database is broken there. */
static enum geo_field geo_get(MMDB_entry_s *entry, MMDB_entry_data_s *d, ...)
{
    va_list ap;
    va_start(ap, d);
    int status = MMDB_vget_value(entry, d, ap);
    va_end(ap);
    if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return GEO_FIELD_ABSENT;
    if (status != MMDB_SUCCESS)
        return GEO_FIELD_BAD;
    return d->has_data ? GEO_FIELD_FOUND : GEO_FIELD_ABSENT;
}

/* Read "country"/"iso_code" of ENTRY into OUT->country. A value that is not
 * two ASCII capital letters is bad data. */
static enum geo_field geo_read_country(MMDB_entry_s *entry, struct geo_result *out)
{
    MMDB_entry_data_s d;
    enum geo_field f = geo_get(entry, &d, "country", "iso_code", NULL);
    if (f != GEO_FIELD_FOUND)
        return f;
    if (d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2 || d.utf8_string[0] < 'A' ||
        d.utf8_string[0] > 'Z' || d.utf8_string[1] < 'A' || d.utf8_string[1] > 'Z')
        return GEO_FIELD_BAD;
    out->country[0] = d.utf8_string[0];
    out->country[1] = d.utf8_string[1];
    out->country[2] = '\0';
    return GEO_FIELD_FOUND;
}

/* Read "autonomous_system_number" of ENTRY into OUT->asn. MaxMind writes a
 * uint32; other unsigned widths are accepted when the value fits. */
static enum geo_field geo_read_asn(MMDB_entry_s *entry, struct geo_result *out)
{
    MMDB_entry_data_s d;
    uint64_t v;
    enum geo_field f = geo_get(entry, &d, "autonomous_system_number", NULL);
    if (f != GEO_FIELD_FOUND)
        return f;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        v = d.uint16;
        break;
    case MMDB_DATA_TYPE_UINT32:
        v = d.uint32;
        break;
    case MMDB_DATA_TYPE_UINT64:
        v = d.uint64;
        break;
    default:
        return GEO_FIELD_BAD;
    }
    if (v == 0 || v > UINT32_MAX)
        return GEO_FIELD_BAD;
    out->asn = (uint32_t)v;
    return GEO_FIELD_FOUND;
}

/* Length of the well-formed UTF-8 sequence at S (N bytes available), or 0
 * when S does not start one (overlong forms and surrogates are refused). */
static size_t geo_utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Copy the N bytes at SRC into DST (SIZE bytes, NUL-terminated), whole UTF-8
 * characters only: what does not fit is dropped, control characters and
 * bytes that are not UTF-8 become '?', so the result is safe to log and to
 * put in JSON. */
static void geo_copy_text(char *dst, size_t size, const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t in = 0, outl = 0, len;

    while (in < n) {
        len = geo_utf8_len(s + in, n - in);
        if (len == 0 || (len == 1 && (s[in] < 0x20 || s[in] == 0x7F))) {
            if (outl + 1 >= size)
                break;
            dst[outl++] = '?';
            in++;
            continue;
        }
        if (outl + len >= size)
            break;
        memcpy(dst + outl, s + in, len);
        outl += len;
        in += len;
    }
    dst[outl] = '\0';
}

/* Read "autonomous_system_organization" of ENTRY into OUT->asn_org. */
static enum geo_field geo_read_org(MMDB_entry_s *entry, struct geo_result *out)
{
    MMDB_entry_data_s d;
    enum geo_field f = geo_get(entry, &d, "autonomous_system_organization", NULL);
    if (f != GEO_FIELD_FOUND)
        return f;
    if (d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return GEO_FIELD_BAD;
    geo_copy_text(out->asn_org, sizeof(out->asn_org), d.utf8_string, d.data_size);
    return out->asn_org[0] != '\0' ? GEO_FIELD_FOUND : GEO_FIELD_ABSENT;
}

/* Look SA up in DB and fill the fields of OUT that are still unknown.
 * Sets *FOUND when a field was filled; adds failed reads to *ERRORS. A
 * record with any unreadable field is corrupt as a whole (libmaxminddb
 * walks the whole map to find a key, so a broken value elsewhere in it shows
 * up here): nothing of it is used. */
static void geo_db_lookup(const struct geo_db *db, const struct sockaddr *sa,
                          struct geo_result *out, int *found, int *errors)
{
    MMDB_lookup_result_s r;
    struct geo_result rec;
    enum geo_field fc = GEO_FIELD_ABSENT, fa = GEO_FIELD_ABSENT;
    enum geo_field fo = GEO_FIELD_ABSENT;
    int status = MMDB_SUCCESS;

    /* An IPv4-only database knows nothing of IPv6: not an error. */
    if (sa->sa_family == AF_INET6 && db->ip_version == 4)
        return;
    r = MMDB_lookup_sockaddr(&db->mmdb, sa, &status);
    if (status != MMDB_SUCCESS) {
        (*errors)++;
        return;
    }
    if (!r.found_entry)
        return;
    memset(&rec, 0, sizeof(rec));
    if (out->country[0] == '\0')
        fc = geo_read_country(&r.entry, &rec);
    if (out->asn == 0)
        fa = geo_read_asn(&r.entry, &rec);
    if (out->asn_org[0] == '\0')
        fo = geo_read_org(&r.entry, &rec);
    if (fc == GEO_FIELD_BAD || fa == GEO_FIELD_BAD || fo == GEO_FIELD_BAD) {
        (*errors)++;
        return;
    }
    if (fc == GEO_FIELD_FOUND)
        memcpy(out->country, rec.country, sizeof(out->country));
    if (fa == GEO_FIELD_FOUND)
        out->asn = rec.asn;
    if (fo == GEO_FIELD_FOUND)
        memcpy(out->asn_org, rec.asn_org, sizeof(out->asn_org));
    if (fc == GEO_FIELD_FOUND || fa == GEO_FIELD_FOUND || fo == GEO_FIELD_FOUND)
        *found = 1;
}

int geo_lookup(const struct geo *g, const struct bw_addr *addr, struct geo_result *out)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    struct sockaddr_storage ss;
    struct bw_addr v4;
    const struct bw_addr *key = addr;
    int found = 0, errors = 0, i;

    memset(out, 0, sizeof(*out));
    geo_count(&g->stats->lookups);
    if (addr->family != AF_INET && addr->family != AF_INET6) {
        geo_count(&g->stats->errors);
        geo_count(&g->stats->misses);
        return GEO_UNKNOWN;
    }
    /* ::ffff:a.b.c.d is the IPv4 address: look it up as one, so that it
     * resolves in databases without MaxMind's ::ffff:0:0/96 alias too. */
    if (addr->family == AF_INET6 && memcmp(addr->bytes, v4mapped, sizeof(v4mapped)) == 0) {
        bw_addr_from_v4(&v4, addr->bytes + 12);
        key = &v4;
    }
    bw_addr_to_sockaddr(key, 0, &ss);
    for (i = 0; i < g->ndb; i++)
        geo_db_lookup(&g->db[i], (const struct sockaddr *)&ss, out, &found, &errors);
    for (i = 0; i < errors; i++)
        geo_count(&g->stats->errors);
    geo_count(found ? &g->stats->hits : &g->stats->misses);
    return found ? 0 : GEO_UNKNOWN;
}

void geo_get_stats(const struct geo *g, struct geo_stats *out)
{
    out->lookups = __atomic_load_n(&g->stats->lookups, __ATOMIC_RELAXED);
    out->hits = __atomic_load_n(&g->stats->hits, __ATOMIC_RELAXED);
    out->misses = __atomic_load_n(&g->stats->misses, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&g->stats->errors, __ATOMIC_RELAXED);
}

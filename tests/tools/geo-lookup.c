/* geo-lookup: test driver for sensor/geo.c. Opens the given databases with
 * geo_new and prints one line per address, then the counters, so shell
 * tests can compare Breachwatch's lookups with mmdblookup's. */
#include <stdio.h>
#include <string.h>

#include "sensor/geo.h"

/* Print usage to stderr; returns the exit status for a usage error. */
static int usage(void)
{
    fprintf(stderr, "usage: geo-lookup [--asn-db FILE] COUNTRY_DB|- ADDR...\n"
                    "  prints: ADDR country=CC asn=N org=\"...\" rc=R\n"
                    "  then:   stats lookups=N hits=N misses=N errors=N\n"
                    "  exit 0 = databases opened, 1 = open failed, 2 = usage\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *asn_db = NULL, *country_db;
    struct bw_err err;
    struct geo *g;
    struct geo_result res;
    struct geo_stats st;
    struct bw_addr a;
    int i = 1, rc, status = 0;

    if (argc > 2 && strcmp(argv[1], "--asn-db") == 0) {
        asn_db = argv[2];
        i = 3;
    }
    if (i >= argc)
        return usage();
    country_db = strcmp(argv[i], "-") == 0 ? NULL : argv[i];
    memset(&err, 0, sizeof(err));
    g = geo_new(country_db, asn_db, &err);
    if (g == NULL) {
        fprintf(stderr, "geo-lookup: %s\n", err.msg);
        return 1;
    }
    for (i++; i < argc; i++) {
        if (bw_addr_parse(argv[i], &a) < 0) {
            fprintf(stderr, "geo-lookup: not an address: %s\n", argv[i]);
            status = 2;
            continue;
        }
        rc = geo_lookup(g, &a, &res);
        printf("%s country=%s asn=%u org=\"%s\" rc=%d\n", argv[i], res.country, res.asn,
               res.asn_org, rc);
    }
    geo_get_stats(g, &st);
    printf("stats lookups=%llu hits=%llu misses=%llu errors=%llu\n", (unsigned long long)st.lookups,
           (unsigned long long)st.hits, (unsigned long long)st.misses,
           (unsigned long long)st.errors);
    geo_free(g);
    return status;
}

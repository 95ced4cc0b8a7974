/* Unit tests of sensor/geo.c against the project's own database,
 * config/geoip/breachwatch-geo.mmdb (built by tools/mkmmdb.py): metadata and
 * data as libmaxminddb decodes them, then geo_lookup for IPv4 and IPv6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <maxminddb.h>

#include "common/config.h"
#include "sensor/geo.h"

/* The database path, from $BW_SRC or the build's BW_SOURCE_DIR. */
static char db_path[4096];

/* One address and what the database must say about it. */
struct expect {
    const char *ip;
    const char *country;
    uint32_t asn;
    const char *org;
};

/* The public test addresses of the recorded captures (country as in
 * MaxMind's GeoIP2-Country-Test, ASN as in GeoLite2-ASN-Test). */
static const struct expect known[] = {
    {"89.160.20.112", "SE", 29518, "Bredband2 AB"},
    {"89.160.20.127", "SE", 29518, "Bredband2 AB"},
    {"89.160.20.128", "SE", 29518, "Bredband2 AB"},
    {"175.16.199.1", "CN", 0, ""},
    {"175.16.199.255", "CN", 0, ""},
    {"216.160.83.56", "US", 209, ""},
    {"216.160.83.63", "US", 209, ""},
    {"81.2.69.142", "GB", 0, ""},
    {"81.2.69.143", "GB", 0, ""},
    {"81.2.69.160", "GB", 0, ""},
    {"81.2.69.191", "GB", 0, ""},
    {"2.125.160.216", "GB", 0, ""},
    {"67.43.156.1", "BT", 35908, ""},
    {"202.196.224.1", "PH", 0, ""},
    {"202.196.239.255", "PH", 0, ""},
    {"2001:218::1", "JP", 0, ""},
    {"2001:218:ffff::1", "JP", 0, ""},
    {"2a02:d180::1", "DE", 0, ""},
    {"2a02:d187:ffff::1", "DE", 0, ""},
    {"2001:480:10::1", "US", 0, ""},
    /* IPv4-mapped, IPv4-compatible and 6to4 forms of 81.2.69.142. */
    {"::ffff:81.2.69.142", "GB", 0, ""},
    {"::81.2.69.142", "GB", 0, ""},
    {"2002:5102:458e::1", "GB", 0, ""},
};

/* Private, loopback and public addresses the database does not hold,
 * including the neighbours of the networks above. */
static const char *const unknown[] = {
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "8.8.8.8",
    "1.1.1.1",
    "89.160.20.111",
    "81.2.69.141",
    "81.2.69.144",
    "81.2.69.192",
    "2.125.160.224",
    "175.16.198.255",
    "202.196.240.0",
    "fd00::1",
    "fe80::1",
    "::1",
    "::",
    "2001:4860::8888",
    "2001:219::1",
    "2001:480:11::1",
    "2a02:d188::1",
};

/* Parse text address IP into *A; fails the test when it is not one. */
static void addr_from(const char *ip, struct bw_addr *a)
{
    assert_int_equal(bw_addr_parse(ip, a), 0);
}

/* Find the source tree once for all tests. */
static int group_setup(void **state)
{
    const char *src = getenv("BW_SRC");

    (void)state;
#ifdef BW_SOURCE_DIR
    if (src == NULL || src[0] == '\0')
        src = BW_SOURCE_DIR;
#endif
    if (src == NULL || src[0] == '\0')
        src = ".";
    snprintf(db_path, sizeof(db_path), "%s/config/geoip/breachwatch-geo.mmdb", src);
    /* The default database path is relative to the working directory. */
    return chdir(src);
}

/* Open the database for one test. */
static int setup_geo(void **state)
{
    struct bw_err err;

    memset(&err, 0, sizeof(err));
    *state = geo_new(db_path, NULL, &err);
    return *state == NULL ? -1 : 0;
}

/* Free the handle of one test. */
static int teardown_geo(void **state)
{
    geo_free(*state);
    return 0;
}

/* Render ENTRY_LIST with MMDB_dump_entry_data_list into a new string. */
static char *dump_list(MMDB_entry_data_list_s *list)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    assert_int_equal(MMDB_dump_entry_data_list(f, list, 0), MMDB_SUCCESS);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* The metadata our writer produced, as libmaxminddb reads it. */
static void test_metadata(void **state)
{
    MMDB_s m;
    MMDB_entry_data_list_s *list = NULL;
    char *text;

    (void)state;
    assert_int_equal(MMDB_open(db_path, MMDB_MODE_MMAP, &m), MMDB_SUCCESS);
    assert_int_equal(m.metadata.binary_format_major_version, 2);
    assert_int_equal(m.metadata.binary_format_minor_version, 0);
    assert_int_equal(m.metadata.ip_version, 6);
    assert_int_equal(m.metadata.record_size, 24);
    assert_in_range(m.metadata.node_count, 128, 4096);
    assert_int_equal(m.metadata.build_epoch, 1793577600);
    assert_string_equal(m.metadata.database_type, "Breachwatch-Geo");
    assert_int_equal(m.metadata.languages.count, 1);
    assert_string_equal(m.metadata.languages.names[0], "en");
    assert_int_equal(m.metadata.description.count, 1);
    assert_string_equal(m.metadata.description.descriptions[0]->language, "en");
    assert_non_null(strstr(m.metadata.description.descriptions[0]->description, "Breachwatch"));

    assert_int_equal(MMDB_get_metadata_as_entry_data_list(&m, &list), MMDB_SUCCESS);
    text = dump_list(list);
    assert_non_null(strstr(text, "\"node_count\": \n"));
    assert_non_null(strstr(text, "<uint16>"));
    assert_non_null(strstr(text, "1793577600 <uint64>"));
    free(text);
    MMDB_free_entry_data_list(list);
    MMDB_close(&m);
}

/* A whole record, dumped: GeoLite2 country shape plus the ASN keys, and
 * the netmask of its network. */
static void test_record_dump(void **state)
{
    MMDB_s m;
    MMDB_lookup_result_s r;
    MMDB_entry_data_list_s *list = NULL;
    int gai = 0, mmdb_err = 0;
    char *text;

    (void)state;
    assert_int_equal(MMDB_open(db_path, MMDB_MODE_MMAP, &m), MMDB_SUCCESS);
    r = MMDB_lookup_string(&m, "89.160.20.120", &gai, &mmdb_err);
    assert_int_equal(gai, 0);
    assert_int_equal(mmdb_err, MMDB_SUCCESS);
    assert_true(r.found_entry);
    assert_int_equal(r.netmask, 96 + 28);
    assert_int_equal(MMDB_get_entry_data_list(&r.entry, &list), MMDB_SUCCESS);
    text = dump_list(list);
    assert_non_null(strstr(text, "\"autonomous_system_number\": "));
    assert_non_null(strstr(text, "29518 <uint32>"));
    assert_non_null(strstr(text, "\"Bredband2 AB\" <utf8_string>"));
    assert_non_null(strstr(text, "\"Sweden\" <utf8_string>"));
    assert_non_null(strstr(text, "\"registered_country\": \n"));
    assert_non_null(strstr(text, "\"Germany\" <utf8_string>"));
    free(text);
    MMDB_free_entry_data_list(list);

    r = MMDB_lookup_string(&m, "2a02:d180::1", &gai, &mmdb_err);
    assert_true(r.found_entry);
    assert_int_equal(r.netmask, 29);
    r = MMDB_lookup_string(&m, "81.2.69.143", &gai, &mmdb_err);
    assert_true(r.found_entry);
    assert_int_equal(r.netmask, 96 + 31);
    MMDB_close(&m);
}

/* Every listed address gives its country, ASN and organisation. */
static void test_known(void **state)
{
    const struct geo *g = *state;
    struct geo_result res;
    struct bw_addr a;
    size_t i;

    for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        addr_from(known[i].ip, &a);
        print_message("%s\n", known[i].ip);
        assert_int_equal(geo_lookup(g, &a, &res), 0);
        assert_string_equal(res.country, known[i].country);
        assert_int_equal(res.asn, known[i].asn);
        assert_string_equal(res.asn_org, known[i].org);
    }
}

/* Private and unlisted public addresses are unknown, result all zero. */
static void test_unknown(void **state)
{
    const struct geo *g = *state;
    struct geo_result res, zero;
    struct bw_addr a;
    size_t i;

    memset(&zero, 0, sizeof(zero));
    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        addr_from(unknown[i], &a);
        memset(&res, 0x5A, sizeof(res));
        print_message("%s\n", unknown[i]);
        assert_int_equal(geo_lookup(g, &a, &res), GEO_UNKNOWN);
        assert_memory_equal(&res, &zero, sizeof(res));
    }
}

/* Counters: hits + misses == lookups; a bad family is a miss and an error. */
static void test_stats(void **state)
{
    const struct geo *g = *state;
    struct geo_result res;
    struct geo_stats st;
    struct bw_addr a;

    addr_from("89.160.20.112", &a);
    assert_int_equal(geo_lookup(g, &a, &res), 0);
    addr_from("2001:218::1", &a);
    assert_int_equal(geo_lookup(g, &a, &res), 0);
    addr_from("10.1.2.3", &a);
    assert_int_equal(geo_lookup(g, &a, &res), GEO_UNKNOWN);
    a.family = AF_UNIX;
    assert_int_equal(geo_lookup(g, &a, &res), GEO_UNKNOWN);
    assert_string_equal(res.country, "");

    geo_get_stats(g, &st);
    assert_int_equal(st.lookups, 4);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.errors, 1);
}

/* The combined file works as the ASN database alone, and as both. */
static void test_asn_db_only(void **state)
{
    struct bw_err err;
    struct geo *g;
    struct geo_result res;
    struct bw_addr a;

    (void)state;
    memset(&err, 0, sizeof(err));
    g = geo_new(NULL, db_path, &err);
    assert_non_null(g);
    addr_from("67.43.156.7", &a);
    assert_int_equal(geo_lookup(g, &a, &res), 0);
    assert_int_equal(res.asn, 35908);
    assert_string_equal(res.country, "BT");
    geo_free(g);

    g = geo_new(db_path, db_path, &err);
    assert_non_null(g);
    addr_from("216.160.83.60", &a);
    assert_int_equal(geo_lookup(g, &a, &res), 0);
    assert_int_equal(res.asn, 209);
    assert_string_equal(res.country, "US");
    geo_free(g);
}

/* Opening fails cleanly, with a message naming the file. */
static void test_open_errors(void **state)
{
    char tmpl[] = "/tmp/test_geo_XXXXXX";
    struct bw_err err;
    int fd;

    (void)state;
    memset(&err, 0, sizeof(err));
    assert_null(geo_new(NULL, NULL, &err));
    assert_non_null(strstr(err.msg, "no database"));
    assert_null(geo_new("", "", &err));

    assert_null(geo_new("/nonexistent/geo.mmdb", NULL, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/geo.mmdb"));
    /* A good country database does not hide a missing ASN database. */
    assert_null(geo_new(db_path, "/nonexistent/asn.mmdb", &err));
    assert_non_null(strstr(err.msg, "/nonexistent/asn.mmdb"));

    fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a maxmind db\n", 17), 17);
    assert_int_equal(close(fd), 0);
    assert_null(geo_new(tmpl, NULL, &err));
    assert_non_null(strstr(err.msg, tmpl));
    assert_int_equal(unlink(tmpl), 0);

    geo_free(NULL);
}

/* Write TEXT as DIR/breachwatch.yaml and load it into CFG. */
static void load_config(struct bw_config *cfg, const char *dir, const char *text)
{
    char path[512];
    struct bw_err err;
    FILE *f;

    snprintf(path, sizeof(path), "%s/breachwatch.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    memset(&err, 0, sizeof(err));
    assert_int_equal(config_load(cfg, path, &err), 0);
}

/* The geoip section: defaults, explicit paths, disabling, bad keys. */
static void test_config(void **state)
{
    char dir[] = "/tmp/test_geo_cfg_XXXXXX";
    char text[2 * sizeof(db_path) + 64], path[512];
    struct bw_config cfg;
    struct bw_err err;
    struct geo *g = NULL;
    struct geo_result res;
    struct bw_addr a;

    (void)state;
    assert_non_null(mkdtemp(dir));
    memset(&err, 0, sizeof(err));
    addr_from("89.160.20.112", &a);

    /* No configuration file: ./config/geoip/breachwatch-geo.mmdb. */
    assert_int_equal(config_load(&cfg, NULL, &err), 0);
    assert_int_equal(geo_from_config(&cfg, &g, &err), 0);
    assert_non_null(g);
    assert_int_equal(geo_lookup(g, &a, &res), 0);
    assert_string_equal(res.country, "SE");
    geo_free(g);
    config_fini(&cfg);

    /* Absolute country_db, the same file as asn_db. */
    snprintf(text, sizeof(text), "geoip:\n  country_db: %s\n  asn_db: %s\n", db_path, db_path);
    load_config(&cfg, dir, text);
    assert_int_equal(geo_from_config(&cfg, &g, &err), 0);
    assert_int_equal(geo_lookup(g, &a, &res), 0);
    assert_int_equal(res.asn, 29518);
    geo_free(g);
    config_fini(&cfg);

    /* A section without country_db looks beside the configuration file. */
    load_config(&cfg, dir, "geoip:\n  asn_db: \"\"\n");
    assert_int_equal(geo_from_config(&cfg, &g, &err), -1);
    assert_null(g);
    assert_non_null(strstr(err.msg, dir));
    assert_non_null(strstr(err.msg, "geoip/breachwatch-geo.mmdb"));
    config_fini(&cfg);

    load_config(&cfg, dir, "geoip:\n  enabled: false\n  country_db: /nonexistent\n");
    assert_int_equal(geo_from_config(&cfg, &g, &err), 0);
    assert_null(g);
    config_fini(&cfg);

    load_config(&cfg, dir, "geoip:\n  country_db: x.mmdb\n  city_db: y.mmdb\n");
    assert_int_equal(geo_from_config(&cfg, &g, &err), -1);
    assert_non_null(strstr(err.msg, "breachwatch.yaml:3:"));
    assert_non_null(strstr(err.msg, "city_db"));
    config_fini(&cfg);

    load_config(&cfg, dir, "geoip:\n  enabled: maybe\n");
    assert_int_equal(geo_from_config(&cfg, &g, &err), -1);
    assert_non_null(strstr(err.msg, "breachwatch.yaml:2:"));
    config_fini(&cfg);

    snprintf(path, sizeof(path), "%s/breachwatch.yaml", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_record_dump),
        cmocka_unit_test_setup_teardown(test_known, setup_geo, teardown_geo),
        cmocka_unit_test_setup_teardown(test_unknown, setup_geo, teardown_geo),
        cmocka_unit_test_setup_teardown(test_stats, setup_geo, teardown_geo),
        cmocka_unit_test(test_asn_db_only),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_config),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}

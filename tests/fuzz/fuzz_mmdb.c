/* libFuzzer target for MaxMind DB files as Breachwatch reads them: the input
 * is opened as a database through geo_new (via a memfd path, since
 * libmaxminddb only opens files) and a few addresses are looked up, then the
 * whole entry and metadata are decoded the way mmdblookup does. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <maxminddb.h>

#include "sensor/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Addresses that hit networks of our own database, its IPv4 aliases, and
 * addresses that hit nothing. */
static const char *const addrs[] = {
    "89.160.20.112", "81.2.69.142",  "1.1.1.1", "10.0.0.1",         "::ffff:81.2.69.142",
    "2001:218::1",   "2a02:d180::1", "::1",     "2002:5102:458e::", "ffff::1",
};

/* Write all LEN bytes of BUF to FD. Returns 0 or -1. */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Decode the whole record of every address and the metadata, as a dump. */
static void decode_all(const char *path, FILE *sink)
{
    MMDB_s m;
    MMDB_entry_data_list_s *list = NULL;
    size_t i;

    if (MMDB_open(path, MMDB_MODE_MMAP, &m) != MMDB_SUCCESS)
        return;
    for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        int gai = 0, err = 0;
        MMDB_lookup_result_s r = MMDB_lookup_string(&m, addrs[i], &gai, &err);
        if (gai != 0 || err != MMDB_SUCCESS || !r.found_entry)
            continue;
        if (MMDB_get_entry_data_list(&r.entry, &list) == MMDB_SUCCESS && sink != NULL)
            MMDB_dump_entry_data_list(sink, list, 0);
        MMDB_free_entry_data_list(list);
        list = NULL;
    }
    if (MMDB_get_metadata_as_entry_data_list(&m, &list) == MMDB_SUCCESS && sink != NULL)
        MMDB_dump_entry_data_list(sink, list, 0);
    MMDB_free_entry_data_list(list);
    MMDB_close(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    char path[64];
    struct bw_err err;
    struct geo *g;
    struct geo_result res;
    struct bw_addr a;
    size_t i;
    int fd;

    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    fd = memfd_create("fuzz_mmdb", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write_all(fd, data, size) < 0)
        goto out;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    memset(&err, 0, sizeof(err));
    g = geo_new(path, path, &err);
    if (g != NULL) {
        for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
            if (bw_addr_parse(addrs[i], &a) == 0)
                (void)geo_lookup(g, &a, &res);
        }
        geo_free(g);
    }
    decode_all(path, sink);
out:
    close(fd);
    return 0;
}

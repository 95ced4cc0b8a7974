/* breachwatch pii scan [FILE|-]...: counts of validated personal data in
 * files or standard input, as one JSON object. Each file is one stream, read
 * in 64 KiB chunks, so the output is what the sensor would count. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/buf.h"
#include "common/json.h"
#include "sensor/distinct.h"
#include "sensor/pii.h"

#define PII_USAGE "pii scan [--matches] [--state DIR] [FILE|-]..."

struct scan_opts {
    bool matches;
    const char *file;
};

/* --matches: one JSON line per match, positions only: values are personal
 * data and are never printed. */
static void print_match(void *ctx, const struct pii_match *m)
{
    const struct scan_opts *o = ctx;
    struct bw_buf b;
    struct bw_json j;
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "file", o->file);
    bw_json_str(&j, "type", pii_type_name(m->type));
    bw_json_uint(&j, "start", m->start);
    bw_json_uint(&j, "end", m->end);
    bw_json_double(&j, "confidence", m->confidence / 100.0);
    bw_json_obj_end(&j);
    if (bw_json_finish(&j) == 0)
        printf("%.*s\n", (int)b.len, b.data);
    bw_buf_fini(&b);
}

static int scan_file(const struct pii_scanner *sc, struct scan_opts *o, struct pii_counts *c,
                     uint64_t *bytes)
{
    static uint8_t chunk[65536];
    bool is_stdin = strcmp(o->file, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(o->file, "rb");
    int rc = 0;
    if (f == NULL) {
        fprintf(stderr, "breachwatch pii: %s: %s\n", o->file, strerror(errno));
        return -1;
    }
    struct pii_stream st;
    pii_stream_init(&st, sc);
    if (o->matches)
        pii_stream_on_match(&st, print_match, o);
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        *bytes += n;
        rc |= pii_stream_feed(&st, chunk, n, c);
    }
    if (ferror(f)) {
        fprintf(stderr, "breachwatch pii: %s: read error\n", o->file);
        rc = -1;
    }
    rc |= pii_stream_flush(&st, c);
    pii_stream_fini(&st);
    if (!is_stdin)
        fclose(f);
    return rc;
}

static void print_summary(const struct pii_counts *c, unsigned files, uint64_t bytes)
{
    struct bw_buf b;
    struct bw_json j;
    char label[16];
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_uint(&j, "files", files);
    bw_json_uint(&j, "bytes", bytes);
    bw_json_obj_begin(&j, "counts");
    for (int t = 0; t < PII_TYPE_MAX; t++)
        bw_json_uint(&j, pii_type_name(t), c->matches[t]);
    bw_json_obj_end(&j);
    bw_json_obj_begin(&j, "distinct");
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        uint64_t d = bw_distinct_estimate(c->distinct[t]);
        bw_json_uint(&j, pii_type_name(t), d < c->matches[t] ? d : c->matches[t]);
    }
    bw_json_obj_end(&j);
    bw_json_uint(&j, "records", pii_counts_records(c));
    bw_json_obj_begin(&j, "confidence_histogram");
    for (int i = 0; i < PII_CONF_BUCKETS; i++) {
        snprintf(label, sizeof(label), "%.1f-%.1f", i / 10.0, (i + 1) / 10.0);
        bw_json_uint(&j, label, c->conf_hist[i]);
    }
    bw_json_obj_end(&j);
    bw_json_obj_end(&j);
    if (bw_json_finish(&j) == 0)
        printf("%.*s\n", (int)b.len, b.data);
    bw_buf_fini(&b);
}

static int pii_scan(int argc, char **argv)
{
    struct scan_opts o = {0};
    const char *state = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "--matches") == 0) {
            o.matches = true;
        } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            state = argv[++i];
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "usage: breachwatch %s\n", PII_USAGE);
            return 2;
        }
    }
    struct bw_err err;
    bw_err_clear(&err);
    struct pii_scanner *sc = pii_scanner_new(&err);
    if (sc == NULL) {
        fprintf(stderr, "breachwatch pii: %s\n", err.msg);
        return 1;
    }
    if (state != NULL) {
        uint8_t key[BW_DISTINCT_KEY_LEN];
        if (bw_distinct_key_load(state, key, &err) != 0) {
            fprintf(stderr, "breachwatch pii: %s\n", err.msg);
            pii_scanner_free(sc);
            return 1;
        }
        pii_scanner_set_key(sc, key);
    }
    static struct bw_distinct dist[PII_TYPE_MAX];
    struct pii_counts c;
    pii_counts_init(&c);
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        bw_distinct_init(&dist[t]);
        c.distinct[t] = &dist[t];
    }
    uint64_t bytes = 0;
    unsigned files = 0;
    int rc = 0;
    if (i == argc) {
        o.file = "-";
        rc |= scan_file(sc, &o, &c, &bytes);
        files++;
    }
    for (; i < argc; i++) {
        o.file = argv[i];
        rc |= scan_file(sc, &o, &c, &bytes);
        files++;
    }
    if (!o.matches)
        print_summary(&c, files, bytes);
    pii_scanner_free(sc);
    return rc == 0 ? 0 : 1;
}

int cmd_pii(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "scan") == 0)
        return pii_scan(argc - 1, argv + 1);
    fprintf(stderr, "usage: breachwatch %s\n", PII_USAGE);
    return 2;
}

/* Learned baselines: per group, the measure's value at the end of each past
 * window kept in a bounded ring, summarised by median and MAD (robust to the
 * odd spike); the limit is max(absolute floor, median + k * MAD). Baselines
 * and training start times persist in <state_dir>/baselines.tsv, written
 * atomically (temporary file, fsync, rename) and read at start. */
#ifndef BW_DETECT_BASELINE_H
#define BW_DETECT_BASELINE_H

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

#define DB_SAMPLES 64

struct db_baseline {
    float v[DB_SAMPLES];
    uint16_t n, pos;        /* samples held; next write position */
    int64_t next_sample_us; /* end of the current sampling period; 0 = not started */
    double median, mad;     /* cached, valid when !dirty */
    int dirty;
};

void db_init(struct db_baseline *b);
/* Adds one window value (oldest dropped when full). */
void db_push(struct db_baseline *b, double v);
/* Median and MAD of the samples (0, 0 when empty). */
void db_stats(struct db_baseline *b, double *median, double *mad);
/* max(floor, median + k * max(mad, mad_floor)); floor when there are no samples. */
double db_limit(struct db_baseline *b, double floor, double k, double mad_floor);

/* Escapes a group key for the file (%XX for bytes < 0x21, '%' and 0x7f..). */
void db_key_escape(const char *in, char *out, size_t outlen);
int db_key_unescape(const char *in, char *out, size_t outlen);

/* Writer: opens <path>.tmp; each line added; commit fsyncs and renames. */
struct db_writer {
    FILE *fp;
    char path[512], tmp[520];
};
int db_writer_open(struct db_writer *w, const char *path, struct bw_err *err) BW_WUR;
void db_writer_learn(struct db_writer *w, const char *rule_id, int64_t start_us);
void db_writer_group(struct db_writer *w, const char *rule_id, const char *key,
                     const struct db_baseline *b);
int db_writer_commit(struct db_writer *w, struct bw_err *err) BW_WUR;

/* Reader callbacks: one per line kind. */
struct db_reader_cb {
    void (*learn)(void *ctx, const char *rule_id, int64_t start_us);
    void (*group)(void *ctx, const char *rule_id, const char *key, const struct db_baseline *b);
    void *ctx;
};
/* Reads a baselines file; a missing file is not an error. A malformed line is
 * counted in *bad and skipped. Returns 0 or -1 with err (unreadable file). */
int db_read(const char *path, const struct db_reader_cb *cb, uint64_t *bad,
            struct bw_err *err) BW_WUR;

#endif

/* Robust per-group baselines and their persistence (see detect-baseline.h). */
#include "sensor/detect-baseline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/num.h"

void db_init(struct db_baseline *b)
{
    memset(b, 0, sizeof(*b));
}

void db_push(struct db_baseline *b, double v)
{
    b->v[b->pos] = (float)v;
    b->pos = (uint16_t)((b->pos + 1) % DB_SAMPLES);
    if (b->n < DB_SAMPLES)
        b->n++;
    b->dirty = 1;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double median_of(float *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_float);
    return n % 2 ? v[n / 2] : ((double)v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void db_stats(struct db_baseline *b, double *median, double *mad)
{
    if (b->dirty) {
        float tmp[DB_SAMPLES];
        int n = b->n;
        if (n == 0) {
            b->median = b->mad = 0;
        } else {
            memcpy(tmp, b->v, (size_t)n * sizeof(float));
            b->median = median_of(tmp, n);
            for (int i = 0; i < n; i++)
                tmp[i] = (float)fabs(b->v[i] - b->median);
            b->mad = median_of(tmp, n);
        }
        b->dirty = 0;
    }
    *median = b->median;
    *mad = b->mad;
}

double db_limit(struct db_baseline *b, double floor, double k, double mad_floor)
{
    double med, mad;
    if (b->n == 0)
        return floor;
    db_stats(b, &med, &mad);
    double lim = med + k * (mad > mad_floor ? mad : mad_floor);
    return lim > floor ? lim : floor;
}

void db_key_escape(const char *in, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < outlen; p++) {
        if (*p < 0x21 || *p == '%' || *p >= 0x7f) {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int db_key_unescape(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = in; *p; p++) {
        if (o + 1 >= outlen)
            return -1;
        if (*p == '%') {
            int a = hexval(p[1]), b = a < 0 ? -1 : hexval(p[2]);
            if (b < 0 || (a == 0 && b == 0))
                return -1;
            out[o++] = (char)(a * 16 + b);
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return 0;
}

int db_writer_open(struct db_writer *w, const char *path, struct bw_err *err)
{
    snprintf(w->path, sizeof(w->path), "%s", path);
    snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", path);
    w->fp = fopen(w->tmp, "w");
    if (w->fp == NULL)
        return bw_err_set(err, "%s: %s", w->tmp, strerror(errno));
    fprintf(w->fp, "# breachwatch baselines v1: learn RULE START_US | group RULE KEY NEXT_US "
                   "V1,V2,... (oldest first)\n");
    return 0;
}

void db_writer_learn(struct db_writer *w, const char *rule_id, int64_t start_us)
{
    fprintf(w->fp, "learn\t%s\t%" PRId64 "\n", rule_id, start_us);
}

void db_writer_group(struct db_writer *w, const char *rule_id, const char *key,
                     const struct db_baseline *b)
{
    char ek[1024];
    db_key_escape(key, ek, sizeof(ek));
    fprintf(w->fp, "group\t%s\t%s\t%" PRId64 "\t", rule_id, ek, b->next_sample_us);
    int start = b->n < DB_SAMPLES ? 0 : b->pos;
    for (int i = 0; i < b->n; i++)
        fprintf(w->fp, "%s%.9g", i ? "," : "", (double)b->v[(start + i) % DB_SAMPLES]);
    if (b->n == 0)
        fputc('-', w->fp);
    fputc('\n', w->fp);
}

int db_writer_commit(struct db_writer *w, struct bw_err *err)
{
    int rc = 0;
    if (fflush(w->fp) != 0 || fsync(fileno(w->fp)) != 0)
        rc = bw_err_set(err, "%s: %s", w->tmp, strerror(errno));
    if (fclose(w->fp) != 0 && rc == 0)
        rc = bw_err_set(err, "%s: %s", w->tmp, strerror(errno));
    w->fp = NULL;
    if (rc == 0 && rename(w->tmp, w->path) != 0)
        rc = bw_err_set(err, "rename %s: %s", w->path, strerror(errno));
    if (rc != 0)
        unlink(w->tmp);
    return rc;
}

int db_read(const char *path, const struct db_reader_cb *cb, uint64_t *bad, struct bw_err *err)
{
    FILE *fp = fopen(path, "r");
    char line[8192];
    if (fp == NULL) {
        if (errno == ENOENT)
            return 0;
        return bw_err_set(err, "%s: %s", path, strerror(errno));
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n') {
            (*bad)++;
            continue;
        }
        line[n - 1] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *rest = line, *kind = strsep(&rest, "\t");
        char *f[4] = {0};
        int nf = 0;
        while (nf < 4 && rest != NULL)
            f[nf++] = strsep(&rest, "\t");
        if (strcmp(kind, "learn") == 0 && nf == 2 && rest == NULL) {
            int64_t st;
            if (bw_parse_i64(f[1], INT64_MIN, INT64_MAX, &st, NULL) == 0 && f[0][0]) {
                if (cb->learn)
                    cb->learn(cb->ctx, f[0], st);
                continue;
            }
        } else if (strcmp(kind, "group") == 0 && nf == 4 && rest == NULL) {
            char key[1024];
            struct db_baseline b;
            int ok = f[0][0] != '\0' && db_key_unescape(f[1], key, sizeof(key)) == 0;
            db_init(&b);
            ok = ok && bw_parse_i64(f[2], INT64_MIN, INT64_MAX, &b.next_sample_us, NULL) == 0;
            if (ok && strcmp(f[3], "-") != 0) {
                char *vs = f[3], *tok;
                while (ok && (tok = strsep(&vs, ",")) != NULL) {
                    double v;
                    if (b.n == DB_SAMPLES || bw_parse_double(tok, 0, 1e18, &v, NULL) != 0)
                        ok = 0;
                    else
                        db_push(&b, v);
                }
            }
            if (ok) {
                if (cb->group)
                    cb->group(cb->ctx, f[0], key, &b);
                continue;
            }
        }
        (*bad)++;
    }
    fclose(fp);
    return 0;
}

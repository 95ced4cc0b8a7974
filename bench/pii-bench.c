/* PII scanner throughput: loads a file into memory and feeds it to one
 * pii_stream in fixed-size chunks, repeatedly, for at least a second of CPU
 * time; prints MB/s (10^6 bytes per second of this process's CPU time, so a
 * busy machine time-slicing the core does not count against it; wall-clock
 * MB/s follows) and the matches per pass.
 * usage: pii-bench FILE [CHUNK_BYTES] [MIN_SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/pii.h"

static double now(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pii-bench FILE [CHUNK_BYTES] [MIN_SECONDS]\n");
        return 2;
    }
    size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 10) : 65536;
    double min_s = argc > 3 ? strtod(argv[3], NULL) : 1.0;
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL || chunk == 0) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    struct bw_err err;
    struct pii_scanner *sc = pii_scanner_new(&err);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct pii_counts c;
    uint64_t passes = 0, matches = 0;
    double t0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC), t;
    do {
        pii_counts_init(&c);
        struct pii_stream st;
        pii_stream_init(&st, sc);
        for (size_t off = 0; off < (size_t)size; off += chunk) {
            size_t n = (size_t)size - off < chunk ? (size_t)size - off : chunk;
            if (pii_stream_feed(&st, buf + off, n, &c) != 0)
                return 1;
        }
        if (pii_stream_flush(&st, &c) != 0)
            return 1;
        pii_stream_fini(&st);
        passes++;
        t = now(CLOCK_PROCESS_CPUTIME_ID) - t0;
    } while (t < min_s);
    double wall = now(CLOCK_MONOTONIC) - w0;
    for (int i = 0; i < PII_TYPE_MAX; i++)
        matches += c.matches[i];
    printf("%s: %.0f MB/s cpu, %.0f MB/s wall (%ld bytes x %llu passes, %.2f s cpu, chunk %zu, "
           "%llu matches/pass)\n",
           argv[1], (double)size * passes / t / 1e6, (double)size * passes / wall / 1e6, size,
           (unsigned long long)passes, t, chunk, (unsigned long long)matches);
    pii_scanner_free(sc);
    free(buf);
    return 0;
}

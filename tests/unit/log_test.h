/* Shared helpers for the log parser unit tests: run a format over a recorded
 * log file (tests/data/logs/) and collect the access events. */
#ifndef BW_TEST_LOG_TEST_H
#define BW_TEST_LOG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/timeutil.h"
#include "common/yaml-tree.h"
#include "sensor/logsrc.h"

#define LT_MAX 256

struct lt_events {
    struct bw_access ev[LT_MAX];
    int n;
    uint64_t records, bytes;
};

static inline void lt_collect(void *ctx, struct bw_access *ev)
{
    struct lt_events *e = ctx;
    e->records += ev->records;
    e->bytes += ev->bytes;
    if (e->n < LT_MAX)
        e->ev[e->n++] = *ev;
}

static inline char *lt_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* Runs `format` (options from the YAML mapping text `yaml`, may be NULL) over
 * a buffer. Fills e and st. */
static inline void lt_run_buf(const char *format, const char *yaml, const char *data, size_t len,
                              struct lt_events *e, struct log_stats *st)
{
    struct bw_ydoc doc = {0};
    struct bw_err err = {0};
    struct log_fmt_cfg cfg = {0};
    struct log_parser p;
    memset(e, 0, sizeof(*e));
    if (yaml != NULL) {
        assert_int_equal(bw_ydoc_load_mem(&doc, "test", yaml, strlen(yaml), &err), 0);
        cfg.doc = &doc;
        cfg.src = doc.root;
    }
    assert_int_equal(log_parser_init(&p, format, yaml ? &cfg : NULL, lt_collect, e, &err), 0);
    log_parser_feed(&p, data, len, 1);
    *st = p.st;
    log_parser_fini(&p);
    bw_ydoc_fini(&doc);
}

static inline void lt_run_file(const char *format, const char *yaml, const char *path,
                               struct lt_events *e, struct log_stats *st)
{
    size_t len;
    char *b = lt_read(path, &len);
    lt_run_buf(format, yaml, b, len, e, st);
    free(b);
}

static inline int64_t lt_time(const char *iso)
{
    int64_t us;
    assert_int_equal(bw_time_parse(iso, &us), 0);
    return us;
}

static inline const char *lt_ip(const struct bw_access *ev, char *buf)
{
    return ev->actor_ip.family ? bw_addr_fmt(&ev->actor_ip, buf) : "";
}

#endif

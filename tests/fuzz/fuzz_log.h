/* Shared body of the per-format log fuzz targets: the input is a log file,
 * fed line by line to one format's parser and flushed. */
#ifndef BW_FUZZ_LOG_H
#define BW_FUZZ_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/yaml-tree.h"
#include "sensor/logsrc.h"

static void fuzz_log_sink(void *ctx, struct bw_access *ev)
{
    /* Touch the fields so the sanitizers check them. */
    size_t *n = ctx;
    *n += strlen(ev->dataset) + strlen(ev->detail) + strlen(ev->actor_user);
}

/* Runs `format` with the YAML options `yaml` (NULL = none) over data. */
static int fuzz_log_run(const char *format, const char *yaml, const uint8_t *data, size_t size)
{
    struct bw_ydoc doc = {0};
    struct bw_err err;
    struct log_fmt_cfg cfg = {0};
    struct log_parser p;
    size_t n = 0;
    if (yaml != NULL) {
        if (bw_ydoc_load_mem(&doc, "fuzz", yaml, strlen(yaml), &err) != 0)
            __builtin_trap();
        cfg.doc = &doc;
        cfg.src = doc.root;
    }
    if (log_parser_init(&p, format, yaml ? &cfg : NULL, fuzz_log_sink, &n, &err) != 0)
        __builtin_trap();
    log_parser_feed(&p, (const char *)data, size, 1);
    log_parser_fini(&p);
    bw_ydoc_fini(&doc);
    return 0;
}

#define FUZZ_LOG_TARGET(format, yaml)                                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                                  \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                   \
    {                                                                                              \
        return fuzz_log_run(format, yaml, data, size);                                             \
    }

#endif

/* bwt-logrun: runs log sources into an EVE file, the way `breachwatch sensor
 * --log` does, for the log tests and the benchmark until the sensor command
 * wires --log itself. Usage: bwt-logrun [-c CONFIG] [--follow] [--state DIR]
 * [--eve FILE] [--stats FILE] [--count-only] FORMAT:PATH... (--count-only: events
 * are counted, not written, to time the parsers alone); SIGTERM/SIGINT stop a follower
 * cleanly (positions saved). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "sensor/logsrc.h"
#include "sensor/output-eve-access.h"

static volatile int stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t counted;

static void count_emit(void *ctx, const struct bw_access *ev)
{
    (void)ctx;
    counted += ev->records + 1;
}

static void checkpoint(void *ctx)
{
    eve_flush(ctx);
}

int main(int argc, char **argv)
{
    const char *conf = NULL, *eve = "-", *stats = NULL, *state = NULL;
    int follow = 0, rc = 1, count_only = 0;
    struct bw_err err = {0};
    struct bw_config cfg;
    struct logs l;
    int i;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            conf = argv[++i];
        else if (strcmp(argv[i], "--count-only") == 0)
            count_only = 1;
        else if (strcmp(argv[i], "--follow") == 0)
            follow = 1;
        else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
            state = argv[++i];
        else if (strcmp(argv[i], "--eve") == 0 && i + 1 < argc)
            eve = argv[++i];
        else if (strcmp(argv[i], "--stats") == 0 && i + 1 < argc)
            stats = argv[++i];
        else {
            fprintf(stderr, "bwt-logrun: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (config_load(&cfg, conf, &err) != 0) {
        fprintf(stderr, "bwt-logrun: %s\n", err.msg);
        return 1;
    }
    if (state != NULL)
        snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state);
    struct eve_out *e = eve_open(eve, &err);
    if (e == NULL) {
        fprintf(stderr, "bwt-logrun: %s\n", err.msg);
        config_fini(&cfg);
        return 1;
    }
    eve_set_sensor_id(e, "");
    struct access_sink sink = eve_access_sink(e);
    if (count_only)
        sink.emit = count_emit;
    logs_init(&l, &sink);
    if (logs_configure(&l, &cfg, follow, &err) != 0)
        goto out;
    for (; i < argc; i++)
        if (logs_add_spec(&l, &cfg, argv[i], follow, &err) != 0)
            goto out;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    logs_run(&l, &stop, checkpoint, e);
    rc = 0;
    if (stats != NULL) {
        struct bw_buf b;
        struct bw_json j;
        bw_buf_init(&b);
        bw_json_init(&j, &b);
        bw_json_obj_begin(&j, NULL);
        logs_stats_json(&l, &j);
        bw_json_obj_end(&j);
        FILE *fp = fopen(stats, "w");
        if (fp != NULL) {
            fprintf(fp, "%s\n", b.data);
            fclose(fp);
        }
        bw_buf_fini(&b);
    }
    logs_report(&l);
out:
    if (rc != 0)
        fprintf(stderr, "bwt-logrun: %s\n", err.msg);
    logs_fini(&l);
    eve_close(e);
    config_fini(&cfg);
    return rc;
}

/* `breachwatch sensor`: capture files or interfaces through the worker, EVE out.
 * Options override the config file; see docs/config.md and docs/operations.md. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/config.h"
#include "common/log.h"
#include "common/num.h"
#include "common/timeutil.h"
#include "sensor/capture.h"
#include "sensor/detect-run.h"
#include "sensor/logsrc.h"
#include "sensor/output-eve-access.h"
#include "sensor/output-eve.h"
#include "sensor/ring.h"
#include "sensor/worker-pool.h"
#include "sensor/worker.h"

#define SENSOR_MAX_INPUTS 64

static volatile sig_atomic_t sensor_stop;
static struct detect_run sensor_detect; /* rules, engine, alert outputs */
static struct access_sink sensor_sink;
static struct eve_out *sensor_eve;

/* Log entries: an EVE `access` event each, and the detection engine. */
static void log_entry(void *ctx, const struct bw_access *ev)
{
    (void)ctx;
    eve_access_write(sensor_eve, ev);
    access_emit(&sensor_sink, ev);
}

static void on_signal(int sig)
{
    (void)sig;
    sensor_stop = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    detect_run_request_reload(&sensor_detect); /* done at the next tick */
}

struct sensor_run {
    struct worker_pool *w;
    struct capture *cap;
    uint64_t stats_interval_us;
    int64_t next_stats_us;
};

static void run_packet(void *ctx, int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                       int64_t ts_us)
{
    struct sensor_run *r = ctx;
    worker_pool_packet(r->w, dlt, data, caplen, wirelen, ts_us);
}

static void run_tick(void *ctx, int64_t now_us)
{
    struct sensor_run *r = ctx;
    worker_pool_tick(r->w, now_us);
    worker_pool_lock(r->w); /* worker threads feed the engine too */
    detect_run_tick(&sensor_detect, now_us);
    worker_pool_unlock(r->w);
    if (r->stats_interval_us == 0)
        return;
    if (r->next_stats_us == 0)
        r->next_stats_us = now_us + (int64_t)r->stats_interval_us;
    if (now_us >= r->next_stats_us) {
        struct capture_stats cs;
        capture_get_stats(r->cap, &cs);
        worker_pool_write_stats(r->w, &cs, now_us);
        eve_flush(sensor_eve);
        r->next_stats_us = now_us + (int64_t)r->stats_interval_us;
    }
}

/* The evidence hook runs on the thread of the worker whose access event
 * raised the alert: that worker's ring pool holds the flow's packets. */
static void pool_evidence(void *ctx, struct bw_alert *a, const struct bw_access *ev)
{
    struct ring_evidence_ctx c = *(const struct ring_evidence_ctx *)ctx;
    struct worker *cw = worker_pool_current();
    if (cw != NULL)
        c.ring = cw->ring;
    ring_alert_evidence(&c, a, ev);
}

static void usage(void)
{
    fprintf(stderr, "usage: breachwatch sensor [-c CONFIG] [-r PCAP]... [-i IFACE]...\n"
                    "         [--log FORMAT:PATH]... [--eve FILE|-] [--redis URL|none]\n"
                    "         [--rules DIR] [--filter BPF] [--user NAME] [--workers N]\n"
                    "         [--sensor-id ID]\n");
}

/* outputs.eve (path) and outputs.stats_interval; the rest of `outputs` belongs
 * to the output modules. */
static int load_outputs(const struct bw_config *conf, char *eve, size_t evelen, uint64_t *interval,
                        struct bw_err *err)
{
    const struct bw_ynode *out = config_section(conf, "outputs"), *n;
    const char *s;
    if (out == NULL)
        return 0;
    if (bw_yexpect(&conf->doc, out, BW_Y_MAP, err))
        return -1;
    if ((n = bw_ymap_get(out, "stats_interval")) &&
        bw_yget_duration_us(&conf->doc, n, interval, err))
        return -1;
    if ((n = bw_ymap_get(out, "eve"))) {
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        if (strcmp(s, "-") == 0)
            snprintf(eve, evelen, "-");
        else
            config_path(conf, s, eve, evelen);
    }
    return 0;
}

int cmd_sensor(int argc, char **argv)
{
    enum {
        OPT_LOG = 256,
        OPT_EVE,
        OPT_REDIS,
        OPT_RULES,
        OPT_FILTER,
        OPT_USER,
        OPT_WORKERS,
        OPT_SENSOR_ID
    };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"read", required_argument, NULL, 'r'},
        {"interface", required_argument, NULL, 'i'},
        {"log", required_argument, NULL, OPT_LOG},
        {"eve", required_argument, NULL, OPT_EVE},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"rules", required_argument, NULL, OPT_RULES},
        {"filter", required_argument, NULL, OPT_FILTER},
        {"user", required_argument, NULL, OPT_USER},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"sensor-id", required_argument, NULL, OPT_SENSOR_ID},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_file = NULL, *eve_opt = NULL, *filter = NULL, *user = NULL;
    const char *rules_dir = NULL, *redis_opt = NULL, *workers_opt = NULL, *sensor_id = NULL;
    const char *files[SENSOR_MAX_INPUTS], *ifaces[SENSOR_MAX_INPUTS], *logspecs[SENSOR_MAX_INPUTS];
    int nfiles = 0, nifaces = 0, nlogs = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:r:i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_file = optarg;
            break;
        case 'r':
        case 'i':
            if ((c == 'r' ? nfiles : nifaces) == SENSOR_MAX_INPUTS) {
                fprintf(stderr, "breachwatch sensor: at most %d -%c\n", SENSOR_MAX_INPUTS, c);
                return 2;
            }
            if (c == 'r')
                files[nfiles++] = optarg;
            else
                ifaces[nifaces++] = optarg;
            break;
        case OPT_LOG:
            if (nlogs == SENSOR_MAX_INPUTS) {
                fprintf(stderr, "breachwatch sensor: at most %d --log\n", SENSOR_MAX_INPUTS);
                return 2;
            }
            logspecs[nlogs++] = optarg;
            break;
        case OPT_EVE:
            eve_opt = optarg;
            break;
        case OPT_REDIS:
            redis_opt = optarg;
            break;
        case OPT_RULES:
            rules_dir = optarg;
            break;
        case OPT_FILTER:
            filter = optarg;
            break;
        case OPT_USER:
            user = optarg;
            break;
        case OPT_WORKERS:
            workers_opt = optarg;
            break;
        case OPT_SENSOR_ID:
            sensor_id = optarg;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "breachwatch sensor: unexpected argument '%s'\n", argv[optind]);
        usage();
        return 2;
    }
    if (nlogs > 0 && nifaces > 0) {
        /* live capture with followed logs needs one loop for both: not yet */
        fprintf(stderr, "breachwatch sensor: --log with -i is not supported yet (use the "
                        "config's logs.sources with a separate sensor)\n");
        return 2;
    }
    if (nfiles == 0 && nifaces == 0 && nlogs == 0) {
        fprintf(stderr, "breachwatch sensor: give -r PCAP, -i IFACE or --log FORMAT:PATH\n");
        usage();
        return 2;
    }
    if (nfiles > 0 && nifaces > 0) {
        fprintf(stderr, "breachwatch sensor: -r and -i cannot be combined\n");
        return 2;
    }

    int status = 1, have_conf = 0, have_logs = 0;
    struct bw_err err;
    bw_err_clear(&err);
    struct bw_config conf;
    struct capture_config ccfg;
    struct worker_config wcfg;
    struct capture *cap = NULL;
    struct eve_out *eve = NULL;
    struct worker_pool *w = NULL;
    char eve_path[512] = "-";
    uint64_t stats_interval = 30ull * BW_USEC;

    if (config_load(&conf, config_file, &err) != 0)
        goto fail;
    have_conf = 1;
    if (capture_config_load(&ccfg, &conf, &err) != 0 || worker_config_load(&wcfg, &conf, &err) ||
        load_outputs(&conf, eve_path, sizeof(eve_path), &stats_interval, &err))
        goto fail;
    if (filter != NULL) {
        if (strlen(filter) >= sizeof(ccfg.filter)) {
            bw_err_set(&err, "--filter: too long");
            goto fail;
        }
        snprintf(ccfg.filter, sizeof(ccfg.filter), "%s", filter);
    }
    if (user != NULL) {
        if (strlen(user) >= sizeof(ccfg.user)) {
            bw_err_set(&err, "--user: too long");
            goto fail;
        }
        snprintf(ccfg.user, sizeof(ccfg.user), "%s", user);
    }
    if (eve_opt != NULL)
        snprintf(eve_path, sizeof(eve_path), "%s", eve_opt);
    if (workers_opt != NULL) {
        uint64_t v;
        const char *why;
        if (bw_parse_u64(workers_opt, 1, CAPTURE_MAX_WORKERS, &v, &why) != 0) {
            bw_err_set(&err, "--workers %s: %s", workers_opt, why);
            goto fail;
        }
        ccfg.workers = (int)v;
    }
    if (sensor_id != NULL) {
        if (strlen(sensor_id) >= sizeof(conf.sensor_id)) {
            bw_err_set(&err, "--sensor-id: too long");
            goto fail;
        }
        snprintf(conf.sensor_id, sizeof(conf.sensor_id), "%s", sensor_id);
    }

    cap = capture_new(&ccfg);
    if (cap == NULL) {
        bw_err_set(&err, "out of memory");
        goto fail;
    }
    int open_errors = 0;
    for (int i = 0; i < nfiles; i++) {
        if (capture_add_file(cap, files[i], &err) != 0) {
            bw_error("%s", err.msg); /* counted; the other files are still read */
            open_errors++;
        }
    }
    for (int i = 0; i < nifaces; i++)
        if (capture_add_iface(cap, ifaces[i], &err) != 0)
            goto fail;
    eve = eve_open(eve_path, &err);
    if (eve == NULL)
        goto fail;
    eve_set_sensor_id(eve, conf.sensor_id);
    /* A broken rule stops start-up here, with its file:line:col. */
    if (detect_run_init(&sensor_detect, &conf, eve, rules_dir, redis_opt, &err) != 0)
        goto fail;
    /* Every handle and output is open: give up root now. */
    if (capture_drop_privileges(ccfg.user, &err) != 0)
        goto fail;
    w = worker_pool_new(ccfg.workers, &wcfg, eve, ccfg.ring_size, !capture_is_live(cap), &err);
    if (w == NULL)
        goto fail;
    sensor_sink = detect_run_sink(&sensor_detect);
    worker_pool_set_access_sink(w, &sensor_sink);
    /* Evidence: the alert's flow ring becomes <state_dir>/evidence/<id>.pcap. */
    static struct ring_evidence_ctx evidence_ctx;
    evidence_ctx.ring = worker_pool_worker(w, 0)->ring;
    snprintf(evidence_ctx.state_dir, sizeof(evidence_ctx.state_dir), "%s", conf.state_dir);
    if (evidence_ctx.ring != NULL && sensor_detect.engine != NULL)
        detect_set_evidence_fn(sensor_detect.engine, pool_evidence, &evidence_ctx);
    sensor_eve = eve;
    struct logs logs;
    struct access_sink log_sink = {log_entry, NULL};
    logs_init(&logs, &log_sink);
    have_logs = 1;
    for (int i = 0; i < nlogs; i++)
        if (logs_add_spec(&logs, &conf, logspecs[i], 0, &err) != 0)
            goto fail;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    /* Log files are read whole (one-shot) before the capture files. */
    if (nlogs > 0)
        logs_run(&logs, (volatile int *)&sensor_stop, NULL, NULL);
    struct sensor_run run = {w, cap, capture_is_live(cap) ? stats_interval : 0, 0};
    int rc = capture_run(cap, run_packet, run_tick, &run, &sensor_stop, &err);
    if (rc != 0)
        bw_error("%s", err.msg);
    worker_pool_join(w); /* every frame handed on is handled */
    int64_t end_ts = capture_is_live(cap) ? bw_now_us() : worker_pool_last_ts(w);
    if (end_ts == INT64_MIN)
        end_ts = 0;
    /* Flows still open end now (reason shutdown), before the final stats
     * event so that it counts them; offline it carries packet time. */
    worker_pool_shutdown(w, end_ts);
    if (have_logs) {
        logs_fini(&logs); /* completes pending entries */
        have_logs = 0;
    }
    detect_run_fini(&sensor_detect); /* last alert updates, baselines, Redis */
    struct capture_stats cs;
    capture_get_stats(cap, &cs);
    worker_pool_write_stats(w, &cs, end_ts);
    status = (rc != 0 || open_errors > 0 || cs.file_errors > 0) ? 1 : 0;
    goto out;
fail:
    if (err.msg[0])
        fprintf(stderr, "breachwatch sensor: %s\n", err.msg);
out:
    if (have_logs)
        logs_fini(&logs);
    worker_pool_free(w);
    detect_run_fini(&sensor_detect);
    eve_close(eve);
    capture_free(cap);
    if (have_conf)
        config_fini(&conf);
    return status;
}

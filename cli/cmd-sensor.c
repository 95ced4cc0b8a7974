/* `breachwatch sensor`: capture files or interfaces through the workers and
 * server logs through the log sources, EVE out. Options override the config
 * file; see docs/config.md, docs/operations.md and docs/logs.md. */
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
#include "sensor/dns-payload.h"
#include "sensor/inventory.h"
#include "sensor/logsrc.h"
#include "sensor/output-eve-access.h"
#include "sensor/output-eve.h"
#include "sensor/pii-tap.h"
#include "sensor/ring.h"
#include "sensor/sql-estimate.h"
#include "sensor/worker-pool.h"
#include "sensor/worker.h"

#define SENSOR_MAX_INPUTS 64

static volatile sig_atomic_t sensor_stop;
static volatile int logs_stop;          /* the same, in the type logs_run() takes */
static struct detect_run sensor_detect; /* rules, engine, alert outputs */
static struct access_sink sensor_sink;
static struct eve_out *sensor_eve;
static const struct inventory *sensor_inv;

/* Log entries: records from the data inventory (web logs) or from the
 * statement (database logs without row counts), an EVE `access` event each,
 * and the detection engine. */
/* The newest log time seen: the final stats event of a run on logs alone
 * carries it (offline, time is the data's own). */
static int64_t log_last_ts = INT64_MIN;

static void log_entry(void *ctx, const struct bw_access *in)
{
    (void)ctx;
    if (in->ts_us > log_last_ts)
        log_last_ts = in->ts_us;
    struct bw_access ev = *in;
    (void)inventory_apply_http(sensor_inv, &ev);
    (void)sql_estimate_apply(sensor_inv, &ev);
    eve_access_write(sensor_eve, &ev);
    access_emit(&sensor_sink, &ev);
}

/* Before log positions are saved: what was emitted is out first. A
 * follower also drives detection's periodic work on the wall clock (ctx:
 * the follow flag); one-shot runs stay on event time. Runs after the
 * workers have stopped. */
static void logs_checkpoint(void *ctx)
{
    if (*(const int *)ctx)
        detect_run_tick(&sensor_detect, bw_now_us());
    eve_flush(sensor_eve);
}

static void on_signal(int sig)
{
    (void)sig;
    sensor_stop = 1;
    logs_stop = 1;
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
    struct logs *logs; /* polled from the tick when live; NULL otherwise */
    int64_t logs_saved_us;
};

/* The inventory named by `inventory:` (a path, relative to the config file),
 * else inventory.yaml next to the config file, else config/inventory.yaml;
 * a default that does not exist is no error. Returns 1 loaded, 0 none, -1. */
static int load_inventory(const struct bw_config *conf, struct inventory *inv, struct bw_err *err)
{
    const struct bw_ynode *n = config_section(conf, "inventory");
    char path[512];
    const char *s;
    if (n != NULL) {
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        config_path(conf, s, path, sizeof(path));
    } else {
        if (conf->path[0])
            config_path(conf, "inventory.yaml", path, sizeof(path));
        else
            snprintf(path, sizeof(path), "config/inventory.yaml");
        if (access(path, F_OK) != 0)
            return 0;
    }
    return inventory_load(inv, path, NULL, err) == 0 ? 1 : -1;
}

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
    if (r->logs != NULL) {
        size_t n = logs_poll(r->logs);
        int64_t mono = bw_mono_us();
        if (n == 0 || mono - r->logs_saved_us > BW_USEC) {
            eve_flush(sensor_eve); /* events first, then the positions that say they are out */
            logs_save(r->logs);
            r->logs_saved_us = mono;
        }
    }
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
                    "         [--sensor-id ID] [--follow | --once] [--state DIR]\n");
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
        OPT_SENSOR_ID,
        OPT_FOLLOW,
        OPT_ONCE,
        OPT_STATE
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
        {"follow", no_argument, NULL, OPT_FOLLOW},
        {"once", no_argument, NULL, OPT_ONCE},
        {"state", required_argument, NULL, OPT_STATE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_file = NULL, *eve_opt = NULL, *filter = NULL, *user = NULL;
    const char *rules_dir = NULL, *redis_opt = NULL, *workers_opt = NULL, *sensor_id = NULL;
    const char *state_opt = NULL;
    const char *files[SENSOR_MAX_INPUTS], *ifaces[SENSOR_MAX_INPUTS], *logspecs[SENSOR_MAX_INPUTS];
    int nfiles = 0, nifaces = 0, nlogs = 0, follow_opt = 0, once_opt = 0, c;
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
        case OPT_FOLLOW:
            follow_opt = 1;
            break;
        case OPT_ONCE:
            once_opt = 1;
            break;
        case OPT_STATE:
            state_opt = optarg;
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
    if (follow_opt && once_opt) {
        fprintf(stderr, "breachwatch sensor: --follow and --once cannot be combined\n");
        return 2;
    }
    if (nfiles > 0 && nifaces > 0) {
        fprintf(stderr, "breachwatch sensor: -r and -i cannot be combined\n");
        return 2;
    }

    int status = 1, have_conf = 0, have_logs = 0, have_inv = 0;
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
    /* Log sources: one-shot when offline (-r, or --once), follow when live
     * (-i), with --follow, or when logs are the only input. */
    int follow = follow_opt || nifaces > 0 || (nfiles == 0 && !once_opt);
    struct logs logs;
    struct access_sink log_sink = {log_entry, NULL};
    struct inventory inv;
    struct pii_config pcfg;
    struct pii_scanner *pii = NULL;
    struct dns_seen *dns_seen = NULL;    /* recent query names, shared by every table */
    struct dns_payload *logs_dns = NULL; /* payload streams of the resolver logs */

    if (config_load(&conf, config_file, &err) != 0)
        goto fail;
    have_conf = 1;
    if (state_opt != NULL) {
        if (strlen(state_opt) >= sizeof(conf.state_dir)) {
            bw_err_set(&err, "--state: too long");
            goto fail;
        }
        snprintf(conf.state_dir, sizeof(conf.state_dir), "%s", state_opt);
    }
    /* Sources are opened before root is given up (log files are often
     * readable by root or adm only). */
    logs_init(&logs, &log_sink);
    have_logs = 1;
    if (logs_configure(&logs, &conf, follow, &err) != 0)
        goto fail;
    for (int i = 0; i < nlogs; i++)
        if (logs_add_spec(&logs, &conf, logspecs[i], follow, &err) != 0)
            goto fail;
    if (nfiles == 0 && nifaces == 0 && logs.n == 0) {
        fprintf(stderr, "breachwatch sensor: give -r PCAP, -i IFACE or --log FORMAT:PATH\n");
        usage();
        status = 2;
        goto out;
    }
    if ((have_inv = load_inventory(&conf, &inv, &err)) < 0)
        goto fail;
    sensor_inv = have_inv ? &inv : NULL;
    if (pii_config_load(&pcfg, &conf, &err) != 0)
        goto fail;
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
    if (sensor_detect.engine != NULL)
        detect_set_inventory(sensor_detect.engine, sensor_inv); /* rules' `estimate` */
    /* The installation key is read (or made) before root is given up: it
     * lives in the state folder with the log positions. */
    int dns_logs = logs_has_format(&logs, "dnsmasq") || logs_has_format(&logs, "bind");
    if ((nfiles + nifaces > 0 || dns_logs) && pcfg.enabled &&
        (pii = pii_scanner_for(&conf, &err)) == NULL)
        goto fail;
    /* DNS payload streams: one table per worker and one for the logs, one
     * cache of recent names for all (sensor/dns-payload.h). */
    if (pii != NULL && (dns_seen = dns_seen_new(&err)) == NULL)
        goto fail;
    if (pii != NULL && dns_logs) {
        if ((logs_dns = dns_payload_new(pii, dns_seen, &err)) == NULL)
            goto fail;
        logs_set_dns_payload(&logs, logs_dns);
    }
    /* Every handle and output is open: give up root now. */
    if (capture_drop_privileges(ccfg.user, &err) != 0)
        goto fail;
    w = worker_pool_new(ccfg.workers, &wcfg, eve, ccfg.ring_size, !capture_is_live(cap), &err);
    if (w == NULL)
        goto fail;
    /* Each worker gets its own scanner scratch and estimator pool; set before
     * the first frame is handed on (the ring hand-off publishes them). */
    for (int i = 0; i < worker_pool_count(w); i++) {
        if (pii != NULL &&
            (worker_set_pii(worker_pool_worker(w, i), pii, pcfg.distinct_pool, &err) != 0 ||
             worker_set_dns_payload(worker_pool_worker(w, i), dns_seen, &err) != 0))
            goto fail;
        worker_set_inventory(worker_pool_worker(w, i), sensor_inv);
    }
    sensor_sink = detect_run_sink(&sensor_detect);
    worker_pool_set_access_sink(w, &sensor_sink);
    /* Evidence: the alert's flow ring becomes <state_dir>/evidence/<id>.pcap. */
    static struct ring_evidence_ctx evidence_ctx;
    evidence_ctx.ring = worker_pool_worker(w, 0)->ring;
    snprintf(evidence_ctx.state_dir, sizeof(evidence_ctx.state_dir), "%s", conf.state_dir);
    if (evidence_ctx.ring != NULL && sensor_detect.engine != NULL)
        detect_set_evidence_fn(sensor_detect.engine, pool_evidence, &evidence_ctx);
    sensor_eve = eve;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    struct sensor_run run = {w,
                             cap,
                             capture_is_live(cap) ? stats_interval : 0,
                             0,
                             capture_is_live(cap) && logs.n > 0 ? &logs : NULL,
                             bw_mono_us()};
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
    /* Offline the logs follow the capture files, after their last flow
     * (one-shot, or followed until stopped with --follow); live they were
     * polled from the tick and now only complete pending entries and save
     * positions. The final stats event comes last. */
    if (logs.n > 0) {
        if (run.logs != NULL)
            logs_stop = 1;
        logs_run(&logs, &logs_stop, logs_checkpoint, &follow);
        logs_report(&logs);
    }
    if (have_logs) {
        logs_fini(&logs); /* completes pending entries */
        have_logs = 0;
    }
    detect_run_fini(&sensor_detect); /* last alert updates, baselines, Redis */
    struct capture_stats cs;
    capture_get_stats(cap, &cs);
    if (!capture_is_live(cap) && log_last_ts > end_ts)
        end_ts = log_last_ts;
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
    dns_payload_free(logs_dns);
    dns_seen_free(dns_seen);
    pii_scanner_free(pii);
    eve_close(eve);
    capture_free(cap);
    if (have_inv > 0)
        inventory_fini(&inv);
    if (have_conf)
        config_fini(&conf);
    return status;
}

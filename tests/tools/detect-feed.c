/* bwt-detect-feed: runs the detection wiring (rules, engine, EVE, Redis with
 * spool) over access events read from a text file, one per line, optionally
 * paced in real time, for end-to-end tests of the outputs (Redis outage,
 * reload). Line: TS_S CHANNEL DIRECTION ACTOR USER DEST DATASET RECORDS BYTES
 * [DETAIL], fields separated by spaces, "-" for empty; CHANNEL is pgsql, ...,
 * or log:FORMAT; DIRECTION read|send. Stats go to stderr as key=value. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/num.h"
#include "common/timeutil.h"
#include "sensor/detect-run.h"
#include "sensor/output-eve.h"
#include "sensor/output-redis.h"

static struct detect_run run;

static void on_hup(int sig)
{
    (void)sig;
    detect_run_request_reload(&run);
}

static const char *field(char **p)
{
    char *f = strsep(p, " \t");
    while (f != NULL && *f == '\0')
        f = strsep(p, " \t");
    return f;
}

static int parse_line(char *line, struct bw_access *ev, char *fmt, size_t fmtlen)
{
    static const char *ch[] = {"pgsql", "mysql", "http", "dns", "tls", "flow"};
    char *p = line;
    const char *f[10];
    for (int i = 0; i < 10; i++)
        f[i] = field(&p);
    for (int i = 0; i < 9; i++)
        if (f[i] == NULL)
            return -1;
    access_init(ev);
    double ts;
    if (bw_parse_double(f[0], 0, 1e11, &ts, NULL))
        return -1;
    ev->ts_us = (int64_t)(ts * 1e6);
    int found = 0;
    for (int i = 0; i < 6; i++)
        if (strcmp(f[1], ch[i]) == 0) {
            ev->channel = (enum access_channel)i;
            found = 1;
        }
    if (!found && strncmp(f[1], "log:", 4) == 0) {
        ev->channel = ACCESS_CH_LOG;
        snprintf(fmt, fmtlen, "%s", f[1] + 4);
        ev->format = fmt;
        found = 1;
    }
    if (!found)
        return -1;
    ev->direction = strcmp(f[2], "send") == 0 ? ACCESS_SEND : ACCESS_READ;
    if (bw_addr_parse(f[3], &ev->actor_ip) || bw_addr_parse(f[5], &ev->dest_ip))
        return -1;
    if (strcmp(f[4], "-") != 0)
        snprintf(ev->actor_user, sizeof(ev->actor_user), "%s", f[4]);
    if (strcmp(f[6], "-") != 0)
        snprintf(ev->dataset, sizeof(ev->dataset), "%s", f[6]);
    if (bw_parse_u64(f[7], 0, UINT64_MAX, &ev->records, NULL) ||
        bw_parse_u64(f[8], 0, UINT64_MAX, &ev->bytes, NULL))
        return -1;
    ev->records_src = ev->records ? ACCESS_REC_ROWS : ACCESS_REC_NONE;
    if (f[9] != NULL && strcmp(f[9], "-") != 0)
        snprintf(ev->detail, sizeof(ev->detail), "%s", f[9]);
    if (ev->channel == ACCESS_CH_DNS)
        ev->dns_qtype = 1;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"rules", required_argument, NULL, 'R'},
        {"eve", required_argument, NULL, 'e'},     {"redis", required_argument, NULL, 'r'},
        {"pace-ms", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *rules = NULL, *eve_path = "-", *redis = "none";
    uint64_t pace_ms = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'R':
            rules = optarg;
            break;
        case 'e':
            eve_path = optarg;
            break;
        case 'r':
            redis = optarg;
            break;
        case 'p':
            if (bw_parse_u64(optarg, 0, 10000, &pace_ms, NULL) != 0)
                return 2;
            break;
        default:
            fprintf(stderr, "usage: bwt-detect-feed [-c CONFIG] [--rules DIR] [--eve FILE] "
                            "[--redis URL] [--pace-ms N] [EVENTS]\n");
            return 2;
        }
    }
    FILE *in = optind < argc ? fopen(argv[optind], "r") : stdin;
    if (in == NULL) {
        perror(argv[optind]);
        return 1;
    }
    struct bw_err err;
    struct bw_config conf;
    bw_err_clear(&err);
    if (config_load(&conf, config, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    struct eve_out *eve = eve_open(eve_path, &err);
    if (eve == NULL || detect_run_init(&run, &conf, eve, rules, redis, &err) != 0) {
        fprintf(stderr, "bwt-detect-feed: %s\n", err.msg);
        eve_close(eve);
        config_fini(&conf);
        return 1;
    }
    signal(SIGHUP, on_hup);
    struct access_sink sink = detect_run_sink(&run);
    char line[4096], fmt[32];
    uint64_t bad = 0, n = 0;
    int64_t last_ts = 0;
    while (fgets(line, sizeof(line), in) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        struct bw_access ev;
        if (parse_line(line, &ev, fmt, sizeof(fmt)) != 0) {
            bad++;
            continue;
        }
        access_emit(&sink, &ev);
        last_ts = ev.ts_us;
        n++;
        if (pace_ms) {
            struct timespec ts = {(time_t)(pace_ms / 1000), (long)(pace_ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
        detect_run_tick(&run, last_ts);
        eve_flush(eve);
    }
    if (in != stdin)
        fclose(in);
    struct detect_stats ds;
    detect_get_stats(run.engine, &ds);
    struct redis_out *ro = run.redis;
    run.redis = NULL; /* report its stats after the final delivery */
    detect_run_fini(&run);
    fprintf(stderr, "events=%llu bad=%llu alerts=%llu updates=%llu reloads=%llu\n",
            (unsigned long long)n, (unsigned long long)bad, (unsigned long long)ds.alerts,
            (unsigned long long)ds.updates, (unsigned long long)run.reloads);
    if (ro != NULL) {
        struct redis_out_stats rs;
        redis_out_drain(ro);
        redis_out_get_stats(ro, &rs);
        fprintf(stderr, "spooled=%llu delivered=%llu duplicates=%llu pending=%llu\n",
                (unsigned long long)rs.spooled, (unsigned long long)rs.delivered,
                (unsigned long long)rs.duplicates, (unsigned long long)rs.pending);
        redis_out_free(ro);
    }
    eve_close(eve);
    config_fini(&conf);
    return 0;
}

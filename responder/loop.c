/* The responder's main loop (see loop.h): start-up, then the alert stream
 * (alert-stream.c) with back-off while Redis cannot serve, until stopped. */
#include "responder/loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "responder/alert-stream.h"
#include "responder/contain.h"
#include "responder/forensics.h"
#include "responder/impact.h"
#include "responder/pipeline.h"

static volatile sig_atomic_t stop_flag;

int responder_stopping(void)
{
    return stop_flag != 0;
}

void responder_stop(void)
{
    stop_flag = 1;
}

int responder_commit(struct responder *R)
{
    int written = 0;
    if (forensics_commit(R->fx, &written) != 0) {
        bw_error("responder: journal write failed; stopping before acting on it");
        return -1;
    }
    if (!written)
        R->st->journal_waits++;
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int needs_containment(const struct responder_config *cfg)
{
    if (cfg->force_dry_run)
        return 0;
    for (int i = 0; i < cfg->nplaybooks; i++)
        if (cfg->playbooks[i].mode == PLAYBOOK_ENFORCE && cfg->playbooks[i].action_block)
            return 1;
    return 0;
}

/* Sleeps ms milliseconds, or less when a signal arrives. */
static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    if (!stop_flag)
        nanosleep(&ts, NULL); /* EINTR on SIGTERM/SIGINT: no SA_RESTART */
}

/* Start-up: waits until Redis serves the consumer group (the alerts are
 * there), however long it is away or -LOADING its dataset, as a service
 * under systemd must: backs off 100 ms doubling to 2 s and logs what it
 * waits for once every 10 s. Returns 0 when Redis serves, 1 when stopped by
 * SIGTERM/SIGINT meanwhile, -1 with err on a configuration error waiting
 * does not cure (wrong password, unknown or forbidden command...) or, with
 * --once, after 60 s. */
static int wait_for_redis(struct responder *R, const struct responder_opts *opts, const char *shown,
                          struct bw_err *err)
{
    char why[512];
    int64_t since = bw_mono_us(), next_log = since;
    int backoff_ms = 100, waited = 0;
    for (;;) {
        int g = alert_stream_group(R, why, sizeof(why));
        if (g == 0)
            break;
        if (g < 0)
            return bw_err_set(err, "redis %s: %s (configuration error; not retried)", shown, why);
        if (stop_flag)
            return 1;
        int64_t now = bw_mono_us();
        long secs = (long)((now - since) / BW_USEC);
        if (opts->once && now - since > 60 * BW_USEC)
            return bw_err_set(err, "redis %s: not serving for 60 s: %s", shown, why);
        if (now >= next_log) {
            bw_warn("responder: waiting for redis %s (%ld s): %s", shown, secs, why);
            while (next_log <= now)
                next_log += 10 * BW_USEC;
        }
        waited = 1;
        int64_t to_log_ms = (next_log - bw_mono_us()) / 1000 + 1;
        nap(to_log_ms > 0 && to_log_ms < backoff_ms ? (int)to_log_ms : backoff_ms);
        backoff_ms = backoff_ms >= 1000 ? 2000 : backoff_ms * 2;
    }
    if (waited)
        bw_warn("responder: redis %s serves after %ld s", shown,
                (long)((bw_mono_us() - since) / BW_USEC));
    return 0;
}

int responder_run(struct responder_config *cfg, const struct responder_opts *opts,
                  struct responder_stats *stats, struct bw_err *err)
{
    struct responder *R = calloc(1, sizeof(*R));
    struct bw_redis_url url;
    int rc = -1;
    if (R == NULL)
        return bw_err_set(err, "out of memory");
    memset(stats, 0, sizeof(*stats));
    R->cfg = cfg;
    R->st = stats;
    snprintf(R->stream, sizeof(R->stream), "%salerts", cfg->prefix);
    snprintf(R->actor_name, sizeof(R->actor_name), "responder:%s", cfg->consumer);
    if (bw_redis_url_parse(opts->url, &url, err) != 0)
        goto out;
    char shown[300]; /* the URL without its password, for messages */
    bw_redis_url_fmt(&url, shown, sizeof(shown));
    R->r = bw_redis_new(&url, opts->timeout_ms);
    if (R->r == NULL) {
        bw_err_set(err, "out of memory");
        goto out;
    }
    cfg->redis = R->r;
    R->fx = forensics_new(cfg, R->r, NULL, err);
    if (R->fx == NULL)
        goto out;
    if (needs_containment(cfg)) {
        R->ct = containment_new(cfg, err);
        if (R->ct == NULL)
            goto out;
    }
    if (cfg->conf != NULL) {
        R->notice_in = calloc(1, sizeof(*R->notice_in));
        if (R->notice_in == NULL || impact_inputs_load(R->notice_in, cfg->conf, err) != 0) {
            free(R->notice_in);
            R->notice_in = NULL;
            goto out;
        }
    }
    stop_flag = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int w = wait_for_redis(R, opts, shown, err);
    if (w != 0) {
        rc = w > 0 ? 0 : -1; /* stopped while waiting: a clean exit */
        goto out;
    }
    int64_t next_reclaim = 0;
    int phase_pending = 1; /* first our own pending entries (crash recovery) */
    int64_t unsynced_since = 0, unknown_since = 0;
    int backoff_ms = 0;
    while (!stop_flag) {
        if (!forensics_synced(R->fx) && forensics_flush(R->fx) != 0) {
            /* Redis away: everything is in the journal; wait. A --once run
             * gives up after a minute (the journal is written through by the
             * next run). */
            int64_t now = bw_mono_us();
            if (unsynced_since == 0)
                unsynced_since = now;
            if (opts->once && now - unsynced_since > 60 * BW_USEC) {
                bw_err_set(err, "redis %s unreachable for 60 s; the journal %s keeps the rest",
                           shown, cfg->consumer);
                goto out;
            }
            usleep(100000);
            continue;
        }
        unsynced_since = 0;
        int n;
        if (phase_pending) {
            n = alert_stream_read(R, "0", -1);
            if (n == 0) {
                phase_pending = 0;
                continue;
            }
        } else if (bw_mono_us() >= next_reclaim) {
            forensics_flush_orphans(R->fx);
            n = alert_stream_reclaim(R);
            next_reclaim = bw_mono_us() + (int64_t)(cfg->reclaim_idle_ms * 1000 / 2 + 1000);
            if (n >= 0)
                n = alert_stream_read(R, ">", opts->once ? -1 : 1000);
            else if (n == -2)
                next_reclaim = 0;
        } else {
            n = alert_stream_read(R, ">", opts->once ? -1 : 1000);
        }
        if (n == -1)
            goto out_err;
        if (n == -3) { /* group deleted under us */
            char why[512];
            if (alert_stream_group(R, why, sizeof(why)) < 0)
                bw_warn("responder: %s", why);
            continue;
        }
        if (n == -2) {
            /* Redis unreachable or not serving (-LOADING...), or a lookup it
             * could not answer: what was delivered to us and not acked is
             * read again from our pending entries once it serves; back off
             * 100 ms doubling to 2 s meanwhile. */
            int64_t now = bw_mono_us();
            if (unknown_since == 0)
                unknown_since = now;
            if (opts->once && now - unknown_since > 60 * BW_USEC) {
                bw_err_set(err, "redis %s not serving for 60 s; alerts left pending", shown);
                goto out;
            }
            phase_pending = 1;
            backoff_ms = backoff_ms == 0 ? 100 : (backoff_ms >= 1000 ? 2000 : backoff_ms * 2);
            usleep((useconds_t)backoff_ms * 1000);
            continue;
        }
        unknown_since = 0;
        backoff_ms = 0;
        if (opts->once && n == 0 && !phase_pending)
            break;
    }
    forensics_flush(R->fx);
    rc = 0;
    goto out;
out_err:
    bw_err_set(err, "responder: stopped: the journal could not be written");
out:
    if (R != NULL) {
        containment_free(R->ct);
        forensics_free(R->fx);
        if (R->notice_in != NULL)
            impact_inputs_fini(R->notice_in);
        free(R->notice_in);
        incident_cache_fini(R);
        bw_redis_free(R->r);
        cfg->redis = NULL;
        free(R);
    }
    return rc;
}

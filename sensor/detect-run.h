/* Detection as the sensor runs it: rule directory, engine, GeoIP, alert
 * outputs (EVE, Redis with spool) and SIGHUP reload, bundled so that the
 * sensor command wires detection with a handful of calls. */
#ifndef BW_DETECT_RUN_H
#define BW_DETECT_RUN_H

#include <signal.h>

#include "common/config.h"
#include "common/err.h"
#include "sensor/access.h"
#include "sensor/detect.h"

struct eve_out;
struct geo;
struct redis_out;

struct detect_run {
    char rules_dir[512];
    struct rule_set *rules;
    struct detect_engine *engine;
    struct geo *geo;
    struct redis_out *redis; /* NULL without Redis */
    struct eve_out *eve;     /* borrowed */
    volatile sig_atomic_t reload_pending;
    uint64_t reloads, reload_failures;
};

/* The rule directory used without --rules: ./rules/default when it exists,
 * else <exe>/../share/breachwatch/rules/default, else <exe>/../rules/default
 * (a build directory inside the source tree). Writes into out. */
const char *detect_run_default_rules(char *out, size_t outlen);

/* Loads the rules (any error fails: file:line:col in err), opens GeoIP from
 * the config, builds the engine writing alerts to eve, and Redis output when
 * redis_url (else config redis.url) is set and not "none". Returns 0 or -1. */
int detect_run_init(struct detect_run *d, const struct bw_config *conf, struct eve_out *eve,
                    const char *rules_dir, const char *redis_url, struct bw_err *err) BW_WUR;
/* Emits pending alert updates, saves baselines, delivers what Redis takes,
 * frees. Safe on a zeroed struct. */
void detect_run_fini(struct detect_run *d);
/* Where access events go. */
struct access_sink detect_run_sink(struct detect_run *d);
/* Periodic work: pending reload, alert updates and period ends at now_us,
 * delivery of spooled alerts. */
void detect_run_tick(struct detect_run *d, int64_t now_us);
/* Reloads the rule directory now. A broken rule keeps the old set running
 * (logged with file:line:col). Returns 0 or -1 with err. */
int detect_run_reload(struct detect_run *d, struct bw_err *err) BW_WUR;
/* For a SIGHUP handler: async-signal-safe, the reload happens at the next tick. */
static inline void detect_run_request_reload(struct detect_run *d)
{
    d->reload_pending = 1;
}

#endif

/* The responder's configuration (config/responder.yaml: incidents, playbooks,
 * and the `containment:` section read by responder/contain.c) and the pieces
 * every responder module and CLI command shares. Loaded by
 * responder_config_load(); see docs/responder.md. */
#ifndef BW_RESPONDER_H
#define BW_RESPONDER_H

#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "common/yaml-tree.h"

struct bw_redis;

enum playbook_mode {
    PLAYBOOK_DRY_RUN, /* record the intended action, call no backend */
    PLAYBOOK_APPROVE, /* record a pending action; `breachwatch contain IP` confirms it */
    PLAYBOOK_ENFORCE, /* call the containment backends */
};

#define PLAYBOOK_MAX       32
#define PLAYBOOK_RULES_MAX 32

/* One playbook: which alerts trigger which action. A playbook matches an
 * incident when one of its rules (or "*") raised an alert in it and the
 * incident's severity is at most max_severity (1 = highest). The first
 * matching playbook wins. */
struct playbook {
    char name[64];
    int line, col; /* position in responder.yaml, for messages */
    int nrules;
    char rules[PLAYBOOK_RULES_MAX][64]; /* rule ids, "*" = every rule */
    int max_severity;                   /* 1..4 */
    enum playbook_mode mode;
    int action_block;     /* 1 = block the actor, 0 = record only (notify) */
    uint64_t ttl_s;       /* block duration */
    uint64_t min_records; /* incident records at least this (0 = any) */
};

struct responder_config {
    const struct bw_config *conf; /* main config: home_net, state_dir, sensor_id; borrowed */
    struct bw_ydoc doc;           /* responder.yaml as loaded ("" file when absent) */
    char path[256];               /* responder.yaml path, "" when running on defaults */
    char state_dir[256];          /* conf->state_dir unless responder.yaml says otherwise */
    char prefix[32];              /* Redis key prefix, default "bw:" */
    int prefix_set;               /* key_prefix given in responder.yaml */
    char consumer[128];           /* consumer name in the group; default hostname-pid */
    char group[64];               /* consumer group, default "responders" */
    char host[64];                /* host name recorded in timeline entries */

    /* Incidents. */
    uint64_t incident_window_s; /* alerts of one actor within this join one incident */
    uint64_t escalate_alerts;   /* each this many alerts raise severity by one level */
    uint64_t reclaim_idle_ms;   /* XAUTOCLAIM entries pending longer than this */
    int force_dry_run;          /* --dry-run: every playbook runs in dry-run mode */
    int redact;                 /* redact personal data in stored samples (default 1) */

    int nplaybooks;
    struct playbook playbooks[PLAYBOOK_MAX];

    /* `containment:` mapping of responder.yaml (NULL when absent), for
     * containment_new(). Points into doc. */
    const struct bw_ynode *containment;

    /* Borrowed Redis handle (NULL when running without Redis). The rails of
     * contain.c may keep their own small state through it (bw:offender:{IP});
     * incidents and bw:containment:{IP} are written by forensics.c only. */
    struct bw_redis *redis;
};

/* Loads responder.yaml (path NULL: the `responder:` entry of the main config,
 * else defaults only). Errors name file:line:col. conf is borrowed and must
 * outlive cfg. Returns 0 or -1 with err. */
int responder_config_load(struct responder_config *cfg, const struct bw_config *conf,
                          const char *path, struct bw_err *err) BW_WUR;
void responder_config_fini(struct responder_config *cfg);

const char *playbook_mode_name(enum playbook_mode m);

/* The Redis URL to use: `override` (--redis) if set, else `redis: {url}` of
 * the main config, else redis://127.0.0.1:6379/0. Also takes `redis:
 * {prefix}` into cfg->prefix when responder.yaml did not set key_prefix.
 * Returns 0, or -1 with err for a bad value. */
int responder_redis_url(struct responder_config *cfg, const char *override, char *out,
                        size_t outlen, struct bw_err *err) BW_WUR;

#endif

/* `breachwatch contain IP [--ttl DURATION] [--reason TEXT]`: an analyst's
 * block through the containment rails and backends; with --redis it is also
 * the approval of an approve-mode playbook's pending action for that IP
 * (bw:pending:{IP}), which is then applied under its own action id. */
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/contain-cli.h"
#include "common/num.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "responder/contain-rails.h"

static void usage(void)
{
    fprintf(stderr, "usage: breachwatch contain IP [--ttl DURATION] [--reason TEXT] [-c CONFIG] "
                    "[-p RESPONDER_YAML] [--redis URL|none] [--json]\n");
}

struct pending {
    char action_id[RAILS_ACTION_ID_MAX];
    char incident[128];
    char reason[128];
    uint64_t ttl_s;
};

/* Reads bw:pending:{IP}. Returns 1 when there is one, 0 when not, -1 when
 * Redis could not be asked. */
static int pending_get(const char *url, const char *ip, struct pending *p, struct bw_err *err)
{
    struct bw_redis_url u;
    char key[128];
    int rc = -1;
    if (bw_redis_url_parse(url, &u, err) != 0)
        return -1;
    struct bw_redis *r = bw_redis_new(&u, 2000);
    if (r == NULL)
        return bw_err_set(err, "out of memory");
    snprintf(key, sizeof(key), "bw:pending:{%s}", ip);
    const char *argv[] = {"HGETALL", key};
    redisReply *rep = bw_redis_cmdv(r, 2, argv);
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        bw_err_set(err, "redis %s: %s", url, rep ? "unexpected reply" : bw_redis_errstr(r));
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const char *f = rep->element[i]->str, *v = rep->element[i + 1]->str;
        if (f == NULL || v == NULL)
            continue;
        if (strcmp(f, "action_id") == 0) {
            snprintf(p->action_id, sizeof(p->action_id), "%s", v);
            rc = 1;
        } else if (strcmp(f, "incident") == 0) {
            snprintf(p->incident, sizeof(p->incident), "%s", v);
        } else if (strcmp(f, "reason") == 0) {
            snprintf(p->reason, sizeof(p->reason), "%s", v);
        } else if (strcmp(f, "ttl_s") == 0 &&
                   bw_parse_u64(v, 1, 366ull * 86400, &p->ttl_s, NULL) != 0) {
            p->ttl_s = 0;
        }
    }
out:
    bw_redis_reply_free(rep);
    bw_redis_free(r);
    return rc;
}

int cmd_contain(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ttl", required_argument, NULL, 't'},    {"reason", required_argument, NULL, 'R'},
        {"config", required_argument, NULL, 'c'}, {"playbooks", required_argument, NULL, 'p'},
        {"redis", required_argument, NULL, 'r'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *conf_path = NULL, *rc_path = NULL, *url = NULL, *reason = NULL, *why;
    uint64_t ttl_us = 0;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (bw_parse_duration_us(optarg, &ttl_us, &why) != 0 || ttl_us < BW_USEC) {
                fprintf(stderr, "breachwatch contain: --ttl '%s': %s\n", optarg,
                        ttl_us < BW_USEC ? "at least 1s" : why);
                return 2;
            }
            break;
        case 'R':
            reason = optarg;
            break;
        case 'c':
            conf_path = optarg;
            break;
        case 'p':
            rc_path = optarg;
            break;
        case 'r':
            url = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage();
        return 2;
    }
    struct contain_action a = {.kind = CONTAIN_BLOCK, .reason = reason ? reason : "analyst"};
    if (bw_addr_parse(argv[optind], &a.ip) != 0) {
        fprintf(stderr, "breachwatch contain: '%s' is not an IP address\n", argv[optind]);
        return 2;
    }
    char ip[BW_ADDR_STRLEN];
    bw_addr_fmt(&a.ip, ip);
    struct pending p;
    memset(&p, 0, sizeof(p));
    if (url != NULL && strcmp(url, "none") != 0) {
        struct bw_err err;
        bw_err_clear(&err);
        int got = pending_get(url, ip, &p, &err);
        if (got < 0) {
            fprintf(stderr, "breachwatch contain: %s\n", err.msg);
            return 1;
        }
        if (got == 1) {
            /* The approval: the playbook's action, under its own id, so the
             * responder and this command never apply it twice. */
            a.action_id = p.action_id;
            a.incident_id = p.incident;
            a.ttl_s = ttl_us ? ttl_us / BW_USEC : p.ttl_s;
            if (reason == NULL && p.reason[0])
                a.reason = p.reason;
            fprintf(stderr, "breachwatch contain: approving pending action %s of incident %s\n",
                    p.action_id, p.incident);
        }
    }
    if (a.action_id == NULL)
        a.ttl_s = ttl_us / BW_USEC; /* ad hoc: no action id, an analyst may repeat it */
    struct contain_cli cc;
    if (contain_cli_open(&cc, "contain", conf_path, rc_path) != 0)
        return 1;
    struct contain_result res[40];
    int n = containment_apply(cc.ct, &a, res, 40);
    int status = contain_cli_report("contain", res, n < 0 ? 1 : n, json);
    contain_cli_close(&cc);
    return n < 0 ? 1 : status;
}

/* `breachwatch responder`: runs the responder loop (responder/loop.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/responder-cli.h"
#include "common/config.h"
#include "common/log.h"
#include "responder/loop.h"
#include "responder/responder.h"

static void usage(void)
{
    fprintf(stderr, "usage: breachwatch responder [-c CONFIG] [-p RESPONDER_YAML] [--dry-run] "
                    "[--once] [--redis URL] [--consumer NAME]\n");
}

int cmd_responder(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"playbooks", required_argument, NULL, 'p'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"once", no_argument, NULL, 'o'},
                                         {"redis", required_argument, NULL, 'r'},
                                         {"consumer", required_argument, NULL, 'C'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *conf_path = NULL, *pb_path = NULL, *url_override = NULL, *consumer = NULL;
    int dry = 0, once = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:v", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            conf_path = optarg;
            break;
        case 'p':
            pb_path = optarg;
            break;
        case 'n':
            dry = 1;
            break;
        case 'o':
            once = 1;
            break;
        case 'r':
            url_override = optarg;
            break;
        case 'C':
            consumer = optarg;
            break;
        case 'v':
            bw_log_set_level(BW_LOG_DEBUG);
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc) {
        usage();
        return 2;
    }
    struct responder_cli cli;
    if (responder_cli_open(&cli, "responder", conf_path, pb_path, url_override) != 0)
        return 1;
    struct responder_config *rc = &cli.rc;
    const char *url = cli.url;
    struct bw_err err;
    bw_err_clear(&err);
    int status = 1;
    if (strcmp(url, "none") == 0) {
        fprintf(stderr, "breachwatch responder: needs Redis (the alerts stream lives there)\n");
        goto out;
    }
    if (consumer != NULL)
        snprintf(rc->consumer, sizeof(rc->consumer), "%s", consumer);
    rc->force_dry_run = dry;
    struct responder_opts ro = {.once = once, .timeout_ms = 2000, .url = url};
    struct responder_stats st;
    if (responder_run(rc, &ro, &st, &err) != 0) {
        fprintf(stderr, "breachwatch responder: %s\n", err.msg);
        goto out;
    }
    fprintf(stderr,
            "breachwatch responder: %llu alerts, %llu duplicates, %llu malformed, %llu incidents "
            "opened, %llu actions, %llu not repeated, %llu reclaimed, %llu deferred, %llu journal "
            "waits\n",
            (unsigned long long)st.alerts, (unsigned long long)st.duplicates,
            (unsigned long long)st.bad, (unsigned long long)st.incidents,
            (unsigned long long)st.actions, (unsigned long long)st.actions_skip,
            (unsigned long long)st.reclaimed, (unsigned long long)st.deferred,
            (unsigned long long)st.journal_waits);
    status = 0;
out:
    responder_cli_close(&cli);
    return status;
}

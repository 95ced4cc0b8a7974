/* `breachwatch release IP`: lifts a block through every containment backend
 * (nft element deleted, release hooks and webhooks told). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/contain-cli.h"

static void usage(void)
{
    fprintf(stderr, "usage: breachwatch release IP [--reason TEXT] [-c CONFIG] "
                    "[-p RESPONDER_YAML] [--json]\n");
}

int cmd_release(int argc, char **argv)
{
    static const struct option opts[] = {{"reason", required_argument, NULL, 'R'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"playbooks", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *conf_path = NULL, *rc_path = NULL, *reason = "analyst release";
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:", opts, NULL)) != -1) {
        switch (c) {
        case 'R':
            reason = optarg;
            break;
        case 'c':
            conf_path = optarg;
            break;
        case 'p':
            rc_path = optarg;
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
    /* No action id: a release is always carried out, however often asked. */
    struct contain_action a = {.kind = CONTAIN_RELEASE, .reason = reason};
    if (bw_addr_parse(argv[optind], &a.ip) != 0) {
        fprintf(stderr, "breachwatch release: '%s' is not an IP address\n", argv[optind]);
        return 2;
    }
    struct contain_cli cc;
    if (contain_cli_open(&cc, "release", conf_path, rc_path) != 0)
        return 1;
    struct contain_result res[40];
    int n = containment_apply(cc.ct, &a, res, 40);
    int status = contain_cli_report("release", res, n < 0 ? 1 : n, json);
    contain_cli_close(&cc);
    return n < 0 ? 1 : status;
}

/* breachwatch: one program, subcommands in a table (see cli/cmd.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"

static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
    {"version", "version", cmd_version},
    {"sensor",
     "sensor [-c CONFIG] [-r PCAP]... [-i IFACE]... [--eve FILE|-] [--filter BPF] [--user NAME]",
     cmd_sensor},
    {"contain", "contain IP [--ttl DURATION] [--reason TEXT]", cmd_contain},
    {"release", "release IP", cmd_release},
    {"alerts",
     "alerts [--follow] [--since TIME] [--min-severity N] [--json] [--rule GLOB] [--actor A]",
     cmd_alerts},
    {"demo", "demo [--out DIR] [--data DIR] [--dry-run] [--keep-redis]", cmd_demo},
    {"notice",
     "notice ID --regime gdpr-art33|gdpr-art34|ccpa|pipl [--lang en|zh] [--format md|json|html] "
     "[-o FILE] [--from-eve FILE]",
     cmd_notice},
    {"help", "help", cmd_help},
    {"pii", "pii scan [--matches] [--state DIR] [FILE|-]...", cmd_pii},
    {"rules", "rules check [DIR] | rules list [DIR]", cmd_rules},
    {"responder", "responder [-c CONFIG] [--dry-run] [--once] [--redis URL]", cmd_responder},
    {"incidents", "incidents list | show ID | verify ID [--json]", cmd_incidents},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: breachwatch COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  breachwatch %s\n", commands[i].usage);
    return 0;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("breachwatch %s\n", BW_VERSION);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(0, NULL);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return cmd_help(0, NULL);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "breachwatch: unknown command '%s' (try 'breachwatch help')\n", argv[1]);
    return 2;
}

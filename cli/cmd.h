/* Subcommands: one cmd-*.c file each, registered in the table of main.c.
 * A command returns the process exit status (0 ok, 1 failure, 2 usage). */
#ifndef BW_CMD_H
#define BW_CMD_H

struct cmd {
    const char *name;
    const char *usage;                 /* one line, shown by `breachwatch help` */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cmd_version(int argc, char **argv);
int cmd_sensor(int argc, char **argv);
int cmd_pii(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_contain(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_notice(int argc, char **argv);
int cmd_responder(int argc, char **argv);
int cmd_incidents(int argc, char **argv);

#endif

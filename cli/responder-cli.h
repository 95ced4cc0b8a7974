/* What the commands that work on the responder's state share (`responder`,
 * `incidents`): the main config, responder.yaml and the Redis URL to use. */
#ifndef BW_RESPONDER_CLI_H
#define BW_RESPONDER_CLI_H

#include "common/config.h"
#include "responder/responder.h"

struct responder_cli {
    struct bw_config conf;
    struct responder_config rc;
    char url[512]; /* url_override, else the configured one ("none" possible) */
};

/* Loads conf_path (NULL = defaults) and pb_path (NULL = the `responder:` entry
 * of the main config) and resolves the Redis URL. Returns 0, or 1 after
 * printing why, prefixed with "breachwatch CMD: " (nothing left to close). */
int responder_cli_open(struct responder_cli *cli, const char *cmd, const char *conf_path,
                       const char *pb_path, const char *url_override);
void responder_cli_close(struct responder_cli *cli);

#endif

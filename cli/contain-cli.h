/* What `breachwatch contain` and `breachwatch release` share: option parsing
 * of the configuration, opening the containment handle, printing results. */
#ifndef BW_CONTAIN_CLI_H
#define BW_CONTAIN_CLI_H

#include "common/config.h"
#include "responder/contain.h"
#include "responder/responder.h"

struct contain_cli {
    struct bw_config conf;
    struct responder_config rc;
    struct containment *ct;
    int have_conf, have_rc;
};

/* Loads the main config (conf_path, NULL = defaults) and responder.yaml
 * (rc_path, NULL = the `responder:` entry of the main config), then opens
 * the containment handle. Returns 0 or -1 after printing why (prefixed with
 * cmd). */
int contain_cli_open(struct contain_cli *cc, const char *cmd, const char *conf_path,
                     const char *rc_path);
void contain_cli_close(struct contain_cli *cc);

/* Prints results (one JSON object per line with json, else one line of text
 * each). Returns the exit status: 0 when a backend did it (or it was already
 * done), 1 otherwise. */
int contain_cli_report(const char *cmd, const struct contain_result *res, int n, int json);

#endif

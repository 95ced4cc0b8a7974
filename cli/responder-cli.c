/* Start-up shared by `breachwatch responder` and `breachwatch incidents`. */
#include "cli/responder-cli.h"

#include <stdio.h>

int responder_cli_open(struct responder_cli *cli, const char *cmd, const char *conf_path,
                       const char *pb_path, const char *url_override)
{
    struct bw_err err;
    bw_err_clear(&err);
    if (config_load(&cli->conf, conf_path, &err) != 0) {
        fprintf(stderr, "breachwatch %s: %s\n", cmd, err.msg);
        return 1;
    }
    if (responder_config_load(&cli->rc, &cli->conf, pb_path, &err) != 0) {
        fprintf(stderr, "breachwatch %s: %s\n", cmd, err.msg);
        config_fini(&cli->conf);
        return 1;
    }
    if (responder_redis_url(&cli->rc, url_override, cli->url, sizeof(cli->url), &err) != 0) {
        fprintf(stderr, "breachwatch %s: %s\n", cmd, err.msg);
        responder_cli_close(cli);
        return 1;
    }
    return 0;
}

void responder_cli_close(struct responder_cli *cli)
{
    responder_config_fini(&cli->rc);
    config_fini(&cli->conf);
}

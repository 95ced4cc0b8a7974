/* The configuration file (config/breachwatch.yaml). The file is loaded once
 * into a YAML tree; each module reads and validates its own top-level section
 * (`capture`, `flow`, `outputs`, ...) with the yaml-tree getters, so errors name
 * file:line:column and a module's keys are documented next to its code (and in
 * docs/config.md). Unknown top-level sections are errors. */
#ifndef BW_CONFIG_H
#define BW_CONFIG_H

#include "common/err.h"
#include "common/ipaddr.h"
#include "common/yaml-tree.h"

struct bw_config {
    struct bw_ydoc doc;
    char path[256]; /* "" when running on defaults */
    char dir[256];  /* directory of the file, for relative paths */
    struct bw_cidr_set home_net;
    char state_dir[256]; /* default ".state" under the current directory... see config.c */
    char sensor_id[64];
};

/* The top-level sections that exist. Each entry names the module that reads it. */
extern const char *const config_sections[];

/* Loads and validates the top level. path NULL = defaults only (no file).
 * Returns 0 or -1 with err (file:line:col). */
int config_load(struct bw_config *cfg, const char *path, struct bw_err *err) BW_WUR;
void config_fini(struct bw_config *cfg);
/* The mapping of a top-level section, NULL when absent. */
const struct bw_ynode *config_section(const struct bw_config *cfg, const char *name);
/* Resolves a path from the config relative to the config file's directory
 * (absolute paths unchanged). Writes into out. */
const char *config_path(const struct bw_config *cfg, const char *p, char *out, size_t outlen);
/* True when the address is inside home_net. */
int config_is_home(const struct bw_config *cfg, const struct bw_addr *a);

#endif

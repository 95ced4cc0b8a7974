/* Shared by `breachwatch contain` and `breachwatch release`: configuration,
 * the containment handle, result printing. */
#include "cli/contain-cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"

/* Reads only what containment needs from responder.yaml (the playbook part
 * is validated by the responder's own loader). */
static int load_rc(struct contain_cli *cc, const char *path, struct bw_err *err)
{
    struct responder_config *rc = &cc->rc;
    char resolved[512];
    memset(rc, 0, sizeof(*rc));
    rc->conf = &cc->conf;
    snprintf(rc->prefix, sizeof(rc->prefix), "bw:");
    snprintf(rc->state_dir, sizeof(rc->state_dir), "%s", cc->conf.state_dir);
    if (gethostname(rc->host, sizeof(rc->host)) != 0)
        snprintf(rc->host, sizeof(rc->host), "localhost");
    rc->host[sizeof(rc->host) - 1] = '\0';
    if (path == NULL) {
        const struct bw_ynode *n = config_section(&cc->conf, "responder");
        const char *s;
        if (n != NULL) {
            if (bw_yget_str(&cc->conf.doc, n, &s, err) != 0)
                return -1;
            path = config_path(&cc->conf, s, resolved, sizeof(resolved));
        }
    }
    if (path == NULL)
        return 0;
    snprintf(rc->path, sizeof(rc->path), "%s", path);
    if (bw_ydoc_load_file(&rc->doc, path, err) != 0)
        return -1;
    cc->have_rc = 1;
    const struct bw_ynode *root = rc->doc.root;
    if (root != NULL && bw_yexpect(&rc->doc, root, BW_Y_MAP, err) != 0)
        return -1;
    const struct bw_ynode *v = bw_ymap_get(root, "state_dir");
    const char *s;
    if (v != NULL) {
        if (bw_yget_str(&rc->doc, v, &s, err) != 0)
            return -1;
        snprintf(rc->state_dir, sizeof(rc->state_dir), "%s", s);
    }
    rc->containment = bw_ymap_get(root, "containment");
    return 0;
}

int contain_cli_open(struct contain_cli *cc, const char *cmd, const char *conf_path,
                     const char *rc_path)
{
    struct bw_err err;
    memset(cc, 0, sizeof(*cc));
    bw_err_clear(&err);
    if (config_load(&cc->conf, conf_path, &err) != 0)
        goto fail;
    cc->have_conf = 1;
    if (load_rc(cc, rc_path, &err) != 0)
        goto fail;
    if ((cc->ct = containment_new(&cc->rc, &err)) == NULL)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "breachwatch %s: %s\n", cmd, err.msg);
    contain_cli_close(cc);
    return -1;
}

void contain_cli_close(struct contain_cli *cc)
{
    containment_free(cc->ct);
    cc->ct = NULL;
    if (cc->have_rc)
        bw_ydoc_fini(&cc->rc.doc);
    if (cc->have_conf)
        config_fini(&cc->conf);
    cc->have_rc = cc->have_conf = 0;
}

int contain_cli_report(const char *cmd, const struct contain_result *res, int n, int json)
{
    int ok = 0;
    struct bw_buf b;
    bw_buf_init(&b);
    for (int i = 0; i < n; i++) {
        ok |= res[i].ok;
        if (json) {
            struct bw_json j;
            bw_buf_reset(&b);
            bw_json_init(&j, &b);
            bw_json_obj_begin(&j, NULL);
            contain_result_json(&j, &res[i]);
            bw_json_obj_end(&j);
            printf("%s\n", b.data);
        } else {
            printf("%-20s %-7s %s\n", res[i].backend,
                   res[i].ok ? (res[i].already ? "already" : "ok") : "FAILED", res[i].detail);
        }
    }
    bw_buf_fini(&b);
    if (n <= 0)
        fprintf(stderr, "breachwatch %s: nothing was done\n", cmd);
    fflush(stdout);
    return ok ? 0 : 1;
}

/* Loader of config/responder.yaml: incident grouping, the consumer group,
 * redaction and the playbooks (the `containment:` section is kept for
 * responder/contain.c). Every error names file:line:col. */
#include "responder/responder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const top_keys[] = {"incidents",   "consumer",  "key_prefix",
                                       "redact",      "state_dir", "playbooks",
                                       "containment", "notices",   NULL};
static const char *const incident_keys[] = {"window", "escalate_alerts", NULL};
static const char *const consumer_keys[] = {"group", "name", "reclaim_idle", NULL};
static const char *const playbook_keys[] = {"name",   "rules", "max_severity", "mode",
                                            "action", "ttl",   "min_records",  NULL};

const char *playbook_mode_name(enum playbook_mode m)
{
    switch (m) {
    case PLAYBOOK_DRY_RUN:
        return "dry-run";
    case PLAYBOOK_APPROVE:
        return "approve";
    case PLAYBOOK_ENFORCE:
        return "enforce";
    }
    return "?";
}

static int load_playbook(struct responder_config *cfg, const struct bw_ynode *n, struct bw_err *err)
{
    const struct bw_ydoc *doc = &cfg->doc;
    if (cfg->nplaybooks >= PLAYBOOK_MAX)
        return bw_ynode_err(doc, n, err, "more than %d playbooks", PLAYBOOK_MAX);
    if (bw_yexpect(doc, n, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, n, playbook_keys, err))
        return -1;
    struct playbook *pb = &cfg->playbooks[cfg->nplaybooks];
    memset(pb, 0, sizeof(*pb));
    pb->line = n->line;
    pb->col = n->col;
    pb->max_severity = 4;
    pb->mode = PLAYBOOK_DRY_RUN;
    pb->action_block = 1;
    pb->ttl_s = 3600;
    const struct bw_ynode *v;
    if ((v = bw_ymap_get(n, "name")) == NULL)
        return bw_ynode_err(doc, n, err, "playbook without a name");
    if (bw_yget_strbuf(doc, v, pb->name, sizeof(pb->name), err) != 0)
        return -1;
    for (int i = 0; i < cfg->nplaybooks; i++)
        if (strcmp(cfg->playbooks[i].name, pb->name) == 0)
            return bw_ynode_err(doc, v, err, "playbook '%s' defined twice (first at %d:%d)",
                                pb->name, cfg->playbooks[i].line, cfg->playbooks[i].col);
    if ((v = bw_ymap_get(n, "rules")) == NULL)
        return bw_ynode_err(doc, n, err, "playbook '%s': no rules (use [\"*\"] for all)", pb->name);
    if (v->type == BW_Y_SCALAR) {
        if (bw_yget_strbuf(doc, v, pb->rules[0], sizeof(pb->rules[0]), err) != 0)
            return -1;
        pb->nrules = 1;
    } else {
        if (bw_yexpect(doc, v, BW_Y_SEQ, err) != 0)
            return -1;
        if (v->n == 0)
            return bw_ynode_err(doc, v, err, "empty rule list");
        for (size_t i = 0; i < v->n; i++) {
            if (pb->nrules >= PLAYBOOK_RULES_MAX)
                return bw_ynode_err(doc, v->kids[i], err, "more than %d rules", PLAYBOOK_RULES_MAX);
            if (bw_yget_strbuf(doc, v->kids[i], pb->rules[pb->nrules], sizeof(pb->rules[0]), err))
                return -1;
            pb->nrules++;
        }
    }
    uint64_t u;
    if ((v = bw_ymap_get(n, "max_severity")) != NULL) {
        if (bw_yget_u64(doc, v, 1, 4, &u, err) != 0)
            return -1;
        pb->max_severity = (int)u;
    }
    if ((v = bw_ymap_get(n, "min_records")) != NULL &&
        bw_yget_u64(doc, v, 0, UINT64_MAX, &pb->min_records, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "ttl")) != NULL && bw_yget_duration_s(doc, v, 1, &pb->ttl_s, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "mode")) != NULL) {
        const char *s;
        if (bw_yget_str(doc, v, &s, err) != 0)
            return -1;
        if (strcmp(s, "enforce") == 0)
            pb->mode = PLAYBOOK_ENFORCE;
        else if (strcmp(s, "dry-run") == 0)
            pb->mode = PLAYBOOK_DRY_RUN;
        else if (strcmp(s, "approve") == 0)
            pb->mode = PLAYBOOK_APPROVE;
        else
            return bw_ynode_err(doc, v, err, "mode '%s': expected enforce, dry-run or approve", s);
    }
    if ((v = bw_ymap_get(n, "action")) != NULL) {
        const char *s;
        if (bw_yget_str(doc, v, &s, err) != 0)
            return -1;
        if (strcmp(s, "block") == 0)
            pb->action_block = 1;
        else if (strcmp(s, "notify") == 0)
            pb->action_block = 0;
        else
            return bw_ynode_err(doc, v, err, "action '%s': expected block or notify", s);
    }
    cfg->nplaybooks++;
    return 0;
}

static int load_doc(struct responder_config *cfg, struct bw_err *err)
{
    const struct bw_ydoc *doc = &cfg->doc;
    const struct bw_ynode *root = doc->root, *sec, *v;
    if (root == NULL)
        return 0;
    if (bw_yexpect(doc, root, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, root, top_keys, err))
        return -1;
    if ((sec = bw_ymap_get(root, "incidents")) != NULL) {
        if (bw_yexpect(doc, sec, BW_Y_MAP, err) != 0 ||
            bw_ymap_check_keys(doc, sec, incident_keys, err) != 0)
            return -1;
        if ((v = bw_ymap_get(sec, "window")) != NULL &&
            bw_yget_duration_s(doc, v, 1, &cfg->incident_window_s, err) != 0)
            return -1;
        if ((v = bw_ymap_get(sec, "escalate_alerts")) != NULL &&
            bw_yget_u64(doc, v, 0, 1000000, &cfg->escalate_alerts, err) != 0)
            return -1;
    }
    if ((sec = bw_ymap_get(root, "consumer")) != NULL) {
        if (bw_yexpect(doc, sec, BW_Y_MAP, err) != 0 ||
            bw_ymap_check_keys(doc, sec, consumer_keys, err) != 0)
            return -1;
        if ((v = bw_ymap_get(sec, "group")) != NULL &&
            bw_yget_strbuf(doc, v, cfg->group, sizeof(cfg->group), err) != 0)
            return -1;
        if ((v = bw_ymap_get(sec, "name")) != NULL &&
            bw_yget_strbuf(doc, v, cfg->consumer, sizeof(cfg->consumer), err) != 0)
            return -1;
        if ((v = bw_ymap_get(sec, "reclaim_idle")) != NULL) {
            uint64_t us;
            if (bw_yget_duration_us(doc, v, &us, err) != 0)
                return -1;
            cfg->reclaim_idle_ms = us / 1000 ? us / 1000 : 1;
        }
    }
    if ((v = bw_ymap_get(root, "key_prefix")) != NULL) {
        if (bw_yget_strbuf(doc, v, cfg->prefix, sizeof(cfg->prefix), err) != 0)
            return -1;
        cfg->prefix_set = 1;
    }
    if ((v = bw_ymap_get(root, "state_dir")) != NULL) {
        char tmp[256];
        if (bw_yget_strbuf(doc, v, tmp, sizeof(tmp), err) != 0)
            return -1;
        snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", tmp);
    }
    if ((v = bw_ymap_get(root, "redact")) != NULL) {
        bool b;
        if (bw_yget_bool(doc, v, &b, err) != 0)
            return -1;
        cfg->redact = b;
    }
    if ((sec = bw_ymap_get(root, "playbooks")) != NULL) {
        if (bw_yexpect(doc, sec, BW_Y_SEQ, err) != 0)
            return -1;
        for (size_t i = 0; i < sec->n; i++)
            if (load_playbook(cfg, sec->kids[i], err) != 0)
                return -1;
    }
    cfg->containment = bw_ymap_get(root, "containment");
    return 0;
}

int responder_config_load(struct responder_config *cfg, const struct bw_config *conf,
                          const char *path, struct bw_err *err)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->conf = conf;
    cfg->incident_window_s = 1800;
    cfg->escalate_alerts = 3;
    cfg->reclaim_idle_ms = 60000;
    cfg->redact = 1;
    snprintf(cfg->prefix, sizeof(cfg->prefix), "bw:");
    snprintf(cfg->group, sizeof(cfg->group), "responders");
    snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", conf ? conf->state_dir : ".breachwatch");
    if (gethostname(cfg->host, sizeof(cfg->host)) != 0)
        snprintf(cfg->host, sizeof(cfg->host), "localhost");
    cfg->host[sizeof(cfg->host) - 1] = '\0';

    char resolved[512];
    if (path == NULL && conf != NULL) {
        const struct bw_ynode *n = config_section(conf, "responder");
        if (n != NULL) {
            const char *s;
            if (bw_yget_str(&conf->doc, n, &s, err) != 0)
                return -1;
            path = config_path(conf, s, resolved, sizeof(resolved));
        }
    }
    if (path != NULL) {
        if (strlen(path) >= sizeof(cfg->path))
            return bw_err_set(err, "%s: path too long", path);
        snprintf(cfg->path, sizeof(cfg->path), "%s", path);
        if (bw_ydoc_load_file(&cfg->doc, path, err) != 0)
            return -1;
        if (load_doc(cfg, err) != 0) {
            bw_ydoc_fini(&cfg->doc);
            return -1;
        }
    }
    if (cfg->consumer[0] == '\0')
        snprintf(cfg->consumer, sizeof(cfg->consumer), "%s-%ld", cfg->host, (long)getpid());
    return 0;
}

void responder_config_fini(struct responder_config *cfg)
{
    bw_ydoc_fini(&cfg->doc);
    cfg->containment = NULL;
}

int responder_redis_url(struct responder_config *cfg, const char *override, char *out,
                        size_t outlen, struct bw_err *err)
{
    const struct bw_ynode *sec = cfg->conf ? config_section(cfg->conf, "redis") : NULL, *v;
    snprintf(out, outlen, "redis://127.0.0.1:6379/0");
    if (sec != NULL && sec->type == BW_Y_MAP) {
        if ((v = bw_ymap_get(sec, "url")) != NULL &&
            bw_yget_strbuf(&cfg->conf->doc, v, out, outlen, err) != 0)
            return -1;
        if ((v = bw_ymap_get(sec, "prefix")) != NULL && !cfg->prefix_set &&
            bw_yget_strbuf(&cfg->conf->doc, v, cfg->prefix, sizeof(cfg->prefix), err) != 0)
            return -1;
    }
    if (override != NULL) {
        if (strlen(override) >= outlen)
            return bw_err_set(err, "--redis: URL too long");
        snprintf(out, outlen, "%s", override);
    }
    return 0;
}

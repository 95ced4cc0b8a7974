/* Test fixture for the containment tests: a responder_config built from YAML
 * text, a private state folder, and a counting hook script. Included by
 * test_contain*.c only. */
#ifndef BW_TEST_CONTAIN_FIXTURE_H
#define BW_TEST_CONTAIN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "responder/contain.h"
#include "responder/responder.h"

struct fixture {
    char dir[64];
    char count_file[128];
    char hook[128];
    struct responder_config cfg;
    struct containment *c;
    struct bw_err err;
};

/* Writes <dir>/count.sh: appends "$BW_ACTION $BW_IP $BW_TTL" to <dir>/count. */
static void fixture_setup_dir(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/bw-ct-unit-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        abort();
    snprintf(fx->count_file, sizeof(fx->count_file), "%s/count", fx->dir);
    snprintf(fx->hook, sizeof(fx->hook), "%s/count.sh", fx->dir);
    FILE *f = fopen(fx->hook, "w");
    if (f == NULL)
        abort();
    fprintf(f, "#!/bin/sh\ncat >/dev/null\necho \"$BW_ACTION $BW_IP $BW_TTL\" >> %s\n",
            fx->count_file);
    fclose(f);
    chmod(fx->hook, 0755);
}

/* Builds the config from text in which every "@DIR@" is replaced by the
 * fixture folder, then opens the handle (fx->c, NULL with fx->err). */
static struct containment *fixture_open(struct fixture *fx, const char *yaml)
{
    char text[4096];
    size_t o = 0;
    for (const char *p = yaml; *p && o + 64 < sizeof(text);) {
        if (strncmp(p, "@DIR@", 5) == 0) {
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%s", fx->dir);
            p += 5;
        } else {
            text[o++] = *p++;
        }
    }
    text[o] = '\0';
    memset(&fx->cfg, 0, sizeof(fx->cfg));
    snprintf(fx->cfg.state_dir, sizeof(fx->cfg.state_dir), "%s", fx->dir);
    snprintf(fx->cfg.host, sizeof(fx->cfg.host), "unit");
    snprintf(fx->cfg.prefix, sizeof(fx->cfg.prefix), "bw:");
    bw_err_clear(&fx->err);
    if (bw_ydoc_load_mem(&fx->cfg.doc, "responder.yaml", text, strlen(text), &fx->err) != 0)
        return NULL;
    fx->cfg.containment = bw_ymap_get(fx->cfg.doc.root, "containment");
    fx->c = containment_new(&fx->cfg, &fx->err);
    return fx->c;
}

static void fixture_close(struct fixture *fx)
{
    containment_free(fx->c);
    fx->c = NULL;
    bw_ydoc_fini(&fx->cfg.doc);
}

static void fixture_teardown(struct fixture *fx)
{
    char cmd[128];
    fixture_close(fx);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", fx->dir);
}

/* Lines in the hook's count file. */
static int fixture_hook_runs(const struct fixture *fx)
{
    FILE *f = fopen(fx->count_file, "r");
    int n = 0, ch;
    if (f == NULL)
        return 0;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static struct contain_action fixture_block(const char *ip, uint64_t ttl, const char *id)
{
    struct contain_action a = {.kind = CONTAIN_BLOCK,
                               .ttl_s = ttl,
                               .action_id = id,
                               .incident_id = "INC-TEST",
                               .reason = "unit",
                               .incident_json = "{\"id\":\"INC-TEST\",\"records\":20000}"};
    if (bw_addr_parse(ip, &a.ip) != 0)
        abort();
    return a;
}

static struct contain_action fixture_release(const char *ip)
{
    struct contain_action a = {.kind = CONTAIN_RELEASE, .reason = "unit"};
    if (bw_addr_parse(ip, &a.ip) != 0)
        abort();
    return a;
}

#endif

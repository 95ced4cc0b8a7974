/* bwt-contain: drives responder/contain.c from a script. Usage:
 *   bwt-contain RESPONDER_YAML STATE_DIR ACTION...
 * ACTION is block:IP[/TTL[/ACTION_ID]], release:IP, allow:CIDR or expire
 * ('/' separates the fields: IPv6 addresses hold colons). A single ACTION '-'
 * reads actions from stdin, one per line, after the handle is set up.
 * Prints each result as one JSON line {"action":N,"start_us":wall clock when
 * the action began,"backend":..,"ok":..}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/num.h"
#include "common/timeutil.h"
#include "responder/contain-rails.h"
#include "responder/contain.h"

static void print(int idx, int64_t start_us, const struct contain_result *r, int n)
{
    struct bw_buf b;
    bw_buf_init(&b);
    for (int i = 0; i < n; i++) {
        struct bw_json j;
        bw_buf_reset(&b);
        bw_json_init(&j, &b);
        bw_json_obj_begin(&j, NULL);
        bw_json_int(&j, "action", idx);
        bw_json_int(&j, "start_us", start_us);
        contain_result_json(&j, &r[i]);
        bw_json_obj_end(&j);
        printf("%s\n", b.data);
    }
    bw_buf_fini(&b);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bwt-contain RESPONDER_YAML STATE_DIR ACTION...\n");
        return 2;
    }
    struct responder_config cfg;
    struct bw_err err;
    memset(&cfg, 0, sizeof(cfg));
    bw_err_clear(&err);
    snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", argv[2]);
    snprintf(cfg.host, sizeof(cfg.host), "bwt");
    if (bw_ydoc_load_file(&cfg.doc, argv[1], &err) != 0) {
        fprintf(stderr, "bwt-contain: %s\n", err.msg);
        return 1;
    }
    cfg.containment = bw_ymap_get(cfg.doc.root, "containment");
    struct containment *c = containment_new(&cfg, &err);
    if (c == NULL) {
        fprintf(stderr, "bwt-contain: %s\n", err.msg);
        bw_ydoc_fini(&cfg.doc);
        return 1;
    }
    int status = 0, idx = 0;
    int from_stdin = argc == 4 && strcmp(argv[3], "-") == 0;
    char line[512];
    for (int i = 3; from_stdin || i < argc; i++) {
        char spec[512];
        if (from_stdin) {
            if (fgets(line, sizeof(line), stdin) == NULL)
                break;
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(spec, sizeof(spec), "%s", line);
        } else {
            snprintf(spec, sizeof(spec), "%s", argv[i]);
        }
        struct contain_result r[40];
        int n = -1;
        int64_t start_us = bw_now_us();
        char *kind = spec, *rest = strchr(spec, ':');
        if (rest != NULL)
            *rest++ = '\0';
        if (strcmp(kind, "expire") == 0) {
            n = containment_expire(c, r, 40);
        } else if (strcmp(kind, "allow") == 0 && rest != NULL) {
            struct bw_cidr cd;
            const char *why;
            if (bw_cidr_parse(rest, &cd, &why) == 0)
                n = containment_allow(c, &cd, r, 40);
        } else if ((strcmp(kind, "block") == 0 || strcmp(kind, "release") == 0) && rest) {
            char *ttl = strchr(rest, '/'), *id = NULL;
            if (ttl != NULL) {
                *ttl++ = '\0';
                if ((id = strchr(ttl, '/')) != NULL)
                    *id++ = '\0';
            }
            struct contain_action a = {.kind = kind[0] == 'b' ? CONTAIN_BLOCK : CONTAIN_RELEASE,
                                       .reason = "bwt-contain",
                                       .incident_id = "INC-BWT",
                                       .incident_json = "{\"id\":\"INC-BWT\"}",
                                       .action_id = id};
            uint64_t t = 0;
            if (bw_addr_parse(rest, &a.ip) == 0 &&
                (ttl == NULL || bw_parse_u64(ttl, 0, 1u << 30, &t, NULL) == 0)) {
                a.ttl_s = t;
                n = containment_apply(c, &a, r, 40);
            }
        }
        if (n < 0) {
            fprintf(stderr, "bwt-contain: action %d failed\n", idx);
            status = 1;
            idx++;
            continue;
        }
        print(idx++, start_us, r, n);
    }
    containment_free(c);
    bw_ydoc_fini(&cfg.doc);
    return status;
}

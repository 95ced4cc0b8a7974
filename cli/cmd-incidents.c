/* `breachwatch incidents list | show ID | verify ID`: reads the forensics
 * store (responder/forensics.h); --json for machines. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/responder-cli.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/json.h"
#include "common/redis.h"
#include "responder/forensics.h"
#include "responder/responder.h"

struct ctx {
    struct forensics *fx;
    struct responder_config *rc;
    int json;
    struct bw_json *j;
    int count;
};

static void usage(void)
{
    fprintf(stderr, "usage: breachwatch incidents list|show ID|verify ID [--json] [-c CONFIG] "
                    "[-p RESPONDER_YAML] [--redis URL]\n");
}

static const char *hs(json_t *h, const char *k)
{
    const char *s = json_string_value(json_object_get(h, k));
    return s ? s : "";
}

static json_t *load_incident(struct ctx *c, const char *id)
{
    struct bw_buf b;
    bw_buf_init(&b);
    json_t *h = NULL;
    if (forensics_get_incident(c->fx, id, &b) == 0)
        h = json_loads(b.data, 0, NULL);
    bw_buf_fini(&b);
    return h;
}

static int list_one(void *vctx, const char *id)
{
    struct ctx *c = vctx;
    json_t *h = load_incident(c, id);
    if (h == NULL)
        return 0;
    c->count++;
    if (c->json) {
        char *s = json_dumps(h, JSON_COMPACT);
        if (s)
            bw_json_raw(c->j, NULL, s, strlen(s));
        free(s);
    } else {
        printf("%-24s %-32s sev %s  %-15s %10s records  %s\n", id, hs(h, "opened"),
               hs(h, "severity"), hs(h, "actor"), hs(h, "records"), hs(h, "status"));
    }
    json_decref(h);
    return 0;
}

/* One line saying what a timeline entry is about. */
static void entry_summary(const char *type, const char *data, char *out, size_t outlen)
{
    json_t *d = json_loads(data, 0, NULL);
    json_t *br = json_object_get(d, "breach"), *al = json_object_get(d, "alert");
    if (strcmp(type, "alert") == 0 && br != NULL) {
        snprintf(out, outlen, "%s (severity %lld): %lld records, %lld bytes via %s [%s #%lld]",
                 hs(br, "rule"), (long long)json_integer_value(json_object_get(al, "severity")),
                 (long long)json_integer_value(json_object_get(br, "records")),
                 (long long)json_integer_value(json_object_get(br, "bytes")), hs(br, "channel"),
                 hs(br, "alert_id"), (long long)json_integer_value(json_object_get(br, "update")));
    } else if (strcmp(type, "action") == 0 && d != NULL) {
        snprintf(out, outlen, "%s %s: %s (%s, ttl %llds, playbook %s)", hs(d, "action"),
                 hs(d, "ip"), hs(d, "state"), hs(d, "mode"),
                 (long long)json_integer_value(json_object_get(d, "ttl_s")), hs(d, "playbook"));
    } else if (strcmp(type, "evidence") == 0 && d != NULL) {
        snprintf(out, outlen, "%s: %lld packets, %lld bytes, sha256 %.16s...", hs(d, "item"),
                 (long long)json_integer_value(json_object_get(d, "packets")),
                 (long long)json_integer_value(json_object_get(d, "size")), hs(d, "sha256"));
    } else if (d != NULL && json_object_get(d, "reason") != NULL) {
        snprintf(out, outlen, "%s", hs(d, "reason"));
    } else {
        snprintf(out, outlen, "%.100s", data);
    }
    json_decref(d);
}

static const char *kvget(int n, const char *const *kv, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(kv[2 * i], name) == 0)
            return kv[2 * i + 1];
    return "";
}

static int show_entry(void *vctx, const char *sid, int n, const char *const *kv)
{
    struct ctx *c = vctx;
    const char *type = kvget(n, kv, "type"), *data = kvget(n, kv, "data");
    if (c->json) {
        bw_json_obj_begin(c->j, NULL);
        bw_json_str(c->j, "stream_id", sid);
        for (int i = 0; i < n; i++) {
            json_t *parsed =
                strcmp(kv[2 * i], "data") == 0 ? json_loads(kv[2 * i + 1], 0, NULL) : NULL;
            if (parsed != NULL)
                bw_json_raw(c->j, "data", kv[2 * i + 1], strlen(kv[2 * i + 1]));
            else
                bw_json_str(c->j, kv[2 * i], kv[2 * i + 1]);
            json_decref(parsed);
        }
        bw_json_obj_end(c->j);
        return 0;
    }
    char sum[400];
    entry_summary(type, data, sum, sizeof(sum));
    printf("  %-32s %-9s %-28s %s\n", kvget(n, kv, "time"), type, kvget(n, kv, "actor"), sum);
    return 0;
}

static void print_hash_section(struct ctx *c, const char *title, const char *key)
{
    struct bw_buf b;
    bw_buf_init(&b);
    int rc = forensics_get_hash(c->fx, key, &b);
    json_t *h = rc == 0 ? json_loads(b.data, 0, NULL) : NULL;
    if (c->json) {
        bw_json_raw(c->j, title, rc == 0 ? b.data : "{}", rc == 0 ? b.len : 2);
    } else {
        printf("\n%s:\n", title);
        if (h == NULL || json_object_size(h) == 0)
            printf("  (none)\n");
        const char *k;
        json_t *v;
        json_object_foreach(h, k, v) printf("  %s  %s\n", k, json_string_value(v));
    }
    json_decref(h);
    bw_buf_fini(&b);
}

static int show(struct ctx *c, const char *id)
{
    json_t *h = load_incident(c, id);
    if (h == NULL) {
        fprintf(stderr, "breachwatch incidents: no incident %s\n", id);
        return 1;
    }
    char key[256];
    if (c->json) {
        char *s = json_dumps(h, JSON_COMPACT);
        bw_json_obj_begin(c->j, NULL);
        bw_json_raw(c->j, "incident", s, strlen(s));
        free(s);
        bw_json_arr_begin(c->j, "timeline");
    } else {
        printf("Incident %s  [%s]\n", id, hs(h, "status"));
        printf("  actor       %s%s%s\n", hs(h, "actor"), hs(h, "actor_user")[0] ? " user " : "",
               hs(h, "actor_user"));
        printf("  severity    %s (1 = highest)   alerts %s\n", hs(h, "severity"), hs(h, "alerts"));
        printf("  opened      %s   last alert %s%s%s\n", hs(h, "opened"), hs(h, "last_alert"),
               hs(h, "closed")[0] ? "   closed " : "", hs(h, "closed"));
        /* Hashes written before these fields existed lack them. */
        if (hs(h, "activity_first")[0])
            printf("  breach      %s .. %s (the access activity the alerts cover)\n",
                   hs(h, "activity_first"), hs(h, "activity_last"));
        if (hs(h, "detected")[0])
            printf("  detected    %s (earliest alert: when the organisation became aware)\n",
                   hs(h, "detected"));
        printf("  playbook    %s (%s)\n", hs(h, "playbook")[0] ? hs(h, "playbook") : "none",
               hs(h, "mode")[0] ? hs(h, "mode") : "-");
        printf("\nImpact:\n");
        printf("  records     %s (largest of the alerts' estimates)\n", hs(h, "records"));
        printf("  bytes       %s\n", hs(h, "bytes"));
        printf("  categories  %s\n", hs(h, "categories"));
        printf("  datasets    %s\n", hs(h, "datasets"));
        printf("  channels    %s\n", hs(h, "channels"));
        printf("  rules       %s\n", hs(h, "rules"));
        printf("\nTimeline (%s entries):\n", hs(h, "entries"));
    }
    forensics_timeline(c->fx, id, show_entry, c);
    if (c->json)
        bw_json_arr_end(c->j);
    print_hash_section(c, "actions", forensics_key(c->fx, id, ":actions", key, sizeof(key)));
    print_hash_section(c, "evidence", forensics_key(c->fx, id, ":evidence", key, sizeof(key)));
    snprintf(key, sizeof(key), "%scontainment:{%s}", c->rc->prefix, hs(h, "actor"));
    print_hash_section(c, "containment", key);
    if (c->json)
        bw_json_obj_end(c->j);
    json_decref(h);
    return 0;
}

static int verify(struct ctx *c, const char *id)
{
    struct verify_report *rep = calloc(1, sizeof(*rep));
    if (rep == NULL)
        return 1;
    int rc = forensics_verify(c->fx, id, rep);
    int status = 0;
    if (rc == 1) {
        fprintf(stderr, "breachwatch incidents: no incident %s\n", id);
        status = 1;
    } else if (rc < 0) {
        fprintf(stderr, "breachwatch incidents: Redis unreachable\n");
        status = 1;
    } else if (c->json) {
        bw_json_obj_begin(c->j, NULL);
        bw_json_str(c->j, "id", id);
        bw_json_bool(c->j, "ok", rep->nproblems == 0);
        bw_json_int(c->j, "entries", rep->entries);
        bw_json_int(c->j, "evidence_items", rep->evidence_items);
        bw_json_str(c->j, "last_hash", rep->last_hash);
        bw_json_arr_begin(c->j, "problems");
        for (int i = 0; i < rep->nproblems && i < VERIFY_MAX_PROBLEMS; i++)
            bw_json_str(c->j, NULL, rep->problems[i]);
        bw_json_arr_end(c->j);
        bw_json_obj_end(c->j);
        status = rep->nproblems ? 1 : 0;
    } else {
        for (int i = 0; i < rep->nproblems && i < VERIFY_MAX_PROBLEMS; i++)
            printf("BROKEN %s: %s\n", id, rep->problems[i]);
        printf("%s: %d timeline entries, %d evidence items: %s\n", id, rep->entries,
               rep->evidence_items, rep->nproblems ? "TAMPERED" : "OK (chain and evidence intact)");
        status = rep->nproblems ? 1 : 0;
    }
    free(rep);
    return status;
}

int cmd_incidents(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"playbooks", required_argument, NULL, 'p'},
        {"redis", required_argument, NULL, 'r'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *conf_path = NULL, *pb_path = NULL, *url_override = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            conf_path = optarg;
            break;
        case 'p':
            pb_path = optarg;
            break;
        case 'r':
            url_override = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    const char *id = optind + 1 < argc ? argv[optind + 1] : NULL;
    if (sub == NULL ||
        (strcmp(sub, "list") == 0 ? id != NULL
                                  : (strcmp(sub, "show") != 0 && strcmp(sub, "verify") != 0) ||
                                        id == NULL || optind + 2 != argc)) {
        usage();
        return 2;
    }
    struct responder_cli cli;
    if (responder_cli_open(&cli, "incidents", conf_path, pb_path, url_override) != 0)
        return 1;
    struct responder_config *rc = &cli.rc;
    const char *url = cli.url;
    struct bw_err err;
    bw_err_clear(&err);
    int status = 1;
    struct bw_redis_url u;
    struct bw_redis *r = NULL;
    struct forensics *fx = NULL;
    if (bw_redis_url_parse(url, &u, &err) != 0) {
        fprintf(stderr, "breachwatch incidents: %s\n", err.msg);
        goto out;
    }
    r = bw_redis_new(&u, 5000);
    if (r == NULL || bw_redis_connect(r) != 0) {
        fprintf(stderr, "breachwatch incidents: redis %s: %s\n", url, r ? bw_redis_errstr(r) : "");
        goto out;
    }
    fx = forensics_new(rc, r, "-", &err);
    if (fx == NULL) {
        fprintf(stderr, "breachwatch incidents: %s\n", err.msg);
        goto out;
    }
    struct bw_buf out;
    struct bw_json j;
    bw_buf_init(&out);
    bw_json_init(&j, &out);
    struct ctx cx = {.fx = fx, .rc = rc, .json = json, .j = &j};
    if (strcmp(sub, "list") == 0) {
        if (json)
            bw_json_arr_begin(&j, NULL);
        int n = forensics_list(fx, list_one, &cx);
        if (json)
            bw_json_arr_end(&j);
        status = n < 0 ? 1 : 0;
        if (!json && n == 0)
            printf("no incidents\n");
    } else if (strcmp(sub, "show") == 0) {
        status = show(&cx, id);
    } else {
        status = verify(&cx, id);
    }
    if (json && out.len > 0)
        printf("%s\n", out.data);
    bw_buf_fini(&out);
out:
    forensics_free(fx);
    bw_redis_free(r);
    responder_cli_close(&cli);
    return status;
}

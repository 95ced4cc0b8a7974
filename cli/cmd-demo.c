/* `breachwatch demo`: the whole story on the bundled data. Starts a private
 * redis-server on a Unix socket, replays every capture in pcaps/ and the logs
 * in pcaps/logs/ through `breachwatch sensor`, lets `breachwatch responder
 * --once` open incidents (containment dry-run, or real nftables inside a
 * namespace of its own when run as root), drafts notices with `breachwatch
 * notice`, and prints where everything is with a summary.
 *
 * The stages are the real commands, run as child processes of this binary
 * (posix_spawn of /proc/self/exe with an argv array, never a shell), so the
 * demo exercises exactly what an operator runs. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <glob.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/redis.h"
#include "common/timeutil.h"

#ifndef BW_SOURCE_DIR
#define BW_SOURCE_DIR "."
#endif

extern char **environ;

#define DEMO_MAX_CAPTURES  64
#define DEMO_MAX_INCIDENTS 64
#define DEMO_MAX_ARGS      40

struct demo_capture {
    char name[128]; /* scenario: file name without .pcap */
    char label[16]; /* exfil|benign from the truth file, "" when none */
    int64_t truth_records;
    char truth_actor[64];
    int status; /* the sensor's exit status */
    uint64_t events, flows, app_events, alerts, max_records;
    int best_sev; /* 0 = no alert */
};

struct demo_incident {
    char id[96], actor[64], severity[8], records[24], categories[256], opened[48], detected[48],
        status[24];
    int64_t opened_us, detected_us; /* deadlines count from detection */
};

struct demo {
    char self[PATH_MAX], data[PATH_MAX], out[PATH_MAX], state[PATH_MAX];
    char config[PATH_MAX], playbooks[PATH_MAX], rules[PATH_MAX], eve[PATH_MAX], log[PATH_MAX];
    char sock[PATH_MAX], redis_url[PATH_MAX + 16], netns[64];
    pid_t redis_pid;
    int keep_redis, force_dry_run, contained_in_ns, ran_responder;
    struct demo_capture caps[DEMO_MAX_CAPTURES];
    int ncaps;
    struct demo_capture logs; /* the log replay, counted like a capture */
    int have_logs;
    struct demo_incident inc[DEMO_MAX_INCIDENTS];
    int ninc;
    int notices;
    uint64_t alerts_total, alert_ids;
    int alerts_in_redis; /* the sensor was given the Redis URL */
};

static int path_join(char *out, size_t outlen, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb + 1 > outlen)
        return -1;
    memcpy(out, a, la);
    out[la] = '/';
    memcpy(out + la + 1, b, lb + 1);
    return 0;
}

/* The demo's own configuration, under OUT/state: everything the run learns or
 * keeps (baselines, spool, evidence, containment memory, the PII key, the
 * responder's journal) stays in OUT, so each demo starts from nothing and
 * leaves the source tree untouched. The bundled files are named absolutely. */
static int demo_write_config(struct demo *d)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof(path), d->state, "breachwatch.yaml") != 0)
        return -1;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "# Written by `breachwatch demo`.\n"
            "state_dir: \"%s\"\n"
            "responder: \"%s\"\n"
            "inventory: \"%s/config/inventory.yaml\"\n"
            "geoip:\n  country_db: \"%s/config/geoip/breachwatch-geo.mmdb\"\n"
            "organisation:\n"
            "  name: Example Shop (demo)\n"
            "  data_classes: \"%s/config/data-classes.yaml\"\n"
            "  inventory: \"%s/config/inventory.yaml\"\n"
            "  auto_notice: {max_severity: 2, dir: \"%s/notices-auto\"}\n",
            d->state, d->playbooks, d->data, d->data, d->data, d->data, d->out);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return -1;
    snprintf(d->config, sizeof(d->config), "%s", path);
    return 0;
}

/* The incident's categories ({"email":2000,...}) as "email 2000, ..." for the
 * summary; the JSON text itself when it is not an object. */
static void categories_text(const char *json, char *out, size_t outlen)
{
    json_t *o = json_loads(json, 0, NULL);
    if (!json_is_object(o) || json_object_size(o) == 0) {
        snprintf(out, outlen, "%s", json_is_object(o) ? "no personal data counted" : json);
        json_decref(o);
        return;
    }
    size_t n = 0;
    const char *k;
    json_t *v;
    out[0] = '\0';
    json_object_foreach(o, k, v)
    {
        int w = snprintf(out + n, outlen - n, "%s%s %lld", n ? ", " : "", k,
                         (long long)json_integer_value(v));
        if (w < 0 || (size_t)w >= outlen - n)
            break;
        n += (size_t)w;
    }
    json_decref(o);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a tree the demo made earlier (state/, notices/, incidents/). */
static void rm_tree(const char *path)
{
    if (exists(path))
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs argv (argv[0] found on PATH unless it contains a slash) with stdout to
 * out_path (appended; NULL = ours) and stderr to the demo's log. Returns the
 * exit status, 128+N for a signal, -1 when it could not be started. */
static int demo_spawn(struct demo *d, char *const argv[], const char *out_path, pid_t *bg)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_path != NULL)
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path,
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, d->log, O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    FILE *lf = fopen(d->log, "a");
    if (lf != NULL) {
        fprintf(lf, "+");
        for (int i = 0; argv[i] != NULL; i++)
            fprintf(lf, " %s", argv[i]);
        fprintf(lf, "\n");
        fclose(lf);
    }
    pid_t pid;
    int rc = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)
                                  : posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    if (bg != NULL) {
        *bg = pid;
        return 0;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the private redis-server ---- */

static int redis_ping(struct demo *d)
{
    struct bw_redis_url u;
    struct bw_err err;
    if (bw_redis_url_parse(d->redis_url, &u, &err) != 0)
        return -1;
    struct bw_redis *r = bw_redis_new(&u, 500);
    if (r == NULL)
        return -1;
    const char *argv[] = {"PING"};
    redisReply *rep = bw_redis_cmdv(r, 1, argv);
    int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;
    bw_redis_reply_free(rep);
    bw_redis_free(r);
    return ok ? 0 : -1;
}

static int redis_start(struct demo *d)
{
    char *argv[] = {"redis-server",
                    "--port",
                    "0",
                    "--unixsocket",
                    d->sock,
                    "--unixsocketperm",
                    "700",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    d->state,
                    "--daemonize",
                    "no",
                    NULL};
    char rlog[PATH_MAX];
    if (path_join(rlog, sizeof(rlog), d->state, "redis.log") != 0 ||
        demo_spawn(d, argv, rlog, &d->redis_pid) != 0) {
        d->redis_pid = 0;
        return -1;
    }
    for (int i = 0; i < 100; i++) { /* up to 5 s */
        if (exists(d->sock) && redis_ping(d) == 0)
            return 0;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (waitpid(d->redis_pid, NULL, WNOHANG) == d->redis_pid) {
            d->redis_pid = 0;
            return -1;
        }
    }
    return -1;
}

static void redis_stop(struct demo *d)
{
    if (d->redis_pid <= 0)
        return;
    kill(d->redis_pid, SIGTERM);
    waitpid(d->redis_pid, NULL, 0);
    d->redis_pid = 0;
}

/* ---- reading results ---- */

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void load_truth(struct demo *d, struct demo_capture *c)
{
    char p[PATH_MAX], name[200];
    snprintf(name, sizeof(name), "pcaps/%s.truth.json", c->name);
    c->truth_records = -1;
    if (path_join(p, sizeof(p), d->data, name) != 0)
        return;
    json_t *t = json_load_file(p, 0, NULL);
    if (t == NULL)
        return;
    const char *label = jstr(t, "label"), *actor = jstr(t, "actor_ip");
    snprintf(c->label, sizeof(c->label), "%s", label ? label : "");
    snprintf(c->truth_actor, sizeof(c->truth_actor), "%s", actor ? actor : "");
    json_t *r = json_object_get(t, "records");
    if (json_is_integer(r))
        c->truth_records = (int64_t)json_integer_value(r);
    json_decref(t);
}

/* Counts what one sensor run appended to the EVE file (from byte `from`).
 * An alert is counted once per alert_id (updates repeat it, growing). */
static void count_eve(struct demo *d, struct demo_capture *c, long from)
{
    FILE *fp = fopen(d->eve, "r");
    if (fp == NULL)
        return;
    if (fseek(fp, from, SEEK_SET) != 0) {
        fclose(fp);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    json_t *seen = json_object(); /* alert_id -> records of the latest update */
    while ((n = getline(&line, &cap, fp)) > 0) {
        json_t *ev = json_loadb(line, (size_t)n, 0, NULL);
        const char *type = jstr(ev, "event_type");
        if (type == NULL) {
            json_decref(ev);
            continue;
        }
        c->events++;
        if (strcmp(type, "flow") == 0) {
            c->flows++;
        } else if (strcmp(type, "alert") == 0) {
            json_t *br = json_object_get(ev, "breach");
            const char *id = jstr(br, "alert_id");
            json_int_t sev =
                json_integer_value(json_object_get(json_object_get(ev, "alert"), "severity"));
            json_int_t rec = json_integer_value(json_object_get(br, "records"));
            if (id != NULL && json_object_get(seen, id) == NULL) {
                c->alerts++;
                d->alert_ids++;
            }
            if (id != NULL)
                json_object_set_new(seen, id, json_integer(rec));
            d->alerts_total++;
            if (sev > 0 && (c->best_sev == 0 || sev < c->best_sev))
                c->best_sev = (int)sev;
            if (rec > 0 && (uint64_t)rec > c->max_records)
                c->max_records = (uint64_t)rec;
        } else if (strcmp(type, "stats") != 0) {
            c->app_events++;
        }
        json_decref(ev);
    }
    json_decref(seen);
    free(line);
    fclose(fp);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* Incidents from the Redis keys of DESIGN.md: bw:incidents (sorted set by
 * opening time) and the bw:incident:{ID} hashes. */
static void load_incidents(struct demo *d)
{
    struct bw_redis_url u;
    struct bw_err err;
    if (bw_redis_url_parse(d->redis_url, &u, &err) != 0)
        return;
    struct bw_redis *r = bw_redis_new(&u, 2000);
    if (r == NULL)
        return;
    const char *zr[] = {"ZRANGE", "bw:incidents", "0", "-1"};
    redisReply *ids = bw_redis_cmdv(r, 4, zr);
    for (size_t i = 0; ids != NULL && ids->type == REDIS_REPLY_ARRAY && i < ids->elements &&
                       d->ninc < DEMO_MAX_INCIDENTS;
         i++) {
        struct demo_incident *in = &d->inc[d->ninc];
        memset(in, 0, sizeof(*in));
        snprintf(in->id, sizeof(in->id), "%s", ids->element[i]->str);
        char key[160];
        snprintf(key, sizeof(key), "bw:incident:{%s}", in->id);
        const char *hg[] = {"HGETALL", key};
        redisReply *h = bw_redis_cmdv(r, 2, hg);
        for (size_t k = 0; h != NULL && h->type == REDIS_REPLY_ARRAY && k + 1 < h->elements;
             k += 2) {
            const char *f = h->element[k]->str, *v = h->element[k + 1]->str;
            if (f == NULL || v == NULL)
                continue;
            if (strcmp(f, "actor") == 0)
                snprintf(in->actor, sizeof(in->actor), "%s", v);
            else if (strcmp(f, "severity") == 0)
                snprintf(in->severity, sizeof(in->severity), "%s", v);
            else if (strcmp(f, "records") == 0)
                snprintf(in->records, sizeof(in->records), "%s", v);
            else if (strcmp(f, "categories") == 0)
                categories_text(v, in->categories, sizeof(in->categories));
            else if (strcmp(f, "opened") == 0)
                snprintf(in->opened, sizeof(in->opened), "%s", v);
            else if (strcmp(f, "detected") == 0)
                snprintf(in->detected, sizeof(in->detected), "%s", v);
            else if (strcmp(f, "status") == 0)
                snprintf(in->status, sizeof(in->status), "%s", v);
        }
        bw_redis_reply_free(h);
        if (bw_time_parse(in->opened, &in->opened_us) != 0)
            in->opened_us = 0;
        /* an incident stored before `detected` existed: detected when opened */
        if (!in->detected[0])
            snprintf(in->detected, sizeof(in->detected), "%s", in->opened);
        if (bw_time_parse(in->detected, &in->detected_us) != 0)
            in->detected_us = in->opened_us;
        d->ninc++;
    }
    bw_redis_reply_free(ids);
    bw_redis_free(r);
}

/* ---- stages ---- */

static int stage_sensor(struct demo *d)
{
    char pattern[PATH_MAX];
    glob_t g;
    if (path_join(pattern, sizeof(pattern), d->data, "pcaps/*.pcap") != 0 ||
        glob(pattern, 0, NULL, &g) != 0) {
        fprintf(stderr, "breachwatch demo: no captures in %s/pcaps\n", d->data);
        return -1;
    }
    const char *redis = d->redis_pid > 0 ? d->redis_url : "none";
    d->alerts_in_redis = strcmp(redis, "none") != 0;
    for (size_t i = 0; i < g.gl_pathc && d->ncaps < DEMO_MAX_CAPTURES; i++) {
        struct demo_capture *c = &d->caps[d->ncaps++];
        const char *base = strrchr(g.gl_pathv[i], '/') + 1;
        snprintf(c->name, sizeof(c->name), "%.*s", (int)(strlen(base) - 5), base);
        load_truth(d, c);
        long from = file_size(d->eve);
        char *argv[] = {d->self,       "sensor", "-c",   d->config, "-r",
                        g.gl_pathv[i], "--eve",  d->eve, "--redis", (char *)redis,
                        "--rules",     d->rules, NULL};
        c->status = demo_spawn(d, argv, NULL, NULL);
        count_eve(d, c, from);
        printf("  %-22s %-6s %5llu flows %6llu events %3llu alerts%s\n", c->name, c->label,
               (unsigned long long)c->flows, (unsigned long long)c->events,
               (unsigned long long)c->alerts, c->status == 0 ? "" : "  (sensor failed)");
        fflush(stdout);
    }
    globfree(&g);
    return 0;
}

static void stage_logs(struct demo *d)
{
    static const char *const logs[][2] = {{"nginx", "nginx-access.log"},
                                          {"mysql-slow", "mariadb-slow.log"},
                                          {"postgresql", "postgresql.log"},
                                          {"dnsmasq", "dnsmasq.log"}};
    char specs[4][PATH_MAX + 32];
    char *argv[DEMO_MAX_ARGS];
    int n = 0;
    const char *redis = d->redis_pid > 0 ? d->redis_url : "none";
    argv[n++] = d->self;
    argv[n++] = "sensor";
    argv[n++] = "-c";
    argv[n++] = d->config;
    argv[n++] = "--once"; /* logs alone would be followed */
    for (int i = 0; i < 4; i++) {
        snprintf(specs[i], sizeof(specs[i]), "%s:%s/pcaps/logs/%s", logs[i][0], d->data,
                 logs[i][1]);
        argv[n++] = "--log";
        argv[n++] = specs[i];
    }
    argv[n++] = "--eve";
    argv[n++] = d->eve;
    argv[n++] = "--redis";
    argv[n++] = (char *)redis;
    argv[n++] = "--rules";
    argv[n++] = d->rules;
    argv[n] = NULL;
    struct demo_capture *c = &d->logs;
    snprintf(c->name, sizeof(c->name), "server logs (4)");
    long from = file_size(d->eve);
    c->status = demo_spawn(d, argv, NULL, NULL);
    if (c->status == 2) { /* usage error: this sensor does not take --log alone yet */
        c->status = 0;
        printf("  pcaps/logs/*.log       skipped: this sensor does not replay logs yet (%s)\n",
               d->log);
        return;
    }
    count_eve(d, c, from);
    d->have_logs = 1;
    printf("  %-22s %-6s %5s       %6llu events %3llu alerts%s\n", "pcaps/logs/*.log", "", "",
           (unsigned long long)c->events, (unsigned long long)c->alerts,
           c->status == 0 ? "" : "  (sensor failed)");
}

static void stage_responder(struct demo *d)
{
    if (d->redis_pid <= 0) {
        printf("  responder: skipped (no redis-server)\n");
        return;
    }
    /* As root, real nftables in a namespace made for the demo; otherwise
     * the playbooks run in dry-run (the intended actions are recorded). */
    int ns = !d->force_dry_run && geteuid() == 0;
    if (ns) {
        snprintf(d->netns, sizeof(d->netns), "bw-demo-%ld", (long)getpid());
        char *add[] = {"ip", "netns", "add", d->netns, NULL};
        if (demo_spawn(d, add, NULL, NULL) != 0) {
            d->netns[0] = '\0';
            ns = 0;
        }
    }
    char *argv[DEMO_MAX_ARGS];
    int n = 0;
    if (ns) {
        argv[n++] = "ip";
        argv[n++] = "netns";
        argv[n++] = "exec";
        argv[n++] = d->netns;
    }
    argv[n++] = d->self;
    argv[n++] = "responder";
    argv[n++] = "-c";
    argv[n++] = d->config;
    /* The demo's playbooks enforce (inside the demo's own namespace); the
     * shipped config/responder.yaml is deliberately more cautious. */
    argv[n++] = "-p";
    argv[n++] = d->playbooks;
    argv[n++] = "--redis";
    argv[n++] = d->redis_url;
    argv[n++] = "--once";
    if (!ns)
        argv[n++] = "--dry-run";
    argv[n] = NULL;
    int rc = demo_spawn(d, argv, NULL, NULL);
    d->ran_responder = rc == 0;
    d->contained_in_ns = ns && rc == 0;
    if (rc != 0)
        printf("  responder: exit status %d (see %s)\n", rc, d->log);
    if (ns) {
        char nftout[PATH_MAX];
        path_join(nftout, sizeof(nftout), d->out, "nft-ruleset.txt");
        remove(nftout);
        char *list[] = {"ip",   "netns", "exec", d->netns,      "nft",
                        "list", "table", "inet", "breachwatch", NULL};
        demo_spawn(d, list, nftout, NULL);
    }
}

static void netns_cleanup(struct demo *d)
{
    if (d->netns[0] == '\0')
        return;
    char *del[] = {"ip", "netns", "del", d->netns, NULL};
    demo_spawn(d, del, NULL, NULL);
    d->netns[0] = '\0';
}

static void stage_reports(struct demo *d)
{
    char listp[PATH_MAX], dir[PATH_MAX];
    path_join(listp, sizeof(listp), d->out, "incidents.txt");
    path_join(dir, sizeof(dir), d->out, "incidents");
    remove(listp);
    mkdir(dir, 0755);
    char *list[] = {d->self, "incidents", "list", "-c", d->config, "--redis", d->redis_url, NULL};
    demo_spawn(d, list, listp, NULL);
    for (int i = 0; i < d->ninc; i++) {
        char p[PATH_MAX + 128];
        snprintf(p, sizeof(p), "%s/%s.txt", dir, d->inc[i].id);
        char *show[] = {d->self,   "incidents", "show",       d->inc[i].id, "-c",
                        d->config, "--redis",   d->redis_url, NULL};
        demo_spawn(d, show, p, NULL);
    }
    static const char *const regimes[][2] = {
        {"gdpr-art33", "en"}, {"gdpr-art34", "en"}, {"ccpa", "en"}, {"pipl", "zh"}};
    char dir2[PATH_MAX];
    path_join(dir2, sizeof(dir2), d->out, "notices");
    mkdir(dir2, 0755);
    for (int i = 0; i < d->ninc; i++) {
        for (int k = 0; k < 4; k++) {
            char p[PATH_MAX + 200];
            snprintf(p, sizeof(p), "%s/%s-%s-%s.md", dir2, d->inc[i].id, regimes[k][0],
                     regimes[k][1]);
            char *argv[] = {d->self,
                            "notice",
                            d->inc[i].id,
                            "--regime",
                            (char *)regimes[k][0],
                            "--lang",
                            (char *)regimes[k][1],
                            "--format",
                            "md",
                            "-o",
                            p,
                            "-c",
                            d->config,
                            "--redis",
                            d->redis_url,
                            NULL};
            if (demo_spawn(d, argv, NULL, NULL) == 0 && exists(p))
                d->notices++;
        }
    }
    (void)d;
}

static void print_summary(struct demo *d, FILE *o)
{
    uint64_t exfil = 0, exfil_alerted = 0, benign = 0, benign_high = 0;
    for (int i = 0; i < d->ncaps; i++) {
        struct demo_capture *c = &d->caps[i];
        if (strcmp(c->label, "exfil") == 0) {
            exfil++;
            exfil_alerted += c->alerts > 0;
        } else if (strcmp(c->label, "benign") == 0) {
            benign++;
            benign_high += c->best_sev >= 1 && c->best_sev <= 2;
        }
    }
    fprintf(o, "\nSummary\n");
    fprintf(o, "  captures:   %d replayed (%llu exfiltration, %llu benign)", d->ncaps,
            (unsigned long long)exfil, (unsigned long long)benign);
    fprintf(o, "%s\n", d->have_logs ? " + 4 server logs" : "");
    fprintf(o,
            "  alerts:     %llu (%llu EVE alert lines with their updates); "
            "%llu of %llu exfiltration captures alerted, %llu benign at severity 1-2\n",
            (unsigned long long)d->alert_ids, (unsigned long long)d->alerts_total,
            (unsigned long long)exfil_alerted, (unsigned long long)exfil,
            (unsigned long long)benign_high);
    uint64_t records = 0;
    for (int i = 0; i < d->ninc; i++) {
        uint64_t r;
        char *end;
        r = strtoull(d->inc[i].records, &end, 10);
        if (end != d->inc[i].records)
            records += r;
    }
    fprintf(o, "  incidents:  %d, %llu customer records exposed (best estimate)\n", d->ninc,
            (unsigned long long)records);
    for (int i = 0; i < d->ninc; i++) {
        struct demo_incident *in = &d->inc[i];
        char deadline[BW_TS_LEN] = "-";
        if (in->detected_us > 0)
            bw_time_fmt(in->detected_us + 72 * 3600 * BW_USEC, deadline);
        fprintf(o, "    %-24s actor %-15s sev %-2s %8s records  [%s]\n", in->id, in->actor,
                in->severity, in->records[0] ? in->records : "?", in->categories);
        fprintf(o, "    %-24s opened %.19s  GDPR Art. 33 deadline %.19s (72 h)\n", "", in->opened,
                deadline);
    }
    if (!d->ran_responder)
        fprintf(o, "  containment: responder did not run\n");
    else if (d->contained_in_ns)
        fprintf(o, "  containment: nftables in namespace %s (ruleset: %s/nft-ruleset.txt)\n",
                d->netns, d->out);
    else
        fprintf(o, "  containment: dry-run (intended actions are in each incident's timeline)\n");
    fprintf(o, "\nWhere things are\n");
    fprintf(o, "  alerts (EVE JSON lines): %s\n", d->eve);
    fprintf(o, "  alerts, one line each:   %s/alerts.txt  (breachwatch alerts --eve %s)\n", d->out,
            d->eve);
    fprintf(o, "  incidents:               %s/incidents.txt, %s/incidents/<ID>.txt\n", d->out,
            d->out);
    fprintf(o, "  notice drafts:           %s/notices/ (%d drafts)\n", d->out, d->notices);
    fprintf(o, "  summary:                 %s/summary.txt, %s/summary.json\n", d->out, d->out);
    fprintf(o, "  commands and their stderr: %s\n", d->log);
    if (d->keep_redis && d->redis_pid > 0)
        fprintf(o, "  redis (still running, pid %ld): --redis %s\n", (long)d->redis_pid,
                d->redis_url);
}

/* The same summary for scripts (tests/e2e/demo.sh checks it against the
 * truth files). */
static void write_summary_json(struct demo *d, const char *path)
{
    struct bw_buf b;
    struct bw_json j;
    bw_buf_init(&b);
    bw_json_init(&j, &b);
    bw_json_obj_begin(&j, NULL);
    bw_json_str(&j, "out", d->out);
    bw_json_str(&j, "eve", d->eve);
    bw_json_obj_begin(&j, "stages");
    bw_json_bool(&j, "detect", true);
    bw_json_bool(&j, "redis", d->redis_url[0] != '\0' && d->alerts_in_redis);
    bw_json_bool(&j, "logs", d->have_logs);
    bw_json_bool(&j, "responder", d->ran_responder);
    bw_json_str(&j, "containment", d->contained_in_ns ? "nftables" : "dry-run");
    bw_json_int(&j, "notices", d->notices);
    bw_json_obj_end(&j);
    bw_json_uint(&j, "alerts", d->alert_ids);
    bw_json_uint(&j, "alert_lines", d->alerts_total);
    bw_json_arr_begin(&j, "captures");
    for (int i = 0; i <= d->ncaps; i++) {
        struct demo_capture *c = i < d->ncaps ? &d->caps[i] : &d->logs;
        if (i == d->ncaps && !d->have_logs)
            break;
        bw_json_obj_begin(&j, NULL);
        bw_json_str(&j, "name", i < d->ncaps ? c->name : "logs");
        bw_json_str(&j, "label", c->label);
        bw_json_str(&j, "truth_actor", c->truth_actor);
        bw_json_int(&j, "truth_records", c->truth_records);
        bw_json_int(&j, "sensor_status", c->status);
        bw_json_uint(&j, "events", c->events);
        bw_json_uint(&j, "flows", c->flows);
        bw_json_uint(&j, "alerts", c->alerts);
        bw_json_int(&j, "best_severity", c->best_sev);
        bw_json_uint(&j, "max_alert_records", c->max_records);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_arr_begin(&j, "incidents");
    for (int i = 0; i < d->ninc; i++) {
        struct demo_incident *in = &d->inc[i];
        char deadline[BW_TS_LEN] = "";
        if (in->detected_us > 0)
            bw_time_fmt(in->detected_us + 72 * 3600 * BW_USEC, deadline);
        bw_json_obj_begin(&j, NULL);
        bw_json_str(&j, "id", in->id);
        bw_json_str(&j, "actor", in->actor);
        bw_json_str(&j, "severity", in->severity);
        bw_json_str(&j, "records", in->records);
        bw_json_str(&j, "categories", in->categories);
        bw_json_str(&j, "status", in->status);
        bw_json_str(&j, "opened", in->opened);
        bw_json_str(&j, "detected", in->detected);
        bw_json_str(&j, "gdpr_art33_deadline", deadline);
        bw_json_obj_end(&j);
    }
    bw_json_arr_end(&j);
    bw_json_obj_end(&j);
    FILE *fp = fopen(path, "w");
    if (fp != NULL && bw_json_finish(&j) == 0) {
        fwrite(b.data, 1, b.len, fp);
        fputc('\n', fp);
    }
    if (fp != NULL)
        fclose(fp);
    bw_buf_fini(&b);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: breachwatch demo [--out DIR] [--data DIR] [--dry-run] [--keep-redis]\n"
            "  DIR of --data holds pcaps/, config/ and rules/ (default: " BW_SOURCE_DIR ")\n");
}

static int make_abs(const char *in, char *out, size_t outlen)
{
    if (in[0] == '/') {
        snprintf(out, outlen, "%s", in);
        return 0;
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return -1;
    return path_join(out, outlen, cwd, in);
}

int cmd_demo(int argc, char **argv)
{
    enum { OPT_OUT = 256, OPT_DATA, OPT_KEEP, OPT_DRY };
    static const struct option opts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"data", required_argument, NULL, OPT_DATA},
        {"keep-redis", no_argument, NULL, OPT_KEEP},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct demo d; /* large; one per process */
    memset(&d, 0, sizeof(d));
    const char *out = "demo-output", *data = BW_SOURCE_DIR;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_DATA:
            data = optarg;
            break;
        case OPT_KEEP:
            d.keep_redis = 1;
            break;
        case OPT_DRY:
            d.force_dry_run = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind < argc) {
        usage();
        return 2;
    }
    ssize_t n = readlink("/proc/self/exe", d.self, sizeof(d.self) - 1);
    if (n <= 0) {
        fprintf(stderr, "breachwatch demo: cannot find my own program: %s\n", strerror(errno));
        return 1;
    }
    d.self[n] = '\0';
    if (make_abs(data, d.data, sizeof(d.data)) != 0 || make_abs(out, d.out, sizeof(d.out)) != 0) {
        fprintf(stderr, "breachwatch demo: path too long\n");
        return 1;
    }
    char probe[PATH_MAX];
    if (path_join(probe, sizeof(probe), d.data, "pcaps/README.md") != 0 || !exists(probe)) {
        fprintf(stderr, "breachwatch demo: %s has no pcaps/ (give --data DIR, the source tree)\n",
                d.data);
        return 1;
    }
    if (mkdir(d.out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "breachwatch demo: %s: %s\n", d.out, strerror(errno));
        return 1;
    }
    if (path_join(d.state, sizeof(d.state), d.out, "state") ||
        path_join(d.eve, sizeof(d.eve), d.out, "eve.json") ||
        path_join(d.log, sizeof(d.log), d.out, "demo.log") ||
        path_join(d.config, sizeof(d.config), d.data, "config/breachwatch.yaml") ||
        path_join(d.playbooks, sizeof(d.playbooks), d.data, "config/demo/responder.yaml") ||
        path_join(d.rules, sizeof(d.rules), d.data, "rules/default") ||
        path_join(d.sock, sizeof(d.sock), d.state, "redis.sock")) {
        fprintf(stderr, "breachwatch demo: path too long\n");
        return 1;
    }
    if (strlen(d.sock) >= 100) { /* sun_path */
        fprintf(stderr, "breachwatch demo: %s: too long for a Unix socket (use --out)\n", d.sock);
        return 1;
    }
    snprintf(d.redis_url, sizeof(d.redis_url), "unix://%s", d.sock);
    /* A fresh run: remove what an earlier demo left in OUT (only our files). */
    static const char *const old_files[] = {"eve.json",    "demo.log",      "alerts.txt",
                                            "summary.txt", "incidents.txt", "nft-ruleset.txt",
                                            "summary.json"};
    for (size_t i = 0; i < sizeof(old_files) / sizeof(old_files[0]); i++) {
        char p[PATH_MAX];
        if (path_join(p, sizeof(p), d.out, old_files[i]) == 0)
            remove(p);
    }
    static const char *const old_dirs[] = {"state", "notices", "incidents"};
    for (size_t i = 0; i < sizeof(old_dirs) / sizeof(old_dirs[0]); i++) {
        char p[PATH_MAX];
        if (path_join(p, sizeof(p), d.out, old_dirs[i]) == 0)
            rm_tree(p);
    }
    mkdir(d.state, 0700);
    signal(SIGPIPE, SIG_IGN);
    if (demo_write_config(&d) != 0) {
        fprintf(stderr, "breachwatch demo: cannot write %s\n", d.config);
        return 1;
    }

    printf("Breachwatch demo: bundled captures and logs from %s\n", d.data);
    printf("output: %s\n\n", d.out);
    if (redis_start(&d) == 0)
        printf("redis:  private redis-server on %s\n\n", d.sock);
    else
        printf("redis:  redis-server could not be started (apt-get install redis-server); "
               "alerts go to the EVE file only\n\n");
    printf("sensor (one run per capture, then the server logs):\n");
    int status = 0;
    if (stage_sensor(&d) != 0)
        status = 1;
    stage_logs(&d);
    printf("\nresponder:\n");
    stage_responder(&d);
    if (d.redis_pid > 0)
        load_incidents(&d);
    stage_reports(&d);
    netns_cleanup(&d);

    char alerts[PATH_MAX], summary[PATH_MAX];
    path_join(alerts, sizeof(alerts), d.out, "alerts.txt");
    path_join(summary, sizeof(summary), d.out, "summary.txt");
    char *av[] = {d.self, "alerts", "--eve", d.eve, "--color", "never", NULL};
    demo_spawn(&d, av, alerts, NULL);
    print_summary(&d, stdout);
    char sjson[PATH_MAX];
    path_join(sjson, sizeof(sjson), d.out, "summary.json");
    write_summary_json(&d, sjson);
    FILE *sf = fopen(summary, "w");
    if (sf != NULL) {
        print_summary(&d, sf);
        fclose(sf);
    }
    for (int i = 0; i < d.ncaps; i++)
        if (d.caps[i].status != 0)
            status = 1;
    if (!d.keep_redis)
        redis_stop(&d);
    return status;
}

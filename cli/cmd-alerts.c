/* `breachwatch alerts`: the analyst's live view of alerts, one line each, from
 * the Redis stream `<prefix>alerts` (field `eve`) or from an EVE file, with
 * filters by severity, rule and actor; colours on a terminal, --json for scripts. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/ipaddr.h"
#include "common/num.h"
#include "common/redis.h"
#include "common/timeutil.h"

#define ALERTS_MAX_RULES 32
#define ALERTS_BATCH     "200"
#define ALERTS_BLOCK_MS  "500"

static volatile sig_atomic_t alerts_stop;

static void on_signal(int sig)
{
    (void)sig;
    alerts_stop = 1;
}

struct alerts_filter {
    int64_t since_us; /* INT64_MIN = no lower bound */
    int max_sev;      /* show severity <= max_sev (1 = highest) */
    const char *rules[ALERTS_MAX_RULES];
    int nrules;
    int has_actor_net; /* actor given as an address or CIDR */
    struct bw_cidr actor_net;
    const char *actor_user; /* actor given as a user name */
};

struct alerts_view {
    struct alerts_filter f;
    int json;  /* print the EVE line unchanged */
    int color; /* ANSI colours by severity */
    uint64_t shown, filtered, malformed;
};

/* ANSI: 1 bold red, 2 red, 3 yellow, 4 cyan; unknown severities plain. */
static const char *sev_color(int sev)
{
    switch (sev) {
    case 1:
        return "\033[1;31m";
    case 2:
        return "\033[31m";
    case 3:
        return "\033[33m";
    case 4:
        return "\033[36m";
    default:
        return "";
    }
}

static const char *jstr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(json_t *obj, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* Bytes as B, kB, MB, GB (powers of 1000, one decimal). */
static void fmt_bytes(struct bw_buf *b, int64_t n)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        bw_buf_printf(b, "%lld B", (long long)n);
    else
        bw_buf_printf(b, "%.1f %s", v, units[u]);
}

static int match_filter(const struct alerts_filter *f, json_t *ev, int sev, const char *rule,
                        const char *ip, const char *user)
{
    if (sev > f->max_sev)
        return 0;
    if (f->since_us != INT64_MIN) {
        const char *ts = jstr(ev, "timestamp");
        int64_t us;
        if (ts == NULL || bw_time_parse(ts, &us) != 0 || us < f->since_us)
            return 0;
    }
    if (f->nrules > 0) {
        int hit = 0;
        for (int i = 0; i < f->nrules && !hit; i++)
            hit = rule != NULL && fnmatch(f->rules[i], rule, 0) == 0;
        if (!hit)
            return 0;
    }
    if (f->has_actor_net) {
        struct bw_addr a;
        if (ip == NULL || bw_addr_parse(ip, &a) != 0 || !bw_cidr_contains(&f->actor_net, &a))
            return 0;
    }
    if (f->actor_user != NULL && (user == NULL || strcmp(user, f->actor_user) != 0))
        return 0;
    return 1;
}

/* One EVE line (borrowed, need not be NUL-terminated): non-alerts are ignored,
 * malformed JSON is counted and reported on stderr with `where`. */
static void show_line(struct alerts_view *v, const char *line, size_t len, const char *where)
{
    json_error_t jerr;
    json_t *ev = json_loadb(line, len, 0, &jerr);
    if (ev == NULL || !json_is_object(ev)) {
        v->malformed++;
        fprintf(stderr, "breachwatch alerts: %s: not a JSON object (%s)\n", where,
                ev == NULL ? jerr.text : "other value");
        json_decref(ev);
        return;
    }
    const char *type = jstr(ev, "event_type");
    if (type == NULL || strcmp(type, "alert") != 0) {
        json_decref(ev);
        return;
    }
    json_t *alert = json_object_get(ev, "alert"), *breach = json_object_get(ev, "breach");
    json_t *actor = json_object_get(breach, "actor"), *geo = json_object_get(breach, "dest_geo");
    int sev = (int)jint(alert, "severity", 0);
    const char *rule = jstr(breach, "rule");
    const char *ip = jstr(actor, "ip"), *user = jstr(actor, "user");
    if (ip == NULL)
        ip = jstr(ev, "src_ip");
    if (!match_filter(&v->f, ev, sev, rule, ip, user)) {
        v->filtered++;
        json_decref(ev);
        return;
    }
    v->shown++;
    if (v->json) {
        fwrite(line, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        json_decref(ev);
        return;
    }
    struct bw_buf b;
    bw_buf_init(&b);
    const char *ts = jstr(ev, "timestamp"), *ds = jstr(breach, "dataset");
    const char *chan = jstr(breach, "channel"), *sig = jstr(alert, "signature");
    const char *country = jstr(geo, "country");
    int64_t records = jint(breach, "records", -1), bytes = jint(breach, "bytes", -1);
    int64_t update = jint(breach, "update", 0);
    if (v->color)
        bw_buf_puts(&b, sev_color(sev));
    /* Seconds are enough on a line; --json keeps the microseconds. */
    bw_buf_printf(&b, "%.19s  sev%d  %-26s %s", ts ? ts : "-", sev, rule ? rule : "-",
                  ip ? ip : "-");
    if (user != NULL)
        bw_buf_printf(&b, " (%s)", user);
    bw_buf_printf(&b, "  %s", chan ? chan : "-");
    if (ds != NULL)
        bw_buf_printf(&b, " %s", ds);
    if (records >= 0)
        bw_buf_printf(&b, "  %lld records", (long long)records);
    if (bytes >= 0) {
        bw_buf_puts(&b, "  ");
        fmt_bytes(&b, bytes);
    }
    if (country != NULL)
        bw_buf_printf(&b, "  -> %s", country);
    if (update > 0)
        bw_buf_printf(&b, "  (update %lld)", (long long)update);
    if (sig != NULL && rule == NULL)
        bw_buf_printf(&b, "  %s", sig);
    if (v->color && sev_color(sev)[0])
        bw_buf_puts(&b, "\033[0m");
    if (!b.oom)
        puts(b.data);
    fflush(stdout);
    bw_buf_fini(&b);
    json_decref(ev);
}

/* Reads `path` from the start; with follow, keeps reading what is appended and
 * reopens the file when it is replaced (rotation) or truncated. */
static int run_file(struct alerts_view *v, const char *path, int follow)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (fp == NULL) {
        fprintf(stderr, "breachwatch alerts: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    uint64_t lineno = 0;
    struct bw_buf partial; /* a line still being written when EOF was hit */
    bw_buf_init(&partial);
    struct stat st;
    ino_t ino = fstat(fileno(fp), &st) == 0 ? st.st_ino : 0;
    while (!alerts_stop) {
        ssize_t n = getline(&line, &cap, fp);
        if (n > 0) {
            if (line[n - 1] != '\n') {
                bw_buf_append(&partial, line, (size_t)n);
                if (!follow) {
                    lineno++;
                    char where[600];
                    snprintf(where, sizeof(where), "%s:%llu", path, (unsigned long long)lineno);
                    show_line(v, partial.data, partial.len, where);
                }
                continue;
            }
            lineno++;
            const char *l = line;
            size_t ln = (size_t)n - 1;
            if (partial.len > 0) {
                bw_buf_append(&partial, line, ln);
                l = partial.data;
                ln = partial.len;
            }
            if (ln > 0) {
                char where[600];
                snprintf(where, sizeof(where), "%s:%llu", path, (unsigned long long)lineno);
                show_line(v, l, ln, where);
            }
            bw_buf_reset(&partial);
            continue;
        }
        if (!follow || fp == stdin)
            break;
        /* At EOF: wait, then look for rotation or truncation. */
        clearerr(fp);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        struct stat cur;
        if (stat(path, &cur) != 0)
            continue; /* rotated away, not yet recreated */
        long pos = ftell(fp);
        if (cur.st_ino != ino || (pos >= 0 && cur.st_size < pos)) {
            FILE *nf = fopen(path, "r");
            if (nf != NULL) {
                fclose(fp);
                fp = nf;
                ino = cur.st_ino;
                lineno = 0;
                bw_buf_reset(&partial);
            }
        }
    }
    free(line);
    bw_buf_fini(&partial);
    if (fp != stdin)
        fclose(fp);
    return 0;
}

/* The entries of an XRANGE or one stream of an XREAD reply: shows each `eve`
 * field and remembers the last id. */
static void show_entries(struct alerts_view *v, redisReply *entries, char *last_id, size_t idlen)
{
    if (entries == NULL || entries->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        snprintf(last_id, idlen, "%s", e->element[0]->str);
        redisReply *fields = e->element[1];
        int found = 0;
        for (size_t k = 0; fields->type == REDIS_REPLY_ARRAY && k + 1 < fields->elements; k += 2) {
            redisReply *name = fields->element[k], *val = fields->element[k + 1];
            if (name->type == REDIS_REPLY_STRING && strcmp(name->str, "eve") == 0 &&
                val->type == REDIS_REPLY_STRING) {
                char where[300];
                snprintf(where, sizeof(where), "stream entry %s", last_id);
                show_line(v, val->str, val->len, where);
                found = 1;
            }
        }
        if (!found) {
            v->malformed++;
            fprintf(stderr, "breachwatch alerts: stream entry %s: no `eve` field\n", last_id);
        }
    }
}

static int reply_error(redisReply *r, const char *what)
{
    if (r != NULL && r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "breachwatch alerts: %s: %s\n", what, r->str);
        return 1;
    }
    return 0;
}

static int run_redis(struct alerts_view *v, const struct bw_redis_url *url, const char *stream,
                     int follow)
{
    struct bw_redis *r = bw_redis_new(url, 3000);
    char last[64], shown_url[400];
    int status = 1, warned = 0;
    if (r == NULL) {
        fprintf(stderr, "breachwatch alerts: out of memory\n");
        return 1;
    }
    bw_redis_url_fmt(url, shown_url, sizeof(shown_url));
    if (v->f.since_us != INT64_MIN) {
        /* Stream ids are milliseconds of arrival: a lower bound for the scan;
         * the alert's own timestamp is then checked by the filter. */
        int64_t ms = v->f.since_us / 1000;
        snprintf(last, sizeof(last), "%lld-0", (long long)(ms > 0 ? ms - 1 : 0));
    } else {
        snprintf(last, sizeof(last), "0-0");
    }
    if (follow && v->f.since_us == INT64_MIN) {
        /* Only what arrives from now on: start after the current last entry. */
        const char *argv[] = {"XREVRANGE", stream, "+", "-", "COUNT", "1"};
        redisReply *rep = bw_redis_cmdv(r, 6, argv);
        if (rep == NULL) {
            fprintf(stderr, "breachwatch alerts: %s: %s\n", shown_url, bw_redis_errstr(r));
            goto out;
        }
        if (reply_error(rep, "XREVRANGE")) {
            bw_redis_reply_free(rep);
            goto out;
        }
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
            rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2 &&
            rep->element[0]->element[0]->type == REDIS_REPLY_STRING)
            snprintf(last, sizeof(last), "%s", rep->element[0]->element[0]->str);
        bw_redis_reply_free(rep);
    } else {
        /* Backlog (everything, or since TIME) in batches. */
        for (;;) {
            char start[70];
            snprintf(start, sizeof(start), "(%s", last);
            const char *argv[] = {"XRANGE", stream, start, "+", "COUNT", ALERTS_BATCH};
            redisReply *rep = bw_redis_cmdv(r, 6, argv);
            if (rep == NULL) {
                fprintf(stderr, "breachwatch alerts: %s: %s\n", shown_url, bw_redis_errstr(r));
                goto out;
            }
            if (reply_error(rep, "XRANGE")) {
                bw_redis_reply_free(rep);
                goto out;
            }
            size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
            show_entries(v, rep, last, sizeof(last));
            bw_redis_reply_free(rep);
            if (n == 0 || alerts_stop)
                break;
        }
    }
    while (follow && !alerts_stop) {
        const char *argv[] = {"XREAD",         "COUNT",   ALERTS_BATCH, "BLOCK",
                              ALERTS_BLOCK_MS, "STREAMS", stream,       last};
        redisReply *rep = bw_redis_cmdv(r, 8, argv);
        if (rep == NULL) {
            if (!warned)
                fprintf(stderr, "breachwatch alerts: %s: %s (retrying)\n", shown_url,
                        bw_redis_errstr(r));
            warned = 1;
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (warned)
            fprintf(stderr, "breachwatch alerts: %s: connected again\n", shown_url);
        warned = 0;
        if (reply_error(rep, "XREAD")) {
            bw_redis_reply_free(rep);
            goto out;
        }
        /* [[stream, [entries...]]] or nil on timeout */
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
            rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2)
            show_entries(v, rep->element[0]->element[1], last, sizeof(last));
        bw_redis_reply_free(rep);
    }
    status = 0;
out:
    bw_redis_free(r);
    return status;
}

/* redis.url and redis.prefix of the config (the output modules validate the
 * rest of the section). */
static int config_redis(const struct bw_config *conf, char *url, size_t urllen, char *prefix,
                        size_t plen, struct bw_err *err)
{
    const struct bw_ynode *sec = config_section(conf, "redis"), *n;
    const char *s;
    if (sec == NULL)
        return 0;
    if (bw_yexpect(&conf->doc, sec, BW_Y_MAP, err))
        return -1;
    if ((n = bw_ymap_get(sec, "url"))) {
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        snprintf(url, urllen, "%s", s);
    }
    if ((n = bw_ymap_get(sec, "prefix"))) {
        if (bw_yget_str(&conf->doc, n, &s, err))
            return -1;
        snprintf(prefix, plen, "%s", s);
    }
    return 0;
}

/* --since: an EVE/ISO timestamp, or a duration meaning that long ago. */
static int parse_since(const char *s, int64_t *out)
{
    uint64_t d;
    if (bw_time_parse(s, out) == 0)
        return 0;
    if (bw_parse_duration_us(s, &d, NULL) == 0 && d <= (uint64_t)INT64_MAX / 2) {
        *out = bw_now_us() - (int64_t)d;
        return 0;
    }
    return -1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: breachwatch alerts [--follow] [--since TIME] [--min-severity N] [--json]\n"
            "         [--rule GLOB]... [--actor IP|CIDR|USER] [--color auto|always|never]\n"
            "         [--eve FILE|-] [--redis URL] [-c CONFIG]\n");
}

int cmd_alerts(int argc, char **argv)
{
    enum {
        OPT_SINCE = 256,
        OPT_MINSEV,
        OPT_JSON,
        OPT_RULE,
        OPT_ACTOR,
        OPT_COLOR,
        OPT_EVE,
        OPT_REDIS
    };
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'},
        {"since", required_argument, NULL, OPT_SINCE},
        {"min-severity", required_argument, NULL, OPT_MINSEV},
        {"json", no_argument, NULL, OPT_JSON},
        {"rule", required_argument, NULL, OPT_RULE},
        {"actor", required_argument, NULL, OPT_ACTOR},
        {"color", required_argument, NULL, OPT_COLOR},
        {"eve", required_argument, NULL, OPT_EVE},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct alerts_view v;
    memset(&v, 0, sizeof(v));
    v.f.since_us = INT64_MIN;
    v.f.max_sev = 4;
    const char *config_file = NULL, *eve = NULL, *redis_opt = NULL, *color = "auto";
    int follow = 0, c;
    uint64_t u;
    const char *reason;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fc:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            follow = 1;
            break;
        case OPT_SINCE:
            if (parse_since(optarg, &v.f.since_us) != 0) {
                fprintf(stderr,
                        "breachwatch alerts: --since %s: not a timestamp or a duration (1h)\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_MINSEV:
            if (bw_parse_u64(optarg, 1, 4, &u, &reason) != 0) {
                fprintf(stderr, "breachwatch alerts: --min-severity %s: %s (1..4)\n", optarg,
                        reason);
                return 2;
            }
            v.f.max_sev = (int)u;
            break;
        case OPT_JSON:
            v.json = 1;
            break;
        case OPT_RULE:
            if (v.f.nrules == ALERTS_MAX_RULES) {
                fprintf(stderr, "breachwatch alerts: at most %d --rule\n", ALERTS_MAX_RULES);
                return 2;
            }
            v.f.rules[v.f.nrules++] = optarg;
            break;
        case OPT_ACTOR:
            if (bw_cidr_parse(optarg, &v.f.actor_net, NULL) == 0) {
                v.f.has_actor_net = 1;
            } else {
                struct bw_addr a;
                if (bw_addr_parse(optarg, &a) == 0) {
                    v.f.actor_net.addr = a;
                    v.f.actor_net.prefix = a.family == AF_INET ? 32 : 128;
                    v.f.has_actor_net = 1;
                } else {
                    v.f.actor_user = optarg;
                }
            }
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "always") != 0 &&
                strcmp(optarg, "never") != 0) {
                fprintf(stderr, "breachwatch alerts: --color %s: auto, always or never\n", optarg);
                return 2;
            }
            color = optarg;
            break;
        case OPT_EVE:
            eve = optarg;
            break;
        case OPT_REDIS:
            redis_opt = optarg;
            break;
        case 'c':
            config_file = optarg;
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
        fprintf(stderr, "breachwatch alerts: unexpected argument '%s'\n", argv[optind]);
        usage();
        return 2;
    }
    if (strcmp(color, "always") == 0)
        v.color = 1;
    else if (strcmp(color, "auto") == 0) {
        const char *term = getenv("TERM");
        v.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL && term != NULL &&
                  strcmp(term, "dumb") != 0;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int status;
    if (eve != NULL) {
        if (redis_opt != NULL) {
            fprintf(stderr, "breachwatch alerts: --eve and --redis cannot be combined\n");
            return 2;
        }
        status = run_file(&v, eve, follow);
    } else {
        struct bw_config conf;
        struct bw_err err;
        char url_s[512] = "redis://127.0.0.1:6379/0", prefix[64] = "bw:", stream[80];
        bw_err_clear(&err);
        if (config_load(&conf, config_file, &err) != 0) {
            fprintf(stderr, "breachwatch alerts: %s\n", err.msg);
            return 1;
        }
        int rc = config_redis(&conf, url_s, sizeof(url_s), prefix, sizeof(prefix), &err);
        config_fini(&conf);
        if (rc != 0) {
            fprintf(stderr, "breachwatch alerts: %s\n", err.msg);
            return 1;
        }
        if (redis_opt != NULL)
            snprintf(url_s, sizeof(url_s), "%s", redis_opt);
        if (strcmp(url_s, "none") == 0 || url_s[0] == '\0') {
            fprintf(stderr, "breachwatch alerts: no Redis (--redis none): give --eve FILE\n");
            return 2;
        }
        struct bw_redis_url url;
        if (bw_redis_url_parse(url_s, &url, &err) != 0) {
            fprintf(stderr, "breachwatch alerts: %s\n", err.msg);
            return 2;
        }
        snprintf(stream, sizeof(stream), "%salerts", prefix);
        status = run_redis(&v, &url, stream, follow);
    }
    if (v.malformed > 0)
        fprintf(stderr, "breachwatch alerts: %llu malformed entries skipped\n",
                (unsigned long long)v.malformed);
    return status;
}

/* breachwatch notice: the impact assessment and a breach-notice draft of one
 * incident, read from Redis or (--from-eve) from the alerts of an EVE file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/config.h"
#include "common/redis.h"
#include "responder/notice.h"

static void usage(void)
{
    fprintf(
        stderr,
        "usage: breachwatch notice ID --regime " NOTICE_REGIMES " [--lang en|zh]\n"
        "                         [--format md|json|html] [-o FILE] [-c CONFIG]\n"
        "                         [--from-eve FILE [--actor IP]] [--redis URL]\n"
        "       breachwatch notice ID --all DIR [...]   every applicable draft, with SHA-256\n");
}

/* Redis URL and key prefix from the `redis:` section unless --redis gave one. */
static int redis_target(const struct bw_config *conf, const char *override, char *url,
                        size_t urllen, char *prefix, size_t plen, struct bw_err *err)
{
    const struct bw_ynode *sec = config_section(conf, "redis"), *n;
    const char *s;
    snprintf(url, urllen, "%s", override ? override : "redis://127.0.0.1:6379/0");
    snprintf(prefix, plen, "bw:");
    if (sec == NULL)
        return 0;
    if (!override && (n = bw_ymap_get(sec, "url")) != NULL) {
        if (bw_yget_str(&conf->doc, n, &s, err) != 0)
            return -1;
        snprintf(url, urllen, "%s", s);
    }
    if ((n = bw_ymap_get(sec, "prefix")) != NULL) {
        if (bw_yget_str(&conf->doc, n, &s, err) != 0)
            return -1;
        snprintf(prefix, plen, "%s", s);
    }
    return 0;
}

int cmd_notice(int argc, char **argv)
{
    enum { OPT_REGIME = 256, OPT_LANG, OPT_FORMAT, OPT_EVE, OPT_ACTOR, OPT_REDIS, OPT_ALL };
    static const struct option opts[] = {
        {"regime", required_argument, NULL, OPT_REGIME},
        {"lang", required_argument, NULL, OPT_LANG},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"config", required_argument, NULL, 'c'},
        {"from-eve", required_argument, NULL, OPT_EVE},
        {"actor", required_argument, NULL, OPT_ACTOR},
        {"redis", required_argument, NULL, OPT_REDIS},
        {"all", required_argument, NULL, OPT_ALL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *regime = NULL, *lang = "en", *format = "md", *outfile = NULL, *config_file = NULL,
               *eve = NULL, *actor = NULL, *redis_url = NULL, *all = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:c:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_REGIME:
            regime = optarg;
            break;
        case OPT_LANG:
            lang = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case 'o':
            outfile = optarg;
            break;
        case 'c':
            config_file = optarg;
            break;
        case OPT_EVE:
            eve = optarg;
            break;
        case OPT_ACTOR:
            actor = optarg;
            break;
        case OPT_REDIS:
            redis_url = optarg;
            break;
        case OPT_ALL:
            all = optarg;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc - 1 || (all == NULL && !notice_regime_valid(regime)) ||
        !notice_lang_valid(lang) || !notice_format_valid(format)) {
        usage();
        return 2;
    }
    const char *id = argv[optind];
    int status = 1, have_conf = 0, have_in = 0;
    struct bw_err err;
    bw_err_clear(&err);
    struct bw_config conf;
    struct incident_view *v = calloc(1, sizeof(*v));
    struct impact_inputs *in = calloc(1, sizeof(*in));
    struct bw_redis *r = NULL;
    json_t *a = NULL;
    struct bw_buf out;
    bw_buf_init(&out);
    if (v == NULL || in == NULL) {
        bw_err_set(&err, "out of memory");
        goto fail;
    }
    if (config_load(&conf, config_file, &err) != 0)
        goto fail;
    have_conf = 1;
    if (impact_inputs_load(in, &conf, &err) != 0)
        goto fail;
    have_in = 1;
    int got;
    if (eve != NULL) {
        uint64_t bad = 0;
        got = incident_view_from_eve(v, id, eve, actor, &bad, &err);
        if (bad)
            fprintf(stderr, "breachwatch notice: %s: %llu lines that are not JSON skipped\n", eve,
                    (unsigned long long)bad);
    } else {
        char url[512], prefix[64];
        struct bw_redis_url u;
        if (redis_target(&conf, redis_url, url, sizeof(url), prefix, sizeof(prefix), &err) != 0 ||
            bw_redis_url_parse(url, &u, &err) != 0)
            goto fail;
        r = bw_redis_new(&u, 2000);
        if (r == NULL) {
            bw_err_set(&err, "out of memory");
            goto fail;
        }
        got = incident_view_from_redis(v, r, prefix, id, &err);
    }
    if (got < 0)
        goto fail;
    if (got == 1) {
        bw_err_set(&err, "incident %s: no alerts found", id);
        goto fail;
    }
    if (all != NULL) {
        struct notice_draft d[NOTICE_MAX_DRAFTS];
        int n = 0;
        int rc = notice_draft_all(v, in, all, d, NOTICE_MAX_DRAFTS, &n, &err);
        for (int i = 0; i < n; i++)
            printf("%s  %s\n", d[i].sha256, d[i].path);
        if (rc != 0)
            goto fail;
        status = 0;
        goto done;
    }
    a = impact_assess(v, in);
    if (a == NULL) {
        bw_err_set(&err, "out of memory");
        goto fail;
    }
    if (notice_render(a, in, regime, lang, format, &out, &err) != 0)
        goto fail;
    FILE *f = outfile ? fopen(outfile, "w") : stdout;
    if (f == NULL) {
        bw_err_set(&err, "%s: cannot write", outfile);
        goto fail;
    }
    int werr = fwrite(out.data, 1, out.len, f) != out.len;
    if (f != stdout)
        werr |= fclose(f) != 0;
    else
        werr |= fflush(f) != 0;
    if (werr) {
        bw_err_set(&err, "%s: write failed", outfile ? outfile : "stdout");
        goto fail;
    }
    status = 0;
    goto done;
fail:
    fprintf(stderr, "breachwatch notice: %s\n", err.msg);
done:
    bw_buf_fini(&out);
    json_decref(a);
    bw_redis_free(r);
    if (have_in)
        impact_inputs_fini(in);
    if (have_conf)
        config_fini(&conf);
    free(in);
    free(v);
    return status;
}

/* Log sources: the format registry, the `logs:` config section, line
 * dispatch from followers to parsers, counters and the run loop. */
#include "sensor/logsrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/json.h"
#include "common/log.h"
#include "common/num.h"
#include "common/timeutil.h"

extern const struct log_format log_format_nginx, log_format_apache, log_format_mysql_slow,
    log_format_postgresql, log_format_postgresql_csv, log_format_postgresql_json,
    log_format_pgaudit, log_format_dnsmasq, log_format_bind, log_format_jsonl;

/* The registry: one line per format. */
const struct log_format *const log_formats[] = {
    &log_format_nginx,
    &log_format_apache,
    &log_format_mysql_slow,
    &log_format_postgresql,
    &log_format_postgresql_csv,
    &log_format_postgresql_json,
    &log_format_pgaudit,
    &log_format_dnsmasq,
    &log_format_bind,
    &log_format_jsonl,
    NULL,
};

const struct log_format *log_format_find(const char *name)
{
    for (int i = 0; log_formats[i] != NULL; i++)
        if (strcmp(log_formats[i]->name, name) == 0)
            return log_formats[i];
    return NULL;
}

const struct bw_ynode *log_cfg_get(const struct log_fmt_cfg *c, const char *key)
{
    const struct bw_ynode *v = NULL;
    if (c->src != NULL)
        v = bw_ymap_get(c->src, key);
    if (v == NULL && c->defaults != NULL)
        v = bw_ymap_get(c->defaults, key);
    return v;
}

int log_cfg_str(const struct log_fmt_cfg *c, const char *key, const char **out, struct bw_err *err)
{
    const struct bw_ynode *v = log_cfg_get(c, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    return bw_yget_str(c->doc, v, out, err);
}

/* ---- per-line dispatch ------------------------------------------------- */

static void sample_bad(struct log_stats *st, const char *line, size_t len)
{
    st->bad++;
    if (st->bad_sample_line != 0)
        return;
    size_t n = len < LOGSRC_SAMPLE_MAX ? len : LOGSRC_SAMPLE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        st->bad_sample[i] = c < 0x20 || c == 0x7f ? '.' : (char)c;
    }
    st->bad_sample[n] = '\0';
    st->bad_sample_line = st->lines;
}

static void src_emit(void *ctx, struct bw_access *ev)
{
    struct log_source *s = ctx;
    s->st.entries++;
    access_emit(s->sink, ev);
}

static void src_line(void *ctx, const char *line, size_t len, int64_t off, int64_t end)
{
    struct log_source *s = ctx;
    (void)end;
    struct log_emit em = {.fn = src_emit, .ctx = s, .ref_us = s->tail.mtime_us, .dns = s->dns};
    s->st.lines++;
    enum log_verdict v = s->fmt->parse_line(s->state, line, len, &em);
    if (v == LOG_BAD || em.bad > 0)
        sample_bad(&s->st, line, len);
    else if (v == LOG_SKIP)
        s->st.skipped++;
    if (s->fmt->pending != NULL) {
        if (s->fmt->pending(s->state)) {
            if (em.started)
                logtail_hold(&s->tail, 1, off);
        } else {
            logtail_hold(&s->tail, 0, 0);
        }
    }
}

static void src_flush(struct log_source *s)
{
    if (s->fmt->flush != NULL) {
        struct log_emit em = {.fn = src_emit, .ctx = s, .ref_us = s->tail.mtime_us, .dns = s->dns};
        s->fmt->flush(s->state, &em);
        s->st.bad += (uint64_t)em.bad;
    }
    logtail_release(&s->tail);
}

/* ---- set of sources ----------------------------------------------------- */

void logs_init(struct logs *l, const struct access_sink *sink)
{
    memset(l, 0, sizeof(*l));
    if (sink != NULL)
        l->sink = *sink;
    l->poll_us = 250000;
    l->max_line = LOGTAIL_MAX_LINE_DEFAULT;
    l->from_start = 1;
    snprintf(l->state_dir, sizeof(l->state_dir), ".breachwatch");
}

void logs_set_dns_payload(struct logs *l, struct dns_payload *dp)
{
    l->dns = dp;
    for (size_t i = 0; i < l->n; i++)
        l->v[i].dns = dp;
}

int logs_has_format(const struct logs *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].fmt->name, name) == 0)
            return 1;
    return 0;
}

static const struct bw_ynode *format_defaults(const struct bw_config *cfg, const char *format)
{
    if (cfg == NULL)
        return NULL;
    const struct bw_ynode *sec = config_section(cfg, "logs");
    const struct bw_ynode *f = sec ? bw_ymap_get(sec, "formats") : NULL;
    return f ? bw_ymap_get(f, format) : NULL;
}

int logs_add(struct logs *l, const struct bw_config *cfg, const char *format, const char *path,
             int follow, const struct bw_ynode *node, struct bw_err *err)
{
    const struct log_format *fmt = log_format_find(format);
    if (fmt == NULL) {
        char names[256] = "";
        for (int i = 0; log_formats[i] != NULL; i++) {
            strncat(names, i ? ", " : "", sizeof(names) - strlen(names) - 1);
            strncat(names, log_formats[i]->name, sizeof(names) - strlen(names) - 1);
        }
        if (node != NULL && cfg != NULL)
            return bw_ynode_err(&cfg->doc, node, err, "unknown log format '%s' (known: %s)", format,
                                names);
        return bw_err_set(err, "unknown log format '%s' (known: %s)", format, names);
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        struct log_source *nv = realloc(l->v, nc * sizeof(*nv));
        if (nv == NULL)
            return bw_err_set(err, "out of memory");
        l->v = nv;
        l->cap = nc;
    }
    struct log_source *s = &l->v[l->n];
    memset(s, 0, sizeof(*s));
    s->fmt = fmt;
    s->sink = &l->sink;
    s->dns = l->dns;
    struct log_fmt_cfg fc = {
        .doc = cfg ? &cfg->doc : NULL, .src = node, .defaults = format_defaults(cfg, format)};
    s->state = fmt->create(cfg ? &fc : NULL, err);
    if (s->state == NULL)
        return -1;
    struct logtail_opts o = {.follow = follow,
                             .state_dir = l->state_dir,
                             .max_line = l->max_line,
                             .from_start = l->from_start};
    if (logtail_open(&s->tail, path, &o, err) != 0) {
        fmt->destroy(s->state);
        return -1;
    }
    l->n++;
    return 0;
}

int logs_add_spec(struct logs *l, const struct bw_config *cfg, const char *spec, int follow,
                  struct bw_err *err)
{
    const char *colon = strchr(spec, ':');
    char fmt[32];
    if (colon == NULL || colon == spec || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof(fmt))
        return bw_err_set(err, "--log %s: expected FORMAT:PATH", spec);
    memcpy(fmt, spec, (size_t)(colon - spec));
    fmt[colon - spec] = '\0';
    return logs_add(l, cfg, fmt, colon + 1, follow, NULL, err);
}

static int check_format_keys(const struct bw_ydoc *doc, const struct bw_ynode *m,
                             const struct log_format *fmt, int with_common, struct bw_err *err)
{
    const char *allowed[16];
    int n = 0;
    if (with_common) {
        allowed[n++] = "format";
        allowed[n++] = "path";
        allowed[n++] = "follow";
    }
    for (int i = 0; fmt->keys != NULL && fmt->keys[i] != NULL && n < 15; i++)
        allowed[n++] = fmt->keys[i];
    allowed[n] = NULL;
    return bw_ymap_check_keys(doc, m, allowed, err);
}

int logs_configure(struct logs *l, const struct bw_config *cfg, int follow, struct bw_err *err)
{
    static const char *const keys[] = {"poll_interval", "max_line", "start",
                                       "formats",       "sources",  NULL};
    snprintf(l->state_dir, sizeof(l->state_dir), "%s", cfg->state_dir);
    const struct bw_ynode *sec = config_section(cfg, "logs");
    const struct bw_ydoc *doc = &cfg->doc;
    if (sec == NULL)
        return 0;
    if (bw_yexpect(doc, sec, BW_Y_MAP, err) != 0 || bw_ymap_check_keys(doc, sec, keys, err) != 0)
        return -1;
    const struct bw_ynode *v;
    uint64_t u;
    if ((v = bw_ymap_get(sec, "poll_interval")) != NULL) {
        if (bw_yget_duration_us(doc, v, &u, err) != 0)
            return -1;
        if (u < 1000 || u > 60 * BW_USEC)
            return bw_ynode_err(doc, v, err, "poll_interval: between 1ms and 60s");
        l->poll_us = u;
    }
    if ((v = bw_ymap_get(sec, "max_line")) != NULL) {
        if (bw_yget_size(doc, v, &u, err) != 0)
            return -1;
        if (u < 256 || u > (64u << 20))
            return bw_ynode_err(doc, v, err, "max_line: between 256 and 64m");
        l->max_line = (size_t)u;
    }
    if ((v = bw_ymap_get(sec, "start")) != NULL) {
        const char *s;
        if (bw_yget_str(doc, v, &s, err) != 0)
            return -1;
        if (strcmp(s, "beginning") == 0)
            l->from_start = 1;
        else if (strcmp(s, "end") == 0)
            l->from_start = 0;
        else
            return bw_ynode_err(doc, v, err, "start: 'beginning' or 'end'");
    }
    if ((v = bw_ymap_get(sec, "formats")) != NULL) {
        if (bw_yexpect(doc, v, BW_Y_MAP, err) != 0)
            return -1;
        for (size_t i = 0; i < v->n; i++) {
            const struct bw_ynode *k = bw_ymap_key(v, i), *fv = bw_ymap_val(v, i);
            const struct log_format *fmt = log_format_find(k->str ? k->str : "");
            if (fmt == NULL)
                return bw_ynode_err(doc, k, err, "formats: unknown log format '%s'",
                                    k->str ? k->str : "");
            if (bw_yexpect(doc, fv, BW_Y_MAP, err) != 0 ||
                check_format_keys(doc, fv, fmt, 0, err) != 0)
                return -1;
        }
    }
    const struct bw_ynode *srcs = bw_ymap_get(sec, "sources");
    if (srcs == NULL)
        return 0;
    if (bw_yexpect(doc, srcs, BW_Y_SEQ, err) != 0)
        return -1;
    for (size_t i = 0; i < srcs->n; i++) {
        const struct bw_ynode *s = srcs->kids[i], *fn, *pn, *fl;
        const char *format, *path;
        char full[4096];
        if (bw_yexpect(doc, s, BW_Y_MAP, err) != 0)
            return -1;
        if ((fn = bw_ymap_get(s, "format")) == NULL)
            return bw_ynode_err(doc, s, err, "logs.sources: 'format' is required");
        if ((pn = bw_ymap_get(s, "path")) == NULL)
            return bw_ynode_err(doc, s, err, "logs.sources: 'path' is required");
        if (bw_yget_str(doc, fn, &format, err) != 0 || bw_yget_str(doc, pn, &path, err) != 0)
            return -1;
        const struct log_format *fmt = log_format_find(format);
        if (fmt == NULL)
            return bw_ynode_err(doc, fn, err, "unknown log format '%s'", format);
        if (check_format_keys(doc, s, fmt, 1, err) != 0)
            return -1;
        int f = follow;
        if ((fl = bw_ymap_get(s, "follow")) != NULL) {
            bool b;
            if (bw_yget_bool(doc, fl, &b, err) != 0)
                return -1;
            f = b;
        }
        if (strcmp(path, "-") != 0)
            config_path(cfg, path, full, sizeof(full));
        else
            snprintf(full, sizeof(full), "-");
        if (logs_add(l, cfg, format, full, f, s, err) != 0) {
            if (err != NULL && err->line == 0) {
                char m[sizeof(err->msg)];
                snprintf(m, sizeof(m), "%s", err->msg);
                bw_ynode_err(doc, s, err, "%s", m);
            }
            return -1;
        }
    }
    return 0;
}

static int src_done(const struct log_source *s)
{
    return s->tail.eof;
}

size_t logs_poll(struct logs *l)
{
    size_t total = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct log_source *s = &l->v[i];
        if (src_done(s))
            continue;
        int r = logtail_poll(&s->tail, src_line, s);
        if (r > 0)
            total += (size_t)r;
        if (s->tail.eof) {
            src_flush(s);
        } else if (r <= 0 && s->fmt->pending != NULL && s->fmt->pending(s->state)) {
            /* Follow mode, idle: servers write an entry in one go, so what
             * is pending is complete. */
            src_flush(s);
        }
    }
    return total;
}

int logs_done(const struct logs *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!src_done(&l->v[i]))
            return 0;
    return 1;
}

void logs_save(struct logs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct logtail *t = &l->v[i].tail;
        if (t->commit != t->saved_commit && logtail_save(t) != 0)
            bw_warn("logs: %s: cannot save the read position", t->path);
    }
}

int logs_run(struct logs *l, volatile int *stop, void (*checkpoint)(void *ctx), void *ctx)
{
    int64_t last_save = bw_mono_us();
    while (!(stop != NULL && *stop) && !logs_done(l)) {
        size_t n = logs_poll(l);
        int64_t now = bw_mono_us();
        if (n == 0 || now - last_save > BW_USEC) {
            if (checkpoint != NULL)
                checkpoint(ctx);
            logs_save(l);
            last_save = now;
        }
        if (n == 0 && !logs_done(l)) {
            struct timespec ts = {.tv_sec = (time_t)(l->poll_us / 1000000),
                                  .tv_nsec = (long)(l->poll_us % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
    }
    for (size_t i = 0; i < l->n; i++)
        src_flush(&l->v[i]);
    if (checkpoint != NULL)
        checkpoint(ctx);
    logs_save(l);
    return 0;
}

void logs_fini(struct logs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct log_source *s = &l->v[i];
        src_flush(s);
        logtail_close(&s->tail);
        s->fmt->destroy(s->state);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static void stats_fill(const struct log_source *s, struct log_stats *out)
{
    *out = s->st;
    out->oversized = s->tail.oversized;
    out->rotations = s->tail.rotations;
    out->truncations = s->tail.truncations;
}

void logs_stats_json(const struct logs *l, struct bw_json *j)
{
    bw_json_arr_begin(j, "logs");
    for (size_t i = 0; i < l->n; i++) {
        struct log_stats st;
        stats_fill(&l->v[i], &st);
        bw_json_obj_begin(j, NULL);
        bw_json_str(j, "format", l->v[i].fmt->name);
        bw_json_str(j, "path", l->v[i].tail.path);
        bw_json_uint(j, "lines", st.lines);
        bw_json_uint(j, "entries", st.entries);
        bw_json_uint(j, "skipped", st.skipped);
        bw_json_uint(j, "bad", st.bad);
        bw_json_uint(j, "oversized", st.oversized);
        bw_json_uint(j, "rotations", st.rotations);
        bw_json_uint(j, "truncations", st.truncations);
        if (st.bad_sample_line) {
            bw_json_str(j, "bad_sample", st.bad_sample);
            bw_json_uint(j, "bad_sample_line", st.bad_sample_line);
        }
        bw_json_obj_end(j);
    }
    bw_json_arr_end(j);
}

void logs_report(const struct logs *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct log_stats st;
        stats_fill(&l->v[i], &st);
        bw_info("logs: %s:%s: %llu lines, %llu entries, %llu skipped, %llu bad, %llu oversized",
                l->v[i].fmt->name, l->v[i].tail.path, (unsigned long long)st.lines,
                (unsigned long long)st.entries, (unsigned long long)st.skipped,
                (unsigned long long)st.bad, (unsigned long long)st.oversized);
        if (st.bad_sample_line)
            bw_warn("logs: %s: first bad line (%llu): %s", l->v[i].tail.path,
                    (unsigned long long)st.bad_sample_line, st.bad_sample);
    }
}

/* ---- standalone parser (tests, fuzzers) -------------------------------- */

static void parser_emit(void *ctx, struct bw_access *ev)
{
    struct log_parser *p = ctx;
    p->st.entries++;
    if (p->user_fn != NULL)
        p->user_fn(p->user_ctx, ev);
}

int log_parser_init(struct log_parser *p, const char *format, const struct log_fmt_cfg *cfg,
                    void (*fn)(void *ctx, struct bw_access *ev), void *ctx, struct bw_err *err)
{
    memset(p, 0, sizeof(*p));
    p->fmt = log_format_find(format);
    if (p->fmt == NULL)
        return bw_err_set(err, "unknown log format '%s'", format);
    p->state = p->fmt->create(cfg, err);
    if (p->state == NULL)
        return -1;
    p->user_fn = fn;
    p->user_ctx = ctx;
    p->em.fn = parser_emit;
    p->em.ctx = p;
    p->em.ref_us = 1796112000LL * BW_USEC; /* 2026-12-01: fixed, for reproducible tests */
    return 0;
}

void log_parser_line(struct log_parser *p, const char *line, size_t len)
{
    p->st.lines++;
    p->em.started = 0;
    p->em.bad = 0;
    enum log_verdict v = p->fmt->parse_line(p->state, line, len, &p->em);
    if (v == LOG_BAD || p->em.bad > 0)
        sample_bad(&p->st, line, len);
    else if (v == LOG_SKIP)
        p->st.skipped++;
}

void log_parser_feed(struct log_parser *p, const char *data, size_t len, int flush)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - data) : len;
        log_parser_line(p, data + i, e - i);
        i = e + 1;
    }
    if (flush && p->fmt->flush != NULL) {
        p->em.bad = 0;
        p->fmt->flush(p->state, &p->em);
        p->st.bad += (uint64_t)p->em.bad;
    }
}

void log_parser_fini(struct log_parser *p)
{
    if (p->fmt != NULL && p->state != NULL)
        p->fmt->destroy(p->state);
    p->state = NULL;
}

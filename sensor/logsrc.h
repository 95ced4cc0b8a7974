/* Log sources: a follower (logtail) + a format parser + counters. Every log
 * entry becomes a struct bw_access handed to an access_sink, exactly like the
 * events of packet parsers. Formats register in the table of logsrc.c; adding
 * one is one log-*.c file and one table line. */
#ifndef BW_LOGSRC_H
#define BW_LOGSRC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/yaml-tree.h"
#include "sensor/access.h"
#include "sensor/logtail.h"

struct bw_config;
struct dns_payload; /* sensor/dns-payload.h */

/* What a parser says about one line. */
enum log_verdict {
    LOG_ENTRY = 0, /* the line completed (or was) an entry, or belongs to one */
    LOG_SKIP = 1,  /* well-formed but carries no data access (banner, checkpoint) */
    LOG_BAD = 2,   /* malformed: counted, kept as sample */
};

/* Options a format reads from the config: the source's own mapping first,
 * then the format's defaults under logs.formats.<name>. Either may be NULL. */
struct log_fmt_cfg {
    const struct bw_ydoc *doc;
    const struct bw_ynode *src;
    const struct bw_ynode *defaults;
};

/* The option `key`, from the source or the defaults; NULL when absent. */
const struct bw_ynode *log_cfg_get(const struct log_fmt_cfg *c, const char *key);
/* A string option (NULL when absent), -1 with err when it is not a scalar. */
int log_cfg_str(const struct log_fmt_cfg *c, const char *key, const char **out,
                struct bw_err *err) BW_WUR;

/* Parsers call this for every complete entry. The event is borrowed. */
struct log_emit {
    void (*fn)(void *ctx, struct bw_access *ev);
    void *ctx;
    int64_t ref_us;          /* reference time for dates without a year (file mtime) */
    int started;             /* set by a multi-line parser when an entry began on this line */
    int bad;                 /* incremented by a parser for a malformed entry it completed
                                outside its own line (multi-line formats, flush) */
    struct dns_payload *dns; /* DNS payload streams for resolver logs; may be NULL */
};

static inline void log_emit(struct log_emit *em, struct bw_access *ev)
{
    em->fn(em->ctx, ev);
}

struct log_format {
    const char *name;
    const char *const *keys; /* format-specific config keys (NULL-terminated), or NULL */
    /* Allocates the per-source state. Returns NULL with err. */
    void *(*create)(const struct log_fmt_cfg *cfg, struct bw_err *err);
    void (*destroy)(void *state);
    /* One line without newline (borrowed). Emits zero or more entries. */
    enum log_verdict (*parse_line)(void *state, const char *line, size_t len, struct log_emit *em);
    /* End of input (or of a file): completes a pending multi-line entry. May be NULL. */
    void (*flush)(void *state, struct log_emit *em);
    /* 1 when the parser holds a partial entry (multi-line formats). May be NULL. */
    int (*pending)(const void *state);
};

/* The registry. */
const struct log_format *log_format_find(const char *name);
/* Names of all formats, NULL-terminated. */
extern const struct log_format *const log_formats[];

#define LOGSRC_SAMPLE_MAX 200

struct log_stats {
    uint64_t lines, entries, skipped, bad, oversized, rotations, truncations;
    char bad_sample[LOGSRC_SAMPLE_MAX + 1]; /* first bad line, capped, control bytes as '.' */
    uint64_t bad_sample_line;               /* its line number (1-based) */
};

struct log_source {
    const struct log_format *fmt;
    void *state;
    struct logtail tail;
    struct log_stats st;
    const struct access_sink *sink;
    int64_t pending_off; /* file offset where the pending entry began */
    int pending_hold;
    struct dns_payload *dns; /* borrowed from the set, may be NULL */
};

/* A set of sources run together. */
struct logs {
    struct log_source *v;
    size_t n, cap;
    struct access_sink sink; /* where every entry goes */
    int follow_default;      /* for config sources without `follow` */
    uint64_t poll_us;        /* follow mode: sleep between polls when idle */
    size_t max_line;
    char state_dir[256];
    int from_start;
    struct dns_payload *dns; /* borrowed, may be NULL: see logs_set_dns_payload */
};

/* Initialises an empty set that emits into `sink` (copied). */
void logs_init(struct logs *l, const struct access_sink *sink);
/* Reads the `logs:` section (may be absent): defaults and the sources list.
 * `follow` is the mode for sources that don't say (the CLI decides). Returns
 * 0 or -1 with err (file:line:col). */
int logs_configure(struct logs *l, const struct bw_config *cfg, int follow,
                   struct bw_err *err) BW_WUR;
/* Adds `FORMAT:PATH` (the --log option). Format options come from the config's
 * logs.formats.<format> (cfg may be NULL). Returns 0 or -1 with err. */
int logs_add_spec(struct logs *l, const struct bw_config *cfg, const char *spec, int follow,
                  struct bw_err *err) BW_WUR;
/* Adds one source. `node` is its config mapping or NULL. */
int logs_add(struct logs *l, const struct bw_config *cfg, const char *format, const char *path,
             int follow, const struct bw_ynode *node, struct bw_err *err) BW_WUR;
/* DNS payload streams (borrowed, outlive the set; NULL turns them off) for
 * the resolver log formats of every source, present and added later. Sources
 * are polled on one thread, so one table serves them all. */
void logs_set_dns_payload(struct logs *l, struct dns_payload *dp);
/* 1 when some source reads the format `name`. */
int logs_has_format(const struct logs *l, const char *name);
/* Polls every source once. Returns lines read, or 0 when all were idle. */
size_t logs_poll(struct logs *l);
/* 1 when every source is finished (one-shot sources at EOF, stdin closed). */
int logs_done(const struct logs *l);
/* Runs until every source is done, or until *stop becomes nonzero (follow
 * mode: set from a signal handler). `checkpoint` is called before positions
 * are saved so that events already emitted are durable first (may be NULL).
 * Returns 0. */
int logs_run(struct logs *l, volatile int *stop, void (*checkpoint)(void *ctx), void *ctx);
/* Saves every follower's position now. */
void logs_save(struct logs *l);
/* Completes pending entries, saves positions, frees everything. */
void logs_fini(struct logs *l);
/* Appends the counters as a "logs" array (one object per source) to j. */
struct bw_json;
void logs_stats_json(const struct logs *l, struct bw_json *j);
/* Logs one summary line per source, and the sample of its first bad line. */
void logs_report(const struct logs *l);

/* A standalone parser, for tests and fuzzers: a format with its state, lines
 * fed directly. */
struct log_parser {
    const struct log_format *fmt;
    void *state;
    struct log_emit em;
    struct log_stats st;
    void (*user_fn)(void *ctx, struct bw_access *ev);
    void *user_ctx;
};
int log_parser_init(struct log_parser *p, const char *format, const struct log_fmt_cfg *cfg,
                    void (*fn)(void *ctx, struct bw_access *ev), void *ctx,
                    struct bw_err *err) BW_WUR;
/* Feeds one line (without newline). */
void log_parser_line(struct log_parser *p, const char *line, size_t len);
/* Feeds a whole buffer (lines split at '\n'), then flushes. */
void log_parser_feed(struct log_parser *p, const char *data, size_t len, int flush);
void log_parser_fini(struct log_parser *p);

#endif

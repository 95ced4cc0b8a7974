/* The one YAML loader: libyaml's event API builds a small tree whose nodes keep
 * their line and column, so every config, rule and inventory error names
 * file:line:column. Anchors, aliases and tags-with-merge are rejected; file size
 * and nesting depth are capped. */
#ifndef BW_YAML_TREE_H
#define BW_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/ipaddr.h"

#define BW_YAML_MAX_BYTES (4u << 20)
#define BW_YAML_MAX_DEPTH 32

enum bw_ytype { BW_Y_SCALAR, BW_Y_SEQ, BW_Y_MAP };

struct bw_ynode {
    enum bw_ytype type;
    int line, col;          /* 1-based position of the node's start */
    bool quoted;            /* scalar was quoted (so "null" is a string) */
    char *str;              /* scalar text, NUL-terminated; NULL otherwise */
    size_t len;             /* scalar length */
    size_t n;               /* items in a sequence, pairs in a mapping */
    struct bw_ynode **kids; /* sequence: n items; mapping: key,value pairs (2n) */
    size_t nkids;           /* entries used in kids (internal) */
};

struct bw_ydoc {
    char file[256];
    struct bw_ynode *root; /* NULL for an empty document */
};

/* Loads a whole file. On failure returns -1 with err at the failing position. */
int bw_ydoc_load_file(struct bw_ydoc *doc, const char *path, struct bw_err *err) BW_WUR;
/* Loads from memory; `name` is used in messages. */
int bw_ydoc_load_mem(struct bw_ydoc *doc, const char *name, const void *data, size_t len,
                     struct bw_err *err) BW_WUR;
void bw_ydoc_fini(struct bw_ydoc *doc);

/* Mapping access; NULL when absent or when `map` is not a mapping. */
const struct bw_ynode *bw_ymap_get(const struct bw_ynode *map, const char *key);
static inline const struct bw_ynode *bw_ymap_key(const struct bw_ynode *m, size_t i)
{
    return m->kids[2 * i];
}
static inline const struct bw_ynode *bw_ymap_val(const struct bw_ynode *m, size_t i)
{
    return m->kids[2 * i + 1];
}

/* Reports the first key of `map` that is not in the NULL-terminated list. */
int bw_ymap_check_keys(const struct bw_ydoc *doc, const struct bw_ynode *map,
                       const char *const *allowed, struct bw_err *err) BW_WUR;

/* Error at a node's position. Returns -1. */
int bw_ynode_err(const struct bw_ydoc *doc, const struct bw_ynode *node, struct bw_err *err,
                 const char *fmt, ...) BW_PRINTF(4, 5);

/* Typed getters: each checks the node and reports "expected ..." at its position. */
int bw_yexpect(const struct bw_ydoc *doc, const struct bw_ynode *node, enum bw_ytype type,
               struct bw_err *err) BW_WUR;
int bw_yget_str(const struct bw_ydoc *doc, const struct bw_ynode *node, const char **out,
                struct bw_err *err) BW_WUR;
int bw_yget_u64(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t min, uint64_t max,
                uint64_t *out, struct bw_err *err) BW_WUR;
int bw_yget_double(const struct bw_ydoc *doc, const struct bw_ynode *node, double min, double max,
                   double *out, struct bw_err *err) BW_WUR;
int bw_yget_bool(const struct bw_ydoc *doc, const struct bw_ynode *node, bool *out,
                 struct bw_err *err) BW_WUR;
int bw_yget_duration_us(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t *out,
                        struct bw_err *err) BW_WUR;
int bw_yget_size(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t *out,
                 struct bw_err *err) BW_WUR;
/* A scalar copied into out[outlen] (NUL-terminated); "longer than N bytes" at
 * its position when it does not fit. */
int bw_yget_strbuf(const struct bw_ydoc *doc, const struct bw_ynode *node, char *out, size_t outlen,
                   struct bw_err *err) BW_WUR;
/* A duration in whole seconds, at least min_s ("must be at least Ns"). */
int bw_yget_duration_s(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t min_s,
                       uint64_t *out, struct bw_err *err) BW_WUR;
/* A scalar CIDR or a sequence of them, appended to `set`. */
int bw_yget_cidrs(const struct bw_ydoc *doc, const struct bw_ynode *node, struct bw_cidr_set *set,
                  struct bw_err *err) BW_WUR;

#endif

/* YAML to node tree through libyaml's event API. */
#include "common/yaml-tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/num.h"

static void ynode_free(struct bw_ynode *n)
{
    if (n == NULL)
        return;
    if (n->kids != NULL)
        for (size_t i = 0; i < n->nkids; i++)
            ynode_free(n->kids[i]);
    free(n->kids);
    free(n->str);
    free(n);
}

void bw_ydoc_fini(struct bw_ydoc *doc)
{
    ynode_free(doc->root);
    doc->root = NULL;
}

struct yload {
    yaml_parser_t parser;
    struct bw_ydoc *doc;
    struct bw_err *err;
    int depth;
};

static int yl_err_mark(struct yload *yl, const yaml_mark_t *m, const char *fmt, ...)
    BW_PRINTF(3, 4);

static int yl_err_mark(struct yload *yl, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return bw_err_setpos(yl->err, yl->doc->file, (int)m->line + 1, (int)m->column + 1, "%s", msg);
}

static int yl_next(struct yload *yl, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&yl->parser, ev)) {
        const char *what = yl->parser.problem ? yl->parser.problem : "syntax error";
        if (yl->parser.context)
            return yl_err_mark(yl, &yl->parser.problem_mark, "%s %s", what, yl->parser.context);
        return yl_err_mark(yl, &yl->parser.problem_mark, "%s", what);
    }
    return 0;
}

/* Parses one node starting at `ev` (already consumed from the parser). */
static int yl_node(struct yload *yl, yaml_event_t *ev, struct bw_ynode **out);

static int yl_children(struct yload *yl, struct bw_ynode *n, yaml_event_type_t end)
{
    size_t cap = 0, count = 0;
    for (;;) {
        yaml_event_t ev;
        if (yl_next(yl, &ev) != 0)
            return -1;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            break;
        }
        struct bw_ynode *kid = NULL;
        int rc = yl_node(yl, &ev, &kid);
        yaml_event_delete(&ev);
        if (rc != 0) {
            ynode_free(kid);
            return -1;
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            struct bw_ynode **nk = realloc(n->kids, cap * sizeof(*nk));
            if (nk == NULL) {
                ynode_free(kid);
                return bw_err_set(yl->err, "%s: out of memory", yl->doc->file);
            }
            n->kids = nk;
        }
        n->kids[count++] = kid;
        n->nkids = count;
        if (n->type == BW_Y_MAP) {
            if (count % 2 == 1 && kid->type != BW_Y_SCALAR)
                return bw_err_setpos(yl->err, yl->doc->file, kid->line, kid->col,
                                     "mapping keys must be plain scalars");
            if (count % 2 == 1) {
                for (size_t i = 0; i + 1 < count; i += 2)
                    if (strcmp(n->kids[i]->str, kid->str) == 0)
                        return bw_err_setpos(yl->err, yl->doc->file, kid->line, kid->col,
                                             "duplicate key '%s' (first at line %d)", kid->str,
                                             n->kids[i]->line);
            }
            n->n = count / 2;
        } else {
            n->n = count;
        }
    }
    return 0;
}

static int yl_node(struct yload *yl, yaml_event_t *ev, struct bw_ynode **out)
{
    const yaml_mark_t *m = &ev->start_mark;
    const yaml_char_t *anchor = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return yl_err_mark(yl, m, "aliases are not allowed");
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        break;
    default:
        return yl_err_mark(yl, m, "unexpected YAML event");
    }
    if (anchor != NULL)
        return yl_err_mark(yl, m, "anchors are not allowed");

    struct bw_ynode *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return bw_err_set(yl->err, "%s: out of memory", yl->doc->file);
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    *out = n;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->type = BW_Y_SCALAR;
        n->len = ev->data.scalar.length;
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        n->str = malloc(n->len + 1);
        if (n->str == NULL)
            return bw_err_set(yl->err, "%s: out of memory", yl->doc->file);
        memcpy(n->str, ev->data.scalar.value, n->len);
        n->str[n->len] = '\0';
        if (memchr(n->str, '\0', n->len) != NULL)
            return yl_err_mark(yl, m, "NUL byte in scalar");
        return 0;
    }
    if (++yl->depth > BW_YAML_MAX_DEPTH)
        return yl_err_mark(yl, m, "nesting deeper than %d levels", BW_YAML_MAX_DEPTH);
    int rc;
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        n->type = BW_Y_SEQ;
        rc = yl_children(yl, n, YAML_SEQUENCE_END_EVENT);
    } else {
        n->type = BW_Y_MAP;
        rc = yl_children(yl, n, YAML_MAPPING_END_EVENT);
    }
    yl->depth--;
    return rc;
}

int bw_ydoc_load_mem(struct bw_ydoc *doc, const char *name, const void *data, size_t len,
                     struct bw_err *err)
{
    memset(doc, 0, sizeof(*doc));
    snprintf(doc->file, sizeof(doc->file), "%s", name);
    if (len > BW_YAML_MAX_BYTES)
        return bw_err_set(err, "%s: larger than %u bytes", name, BW_YAML_MAX_BYTES);
    struct yload yl = {.doc = doc, .err = err};
    if (!yaml_parser_initialize(&yl.parser))
        return bw_err_set(err, "%s: cannot initialise YAML parser", name);
    yaml_parser_set_input_string(&yl.parser, data, len);
    int rc = -1, docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (yl_next(&yl, &ev) != 0)
            goto out;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            yl_err_mark(&yl, &ev.start_mark, "only one YAML document per file");
            yaml_event_delete(&ev);
            goto out;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
            int nrc = yl_node(&yl, &ev, &doc->root);
            yaml_event_delete(&ev);
            if (nrc != 0)
                goto out;
            continue;
        }
        yaml_event_delete(&ev);
    }
    /* An empty document or a bare "~" is an empty config. */
    if (doc->root && doc->root->type == BW_Y_SCALAR && !doc->root->quoted &&
        (doc->root->len == 0 || strcmp(doc->root->str, "~") == 0 ||
         strcmp(doc->root->str, "null") == 0)) {
        ynode_free(doc->root);
        doc->root = NULL;
    }
    rc = 0;
out:
    yaml_parser_delete(&yl.parser);
    if (rc != 0)
        bw_ydoc_fini(doc);
    return rc;
}

int bw_ydoc_load_file(struct bw_ydoc *doc, const char *path, struct bw_err *err)
{
    memset(doc, 0, sizeof(*doc));
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return bw_err_set(err, "%s: %s", path, strerror(errno));
    char *buf = malloc(BW_YAML_MAX_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return bw_err_set(err, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, BW_YAML_MAX_BYTES + 1, f);
    int rerr = ferror(f);
    fclose(f);
    int rc;
    if (rerr)
        rc = bw_err_set(err, "%s: read error", path);
    else if (n > BW_YAML_MAX_BYTES)
        rc = bw_err_set(err, "%s: larger than %u bytes", path, BW_YAML_MAX_BYTES);
    else
        rc = bw_ydoc_load_mem(doc, path, buf, n, err);
    free(buf);
    return rc;
}

const struct bw_ynode *bw_ymap_get(const struct bw_ynode *map, const char *key)
{
    if (map == NULL || map->type != BW_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(bw_ymap_key(map, i)->str, key) == 0)
            return bw_ymap_val(map, i);
    return NULL;
}

int bw_ynode_err(const struct bw_ydoc *doc, const struct bw_ynode *node, struct bw_err *err,
                 const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line = node ? node->line : 1, col = node ? node->col : 1;
    return bw_err_setpos(err, doc->file, line, col, "%s", msg);
}

int bw_ymap_check_keys(const struct bw_ydoc *doc, const struct bw_ynode *map,
                       const char *const *allowed, struct bw_err *err)
{
    if (bw_yexpect(doc, map, BW_Y_MAP, err) != 0)
        return -1;
    for (size_t i = 0; i < map->n; i++) {
        const struct bw_ynode *k = bw_ymap_key(map, i);
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL; a++)
            if (strcmp(*a, k->str) == 0)
                ok = true;
        if (!ok)
            return bw_ynode_err(doc, k, err, "unknown key '%s'", k->str);
    }
    return 0;
}

int bw_yexpect(const struct bw_ydoc *doc, const struct bw_ynode *node, enum bw_ytype type,
               struct bw_err *err)
{
    static const char *names[] = {"a scalar", "a sequence", "a mapping"};
    if (node == NULL)
        return bw_ynode_err(doc, NULL, err, "expected %s, found nothing", names[type]);
    if (node->type != type)
        return bw_ynode_err(doc, node, err, "expected %s, found %s", names[type],
                            names[node->type]);
    return 0;
}

int bw_yget_str(const struct bw_ydoc *doc, const struct bw_ynode *node, const char **out,
                struct bw_err *err)
{
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    *out = node->str;
    return 0;
}

int bw_yget_u64(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t min, uint64_t max,
                uint64_t *out, struct bw_err *err)
{
    const char *why = NULL;
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    if (bw_parse_u64(node->str, min, max, out, &why) != 0)
        return bw_ynode_err(doc, node, err, "'%s': %s (expected an integer in %llu..%llu)",
                            node->str, why, (unsigned long long)min, (unsigned long long)max);
    return 0;
}

int bw_yget_double(const struct bw_ydoc *doc, const struct bw_ynode *node, double min, double max,
                   double *out, struct bw_err *err)
{
    const char *why = NULL;
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    if (bw_parse_double(node->str, min, max, out, &why) != 0)
        return bw_ynode_err(doc, node, err, "'%s': %s (expected a number in %g..%g)", node->str,
                            why, min, max);
    return 0;
}

int bw_yget_bool(const struct bw_ydoc *doc, const struct bw_ynode *node, bool *out,
                 struct bw_err *err)
{
    const char *why = NULL;
    int v;
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    if (bw_parse_bool(node->str, &v, &why) != 0)
        return bw_ynode_err(doc, node, err, "'%s': %s", node->str, why);
    *out = v != 0;
    return 0;
}

int bw_yget_duration_us(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t *out,
                        struct bw_err *err)
{
    const char *why = NULL;
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    if (bw_parse_duration_us(node->str, out, &why) != 0)
        return bw_ynode_err(doc, node, err, "'%s': %s (expected a duration such as 30s or 5m)",
                            node->str, why);
    return 0;
}

int bw_yget_strbuf(const struct bw_ydoc *doc, const struct bw_ynode *node, char *out, size_t outlen,
                   struct bw_err *err)
{
    const char *s;
    if (bw_yget_str(doc, node, &s, err) != 0)
        return -1;
    size_t n = strlen(s);
    if (n >= outlen)
        return bw_ynode_err(doc, node, err, "longer than %zu bytes", outlen - 1);
    memcpy(out, s, n + 1);
    return 0;
}

int bw_yget_duration_s(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t min_s,
                       uint64_t *out, struct bw_err *err)
{
    uint64_t us;
    if (bw_yget_duration_us(doc, node, &us, err) != 0)
        return -1;
    if (us / 1000000 < min_s)
        return bw_ynode_err(doc, node, err, "must be at least %llus", (unsigned long long)min_s);
    *out = us / 1000000;
    return 0;
}

int bw_yget_size(const struct bw_ydoc *doc, const struct bw_ynode *node, uint64_t *out,
                 struct bw_err *err)
{
    const char *why = NULL;
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    if (bw_parse_size(node->str, out, &why) != 0)
        return bw_ynode_err(doc, node, err, "'%s': %s (expected a size such as 64mb)", node->str,
                            why);
    return 0;
}

static int yget_one_cidr(const struct bw_ydoc *doc, const struct bw_ynode *node,
                         struct bw_cidr_set *set, struct bw_err *err)
{
    const char *why = NULL;
    struct bw_cidr c;
    if (bw_yexpect(doc, node, BW_Y_SCALAR, err) != 0)
        return -1;
    if (bw_cidr_parse(node->str, &c, &why) != 0)
        return bw_ynode_err(doc, node, err, "'%s': %s (expected an address or CIDR)", node->str,
                            why);
    if (bw_cidr_set_add(set, &c) != 0)
        return bw_ynode_err(doc, node, err, "out of memory");
    return 0;
}

int bw_yget_cidrs(const struct bw_ydoc *doc, const struct bw_ynode *node, struct bw_cidr_set *set,
                  struct bw_err *err)
{
    if (node != NULL && node->type == BW_Y_SEQ) {
        for (size_t i = 0; i < node->n; i++)
            if (yget_one_cidr(doc, node->kids[i], set, err) != 0)
                return -1;
        return 0;
    }
    return yget_one_cidr(doc, node, set, err);
}

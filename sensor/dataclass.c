/* Data classes loader: config/data-classes.yaml through the common YAML tree. */
#include "sensor/dataclass.h"

#include <stdio.h>
#include <string.h>

#include "common/yaml-tree.h"

const char *dataclass_sens_name(enum dataclass_sens s)
{
    switch (s) {
    case DATACLASS_HIGH:
        return "high";
    case DATACLASS_MEDIUM:
        return "medium";
    case DATACLASS_LOW:
        return "low";
    }
    return "unknown";
}

static int sens_parse(const char *s)
{
    if (strcmp(s, "high") == 0)
        return DATACLASS_HIGH;
    if (strcmp(s, "medium") == 0)
        return DATACLASS_MEDIUM;
    if (strcmp(s, "low") == 0)
        return DATACLASS_LOW;
    return -1;
}

static int copy_str(const struct bw_ydoc *doc, const struct bw_ynode *n, char *out, size_t cap,
                    struct bw_err *err)
{
    const char *s;
    if (bw_yget_str(doc, n, &s, err) != 0)
        return -1;
    if (strlen(s) >= cap)
        return bw_ynode_err(doc, n, err, "too long (at most %zu bytes)", cap - 1);
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int load_category(struct dataclass_set *set, const struct bw_ydoc *doc,
                         const struct bw_ynode *key, const struct bw_ynode *val, struct bw_err *err)
{
    static const char *const keys[] = {"class", "description", "pii_types", NULL};
    if (set->n == DATACLASS_MAX)
        return bw_ynode_err(doc, key, err, "more than %d categories", DATACLASS_MAX);
    if (dataclass_find(set, key->str) != NULL)
        return bw_ynode_err(doc, key, err, "category '%s' defined twice", key->str);
    struct dataclass_category *c = &set->cat[set->n];
    memset(c, 0, sizeof(*c));
    if (copy_str(doc, key, c->name, sizeof(c->name), err) != 0 ||
        bw_ymap_check_keys(doc, val, keys, err) != 0)
        return -1;
    const struct bw_ynode *cls = bw_ymap_get(val, "class");
    if (cls == NULL)
        return bw_ynode_err(doc, val, err, "category '%s': missing key 'class'", c->name);
    const char *cs;
    if (bw_yget_str(doc, cls, &cs, err) != 0)
        return -1;
    int sens = sens_parse(cs);
    if (sens < 0)
        return bw_ynode_err(doc, cls, err, "class '%s': expected high, medium or low", cs);
    c->sens = (enum dataclass_sens)sens;
    const struct bw_ynode *d = bw_ymap_get(val, "description");
    if (d != NULL && copy_str(doc, d, c->description, sizeof(c->description), err) != 0)
        return -1;
    const struct bw_ynode *types = bw_ymap_get(val, "pii_types");
    if (types != NULL) {
        if (bw_yexpect(doc, types, BW_Y_SEQ, err) != 0)
            return -1;
        for (size_t i = 0; i < types->n; i++) {
            const struct bw_ynode *t = types->kids[i];
            const char *ts;
            if (bw_yget_str(doc, t, &ts, err) != 0)
                return -1;
            int ty = pii_type_from_name(ts);
            if (ty < 0)
                return bw_ynode_err(doc, t, err, "unknown PII type '%s'", ts);
            if (set->type_cat[ty] >= 0)
                return bw_ynode_err(doc, t, err, "PII type '%s' already in category '%s'", ts,
                                    set->cat[set->type_cat[ty]].name);
            set->type_cat[ty] = (int)set->n;
            c->pii_types |= 1u << ty;
        }
    }
    set->n++;
    return 0;
}

static int load_doc(struct dataclass_set *set, const struct bw_ydoc *doc, struct bw_err *err)
{
    static const char *const top[] = {"classes", "categories", NULL};
    static const char *const cls_keys[] = {"description", NULL};
    memset(set, 0, sizeof(*set));
    for (int t = 0; t < PII_TYPE_MAX; t++)
        set->type_cat[t] = -1;
    if (doc->root == NULL)
        return bw_err_setpos(err, doc->file, 1, 1, "empty file");
    if (bw_ymap_check_keys(doc, doc->root, top, err) != 0)
        return -1;
    const struct bw_ynode *classes = bw_ymap_get(doc->root, "classes");
    if (classes != NULL) {
        if (bw_yexpect(doc, classes, BW_Y_MAP, err) != 0)
            return -1;
        for (size_t i = 0; i < classes->n; i++) {
            const struct bw_ynode *k = bw_ymap_key(classes, i);
            if (sens_parse(k->str) < 0)
                return bw_ynode_err(doc, k, err, "class '%s': expected high, medium or low",
                                    k->str);
            if (bw_ymap_check_keys(doc, bw_ymap_val(classes, i), cls_keys, err) != 0)
                return -1;
        }
    }
    const struct bw_ynode *cats = bw_ymap_get(doc->root, "categories");
    if (cats == NULL)
        return bw_ynode_err(doc, doc->root, err, "missing key 'categories'");
    if (bw_yexpect(doc, cats, BW_Y_MAP, err) != 0)
        return -1;
    for (size_t i = 0; i < cats->n; i++)
        if (load_category(set, doc, bw_ymap_key(cats, i), bw_ymap_val(cats, i), err) != 0)
            return -1;
    for (int t = 0; t < PII_TYPE_MAX; t++)
        if (set->type_cat[t] < 0)
            return bw_ynode_err(doc, cats, err, "PII type '%s' is in no category",
                                pii_type_name(t));
    return 0;
}

int dataclass_load_mem(struct dataclass_set *set, const char *name, const void *data, size_t len,
                       struct bw_err *err)
{
    struct bw_ydoc doc = {0};
    if (bw_ydoc_load_mem(&doc, name, data, len, err) != 0)
        return -1;
    int rc = load_doc(set, &doc, err);
    bw_ydoc_fini(&doc);
    return rc;
}

int dataclass_load(struct dataclass_set *set, const char *path, struct bw_err *err)
{
    struct bw_ydoc doc = {0};
    if (bw_ydoc_load_file(&doc, path, err) != 0)
        return -1;
    int rc = load_doc(set, &doc, err);
    bw_ydoc_fini(&doc);
    return rc;
}

const struct dataclass_category *dataclass_find(const struct dataclass_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->cat[i].name, name) == 0)
            return &set->cat[i];
    return NULL;
}

const struct dataclass_category *dataclass_of_type(const struct dataclass_set *set, enum pii_type t)
{
    if ((unsigned)t >= PII_TYPE_MAX || set->type_cat[t] < 0)
        return NULL;
    return &set->cat[set->type_cat[t]];
}

/* Data inventory loader and lookups. */
#include "sensor/inventory.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/yaml-tree.h"

static int copy_str(const struct bw_ydoc *doc, const struct bw_ynode *n, char *out, size_t cap,
                    struct bw_err *err)
{
    const char *s;
    if (bw_yget_str(doc, n, &s, err) != 0)
        return -1;
    if (n->len == 0)
        return bw_ynode_err(doc, n, err, "empty value");
    if (n->len >= cap)
        return bw_ynode_err(doc, n, err, "too long (at most %zu bytes)", cap - 1);
    memcpy(out, s, n->len + 1);
    return 0;
}

/* A sequence of strings (or one string) into a fixed array. */
static int str_list(const struct bw_ydoc *doc, const struct bw_ynode *n, char *out, size_t cap,
                    size_t max, size_t *count, struct bw_err *err)
{
    *count = 0;
    if (n == NULL)
        return 0;
    if (n->type == BW_Y_SCALAR)
        return copy_str(doc, n, out, cap, err) == 0 ? (*count = 1, 0) : -1;
    if (bw_yexpect(doc, n, BW_Y_SEQ, err) != 0)
        return -1;
    if (n->n > max)
        return bw_ynode_err(doc, n, err, "more than %zu entries", max);
    for (size_t i = 0; i < n->n; i++)
        if (copy_str(doc, n->kids[i], out + i * cap, cap, err) != 0)
            return -1;
    *count = n->n;
    return 0;
}

static int check_endpoint(const struct bw_ydoc *doc, const struct bw_ynode *n, const char *p,
                          struct bw_err *err)
{
    if (p[0] != '/')
        return bw_ynode_err(doc, n, err, "endpoint '%s' must start with '/'", p);
    for (const char *b = strchr(p, '{'); b != NULL; b = strchr(b + 1, '{'))
        if (strncmp(b, "{n}", 3) != 0 && strncmp(b, "{s}", 3) != 0)
            return bw_ynode_err(doc, n, err, "endpoint '%s': only {n} and {s} are placeholders", p);
    const char *star = strchr(p, '*');
    if (star != NULL && (star[1] != '\0' || star[-1] != '/'))
        return bw_ynode_err(doc, n, err, "endpoint '%s': '*' only as the last segment", p);
    return 0;
}

/* One `endpoints` entry: a path, or {path, records_per_response,
 * records_param, record_bytes}. */
static int load_endpoint(struct inventory_dataset *d, size_t i, const struct bw_ydoc *doc,
                         const struct bw_ynode *n, struct bw_err *err)
{
    static const char *const keys[] = {"path", "records_per_response", "records_param",
                                       "record_bytes", NULL};
    struct inventory_records *r = &d->endpoint_records[i];
    const struct bw_ynode *v;
    uint64_t u;
    memset(r, 0, sizeof(*r));
    if (n->type != BW_Y_MAP)
        return copy_str(doc, n, d->endpoints[i], sizeof(d->endpoints[i]), err) ||
               check_endpoint(doc, n, d->endpoints[i], err);
    if (bw_ymap_check_keys(doc, n, keys, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "path")) == NULL)
        return bw_ynode_err(doc, n, err, "endpoint: missing key 'path'");
    if (copy_str(doc, v, d->endpoints[i], sizeof(d->endpoints[i]), err) ||
        check_endpoint(doc, v, d->endpoints[i], err))
        return -1;
    if ((v = bw_ymap_get(n, "records_per_response")) != NULL) {
        if (bw_yget_u64(doc, v, 0, 1000000, &u, err) != 0)
            return -1;
        r->per_response = (uint32_t)u;
    }
    if ((v = bw_ymap_get(n, "record_bytes")) != NULL) {
        if (bw_yget_u64(doc, v, 1, 100000000, &u, err) != 0)
            return -1;
        r->record_bytes = (uint32_t)u;
    }
    if ((v = bw_ymap_get(n, "records_param")) != NULL) {
        if (copy_str(doc, v, r->param, sizeof(r->param), err) != 0)
            return -1;
        if (strpbrk(r->param, "&=?#") != NULL)
            return bw_ynode_err(doc, v, err, "records_param '%s': a parameter name", r->param);
    }
    return 0;
}

static int load_endpoints(struct inventory_dataset *d, const struct bw_ydoc *doc,
                          const struct bw_ynode *n, struct bw_err *err)
{
    d->nendpoints = 0;
    if (n == NULL)
        return 0;
    if (n->type != BW_Y_SEQ) {
        if (load_endpoint(d, 0, doc, n, err) != 0)
            return -1;
        d->nendpoints = 1;
        return 0;
    }
    if (n->n > INVENTORY_MAX_LOC)
        return bw_ynode_err(doc, n, err, "more than %d entries", INVENTORY_MAX_LOC);
    for (size_t i = 0; i < n->n; i++)
        if (load_endpoint(d, i, doc, n->kids[i], err) != 0)
            return -1;
    d->nendpoints = n->n;
    return 0;
}

static int load_jur(struct inventory_dataset *d, const struct bw_ydoc *doc,
                    const struct bw_ynode *n, struct bw_err *err)
{
    if (bw_yexpect(doc, n, BW_Y_MAP, err) != 0)
        return -1;
    if (n->n > INVENTORY_MAX_JUR)
        return bw_ynode_err(doc, n, err, "more than %d jurisdictions", INVENTORY_MAX_JUR);
    double sum = 0;
    for (size_t i = 0; i < n->n; i++) {
        const struct bw_ynode *k = bw_ymap_key(n, i);
        if (k->len != 2 || k->str[0] < 'A' || k->str[0] > 'Z' || k->str[1] < 'A' || k->str[1] > 'Z')
            return bw_ynode_err(doc, k, err,
                                "jurisdiction '%s': expected an ISO 3166 country code (CN, US)",
                                k->str);
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->jur[j].country, k->str) == 0)
                return bw_ynode_err(doc, k, err, "jurisdiction '%s' given twice", k->str);
        memcpy(d->jur[i].country, k->str, 3);
        if (bw_yget_double(doc, bw_ymap_val(n, i), 0.0, 1.0, &d->jur[i].share, err) != 0)
            return -1;
        sum += d->jur[i].share;
    }
    if (sum > 1.0 + 1e-6)
        return bw_ynode_err(doc, n, err, "jurisdiction shares add up to %.3f, more than 1", sum);
    d->njur = n->n;
    return 0;
}

static int load_dataset(struct inventory *inv, const struct bw_ydoc *doc, const struct bw_ynode *n,
                        const struct dataclass_set *classes, struct bw_err *err)
{
    static const char *const keys[] = {"id",
                                       "description",
                                       "tables",
                                       "endpoints",
                                       "shares",
                                       "categories",
                                       "subjects",
                                       "jurisdictions",
                                       "encrypted_at_rest",
                                       "record_bytes",
                                       "rows",
                                       "key",
                                       "export_record_bytes",
                                       NULL};
    struct inventory_dataset *d = &inv->ds[inv->n];
    memset(d, 0, sizeof(*d));
    if (bw_ymap_check_keys(doc, n, keys, err) != 0)
        return -1;
    const struct bw_ynode *id = bw_ymap_get(n, "id");
    if (id == NULL)
        return bw_ynode_err(doc, n, err, "dataset: missing key 'id'");
    if (copy_str(doc, id, d->id, sizeof(d->id), err) != 0)
        return -1;
    if (inventory_find(inv, d->id) != NULL)
        return bw_ynode_err(doc, id, err, "dataset '%s' defined twice", d->id);
    const struct bw_ynode *v;
    if ((v = bw_ymap_get(n, "description")) != NULL &&
        copy_str(doc, v, d->description, sizeof(d->description), err) != 0)
        return -1;
    if (str_list(doc, bw_ymap_get(n, "tables"), d->tables[0], sizeof(d->tables[0]),
                 INVENTORY_MAX_LOC, &d->ntables, err) != 0 ||
        load_endpoints(d, doc, bw_ymap_get(n, "endpoints"), err) != 0 ||
        str_list(doc, bw_ymap_get(n, "shares"), d->shares[0], sizeof(d->shares[0]),
                 INVENTORY_MAX_LOC, &d->nshares, err) != 0 ||
        str_list(doc, bw_ymap_get(n, "categories"), d->categories[0], sizeof(d->categories[0]),
                 INVENTORY_MAX_CAT, &d->ncategories, err) != 0)
        return -1;
    if (d->ntables + d->nendpoints + d->nshares == 0)
        return bw_ynode_err(doc, n, err, "dataset '%s': no tables, endpoints or shares", d->id);
    uint64_t rb;
    if ((v = bw_ymap_get(n, "record_bytes")) != NULL) {
        if (bw_yget_u64(doc, v, 1, 100000000, &rb, err) != 0)
            return -1;
        d->record_bytes = (uint32_t)rb;
    }
    if (classes != NULL && (v = bw_ymap_get(n, "categories")) != NULL)
        for (size_t i = 0; i < d->ncategories; i++)
            if (dataclass_find(classes, d->categories[i]) == NULL)
                return bw_ynode_err(doc, v->type == BW_Y_SEQ ? v->kids[i] : v, err,
                                    "unknown category '%s' (see data-classes.yaml)",
                                    d->categories[i]);
    if ((v = bw_ymap_get(n, "subjects")) != NULL &&
        bw_yget_u64(doc, v, 0, UINT64_C(10000000000), &d->subjects, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "rows")) != NULL &&
        bw_yget_u64(doc, v, 0, UINT64_C(100000000000000), &d->rows, err) != 0)
        return -1;
    if (v != NULL && d->ntables == 0)
        return bw_ynode_err(doc, v, err, "rows: dataset '%s' has no tables", d->id);
    if ((v = bw_ymap_get(n, "key")) != NULL) {
        if (copy_str(doc, v, d->key, sizeof(d->key), err) != 0)
            return -1;
        for (const char *c = d->key; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '_' || *c == '$'))
                return bw_ynode_err(doc, v, err, "key '%s': one column name (letters, digits, _)",
                                    d->key);
        if (d->ntables == 0)
            return bw_ynode_err(doc, v, err, "key: dataset '%s' has no tables", d->id);
    }
    if ((v = bw_ymap_get(n, "export_record_bytes")) != NULL) {
        if (bw_yget_u64(doc, v, 1, 100000000, &rb, err) != 0)
            return -1;
        d->export_record_bytes = (uint32_t)rb;
    }
    if ((v = bw_ymap_get(n, "jurisdictions")) != NULL && load_jur(d, doc, v, err) != 0)
        return -1;
    if ((v = bw_ymap_get(n, "encrypted_at_rest")) != NULL &&
        bw_yget_bool(doc, v, &d->encrypted_at_rest, err) != 0)
        return -1;
    inv->n++;
    return 0;
}

static int load_doc(struct inventory *inv, const struct bw_ydoc *doc,
                    const struct dataclass_set *classes, struct bw_err *err)
{
    static const char *const top[] = {"datasets", NULL};
    if (doc->root == NULL)
        return bw_err_setpos(err, doc->file, 1, 1, "empty file");
    if (bw_ymap_check_keys(doc, doc->root, top, err) != 0)
        return -1;
    const struct bw_ynode *ds = bw_ymap_get(doc->root, "datasets");
    if (ds == NULL)
        return bw_ynode_err(doc, doc->root, err, "missing key 'datasets'");
    if (bw_yexpect(doc, ds, BW_Y_SEQ, err) != 0)
        return -1;
    if (ds->n > 0 && (inv->ds = calloc(ds->n, sizeof(*inv->ds))) == NULL)
        return bw_err_set(err, "%s: out of memory", doc->file);
    for (size_t i = 0; i < ds->n; i++)
        if (load_dataset(inv, doc, ds->kids[i], classes, err) != 0)
            return -1;
    return 0;
}

int inventory_load_mem(struct inventory *inv, const char *name, const void *data, size_t len,
                       const struct dataclass_set *classes, struct bw_err *err)
{
    struct bw_ydoc doc = {0};
    memset(inv, 0, sizeof(*inv));
    if (bw_ydoc_load_mem(&doc, name, data, len, err) != 0)
        return -1;
    int rc = load_doc(inv, &doc, classes, err);
    bw_ydoc_fini(&doc);
    if (rc != 0)
        inventory_fini(inv);
    return rc;
}

int inventory_load(struct inventory *inv, const char *path, const struct dataclass_set *classes,
                   struct bw_err *err)
{
    struct bw_ydoc doc = {0};
    memset(inv, 0, sizeof(*inv));
    if (bw_ydoc_load_file(&doc, path, err) != 0)
        return -1;
    int rc = load_doc(inv, &doc, classes, err);
    bw_ydoc_fini(&doc);
    if (rc != 0)
        inventory_fini(inv);
    return rc;
}

void inventory_fini(struct inventory *inv)
{
    free(inv->ds);
    inv->ds = NULL;
    inv->n = 0;
}

const struct inventory_dataset *inventory_find(const struct inventory *inv, const char *id)
{
    for (size_t i = 0; i < inv->n; i++)
        if (strcmp(inv->ds[i].id, id) == 0)
            return &inv->ds[i];
    return NULL;
}

const struct inventory_dataset *inventory_find_table(const struct inventory *inv, const char *table)
{
    bool qualified = strchr(table, '.') != NULL;
    for (size_t i = 0; i < inv->n; i++)
        for (size_t k = 0; k < inv->ds[i].ntables; k++) {
            const char *t = inv->ds[i].tables[k];
            const char *dot = strchr(t, '.');
            if (strcasecmp(t, table) == 0 ||
                (!qualified && dot != NULL && strcasecmp(dot + 1, table) == 0))
                return &inv->ds[i];
        }
    return NULL;
}

bool inventory_endpoint_match(const char *pat, const char *path)
{
    size_t plen = strcspn(path, "?#");
    const char *end = path + plen;
    /* one trailing slash is not a different endpoint */
    if (end - path > 1 && end[-1] == '/')
        end--;
    const char *p = path;
    while (*pat != '\0') {
        if (strcmp(pat, "*") == 0)
            return true;
        if (strncmp(pat, "{n}", 3) == 0 || strncmp(pat, "{s}", 3) == 0) {
            bool digits = pat[1] == 'n';
            const char *s = p;
            while (p < end && *p != '/') {
                if (digits && (*p < '0' || *p > '9'))
                    return false;
                p++;
            }
            if (p == s)
                return false;
            pat += 3;
            continue;
        }
        if (p == end || *pat != *p)
            return false;
        pat++;
        p++;
    }
    return p == end;
}

const struct inventory_dataset *inventory_find_endpoint_rec(const struct inventory *inv,
                                                            const char *path,
                                                            const struct inventory_records **rec)
{
    for (size_t i = 0; i < inv->n; i++)
        for (size_t k = 0; k < inv->ds[i].nendpoints; k++)
            if (inventory_endpoint_match(inv->ds[i].endpoints[k], path)) {
                if (rec != NULL)
                    *rec = &inv->ds[i].endpoint_records[k];
                return &inv->ds[i];
            }
    return NULL;
}

const struct inventory_dataset *inventory_find_endpoint(const struct inventory *inv,
                                                        const char *path)
{
    return inventory_find_endpoint_rec(inv, path, NULL);
}

/* The decimal value of query parameter `name` in uri; -1 when absent or not
 * a number (at most 9 digits). */
static int64_t query_param(const char *uri, const char *name)
{
    const char *q = strchr(uri, '?');
    size_t nl = strlen(name);
    while (q != NULL && *q != '\0' && *q != '#') {
        q++;
        if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
            const char *v = q + nl + 1;
            int64_t x = 0;
            int digits = 0;
            while (*v >= '0' && *v <= '9' && digits < 10) {
                x = x * 10 + (*v++ - '0');
                digits++;
            }
            if (digits == 0 || digits > 9 || (*v != '\0' && *v != '&' && *v != '#'))
                return -1;
            return x;
        }
        q = strchr(q, '&');
    }
    return -1;
}

enum access_records_src inventory_http_records(const struct inventory *inv, const char *uri,
                                               int status, uint64_t bytes, uint64_t *records)
{
    const struct inventory_records *r = NULL;
    const struct inventory_dataset *d;
    if (inv == NULL || status < 200 || status > 299 ||
        (d = inventory_find_endpoint_rec(inv, uri, &r)) == NULL)
        return ACCESS_REC_NONE;
    if (r->param[0]) {
        int64_t v = query_param(uri, r->param);
        if (v >= 0) {
            uint64_t n = (uint64_t)v;
            *records = d->subjects > 0 && n > d->subjects ? d->subjects : n;
            return ACCESS_REC_INVENTORY;
        }
    }
    if (r->per_response > 0) {
        *records = r->per_response;
        return ACCESS_REC_INVENTORY;
    }
    uint32_t rb = r->record_bytes ? r->record_bytes : d->record_bytes;
    if (rb > 0 && bytes > 0) {
        *records = (bytes + rb / 2) / rb;
        return ACCESS_REC_BYTES;
    }
    return ACCESS_REC_NONE;
}

int inventory_apply_http(const struct inventory *inv, struct bw_access *ev)
{
    if (inv == NULL || (ev->channel != ACCESS_CH_HTTP && ev->channel != ACCESS_CH_LOG) ||
        ev->records_src != ACCESS_REC_NONE || ev->direction != ACCESS_READ || ev->detail[0] != '/')
        return 0;
    uint64_t n = 0;
    enum access_records_src src =
        inventory_http_records(inv, ev->detail, ev->status, ev->bytes, &n);
    if (src == ACCESS_REC_NONE)
        return 0;
    ev->records = n;
    ev->records_src = src;
    return 1;
}

const struct inventory_dataset *inventory_find_share(const struct inventory *inv, const char *path)
{
    for (size_t i = 0; i < inv->n; i++)
        for (size_t k = 0; k < inv->ds[i].nshares; k++) {
            const char *s = inv->ds[i].shares[k];
            size_t n = strlen(s);
            while (n > 1 && s[n - 1] == '/')
                n--;
            if (strncmp(path, s, n) == 0 && (path[n] == '\0' || path[n] == '/'))
                return &inv->ds[i];
        }
    return NULL;
}

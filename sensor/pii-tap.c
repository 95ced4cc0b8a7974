/* PII scanning for the packet parsers: estimator pool, batched tap, config
 * section and JSON output (see sensor/pii-tap.h). */
#include "sensor/pii-tap.h"

#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/json.h"

struct pii_pool {
    struct bw_distinct *v; /* n estimators */
    uint32_t *free_idx;    /* stack of free indexes */
    size_t n, nfree;
    uint64_t exhausted;
};

struct pii_pool *pii_pool_new(size_t n, struct bw_err *err)
{
    struct pii_pool *p = calloc(1, sizeof(*p));
    if (p == NULL || (n > 0 && ((p->v = malloc(n * sizeof(*p->v))) == NULL ||
                                (p->free_idx = malloc(n * sizeof(*p->free_idx))) == NULL))) {
        pii_pool_free(p);
        bw_err_set(err, "pii: out of memory for %zu distinct estimators", n);
        return NULL;
    }
    p->n = p->nfree = n;
    for (size_t i = 0; i < n; i++)
        p->free_idx[i] = (uint32_t)(n - 1 - i);
    return p;
}

void pii_pool_free(struct pii_pool *p)
{
    if (p == NULL)
        return;
    free(p->v);
    free(p->free_idx);
    free(p);
}

uint64_t pii_pool_exhausted(const struct pii_pool *p)
{
    return p ? p->exhausted : 0;
}

size_t pii_pool_in_use(const struct pii_pool *p)
{
    return p ? p->n - p->nfree : 0;
}

static struct bw_distinct *pool_take(struct pii_pool *p)
{
    if (p->nfree == 0) {
        p->exhausted++;
        return NULL;
    }
    struct bw_distinct *d = &p->v[p->free_idx[--p->nfree]];
    bw_distinct_init(d);
    return d;
}

size_t pii_counts_attach(struct pii_pool *p, struct pii_counts *c)
{
    size_t n = 0;
    for (int t = 0; t < PII_TYPE_MAX; t++)
        if (c->matches[t] > 0 && c->distinct[t] == NULL && (c->distinct[t] = pool_take(p)) != NULL)
            n++;
    if (n > 0) {
        memset(c->matches, 0, sizeof(c->matches));
        memset(c->conf_hist, 0, sizeof(c->conf_hist));
    }
    return n;
}

void pii_counts_release(struct pii_pool *p, struct pii_counts *c)
{
    if (c == NULL)
        return;
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        struct bw_distinct *d = c->distinct[t];
        c->distinct[t] = NULL;
        if (d == NULL || p == NULL || d < p->v || d >= p->v + p->n)
            continue;
        p->free_idx[p->nfree++] = (uint32_t)(d - p->v);
    }
}

/* First match of a type in these counts: the scanner skipped the estimator
 * (there was none), so this match's hash is added here. */
static void tap_match(void *ctx, const struct pii_match *m)
{
    struct pii_tap *t = ctx;
    if (t->out->distinct[m->type] != NULL || t->pool == NULL)
        return;
    struct bw_distinct *d = pool_take(t->pool);
    if (d == NULL)
        return;
    bw_distinct_add(d, m->hash);
    t->out->distinct[m->type] = d;
}

void pii_tap_begin(struct pii_tap *t, const struct pii_scanner *sc, struct pii_scratch *scratch,
                   struct pii_pool *pool, struct pii_counts *out)
{
    pii_tap_end(t);
    pii_stream_init(&t->st, sc);
    if (scratch != NULL)
        pii_stream_use_scratch(&t->st, scratch);
    pii_stream_on_match(&t->st, tap_match, t);
    t->pool = pool;
    t->out = out;
    t->blen = 0;
    t->on = 1;
}

void pii_tap_context(struct pii_tap *t, const void *text, size_t len)
{
    if (t->on)
        pii_stream_add_context(&t->st, text, len);
}

static void tap_drain(struct pii_tap *t)
{
    if (t->blen > 0)
        (void)pii_stream_feed(&t->st, t->buf, t->blen, t->out);
    t->blen = 0;
}

void pii_tap_put(struct pii_tap *t, const void *p, size_t n)
{
    if (!t->on)
        return;
    if (t->blen + n > PII_TAP_BUF) {
        tap_drain(t);
        if (n > PII_TAP_BUF / 2) {
            (void)pii_stream_feed(&t->st, p, n, t->out);
            return;
        }
    }
    memcpy(t->buf + t->blen, p, n);
    t->blen += (uint32_t)n;
}

void pii_tap_sep(struct pii_tap *t, uint8_t sep)
{
    pii_tap_put(t, &sep, 1);
}

void pii_tap_feed(struct pii_tap *t, const uint8_t *p, size_t n)
{
    if (!t->on || n == 0)
        return;
    tap_drain(t);
    (void)pii_stream_feed(&t->st, p, n, t->out);
}

void pii_tap_gap(struct pii_tap *t)
{
    if (!t->on)
        return;
    tap_drain(t);
    (void)pii_stream_flush(&t->st, t->out);
    struct pii_scratch *scratch = t->st.scratch;
    const struct pii_scanner *sc = t->st.sc;
    pii_stream_fini(&t->st);
    pii_stream_init(&t->st, sc);
    pii_stream_use_scratch(&t->st, scratch);
    pii_stream_on_match(&t->st, tap_match, t);
}

void pii_tap_end(struct pii_tap *t)
{
    if (!t->on)
        return;
    tap_drain(t);
    (void)pii_stream_flush(&t->st, t->out);
    pii_stream_fini(&t->st);
    t->on = 0;
    t->out = NULL;
}

int pii_config_load(struct pii_config *pc, const struct bw_config *conf, struct bw_err *err)
{
    static const char *const keys[] = {"enabled", "distinct_pool", NULL};
    pc->enabled = 1;
    pc->distinct_pool = 256;
    const struct bw_ynode *sec = conf ? config_section(conf, "pii") : NULL, *n;
    if (sec == NULL)
        return 0;
    if (bw_yexpect(&conf->doc, sec, BW_Y_MAP, err) ||
        bw_ymap_check_keys(&conf->doc, sec, keys, err))
        return -1;
    bool b;
    uint64_t v;
    if ((n = bw_ymap_get(sec, "enabled")) != NULL) {
        if (bw_yget_bool(&conf->doc, n, &b, err))
            return -1;
        pc->enabled = b;
    }
    if ((n = bw_ymap_get(sec, "distinct_pool")) != NULL) {
        if (bw_yget_u64(&conf->doc, n, 0, 1u << 20, &v, err))
            return -1;
        pc->distinct_pool = (size_t)v;
    }
    return 0;
}

struct pii_scanner *pii_scanner_for(const struct bw_config *conf, struct bw_err *err)
{
    uint8_t key[BW_DISTINCT_KEY_LEN];
    if (bw_distinct_key_load(conf->state_dir, key, err) != 0)
        return NULL;
    struct pii_scanner *sc = pii_scanner_new_cached(conf->state_dir, err);
    if (sc != NULL)
        pii_scanner_set_key(sc, key);
    memset(key, 0, sizeof(key));
    return sc;
}

void pii_counts_json(struct bw_json *j, const char *key, const struct pii_counts *c)
{
    if (c == NULL)
        return;
    bw_json_obj_begin(j, key);
    bw_json_obj_begin(j, "matches");
    for (int t = 0; t < PII_TYPE_MAX; t++)
        if (c->matches[t] > 0)
            bw_json_uint(j, pii_type_name((enum pii_type)t), c->matches[t]);
    bw_json_obj_end(j);
    /* Each estimate once (records is the largest of them, as pii_counts_records). */
    uint64_t records = 0;
    bw_json_obj_begin(j, "distinct");
    for (int t = 0; t < PII_TYPE_MAX; t++) {
        if (c->matches[t] == 0 || c->distinct[t] == NULL)
            continue;
        uint64_t d = bw_distinct_estimate(c->distinct[t]);
        if (d > c->matches[t])
            d = c->matches[t];
        if (d > records)
            records = d;
        bw_json_uint(j, pii_type_name((enum pii_type)t), d);
    }
    bw_json_obj_end(j);
    bw_json_uint(j, "records", records);
    bw_json_obj_end(j);
}

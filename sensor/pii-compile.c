/* The PII scanner's compiled form: the two Hyperscan databases (triggers,
 * context words) built from the pattern table, cached in the state directory
 * under a key of the patterns and the Hyperscan version so a restart loads
 * instead of compiling, and the per-thread scratch space. */
#include "sensor/pii-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static int alloc_scratch(const struct pii_scanner *sc, struct pii_scratch *s)
{
    if (hs_alloc_scratch(sc->db, &s->s) != HS_SUCCESS ||
        hs_alloc_scratch(sc->ctx_db, &s->ctx) != HS_SUCCESS)
        return -1;
    return 0;
}

/* ---- compiled databases cached in the state directory ---- */

#define PII_CACHE_MAGIC "BWPIIHS1"

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Key of one pattern set: expressions, flags, ids and mode. */
static uint64_t set_hash(uint64_t h, const char *const *e, const unsigned *f, const unsigned *id,
                         unsigned n, unsigned mode)
{
    h = fnv1a(h, &n, sizeof(n));
    h = fnv1a(h, &mode, sizeof(mode));
    for (unsigned i = 0; i < n; i++) {
        h = fnv1a(h, e[i], strlen(e[i]) + 1);
        h = fnv1a(h, &f[i], sizeof(f[i]));
        h = fnv1a(h, &id[i], sizeof(id[i]));
    }
    return h;
}

static int read_db(FILE *fp, hs_database_t **db)
{
    uint64_t len;
    if (fread(&len, sizeof(len), 1, fp) != 1 || len == 0 || len > (256u << 20))
        return -1;
    char *b = malloc(len);
    int rc = -1;
    if (b != NULL && fread(b, 1, len, fp) == len &&
        hs_deserialize_database(b, (size_t)len, db) == HS_SUCCESS)
        rc = 0;
    free(b);
    return rc;
}

/* Loads both databases from path when its key matches. Returns 0 or -1. */
static int cache_load(struct pii_scanner *sc, const char *path, uint64_t key)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return -1;
    char magic[8];
    uint64_t k;
    int rc = -1;
    if (fread(magic, 1, 8, fp) == 8 && memcmp(magic, PII_CACHE_MAGIC, 8) == 0 &&
        fread(&k, sizeof(k), 1, fp) == 1 && k == key && read_db(fp, &sc->db) == 0 &&
        read_db(fp, &sc->ctx_db) == 0)
        rc = 0;
    fclose(fp);
    if (rc != 0) {
        hs_free_database(sc->db);
        hs_free_database(sc->ctx_db);
        sc->db = sc->ctx_db = NULL;
    }
    return rc;
}

static int write_db(FILE *fp, const hs_database_t *db)
{
    char *b = NULL;
    size_t n = 0;
    if (hs_serialize_database(db, &b, &n) != HS_SUCCESS)
        return -1;
    uint64_t len = n;
    int rc = fwrite(&len, sizeof(len), 1, fp) == 1 && fwrite(b, 1, n, fp) == n ? 0 : -1;
    free(b);
    return rc;
}

/* Writes both databases to path (through a temporary file and rename, so a
 * reader never sees half a file). Failure only costs the next start a compile. */
static void cache_store(const struct pii_scanner *sc, const char *path, uint64_t key)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
        return;
    FILE *fp = fopen(tmp, "wb");
    if (fp == NULL)
        return;
    int ok = fwrite(PII_CACHE_MAGIC, 1, 8, fp) == 8 && fwrite(&key, sizeof(key), 1, fp) == 1 &&
             write_db(fp, sc->db) == 0 && write_db(fp, sc->ctx_db) == 0;
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

struct pii_scanner *pii_scanner_new(struct bw_err *err)
{
    return pii_scanner_new_cached(NULL, err);
}

struct pii_scanner *pii_scanner_new_cached(const char *cache_dir, struct bw_err *err)
{
    struct pii_pattern_set ps, cs;
    struct pii_scanner *sc = NULL;
    hs_compile_error_t *cerr = NULL;
    if (pii_patterns_build(&ps, &cs, err) != 0)
        goto fail;
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        bw_err_set(err, "pii: out of memory");
        goto fail;
    }
    char path[4096] = "";
    uint64_t key = 0;
    if (cache_dir != NULL && cache_dir[0] != '\0') {
        const char *v = hs_version();
        key = fnv1a(0xcbf29ce484222325ull, v, strlen(v) + 1);
        key = set_hash(key, ps.exprs, ps.flags, ps.ids, ps.n, ps.mode);
        key = set_hash(key, cs.exprs, cs.flags, cs.ids, cs.n, cs.mode);
        if (snprintf(path, sizeof(path), "%s/pii-patterns.hsdb", cache_dir) >= (int)sizeof(path))
            path[0] = '\0';
    }
    if (path[0] == '\0' || cache_load(sc, path, key) != 0) {
        if (hs_compile_multi(ps.exprs, ps.flags, ps.ids, ps.n, ps.mode, NULL, &sc->db, &cerr) !=
                HS_SUCCESS ||
            hs_compile_multi(cs.exprs, cs.flags, cs.ids, cs.n, cs.mode, NULL, &sc->ctx_db, &cerr) !=
                HS_SUCCESS) {
            bw_err_set(err, "pii: pattern %d: %s", cerr ? cerr->expression : -1,
                       cerr ? cerr->message : "compile failed");
            goto fail;
        }
        if (path[0] != '\0')
            cache_store(sc, path, key);
    }
    if (alloc_scratch(sc, &sc->own) != 0) {
        bw_err_set(err, "pii: cannot allocate scratch");
        goto fail;
    }
    if (getrandom(sc->key, sizeof(sc->key), 0) != (ssize_t)sizeof(sc->key)) {
        bw_err_set(err, "pii: getrandom failed");
        goto fail;
    }
    pii_patterns_fini(&ps);
    pii_patterns_fini(&cs);
    return sc;
fail:
    hs_free_compile_error(cerr);
    pii_patterns_fini(&ps);
    pii_patterns_fini(&cs);
    pii_scanner_free(sc);
    return NULL;
}

void pii_scanner_free(struct pii_scanner *sc)
{
    if (sc == NULL)
        return;
    hs_free_scratch(sc->own.s);
    hs_free_scratch(sc->own.ctx);
    hs_free_database(sc->db);
    hs_free_database(sc->ctx_db);
    free(sc);
}

void pii_scanner_set_key(struct pii_scanner *sc, const uint8_t key[BW_DISTINCT_KEY_LEN])
{
    memcpy(sc->key, key, BW_DISTINCT_KEY_LEN);
}

struct pii_scratch *pii_scratch_new(const struct pii_scanner *sc, struct bw_err *err)
{
    struct pii_scratch *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        bw_err_set(err, "pii: out of memory");
        return NULL;
    }
    if (alloc_scratch(sc, s) != 0) {
        bw_err_set(err, "pii: cannot allocate scratch");
        pii_scratch_free(s);
        return NULL;
    }
    return s;
}

void pii_scratch_free(struct pii_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->s);
    hs_free_scratch(s->ctx);
    free(s);
}

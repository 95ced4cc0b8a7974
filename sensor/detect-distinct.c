/* HyperLogLog for the detectors (see detect-distinct.h): standard estimator
 * with linear counting for small cardinalities, where it is near exact, over
 * register sets that are sparse until they fill. */
#include "sensor/detect-distinct.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t dd_hash(uint64_t key, const void *data, size_t n)
{
    /* FNV-1a over the bytes, keyed and finalised with a 64-bit mixer: good
     * enough spread for counting; the key keeps values from being guessable. */
    const uint8_t *p = data;
    uint64_t h = 1469598103934665603ULL ^ key;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return mix64(h ^ (uint64_t)n);
}

#define E_IDX(e)  ((uint32_t)(e) >> 6)
#define E_RANK(e) ((uint8_t)((e)&0x3f))

_Static_assert(64 - DD_P + 1 < 64 && DD_P <= 10, "a sparse entry holds 10 index and 6 rank bits");

uint8_t dd_set_get(const struct dd_set *s, uint32_t idx)
{
    if (s->n == DD_DENSE)
        return s->reg[idx];
    for (uint16_t i = 0; i < s->n; i++)
        if (E_IDX(s->e[i]) == idx)
            return E_RANK(s->e[i]);
    return 0;
}

/* The sparse entries become a dense block (the one kept from an earlier
 * life of the set, or a new one). */
static int densify(struct dd_set *s)
{
    if (s->reg == NULL && (s->reg = calloc(1, DD_M)) == NULL)
        return -1;
    for (uint16_t i = 0; i < s->n; i++)
        s->reg[E_IDX(s->e[i])] = E_RANK(s->e[i]);
    s->n = DD_DENSE;
    return 0;
}

int dd_set_raise(struct dd_set *s, uint32_t idx, uint8_t r, uint8_t *old)
{
    if (s->n != DD_DENSE) {
        for (uint16_t i = 0; i < s->n; i++)
            if (E_IDX(s->e[i]) == idx) {
                if (E_RANK(s->e[i]) >= r)
                    return 0;
                *old = E_RANK(s->e[i]);
                s->e[i] = (uint16_t)(idx << 6 | r);
                return 1;
            }
        if (r == 0)
            return 0;
        if (s->n < DD_SPARSE_MAX) {
            s->e[s->n++] = (uint16_t)(idx << 6 | r);
            *old = 0;
            return 1;
        }
        if (densify(s) != 0)
            return -1;
    }
    if (s->reg[idx] >= r)
        return 0;
    *old = s->reg[idx];
    s->reg[idx] = r;
    return 1;
}

void dd_set_clear(struct dd_set *s)
{
    if (s->n == DD_DENSE)
        memset(s->reg, 0, DD_M);
    /* a kept block is zero: densify only writes the sparse entries */
    s->n = 0;
}

void dd_set_free(struct dd_set *s)
{
    free(s->reg);
    s->reg = NULL;
    s->n = 0;
}

int dd_set_union(struct dd_set *dst, const struct dd_set *src)
{
    uint8_t old;
    if (src->n != DD_DENSE) {
        for (uint16_t i = 0; i < src->n; i++)
            if (dd_set_raise(dst, E_IDX(src->e[i]), E_RANK(src->e[i]), &old) < 0)
                return -1;
        return 0;
    }
    if (dst->n != DD_DENSE && densify(dst) != 0)
        return -1;
    for (uint32_t i = 0; i < DD_M; i++)
        if (src->reg[i] > dst->reg[i])
            dst->reg[i] = src->reg[i];
    return 0;
}

void dd_set_regs(const struct dd_set *s, uint8_t *out)
{
    if (s->n == DD_DENSE) {
        memcpy(out, s->reg, DD_M);
        return;
    }
    memset(out, 0, DD_M);
    for (uint16_t i = 0; i < s->n; i++)
        out[E_IDX(s->e[i])] = E_RANK(s->e[i]);
}

double dd_term(uint8_t rank)
{
    /* 2^-rank built from its IEEE 754 exponent: exact, no division */
    union {
        uint64_t u;
        double d;
    } v = {.u = (uint64_t)(1023 - rank) << 52};
    return v.d;
}

void dd_set_sum(const struct dd_set *s, double *sum, uint32_t *zeros)
{
    double t = 0;
    uint32_t z = 0;
    if (s->n == DD_DENSE) {
        for (uint32_t i = 0; i < DD_M; i++) {
            t += dd_term(s->reg[i]);
            z += s->reg[i] == 0;
        }
    } else {
        /* the zero registers' terms are 1 each; exact in a double */
        z = DD_M - s->n;
        t = (double)z;
        for (uint16_t i = 0; i < s->n; i++)
            t += dd_term(E_RANK(s->e[i]));
    }
    *sum = t;
    *zeros = z;
}

double dd_estimate_sum(double sum, uint32_t zeros)
{
    double m = DD_M, alpha = 0.7213 / (1.0 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros);
    return e;
}

double dd_estimate_regs(const uint8_t *reg)
{
    double sum = 0;
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < DD_M; i++) {
        sum += dd_term(reg[i]);
        zeros += reg[i] == 0;
    }
    return dd_estimate_sum(sum, zeros);
}

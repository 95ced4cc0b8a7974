/* HyperLogLog for the detectors (see detect-distinct.h): standard estimator
 * with linear counting for small cardinalities, where it is near exact. */
#include "sensor/detect-distinct.h"

#include <math.h>
#include <string.h>

void dd_clear(struct dd_sketch *s)
{
    memset(s->reg, 0, sizeof(s->reg));
}

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

void dd_add(struct dd_sketch *s, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - DD_P));
    uint64_t rest = h << DD_P;
    uint8_t rank = rest == 0 ? (uint8_t)(64 - DD_P + 1) : (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > s->reg[idx])
        s->reg[idx] = rank;
}

void dd_merge_regs(struct dd_sketch *dst, const uint8_t *regs)
{
    for (uint32_t i = 0; i < DD_M; i++)
        if (regs[i] > dst->reg[i])
            dst->reg[i] = regs[i];
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

double dd_estimate_sum(double sum, uint32_t zeros)
{
    double m = DD_M, alpha = 0.7213 / (1.0 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros);
    return e;
}

static double estimate_regs(const uint8_t *reg)
{
    double sum = 0;
    uint32_t zeros = 0;
    for (uint32_t i = 0; i < DD_M; i++) {
        sum += dd_term(reg[i]);
        zeros += reg[i] == 0;
    }
    return dd_estimate_sum(sum, zeros);
}

double dd_estimate(const struct dd_sketch *s)
{
    return estimate_regs(s->reg);
}

double dd_estimate_union(const struct dd_sketch *const *v, size_t n)
{
    uint8_t u[DD_M];
    memset(u, 0, sizeof(u));
    for (size_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < DD_M; i++)
            if (v[k]->reg[i] > u[i])
                u[i] = v[k]->reg[i];
    return estimate_regs(u);
}

/* Keyed-hash distinct counter: SipHash-2-4 and a fixed-size HyperLogLog. */
#include "sensor/distinct.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t bw_siphash(const uint8_t key[BW_DISTINCT_KEY_LEN], const void *data, size_t n)
{
    const uint8_t *in = data;
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m = le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t k = 0; i + k < n; k++)
        b |= (uint64_t)in[i + k] << (8 * k);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void bw_distinct_init(struct bw_distinct *d)
{
    memset(d->reg, 0, sizeof(d->reg));
}

void bw_distinct_add(struct bw_distinct *d, uint64_t hash)
{
    uint32_t idx = (uint32_t)(hash >> (64 - BW_DISTINCT_P));
    uint64_t rest = hash << BW_DISTINCT_P;
    /* rank = position of the first 1 bit in the remaining 54 bits, 1-based */
    uint8_t rank =
        rest == 0 ? (uint8_t)(64 - BW_DISTINCT_P + 1) : (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > d->reg[idx])
        d->reg[idx] = rank;
}

void bw_distinct_merge(struct bw_distinct *dst, const struct bw_distinct *src)
{
    for (uint32_t i = 0; i < BW_DISTINCT_M; i++)
        if (src->reg[i] > dst->reg[i])
            dst->reg[i] = src->reg[i];
}

/* 2^-r for every register value a 64-bit hash can give (r <= 65): a table
 * instead of ldexp(), because estimates are taken per access event and ldexp
 * was a quarter of the sensor's time on result-set-heavy traffic. Filled
 * before main() runs, so worker threads only read it. */
static double inv_pow2[66];

__attribute__((constructor)) static void distinct_table_init(void)
{
    for (int r = 0; r < 66; r++)
        inv_pow2[r] = ldexp(1.0, -r);
}

uint64_t bw_distinct_estimate(const struct bw_distinct *d)
{
    const double m = BW_DISTINCT_M;
    /* A histogram of register values, then one term per value: the same sum
     * as adding 2^-reg[i] register by register (exactly: the terms of any
     * register value below 43 fit a double's mantissa together), without a
     * chain of 1024 dependent floating-point adds. */
    uint32_t hist[66] = {0};
    for (uint32_t i = 0; i < BW_DISTINCT_M; i++)
        hist[d->reg[i] < 66 ? d->reg[i] : 65]++;
    double sum = 0;
    for (int r = 65; r >= 0; r--)
        sum += (double)hist[r] * inv_pow2[r];
    uint32_t zeros = hist[0];
    double alpha = 0.7213 / (1.0 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros); /* linear counting for the small range */
    return (uint64_t)(e + 0.5);
}

int bw_distinct_key_load(const char *dir, uint8_t key[BW_DISTINCT_KEY_LEN], struct bw_err *err)
{
    char path[4096];
    int fd = -1, rc = -1;
    if (snprintf(path, sizeof(path), "%s/pii.key", dir) >= (int)sizeof(path))
        return bw_err_set(err, "state directory name too long: %s", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return bw_err_set(err, "%s: cannot create: %s", dir, strerror(errno));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, key, BW_DISTINCT_KEY_LEN);
        if (n != BW_DISTINCT_KEY_LEN) {
            bw_err_set(err, "%s: expected %d bytes of key", path, BW_DISTINCT_KEY_LEN);
            goto out;
        }
        rc = 0;
        goto out;
    }
    if (errno != ENOENT) {
        bw_err_set(err, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (getrandom(key, BW_DISTINCT_KEY_LEN, 0) != BW_DISTINCT_KEY_LEN) {
        bw_err_set(err, "getrandom: %s", strerror(errno));
        goto out;
    }
    /* written to a private name, then linked into place: link() fails when
     * another process got there first, and nobody ever reads a half key */
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, key, BW_DISTINCT_KEY_LEN) != BW_DISTINCT_KEY_LEN || fsync(fd) != 0) {
        bw_err_set(err, "%s: cannot write key: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    close(fd);
    fd = -1;
    int lrc = link(tmp, path);
    int lerr = errno;
    unlink(tmp);
    if (lrc != 0 && lerr == EEXIST)
        return bw_distinct_key_load(dir, key, err);
    if (lrc != 0) {
        bw_err_set(err, "%s: cannot create key: %s", path, strerror(lerr));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

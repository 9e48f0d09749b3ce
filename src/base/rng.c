#include "base/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void rng_words(uint64_t seed, uint64_t stream, uint64_t index, uint32_t out[4]) {
    const uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
    const uint32_t ctr[4] = { (uint32_t)index, (uint32_t)(index >> 32),
                              (uint32_t)stream, (uint32_t)(stream >> 32) };
    philox4x32_10(ctr, key, out);
}

static float unit_open(uint32_t w) {
    // top 24 bits, shifted by half a step: values in (0,1) exactly representable.
    return ((float)(w >> 8) + 0.5f) * (1.0f / 16777216.0f);
}

float rng_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
    uint32_t w[4];
    rng_words(seed, stream, index, w);
    return unit_open(w[0]);
}

// A 53-bit uniform in (0,1) from two words.
static double unit53(uint32_t hi, uint32_t lo) {
    return ((double)(((uint64_t)hi << 21) ^ lo) + 0.5) / 9007199254740992.0;
}

double rng_uniform53(uint64_t seed, uint64_t stream, uint64_t index) {
    uint32_t w[4];
    rng_words(seed, stream, index, w);
    return unit53(w[0], w[1]);
}

float rng_normal(uint64_t seed, uint64_t stream, uint64_t index) {
    uint32_t w[4];
    rng_words(seed, stream, index, w);
    // 53-bit uniforms in (0,1) from two words each: the tails stay accurate.
    double u1 = unit53(w[0], w[1]), u2 = unit53(w[2], w[3]);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void rng_normals(uint64_t seed, uint64_t stream, uint64_t first, int n, float *out) {
    for (int j = 0; j < n; j += 4) {
        uint32_t w[4];
        rng_words(seed, stream, first + (uint64_t)j / 4, w);
        for (int h = 0; h < 2; h++) {
            double u1 = ((double)w[2 * h] + 0.5) / 4294967296.0, u2 = ((double)w[2 * h + 1] + 0.5) / 4294967296.0;
            double r = sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
            if (j + 2 * h < n) out[j + 2 * h] = (float)(r * cos(a));
            if (j + 2 * h + 1 < n) out[j + 2 * h + 1] = (float)(r * sin(a));
        }
    }
}

uint32_t rng_below(uint64_t seed, uint64_t stream, uint64_t index, uint32_t n) {
    uint32_t w[4];
    rng_words(seed, stream, index, w);
    uint64_t r = ((uint64_t)w[0] << 32) | w[1];
    return (uint32_t)(((unsigned __int128)r * n) >> 64);
}

void rng_permutation(uint64_t seed, uint64_t stream, uint32_t *perm, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = rng_below(seed, stream, i, i);
        uint32_t t = perm[i - 1]; perm[i - 1] = perm[j]; perm[j] = t;
    }
}

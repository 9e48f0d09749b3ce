#include "tickets/prune.h"

#include <math.h>
#include <stdlib.h>

#include "base/rng.h"
#include "base/xalloc.h"

#define RNG_STREAM_MASK_RANDOM RNG_STREAM_MASK

void mask_dense(const MlpShape *s, float *mask) {
    size_t P = mlp_n_params(s);
    for (size_t i = 0; i < P; i++) mask[i] = 1.0f;
}

typedef struct { float mag; uint32_t at; } Ranked;

static int by_magnitude(const void *a, const void *b) {
    const Ranked *x = a, *y = b;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    return (x->at > y->at) - (x->at < y->at);
}

// Removes `remove` of the surviving entries among the ranges [w, w+n) given, smallest |value| first.
static void prune_ranges(const float *params, float *mask, const size_t *w, const size_t *n, int ranges, size_t remove) {
    size_t total = 0;
    for (int r = 0; r < ranges; r++) total += n[r];
    Ranked *v = xmalloc(sizeof(Ranked) * (total ? total : 1));
    size_t k = 0;
    for (int r = 0; r < ranges; r++)
        for (size_t i = 0; i < n[r]; i++)
            if (mask[w[r] + i] != 0.0f) v[k++] = (Ranked){ fabsf(params[w[r] + i]), (uint32_t)(w[r] + i) };
    qsort(v, k, sizeof(Ranked), by_magnitude);
    for (size_t i = 0; i < remove && i < k; i++) mask[v[i].at] = 0.0f;
    free(v);
}

static size_t surviving(const float *mask, size_t w, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += mask[w + i] != 0.0f;
    return c;
}

void prune_layerwise(const MlpShape *s, const float *params, float *mask, double rate, double output_rate) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    for (int l = 0; l < n; l++) {
        size_t cnt = (size_t)L[l].in * L[l].out;
        double r = l == n - 1 ? output_rate : rate;
        prune_ranges(params, mask, &L[l].w, &cnt, 1, (size_t)llround(r * (double)surviving(mask, L[l].w, cnt)));
    }
}

void prune_global(const MlpShape *s, const float *params, float *mask, double rate) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    size_t w[MLP_MAX_DEPTH + 1], cnt[MLP_MAX_DEPTH + 1], alive = 0;
    for (int l = 0; l < n; l++) {
        w[l] = L[l].w;
        cnt[l] = (size_t)L[l].in * L[l].out;
        alive += surviving(mask, w[l], cnt[l]);
    }
    prune_ranges(params, mask, w, cnt, n, (size_t)llround(rate * (double)alive));
}

void mask_random_like(const MlpShape *s, const float *like, float *out, uint64_t seed) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    mask_dense(s, out);
    for (int l = 0; l < n; l++) {
        uint32_t cnt = (uint32_t)((size_t)L[l].in * L[l].out);
        size_t keep = surviving(like, L[l].w, cnt);
        uint32_t *perm = xmalloc(sizeof(uint32_t) * cnt);
        rng_permutation(seed, RNG_STREAM_MASK_RANDOM + 16 * (uint64_t)(l + 1), perm, cnt);
        for (uint32_t i = 0; i < cnt; i++) out[L[l].w + perm[i]] = i < keep ? 1.0f : 0.0f;
        free(perm);
    }
}

void prune_oneshot_like(const MlpShape *s, const float *params, const float *like, float *out) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    mask_dense(s, out);
    for (int l = 0; l < n; l++) {
        size_t cnt = (size_t)L[l].in * L[l].out;
        prune_ranges(params, out, &L[l].w, &cnt, 1, cnt - surviving(like, L[l].w, cnt));
    }
}

double mask_density(const MlpShape *s, const float *mask, int layer) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    size_t kept = 0, all = 0;
    for (int l = 0; l < n; l++) {
        if (layer >= 0 && l != layer) continue;
        size_t cnt = (size_t)L[l].in * L[l].out;
        kept += surviving(mask, L[l].w, cnt);
        all += cnt;
    }
    return all ? (double)kept / (double)all : NAN;
}

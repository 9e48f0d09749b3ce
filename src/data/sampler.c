#include "data/sampler.h"

#include <stdlib.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"

int sampler_init(Sampler *s, uint64_t data_seed, uint32_t D, uint32_t pool_size) {
    *s = (Sampler){ .data_seed = data_seed, .D = D, .epoch = -1 };
    if (D == 0 || D > pool_size) return jp_fail("training size D = %u must be in [1, %u]", D, pool_size);
    uint32_t *perm = xmalloc(sizeof(uint32_t) * pool_size);
    rng_permutation(data_seed, RNG_STREAM_SUBSET, perm, pool_size);
    s->rows = xrealloc(perm, sizeof(uint32_t) * D);
    return 0;
}

void sampler_free(Sampler *s) {
    free(s->rows);
    *s = (Sampler){ 0 };
}

// The swaps by which rng_permutation draws epoch e's permutation, on s->rows: done (forward),
// rows[i] becomes rows[perm_e[i]]; undone, the rows are back in subset order.
static void epoch_swaps(Sampler *s, long epoch, int forward) {
    uint64_t stream = RNG_STREAM_ORDER + 16 * (uint64_t)epoch;
    uint32_t n = s->D, *r = s->rows;
    for (uint32_t k = 0; k + 1 < n; k++) {
        uint32_t i = forward ? n - k : k + 2;
        uint32_t j = rng_below(s->data_seed, stream, i, i);
        uint32_t t = r[i - 1]; r[i - 1] = r[j]; r[j] = t;
    }
}

void sampler_batch(Sampler *s, long step, int B, uint32_t *rows) {
    for (int j = 0; j < B; j++) {
        long pos = step * B + j;
        long epoch = pos / s->D;
        if (epoch != s->epoch) {
            if (s->epoch >= 0) epoch_swaps(s, s->epoch, 0);
            epoch_swaps(s, epoch, 1);
            s->epoch = epoch;
        }
        rows[j] = s->rows[pos % s->D];
    }
}

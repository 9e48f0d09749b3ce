#include "data/sampler.h"

#include <stdlib.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"

int sampler_init(Sampler *s, uint64_t data_seed, uint32_t D, uint32_t pool_size) {
    *s = (Sampler){ .data_seed = data_seed, .D = D, .epoch = -1 };
    if (D == 0 || D > pool_size) return jp_fail("training size D = %u must be in [1, %u]", D, pool_size);
    uint32_t *perm = xmalloc(sizeof(uint32_t) * pool_size);
    s->order = xmalloc(sizeof(uint32_t) * D);
    rng_permutation(data_seed, RNG_STREAM_SUBSET, perm, pool_size);
    s->subset = xrealloc(perm, sizeof(uint32_t) * D);
    return 0;
}

void sampler_free(Sampler *s) {
    free(s->subset);
    free(s->order);
    *s = (Sampler){ 0 };
}

void sampler_batch(Sampler *s, long step, int B, uint32_t *rows) {
    for (int j = 0; j < B; j++) {
        long pos = step * B + j;
        long epoch = pos / s->D;
        if (epoch != s->epoch) {
            rng_permutation(s->data_seed, RNG_STREAM_ORDER + 16 * (uint64_t)epoch, s->order, s->D);
            s->epoch = epoch;
        }
        rows[j] = s->subset[s->order[pos % s->D]];
    }
}

// Which training examples a member sees, and in what order: a function of its
// data_seed alone.
//
// The member's D examples are the first D of a permutation of the pool
// (RNG_STREAM_SUBSET), so a smaller D is a subset of a larger one with the same
// seed. Batches read an endless stream: epoch e is a fresh permutation of the D
// examples (stream RNG_STREAM_ORDER + 16·e), and step s takes positions
// [s·B, (s+1)·B) of the concatenated epochs — no example dropped, none repeated
// within an epoch, the last batch of an epoch running into the next.
#pragma once
#include <stdint.h>

typedef struct {
    uint64_t data_seed;
    uint32_t D;
    // [D] the member's pool rows in the order of epoch `epoch`: subset[perm_e[i]]. Before the
    // first batch (epoch −1) the subset itself, in the order drawn. One array, not the subset and
    // the epoch's permutation: the shuffle is undone and redone in place (4 bytes per example per
    // member, which for ensembles on a whole pool is more than the pool's own bytes).
    uint32_t *rows;
    long epoch;
} Sampler;

int sampler_init(Sampler *s, uint64_t data_seed, uint32_t D, uint32_t pool_size);
void sampler_free(Sampler *s);
// rows[B] = the pool rows of batch `step` (0-based).
void sampler_batch(Sampler *s, long step, int B, uint32_t *rows);

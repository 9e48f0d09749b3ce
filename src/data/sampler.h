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
    uint32_t *subset;     // [D] pool rows
    uint32_t *order;      // [D] permutation of 0..D-1 for the current epoch
    long epoch;           // epoch `order` was made for, −1 before the first
} Sampler;

int sampler_init(Sampler *s, uint64_t data_seed, uint32_t D, uint32_t pool_size);
void sampler_free(Sampler *s);
// rows[B] = the pool rows of batch `step` (0-based).
void sampler_batch(Sampler *s, long step, int B, uint32_t *rows);

// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
//
// Why counter-based: a value is a pure function of (seed, stream, index), so a
// member's initial weights and batch order depend only on its own seeds, never
// on the ensemble size, the thread count or the order in which work was run.
#pragma once
#include <stdint.h>

// Streams: independent uses of one seed. Never renumber (results would change).
// RNG_STREAM_ORDER takes 3 + 16·epoch (data/sampler.c) and RNG_STREAM_TEXT_ORDER
// 22 + 2³²·epoch (data/text.c): a new id must not be ≡ 3 (mod 16) nor ≥ 2³².
// tests/test_rng.c checks that no two ids here are equal.
enum {
    RNG_STREAM_INIT   = 1,   // initial weights: index = parameter offset
    RNG_STREAM_SUBSET = 2,   // which D training examples a data_seed uses
    RNG_STREAM_ORDER  = 3,   // batch order; the epoch is folded into the stream
    RNG_STREAM_SPLIT  = 4,   // the validation hold-out (fixed across data seeds)
    RNG_STREAM_MASK   = 5,   // reserved: random pruning masks
    RNG_STREAM_WORLD  = 6,   // a toy world's structure (subsets, maps, teachers); seed = world seed
    RNG_STREAM_FRESH  = 7,   // a toy world's training examples; seed = data_seed, index = example
    RNG_STREAM_VAL_SET  = 8, // a toy world's held-out sets; seed = world seed
    RNG_STREAM_TEST_SET = 9,
    RNG_STREAM_INJECT   = 10,   // a toy world's injection stream (train/trainer.h Injection); seed = data_seed
    // The text task (data/text.h).
    RNG_STREAM_TEXT_SPLIT  = 20,   // validation/test units; seed 0 (fixed across data seeds)
    RNG_STREAM_TEXT_SUBSET = 21,   // which training chunks make a member's D tokens; seed = data_seed
    RNG_STREAM_TEXT_ORDER  = 22,   // window order; seed = data_seed, the epoch in the stream's high 32 bits
    RNG_STREAM_TEXT_SAMPLE = 23,   // gpt_sample: seed = the sampling seed, index = the new byte's number

    // Analyses (bootstrap resampling): seed = the analysis's --seed.
    RNG_STREAM_FIT_BOOTSTRAP  = 101,   // fit_law: cluster draws, index = resample·clusters + slot
    RNG_STREAM_ISOFLOP        = 102,   // isoflop_fit: rows within a budget, index = resample·rows + row
    RNG_STREAM_FIT_REDRAW     = 104,   // fit_law: a degenerate resample drawn again, index = (resample·64 + attempt)·clusters + slot
    RNG_STREAM_DESCRIBE       = 111,   // describe: index = resample·n + i
    RNG_STREAM_DIST_TAILS     = 121,   // dist: Hill tails, seed = the unit's + 1 (good), + 2 (bad); index = resample·n + i
    RNG_STREAM_DIST_BEST_OF_K = 122,   // dist: best of k, seed + 7; index = resample·n + i
    RNG_STREAM_DIST_VARIANCE_INIT = 123,   // dist: variance split, init seeds (rows), seed + 9; index = resample·I + row
    RNG_STREAM_DIST_VARIANCE_DATA = 124,   // dist: variance split, data seeds (columns), seed + 10; index = resample·J + column
};

// The raw block function: 4 words of counter, 2 of key, 10 rounds.
void philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

// 4 random 32-bit words for (seed, stream, index).
void rng_words(uint64_t seed, uint64_t stream, uint64_t index, uint32_t out[4]);

// Uniform in (0, 1), never 0 or 1: 24-bit resolution from word 0 of the block.
float rng_uniform(uint64_t seed, uint64_t stream, uint64_t index);

// Uniform in (0, 1) at 53-bit resolution from words 0 and 1 of the block.
double rng_uniform53(uint64_t seed, uint64_t stream, uint64_t index);
// Standard normal by Box–Muller over the block (53-bit uniforms from words 0–1 and 2–3).
float rng_normal(uint64_t seed, uint64_t stream, uint64_t index);
// n standard normals from blocks first, first+1, …: Box–Muller on both word pairs of each
// block (32-bit uniforms), cosine and sine, so one Philox call gives four; for bulk data.
void rng_normals(uint64_t seed, uint64_t stream, uint64_t first, int n, float *out);

// Uniform integer in [0, n) without modulo bias worth measuring (64-bit multiply).
uint32_t rng_below(uint64_t seed, uint64_t stream, uint64_t index, uint32_t n);

// perm[i] = a uniformly random permutation of 0..n-1 (Fisher–Yates; swap i uses index i).
void rng_permutation(uint64_t seed, uint64_t stream, uint32_t *perm, uint32_t n);

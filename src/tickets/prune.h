// Pruning masks for lottery tickets (Frankle & Carbin 2019). A mask is a float
// vector over one member's parameters, 1 = kept, 0 = pruned; biases are never
// pruned. Ranking is by |w| with ties broken by position, so masks are exact.
#pragma once
#include <stdint.h>

#include "nn/mlp.h"

void mask_dense(const MlpShape *s, float *mask);

// Layer-wise IMP round: in each weight matrix remove round(rate · surviving) of
// the surviving weights with the smallest |w|; the output layer uses output_rate
// (Frankle & Carbin: 0.2 hidden, 0.1 output).
void prune_layerwise(const MlpShape *s, const float *params, float *mask, double rate, double output_rate);

// Global IMP round: one ranking over the surviving weights of every layer.
void prune_global(const MlpShape *s, const float *params, float *mask, double rate);

// Controls: a random mask with the same number kept in every layer as `like`
// (by seed); and one-shot magnitude pruning of params to like's per-layer counts.
void mask_random_like(const MlpShape *s, const float *like, float *out, uint64_t seed);
void prune_oneshot_like(const MlpShape *s, const float *params, const float *like, float *out);

// Fraction of weights kept: in layer l, or over all weight matrices when l < 0.
double mask_density(const MlpShape *s, const float *mask, int layer);

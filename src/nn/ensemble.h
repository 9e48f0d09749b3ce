// An ensemble: M members of one MLP shape that differ only in their seeds.
//
// Parameters, gradients and optimiser state are each one [M][P] block, so member
// m's vector is params + m·P. Members never mix: every operation on member m
// reads and writes only its own slices, which is why member m trained in an
// ensemble of M is bit-for-bit the run it would be alone.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "nn/mlp.h"
#include "nn/optim.h"

typedef struct {
    MlpShape shape;
    int M;
    size_t P;            // parameters per member
    float *params;       // [M][P]
    float *grads;        // [M][P]
    float *state1;       // [M][P] SGD momentum buffer, or Adam's first moment
    float *state2;       // [M][P] Adam's second moment
    long *t;             // [M] optimiser steps taken
    const float *mask;   // [M][P] 1 = kept, 0 = pruned (lottery tickets), or NULL = dense. Pruned
                         // weights and their optimiser state are held at exactly zero.
} Ensemble;

int ensemble_init(Ensemble *e, const MlpShape *shape, int M);
void ensemble_free(Ensemble *e);
size_t ensemble_bytes(const MlpShape *shape, int M);

static inline float *member_params(const Ensemble *e, int m) { return e->params + (size_t)m * e->P; }
static inline float *member_grads(const Ensemble *e, int m) { return e->grads + (size_t)m * e->P; }

// Member m's initial weights from its init_seed; its optimiser state reset.
void ensemble_init_member(Ensemble *e, int m, WeightInit wi, BiasInit bi, uint64_t init_seed);

// Zeroes member m's pruned parameters and their optimiser state (no-op when dense).
void ensemble_apply_mask(Ensemble *e, int m);

// One optimiser update of member m from its gradient (weight decay on weights only),
// then the mask.
void ensemble_optim_step(Ensemble *e, int m, const OptimConfig *c, float lr);

// Optimisers, as PyTorch defines them (so a parity test can hold us to its numbers):
//   SGD:   d = g + wd·p;  buf = μ·buf + d (buf = d at t = 1);  d = nesterov ? d + μ·buf : buf;  p −= lr·d
//   AdamW: p −= lr·wd·p;  m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
//          p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
// Weight decay applies to weights only; biases are updated with wd = 0.
#pragma once
#include <stddef.h>

typedef enum { OPTIM_SGD, OPTIM_ADAMW } OptimKind;

typedef struct {
    OptimKind kind;
    float lr;            // peak learning rate (the schedule scales it)
    float weight_decay;
    float momentum;      // SGD
    int nesterov;        // SGD
    float beta1, beta2, eps;   // AdamW
} OptimConfig;

OptimConfig optim_defaults(OptimKind kind);

// One update of n parameters. state1/state2: momentum buffer, or Adam's m and v
// (state2 unused by SGD). t: the step number, from 1. lr: this step's rate.
void optim_update(const OptimConfig *c, float lr, long t, int decay,
                  float *p, const float *g, float *state1, float *state2, size_t n);

// AdamW's update of n parameters with weight decay wd, and the pruning mask k (1 kept, 0 pruned;
// NULL: dense) applied to the parameters and both moments in the same pass. optim_update's AdamW.
void adamw_update(const OptimConfig *c, float lr, long t, float wd, float *p, const float *g, float *m, float *v,
                  const float *k, size_t n);

#define OPTIM_COUNT 2
extern const char *const optim_names[OPTIM_COUNT];
const char *optim_name(OptimKind kind);
int optim_parse(const char *name, OptimKind *kind);

// The MLP family: input → depth × [linear, activation] → linear output.
//
// A member's parameters are one flat vector: for each layer, W[out][in] then b[out].
// Forward and backward work on one member's batch; the ensemble (nn/ensemble.h)
// stacks members [M][P] and calls these per member.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "nn/activation.h"
#include "nn/init.h"

#define MLP_MAX_DEPTH 16

typedef struct {
    int n_in, n_out;
    int depth;                     // hidden layers
    int hidden[MLP_MAX_DEPTH];     // their widths
    Activation act;
} MlpShape;

typedef struct { int in, out; size_t w, b; } MlpLayer;   // w, b: offsets into the vector

int mlp_layers(const MlpShape *s, MlpLayer layers[MLP_MAX_DEPTH + 1]);  // returns depth + 1
size_t mlp_n_params(const MlpShape *s);
// Training FLOPs per example: 6 · n_params (2 forward + 4 backward per weight,
// multiply-add = 2; the Kaplan convention). Activations, loss and optimiser excluded.
double mlp_train_flops_per_example(const MlpShape *s);
// Evaluation FLOPs per example: 2 · n_params.
double mlp_eval_flops_per_example(const MlpShape *s);

void mlp_init_params(const MlpShape *s, float *params, WeightInit wi, BiasInit bi, uint64_t init_seed);

// Activations and gradient scratch for up to `rows` examples.
typedef struct {
    int rows;
    float *Z[MLP_MAX_DEPTH + 1];   // pre-activations [rows][out_l]; Z[depth] are the outputs
    float *A[MLP_MAX_DEPTH];       // hidden activations [rows][out_l]
    float *dout;                   // [rows][n_out]: the loss writes ∂loss/∂outputs here
    float *scratch[2];             // [rows][max width] ping-pong for backward
    float *buf;                    // the one allocation behind all of the above
} MlpWork;

int mlp_work_init(MlpWork *w, const MlpShape *s, int rows);
void mlp_work_free(MlpWork *w);
size_t mlp_work_bytes(const MlpShape *s, int rows);

// X[B][n_in] → returns the outputs [B][n_out] (w->Z[depth]).
const float *mlp_forward(const MlpShape *s, const float *params, const float *X, int B, MlpWork *w);

// From w->dout [B][n_out] (after mlp_forward on the same X) to grads[P] (overwritten).
void mlp_backward(const MlpShape *s, const float *params, const float *X, int B, MlpWork *w, float *grads);

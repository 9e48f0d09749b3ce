// Elementwise activations, forward and backward, over n values.
#pragma once

typedef enum { ACT_RELU, ACT_GELU, ACT_TANH, ACT_IDENTITY } Activation;

// A[n] = f(Z[n])
void act_forward(float *A, const float *Z, long n, Activation act);
// dZ[n] = dA[n] · f'(Z): tanh reads its own output A, the others read Z. dZ may alias dA.
void act_backward(float *dZ, const float *dA, const float *Z, const float *A, long n, Activation act);

// The fused passes of a linear layer over rows × cols (after its product Z = X·Wᵀ):
// Z += b and A = f(Z) row by row (A may be NULL: the output layer, bias only);
void act_bias_forward(float *A, float *Z, const float *b, int rows, int cols, Activation act);
// dZ = dA · f'(Z) (dZ may alias dA) and db[cols] = Σ_rows dZ (overwritten), in one pass.
void act_bias_backward(float *dZ, float *db, const float *dA, const float *Z, const float *A, int rows, int cols,
                       Activation act);

#define ACT_COUNT 4
extern const char *const act_names[ACT_COUNT];
const char *act_name(Activation act);
int act_parse(const char *name, Activation *act);   // 0, or -1 for an unknown name

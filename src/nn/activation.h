// Elementwise activations, forward and backward, over n values.
#pragma once

typedef enum { ACT_RELU, ACT_GELU, ACT_TANH, ACT_IDENTITY } Activation;

// A[n] = f(Z[n])
void act_forward(float *A, const float *Z, long n, Activation act);
// dZ[n] = dA[n] · f'(Z): tanh reads its own output A, the others read Z. dZ may alias dA.
void act_backward(float *dZ, const float *dA, const float *Z, const float *A, long n, Activation act);

#define ACT_COUNT 4
extern const char *const act_names[ACT_COUNT];
const char *act_name(Activation act);
int act_parse(const char *name, Activation *act);   // 0, or -1 for an unknown name

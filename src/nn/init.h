// Initial weights, drawn from the counter-based RNG: value i of a member's
// parameter vector is a function of (init_seed, i) alone.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "nn/activation.h"

typedef enum { INIT_KAIMING_NORMAL, INIT_KAIMING_UNIFORM, INIT_GLOROT_NORMAL, INIT_GLOROT_UNIFORM } WeightInit;
typedef enum { BIAS_ZERO, BIAS_FAN_IN_UNIFORM } BiasInit;

// W[out][in]: Kaiming uses fan_in and the activation's gain (ReLU/GELU √2, tanh 5/3);
// Glorot uses fan_in + fan_out. `offset` is W's position in the parameter vector.
void init_weights(float *W, int out, int in, WeightInit scheme, Activation act,
                  uint64_t seed, size_t offset);

// b[out]: zero, or U(−1/√fan_in, 1/√fan_in) (PyTorch's nn.Linear default).
void init_bias(float *b, int out, int in, BiasInit scheme, uint64_t seed, size_t offset);

#define WEIGHT_INIT_COUNT 4
#define BIAS_INIT_COUNT 2
extern const char *const weight_init_names[WEIGHT_INIT_COUNT];
extern const char *const bias_init_names[BIAS_INIT_COUNT];
const char *init_name(WeightInit scheme);
int init_parse(const char *name, WeightInit *scheme);
int bias_init_parse(const char *name, BiasInit *scheme);

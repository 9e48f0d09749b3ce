#include "nn/init.h"

#include <math.h>
#include <string.h>

#include "base/names.h"

#include "base/rng.h"

static double kaiming_gain(Activation act) {
    switch (act) {
    case ACT_TANH: return 5.0 / 3.0;
    case ACT_IDENTITY: return 1.0;
    default: return sqrt(2.0);
    }
}

void init_weights(float *W, int out, int in, WeightInit scheme, Activation act,
                  uint64_t seed, size_t offset) {
    size_t n = (size_t)out * in;
    int is_normal = scheme == INIT_KAIMING_NORMAL || scheme == INIT_GLOROT_NORMAL;
    double std;
    if (scheme == INIT_KAIMING_NORMAL || scheme == INIT_KAIMING_UNIFORM)
        std = kaiming_gain(act) / sqrt((double)in);
    else
        std = sqrt(2.0 / ((double)in + out));
    if (is_normal) {
        for (size_t i = 0; i < n; i++)
            W[i] = (float)(std * rng_normal(seed, RNG_STREAM_INIT, offset + i));
    } else {
        double bound = std * sqrt(3.0);   // U(−a, a) has std a/√3
        for (size_t i = 0; i < n; i++)
            W[i] = (float)(bound * (2.0 * rng_uniform(seed, RNG_STREAM_INIT, offset + i) - 1.0));
    }
}

void init_bias(float *b, int out, int in, BiasInit scheme, uint64_t seed, size_t offset) {
    if (scheme == BIAS_ZERO) { memset(b, 0, sizeof(float) * out); return; }
    double bound = 1.0 / sqrt((double)in);
    for (int i = 0; i < out; i++)
        b[i] = (float)(bound * (2.0 * rng_uniform(seed, RNG_STREAM_INIT, offset + i) - 1.0));
}

const char *const weight_init_names[WEIGHT_INIT_COUNT] = { "kaiming-normal", "kaiming-uniform", "glorot-normal", "glorot-uniform" };

const char *init_name(WeightInit scheme) { return weight_init_names[scheme]; }

int init_parse(const char *name, WeightInit *scheme) {
    int i = name_index(weight_init_names, NAME_COUNT(weight_init_names), name);
    if (i >= 0) *scheme = (WeightInit)i;
    return i >= 0 ? 0 : -1;
}

const char *const bias_init_names[BIAS_INIT_COUNT] = { "zero", "fan-in-uniform" };

int bias_init_parse(const char *name, BiasInit *scheme) {
    int i = name_index(bias_init_names, BIAS_INIT_COUNT, name);
    if (i >= 0) *scheme = (BiasInit)i;
    return i >= 0 ? 0 : -1;
}

#include "nn/activation.h"

#include <math.h>
#include <string.h>

#include "base/names.h"

// GELU is the exact form, 0.5·z·(1 + erf(z/√2)), as PyTorch's default.
#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

void act_forward(float *A, const float *Z, long n, Activation act) {
    switch (act) {
    case ACT_RELU:     for (long i = 0; i < n; i++) A[i] = Z[i] > 0.0f ? Z[i] : 0.0f; break;
    case ACT_GELU:     for (long i = 0; i < n; i++) A[i] = 0.5f * Z[i] * (1.0f + erff(Z[i] * INV_SQRT2)); break;
    case ACT_TANH:     for (long i = 0; i < n; i++) A[i] = tanhf(Z[i]); break;
    case ACT_IDENTITY: if (A != Z) memcpy(A, Z, sizeof(float) * n); break;
    }
}

void act_backward(float *dZ, const float *dA, const float *Z, const float *A, long n, Activation act) {
    switch (act) {
    case ACT_RELU:
        for (long i = 0; i < n; i++) dZ[i] = Z[i] > 0.0f ? dA[i] : 0.0f;
        break;
    case ACT_GELU:
        for (long i = 0; i < n; i++) {
            float z = Z[i];
            float cdf = 0.5f * (1.0f + erff(z * INV_SQRT2));
            float pdf = INV_SQRT_2PI * expf(-0.5f * z * z);
            dZ[i] = dA[i] * (cdf + z * pdf);
        }
        break;
    case ACT_TANH:
        for (long i = 0; i < n; i++) dZ[i] = dA[i] * (1.0f - A[i] * A[i]);
        break;
    case ACT_IDENTITY:
        if (dZ != dA) memcpy(dZ, dA, sizeof(float) * n);
        break;
    }
}

void act_bias_forward(float *A, float *Z, const float *b, int rows, int cols, Activation act) {
    for (int r = 0; r < rows; r++) {
        float *z = Z + (size_t)r * cols, *a = A ? A + (size_t)r * cols : NULL;
        if (a && act == ACT_RELU) {   // the common case in one loop
            #pragma omp simd
            for (int j = 0; j < cols; j++) { float v = z[j] + b[j]; z[j] = v; a[j] = v > 0.0f ? v : 0.0f; }
            continue;
        }
        #pragma omp simd
        for (int j = 0; j < cols; j++) z[j] += b[j];
        if (a) act_forward(a, z, cols, act);   // the row is still in L1
    }
}

void act_bias_backward(float *dZ, float *db, const float *dA, const float *Z, const float *A, int rows, int cols,
                       Activation act) {
    memset(db, 0, sizeof(float) * cols);
    for (int r = 0; r < rows; r++) {
        size_t o = (size_t)r * cols;
        if (act != ACT_IDENTITY) act_backward(dZ + o, dA + o, Z + o, A + o, cols, act);
        else if (dZ != dA) memcpy(dZ + o, dA + o, sizeof(float) * cols);
        #pragma omp simd
        for (int j = 0; j < cols; j++) db[j] += dZ[o + j];   // rows in order: the sum's order is fixed
    }
}

const char *const act_names[ACT_COUNT] = { "relu", "gelu", "tanh", "identity" };

const char *act_name(Activation act) { return act_names[act]; }

int act_parse(const char *name, Activation *act) {
    int i = name_index(act_names, NAME_COUNT(act_names), name);
    if (i >= 0) *act = (Activation)i;
    return i >= 0 ? 0 : -1;
}

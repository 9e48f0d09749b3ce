#include "nn/linear.h"

#include <cblas.h>
#include <string.h>

void linear_forward(float *Y, const float *X, const float *W, const float *b,
                    int B, int in, int out) {
    for (int r = 0; r < B; r++) memcpy(Y + (size_t)r * out, b, sizeof(float) * out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in,
                1.0f, X, in, W, in, 1.0f, Y, out);
}

void linear_backward(float *dX, float *dW, float *db, const float *dY,
                     const float *X, const float *W, int B, int in, int out) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B,
                1.0f, dY, out, X, in, 0.0f, dW, in);
    memset(db, 0, sizeof(float) * out);
    for (int r = 0; r < B; r++) {
        const float *row = dY + (size_t)r * out;
        for (int j = 0; j < out; j++) db[j] += row[j];
    }
    if (dX)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out,
                    1.0f, dY, out, W, in, 0.0f, dX, in);
}

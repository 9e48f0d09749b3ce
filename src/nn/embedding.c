#include "nn/embedding.h"

#include <cblas.h>
#include <stddef.h>

void embedding_forward(float *X, const int *tokens, const float *wte, const float *wpe,
                       int B, int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *x = X + ((size_t)b * T + t) * C;
            const float *e = wte + (size_t)tokens[(size_t)b * T + t] * C, *p = wpe + (size_t)t * C;
            for (int i = 0; i < C; i++) x[i] = e[i] + p[i];
        }
}

void embedding_backward(float *dwte, float *dwpe, const float *dX, const int *tokens,
                        int B, int T, int C) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *d = dX + ((size_t)b * T + t) * C;
            float *de = dwte + (size_t)tokens[(size_t)b * T + t] * C, *dp = dwpe + (size_t)t * C;
            for (int i = 0; i < C; i++) { de[i] += d[i]; dp[i] += d[i]; }
        }
}

void unembedding_forward(float *logits, const float *X, const float *W, int N, int C, int V) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, V, C, 1.0f, X, C, W, C, 0.0f, logits, V);
}

void unembedding_backward(float *dX, float *dW, const float *dlogits, const float *X,
                          const float *W, int N, int C, int V) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, V, 1.0f, dlogits, V, W, C, 0.0f, dX, C);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, V, C, N, 1.0f, dlogits, V, X, C, 0.0f, dW, C);
}

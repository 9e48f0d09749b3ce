#include "nn/attention.h"

#include <cblas.h>
#include <math.h>
#include <stddef.h>

#include "nn/linear.h"

// Row t of S[T][T]: softmax over columns 0..t, zero beyond.
static void causal_softmax(float *S, int T) {
    for (int t = 0; t < T; t++) {
        float *row = S + (size_t)t * T;
        float mx = row[0];
        for (int j = 1; j <= t; j++) mx = row[j] > mx ? row[j] : mx;
        float sum = 0.0f;
        for (int j = 0; j <= t; j++) { row[j] = expf(row[j] - mx); sum += row[j]; }
        float inv = 1.0f / sum;
        for (int j = 0; j <= t; j++) row[j] *= inv;
        for (int j = t + 1; j < T; j++) row[j] = 0.0f;
    }
}

void attention_core_forward(float *ctx, float *att, const float *qkv, int B, int T, int C, int H) {
    int hs = C / H, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *Q = qkv + (size_t)b * T * ld + (size_t)h * hs, *K = Q + C, *V = Q + 2 * C;
            float *S = att + ((size_t)b * H + h) * T * T;
            // S[T][T] = scale · Q[T][hs] · K[T][hs]ᵀ
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, Q, ld, K, ld, 0.0f, S, T);
            causal_softmax(S, T);
            // ctx_h[T][hs] = S[T][T] · V[T][hs]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, S, T, V, ld,
                        0.0f, ctx + (size_t)b * T * C + (size_t)h * hs, C);
        }
}

// Softmax backward in place, dS = P ⊙ (dP − Σ_j P·dP) · scale, row t over columns ≤ t.
static void causal_softmax_backward(float *dS, const float *P, int T, float scale) {
    for (int t = 0; t < T; t++) {
        const float *p = P + (size_t)t * T;
        float *d = dS + (size_t)t * T;
        float dot = 0.0f;
        for (int j = 0; j <= t; j++) dot += p[j] * d[j];
        for (int j = 0; j <= t; j++) d[j] = p[j] * (d[j] - dot) * scale;
        for (int j = t + 1; j < T; j++) d[j] = 0.0f;
    }
}

void attention_core_backward(float *dqkv, float *datt, const float *dctx, const float *qkv,
                             const float *att, int B, int T, int C, int H) {
    int hs = C / H, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            size_t off = (size_t)b * T * ld + (size_t)h * hs;
            const float *Q = qkv + off, *K = Q + C, *V = Q + 2 * C;
            float *dQ = dqkv + off, *dK = dQ + C, *dV = dQ + 2 * C;
            const float *P = att + ((size_t)b * H + h) * T * T;
            const float *dO = dctx + (size_t)b * T * C + (size_t)h * hs;
            // dP[T][T] = dO[T][hs] · V[T][hs]ᵀ;   dV[T][hs] = Pᵀ · dO
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, dO, C, V, ld, 0.0f, datt, T);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, P, T, dO, C, 0.0f, dV, ld);
            causal_softmax_backward(datt, P, T, scale);
            // dQ = dS · K;   dK = dSᵀ · Q
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, datt, T, K, ld, 0.0f, dQ, ld);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, datt, T, Q, ld, 0.0f, dK, ld);
        }
}

void attention_forward(float *Y, const AttnActs *a, const float *X,
                       const float *Wqkv, const float *bqkv, const float *Wo, const float *bo,
                       int B, int T, int C, int H) {
    int N = B * T;
    linear_forward(a->qkv, X, Wqkv, bqkv, N, C, 3 * C);
    attention_core_forward(a->ctx, a->att, a->qkv, B, T, C, H);
    linear_forward(Y, a->ctx, Wo, bo, N, C, C);
}

void attention_backward(float *dX, float *dWqkv, float *dbqkv, float *dWo, float *dbo,
                        const float *dY, const float *X, const AttnActs *a, const AttnScratch *s,
                        const float *Wqkv, const float *Wo, int B, int T, int C, int H) {
    int N = B * T;
    linear_backward(s->dctx, dWo, dbo, dY, a->ctx, Wo, N, C, C);
    attention_core_backward(s->dqkv, s->datt, s->dctx, a->qkv, a->att, B, T, C, H);
    linear_backward(dX, dWqkv, dbqkv, s->dqkv, X, Wqkv, N, C, 3 * C);
}

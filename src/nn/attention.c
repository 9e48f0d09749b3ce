#include "nn/attention.h"

#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nn/linear.h"

// e^x for x ≤ 0, in a form the compiler vectorises (glibc's expf is a call per element, and
// the softmax below makes B·H·T²/2 of them per layer): x = n·ln 2 + r with |r| ≤ ln 2 / 2
// (Cody–Waite's two-part ln 2), e^r by Cephes expf's polynomial (relative error ~1e-7, about
// glibc's), times 2ⁿ built in the exponent bits. x is clamped at −87 so 2ⁿ stays normal:
// e^−87 ≈ 1.6e−38 stands in for anything smaller, a softmax weight that rounds away in
// every sum it joins.
static inline float exp_nonpositive(float x_in) {
    float x = x_in > -87.0f ? x_in : -87.0f;   // NaN lands here too (the comparison is false): no NaN reaches the int conversion
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;   // round(x / ln 2)
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x_in == x_in ? p * scale : x_in;   // a NaN score stays NaN: a diverged run must show it
}

// Row t of S[T][T]: softmax over columns 0..t, zero beyond.
static void causal_softmax(float *S, int T) {
    for (int t = 0; t < T; t++) {
        float *row = S + (size_t)t * T;
        float mx = row[0];
        for (int j = 1; j <= t; j++) mx = row[j] > mx ? row[j] : mx;
        for (int j = 0; j <= t; j++) row[j] = exp_nonpositive(row[j] - mx);
        float sum = 0.0f;
        for (int j = 0; j <= t; j++) sum += row[j];
        float inv = 1.0f / sum;
        for (int j = 0; j <= t; j++) row[j] *= inv;
        for (int j = t + 1; j < T; j++) row[j] = 0.0f;
    }
}

// Causal blocks: rows r0..r1−1 of S (and of its gradient) attend to columns 0..r1−1 only,
// so the GEMMs skip the blocks above the diagonal — about 3/8 of the square at T = 256.
// Every entry they skip is a masked one (probability exactly 0), so the sums the GEMMs
// form are those of the full square less exact zeros.
#define CAUSAL_BLOCK 64

void attention_core_forward(float *ctx, float *att, const float *qkv, int B, int T, int C, int H) {
    int hs = C / H, ld = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *Q = qkv + (size_t)b * T * ld + (size_t)h * hs, *K = Q + C, *V = Q + 2 * C;
            float *S = att + ((size_t)b * H + h) * T * T;
            float *O = ctx + (size_t)b * T * C + (size_t)h * hs;
            for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
                int r1 = r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T, n = r1 - r0;
                // S[r0:r1][0:r1] = scale · Q[r0:r1][hs] · K[0:r1][hs]ᵀ
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r1, hs, scale, Q + (size_t)r0 * ld, ld,
                            K, ld, 0.0f, S + (size_t)r0 * T, T);
            }
            causal_softmax(S, T);
            for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
                int r1 = r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T, n = r1 - r0;
                // ctx_h[r0:r1][hs] = S[r0:r1][0:r1] · V[0:r1][hs]
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, r1, 1.0f, S + (size_t)r0 * T, T,
                            V, ld, 0.0f, O + (size_t)r0 * C, C);
            }
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

// One head's backward over causal blocks (see CAUSAL_BLOCK): row block r0..r1 of dP and dQ
// reads columns / rows 0..r1−1; column block c0..c1 of dV and dK reads rows c0..T−1.
static void head_backward(float *dQ, float *dK, float *dV, float *dS, const float *dO, int ldo,
                          const float *Q, const float *K, const float *V, int ld, const float *P,
                          int T, int hs, float scale) {
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T, n = r1 - r0;
        // dP[r0:r1][0:r1] = dO[r0:r1][hs] · V[0:r1][hs]ᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r1, hs, 1.0f, dO + (size_t)r0 * ldo, ldo,
                    V, ld, 0.0f, dS + (size_t)r0 * T, T);
        // dV[r0:r1] = P[r0:T][r0:r1]ᵀ · dO[r0:T]
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, hs, T - r0, 1.0f, P + (size_t)r0 * T + r0, T,
                    dO + (size_t)r0 * ldo, ldo, 0.0f, dV + (size_t)r0 * ld, ld);
    }
    causal_softmax_backward(dS, P, T, scale);
    for (int r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
        int r1 = r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T, n = r1 - r0;
        // dQ[r0:r1] = dS[r0:r1][0:r1] · K[0:r1];   dK[r0:r1] = dS[r0:T][r0:r1]ᵀ · Q[r0:T]
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, r1, 1.0f, dS + (size_t)r0 * T, T,
                    K, ld, 0.0f, dQ + (size_t)r0 * ld, ld);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, hs, T - r0, 1.0f, dS + (size_t)r0 * T + r0, T,
                    Q + (size_t)r0 * ld, ld, 0.0f, dK + (size_t)r0 * ld, ld);
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
            head_backward(dQ, dK, dV, datt, dO, C, Q, K, V, ld, P, T, hs, scale);
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

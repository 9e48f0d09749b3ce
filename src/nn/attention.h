// Causal multi-head self-attention (Vaswani et al. 2017; GPT-2's layout) over one
// member's batch of B sequences of T positions, width C, H heads of size hs = C/H:
//   qkv = X · Wqkv[3C][C]ᵀ + bqkv[3C]       (one projection, PyTorch's [out][in] layout;
//                                            rows 0..C−1 make Q, C..2C−1 K, 2C..3C−1 V)
//   att = softmax(Q Kᵀ / √hs) per head, position t attending to positions ≤ t only
//   ctx = att · V, heads concatenated        (head h in columns h·hs … (h+1)·hs − 1)
//   Y   = ctx · Wo[C][C]ᵀ + bo[C]
// Every row of ctx at position t is a function of positions ≤ t alone: the masked
// probabilities are exactly 0, so later positions cannot leak into earlier outputs.
#pragma once

// What forward saves for backward.
typedef struct {
    float *qkv;   // [B][T][3C]
    float *att;   // [B][H][T][T] probabilities; 0 above the diagonal
    float *ctx;   // [B][T][C]   the output projection's input
} AttnActs;

// Backward's scratch.
typedef struct {
    float *dctx;  // [B][T][C]
    float *dqkv;  // [B][T][3C]
    float *datt;  // [T][T]
} AttnScratch;

// Y[B][T][C] from X[B][T][C]. C must be a multiple of H.
void attention_forward(float *Y, const AttnActs *a, const float *X,
                       const float *Wqkv, const float *bqkv, const float *Wo, const float *bo,
                       int B, int T, int C, int H);

// dX[B][T][C] (overwritten), dWqkv[3C][C], dbqkv[3C], dWo[C][C], dbo[C] (overwritten)
// from dY[B][T][C], after attention_forward on the same X (its AttnActs).
void attention_backward(float *dX, float *dWqkv, float *dbqkv, float *dWo, float *dbo,
                        const float *dY, const float *X, const AttnActs *a, const AttnScratch *s,
                        const float *Wqkv, const float *Wo, int B, int T, int C, int H);

// The core alone, between the two projections:
// ctx[B][T][C] and att[B][H][T][T] from qkv[B][T][3C].
void attention_core_forward(float *ctx, float *att, const float *qkv, int B, int T, int C, int H);
// dqkv[B][T][3C] (overwritten) from dctx[B][T][C]; datt[T][T] is scratch.
void attention_core_backward(float *dqkv, float *datt, const float *dctx, const float *qkv,
                             const float *att, int B, int T, int C, int H);

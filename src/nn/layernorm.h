// Layer normalisation over the last dimension (Ba et al. 2016), as PyTorch's
// nn.LayerNorm(C) with eps 1e-5: biased variance, learned gain g and bias b.
#pragma once

#define LAYERNORM_EPS 1e-5f

// Y[N][C] = (X[N][C] − mean) · rstd ⊙ g[C] + b[C], per row;
// mean[N] and rstd[N] = 1/√(var + eps) are saved for backward.
void layernorm_forward(float *Y, float *mean, float *rstd, const float *X,
                       const float *g, const float *b, int N, int C);

// dX[N][C] += ∂/∂X    (ACCUMULATED: the input is the residual stream, whose gradient
//                      also arrives through the skip connection)
// dg[C] = Σ_rows dY ⊙ x̂,  db[C] = Σ_rows dY   (overwritten, as linear_backward does)
// x̂ is recomputed from X, mean and rstd.
void layernorm_backward(float *dX, float *dg, float *db, const float *dY, const float *X,
                        const float *mean, const float *rstd, const float *g, int N, int C);

// Fully connected layer over one member's batch. Weights are [out][in] (PyTorch's
// layout), so a row of W is one output unit's fan-in.
#pragma once

// Y[B][out] = X[B][in] · W[out][in]ᵀ + b[out]
void linear_forward(float *Y, const float *X, const float *W, const float *b,
                    int B, int in, int out);

// dW[out][in] = dY[B][out]ᵀ · X[B][in]      (overwritten, not accumulated)
// db[out]     = Σ_rows dY[B][out]
// dX[B][in]   = dY[B][out] · W[out][in]      (skipped when dX is NULL: the input layer)
void linear_backward(float *dX, float *dW, float *db, const float *dY,
                     const float *X, const float *W, int B, int in, int out);

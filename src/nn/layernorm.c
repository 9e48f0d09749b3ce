#include "nn/layernorm.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

void layernorm_forward(float *Y, float *mean, float *rstd, const float *X,
                       const float *g, const float *b, int N, int C) {
    for (int r = 0; r < N; r++) {
        const float *x = X + (size_t)r * C;
        float *y = Y + (size_t)r * C;
        float m = 0.0f;
        for (int i = 0; i < C; i++) m += x[i];
        m /= (float)C;
        float v = 0.0f;   // two passes: no cancellation when |mean| ≫ std
        for (int i = 0; i < C; i++) { float d = x[i] - m; v += d * d; }
        v /= (float)C;
        float s = 1.0f / sqrtf(v + LAYERNORM_EPS);
        for (int i = 0; i < C; i++) y[i] = (x[i] - m) * s * g[i] + b[i];
        mean[r] = m;
        rstd[r] = s;
    }
}

// With x̂ = (x − mean)·rstd and d = dY ⊙ g:
//   dX = rstd · (d − mean(d) − x̂ · mean(d ⊙ x̂))
void layernorm_backward(float *dX, float *dg, float *db, const float *dY, const float *X,
                        const float *mean, const float *rstd, const float *g, int N, int C) {
    memset(dg, 0, sizeof(float) * C);
    memset(db, 0, sizeof(float) * C);
    for (int r = 0; r < N; r++) {
        const float *x = X + (size_t)r * C, *dy = dY + (size_t)r * C;
        float *dx = dX + (size_t)r * C;
        float m = mean[r], s = rstd[r];
        float d_mean = 0.0f, dx_mean = 0.0f;
        for (int i = 0; i < C; i++) {
            float xh = (x[i] - m) * s, d = dy[i] * g[i];
            d_mean += d;
            dx_mean += d * xh;
        }
        d_mean /= (float)C;
        dx_mean /= (float)C;
        for (int i = 0; i < C; i++) {
            float xh = (x[i] - m) * s;
            dx[i] += s * (dy[i] * g[i] - d_mean - xh * dx_mean);
            dg[i] += dy[i] * xh;
            db[i] += dy[i];
        }
    }
}

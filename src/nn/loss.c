#include "nn/loss.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static int argmax(const float *row, int C) {
    int best = 0;
    for (int c = 1; c < C; c++)
        if (row[c] > row[best]) best = c;
    return best;
}

// e^x for x ≤ 0 (a logit minus its row's maximum), written so that `omp simd` loops vectorise it:
// x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial (Cephes' expf coefficients, about
// 1 ulp), 2^n put into the exponent bits. Below −87 (where 2^n would leave the normal range) it
// returns e^−87 ≈ 1.6e−38, which changes no row's sum: the row's maximum contributes 1. NaN stays NaN.
#pragma omp declare simd notinbranch
static inline float exp_nonpos(float x) {
    x = x < -87.0f ? -87.0f : x;
    // n = round(x / ln2) by adding 1.5·2²³, which leaves n in the low bits of the sum (no libm call
    // and no float-to-int conversion, so the loop vectorises and NaN is no undefined cast).
    union { float f; uint32_t u; } t = { .f = x * 1.44269504088896341f + 12582912.0f };
    float n = t.f - 12582912.0f;
    float r = __builtin_fmaf(n, -0.693359375f, x);       // ln2 in two parts: r exact enough
    r = __builtin_fmaf(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = __builtin_fmaf(p, r, 1.3981999507e-3f);
    p = __builtin_fmaf(p, r, 8.3334519073e-3f);
    p = __builtin_fmaf(p, r, 4.1665795894e-2f);
    p = __builtin_fmaf(p, r, 1.6666665459e-1f);
    p = __builtin_fmaf(p, r, 5.0000001201e-1f);
    p = __builtin_fmaf(p * r, r, r) + 1.0f;
    union { uint32_t u; float f; } s = { .u = (t.u - 0x4B400000u + 127u) << 23 };   // 2^n
    return p * s.f;
}

// Cross-entropy of rows [0, B) in float, one exponential per logit. E[B][C] is scratch (it may be
// dY: it ends as softmax · scale − scale·onehot). Returns the sum of row losses, in double.
static double ce_block(const float *logits, const int *labels, int B, int C, float scale, float *E, long *hits) {
    double total = 0.0;
    for (int r = 0; r < B; r++) {
        const float *z = logits + (size_t)r * C;
        int top = argmax(z, C);
        *hits += (top == labels[r]);
        float zmax = z[top], *e = E + (size_t)r * C;
        for (int c = 0; c < C; c++) e[c] = z[c] - zmax;
        total -= (double)(z[labels[r]] - zmax);
    }
    long n = (long)B * C;
    #pragma omp simd
    for (long i = 0; i < n; i++) E[i] = exp_nonpos(E[i]);
    for (int r = 0; r < B; r++) {
        float *e = E + (size_t)r * C, sum = 0.0f;
        for (int c = 0; c < C; c++) sum += e[c];
        total += (double)logf(sum);   // row loss: log Σ e^(z − zmax) − (z_label − zmax)
        float k = scale / sum;
        for (int c = 0; c < C; c++) e[c] *= k;
        e[labels[r]] -= scale;
    }
    return total;
}

double softmax_cross_entropy(const float *logits, const int *labels, int B, int C,
                             float scale, float *dY, long *correct) {
    long hits = 0;
    double total = 0.0;
    if (dY) total = ce_block(logits, labels, B, C, scale, dY, &hits);
    else {
        float E[4096];   // the loss alone (evaluation): blocks of rows through a local buffer
        int rows = C <= 4096 ? 4096 / C : 0;
        for (int r = 0; r < B && rows; r += rows) {
            int n = B - r < rows ? B - r : rows;
            total += ce_block(logits + (size_t)r * C, labels + r, n, C, 0.0f, E, &hits);
        }
        for (int r = 0; r < B && !rows; r++) {   // more than 4096 classes: double, row by row
            const float *z = logits + (size_t)r * C;
            int top = argmax(z, C);
            double sum = 0.0;
            for (int c = 0; c < C; c++) sum += exp((double)(z[c] - z[top]));
            total += log(sum) - (double)(z[labels[r]] - z[top]);
            hits += (top == labels[r]);
        }
    }
    if (correct) *correct = hits;
    return total;
}
double mean_squared_error(const float *Y, const float *T, const int *labels, int B, int C,
                          float scale, float *dY, long *correct) {
    double total = 0.0;
    long hits = 0;
    for (int r = 0; r < B; r++) {
        const float *y = Y + (size_t)r * C;
        double row = 0.0;
        for (int c = 0; c < C; c++) {
            float t = T ? T[(size_t)r * C + c] : (float)(c == labels[r]);
            float d = y[c] - t;
            row += (double)d * d;
            if (dY) dY[(size_t)r * C + c] = 2.0f * d / (float)C * scale;
        }
        total += row / C;
        if (labels) hits += (argmax(y, C) == labels[r]);
    }
    if (correct) *correct = hits;
    return total;
}

double head_squared_error(const float *Y, const float *T, int B, int C, float scale, float *dY, long *correct) {
    double total = 0.0;
    for (size_t i = 0; i < (size_t)B * C; i++) {
        float t = T[i];
        // isnan, not a flag array: the world writes NaN where a head has no target, so the targets
        // alone say which head an example trains, through every caller unchanged.
        if (isnan(t)) {
            if (dY) dY[i] = 0.0f;
            continue;
        }
        float d = Y[i] - t;
        total += (double)d * d;
        if (dY) dY[i] = 2.0f * d * scale;
    }
    if (correct) *correct = 0;
    return total;
}

double loss_eval(LossKind kind, const float *Y, const float *T, const int *labels, int B, int C,
                 float scale, float *dY, long *correct) {
    if (kind == LOSS_MSE) return mean_squared_error(Y, T, labels, B, C, scale, dY, correct);
    if (kind == LOSS_HEAD) return head_squared_error(Y, T, B, C, scale, dY, correct);
    return softmax_cross_entropy(Y, labels, B, C, scale, dY, correct);
}

const char *const loss_names[LOSS_COUNT] = { "ce", "mse", "head" };

const char *loss_name(LossKind kind) { return loss_names[kind]; }

int loss_parse(const char *name, LossKind *kind) {
    if (strcmp(name, "ce") == 0 || strcmp(name, "cross-entropy") == 0) { *kind = LOSS_CROSS_ENTROPY; return 0; }
    if (strcmp(name, "mse") == 0) { *kind = LOSS_MSE; return 0; }
    if (strcmp(name, "head") == 0) { *kind = LOSS_HEAD; return 0; }
    return -1;
}

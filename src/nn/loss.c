#include "nn/loss.h"

#include <math.h>
#include <string.h>

static int argmax(const float *row, int C) {
    int best = 0;
    for (int c = 1; c < C; c++)
        if (row[c] > row[best]) best = c;
    return best;
}

double softmax_cross_entropy(const float *logits, const int *labels, int B, int C,
                             float scale, float *dY, long *correct) {
    double total = 0.0;
    long hits = 0;
    for (int r = 0; r < B; r++) {
        const float *z = logits + (size_t)r * C;
        int top = argmax(z, C);
        float zmax = z[top];
        double sum = 0.0;
        for (int c = 0; c < C; c++) sum += exp((double)(z[c] - zmax));
        double lse = (double)zmax + log(sum);
        total += lse - (double)z[labels[r]];
        hits += (top == labels[r]);
        if (dY) {
            float *g = dY + (size_t)r * C;
            for (int c = 0; c < C; c++) g[c] = (float)(exp((double)z[c] - lse)) * scale;
            g[labels[r]] -= scale;
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

double loss_eval(LossKind kind, const float *Y, const float *T, const int *labels, int B, int C,
                 float scale, float *dY, long *correct) {
    if (kind == LOSS_MSE) return mean_squared_error(Y, T, labels, B, C, scale, dY, correct);
    return softmax_cross_entropy(Y, labels, B, C, scale, dY, correct);
}

const char *const loss_names[LOSS_COUNT] = { "ce", "mse" };

const char *loss_name(LossKind kind) { return loss_names[kind]; }

int loss_parse(const char *name, LossKind *kind) {
    if (strcmp(name, "ce") == 0 || strcmp(name, "cross-entropy") == 0) { *kind = LOSS_CROSS_ENTROPY; return 0; }
    if (strcmp(name, "mse") == 0) { *kind = LOSS_MSE; return 0; }
    return -1;
}

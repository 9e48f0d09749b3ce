#include "nn/optim.h"

#include <math.h>
#include <string.h>

OptimConfig optim_defaults(OptimKind kind) {
    if (kind == OPTIM_SGD)
        return (OptimConfig){ .kind = OPTIM_SGD, .lr = 0.1f, .momentum = 0.9f };
    return (OptimConfig){ .kind = OPTIM_ADAMW, .lr = 1e-3f, .weight_decay = 0.01f,
                          .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f };
}

static void sgd_update(const OptimConfig *c, float lr, long t, float wd,
                       float *p, const float *g, float *buf, size_t n) {
    float mu = c->momentum;
    for (size_t i = 0; i < n; i++) {
        float d = g[i];
        if (wd != 0.0f) d += wd * p[i];
        if (mu != 0.0f) {
            buf[i] = t == 1 ? d : mu * buf[i] + d;
            d = c->nesterov ? d + mu * buf[i] : buf[i];
        }
        p[i] -= lr * d;
    }
}

// restrict: the arrays are distinct slices, so the loops vectorise without a run-time overlap check.
void adamw_update(const OptimConfig *c, float lr, long t, float wd, float *restrict p, const float *restrict g,
                  float *restrict m, float *restrict v, const float *restrict k, size_t n) {
    float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    float step = (float)(lr / (1.0 - pow((double)b1, (double)t)));
    float bc2_sqrt = (float)sqrt(1.0 - pow((double)b2, (double)t));
    float shrink = 1.0f - lr * wd;   // exactly 1 without decay
    // The update of element i into pi, mi, vi (a macro so that the dense and the masked loop share it:
    // one loop testing k would make gcc load k under a vector mask, which faults in microcode
    // assists when k is NULL).
#define ADAMW_ELEMENT                                                        \
        float pi = p[i] * shrink;                                            \
        float mi = m[i] * b1 + g[i] * (1.0f - b1);                           \
        float vi = v[i] * b2 + g[i] * g[i] * (1.0f - b2);                    \
        pi -= step * (mi / (sqrtf(vi) / bc2_sqrt + eps));
    if (!k) {
        #pragma omp simd
        for (size_t i = 0; i < n; i++) { ADAMW_ELEMENT p[i] = pi; m[i] = mi; v[i] = vi; }
        return;
    }
    #pragma omp simd
    for (size_t i = 0; i < n; i++) { ADAMW_ELEMENT p[i] = pi * k[i]; m[i] = mi * k[i]; v[i] = vi * k[i]; }
#undef ADAMW_ELEMENT
}

void optim_update(const OptimConfig *c, float lr, long t, int decay,
                  float *p, const float *g, float *state1, float *state2, size_t n) {
    float wd = decay ? c->weight_decay : 0.0f;
    if (c->kind == OPTIM_SGD) sgd_update(c, lr, t, wd, p, g, state1, n);
    else adamw_update(c, lr, t, wd, p, g, state1, state2, NULL, n);
}

const char *const optim_names[OPTIM_COUNT] = { "sgd", "adamw" };

const char *optim_name(OptimKind kind) { return optim_names[kind]; }

int optim_parse(const char *name, OptimKind *kind) {
    if (strcmp(name, "sgd") == 0) { *kind = OPTIM_SGD; return 0; }
    if (strcmp(name, "adamw") == 0 || strcmp(name, "adam") == 0) { *kind = OPTIM_ADAMW; return 0; }
    return -1;
}

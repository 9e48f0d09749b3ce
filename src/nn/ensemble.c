#include "nn/ensemble.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"

size_t ensemble_bytes(const MlpShape *shape, int M) {
    return 4 * sizeof(float) * (size_t)M * mlp_n_params(shape) + sizeof(long) * M;
}

int ensemble_init(Ensemble *e, const MlpShape *shape, int M) {
    *e = (Ensemble){ .shape = *shape, .M = M, .P = mlp_n_params(shape) };
    size_t n = (size_t)M * e->P;
    // calloc: optimiser state starts at zero, and untouched pages cost nothing.
    e->params = xcalloc(n, sizeof(float));
    e->grads = xcalloc(n, sizeof(float));
    e->state1 = xcalloc(n, sizeof(float));
    e->state2 = xcalloc(n, sizeof(float));
    e->t = xcalloc(M, sizeof(long));
    return 0;
}

void ensemble_free(Ensemble *e) {
    free(e->params); free(e->grads); free(e->state1); free(e->state2); free(e->t);
    *e = (Ensemble){ 0 };
}

void ensemble_init_member(Ensemble *e, int m, WeightInit wi, BiasInit bi, uint64_t init_seed) {
    size_t off = (size_t)m * e->P;
    mlp_init_params(&e->shape, e->params + off, wi, bi, init_seed);
    memset(e->state1 + off, 0, sizeof(float) * e->P);
    memset(e->state2 + off, 0, sizeof(float) * e->P);
    e->t[m] = 0;
}

void ensemble_apply_mask(Ensemble *e, int m) {
    if (!e->mask) return;
    size_t off = (size_t)m * e->P;
    const float *k = e->mask + off;
    float *p = e->params + off, *s1 = e->state1 + off, *s2 = e->state2 + off;
    for (size_t i = 0; i < e->P; i++) { p[i] *= k[i]; s1[i] *= k[i]; s2[i] *= k[i]; }
}

void ensemble_optim_step(Ensemble *e, int m, const OptimConfig *c, float lr) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(&e->shape, L);
    size_t off = (size_t)m * e->P;
    long t = ++e->t[m];
    if (c->kind != OPTIM_ADAMW) {
        for (int l = 0; l < n; l++) {
            size_t w = off + L[l].w, b = off + L[l].b, nw = (size_t)L[l].in * L[l].out;
            optim_update(c, lr, t, 1, e->params + w, e->grads + w, e->state1 + w, e->state2 + w, nw);
            optim_update(c, lr, t, 0, e->params + b, e->grads + b, e->state1 + b, e->state2 + b, L[l].out);
        }
        ensemble_apply_mask(e, m);
        return;
    }
    // One pass over the member's vector: each layer's weights (decayed), then its biases (not).
    for (int l = 0; l < n; l++)
        for (int part = 0; part < 2; part++) {
            size_t at = off + (part ? L[l].b : L[l].w), len = part ? (size_t)L[l].out : (size_t)L[l].in * L[l].out;
            adamw_update(c, lr, t, part ? 0.0f : c->weight_decay, e->params + at, e->grads + at, e->state1 + at,
                         e->state2 + at, e->mask ? e->mask + at : NULL, len);
        }
}

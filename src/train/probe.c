#include "train/probe.h"

#include <math.h>
#include <string.h>

#include "train/step.h"

size_t probe_scratch_floats(int q, size_t P) { return (size_t)(2 * q + 2) * P; }

// g[P] = ∂(mean loss of concept c)/∂params.
static void concept_gradient(const MlpShape *sh, const float *params, const Split *s, int c, LossKind loss,
                             MlpWork *w, float *g) {
    int r0 = s->concept_start[c], n = s->concept_start[c + 1] - r0;
    const float *X = s->x + (size_t)r0 * sh->n_in;
    const float *Y = mlp_forward(sh, params, X, n, w);
    loss_eval(loss, Y, s->t ? s->t + (size_t)r0 * sh->n_out : NULL, s->y ? s->y + r0 : NULL, n, sh->n_out,
              1.0f / n, w->dout, NULL);
    mlp_backward(sh, params, X, n, w, g);
}

static double cosine(const float *a, const float *b, size_t P) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < P; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}

// Mean cosine over pairs (i, j) of gradients, i in [a0, a1), j in [b0, b1), i < j when the ranges are one.
static double mean_cosine(float *const *g, int a0, int a1, int b0, int b1, size_t P) {
    double sum = 0;
    int pairs = 0;
    for (int i = a0; i < a1; i++)
        for (int j = (a0 == b0 ? i + 1 : b0); j < b1; j++) { sum += cosine(g[i], g[j], P); pairs++; }
    return pairs ? sum / pairs : NAN;
}

static double group_loss(const MlpShape *sh, const float *params, const Split *s, const int *concepts, int q,
                         LossKind loss, MlpWork *w) {
    double sum = 0;
    for (int i = 0; i < q; i++) {
        double l;
        concept_eval(sh, params, s, concepts[i], loss, w, &l, NULL);
        sum += l;
    }
    return sum / q;
}

int interference_probe(const MlpShape *sh, const float *params, size_t P, const Split *s, LossKind loss, int q,
                       float eta, MlpWork *w, float *scratch, ProbeResult *out) {
    int C = s->n_concepts;
    if (q < 1 || C < 2 * q) return -1;
    for (int c = 0; c < C; c++)
        if (s->concept_start[c + 1] - s->concept_start[c] > w->rows || s->concept_start[c + 1] == s->concept_start[c])
            return -1;
    int concepts[2 * 64];
    if (q > 64) q = 64;
    float *g[2 * 64];
    for (int i = 0; i < q; i++) { concepts[i] = i; concepts[q + i] = C - q + i; }   // F then R
    for (int i = 0; i < 2 * q; i++) {
        g[i] = scratch + (size_t)i * P;
        concept_gradient(sh, params, s, concepts[i], loss, w, g[i]);
    }
    out->value[PROBE_COS_FF] = mean_cosine(g, 0, q, 0, q, P);
    out->value[PROBE_COS_FR] = mean_cosine(g, 0, q, q, 2 * q, P);
    out->value[PROBE_COS_RR] = mean_cosine(g, q, 2 * q, q, 2 * q, P);
    float *stepped = scratch + (size_t)2 * q * P;
    for (size_t p = 0; p < P; p++) {
        float gf = 0;
        for (int i = 0; i < q; i++) gf += g[i][p];
        stepped[p] = params[p] - eta * gf / q;
    }
    out->value[PROBE_DLOSS_RARE] = group_loss(sh, stepped, s, concepts + q, q, loss, w) - group_loss(sh, params, s, concepts + q, q, loss, w);
    out->value[PROBE_DLOSS_FREQ] = group_loss(sh, stepped, s, concepts, q, loss, w) - group_loss(sh, params, s, concepts, q, loss, w);
    return 0;
}

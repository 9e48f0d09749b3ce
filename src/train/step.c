#include "train/step.h"

#include <math.h>

double train_step(Ensemble *e, int m, const float *X, const int *labels, const float *targets, int B,
                  LossKind loss, const OptimConfig *opt, float lr, MlpWork *w) {
    const MlpShape *s = &e->shape;
    const float *params = member_params(e, m);
    const float *Y = mlp_forward(s, params, X, B, w);
    double sum = loss_eval(loss, Y, targets, labels, B, s->n_out, 1.0f / B, w->dout, NULL);
    double mean = sum / B;
    if (!isfinite(mean)) return mean;
    mlp_backward(s, params, X, B, w, member_grads(e, m));
    ensemble_optim_step(e, m, opt, lr);
    return mean;
}

// Sum of losses and count of hits over rows [0, n) of X, in chunks of w->rows.
static double rows_loss(const MlpShape *sh, const float *params, const float *X, const int *y, const float *t, int n,
                 LossKind loss, MlpWork *w, long *hits) {
    double total = 0.0;
    *hits = 0;
    for (int start = 0; start < n; start += w->rows) {
        int B = n - start < w->rows ? n - start : w->rows;
        const float *Y = mlp_forward(sh, params, X + (size_t)start * sh->n_in, B, w);
        long c = 0;
        total += loss_eval(loss, Y, t ? t + (size_t)start * sh->n_out : NULL, y ? y + start : NULL, B, sh->n_out,
                           0.0f, NULL, &c);
        *hits += c;
    }
    return total;
}

void concept_eval(const MlpShape *sh, const float *params, const Split *s, int c, LossKind loss, MlpWork *w,
                  double *mean_loss, double *accuracy) {
    int r0 = s->concept_start[c], n = s->concept_start[c + 1] - r0;
    long hits;
    double sum = rows_loss(sh, params, s->x + (size_t)r0 * sh->n_in, s->y ? s->y + r0 : NULL,
                           s->t ? s->t + (size_t)r0 * sh->n_out : NULL, n, loss, w, &hits);
    *mean_loss = n ? sum / n : NAN;
    if (accuracy) *accuracy = n && s->y ? (double)hits / n : NAN;
}

void evaluate_member(const Ensemble *e, int m, const Split *s, LossKind loss, MlpWork *w,
                     double *mean_loss, double *accuracy, double *concept_loss, double *concept_acc) {
    const MlpShape *sh = &e->shape;
    const float *params = member_params(e, m);
    if (s->n_concepts > 0) {
        // A stratified split: the expected loss under the concept frequencies.
        double L = 0, A = 0;
        for (int c = 0; c < s->n_concepts; c++) {
            double lc, ac;
            concept_eval(sh, params, s, c, loss, w, &lc, &ac);
            L += s->concept_weight[c] * lc;
            A += s->concept_weight[c] * ac;
            if (concept_loss) concept_loss[c] = lc;
            if (concept_acc) concept_acc[c] = ac;
        }
        *mean_loss = L;
        *accuracy = A;
        return;
    }
    long hits;
    double total = rows_loss(sh, params, s->x, s->y, s->t, s->n, loss, w, &hits);
    *mean_loss = s->n ? total / s->n : NAN;
    *accuracy = s->n && s->y ? (double)hits / s->n : NAN;
}

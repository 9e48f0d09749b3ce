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

void evaluate_member(const Ensemble *e, int m, const Split *s, LossKind loss, MlpWork *w,
                     double *mean_loss, double *accuracy) {
    const MlpShape *sh = &e->shape;
    double total = 0.0;
    long hits = 0;
    for (int start = 0; start < s->n; start += w->rows) {
        int B = s->n - start < w->rows ? s->n - start : w->rows;
        const float *Y = mlp_forward(sh, member_params(e, m), s->x + (size_t)start * sh->n_in, B, w);
        long c = 0;
        total += loss_eval(loss, Y, s->t ? s->t + (size_t)start * sh->n_out : NULL,
                           s->y ? s->y + start : NULL, B, sh->n_out, 0.0f, NULL, &c);
        hits += c;
    }
    *mean_loss = s->n ? total / s->n : NAN;
    *accuracy = s->n && s->y ? (double)hits / s->n : NAN;
}

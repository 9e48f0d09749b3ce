#include "train/step.h"

#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"

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
    // The expected loss under the concept frequencies.
    double L = s->n_concepts > 0 ? 0 : NAN, A = L;
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
}

void eval_batch_init(EvalBatch *b, const Task *task, int rows) {
    *b = (EvalBatch){ .rows = rows };
    b->X = xmalloc(sizeof(float) * (size_t)rows * task->dim);
    b->labels = xmalloc(sizeof(int) * rows);
    b->targets = xmalloc(sizeof(float) * (size_t)rows * task->n_out);
}

void eval_batch_free(EvalBatch *b) {
    free(b->X); free(b->labels); free(b->targets);
    *b = (EvalBatch){ 0 };
}

void evaluate_split(const Task *task, const Split *s, const Ensemble *e, const char *live, LossKind loss,
                    EvalBatch *b, MlpWork *const *w, double *mean_loss, double *accuracy) {
    const MlpShape *sh = &e->shape;
    int M = e->M;
    long hits[M];
    for (int m = 0; m < M; m++) { mean_loss[m] = 0.0; hits[m] = 0; }
    for (int start = 0; start < s->n; start += b->rows) {
        int n = s->n - start < b->rows ? s->n - start : b->rows;
        task_gather(task, s, NULL, start, n, b->X, b->labels, b->targets);
        for (int m = 0; m < M; m++) {
            if (!live[m]) continue;
            const float *Y = mlp_forward(sh, member_params(e, m), b->X, n, w[m]);
            long c = 0;
            mean_loss[m] += loss_eval(loss, Y, s->t ? b->targets : NULL, s->y ? b->labels : NULL, n, sh->n_out,
                                      0.0f, NULL, &c);
            hits[m] += c;
        }
    }
    for (int m = 0; m < M; m++) {
        mean_loss[m] = s->n ? mean_loss[m] / s->n : NAN;
        accuracy[m] = s->n && s->y ? (double)hits[m] / s->n : NAN;
    }
}

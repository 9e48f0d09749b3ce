#include "tickets/barrier.h"

#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "nn/ensemble.h"
#include "train/step.h"

// The segment's points are the members of one ensemble, so each chunk of the split is read once
// for all of them (evaluate_split) and each point's error is what it would be alone.
double lmc_barrier(const MlpShape *s, const float *a, const float *b, const Task *task, const Split *split,
                   LossKind loss, int points, double *errors) {
    if (points < 2 || !split->y) return NAN;
    Ensemble e;   // one member per point of the segment
    if (ensemble_init(&e, s, points) != 0) return NAN;
    enum { CHUNK = 256 };
    EvalBatch batch;
    eval_batch_init(&batch, task, CHUNK);
    MlpWork *w = xmalloc(sizeof(MlpWork) * points), *wp[points];
    char live[points];
    double loss_of[points];
    for (int i = 0; i < points; i++) {
        float al = (float)i / (float)(points - 1), *p = member_params(&e, i);
        for (size_t k = 0; k < e.P; k++) p[k] = a[k] + al * (b[k] - a[k]);   // exact at the ends, and where a = b
        mlp_work_init(&w[i], s, CHUNK);
        wp[i] = &w[i];
        live[i] = 1;
    }
    evaluate_split(task, split, &e, live, loss, &batch, wp, loss_of, errors);
    double worst = -INFINITY;
    for (int i = 0; i < points; i++) {
        errors[i] = 1.0 - errors[i];   // evaluate_split wrote accuracies
        if (errors[i] > worst) worst = errors[i];
        mlp_work_free(&w[i]);
    }
    free(w);
    eval_batch_free(&batch);
    ensemble_free(&e);
    return worst - 0.5 * (errors[0] + errors[points - 1]);
}

#include "tickets/barrier.h"

#include <math.h>
#include <stdlib.h>

#include "nn/ensemble.h"
#include "train/step.h"

double lmc_barrier(const MlpShape *s, const float *a, const float *b, const Split *split, LossKind loss,
                   int points, double *errors) {
    if (points < 2 || !split->y) return NAN;
    Ensemble e;   // one member per point of the segment
    if (ensemble_init(&e, s, points) != 0) return NAN;
    MlpWork w;
    if (mlp_work_init(&w, s, 500) != 0) { ensemble_free(&e); return NAN; }
    double worst = -INFINITY;
    for (int i = 0; i < points; i++) {
        float al = (float)i / (float)(points - 1), *p = member_params(&e, i);
        for (size_t k = 0; k < e.P; k++) p[k] = a[k] + al * (b[k] - a[k]);   // exact at the ends, and where a = b
        double l, acc;
        evaluate_member(&e, i, split, loss, &w, &l, &acc, NULL, NULL);
        errors[i] = 1.0 - acc;
        if (errors[i] > worst) worst = errors[i];
    }
    mlp_work_free(&w);
    ensemble_free(&e);
    return worst - 0.5 * (errors[0] + errors[points - 1]);
}

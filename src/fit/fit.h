// Fitting a law: minimise Σ Huber_δ(log L̂ − log L) over θ: the objective at every
// point of the law's start grid, then BFGS (fit/minimize.h) from the best 24 to
// convergence, keeping the best; bootstrap by resampling whole clusters (seed groups)
// with replacement and refitting by BFGS warm-started from the best θ; 95% percentile
// intervals for every reported parameter and derived quantity.
#pragma once
#include <stdint.h>

#include "fit/laws.h"
#include "fit/points.h"
#include "stats/describe.h"   // percentile_interval

typedef struct {
    const Law *law;
    Axis4 axes[3];               // the inputs, law->n_x of them
    double delta;                // Huber δ on log residuals (1e-3)
    int n_boot;                  // bootstrap resamples (1000; 0 = none)
    uint64_t seed;               // of the bootstrap
} FitOptions;

typedef struct {
    double theta[LAW_MAX_THETA];
    double objective;            // Σ Huber at θ
    int starts, converged;       // grid starts tried; of the best end points polished, how many converged
    double report[LAW_MAX_REPORT], lo[LAW_MAX_REPORT], hi[LAW_MAX_REPORT];
    double r2_log;               // R² of log L in log space
    int n;
    double *residuals;           // [n] log L̂ − log L
    int n_boot;
    double *boot;                // [n_boot][law->n_report]
    double *boot_theta;          // [n_boot][law->n_theta]
} FitResult;

// Fits on the points (all of them, or those with use[i] != 0 when use is not NULL).
int fit_law(const FitOptions *o, const Points *p, const int *use, FitResult *r);
void fit_result_free(FitResult *r);

// Predicted loss at x[n_x] for θ.
double fit_predict(const Law *law, const double *theta, const double *x);

// Held-out check: refit without the points at the largest value of axes[0] and
// predict there. Fills the mean observed and predicted loss at that x, and the
// bootstrap 95% interval of the prediction (its resamples: n_boot/4, at least 50).
// The K = 1 case of fit_holdout (fit/holdout.h), which holds out the K largest values.
typedef struct {
    double x, observed, predicted, lo, hi, rel_error;
    int n_held;
    int covered;   // observed inside [lo, hi]: 1 or 0; −1 without an interval (no bootstrap)
} HeldOut;
int fit_heldout(const FitOptions *o, const Points *p, HeldOut *h);


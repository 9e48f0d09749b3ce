// Extrapolation as the score: fit a law on all but the points at the K largest distinct values
// of one axis (the split axis: params, or a one-input law's x) and predict the points held out.
// This is how published comparisons choose between law forms (a law that fits the range it saw
// may still bend the wrong way past it); fit_heldout (fit/fit.h) is its K = 1 case.
//
// Scores, over the held-out part:
//   rmse_log       √(mean over held-out points of (log L̂ − log L)²): each point, at its own
//                  values of the law's other axes (seeds count as points, so their spread is
//                  the floor of this score for every law alike)
//   mean_abs_rel   mean over the K held-out values of |L̂ − L| / L, with L̂ and L the means of
//                  the prediction and of the observed loss over the points at that value
//   covered        of the K values, how many have the observed mean inside the bootstrap 95%
//                  interval of the mean prediction there
#pragma once

#include "fit/fit.h"

enum { HOLDOUT_MAX_K = 16 };

typedef struct {
    int k;                      // values held out
    Axis4 split;                // the axis whose largest values were held out
    HeldOut at[HOLDOUT_MAX_K];  // per held-out value, ascending x (HeldOut.covered: −1 without an interval)
    int n_held, n_train;        // points held out; points fitted
    double rmse_log, mean_abs_rel;
    int covered, with_interval; // values covered; values that have an interval
    int *held;                  // [n_held] the held-out points' indices in the points, ascending
    double *pred, *lo, *hi;     // [n_held] each one's prediction (at its own x on every axis) and 95% interval
    FitResult fit;              // the law fitted without the held-out points (its resamples: n_boot/4, at least 50)
} Holdout;

// How many distinct values axis a takes over the points (finite ones).
int holdout_distinct(const Points *p, Axis4 a);

// The law o->law fitted on p without the points at the k largest distinct values of `split`,
// and scored on them. Refused (−1, jp_error() saying why in the data's terms) when k is not
// below the number of distinct values, or when what is left cannot determine the law: it must
// keep at least 3 distinct values of the split axis and at least as many distinct input points
// (on the law's axes) as the law has parameters, and more points than parameters (fit_law).
int fit_holdout(const FitOptions *o, const Points *p, Axis4 split, int k, Holdout *h);
void holdout_free(Holdout *h);

// The index into law->report_names of the law's main exponent (alpha, alpha_N, c0, c, gamma:
// the first name found in that order), or −1: the column "exponent" of a comparison.
int law_key_exponent(const Law *law);

// One law of a comparison (jackpot fit --law a,b,c --holdout-top K; the report's Extrapolation
// section): its fit on all the points (the exponent column) and its held-out score.
typedef struct {
    char name[32];              // as asked ("frontier" is power on the frontier's points)
    FitOptions o;
    int ok;                     // 0: refused, reason says why
    char reason[512];
    FitResult full;             // on every point
    Holdout h;                  // without the K largest values of the split axis
} HoldoutEntry;

// Fits e->o.law on p (all points, then without the k largest values of `split`); 0, or −1 with
// e->reason (and jp_error()) saying why: the law is then listed as refused, never fatal.
int holdout_entry_run(HoldoutEntry *e, const Points *p, Axis4 split, int k);
void holdout_entry_free(HoldoutEntry *e);

// order[n]: the entries fitted, by held-out RMSE in log loss (lowest first; ties by the mean
// relative error), then the refused ones in the order given.
void holdout_rank(const HoldoutEntry *e, int n, int *order);

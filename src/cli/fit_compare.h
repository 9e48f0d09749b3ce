// jackpot fit --law a,b,c: laws compared by how well they extrapolate. Each is fitted on all but
// the points at the K largest distinct values of the split axis (--x, params by default: one
// held-out set for every law; "frontier" is power on the compute frontier's points, held out on
// flops, the only axis it has) and ranked by its RMSE in log loss there (fit/holdout.h).
// The record (--json, and the fits table under law "holdout") and the table.
#pragma once
#include <stdio.h>

#include "fit/analysis.h"
#include "fit/holdout.h"

enum { COMPARE_MAX_LAWS = 8 };

typedef struct {
    int n, k;
    Axis4 split;
    HoldoutEntry e[COMPARE_MAX_LAWS];
    Axis4 split_of[COMPARE_MAX_LAWS];   // each entry's split axis (flops for frontier)
    int order[COMPARE_MAX_LAWS];        // holdout_rank
    const Points *points;               // what was fitted
    Points frontier;                    // the envelope, when "frontier" is in the list
    int have_frontier;
} FitComparison;

// Fits every law of names[n] (law_find names, or "frontier") with base's δ, resamples and seed.
void fit_compare_run(const char *const *names, int n, const FitOptions *base, Axis4 split, int k, const Points *p,
                     FitComparison *c);
void fit_compare_free(FitComparison *c);

void fit_compare_json(FILE *f, const FitComparison *c, const GroupCheck *g);
void fit_compare_table(FILE *o, const FitComparison *c, const GroupCheck *g);

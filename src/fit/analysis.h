// What `jackpot fit` reports around a fitted law, as structs for the command to print:
// the check that the groups of runs behind the points differ only in the law's axes, the
// held-out check, a prediction with its bootstrap interval, the warnings on what the data
// cannot determine, and for chinchilla the budget planner's answers and whether α and β can
// be told apart. The fit itself is fit_law (fit/fit.h); IsoFLOP is isoflop_fit.
#pragma once
#include <stddef.h>

#include "fit/budget.h"
#include "fit/fit.h"
#include "fit/holdout.h"

// The fields of the runs' params a law may vary (GROUP_AXIS_* of store/groups.h), and their
// words for messages in text[len]: law NULL is the IsoFLOP analysis ("params and the budget");
// a two-input law varies params and data, the data-constrained law (three inputs) params, data
// and the budget (the passes over the data); a one-input law its axis x (params: the model's
// shape, data: the training-set size, steps: the budget, flops: all three).
int fit_group_axes(const Law *law, Axis4 x, char *text, size_t len);

// Groups of runs (equal but for their seeds) must differ only in the law's axes: runs of two
// learning rates at one size are not seeds of one point.
typedef struct {
    int n_groups;       // the groups compared; 0 when not checked (points without groups, or one cluster)
    char *refused;      // a field differs between groups at equal axis values and that was not
                        // allowed: why, and the --where that selects one (the fit must not go on)
    char *warning;      // the same when allowed: what was pooled
    char *covary;       // fields that only change with the axes (set per size), which the law absorbs
} GroupCheck;           // each text NULL when there is nothing to say

// Reads the params of each group behind p from the database at db and compares them.
// 0 (whatever the verdict), or −1 with jp_error() when they cannot be read.
int fit_check_groups(const char *db, const Points *p, int axes, const char *axes_text, int allow_mixed, GroupCheck *g);
void group_check_free(GroupCheck *g);

// The inputs of o->law: one axis x, (params, data) for a two-input law, (params, unique, epochs)
// for a three-input one.
void fit_options_axes(FitOptions *o, Axis4 x);

// The predicted loss at x[law->n_x] and its bootstrap 95% percentile interval (NaN without resamples).
typedef struct {
    int n_x;                 // 0: no prediction asked
    double x[3];
    double loss, lo, hi;
} FitPrediction;
void fit_prediction(const Law *law, const FitResult *r, const double *x, FitPrediction *pr);

// What to ask of the fit besides its parameters.
typedef struct {
    const double *predict;   // [law->n_x] where to predict, or NULL
    double budget;           // chinchilla: the best N, D for this budget (NaN: not asked)
    double target;           // chinchilla: the cheapest N, D reaching this loss (NaN: not asked)
    Costs costs;
    double unique;           // data-constrained: the unique examples available (0 or NaN: fresh data)
    int holdout_top;         // the held-out check holds out the K largest values of axes[0] (0: 1)
} FitQuestions;

typedef struct {
    FitOptions o;
    FitResult r;
    int have_heldout;
    Holdout holdout;             // the held-out check: without the K largest values of axes[0]
    HeldOut heldout;             // its largest held-out value (K = 1: the whole check)
    char heldout_refused[512];   // why not, when !have_heldout
    FitPrediction prediction;
    char *e_warning;             // E far below every observed loss: no floor in the data, E undetermined
    char *clusters_warning;      // no more clusters than parameters: the intervals show only the seeds' spread
    int has_budget, has_target;  // chinchilla or data-constrained, and asked
    BudgetAnswer best, cheapest;
    BudgetCurvePoint curve[BUDGET_CURVE];   // chinchilla: the best loss for budgets around q->budget
    int alpha_beta;              // chinchilla: 1 when the 95% intervals of α and β are apart, 0 when they
                                 // overlap, −1 when there are none (no bootstrap): unknown, not "apart"
} LawAnalysis;

// True for the laws with a data limit (law_datacon, law_datacon_d): their planner takes --unique.
int law_has_data_limit(const Law *law);

// Fits o->law on p (fit_law) and answers q. 0, or −1 with jp_error() when the fit fails.
int law_analysis_run(const FitOptions *o, const Points *p, const FitQuestions *q, LawAnalysis *a);
void law_analysis_free(LawAnalysis *a);

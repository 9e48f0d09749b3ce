// IsoFLOP profiles (Hoffmann et al. 2022, approach 2): points are grouped into
// compute budgets (C within 5% of each other); in each budget the loss is fitted
// as a parabola in log N, whose minimum is N_opt(C), with D_opt = C/(6 N_opt). A
// budget needs at least 3 distinct sizes, positive curvature and its vertex strictly
// inside the sizes tried, else it is refused with the reason. log N_opt is then
// regressed on log C: N_opt ∝ C^a and D_opt ∝ C^(1−a), with bootstrap intervals
// (points resampled within budgets). The whole analysis is refused, with the reason,
// unless at least ISOFLOP_MIN_BUDGETS budgets have a vertex, they span at least
// ISOFLOP_MIN_SPAN in C, and (bootstrapped) the interval of a is narrower than
// ISOFLOP_MAX_INTERVAL. `jackpot fit --law isoflop` and the report both call this on
// points_from_store's points with the same metric: one code path, one verdict.
#pragma once
#include <stdint.h>

#include "fit/points.h"

typedef struct {
    double C;                 // the budget (mean C of its points)
    int n_points, n_sizes, ok;
    char reason[160];         // why it was refused
    double c0, c1, c2;        // loss = c0 + c1·ln N + c2·(ln N)²
    double N_opt, D_opt, L_opt;
} IsoBudget;

typedef struct {
    int n_budgets, n_ok;
    IsoBudget *budgets;
    double n_exp, n_lo, n_hi;   // N_opt ∝ C^n_exp
    double d_exp, d_lo, d_hi;   // D_opt ∝ C^d_exp
    double n_coef;              // N_opt = n_coef · C^n_exp
} IsoResult;

#define ISOFLOP_MIN_BUDGETS 3     // two optima always lie on a line: a third tests it
#define ISOFLOP_MIN_SPAN 10.0     // C_max/C_min: below a decade the slope is mostly noise
#define ISOFLOP_BUDGET_WIDTH 0.05 // points within this much of log C are one budget; the span is checked to
                                  // the same tolerance (runs trained to a budget stop a little short of it)
#define ISOFLOP_MAX_INTERVAL 0.5  // a wider 95% interval cannot tell N_opt ∝ C^0.25 from C^0.75

// What the points of a metric are, for captions: "final evaluations of runs trained to each
// budget (Chinchilla's approach 2)" for a summary, "intermediate evaluations …" for eval:*.
const char *isoflop_points_kind(const char *metric);

int isoflop_fit(const Points *p, int n_boot, uint64_t seed, IsoResult *r);
void isoflop_free(IsoResult *r);

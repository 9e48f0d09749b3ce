// IsoFLOP profiles (Hoffmann et al. 2022, approach 2): points are grouped into
// compute budgets (C within 5% of each other); in each budget the loss is fitted
// as a parabola in log N, whose minimum is N_opt(C), with D_opt = C/(6 N_opt). A
// budget needs at least 3 distinct sizes and positive curvature, else it is
// refused with the reason. log N_opt is then regressed on log C: N_opt ∝ C^a and
// D_opt ∝ C^(1−a), with bootstrap intervals (points resampled within budgets).
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

int isoflop_fit(const Points *p, int n_boot, uint64_t seed, IsoResult *r, char *err, size_t errlen);
void isoflop_free(IsoResult *r);

// The budget planner ("how clever is it worth being"): with a fitted
// L(N, D) = E + A/N^α + B/D^β and costs
//     cost(N, D) = c_flop · 6ND + c_data · D + c_param · N + c_fixed
// (c_param: e.g. the inference cost of a parameter over the model's life), find
//   (i)  the N, D with the lowest loss for a budget, and
//   (ii) the cheapest N, D that reach a target loss.
// Both search log N on a fine grid then refine by golden section; D follows from
// N (the budget constraint, or the target). Costs are in any one unit.
#pragma once

#include "fit/laws.h"

typedef struct { double flop, data, param, fixed; } Costs;

// For θ of the chinchilla law. Return 0, or −1 when no (N, D) is feasible.
int budget_best(const double *theta, const Costs *c, double budget, double *N, double *D, double *loss);
int budget_cheapest(const double *theta, const Costs *c, double target, double *N, double *D, double *cost);

// A question of either kind: budget_best or budget_cheapest.
typedef int (*BudgetQuestion)(const double *theta, const Costs *c, double arg, double *N, double *D, double *value);

typedef struct { double estimate, lo, hi; } BudgetEstimate;   // lo, hi: a 95% percentile interval

// A question asked of a fit and of each of its bootstrap fits.
typedef struct {
    double arg;                  // the budget, or the target loss
    int reachable;               // the fit has an answer (else every estimate is NaN)
    int boot_reachable;          // bootstrap fits with an answer; intervals need 2 (else NaN)
    BudgetEstimate N, D, value;  // value: the loss (budget_best) or the cost (budget_cheapest)
    double unique;               // the data limit U (INFINITY: fresh data; NaN: chinchilla's planner)
    BudgetEstimate epochs;       // D/U with a data limit, else NaN
} BudgetAnswer;

// q at arg for theta[5] and for each of boot_theta[n_boot][5].
void budget_answer(BudgetQuestion q, const double *theta, const double *boot_theta, int n_boot, const Costs *c,
                   double arg, BudgetAnswer *a);

// The best loss for budgets around one: budget·10^(i/2) for i = −6..6 (three decades either side).
#define BUDGET_CURVE 13
typedef struct { double budget, N, D, loss; } BudgetCurvePoint;   // N, D, loss NaN where infeasible
void budget_curve(const double *theta, const Costs *c, double budget, BudgetCurvePoint curve[BUDGET_CURVE]);

// With a data limit (the data-constrained law, fit/law_datacon.c): U unique examples exist
// (INFINITY: every example is fresh, R = 0); a model of N parameters sees D examples, D/U
// epochs of them (D < U: fewer than U, once). Data is bought once and repeats cost only compute:
//     cost(N, D) = c_flop·6ND + c_data·min(D, U) + c_param·N + c_fixed
// so with data dear the planner repeats it rather than buy more. Epochs run to at most
// BUDGET_MAX_EPOCHS (the law's effective data has long stopped growing there).
#define BUDGET_MAX_EPOCHS 1e6
typedef struct { const Law *law; double unique; } DataLimit;
int budget_best_limited(const DataLimit *l, const double *theta, const Costs *c, double budget, double *N, double *D,
                        double *loss);
int budget_cheapest_limited(const DataLimit *l, const double *theta, const Costs *c, double target, double *N,
                            double *D, double *cost);
// As budget_answer for the question budget_best_limited (cheapest = 0) or budget_cheapest_limited
// (1), θ and boot_theta[n_boot][l->law->n_theta] of l->law; fills epochs.
void budget_answer_limited(int cheapest, const DataLimit *l, const double *theta, const double *boot_theta, int n_boot,
                           const Costs *c, double arg, BudgetAnswer *a);

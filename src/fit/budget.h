// The budget planner ("how clever is it worth being"): with a fitted
// L(N, D) = E + A/N^α + B/D^β and costs
//     cost(N, D) = c_flop · 6ND + c_data · D + c_param · N + c_fixed
// (c_param: e.g. the inference cost of a parameter over the model's life), find
//   (i)  the N, D with the lowest loss for a budget, and
//   (ii) the cheapest N, D that reach a target loss.
// Both search log N on a fine grid then refine by golden section; D follows from
// N (the budget constraint, or the target). Costs are in any one unit.
#pragma once

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
} BudgetAnswer;

// q at arg for theta[5] and for each of boot_theta[n_boot][5].
void budget_answer(BudgetQuestion q, const double *theta, const double *boot_theta, int n_boot, const Costs *c,
                   double arg, BudgetAnswer *a);

// The best loss for budgets around one: budget·10^(i/2) for i = −6..6 (three decades either side).
#define BUDGET_CURVE 13
typedef struct { double budget, N, D, loss; } BudgetCurvePoint;   // N, D, loss NaN where infeasible
void budget_curve(const double *theta, const Costs *c, double budget, BudgetCurvePoint curve[BUDGET_CURVE]);

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

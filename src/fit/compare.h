// The worth of an idea in compute: two arms (A, the baseline; B, the idea) each fitted with a law
// of loss against a resource x (training FLOPs on the compute frontier by default), and the
// resource-equivalent multiplier of B over A at each x:
//     k(x) = x_A(L_B(x)) / x,   x_A(L) the x at which A's law reaches loss L,
// the factor by which A's resource must grow to match what B reaches at x. k > 1: B is worth
// k× the resource at x. With a cost (B's unit of x costs `cost_b` times A's), the net multiplier
// compares equal spend: k_net(x) = x_A(L_B(x / cost_b)) / x.
//
// Intervals: each arm has its own cluster bootstrap (fit/fit.h); resample b of A pairs with
// resample b of B, and every quantity is computed per pair: 95% percentile intervals. Where B
// reaches a loss A never does (below A's floor E), k is +∞.
#pragma once
#include <stdint.h>

#include "fit/fit.h"

typedef enum { COMPARE_POWER, COMPARE_CHINCHILLA } CompareKind;

typedef struct {
    CompareKind kind;       // power: L = E + A·x^−α on axis; chinchilla: L(N, D) along its compute-optimal
                            // frontier, x = C = 6ND (budget_best), inverted by budget_cheapest
    Axis4 axis;             // power's axis (AXIS_C for the compute frontier)
    int n_boot;             // resamples per arm (0: no intervals)
    uint64_t seed;
    double delta;           // Huber δ
    double cost_b;          // B's cost per unit of x relative to A's (1: equal)
} CompareOptions;

#define COMPARE_GRID 33     // budgets on the grid, log-spaced over the range both arms cover

typedef struct { double v, lo, hi; } CompareValue;   // an estimate and its 95% interval (NaN: none)

typedef struct {
    FitResult fit[2];               // A, B (fit_result_free each; compare_free does)
    double x_lo, x_hi;              // the range both arms' data cover
    int n;                          // grid points
    double x[COMPARE_GRID];
    double loss_a[COMPARE_GRID], loss_b[COMPARE_GRID];   // each law's loss at x
    CompareValue k[COMPARE_GRID], k_net[COMPARE_GRID];   // k_net: NaN v when cost_b is 1
    CompareValue trend;             // d log k / d log x over the grid, least squares: > 0 the gain grows
    const char *trend_verdict;      // "grows with x", "shrinks with x", "constant within the interval"
    int crosses;                    // k = 1 within the data's range at the estimate
    CompareValue cross;             // where k = 1 (within the range, or up to 10^6 × beyond it); v NaN: none
    int cross_beyond;               // 1: the crossing found lies beyond the data (an extrapolation)
    double cross_share;             // share of resample pairs with a crossing in the searched range
} Comparison;

// Fits both arms' points (a, b) and compares them. 0, or −1 with jp_error() naming the arm at fault.
int compare_arms(const CompareOptions *o, const Points *a, const Points *b, Comparison *r);
void compare_free(Comparison *r);

// One arm's loss at x, and the x at which it reaches loss (+∞ when never): exposed for tests and figures.
double compare_loss_at(const CompareOptions *o, const double *theta, double x);
double compare_x_for(const CompareOptions *o, const double *theta, double loss);

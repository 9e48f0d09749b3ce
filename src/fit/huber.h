// The fit's objective, Σ_i w_i·Huber_δ(log L̂(θ, x_i) − y_i)/δ, evaluated per
// distinct x instead of per point. Points that share x (the seeds of one size)
// share the prediction μ, and for the y of one x sorted ascending the sum splits
// into three runs found by binary search: y < μ−δ (linear, r > δ), |μ−y| ≤ δ
// (quadratic) and y > μ+δ (linear, r < −δ), each a closed form in prefix sums of
// w, w·y and w·y². So an evaluation costs O(G log m) for G distinct x with m
// points each, and exactly the same value as the sum over points (up to
// rounding: y is centred per x to keep the quadratic part's cancellation small).
#pragma once
#include <math.h>

#include "fit/laws.h"

typedef struct {
    int n, n_x, G;        // points, inputs per point, groups
    double *logx;         // [G][n_x]
    double *center;       // [G] mean y of the group, subtracted from its y
    int *start;           // [G+1] group g holds sorted entries start[g]..start[g+1)−1
    int *gcl;             // [G] the cluster of each group (groups split by cluster), or NULL
    double *y;            // [n] centred y, ascending within each group
    int *cl;              // [n] the cluster of each sorted entry
} HuberData;

// Prefix sums for one weighting: group g's sums occupy [start[g] + g, start[g+1] + g]
// (a leading 0 each), so n + G + 1 entries per array.
typedef struct { double *w, *wy, *wy2; } HuberPrefix;

// From n points: logx [n][n_x], logy [n], cluster [n] (ids 0..). Groups are the
// points of equal x, or with split_clusters of equal (x, cluster): then every
// point of a group has its cluster's bootstrap weight, which huber_objective's
// scale applies per group without new prefix sums.
void huber_build(HuberData *d, int n, int n_x, const double *logx, const double *logy, const int *cluster,
                int split_clusters);
void huber_free(HuberData *d);

// Prefix sums for weights by cluster wc [clusters] (NULL: all 1).
void huber_prefix_alloc(const HuberData *d, HuberPrefix *p);
void huber_prefix_set(const HuberData *d, const double *wc, HuberPrefix *p);
void huber_prefix_free(HuberPrefix *p);

// Σ w·Huber_δ(r)/δ at θ, and its gradient grad[n_theta] (may be NULL). scale [clusters]
// (NULL: 1) multiplies each group by its cluster's weight (needs split_clusters).
// hint [2G] (may be NULL; zeroed at first) keeps where each group's runs began last
// time: successive evaluations move μ little, so the search starts there rather
// than over the whole group (whose y for 10^4 seeds would miss the cache each step).
double huber_objective(const HuberData *d, const HuberPrefix *p, const double *scale, int *hint, const Law *L,
                       const double *theta, double delta, double *grad);

// Group G's Σ w·Huber_δ(μ − y) at its prediction μ (log L̂ − the group's centre; the
// objective divides it by δ), and its derivative in μ into *dh: from the runs of its sorted y, or for a group
// of one point (distinct x, the common case) directly. hint: as above (may be NULL).
double huber_group(const HuberData *d, const HuberPrefix *p, int G, double mu, double delta, int *hint,
                   double *dh);

// w·Huber_δ(r) of one point: r²/2 within δ, δ·(|r| − δ/2) beyond.
static inline double huber_point(double w, double r, double delta) {
    double a = fabs(r);
    return a <= delta ? 0.5 * w * r * r : w * delta * (a - delta / 2);
}

// Distributions across seeds: summary statistics with bootstrap intervals, tail
// indices, a normality test, the expected best of k, and the init/data variance
// split. Plain double arrays in, no store or training header needed.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define DESCRIBE_STATS 13
// mean, std, cv, min, q05, q25, median, q75, q95, max, iqr, skewness, excess kurtosis
extern const char *const describe_names[DESCRIBE_STATS];

typedef struct {
    int n;
    double v[DESCRIBE_STATS], lo[DESCRIBE_STATS], hi[DESCRIBE_STATS];   // estimate and 95% bootstrap interval
} Describe;

// Below this many values a sample says too little about its shape: no skewness or
// kurtosis interval, and no Anderson–Darling p (D'Agostino & Stephens's formula is
// fitted for n ≥ 8).
#define DESCRIBE_SHAPE_MIN_N 8

// Sample statistics (std with n − 1; skewness and kurtosis as GSL defines them)
// and percentile-bootstrap intervals from n_boot resamples (0: none, intervals NaN;
// skewness and kurtosis intervals NaN below DESCRIBE_SHAPE_MIN_N values).
// Returns 0, or −1 (jp_error() says why) below 3 values, with a non-finite value, or no spread.
int describe(const double *x, int n, int n_boot, uint64_t seed, Describe *d);

// Bootstrap resamples that come out sorted without a sort. Value i of resample b is
// x[rng_below(seed, stream, b·n + i, n)], as every bootstrap here draws it; each draw is counted at
// its rank among x and the counts are written out in rank order: O(n) a resample, where sorting
// the draws was O(n log n) (most of `jackpot dist` on large groups), and the same sorted values.
typedef struct { int n; double *sorted; int *rank, *count; } Resampler;
void resampler_init(Resampler *r, const double *x, int n);
void resampler_draw(Resampler *r, uint64_t seed, uint64_t stream, uint64_t b, double *out);   // out[n] ascending
void resampler_free(Resampler *r);

// 2.5% and 97.5% quantiles of v[n] (reordered in place; the values GSL's quantile of
// the sorted data gives, found by selection in O(n)): a 95% percentile interval.
void percentile_interval(double *v, int n, double *lo, double *hi);

// Hill's estimator of the tail index α from the k largest of y[n] (y > 0):
// α̂ = 1 / mean(log y_(i) / y_(k+1)), i = 1..k. NaN if k < 2 or k ≥ n.
double hill_alpha(const double *y, int n, int k);
double hill_alpha_sorted(const double *y, int n, int k);   // y ascending

// Anderson–Darling test of normality with mean and variance estimated:
// A*² = A²·(1 + 0.75/n + 2.25/n²) and its p-value (D'Agostino & Stephens 1986).
// The normal tail probabilities are taken in log space (log erfc), so that one far
// outlier among thousands gives a large finite A*², not inf. The p-value is NaN
// when n < DESCRIBE_SHAPE_MIN_N or A*² is not finite (constant or non-finite data);
// for A*² ≥ 10, past the range the formula was fitted on (its quadratic turns back
// up at 153 and reaches p = 1 again), p is AD_P_FLOOR, an upper bound, as nortest's
// ad.test reports it.
#define AD_P_FLOOR 3.7e-24
double anderson_darling(const double *x, int n, double *p_value);
// The p-value of a given A*² from n values, as anderson_darling computes it.
double anderson_darling_p(double A, int n);

// The verdict of the test, one code path for every caller: "not normal (Anderson–
// Darling A*² = 328, p < 3.7e-24)", "consistent with normal (…, p = 0.41)", or, with
// no p-value, "no normality test (…: n = 5 is below 8)". A non-finite statistic is
// never "consistent". Returns 1 for not normal, 0 for consistent, −1 for no test.
int normality_verdict(double A, double p, int n, char *out, size_t len);

// The p-value as text: "0.0123", "< 3.7e-24" at the floor, "–" when there is none.
void ad_p_text(double p, char *out, size_t len);

// What a 95% interval [lo, hi] of a slope k in spread ∝ N^k says against the two
// reference slopes 0 (flat) and −1/2 (the 1/√N of averaging): which it excludes
// and which it includes, all four cases. "" when the interval is not finite.
const char *spread_slope_verdict(double lo, double hi);

// Unbiased expected minimum of k draws from the n observed values:
// E[min of k] = Σ_i x_(i) C(n−i, k−1) / C(n, k), x ascending, i = 1..n.
double expected_best_of_k(const double *x, int n, int k);
double expected_best_of_k_sorted(const double *x, int n, int k);   // x ascending
// The same in two parts, for many resamples of one n and k: w[i] = C(n−1−i, k−1)/C(n, k), the
// weight of the (i+1)-th smallest (returns their count, n − k + 1; w has room for n), and the sum.
int best_of_k_weights(int n, int k, double *w);
double best_of_k_weighted(const double *x, const double *w, int n_w);

// The crossed seed grid of one group: the distinct init seeds (I of them) and data
// seeds (J), and cell[r] = i·J + j of run r. Returns 0 when every (init, data) pair
// occurs exactly once (the balanced design variance_two_way needs; the unbalanced
// model is not fitted); 1 when the seeds are not crossed at all (fewer than two of
// either, or unknown: no split to give); −1 when they are crossed but a pair is
// missing or repeated. reason says why for 1 and −1. cell[n] is the caller's.
int seed_grid(const int64_t *init, const int64_t *data, int n, int *I, int *J, int *cell, char *reason, size_t len);

// Two-way random effects with one run per (init, data) cell, y[i·J + j]:
// y = μ + a_i + b_j + e_ij, σ²_init = (MS_A − MS_E)/J, σ²_data = (MS_B − MS_E)/I,
// σ²_interaction+residual = MS_E (negative estimates truncated at 0).
void variance_two_way(const double *y, int I, int J, double *var_init, double *var_data, double *var_rest);

// Mean and sample standard deviation (n − 1) of the finite values of v[n], skipping NaN (absent
// measurements); NaN when there are none (mean) or fewer than two (sd).
double mean_finite(const double *v, int n);
double sd_finite(const double *v, int n);

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

// Sample statistics (std with n − 1; skewness and kurtosis as GSL defines them)
// and percentile-bootstrap intervals from n_boot resamples (0: none, intervals NaN).
int describe(const double *x, int n, int n_boot, uint64_t seed, Describe *d, char *err, size_t errlen);

// 2.5% and 97.5% quantiles of v[n] (sorted in place): a 95% percentile interval.
void percentile_interval(double *v, int n, double *lo, double *hi);

// Hill's estimator of the tail index α from the k largest of y[n] (y > 0):
// α̂ = 1 / mean(log y_(i) / y_(k+1)), i = 1..k. NaN if k < 2 or k ≥ n.
double hill_alpha(const double *y, int n, int k);

// Anderson–Darling test of normality with mean and variance estimated:
// A*² = A²·(1 + 0.75/n + 2.25/n²) and its p-value (D'Agostino & Stephens 1986).
double anderson_darling(const double *x, int n, double *p_value);

// Unbiased expected minimum of k draws from the n observed values:
// E[min of k] = Σ_i x_(i) C(n−i, k−1) / C(n, k), x ascending, i = 1..n.
double expected_best_of_k(const double *x, int n, int k);

// Two-way random effects with one run per (init, data) cell, y[i·J + j]:
// y = μ + a_i + b_j + e_ij, σ²_init = (MS_A − MS_E)/J, σ²_data = (MS_B − MS_E)/I,
// σ²_interaction+residual = MS_E (negative estimates truncated at 0).
void variance_two_way(const double *y, int I, int J, double *var_init, double *var_data, double *var_rest);

// Mean and sample standard deviation (n − 1) of the finite values of v[n], skipping NaN (absent
// measurements); NaN when there are none (mean) or fewer than two (sd).
double mean_finite(const double *v, int n);
double sd_finite(const double *v, int n);

#include "stats/describe.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"

#define RNG_STREAM_DESCRIBE 111

const char *const describe_names[DESCRIBE_STATS] = {
    "mean", "std", "cv", "min", "q05", "q25", "median", "q75", "q95", "max", "iqr", "skewness", "excess_kurtosis",
};

static void stats_of(double *x, int n, double *v) {   // sorts x
    gsl_sort(x, 1, n);
    double m = gsl_stats_mean(x, 1, n), s = n > 1 ? gsl_stats_sd_m(x, 1, n, m) : NAN;
    static const double q[] = { 0.05, 0.25, 0.5, 0.75, 0.95 };
    v[0] = m;
    v[1] = s;
    v[2] = s / fabs(m);
    v[3] = x[0];
    for (int k = 0; k < 5; k++) v[4 + k] = gsl_stats_quantile_from_sorted_data(x, 1, n, q[k]);
    v[9] = x[n - 1];
    v[10] = v[7] - v[5];
    v[11] = s > 0 ? gsl_stats_skew_m_sd(x, 1, n, m, s) : NAN;
    v[12] = s > 0 ? gsl_stats_kurtosis_m_sd(x, 1, n, m, s) : NAN;
}

void percentile_interval(double *v, int n, double *lo, double *hi) {
    gsl_sort(v, 1, n);
    *lo = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.025);
    *hi = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.975);
}

int describe(const double *x, int n, int n_boot, uint64_t seed, Describe *d, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    d->n = n;
    if (n < 3) { snprintf(err, errlen, "%d value%s: at least 3 are needed for a spread", n, n == 1 ? "" : "s"); return -1; }
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i])) { snprintf(err, errlen, "value %d is %g: every value must be finite", i + 1, x[i]); return -1; }
    double *s = malloc(sizeof(double) * n);
    memcpy(s, x, sizeof(double) * n);
    stats_of(s, n, d->v);
    if (d->v[1] == 0) { snprintf(err, errlen, "all %d values are equal (%g): there is no spread to describe", n, x[0]); free(s); return -1; }
    for (int j = 0; j < DESCRIBE_STATS; j++) d->lo[j] = d->hi[j] = NAN;
    if (n_boot > 0) {
        double *all = malloc(sizeof(double) * n_boot * DESCRIBE_STATS), *col = malloc(sizeof(double) * n_boot);
        for (int b = 0; b < n_boot; b++) {
            for (int i = 0; i < n; i++) s[i] = x[rng_below(seed, RNG_STREAM_DESCRIBE, (uint64_t)b * n + i, (uint32_t)n)];
            stats_of(s, n, all + (size_t)b * DESCRIBE_STATS);
        }
        for (int j = 0; j < DESCRIBE_STATS; j++) {
            int m = 0;
            for (int b = 0; b < n_boot; b++) {
                double v = all[(size_t)b * DESCRIBE_STATS + j];
                if (isfinite(v)) col[m++] = v;
            }
            if (m > 1) percentile_interval(col, m, &d->lo[j], &d->hi[j]);
        }
        free(all);
        free(col);
    }
    free(s);
    return 0;
}

double hill_alpha(const double *y, int n, int k) {
    if (k < 2 || k >= n) return NAN;
    double *s = malloc(sizeof(double) * n);
    memcpy(s, y, sizeof(double) * n);
    gsl_sort(s, 1, n);   // ascending: the k largest are s[n−k..n−1], the threshold s[n−k−1]
    double thr = s[n - k - 1], sum = 0;
    for (int i = n - k; i < n; i++) sum += log(s[i] / thr);
    free(s);
    return thr > 0 && sum > 0 ? k / sum : NAN;
}

double anderson_darling(const double *x, int n, double *p_value) {
    double *s = malloc(sizeof(double) * n);
    memcpy(s, x, sizeof(double) * n);
    gsl_sort(s, 1, n);
    double m = gsl_stats_mean(s, 1, n), sd = gsl_stats_sd_m(s, 1, n, m), a = 0;
    for (int i = 0; i < n; i++) {
        double zi = (s[i] - m) / sd, zj = (s[n - 1 - i] - m) / sd;
        double lp = log(gsl_cdf_ugaussian_P(zi)), lq = log(gsl_cdf_ugaussian_Q(zj));
        a += (2.0 * i + 1) * (lp + lq);
    }
    free(s);
    double A2 = -n - a / n, A = A2 * (1 + 0.75 / n + 2.25 / ((double)n * n)), p;
    if (A >= 0.6) p = exp(1.2937 - 5.709 * A + 0.0186 * A * A);
    else if (A >= 0.34) p = exp(0.9177 - 4.279 * A - 1.38 * A * A);
    else if (A >= 0.2) p = 1 - exp(-8.318 + 42.796 * A - 59.938 * A * A);
    else p = 1 - exp(-13.436 + 101.14 * A - 223.73 * A * A);
    *p_value = p < 0 ? 0 : p > 1 ? 1 : p;
    return A;
}

double expected_best_of_k(const double *x, int n, int k) {
    if (k < 1 || k > n) return NAN;
    double *s = malloc(sizeof(double) * n);
    memcpy(s, x, sizeof(double) * n);
    gsl_sort(s, 1, n);
    double e = 0, lc = gsl_sf_lnchoose((unsigned)n, (unsigned)k);
    for (int i = 1; i <= n - k + 1; i++)   // C(n−i, k−1) is zero beyond n − k + 1
        e += s[i - 1] * exp(gsl_sf_lnchoose((unsigned)(n - i), (unsigned)(k - 1)) - lc);
    free(s);
    return e;
}

void variance_two_way(const double *y, int I, int J, double *var_init, double *var_data, double *var_rest) {
    double grand = 0, *ri = calloc(I, sizeof(double)), *cj = calloc(J, sizeof(double));
    for (int i = 0; i < I; i++)
        for (int j = 0; j < J; j++) { double v = y[i * J + j]; grand += v; ri[i] += v; cj[j] += v; }
    grand /= I * J;
    double ssa = 0, ssb = 0, sse = 0;
    for (int i = 0; i < I; i++) ssa += J * pow(ri[i] / J - grand, 2);
    for (int j = 0; j < J; j++) ssb += I * pow(cj[j] / I - grand, 2);
    for (int i = 0; i < I; i++)
        for (int j = 0; j < J; j++) sse += pow(y[i * J + j] - ri[i] / J - cj[j] / I + grand, 2);
    double msa = ssa / (I - 1), msb = ssb / (J - 1), mse = sse / ((double)(I - 1) * (J - 1));
    *var_init = fmax(0, (msa - mse) / J);
    *var_data = fmax(0, (msb - mse) / I);
    *var_rest = mse;
    free(ri);
    free(cj);
}

double mean_finite(const double *v, int n) {
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) { s += v[i]; k++; }
    return k ? s / k : NAN;
}

double sd_finite(const double *v, int n) {
    double m = mean_finite(v, n), s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) { s += (v[i] - m) * (v[i] - m); k++; }
    return k > 1 ? sqrt(s / (k - 1)) : NAN;
}

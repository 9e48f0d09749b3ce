#include "stats/describe.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "base/rng.h"
#include "stats/sort.h"


const char *const describe_names[DESCRIBE_STATS] = {
    "mean", "std", "cv", "min", "q05", "q25", "median", "q75", "q95", "max", "iqr", "skewness", "excess_kurtosis",
};

static void stats_of_sorted(const double *x, int n, double *v) {
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

static void stats_of(double *x, int n, double *v) {   // sorts x
    sort_doubles(x, n);
    stats_of_sorted(x, n, v);
}

static int by_value(const void *a, const void *b, void *x) {
    double u = ((const double *)x)[*(const int *)a], v = ((const double *)x)[*(const int *)b];
    return (u > v) - (u < v);
}

void resampler_init(Resampler *r, const double *x, int n) {
    *r = (Resampler){ .n = n, .sorted = xmalloc(sizeof(double) * (n ? n : 1)),
                      .rank = xmalloc(sizeof(int) * (n ? n : 1)), .count = xmalloc(sizeof(int) * (n ? n : 1)) };
    int *order = r->count;   // scratch until the first draw
    for (int i = 0; i < n; i++) order[i] = i;
    qsort_r(order, n, sizeof(int), by_value, (void *)x);
    for (int j = 0; j < n; j++) { r->sorted[j] = x[order[j]]; r->rank[order[j]] = j; }
}

void resampler_draw(Resampler *r, uint64_t seed, uint64_t stream, uint64_t b, double *out) {
    int n = r->n;
    memset(r->count, 0, sizeof(int) * n);
    for (int i = 0; i < n; i++) r->count[r->rank[rng_below(seed, stream, b * n + i, (uint32_t)n)]]++;
    for (int j = 0, o = 0; j < n; j++)
        for (int c = r->count[j]; c > 0; c--) out[o++] = r->sorted[j];
}

void resampler_free(Resampler *r) {
    free(r->sorted); free(r->rank); free(r->count);
    *r = (Resampler){ 0 };
}

// gsl_stats_quantile_from_sorted_data's value (linear between the order statistics
// around (n − 1)·q) without sorting: GSL's selection finds each, O(n) where a sort is
// O(n log n).
static double quantile_select(double *v, int n, double q) {
    double at = (n - 1) * q;
    int k = (int)floor(at);
    double frac = at - k, low = gsl_stats_select(v, 1, n, k);
    if (k + 1 >= n || frac == 0) return low;
    return (1 - frac) * low + frac * gsl_stats_select(v, 1, n, k + 1);
}

void percentile_interval(double *v, int n, double *lo, double *hi) {
    if (n <= 0) { *lo = *hi = NAN; return; }
    *lo = quantile_select(v, n, 0.025);
    *hi = quantile_select(v, n, 0.975);
}

int describe(const double *x, int n, int n_boot, uint64_t seed, Describe *d) {
    memset(d, 0, sizeof *d);
    d->n = n;
    if (n < 3) { jp_fail("%d value%s: at least 3 are needed for a spread", n, n == 1 ? "" : "s"); return -1; }
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i])) { jp_fail("value %d is %g: every value must be finite", i + 1, x[i]); return -1; }
    double *s = xmalloc(sizeof(double) * n);
    memcpy(s, x, sizeof(double) * n);
    stats_of(s, n, d->v);
    if (d->v[1] == 0) { jp_fail("all %d values are equal (%g): there is no spread to describe", n, x[0]); free(s); return -1; }
    for (int j = 0; j < DESCRIBE_STATS; j++) d->lo[j] = d->hi[j] = NAN;
    if (n_boot > 0) {
        double *all = xmalloc(sizeof(double) * n_boot * DESCRIBE_STATS), *col = xmalloc(sizeof(double) * n_boot);
        Resampler rs;
        resampler_init(&rs, x, n);
        for (int b = 0; b < n_boot; b++) {
            resampler_draw(&rs, seed, RNG_STREAM_DESCRIBE, (uint64_t)b, s);
            stats_of_sorted(s, n, all + (size_t)b * DESCRIBE_STATS);
        }
        resampler_free(&rs);
        for (int j = 0; j < DESCRIBE_STATS; j++) {
            int m = 0;
            for (int b = 0; b < n_boot; b++) {
                double v = all[(size_t)b * DESCRIBE_STATS + j];
                if (isfinite(v)) col[m++] = v;
            }
            if (j >= 11 && n < DESCRIBE_SHAPE_MIN_N) continue;   // skewness, kurtosis: too few values for an interval
            if (m > 1) percentile_interval(col, m, &d->lo[j], &d->hi[j]);
        }
        free(all);
        free(col);
    }
    free(s);
    return 0;
}

double hill_alpha_sorted(const double *s, int n, int k) {
    if (k < 2 || k >= n) return NAN;
    double thr = s[n - k - 1], sum = 0;   // ascending: the k largest are s[n−k..n−1], the threshold s[n−k−1]
    for (int i = n - k; i < n; i++) sum += log(s[i] / thr);
    return thr > 0 && sum > 0 ? k / sum : NAN;
}

double hill_alpha(const double *y, int n, int k) {
    if (k < 2 || k >= n) return NAN;
    double *s = xmalloc(sizeof(double) * n);
    memcpy(s, y, sizeof(double) * n);
    sort_doubles(s, n);
    double a = hill_alpha_sorted(s, n, k);
    free(s);
    return a;
}

// log Φ(z) for any z: log(erfc(−z/√2)/2), finite far into either tail where Φ or 1 − Φ underflows.
static double log_ugaussian_P(double z) { return gsl_sf_log_erfc(-z / M_SQRT2) - M_LN2; }

double anderson_darling(const double *x, int n, double *p_value) {
    *p_value = NAN;
    if (n < 3) return NAN;
    double *s = xmalloc(sizeof(double) * n);
    memcpy(s, x, sizeof(double) * n);
    sort_doubles(s, n);
    double m = gsl_stats_mean(s, 1, n), sd = gsl_stats_sd_m(s, 1, n, m), a = 0;
    for (int i = 0; i < n; i++) {
        double zi = (s[i] - m) / sd, zj = (s[n - 1 - i] - m) / sd;
        a += (2.0 * i + 1) * (log_ugaussian_P(zi) + log_ugaussian_P(-zj));   // log Φ(z_i) + log(1 − Φ(z_{n+1−i}))
    }
    free(s);
    double A2 = -n - a / n, A = A2 * (1 + 0.75 / n + 2.25 / ((double)n * n));
    *p_value = anderson_darling_p(A, n);
    return A;
}

double anderson_darling_p(double A, int n) {
    if (!isfinite(A) || n < DESCRIBE_SHAPE_MIN_N) return NAN;
    // D'Agostino & Stephens (1986), table 4.9
    double p;
    if (A >= 10) p = AD_P_FLOOR;   // = exp(1.2937 − 57.09 + 1.86): the formula's value at 10, kept beyond
    else if (A >= 0.6) p = exp(1.2937 - 5.709 * A + 0.0186 * A * A);
    else if (A >= 0.34) p = exp(0.9177 - 4.279 * A - 1.38 * A * A);
    else if (A >= 0.2) p = 1 - exp(-8.318 + 42.796 * A - 59.938 * A * A);
    else p = 1 - exp(-13.436 + 101.14 * A - 223.73 * A * A);
    return p < AD_P_FLOOR ? AD_P_FLOOR : p > 1 ? 1 : p;
}

void ad_p_text(double p, char *out, size_t len) {
    if (!isfinite(p)) snprintf(out, len, "–");
    else if (p <= AD_P_FLOOR) snprintf(out, len, "< %.2g", AD_P_FLOOR);
    else snprintf(out, len, "%.3g", p);
}

int normality_verdict(double A, double p, int n, char *out, size_t len) {
    char pt[32];
    ad_p_text(p, pt, sizeof pt);
    if (!isfinite(A)) {
        snprintf(out, len, "no normality test (Anderson–Darling A*² is not finite)");
        return -1;
    }
    if (!isfinite(p)) {
        snprintf(out, len, "no normality test (Anderson–Darling A*² = %.3f; n = %d is below %d, too few for a p-value)", A, n,
                 DESCRIBE_SHAPE_MIN_N);
        return -1;
    }
    int reject = p < 0.05;
    snprintf(out, len, "%s (Anderson–Darling A*² = %.3f, p %s%s)", reject ? "not normal" : "consistent with normal", A,
             p <= AD_P_FLOOR ? "" : "= ", pt);
    return reject;
}

const char *spread_slope_verdict(double lo, double hi) {
    if (!isfinite(lo) || !isfinite(hi)) return "";
    int has0 = lo <= 0 && 0 <= hi, has_half = lo <= -0.5 && -0.5 <= hi;
    if (has0 && has_half) return "not distinguishable from flat or from N^-1/2 at 95%";
    if (has0) return "not distinguishable from flat at 95%; excludes N^-1/2";
    if (has_half) return "falls with N, consistent with N^-1/2; excludes flat at 95%";
    if (hi < -0.5) return "falls faster than N^-1/2";
    if (lo > 0) return "grows with N";
    return "falls, slower than N^-1/2";   // −1/2 < lo ≤ hi < 0
}

int best_of_k_weights(int n, int k, double *w) {
    double lc = gsl_sf_lnchoose((unsigned)n, (unsigned)k);
    for (int i = 1; i <= n - k + 1; i++)   // C(n−i, k−1) is zero beyond n − k + 1
        w[i - 1] = exp(gsl_sf_lnchoose((unsigned)(n - i), (unsigned)(k - 1)) - lc);
    return n - k + 1;
}

double best_of_k_weighted(const double *s, const double *w, int n_w) {
    double e = 0;
    for (int i = 0; i < n_w; i++) e += s[i] * w[i];
    return e;
}

double expected_best_of_k_sorted(const double *s, int n, int k) {
    if (k < 1 || k > n) return NAN;
    double *w = xmalloc(sizeof(double) * n);
    double e = best_of_k_weighted(s, w, best_of_k_weights(n, k, w));
    free(w);
    return e;
}

double expected_best_of_k(const double *x, int n, int k) {
    if (k < 1 || k > n) return NAN;
    double *s = xmalloc(sizeof(double) * n);
    memcpy(s, x, sizeof(double) * n);
    sort_doubles(s, n);
    double e = expected_best_of_k_sorted(s, n, k);
    free(s);
    return e;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

// Index of v in the sorted distinct values u[k] (present by construction).
static int index_of(const int64_t *u, int k, int64_t v) {
    const int64_t *p = bsearch(&v, u, (size_t)k, sizeof *u, cmp_i64);
    return (int)(p - u);
}

// Sorts v[n] and keeps its distinct values; returns how many.
static int distinct(int64_t *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    int k = 0;
    for (int i = 0; i < n; i++) if (k == 0 || v[i] != v[k - 1]) v[k++] = v[i];
    return k;
}

int seed_grid(const int64_t *init, const int64_t *data, int n, int *I, int *J, int *cell, char *reason, size_t len) {
    int64_t *iv = xmalloc(sizeof(int64_t) * (n ? n : 1)), *dv = xmalloc(sizeof(int64_t) * (n ? n : 1));
    memcpy(iv, init, sizeof(int64_t) * n);
    memcpy(dv, data, sizeof(int64_t) * n);
    *I = distinct(iv, n);
    *J = distinct(dv, n);
    int rc = -1;
    reason[0] = 0;
    if (*I < 2 || *J < 2 || (*I > 0 && iv[0] < 0) || (*J > 0 && dv[0] < 0)) {
        rc = 1;
        snprintf(reason, len, "init and data seeds are not crossed (%d init, %d data seed%s%s)", *I, *J, *J == 1 ? "" : "s",
                 (*I > 0 && iv[0] < 0) || (*J > 0 && dv[0] < 0) ? ", some unknown" : "");
    } else if ((int64_t)*I * *J > (int64_t)4 * n + 64) {
        snprintf(reason, len, "%d init × %d data seeds but %d runs: most pairs are missing", *I, *J, n);
    } else {
        int *count = xcalloc((size_t)*I * *J, sizeof(int));
        for (int r = 0; r < n; r++) {
            cell[r] = index_of(iv, *I, init[r]) * *J + index_of(dv, *J, data[r]);
            count[cell[r]]++;
        }
        int bad = -1;
        for (int c = 0; c < *I * *J && bad < 0; c++) if (count[c] != 1) bad = c;
        if (bad < 0) rc = 0;
        else
            snprintf(reason, len, "%d init × %d data seeds, but the pair (init %lld, data %lld) %s: the split needs every pair exactly once",
                     *I, *J, (long long)iv[bad / *J], (long long)dv[bad % *J],
                     count[bad] == 0 ? "is missing" : count[bad] == 2 ? "occurs twice" : "occurs more than twice");
        free(count);
    }
    free(iv);
    free(dv);
    return rc;
}

void variance_two_way(const double *y, int I, int J, double *var_init, double *var_data, double *var_rest) {
    double grand = 0, *ri = xcalloc(I, sizeof(double)), *cj = xcalloc(J, sizeof(double));
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

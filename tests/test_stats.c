// Outcome statistics: Hill intervals covering known tail indices at a stated
// rate and as wide as the estimator's spread, the normality test's size and
// power, best-of-k against brute-force enumeration, the variance split
// recovering planted components, and clear errors on degenerate input.
#include "testutil.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "fit/fit.h"
#include "stats/describe.h"
#include "stats/samples.h"
#include "stats/slope.h"

static double pareto(double alpha, uint64_t seed, uint64_t i) { return pow(rng_uniform(seed, 9, i), -1.0 / alpha); }

// Hill on n = 1000 Pareto draws, k = √n = 31, interval from 200 bootstrap resamples;
// its width into *width.
static int hill_covers(double alpha, uint64_t seed, double *width) {
    enum { N = 1000, K = 31, B = 200 };
    static double x[N], s[N], est[B];
    for (int i = 0; i < N; i++) x[i] = pareto(alpha, seed, (uint64_t)i);
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < N; i++) s[i] = x[rng_below(seed + 1, 10, (uint64_t)b * N + i, N)];
        est[b] = hill_alpha(s, N, K);
    }
    double lo, hi;
    percentile_interval(est, B, &lo, &hi);
    *width = hi - lo;
    return lo <= alpha && alpha <= hi;
}

static void test_hill_coverage(void **state) {
    (void)state;
    const double alphas[2] = { 1.5, 3.0 };
    for (int a = 0; a < 2; a++) {
        int covered = 0, trials = 40;
        double width = 0, w;
        for (int t = 0; t < trials; t++) { covered += hill_covers(alphas[a], 1000 * (a + 1) + t, &w); width += w / trials; }
        print_message("Hill, Pareto alpha = %.1f: interval covers the truth in %d of %d trials\n", alphas[a], covered, trials);
        assert_true(covered >= 32);   // stated rate: ≥ 80% (nominal 95%; the bootstrap of Hill is known to under-cover)
        // ... and is not wide by much: for Pareto draws the k log-excesses over the (k+1)-th
        // largest are i.i.d. exponential with rate α (Rényi), so α̂/α = k / Gamma(k, 1)
        // exactly and its central 95% range is α·k·(1/q_0.025 − 1/q_0.975) with Gamma(k, 1)
        // quantiles q. The bootstrap intervals average 1.08 times that (α̂ is biased up by k/(k−1)).
        double expect = alphas[a] * 31 * (1 / gsl_cdf_gamma_Pinv(0.025, 31, 1) - 1 / gsl_cdf_gamma_Pinv(0.975, 31, 1));
        print_message("  mean interval width %.3g, %.2f times the %.3g of the estimator's own spread (allowed 0.7–1.4)\n",
                      width, width / expect, expect);
        assert_true(width / expect >= 0.7 && width / expect <= 1.4);
    }
    // point estimate on a large sample
    static double big[20000];
    for (int i = 0; i < 20000; i++) big[i] = pareto(2.0, 77, (uint64_t)i);
    assert_float_equal(hill_alpha(big, 20000, 141), 2.0, 0.35);
    assert_true(isnan(hill_alpha(big, 10, 1)));
}

static void test_normality_size_and_power(void **state) {
    (void)state;
    enum { N = 50, TRIALS = 200 };
    double x[N];
    int reject_normal = 0, reject_lognormal = 0, reject_pareto = 0;
    for (int t = 0; t < TRIALS; t++) {
        double p;
        for (int i = 0; i < N; i++) x[i] = 3 + 2 * rng_normal(500 + t, 1, (uint64_t)i);
        anderson_darling(x, N, &p);
        reject_normal += p < 0.05;
        for (int i = 0; i < N; i++) x[i] = exp(rng_normal(600 + t, 1, (uint64_t)i));
        anderson_darling(x, N, &p);
        reject_lognormal += p < 0.05;
        for (int i = 0; i < N; i++) x[i] = pareto(3.0, 700 + t, (uint64_t)i);
        anderson_darling(x, N, &p);
        reject_pareto += p < 0.05;
    }
    print_message("Anderson-Darling at 5%%, n = 50: rejects normal %d, log-normal %d, Pareto(3) %d of %d\n",
                  reject_normal, reject_lognormal, reject_pareto, TRIALS);
    assert_true(reject_normal <= 20);                // size: ≤ 10% (nominal 5%)
    assert_true(reject_lognormal >= 0.9 * TRIALS);   // power: ≥ 90%
    assert_true(reject_pareto >= 0.9 * TRIALS);
    // a textbook value: A² of a perfectly spread sample is small, p large
    for (int i = 0; i < N; i++) x[i] = gsl_cdf_ugaussian_Pinv((i + 0.5) / N);
    double p;
    anderson_darling(x, N, &p);
    assert_true(p > 0.9);
}

// Brute force: the mean of the minimum over every k-subset.
static double brute_best(const double *x, int n, int k, int start, int chosen, double cur_min, long *count) {
    if (chosen == k) { (*count)++; return cur_min; }
    double s = 0;
    for (int i = start; i <= n - (k - chosen); i++)
        s += brute_best(x, n, k, i + 1, chosen + 1, fmin(cur_min, x[i]), count);
    return s;
}

static void test_best_of_k_equals_enumeration(void **state) {
    (void)state;
    double x[12];
    for (int i = 0; i < 12; i++) x[i] = rng_normal(42, 3, (uint64_t)i);
    x[5] = x[3];   // ties are fine
    for (int k = 1; k <= 12; k++) {
        long count = 0;
        double sum = brute_best(x, 12, k, 0, 0, INFINITY, &count);
        assert_float_equal(expected_best_of_k(x, 12, k), sum / count, 1e-12);
    }
    double m = gsl_stats_mean(x, 1, 12), lo = x[0];
    for (int i = 1; i < 12; i++) lo = fmin(lo, x[i]);
    assert_float_equal(expected_best_of_k(x, 12, 1), m, 1e-12);
    assert_float_equal(expected_best_of_k(x, 12, 12), lo, 1e-12);
}

static void test_variance_split_recovers_planted(void **state) {
    (void)state;
    enum { I = 40, J = 30 };
    static double y[I * J];
    double si = 0, sd = 0, sr = 0;
    const int trials = 20;
    for (int t = 0; t < trials; t++) {
        for (int i = 0; i < I; i++)
            for (int j = 0; j < J; j++)
                y[i * J + j] = 1 + 2.0 * rng_normal(800 + t, 1, (uint64_t)i) + 1.0 * rng_normal(900 + t, 2, (uint64_t)j) +
                               0.5 * rng_normal(1000 + t, 3, (uint64_t)(i * J + j));
        double vi, vd, vr;
        variance_two_way(y, I, J, &vi, &vd, &vr);
        si += vi; sd += vd; sr += vr;
    }
    print_message("variance split, planted 4 / 1 / 0.25: mean estimates %.3f / %.3f / %.3f over %d trials\n",
                  si / trials, sd / trials, sr / trials, trials);
    assert_float_equal(si / trials, 4.0, 0.5);
    assert_float_equal(sd / trials, 1.0, 0.2);
    assert_float_equal(sr / trials, 0.25, 0.02);
}

static void test_describe_and_degenerate_input(void **state) {
    (void)state;
    double x[5] = { 1, 2, 3, 4, 10 };
    Describe d;
    assert_int_equal(describe(x, 5, 100, 1, &d), 0);
    assert_float_equal(d.v[0], 4.0, 1e-12);
    assert_float_equal(d.v[1], sqrt(12.5), 1e-12);   // sample std
    assert_float_equal(d.v[6], 3.0, 1e-12);          // median
    assert_true(d.v[11] > 0);                        // right-skewed
    assert_true(d.lo[0] <= d.v[0] && d.v[0] <= d.hi[0]);
    assert_int_equal(describe(x, 2, 0, 0, &d), -1);
    assert_non_null(strstr(jp_error(), "2 values: at least 3 are needed"));
    double same[4] = { 0.5, 0.5, 0.5, 0.5 };
    assert_int_equal(describe(same, 4, 0, 0, &d), -1);
    assert_non_null(strstr(jp_error(), "all 4 values are equal"));
    double bad[4] = { 0.5, NAN, 0.1, 0.2 };
    assert_int_equal(describe(bad, 4, 0, 0, &d), -1);
    assert_non_null(strstr(jp_error(), "value 2 is nan"));
}

// Issue 13: the p-value never climbs back to 1 for grossly non-normal samples, one
// diverged seed among 2,000 gives a finite A*² (log-space tails) and "not normal",
// below n = 8 there is no p, and a non-finite statistic is never "consistent".
static void test_anderson_darling_far_tail(void **state) {
    (void)state;
    enum { N = 2000 };
    static double x[N];
    char v[256];
    double p;
    // half the values at 0, half at 1 (and a little noise): A*² in the hundreds, where
    // D'Agostino–Stephens's quadratic turned back up to p = 1
    for (int i = 0; i < N; i++) x[i] = (i % 2) + 1e-3 * rng_normal(5, 1, (uint64_t)i);
    double A = anderson_darling(x, N, &p);
    print_message("two-point sample: A*2 = %.1f, p = %.3g\n", A, p);
    assert_true(A > 153);
    assert_true(p <= AD_P_FLOOR);
    assert_int_equal(normality_verdict(A, p, N, v, sizeof v), 1);
    assert_non_null(strstr(v, "not normal"));
    assert_non_null(strstr(v, "p < 3.7e-24"));
    // p never rises with A*² across the formula's pieces and the floor; published anchors
    double prev = 1;
    for (int k = 0; k <= 8000; k++) {
        double pk = anderson_darling_p(0.05 * k, 50);
        assert_true(pk <= prev + 5e-3);   // the published pieces meet within 0.003 at 0.34 and 0.6
        assert_true(pk >= AD_P_FLOOR && pk <= 1);
        prev = pk;
    }
    assert_float_equal(anderson_darling_p(0.5, 50), exp(0.9177 - 4.279 * 0.5 - 1.38 * 0.25), 1e-12);
    assert_float_equal(anderson_darling_p(1.0, 50), exp(1.2937 - 5.709 + 0.0186), 1e-12);
    assert_true(anderson_darling_p(328, 50) == AD_P_FLOOR);
    assert_true(isnan(anderson_darling_p(328, 7)));
    assert_true(isnan(anderson_darling_p(INFINITY, 50)));
    // one diverged seed among 2,000 normal ones: Φ's upper tail underflows to 0 in linear space
    for (int i = 0; i < N; i++) x[i] = 1 + 0.01 * rng_normal(6, 1, (uint64_t)i);
    x[17] = 1e30;
    A = anderson_darling(x, N, &p);
    print_message("one diverged seed in %d: A*2 = %.1f, p = %.3g\n", N, A, p);
    assert_true(isfinite(A));
    assert_true(p <= AD_P_FLOOR);
    assert_int_equal(normality_verdict(A, p, N, v, sizeof v), 1);
    // n = 7: a statistic, but no p-value and no verdict either way
    double small[7] = { 1, 2, 3, 4, 5, 6, 40 };
    A = anderson_darling(small, 7, &p);
    assert_true(isfinite(A));
    assert_true(isnan(p));
    assert_int_equal(normality_verdict(A, p, 7, v, sizeof v), -1);
    assert_null(strstr(v, "consistent"));
    assert_non_null(strstr(v, "below 8"));
    // a non-finite statistic (constant sample) is never "consistent with normal"
    double same[10] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
    A = anderson_darling(same, 10, &p);
    assert_true(isnan(p));
    assert_int_equal(normality_verdict(A, p, 10, v, sizeof v), -1);
    assert_int_equal(normality_verdict(INFINITY, NAN, 2000, v, sizeof v), -1);
    assert_null(strstr(v, "consistent"));
    char pt[32];
    ad_p_text(AD_P_FLOOR, pt, sizeof pt);
    assert_string_equal(pt, "< 3.7e-24");
}

// Below n = 8 no skewness or kurtosis interval; from 8 on there is one.
static void test_shape_intervals_need_eight(void **state) {
    (void)state;
    double x[8] = { 1.0, 1.3, 0.7, 2.9, 1.1, 0.8, 1.6, 1.2 };
    Describe d;
    assert_int_equal(describe(x, 7, 200, 3, &d), 0);
    assert_true(isfinite(d.v[11]) && isfinite(d.v[12]));   // the estimates stay
    assert_true(isnan(d.lo[11]) && isnan(d.hi[11]) && isnan(d.lo[12]) && isnan(d.hi[12]));
    assert_true(isfinite(d.lo[1]) && isfinite(d.hi[1]));   // the std keeps its interval
    assert_int_equal(describe(x, 8, 200, 3, &d), 0);
    assert_true(isfinite(d.lo[11]) && isfinite(d.hi[11]) && isfinite(d.lo[12]) && isfinite(d.hi[12]));
}

// The variance split needs every (init, data) pair exactly once: a duplicated pair that
// hides a missing one (I·J = n still) is refused, with the pair named.
static void test_seed_grid_complete_or_refused(void **state) {
    (void)state;
    int I, J, cell[6];
    char why[256];
    int64_t ci[4] = { 7, 7, 9, 9 }, cd[4] = { 1, 2, 1, 2 };
    assert_int_equal(seed_grid(ci, cd, 4, &I, &J, cell, why, sizeof why), 0);
    assert_int_equal(I, 2);
    assert_int_equal(J, 2);
    assert_int_equal(cell[0], 0);
    assert_int_equal(cell[1], 1);
    assert_int_equal(cell[2], 2);
    assert_int_equal(cell[3], 3);
    int64_t di[4] = { 7, 7, 9, 7 }, dd[4] = { 1, 2, 1, 1 };   // (7, 1) twice, (9, 2) missing
    assert_int_equal(seed_grid(di, dd, 4, &I, &J, cell, why, sizeof why), -1);
    assert_non_null(strstr(why, "(init 7, data 1) occurs twice"));
    int64_t mi[3] = { 7, 7, 9 }, md[3] = { 1, 2, 1 };
    assert_int_equal(seed_grid(mi, md, 3, &I, &J, cell, why, sizeof why), -1);
    assert_non_null(strstr(why, "(init 9, data 2) is missing"));
    int64_t ni[3] = { 1, 2, 3 }, nd[3] = { 0, 0, 0 };
    assert_int_equal(seed_grid(ni, nd, 3, &I, &J, cell, why, sizeof why), 1);   // not crossed: no split, no complaint
    int64_t ui[4] = { -1, -1, -1, -1 }, ud[4] = { -1, -1, -1, -1 };
    assert_int_equal(seed_grid(ui, ud, 4, &I, &J, cell, why, sizeof why), 1);
}

// A known line: slope, intercept and the Student-t interval (t(0.975, 3) =
// 3.182446305284263) computed by hand from the sums of squares; and the refusals.
static void test_slope_fit(void **state) {
    (void)state;
    const double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2.1, 3.9, 6.2, 7.8, 10.1 };
    SlopeFit f;
    assert_int_equal(slope_fit(x, y, 5, &f), 0);
    assert_true(fabs(f.slope - 1.99) < 1e-12 && fabs(f.intercept - 0.05) < 1e-12);
    assert_true(fabs(f.lo - 1.7999392904005083) < 1e-9 && fabs(f.hi - 2.1800607095994913) < 1e-9);
    assert_int_equal(slope_fit(x, y, 2, &f), -1);
    assert_true(isnan(f.slope) && isnan(f.lo));
    const double same[] = { 3, 3, 3 };
    assert_int_equal(slope_fit(same, y, 3, &f), -1);
    assert_non_null(strstr(jp_error(), "one x"));
}

// All four cases of a slope interval against 0 and −1/2.
static void test_spread_slope_verdict(void **state) {
    (void)state;
    assert_non_null(strstr(spread_slope_verdict(-1.16, -0.15), "excludes flat"));   // −1/2 only (the case)
    assert_null(strstr(spread_slope_verdict(-1.16, -0.15), "not distinguishable from flat"));
    assert_non_null(strstr(spread_slope_verdict(-0.3, 0.2), "excludes N^-1/2"));      // 0 only
    assert_non_null(strstr(spread_slope_verdict(-0.8, 0.1), "not distinguishable from flat or from N^-1/2"));   // both
    assert_string_equal(spread_slope_verdict(-0.9, -0.6), "falls faster than N^-1/2");   // neither, below
    assert_string_equal(spread_slope_verdict(-0.4, -0.1), "falls, slower than N^-1/2");  // neither, between
    assert_string_equal(spread_slope_verdict(0.1, 0.4), "grows with N");                 // neither, above
    assert_string_equal(spread_slope_verdict(NAN, 0.4), "");
}

// The selection-based percentile interval gives exactly what sorting and GSL's quantile give,
// ties and odd sizes included.
static void test_percentile_interval_equals_sorting(void **state) {
    (void)state;
    static double v[1001], w[1001];
    const int sizes[] = { 1, 2, 3, 7, 40, 41, 1000, 1001 };
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int n = sizes[t];
        for (int rep = 0; rep < 4; rep++) {
            for (int i = 0; i < n; i++) v[i] = rep == 3 ? (double)(i % 5) : rng_normal(77 + rep, (uint32_t)n, (uint64_t)i);
            memcpy(w, v, sizeof(double) * n);
            gsl_sort(w, 1, n);
            double lo, hi;
            percentile_interval(v, n, &lo, &hi);
            assert_true(lo == gsl_stats_quantile_from_sorted_data(w, 1, n, 0.025));
            assert_true(hi == gsl_stats_quantile_from_sorted_data(w, 1, n, 0.975));
        }
    }
}

// dist --csv: a CSV wider than the old 128-field cap is read, its far columns found.
static void test_dist_csv_with_300_columns(void **state) {
    (void)state;
    char path[] = "/tmp/jackpot-stats-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    for (int c = 0; c < 300; c++) fprintf(f, "%s%s", c ? "," : "", c == 150 ? "group" : c == 200 ? "N" : c == 299 ? "loss" : "pad");
    fputc('\n', f);
    for (int r = 0; r < 6; r++) {
        for (int c = 0; c < 300; c++)
            if (c == 150) fprintf(f, ",g%d", r % 2);
            else fprintf(f, "%s%g", c ? "," : "", c == 200 ? 1000.0 * (1 + r % 2) : c == 299 ? 0.5 + 0.01 * r : 0.0);
        fputc('\n', f);
    }
    fclose(f);
    Samples s;
    if (samples_from_csv(path, "group", "N", "loss", NULL, NULL, NULL, &s) != 0) fail_msg("%s", jp_error());
    assert_int_equal(s.n_groups, 2);
    assert_int_equal(s.g[0].n, 3);
    assert_true(s.g[1].N == 2000);
    samples_free(&s);
    remove(path);
}

// A resample drawn by rank counting is the sorted draw, ties and all; the best-of-k weights
// reproduce expected_best_of_k bit for bit.
static void test_resampler_equals_sorted_draws(void **state) {
    (void)state;
    int n = 700;
    double x[700], got[700], want[700], w[700];
    for (int i = 0; i < n; i++) x[i] = floor(rng_normal(5, 1, (uint64_t)i) * 8) / 8;   // many ties
    Resampler rs;
    resampler_init(&rs, x, n);
    for (uint64_t b = 0; b < 5; b++) {
        resampler_draw(&rs, 42, RNG_STREAM_DESCRIBE, b, got);
        for (int i = 0; i < n; i++) want[i] = x[rng_below(42, RNG_STREAM_DESCRIBE, b * n + i, (uint32_t)n)];
        gsl_sort(want, 1, n);
        assert_memory_equal(got, want, sizeof got);
        for (int k = 1; k <= n; k *= 3) {
            double e = expected_best_of_k(want, n, k);
            assert_true(best_of_k_weighted(got, w, best_of_k_weights(n, k, w)) == e);
        }
    }
    resampler_free(&rs);
}

int main(void) {
    gsl_set_error_handler_off();   // as jackpot's main(): the library reads GSL's status codes, never aborts
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hill_coverage),
        cmocka_unit_test(test_normality_size_and_power),
        cmocka_unit_test(test_best_of_k_equals_enumeration),
        cmocka_unit_test(test_variance_split_recovers_planted),
        cmocka_unit_test(test_describe_and_degenerate_input),
        cmocka_unit_test(test_anderson_darling_far_tail),
        cmocka_unit_test(test_shape_intervals_need_eight),
        cmocka_unit_test(test_seed_grid_complete_or_refused),
        cmocka_unit_test(test_slope_fit),
        cmocka_unit_test(test_spread_slope_verdict),
        cmocka_unit_test(test_percentile_interval_equals_sorting),
        cmocka_unit_test(test_dist_csv_with_300_columns),
        cmocka_unit_test(test_resampler_equals_sorted_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// The analysis behind `jackpot dist` (seeds/study.h), called on synthetic groups without
// the command line: a balanced init × data grid with known variance components, best of k
// against its order-statistics formula and its bootstrap redrawn by hand, a spread
// exactly ∝ N^−1/2, Hill tails against hill_alpha on the hand-made tail, the logit clip,
// the law L(N) against its own predictions, and every refusal said in the study.
#include "testutil.h"
#include <gsl/gsl_errno.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/xalloc.h"
#include "stats/describe.h"
#include "stats/samples.h"
#include "seeds/study.h"

// Samples of n_groups empty groups (the caller fills each with group_set); samples_free frees them.
static void samples_init(Samples *S, int n_groups) {
    memset(S, 0, sizeof *S);
    S->n_groups = n_groups;
    S->g = xcalloc(n_groups, sizeof(SeedGroup));
    snprintf(S->source, sizeof S->source, "test");
}

// Group g: N, n runs of loss[n] (acc, init, data may be NULL: unknown).
static void group_set(Samples *S, int g, double N, int n, const double *loss, const double *acc, const int64_t *init,
                      const int64_t *data) {
    SeedGroup *G = &S->g[g];
    G->N = N;
    G->D = NAN;
    G->n = n;
    G->loss = xmalloc(sizeof(double) * n);
    G->acc = xmalloc(sizeof(double) * n);
    G->init = xmalloc(sizeof(int64_t) * n);
    G->data = xmalloc(sizeof(int64_t) * n);
    for (int i = 0; i < n; i++) {
        G->loss[i] = loss[i];
        G->acc[i] = acc ? acc[i] : NAN;
        G->init[i] = init ? init[i] : -1;
        G->data[i] = data ? data[i] : -1;
    }
    snprintf(G->label, sizeof G->label, "N=%.0f", N);
    snprintf(G->key, sizeof G->key, "g%d", g);
}

// y[i][j] = 2 + a_i + b_j + 0.1·s_i·t_j on a 3 init × 4 data grid, with s and t summing to 0
// (an interaction orthogonal to both main effects). By hand: MS_E = 0.01·Σs²·Σt² / ((I−1)(J−1))
// = 0.01·6·4/6 = 0.04; σ²_init = var(a) − MS_E/J = 1 − 0.01 = 0.99; σ²_data = var(b) − MS_E/I
// = 0.2/3 − 0.04/3 = 0.16/3. The runs come shuffled, with seeds that are not 0..I−1.
static void test_variance_split_recovers_planted_components(void **state) {
    (void)state;
    const double a[3] = { -1, 0, 1 }, b[4] = { -0.3, -0.1, 0.1, 0.3 }, s[3] = { 1, -2, 1 }, t[4] = { 1, -1, -1, 1 };
    const int64_t init_seed[3] = { 3, 7, 11 }, data_seed[4] = { 100, 101, 205, 300 };
    double loss[12];
    int64_t init[12], data[12];
    for (int r = 0; r < 12; r++) {
        int q = (r * 5) % 12, i = q / 4, j = q % 4;   // a permutation of the cells
        loss[r] = 2 + a[i] + b[j] + 0.1 * s[i] * t[j];
        init[r] = init_seed[i];
        data[r] = data_seed[j];
    }
    Samples S;
    samples_init(&S, 1);
    group_set(&S, 0, 1000, 12, loss, NULL, init, data);
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 200, .seed = 5 }, &st);
    const VarianceSplit *v = &st.group[0].split;
    assert_int_equal(v->grid, 0);
    assert_int_equal(v->I, 3);
    assert_int_equal(v->J, 4);
    assert_float_equal(v->var[0], 0.99, 1e-12);
    assert_float_equal(v->var[1], 0.16 / 3, 1e-12);
    assert_float_equal(v->var[2], 0.04, 1e-12);
    for (int q = 0; q < 3; q++) {
        assert_true(isfinite(v->lo[q]) && isfinite(v->hi[q]));
        assert_true(0 <= v->lo[q] && v->lo[q] <= v->hi[q]);
    }
    assert_true(v->hi[0] > v->hi[1]);   // the init effect is the larger one
    // the intervals redrawn by hand as seeds.h documents: rows (init seeds) on seed + 9, stream
    // RNG_STREAM_DIST_VARIANCE_INIT, index resample·I + row; columns (data seeds) on seed + 10,
    // RNG_STREAM_DIST_VARIANCE_DATA, index resample·J + column, one draw per column
    enum { B = 200 };
    double y[12], yb[12], comp[3][B];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) y[i * 4 + j] = 2 + a[i] + b[j] + 0.1 * s[i] * t[j];
    for (int r = 0; r < B; r++) {
        int rb[4];
        for (int j = 0; j < 4; j++) rb[j] = (int)rng_below(5 + 10, RNG_STREAM_DIST_VARIANCE_DATA, (uint64_t)r * 4 + j, 4);
        for (int i = 0; i < 3; i++) {
            int ra = (int)rng_below(5 + 9, RNG_STREAM_DIST_VARIANCE_INIT, (uint64_t)r * 3 + i, 3);
            for (int j = 0; j < 4; j++) yb[i * 4 + j] = y[ra * 4 + rb[j]];
        }
        variance_two_way(yb, 3, 4, &comp[0][r], &comp[1][r], &comp[2][r]);
    }
    for (int q = 0; q < 3; q++) {
        double lo, hi;
        percentile_interval(comp[q], B, &lo, &hi);
        assert_true(v->lo[q] == lo && v->hi[q] == hi);
    }
    // --boot 0: the same estimates, no intervals
    seed_study_free(&st);
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 0, .seed = 5 }, &st);
    assert_float_equal(st.group[0].split.var[0], 0.99, 1e-12);
    for (int q = 0; q < 3; q++) assert_true(isnan(st.group[0].split.lo[q]) && isnan(st.group[0].split.hi[q]));
    seed_study_free(&st);
    samples_free(&S);
}

// A grid with one pair missing gets no split and names the pair; seeds that are not crossed
// (one data seed) get none and nothing to say in the output.
static void test_variance_split_refusals(void **state) {
    (void)state;
    const double loss[5] = { 1, 1.1, 1.2, 1.3, 1.4 };
    const int64_t init[5] = { 0, 0, 1, 1, 2 }, data[5] = { 0, 1, 0, 1, 0 }, one[5] = { 4, 4, 4, 4, 4 };
    Samples S;
    samples_init(&S, 2);
    group_set(&S, 0, 100, 5, loss, NULL, init, data);
    group_set(&S, 1, 200, 5, loss, NULL, init, one);
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 20, .seed = 0 }, &st);
    assert_int_equal(st.group[0].split.grid, -1);
    assert_non_null(strstr(st.group[0].split.why, "(init 2, data 1) is missing"));
    assert_int_equal(st.group[1].split.grid, 1);
    seed_study_free(&st);
    samples_free(&S);
}

// E[best of k] of {0.5, 0.1, 0.4, 0.2, 0.3} by hand, Σ x_(i)·C(n−i, k−1)/C(n, k): k = 1: the
// mean 0.3; k = 2: (0.1·4 + 0.2·3 + 0.3·2 + 0.4·1)/10 = 0.2; k = 3: (0.1·6 + 0.2·3 + 0.3·1)/10
// = 0.15; k = 4: (0.1·4 + 0.2·1)/5 = 0.12; k = 5: the minimum 0.1. The interval is the 2.5% and
// 97.5% quantiles of the estimate on resamples drawn as seeds.h documents (seed + 7, stream
// RNG_STREAM_DIST_BEST_OF_K, index = resample·n + position), redrawn here.
static void test_best_of_k_by_hand(void **state) {
    (void)state;
    const double x[5] = { 0.5, 0.1, 0.4, 0.2, 0.3 }, want[5] = { 0.3, 0.2, 0.15, 0.12, 0.1 };
    enum { B = 100 };
    const uint64_t seed = 11;
    Samples S;
    samples_init(&S, 1);
    group_set(&S, 0, 1000, 5, x, NULL, NULL, NULL);
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = B, .seed = seed }, &st);
    const SeedGroupStats *G = &st.group[0];
    assert_int_equal(G->n_best, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(G->best[i].k, i + 1);
        assert_float_equal(G->best[i].best, want[i], 1e-12);
        double boot[B], s[5], lo, hi;
        for (int b = 0; b < B; b++) {
            for (int r = 0; r < 5; r++) s[r] = x[rng_below(seed + 7, RNG_STREAM_DIST_BEST_OF_K, (uint64_t)b * 5 + r, 5)];
            boot[b] = expected_best_of_k(s, 5, i + 1);
        }
        percentile_interval(boot, B, &lo, &hi);
        assert_true(G->best[i].lo == lo && G->best[i].hi == hi);
        assert_true(isnan(G->best[i].law));   // one size, 5 runs: no law across sizes
    }
    assert_int_equal(st.law.ok, 0);
    assert_true(st.law.why[0] != 0);
    seed_study_free(&st);
    samples_free(&S);
}

// The k of best of k: 1, 2, 3, 4, doubling, then n (20 runs: 1 2 3 4 8 16 20).
static void test_best_of_k_steps(void **state) {
    (void)state;
    double x[20];
    for (int i = 0; i < 20; i++) x[i] = 1 + 0.01 * ((i * 7) % 20);
    Samples S;
    samples_init(&S, 1);
    group_set(&S, 0, 1000, 20, x, NULL, NULL, NULL);
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 0, .seed = 0 }, &st);
    const int ks[] = { 1, 2, 3, 4, 8, 16, 20 };
    assert_int_equal(st.group[0].n_best, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(st.group[0].best[i].k, ks[i]);
        assert_float_equal(st.group[0].best[i].best, expected_best_of_k(x, 20, ks[i]), 0);
        assert_true(isnan(st.group[0].best[i].lo));   // --boot 0: no interval
    }
    assert_float_equal(st.group[0].best[6].best, 1.0, 1e-12);
    seed_study_free(&st);
    samples_free(&S);
}

// Five sizes whose runs are 1 + N^−1/2·z for one pattern z: std and IQR are exactly
// ∝ N^−1/2, so the fitted exponent is −1/2 and its interval a hair wide; the law across
// sizes then predicts L(k·N) as E + A·(k·N)^−α with its own parameters.
static void test_spread_exponent_and_law(void **state) {
    (void)state;
    const double z[6] = { -1.3, -0.4, 0.1, 0.2, 0.6, 1.1 };
    Samples S;
    samples_init(&S, 5);
    for (int g = 0; g < 5; g++) {
        double N = 100 * pow(10, g), loss[6];
        for (int i = 0; i < 6; i++) loss[i] = 1 + 5 * pow(N, -0.5) + 0.1 * pow(N, -0.5) * z[i];
        group_set(&S, g, N, 6, loss, NULL, NULL, NULL);
    }
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 100, .seed = 1 }, &st);
    assert_true(st.have_unit[SEED_LOSS] && st.have_unit[SEED_LOG_LOSS]);
    assert_false(st.have_unit[SEED_ACC] || st.have_unit[SEED_ERROR] || st.have_unit[SEED_LOGIT_ACC]);   // no accuracies
    assert_false(st.group[0].unit[SEED_ACC].present);
    for (int w = 0; w < 2; w++) {
        const SlopeFit *f = &st.spread[SEED_LOSS][w];
        assert_int_equal(f->n, 5);
        assert_float_equal(f->slope, -0.5, 1e-9);
        assert_true(f->lo <= f->slope && f->slope <= f->hi && f->hi - f->lo < 1e-8);
    }
    assert_string_equal(spread_slope_verdict(st.spread[SEED_LOSS][0].lo, st.spread[SEED_LOSS][0].hi),
                        "falls with N, consistent with N^-1/2; excludes flat at 95%");
    // the law: fitted on every run (30 points, 5 sizes), E ≈ 1 and alpha ≈ 1/2
    assert_true(st.law.ok);
    assert_int_equal(st.law.points, 30);
    assert_int_equal(st.law.runs, 30);
    assert_int_equal(st.law.sizes, 5);
    assert_float_equal(st.law.v[0], 1, 0.01);
    assert_float_equal(st.law.v[2], 0.5, 0.02);
    for (int g = 0; g < 5; g++)
        for (int i = 0; i < st.group[g].n_best; i++) {
            const BestOfK *e = &st.group[g].best[i];
            double kN = e->k * st.group[g].N, L = st.law.v[0] + st.law.v[1] * pow(kN, -st.law.v[2]);
            assert_float_equal(e->law, L, 1e-9 * L);
            assert_true(e->law_lo <= e->law_hi);
        }
    seed_study_free(&st);
    samples_free(&S);
}

// Three sizes, 24 seeds each with noise: the law has as many parameters as there are sizes, so
// resampling whole sizes left no resample to refit and the interval collapsed to the point
// (the seeds study's alpha 0.36 [0.36, 0.36]); resampling runs gives it a width, and it covers
// the planted alpha.
static void test_law_interval_three_sizes(void **state) {
    (void)state;
    Samples S;
    samples_init(&S, 3);
    for (int g = 0; g < 3; g++) {
        double N = 1000 * pow(10, g), loss[24];
        for (int i = 0; i < 24; i++) loss[i] = 0.5 + 4 * pow(N, -0.4) + 0.01 * rng_normal(11, 0, (uint64_t)(g * 24 + i));
        group_set(&S, g, N, 24, loss, NULL, NULL, NULL);
    }
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 500, .seed = 3 }, &st);
    assert_true(st.law.ok && st.law.intervals);
    assert_int_equal(st.law.sizes, 3);
    assert_true(st.law.hi[2] - st.law.lo[2] > 0.01);
    assert_true(st.law.lo[2] <= 0.4 && 0.4 <= st.law.hi[2]);
    seed_study_free(&st);
    samples_free(&S);
}

// From 30 runs on, Hill tails: the good tail of a loss is below the median, k = ⌊√(runs below
// it)⌋, α̂ = hill_alpha of the distances to the median; below 30, no tails and the verdict says so.
static void test_tails_and_verdict(void **state) {
    (void)state;
    enum { N = 40 };
    double x[N], sorted[N], y[N];
    for (int i = 0; i < N; i++) x[i] = 1 + pow(rng_uniform(3, 9, (uint64_t)i), -1 / 2.0) * (i % 2 ? 1 : -0.2);
    Samples S;
    samples_init(&S, 2);
    group_set(&S, 0, 100, N, x, NULL, NULL, NULL);
    group_set(&S, 1, 200, 29, x, NULL, NULL, NULL);
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 10000, .n_boot = 40, .seed = 2 }, &st);
    memcpy(sorted, x, sizeof x);
    gsl_sort(sorted, 1, N);
    double med = gsl_stats_median_from_sorted_data(sorted, 1, N);
    int m = 0;
    for (int i = 0; i < N; i++) if (x[i] < med) y[m++] = med - x[i];
    const SeedUnit *u = &st.group[0].unit[SEED_LOSS];
    assert_true(u->tails);
    assert_int_equal(m, 20);
    assert_int_equal(u->good.k, 4);
    assert_float_equal(u->good.alpha, hill_alpha(y, m, 4), 0);
    m = 0;
    for (int i = 0; i < N; i++) if (x[i] > med) y[m++] = x[i] - med;
    assert_float_equal(u->bad.alpha, hill_alpha(y, m, 4), 0);
    char v[512];
    seed_unit_verdict(u, N, v, sizeof v);
    assert_non_null(strstr(v, "Hill α good"));
    assert_false(st.group[1].unit[SEED_LOSS].tails);
    seed_unit_verdict(&st.group[1].unit[SEED_LOSS], 29, v, sizeof v);
    assert_non_null(strstr(v, "n = 29 is too small for a tail claim (need 30)"));
    seed_study_free(&st);
    samples_free(&S);
}

// The five units from loss and accuracy: an accuracy of 1 is clipped to 1 − 1/(2m) before its
// logit; a group of 2 runs is refused by describe (no spread), and still gets best of 1 and 2.
static void test_units_clip_and_refusal(void **state) {
    (void)state;
    const double loss[4] = { 0.5, 0.6, 0.7, 0.8 }, acc[4] = { 1.0, 0.9, 0.8, 0.7 };
    Samples S;
    samples_init(&S, 2);
    group_set(&S, 0, 100, 4, loss, acc, NULL, NULL);
    group_set(&S, 1, 200, 2, loss, acc, NULL, NULL);
    SeedStudy st;
    seed_study_run(&S, NULL, &(SeedOptions){ .eval_size = 100, .n_boot = 0, .seed = 0 }, &st);
    const SeedGroupStats *G = &st.group[0];
    for (int u = 0; u < SEED_UNITS; u++) assert_true(G->unit[u].present && !G->unit[u].refused);
    assert_float_equal(G->unit[SEED_LOGIT_ACC].d.v[9], log(0.995 / 0.005), 1e-12);   // max
    assert_float_equal(G->unit[SEED_ERROR].d.v[3], 0.0, 1e-12);                        // min error
    assert_float_equal(G->unit[SEED_LOG_LOSS].d.v[0], (log(0.5) + log(0.6) + log(0.7) + log(0.8)) / 4, 1e-12);
    assert_string_equal(G->label, "N=100");   // no database: labelled by size
    assert_non_null(st.group[1].unit[SEED_LOSS].refused);
    assert_string_equal(st.group[1].unit[SEED_LOSS].refused, "2 values: at least 3 are needed for a spread");
    assert_int_equal(st.group[1].n_best, 2);
    assert_int_equal(st.spread[SEED_LOSS][0].n, 1);   // one described size: no exponent
    assert_true(isnan(st.spread[SEED_LOSS][0].slope));
    seed_study_free(&st);
    samples_free(&S);
}

int main(void) {
    gsl_set_error_handler_off();   // as jackpot's main(): the library reads GSL's status codes, never aborts
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variance_split_recovers_planted_components),
        cmocka_unit_test(test_variance_split_refusals),
        cmocka_unit_test(test_best_of_k_by_hand),
        cmocka_unit_test(test_best_of_k_steps),
        cmocka_unit_test(test_spread_exponent_and_law),
        cmocka_unit_test(test_law_interval_three_sizes),
        cmocka_unit_test(test_tails_and_verdict),
        cmocka_unit_test(test_units_clip_and_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

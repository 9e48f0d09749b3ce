// Scaling-law fits: known answers recovered within a few standard errors and
// inside their intervals at a stated rate, the intervals as wide as the noise
// warrants, agreement with scipy on committed data, IsoFLOP recovering planted
// exponents, the budget planner against the closed form, and clear errors on
// degenerate input.
#include "testutil.h"
#include "fit_fixtures.h"
#include "base/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_errno.h>

#include <gsl/gsl_linalg.h>

#include "base/rng.h"
#include "fit/budget.h"
#include "fit/fit.h"
#include "fit/huber.h"
#include "fit/isoflop.h"
#include "fit/minimize.h"
#ifdef _OPENMP
#include <omp.h>
#endif


// ---- what the noise allows: the expected spread of a fitted θ ----
// log L of each law at x = (N, D), in the fit's parameters θ, written out here
// independently of fit/laws.c.
typedef double (*LogLaw)(const double *theta, const double *x);
static double log_power(const double *t, const double *x) { return log(exp(t[0]) + exp(t[1]) * pow(x[0], -t[2])); }
static double log_chinchilla(const double *t, const double *x) {
    return log(exp(t[0]) + exp(t[1]) * pow(x[0], -t[3]) + exp(t[2]) * pow(x[1], -t[4]));
}
static double log_kaplan(const double *t, const double *x) {
    return t[3] * log(pow(exp(t[0]) / x[0], t[2] / t[3]) + exp(t[1]) / x[1]);
}

// The asymptotic standard error of each θ_j fitted to n points x [n][2] whose log L
// carries N(0, σ²) noise: the Huber M-estimator's covariance κ·(JᵀJ)⁻¹, with J the
// Jacobian of log L in θ at the truth (central differences) and
// κ = E ψ_δ(ε)² / (E ψ_δ'(ε))² for ψ_δ(ε) = clamp(ε, −δ, δ). For δ ≪ σ, as here,
// κ → πσ²/2 (least absolute deviations); for δ ≫ σ, κ → σ² (least squares).
static void expected_se(LogLaw f, const double *theta, int np, const double *x, int n, double sigma, double delta,
                        double *se) {
    gsl_matrix *M = gsl_matrix_calloc(np, np);
    for (int i = 0; i < n; i++) {
        double g[8], t[8];
        for (int j = 0; j < np; j++) {
            double h = 1e-6 * fmax(1, fabs(theta[j]));
            memcpy(t, theta, sizeof(double) * np);
            t[j] = theta[j] + h; double up = f(t, x + 2 * i);
            t[j] = theta[j] - h; double down = f(t, x + 2 * i);
            g[j] = (up - down) / (2 * h);
        }
        for (int a = 0; a < np; a++)
            for (int b = 0; b < np; b++) *gsl_matrix_ptr(M, a, b) += g[a] * g[b];
    }
    assert_int_equal(gsl_linalg_cholesky_decomp1(M), 0);
    assert_int_equal(gsl_linalg_cholesky_invert(M), 0);
    double c = delta / sigma, inside = erf(c / sqrt(2)), phi = exp(-c * c / 2) / sqrt(2 * M_PI);
    double e_psi2 = sigma * sigma * (inside - 2 * c * phi) + delta * delta * (1 - inside);
    double kappa = e_psi2 / (inside * inside);
    for (int j = 0; j < np; j++) se[j] = sqrt(kappa * gsl_matrix_get(M, j, j));
    gsl_matrix_free(M);
}

// The width of a percentile interval in θ's own scale: log(hi/lo) for a reported
// exp(θ_j) (percentile intervals follow monotone maps), hi − lo for an exponent.
static double theta_width(const FitResult *r, int j, int reported_as_exp) {
    return reported_as_exp ? log(r->hi[j] / r->lo[j]) : r->hi[j] - r->lo[j];
}

// Each θ_j's mean interval width (θ scale) within [lo, hi] × the width the noise
// warrants, 2·1.96·se_j: an interval that is always [−∞, ∞] covers perfectly, and
// one that is too narrow covers by luck on a few trials.
static void check_widths(const Law *L, const double *width, const double *se, double lo, double hi) {
    for (int j = 0; j < L->n_theta; j++) {
        double ratio = width[j] / (2 * 1.959964 * se[j]);
        print_message("%s: %-7s mean interval width %.3g, %.2f times the %.3g the noise warrants (allowed %.1f–%.1f)\n",
                      L->name, L->theta_names[j], width[j], ratio, 2 * 1.959964 * se[j], lo, hi);
        if (!(ratio >= lo && ratio <= hi)) fail_msg("%s: %s interval width off by a factor %.2f", L->name, L->theta_names[j], ratio);
    }
}

// The fitted θ within k standard errors of the truth, in each parameter.
static void check_estimate(const Law *L, const double *fitted, const double *truth, const double *se, double k) {
    for (int j = 0; j < L->n_theta; j++) {
        double z = (fitted[j] - truth[j]) / se[j];
        if (fabs(z) > k) fail_msg("%s: %s fitted %.6g, true %.6g: %.1f standard errors (%.3g) off, more than %.0f",
                                  L->name, L->theta_names[j], fitted[j], truth[j], z, se[j], k);
    }
}

// The design's (N, D) as x [n][2] for expected_se (free it).
static double *design(const Points *p) {
    double *x = malloc(sizeof(double) * 2 * p->n);
    for (int i = 0; i < p->n; i++) { x[2 * i] = p->x[AXIS_N][i]; x[2 * i + 1] = p->x[AXIS_D][i]; }
    return x;
}

// 16 sizes (clusters) of 4 seeds: over the 20 trials the intervals are 1.07–1.16 times
// the width the noise warrants (and over 200 trials the fits spread as expected_se says,
// to 4%). With 8 sizes the cluster bootstrap is conservative: 1.6–1.8 times as wide,
// since a resample of 8 clusters often holds only 4 or 5 distinct sizes for 3 parameters.
static void test_power_known_answer_coverage(void **state) {
    (void)state;
    const double truth[3] = { 1.69, 406.4, 0.34 }, theta[3] = { log(1.69), log(406.4), 0.34 }, sigma = 0.01;
    int covered[3] = { 0 }, trials = 20;
    double se[3], width[3] = { 0 };
    for (int t = 0; t < trials; t++) {
        Points p;
        synth(&p, 0, 16, 4, sigma, 100 + t);
        if (t == 0) { double *x = design(&p); expected_se(log_power, theta, 3, x, p.n, sigma, 1e-3, se); free(x); }
        FitOptions o = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 200, .seed = (uint64_t)t };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
        for (int j = 0; j < 3; j++) covered[j] += r.lo[j] <= truth[j] && truth[j] <= r.hi[j];
        for (int j = 0; j < 3; j++) width[j] += theta_width(&r, j, j < 2) / trials;
        check_estimate(&law_power, r.theta, theta, se, 4);
        assert_true(r.r2_log > 0.99);
        fit_result_free(&r);
        points_free(&p);
    }
    print_message("power law: true E, A, alpha inside the 95%% intervals in %d, %d, %d of %d trials\n",
                  covered[0], covered[1], covered[2], trials);
    // The stated rate: at least 15 of 20 (nominal 95%, the percentile bootstrap is approximate).
    for (int j = 0; j < 3; j++) assert_true(covered[j] >= 15);
    // One trial's width varies by about ±25% (one sd): the mean of 20 by ±6%.
    check_widths(&law_power, width, se, 0.7, 1.4);
}

// Three trials only (4,500 starts each): one trial's interval width varies by about ±25%
// (one sd, measured over 12 trials, whose means were 0.96–1.05 of the expected widths
// for both laws), so the mean of 3 is held to 0.6–1.6.
static void test_chinchilla_known_answer(void **state) {
    (void)state;
    const double truth[5] = { 1.69, 406.4, 410.7, 0.34, 0.28 }, sigma = 0.005;
    const double theta[5] = { log(1.69), log(406.4), log(410.7), 0.34, 0.28 };
    int covered[5] = { 0 }, trials = 3;
    double se[5], width[5] = { 0 };
    for (int t = 0; t < trials; t++) {
        Points p;
        synth(&p, 1, 6, 2, sigma, 200 + t);
        if (t == 0) { double *x = design(&p); expected_se(log_chinchilla, theta, 5, x, p.n, sigma, 1e-3, se); free(x); }
        FitOptions o = { .law = &law_chinchilla, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 100, .seed = (uint64_t)t };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
        assert_int_equal(r.starts, 4500);
        for (int j = 0; j < 5; j++) covered[j] += r.lo[j] <= truth[j] && truth[j] <= r.hi[j];
        for (int j = 0; j < 5; j++) width[j] += theta_width(&r, j, j < 3) / trials;
        check_estimate(&law_chinchilla, r.theta, theta, se, 4);
        assert_float_equal(r.report[5], r.report[4] / (r.report[3] + r.report[4]), 1e-12);
        fit_result_free(&r);
        points_free(&p);
    }
    print_message("chinchilla: true E, A, B, alpha, beta inside the intervals in %d, %d, %d, %d, %d of %d trials\n",
                  covered[0], covered[1], covered[2], covered[3], covered[4], trials);
    for (int j = 0; j < 5; j++) assert_true(covered[j] >= trials - 1);
    check_widths(&law_chinchilla, width, se, 0.6, 1.6);
}

// Kaplan et al.'s L(N, D) with their constants (α_N = 0.076, α_D = 0.103,
// N_c = 6.4e13, D_c = 1.8e13) on a 6 × 6 grid of 2 seeds with 0.5% noise: the fit
// lands within 4 standard errors of the constants (the largest seen in 12 trials
// was 3.1, in log N_c; standard errors of 0.10 and 0.11 in log N_c and log D_c,
// 0.00058 and 0.00099 in the exponents), and its intervals are as wide as the noise
// warrants (widths as in the chinchilla test above).
static void test_kaplan_known_answer(void **state) {
    (void)state;
    const double truth[4] = { 6.4e13, 1.8e13, 0.076, 0.103 }, sigma = 0.005;
    const double theta[4] = { log(6.4e13), log(1.8e13), 0.076, 0.103 };
    int covered[4] = { 0 }, trials = 3;
    double se[4], width[4] = { 0 };
    for (int t = 0; t < trials; t++) {
        Points p;
        points_make(&p, 36 * 2);
        for (int k = 0; k < 72; k++) {
            double N = 1e7 * pow(10, 3.0 * (k / 12) / 5), D = 1e8 * pow(10, 3.0 * ((k / 2) % 6) / 5);
            double L = pow(pow(truth[0] / N, truth[2] / truth[3]) + truth[1] / D, truth[3]);
            p.x[AXIS_N][k] = N; p.x[AXIS_D][k] = D;
            p.loss[k] = L * exp(sigma * rng_normal(400 + t, 7, (uint64_t)k));
            p.cluster[k] = k / 2;
        }
        p.n_clusters = 36;
        if (t == 0) { double *x = design(&p); expected_se(log_kaplan, theta, 4, x, p.n, sigma, 1e-3, se); free(x); }
        FitOptions o = { .law = &law_kaplan, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 100, .seed = (uint64_t)t };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
        for (int j = 0; j < 4; j++) covered[j] += r.lo[j] <= truth[j] && truth[j] <= r.hi[j];
        for (int j = 0; j < 4; j++) width[j] += theta_width(&r, j, j < 2) / trials;
        print_message("kaplan trial %d: N_c %.3g [%.3g, %.3g], D_c %.3g [%.3g, %.3g], alpha_N %.4f [%.4f, %.4f], alpha_D %.4f [%.4f, %.4f]\n",
                      t, r.report[0], r.lo[0], r.hi[0], r.report[1], r.lo[1], r.hi[1], r.report[2], r.lo[2], r.hi[2], r.report[3], r.lo[3], r.hi[3]);
        check_estimate(&law_kaplan, r.theta, theta, se, 4);
        fit_result_free(&r);
        points_free(&p);
    }
    for (int j = 0; j < 4; j++) assert_true(covered[j] >= trials - 1);
    check_widths(&law_kaplan, width, se, 0.6, 1.6);
}

static void test_heldout_predicts_the_largest(void **state) {
    (void)state;
    Points p;
    synth(&p, 0, 8, 3, 0.005, 300);
    FitOptions o = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 200, .seed = 1 };
    HeldOut h;
    assert_int_equal(fit_heldout(&o, &p, &h), 0);
    assert_float_equal(h.x, 1e10, 1);
    assert_int_equal(h.n_held, 3);
    assert_true(fabs(h.rel_error) < 0.01);
    assert_true(h.lo <= h.predicted && h.predicted <= h.hi);
    points_free(&p);
}

// scipy.optimize on committed data (tests/reference/scipy_fits.py): the same
// objective from the same start grid must land on the same minimum.
// scipy ran to gtol 1e-12; agreement measured 1.6e-10 (power) and 9.7e-12 (chinchilla).
#define TOL 1e-8
static void test_agrees_with_scipy(void **state) {
    (void)state;
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    char path[256];
    snprintf(path, sizeof path, "%s/scipy_fits.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char law[32], csv[256], file[64];
    int n;
    double want[5];
    while (fscanf(f, "%31s %63s %d", law, file, &n) == 3) {
        for (int j = 0; j < n; j++) assert_int_equal(fscanf(f, "%lf", &want[j]), 1);
        snprintf(csv, sizeof csv, "%s/%s", dir, file);
        const char *cols[AXIS_COUNT] = { "N", "D", NULL, NULL };
        Points p;
        if (points_from_csv(csv, cols, "loss", NULL, &p) != 0) fail_msg("%s", jp_error());
        const Law *L = law_find(law);
        FitOptions o = { .law = L, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 0 };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
        double worst = 0;
        for (int j = 0; j < n; j++) {
            double rel = fabs(r.theta[j] - want[j]) / fmax(fabs(want[j]), 1e-12);
            worst = fmax(worst, rel);
            if (rel > TOL) fail_msg("%s: theta[%d] = %.10g, scipy %.10g (relative %.2g)", law, j, r.theta[j], want[j], rel);
        }
        print_message("%s: %d parameters agree with scipy to %.2g (allowed %.2g)\n", law, n, worst, TOL);
        fit_result_free(&r);
        points_free(&p);
    }
    fclose(f);
}

// Runs trained to a FLOP budget stop at a whole step, a little short of it: budgets of
// 1e11, 3e11 and 1e12 FLOPs measured as 1.0004e11 … 0.9991e12 span 9.99×, and were refused
// as "less than a decade" (seen on examples/lm_isoflop.yaml). Budgets are grouped within 5%,
// so the span check allows the same 5%.
static void test_isoflop_decade_to_within_whole_steps(void **state) {
    (void)state;
    const double E = 1.69, A = 406.4, B = 410.7, al = 0.34, be = 0.28;
    double G = pow(al * A / (be * B), 1 / (al + be)), budgets[3] = { 1.0004e11, 3.001e11, 0.9991e12 };
    Points p;
    points_make(&p, 3 * 9);
    int k = 0;
    for (int c = 0; c < 3; c++) {
        double C = budgets[c], Nstar = G * pow(C / 6, be / (al + be));
        for (int i = -4; i <= 4; i++, k++) {
            double N = Nstar * pow(10, i * 0.25), D = C / (6 * N);
            p.x[AXIS_N][k] = N; p.x[AXIS_D][k] = D; p.x[AXIS_C][k] = C;
            p.loss[k] = E + A * pow(N, -al) + B * pow(D, -be);
            p.cluster[k] = k;
        }
    }
    p.n_clusters = p.n;
    IsoResult r;
    if (isoflop_fit(&p, 0, 3, &r) != 0) fail_msg("%s", jp_error());
    assert_true(fabs(r.n_exp - be / (al + be)) < 0.02);
    isoflop_free(&r);
    points_free(&p);
}

static void test_isoflop_recovers_planted_exponents(void **state) {
    (void)state;
    const double E = 1.69, A = 406.4, B = 410.7, al = 0.34, be = 0.28;
    double G = pow(al * A / (be * B), 1 / (al + be));
    Points p;
    points_make(&p, 5 * 9);
    int k = 0;
    for (int c = 0; c < 5; c++) {
        double C = 1e18 * pow(10, c), Nstar = G * pow(C / 6, be / (al + be));
        for (int i = -4; i <= 4; i++, k++) {
            double N = Nstar * pow(10, i * 0.25), D = C / (6 * N);
            p.x[AXIS_N][k] = N; p.x[AXIS_D][k] = D; p.x[AXIS_C][k] = C;
            p.loss[k] = (E + A * pow(N, -al) + B * pow(D, -be)) * exp(0.001 * rng_normal(5, 5, (uint64_t)k));
            p.cluster[k] = k;
        }
    }
    p.n_clusters = p.n;
    IsoResult r;
    if (isoflop_fit(&p, 200, 3, &r) != 0) fail_msg("%s", jp_error());
    print_message("isoflop: N_opt exponent %.4f [%.4f, %.4f], planted %.4f\n", r.n_exp, r.n_lo, r.n_hi, be / (al + be));
    assert_int_equal(r.n_budgets, 5);
    assert_int_equal(r.n_ok, 5);
    assert_true(fabs(r.n_exp - be / (al + be)) < 0.02);
    assert_true(fabs(r.d_exp - al / (al + be)) < 0.02);
    isoflop_free(&r);
    // a budget with two sizes is refused, with the reason
    p.n = 9 + 2;
    for (int i = 0; i < 2; i++) p.x[AXIS_C][9 + i] = 1e30;
    assert_int_equal(isoflop_fit(&p, 0, 3, &r), -1);
    assert_non_null(strstr(jp_error(), "at least 3 are needed"));
    // two budgets with clean vertices: two optima always lie on a line, so no exponent
    p.n = 2 * 9;
    for (int i = 0; i < 2; i++) p.x[AXIS_C][9 + i] = 1e19;
    assert_int_equal(isoflop_fit(&p, 0, 3, &r), -1);
    assert_non_null(strstr(jp_error(), "2 of 2 compute budgets gave an optimum inside the sizes tried; at least 3 are needed"));
    // three budgets within a factor 4 of C: too narrow a span to resolve the exponent
    p.n = 3 * 9;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 9; i++) p.x[AXIS_C][c * 9 + i] = 1e18 * pow(2, c);
    assert_int_equal(isoflop_fit(&p, 0, 3, &r), -1);
    assert_non_null(strstr(jp_error(), "span 4× in C"));
    p.n = 45;
    points_free(&p);
}

// Budgets whose vertices sit at the edge of the sizes tried, or whose bootstrap interval is
// wider than ISOFLOP_MAX_INTERVAL, give no exponent: the report and fit say why instead.
static void test_isoflop_refuses_an_unresolved_exponent(void **state) {
    (void)state;
    Points p;
    points_make(&p, 4 * 5);
    // loss = (ln N − m_c)² + noise with big noise: each budget has a vertex inside the
    // sizes, but resampling within budgets moves it all over, so the slope is unresolved
    for (int c = 0, k = 0; c < 4; c++)
        for (int i = 0; i < 5; i++, k++) {
            double lnN = 10 + i, m = 12 + 0.01 * c;
            p.x[AXIS_N][k] = exp(lnN);
            p.x[AXIS_C][k] = 1e15 * pow(10, c);
            p.loss[k] = 1 + 0.05 * (lnN - m) * (lnN - m) + 0.3 * rng_normal(9, 9, (uint64_t)k);
            p.cluster[k] = k;
        }
    p.n_clusters = p.n;
    IsoResult r;
    int rc = isoflop_fit(&p, 200, 1, &r);
    if (rc == 0) fail_msg("an exponent %.3g [%.3g, %.3g] from noise was accepted", r.n_exp, r.n_lo, r.n_hi);
    print_message("refused: %s\n", jp_error());
    assert_true(strstr(jp_error(), "cannot tell C^0.25 from C^0.75") || strstr(jp_error(), "gave an optimum inside the sizes tried"));
    points_free(&p);
}

static void test_budget_planner(void **state) {
    (void)state;
    const double al = 0.34, be = 0.28, A = 406.4, B = 410.7;
    double theta[5] = { log(1.69), log(A), log(B), al, be };
    Costs c = { .flop = 1 };
    double C = 1e21, N, D, L;
    assert_int_equal(budget_best(theta, &c, C, &N, &D, &L), 0);
    double G = pow(al * A / (be * B), 1 / (al + be));
    assert_float_equal(N / (G * pow(C / 6, be / (al + be))), 1.0, 1e-4);   // the closed form
    assert_float_equal(6 * N * D / C, 1.0, 1e-9);
    // data as dear as 1e12 FLOPs a point: far fewer examples, a bigger model, a worse loss
    Costs dear = { .flop = 1, .data = 1e12 };
    double N2, D2, L2;
    assert_int_equal(budget_best(theta, &dear, C, &N2, &D2, &L2), 0);
    print_message("budget 1e21: N %.3g D %.3g (free data) vs N %.3g D %.3g (dear data)\n", N, D, N2, D2);
    assert_true(D2 < D / 10 && N2 > N && L2 > L);
    // the cheapest way to the loss just found costs the budget
    double cost;
    assert_int_equal(budget_cheapest(theta, &c, L, &N2, &D2, &cost), 0);
    assert_float_equal(cost / C, 1.0, 1e-3);
    // below the irreducible loss nothing will do
    assert_int_equal(budget_cheapest(theta, &c, 1.5, &N2, &D2, &cost), -1);
}

static void expect_refusal(Points *p, const Law *law, const char *fragment) {
    FitOptions o = { .law = law, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 10 };
    FitResult r;
    assert_int_equal(fit_law(&o, p, NULL, &r), -1);
    if (!strstr(jp_error(), fragment)) fail_msg("error '%s' lacks '%s'", jp_error(), fragment);
}

static void test_degenerate_inputs(void **state) {
    (void)state;
    Points p;
    synth(&p, 0, 8, 1, 0.01, 9);
    p.n = 3;
    expect_refusal(&p, &law_power, "3 points for 3 parameters");
    p.n = 8;
    p.loss[2] = 0;
    expect_refusal(&p, &law_power, "point 3: loss 0: losses must be positive");
    p.loss[2] = NAN;
    expect_refusal(&p, &law_power, "point 3: loss nan");
    p.loss[2] = 1;
    p.x[AXIS_N][4] = -5;
    expect_refusal(&p, &law_power, "point 5: params = -5: must be positive");
    for (int i = 0; i < 8; i++) p.x[AXIS_N][i] = 1e6;
    expect_refusal(&p, &law_power, "params takes one value only");
    expect_refusal(&p, &law_chinchilla, "params takes one value only");
    points_free(&p);
    // CSV: a missing column and a non-number are named with file and line
    char path[] = "/tmp/jackpot-fit-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("N,loss\n1000,0.5\n2000,abc\n", f);
    fclose(f);
    const char *cols[AXIS_COUNT] = { "N", "D", NULL, NULL };
    assert_int_equal(points_from_csv(path, cols, "loss", NULL, &p), -1);
    assert_non_null(strstr(jp_error(), "no column 'D'"));
    const char *cols_n[AXIS_COUNT] = { "N", NULL, NULL, NULL };
    assert_int_equal(points_from_csv(path, cols_n, "loss", NULL, &p), -1);
    assert_non_null(strstr(jp_error(), ":3: column 'loss': expected a number, got 'abc'"));
    remove(path);
}

// Writes text to a fresh temporary file; its path into path (a mkstemp template).
static void write_temp(char *path, const char *text) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

// --cluster-col: a row with no value there (empty, or the row too short) is refused with
// file:line; before, it got a cluster id past n_clusters and the bootstrap wrote past its array.
static void test_csv_cluster_value_required(void **state) {
    (void)state;
    const char *cols[AXIS_COUNT] = { "N", NULL, NULL, NULL };
    const char *rows[] = { "N,loss,seed_group\n1e6,3.1,a\n2e6,2.9,\n4e6,2.7,b\n8e6,2.5,c\n",
                           "N,loss,seed_group\n1e6,3.1,a\n2e6,2.9\n4e6,2.7,b\n8e6,2.5,c\n" };
    for (int t = 0; t < 2; t++) {
        char path[] = "/tmp/jackpot-fit-XXXXXX";
        write_temp(path, rows[t]);
        Points p;
        assert_int_equal(points_from_csv(path, cols, "loss", "seed_group", &p), -1);
        char expect[128];
        snprintf(expect, sizeof expect, "%s:3: column 'seed_group' (the cluster) is empty", path);
        if (!strstr(jp_error(), expect)) fail_msg("error '%s' lacks '%s'", jp_error(), expect);
        remove(path);
    }
    // every row with a value: clusters numbered densely in order of first appearance
    char path[] = "/tmp/jackpot-fit-XXXXXX";
    write_temp(path, "N,loss,g\n1e6,3.1,x\n2e6,2.9,y\n1e6,3.0,x\n4e6,2.7,z\n8e6,2.5,y\n");
    Points p;
    if (points_from_csv(path, cols, "loss", "g", &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(p.n, 5);
    assert_int_equal(p.n_clusters, 3);
    const int expect[5] = { 0, 1, 0, 2, 1 };
    for (int i = 0; i < 5; i++) assert_int_equal(p.cluster[i], expect[i]);
    // a cluster id outside 0..n_clusters−1 is refused by the fit, not written past an array
    p.cluster[4] = 3;
    FitOptions o = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 10 };
    FitResult r;
    assert_int_equal(fit_law(&o, &p, NULL, &r), -1);
    assert_non_null(strstr(jp_error(), "point 5: cluster 3 outside 0..2"));
    points_free(&p);
    remove(path);
}

// A CSV wider than the old 256-field cap: the columns past it are found and read.
static void test_csv_with_300_columns(void **state) {
    (void)state;
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (int c = 0; c < 300; c++)
        len += (size_t)snprintf(text + len, cap - len, "%s%s", c ? "," : "", c == 280 ? "N" : c == 299 ? "loss" : "pad");
    len += (size_t)snprintf(text + len, cap - len, "\n");
    for (int r = 0; r < 6; r++) {
        for (int c = 0; c < 300; c++)
            len += (size_t)snprintf(text + len, cap - len, "%s%g", c ? "," : "", c == 280 ? 1e6 * (1 << r) : c == 299 ? 3.0 - 0.1 * r : 0.0);
        len += (size_t)snprintf(text + len, cap - len, "\n");
    }
    char path[] = "/tmp/jackpot-fit-XXXXXX";
    write_temp(path, text);
    free(text);
    const char *cols[AXIS_COUNT] = { "N", NULL, NULL, NULL };
    Points p;
    if (points_from_csv(path, cols, "loss", NULL, &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(p.n, 6);
    assert_true(p.x[AXIS_N][5] == 32e6);
    assert_true(fabs(p.loss[5] - 2.5) < 1e-12);
    points_free(&p);
    remove(path);
}

// The grouped objective (fit/huber.c) equals the sum over points, value and gradient, for
// grouping by x and by (x, cluster) with per-cluster weights, and stays equal when its
// search hints are stale (θ moved far since the last evaluation).
static void test_grouped_objective_equals_the_sum(void **state) {
    (void)state;
    enum { n = 600, n_clusters = 7 };
    double *logx = malloc(sizeof(double) * n), *logy = malloc(sizeof(double) * n), wc[n_clusters];
    int *cluster = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        int size = i % 5;                     // 5 distinct x, 120 points each
        logx[i] = log(1e6) + size;
        cluster[i] = (i / 5) % n_clusters;    // clusters cut across sizes
        logy[i] = log(1.7 + 400 * exp(-0.34 * logx[i])) + 0.02 * rng_normal(3, 9, (uint64_t)i) + (i % 40 == 0 ? 1e-4 : 0);
    }
    for (int c = 0; c < n_clusters; c++) wc[c] = c % 3;   // 0, 1, 2: a bootstrap's multiplicities
    const double delta = 1e-3, thetas[3][3] = { { 0.53, 6.0, 0.34 }, { 0.2, 9.0, 0.9 }, { 0.531, 5.99, 0.341 } };
    for (int split = 0; split < 2; split++) {
        HuberData d;
        HuberPrefix p;
        huber_build(&d, n, 1, logx, logy, cluster, split);
        assert_int_equal(d.G, split ? 35 : 5);
        huber_prefix_alloc(&d, &p);
        for (int weighted = 0; weighted < 2; weighted++) {
            huber_prefix_set(&d, weighted && !split ? wc : NULL, &p);
            int *hint = calloc(2 * d.G, sizeof(int));
            for (int t = 0; t < 3; t++) {
                double g[3], f = huber_objective(&d, &p, weighted && split ? wc : NULL, hint, &law_power, thetas[t], delta, g);
                double f0 = 0, g0[3] = { 0 }, gi[3];
                for (int i = 0; i < n; i++) {
                    double w = weighted ? wc[cluster[i]] : 1, r = law_power.log_predict(thetas[t], &logx[i], gi) - logy[i];
                    double h = fabs(r) <= delta ? 0.5 * r * r : delta * (fabs(r) - 0.5 * delta);
                    double dh = fabs(r) <= delta ? r : r > 0 ? delta : -delta;
                    f0 += w * h / delta;
                    for (int k = 0; k < 3; k++) g0[k] += w * dh / delta * gi[k];
                }
                if (fabs(f - f0) > 1e-9 * (1 + fabs(f0))) fail_msg("split %d weighted %d θ %d: %.15g vs %.15g", split, weighted, t, f, f0);
                for (int k = 0; k < 3; k++)
                    if (fabs(g[k] - g0[k]) > 1e-9 * (1 + fabs(g0[k]))) fail_msg("gradient %d: %.15g vs %.15g", k, g[k], g0[k]);
            }
            free(hint);
        }
        huber_prefix_free(&p);
        huber_free(&d);
    }
    free(logx); free(logy); free(cluster);
}

// 2·10^4 rows (40 sizes × 500 seeds) read and fitted with a bootstrap: minutes before the
// objective was grouped by x, about a second now.
static void test_csv_of_many_rows(void **state) {
    (void)state;
    char path[] = "/tmp/jackpot-fit-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("N,loss,size\n", f);
    for (int i = 0; i < 20000; i++) {
        double N = 1e4 * pow(10, 4.0 * (i % 40) / 40);
        fprintf(f, "%.6g,%.6g,s%d\n", N, (1.7 + 400 * pow(N, -0.34)) * exp(0.03 * rng_normal(5, 1, (uint64_t)i)), i % 40);
    }
    fclose(f);
    const char *cols[AXIS_COUNT] = { "N", NULL, NULL, NULL };
    Points p;
    if (points_from_csv(path, cols, "loss", "size", &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(p.n, 20000);
    assert_int_equal(p.n_clusters, 40);
    FitOptions o = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 20, .seed = 1 };
    FitResult r;
    if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
    assert_true(fabs(r.report[2] - 0.34) < 0.01);
    assert_true(r.lo[2] <= r.report[2] && r.report[2] <= r.hi[2]);
    fit_result_free(&r);
    points_free(&p);
    remove(path);
}

// The minimiser alone: Rosenbrock's valley from its classic start, to the minimum (1, 1).
static double rosenbrock(void *ctx, const double *t, double *g) {
    (void)ctx;
    double a = 1 - t[0], b = t[1] - t[0] * t[0];
    if (g) { g[0] = -2 * a - 400 * t[0] * b; g[1] = 200 * b; }
    return a * a + 100 * b * b;
}

// Σ w_i·Huber_δ(x − c_i) for c = 0, 1, 2 (δ = 1e-3): minimised at the weighted median, on a kink.
static double kinked(void *ctx, const double *t, double *g) {
    const double *w = ctx, c[3] = { 0, 1, 2 }, delta = 1e-3;
    double f = 0;
    if (g) g[0] = 0;
    for (int i = 0; i < 3; i++) {
        double r = t[0] - c[i];
        f += huber_point(w[i], r, delta) / delta;
        if (g) g[0] += w[i] * (fabs(r) <= delta ? r : copysign(delta, r)) / delta;
    }
    return f;
}

static void test_bfgs_minimize(void **state) {
    (void)state;
    const MinOptions o = { .max_iter = 1000, .ftol = 1e-15, .gtol = 1e-10 };
    double t0[2] = { -1.2, 1 }, t[2], f;
    assert_int_equal(bfgs_minimize(rosenbrock, NULL, 2, t0, &o, t, &f), 1);
    assert_float_equal(t[0], 1, 1e-6);
    assert_float_equal(t[1], 1, 1e-6);
    assert_true(f < 1e-12);
    // A warm start on the old optimum's kink (the median, 1) must walk to the new weights'
    // optimum (2): the bootstrap's refits start where the fit ended.
    double w[3] = { 1, 0, 3 }, x0 = 1, x;
    assert_int_equal(bfgs_minimize(kinked, w, 1, &x0, &o, &x, &f), 1);
    // there the pull of the point at 0 (w·δ/δ = 1) balances the one at 2 (3·r/δ): x = 2 − δ/3,
    // f = (x − δ/2) + 3·(δ/3)²/(2δ) = 2 − 2δ/3
    assert_float_equal(x, 2 - 1e-3 / 3, 1e-9);
    assert_float_equal(f, 2 - 2e-3 / 3, 1e-12);
}

// The bootstrap spreads its resamples over threads: every number is the same on one thread.
static void test_bootstrap_independent_of_threads(void **state) {
    (void)state;
    Points p;
    synth(&p, 1, 5, 1, 0.01, 77);
    FitOptions o = { .law = &law_chinchilla, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 40, .seed = 3 };
    FitResult r1, r2;
#ifdef _OPENMP   // (the TSan build has no OpenMP: one thread both times)
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    if (fit_law(&o, &p, NULL, &r1) != 0) fail_msg("%s", jp_error());
#ifdef _OPENMP
    omp_set_num_threads(4);
#endif
    if (fit_law(&o, &p, NULL, &r2) != 0) fail_msg("%s", jp_error());
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    assert_memory_equal(r1.boot_theta, r2.boot_theta, sizeof(double) * 40 * 5);
    assert_memory_equal(r1.lo, r2.lo, sizeof r1.lo);
    fit_result_free(&r1); fit_result_free(&r2);
    points_free(&p);
}

int main(void) {
    gsl_set_error_handler_off();   // as jackpot's main(): the library reads GSL's status codes, never aborts
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_known_answer_coverage),
        cmocka_unit_test(test_chinchilla_known_answer),
        cmocka_unit_test(test_kaplan_known_answer),
        cmocka_unit_test(test_heldout_predicts_the_largest),
        cmocka_unit_test(test_agrees_with_scipy),
        cmocka_unit_test(test_isoflop_recovers_planted_exponents),
        cmocka_unit_test(test_isoflop_decade_to_within_whole_steps),
        cmocka_unit_test(test_isoflop_refuses_an_unresolved_exponent),
        cmocka_unit_test(test_budget_planner),
        cmocka_unit_test(test_degenerate_inputs),
        cmocka_unit_test(test_csv_cluster_value_required),
        cmocka_unit_test(test_csv_with_300_columns),
        cmocka_unit_test(test_grouped_objective_equals_the_sum),
        cmocka_unit_test(test_csv_of_many_rows),
        cmocka_unit_test(test_bfgs_minimize),
        cmocka_unit_test(test_bootstrap_independent_of_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

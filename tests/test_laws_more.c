// The laws of issue 19 beyond the power law: the broken neural scaling law (bnsl1, bnsl2) and
// M4. Their gradients against central differences; planted constants recovered inside the 95%
// intervals at the rate the issue asks (≥ 90% of seeded draws); the objective scipy reaches on
// committed points (tests/reference/scipy_laws19.py) reached here to 1e-6; clear refusals.
#include "testutil.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "base/error.h"
#include "base/rng.h"
#include "fit/fit.h"
#include "stats/describe.h"

// ---- gradients ----

// log_predict's gradient against central differences at θ and lx; the worst error relative to
// max(1, |g|).
static double gradient_error(const Law *L, const double *theta, double lx) {
    double g[LAW_MAX_THETA], t[LAW_MAX_THETA], worst = 0;
    L->log_predict(theta, &lx, g);
    for (int j = 0; j < L->n_theta; j++) {
        double h = 1e-5 * fmax(1, fabs(theta[j]));
        memcpy(t, theta, sizeof(double) * L->n_theta);
        t[j] = theta[j] + h; double up = L->log_predict(t, &lx, NULL);
        t[j] = theta[j] - h; double down = L->log_predict(t, &lx, NULL);
        double fd = (up - down) / (2 * h), err = fabs(fd - g[j]) / fmax(1, fabs(g[j]));
        if (err > worst) worst = err;
        if (err > 1e-6) fail_msg("%s: d/d%s at lx = %g: analytic %.10g, differences %.10g", L->name, L->theta_names[j], lx, g[j], fd);
    }
    return worst;
}

static void test_gradients_match_differences(void **state) {
    (void)state;
    // θ: planted-like values, a sharp break, a break with a negative bend, exponents of both signs
    const double b1[][6] = { { log(0.3), log(20), 0.1, log(1e6), log(0.5), 0.5 },
                             { log(2), log(5), 0.0, log(1e3), log(0.05), 1.5 },
                             { log(0.01), log(100), 0.6, log(1e8), log(2), -0.3 } };
    const double b2[][9] = { { log(0.3), log(20), 0.1, log(1e5), log(0.3), 0.5, log(1e8), log(0.5), 0.3 },
                             { log(1), log(3), 0.3, log(10), log(1), 0.2, log(1e4), log(0.1), 1.0 } };
    const double m4[][5] = { { log(0.2), log(2.3), log(0.7), log(100), -0.4 },
                             { log(1e-3), log(5), log(1.8), log(0.1), -1.2 },
                             { log(0.5), log(0.1), log(0.25), log(3), 0.3 } };
    const double lx[] = { -2, 0, 3, 9.2, 14, 23 };
    double worst = 0;
    for (int k = 0; k < 6; k++) {
        for (int i = 0; i < 3; i++) worst = fmax(worst, gradient_error(&law_bnsl1, b1[i], lx[k]));
        for (int i = 0; i < 2; i++) worst = fmax(worst, gradient_error(&law_bnsl2, b2[i], lx[k]));
        for (int i = 0; i < 3; i++) worst = fmax(worst, gradient_error(&law_m4, m4[i], lx[k]));
    }
    print_message("gradients: worst relative difference from central differences %.2g\n", worst);
}

// M4 solved where L is within 1e-13 of ε0 or ε∞ (s = σ(t) for t = ±30): placing x so that the
// law's root is a known t, log L̂ is that point's log loss to the last bits.
static void test_m4_solves_next_to_either_end(void **state) {
    (void)state;
    const double th[5] = { log(0.2), log(2.3), log(0.7), log(100), -0.4 };
    double alpha = exp(th[2]);
    for (double t = -30; t <= 30; t += 6) {
        double sp = fmax(t, 0) + log1p(exp(-fabs(t))), K = t + (alpha - 1) * sp;   // h(t) = 0
        double lx = (K - th[3] - (alpha - 1) * th[1]) / th[4];
        double logs = -(fmax(-t, 0) + log1p(exp(-fabs(t))));                         // log σ(t)
        double want = log(exp(th[0]) + exp(th[1] + logs)), got = law_m4.log_predict(th, &lx, NULL);
        if (fabs(got - want) > 1e-14 * fmax(1, fabs(want)))
            fail_msg("m4 at t = %g: log L̂ %.17g, want %.17g", t, got, want);
    }
}

// ---- planted constants ----

// n_sizes sizes of x, log-spaced over [x_lo, x_hi], `seeds` draws each (one cluster per size):
// the law's loss at θ times exp(σ·z).
static void planted_points(const Law *L, const double *theta, double x_lo, double x_hi, int n_sizes, int seeds,
                           double sigma, uint64_t seed, Points *p) {
    points_alloc(p, n_sizes * seeds);
    for (int i = 0; i < n_sizes; i++)
        for (int s = 0; s < seeds; s++) {
            int k = p->n++;
            double lx = log(x_lo) + (log(x_hi) - log(x_lo)) * i / (n_sizes - 1);
            p->x[AXIS_N][k] = exp(lx);
            p->loss[k] = exp(L->log_predict(theta, &lx, NULL) + sigma * rng_normal(seed, 7, (uint64_t)k));
            p->cluster[k] = i;
        }
    p->n_clusters = n_sizes;
}

typedef struct {
    const Law *law;
    double theta[LAW_MAX_THETA];
    double x_lo, x_hi;
    int sizes, seeds;
    int n_main, main[LAW_MAX_REPORT];   // the reported quantities whose coverage is asserted
} Planted;

// The asymptotic standard error of each θ_j for the design of p with N(0, σ²) noise on log L:
// κ·(JᵀJ)⁻¹ with J from the law's gradient at the truth, κ = E ψ_δ(ε)² / (E ψ_δ'(ε))² for the
// Huber ψ (as tests/test_fit.c derives it).
static void expected_se(const Law *L, const double *theta, const Points *p, double sigma, double delta, double *se) {
    int np = L->n_theta;
    gsl_matrix *M = gsl_matrix_calloc(np, np);
    for (int i = 0; i < p->n; i++) {
        double g[LAW_MAX_THETA], lx = log(p->x[AXIS_N][i]);
        L->log_predict(theta, &lx, g);
        for (int a = 0; a < np; a++)
            for (int b = 0; b < np; b++) *gsl_matrix_ptr(M, a, b) += g[a] * g[b];
    }
    assert_int_equal(gsl_linalg_cholesky_decomp1(M), 0);
    assert_int_equal(gsl_linalg_cholesky_invert(M), 0);
    double c = delta / sigma, inside = erf(c / sqrt(2)), phi = exp(-c * c / 2) / sqrt(2 * M_PI);
    double kappa = (sigma * sigma * (inside - 2 * c * phi) + delta * delta * (1 - inside)) / (inside * inside);
    for (int j = 0; j < np; j++) se[j] = sqrt(kappa * gsl_matrix_get(M, j, j));
    gsl_matrix_free(M);
}

// trials seeded draws of 1% noise, each fitted with 100 resamples (bnsl2: 200); counts, per reported quantity,
// the draws whose 95% interval holds the planted value, and asserts ≥ 90% for the main ones. An
// interval wide enough covers always: the mean width of each θ's interval is also compared with
// what the noise warrants (2·1.96·se, the asymptotic one; the fits' own rms error is 0.5–1.2 se).
// Measured: 1.3–2.3 times for bnsl1, 1.4–2.1 for m4, 1.5–5.8 for bnsl2. The cluster bootstrap is
// conservative here, not wrong: its middle half is as narrow as se says, but a resample that
// leaves out the sizes next to a break cannot pin that break's sharpness f (it runs to a sharp
// corner) nor, past the last break, the floor a, which fattens the tails the 2.5% and 97.5%
// percentiles sit in. Held within [0.6, 8]: never narrower than the noise allows, never useless.
static void coverage(const Planted *pl, int trials) {
    const Law *L = pl->law;
    double truth[LAW_MAX_REPORT], se[LAW_MAX_THETA], width[LAW_MAX_THETA] = { 0 }, ss[LAW_MAX_THETA] = { 0 };
    int covered[LAW_MAX_REPORT] = { 0 };
    L->report(pl->theta, truth);
    for (int t = 0; t < trials; t++) {
        Points p;
        planted_points(L, pl->theta, pl->x_lo, pl->x_hi, pl->sizes, pl->seeds, 0.01, 1000 + (uint64_t)t, &p);
        if (t == 0) expected_se(L, pl->theta, &p, 0.01, 1e-3, se);
        // bnsl2's heavy interval tails need 200 resamples; the others keep their coverage with 100
        FitOptions o = { .law = L, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = L == &law_bnsl2 ? 200 : 100, .seed = (uint64_t)t };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s: %s", L->name, jp_error());
        for (int j = 0; j < L->n_report; j++) covered[j] += r.lo[j] <= truth[j] && truth[j] <= r.hi[j];
        for (int j = 0; j < L->n_theta; j++) ss[j] += (r.theta[j] - pl->theta[j]) * (r.theta[j] - pl->theta[j]) / trials;
        double col[200], lo, hi;
        for (int j = 0; j < L->n_theta; j++) {
            for (int b = 0; b < r.n_boot; b++) col[b] = r.boot_theta[(size_t)b * L->n_theta + j];
            percentile_interval(col, r.n_boot, &lo, &hi);
            width[j] += (hi - lo) / trials;
        }
        fit_result_free(&r);
        points_free(&p);
    }
    char line[1024];
    int at = snprintf(line, sizeof line, "%s: planted values inside the 95%% intervals in %d draws:", L->name, trials);
    for (int j = 0; j < L->n_report; j++)
        at += snprintf(line + at, sizeof line - at, " %s %d%s", L->report_names[j], covered[j], j + 1 < L->n_report ? "," : "");
    print_message("%s\n", line);
    at = snprintf(line, sizeof line, "%s: mean interval width / the noise's 2·1.96·se:", L->name);
    for (int j = 0; j < L->n_theta; j++)
        at += snprintf(line + at, sizeof line - at, " %s %.2f (rms error/se %.2f)", L->theta_names[j], width[j] / (2 * 1.959964 * se[j]), sqrt(ss[j]) / se[j]);
    print_message("%s\n", line);
    for (int m = 0; m < pl->n_main; m++) {
        int j = pl->main[m];
        if (10 * covered[j] < 9 * trials)
            fail_msg("%s: %s covered in %d of %d draws, fewer than 90%%", L->name, L->report_names[j], covered[j], trials);
    }
    for (int j = 0; j < L->n_theta; j++) {
        double ratio = width[j] / (2 * 1.959964 * se[j]);
        if (!(ratio >= 0.6 && ratio <= 8)) fail_msg("%s: %s interval width %.2f times the noise's", L->name, L->theta_names[j], ratio);
    }
}

enum { TRIALS = 20 };

static void test_bnsl1_covers_planted_values(void **state) {
    (void)state;
    Planted pl = { &law_bnsl1, { log(0.3), log(20), 0.1, log(1e6), log(0.5), 0.5 }, 1e3, 1e10, 20, 4,
                   7, { 0, 1, 2, 3, 4, 5, 6 } };
    coverage(&pl, TRIALS);
}

// Both breaks must show above the floor: with the θ of bnsl_points.csv (a = 0.3, b = 20, c1 = 0.5,
// c2 = 0.3) the curve past the second break (1e8) lies under a, and a, d2, f2, c2 were covered in
// only 11–14 of 20 draws: the data do not determine them (on that CSV scipy finds the same
// minimum as jackpot). Here the curve falls from 5 to 0.013 and the floor a = 0.01 shows only in
// the last decade.
static void test_bnsl2_covers_planted_values(void **state) {
    (void)state;
    Planted pl = { &law_bnsl2, { log(0.01), log(10), 0.1, log(1e5), log(0.3), 0.3, log(1e8), log(0.3), 0.5 }, 1e3, 1e10,
                   24, 3, 10, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 } };
    coverage(&pl, TRIALS);
}

static void test_m4_covers_planted_values(void **state) {
    (void)state;
    Planted pl = { &law_m4, { log(0.2), log(2.3), log(0.7), log(100), -0.4 }, 1e2, 1e8, 16, 4, 5, { 0, 1, 2, 3, 4 } };
    coverage(&pl, TRIALS);
}

// ---- agreement with scipy ----

// scipy's fit of each law on committed points (tests/reference/scipy_laws19.py): jackpot's
// objective at its own minimum within 1e-6 of scipy's (issue 19's acceptance).
static void test_agrees_with_scipy(void **state) {
    (void)state;
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    char path[512], csv[512], law[32], file[64];
    snprintf(path, sizeof path, "%s/scipy_laws19.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    int n, laws = 0;
    while (fscanf(f, "%31s %63s %d", law, file, &n) == 3) {
        double want[LAW_MAX_THETA], want_f;
        for (int j = 0; j < n; j++) assert_int_equal(fscanf(f, "%lf", &want[j]), 1);
        assert_int_equal(fscanf(f, "%lf", &want_f), 1);
        snprintf(csv, sizeof csv, "%s/%s", dir, file);
        const char *cols[AXIS_COUNT] = { "x" };
        Points p;
        if (points_from_csv(csv, cols, "loss", "x", &p) != 0) fail_msg("%s", jp_error());
        const Law *L = law_find(law);
        assert_non_null(L);
        assert_int_equal(L->n_theta, n);
        FitOptions o = { .law = L, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 0 };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
        double got_f = r.objective / o.delta, rel = fabs(got_f - want_f) / want_f, dtheta = 0;
        for (int j = 0; j < n; j++) dtheta = fmax(dtheta, fabs(r.theta[j] - want[j]));
        print_message("%s: objective %.12g, scipy %.12g (relative %.2g, allowed 1e-6); largest |Δθ| %.2g\n", law, got_f,
                      want_f, rel, dtheta);
        if (!(rel <= 1e-6)) fail_msg("%s: objective %.12g against scipy's %.12g", law, got_f, want_f);
        fit_result_free(&r);
        points_free(&p);
        laws++;
    }
    fclose(f);
    assert_int_equal(laws, 3);
}

// ---- the command ----

// scipy's objective for law in scipy_laws19.txt (the last field of its line).
static double scipy_objective(const char *dir, const char *law) {
    char path[512], name[32], file[64];
    snprintf(path, sizeof path, "%s/scipy_laws19.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    int n;
    double v = NAN;
    while (fscanf(f, "%31s %63s %d", name, file, &n) == 3) {
        for (int j = 0; j <= n; j++) assert_int_equal(fscanf(f, "%lf", &v), 1);
        if (!strcmp(name, law)) break;
        v = NAN;
    }
    fclose(f);
    if (isnan(v)) fail_msg("no line for %s in %s", law, path);
    return v;
}

// jackpot fit --law bnsl --breaks 2 and --law m4 on the committed points: the laws by name, the
// exponent past the last break as the sum of the exponents, a prediction inside its interval,
// and the objective scipy reaches (Σ Huber, as the JSON gives it, is δ times scipy's).
static void test_fit_command(void **state) {
    (void)state;
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    static char out[1 << 16];
    char args[1024];
    const struct { const char *flags, *csv, *law; } cases[] = {
        { "--law bnsl --breaks 2", "bnsl_points.csv", "bnsl2" },
        { "--law m4", "m4_points.csv", "m4" },
    };
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "fit %s --csv %s/%s --col params=x --cluster-col x --boot 40 --predict 1e11 --json",
                 cases[k].flags, dir, cases[k].csv);
        if (run(args, out, sizeof out) != 0) fail_msg("jackpot %s:\n%s", args, out);
        assert_json_text(out, "$.law", cases[k].law);
        double f = json_number_at(out, "$.objective") / 1e-3, want = scipy_objective(dir, cases[k].law);
        if (fabs(f - want) > 1e-6 * want) fail_msg("%s: objective %.12g, scipy %.12g", cases[k].law, f, want);
        double loss = json_number_at(out, "$.prediction.loss");
        assert_true(json_number_at(out, "$.prediction.lo") <= loss && loss <= json_number_at(out, "$.prediction.hi"));
    }
    // the last run was m4: ε0 above ε∞
    assert_true(json_number_at(out, "$.parameters.eps_0.estimate") > json_number_at(out, "$.parameters.eps_inf.estimate"));
    snprintf(args, sizeof args, "fit --law bnsl --csv %s/bnsl_points.csv --col params=x --cluster-col x --boot 0 --json", dir);
    if (run(args, out, sizeof out) != 0) fail_msg("jackpot %s:\n%s", args, out);
    assert_json_text(out, "$.law", "bnsl1");
    double c_past = json_number_at(out, "$.parameters.c_past.estimate");
    assert_float_equal(c_past, json_number_at(out, "$.theta[2]") + json_number_at(out, "$.theta[5]"), 1e-12);
}

// ---- refusals ----

static void test_refuses_what_cannot_be_fitted(void **state) {
    (void)state;
    const double th[9] = { log(0.3), log(20), 0.1, log(1e5), log(0.3), 0.5, log(1e8), log(0.5), 0.3 };
    Points p;
    // 9 points for bnsl2's 9 parameters
    planted_points(&law_bnsl2, th, 1e3, 1e10, 9, 1, 0.01, 1, &p);
    FitOptions o = { .law = &law_bnsl2, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 0 };
    FitResult r;
    assert_int_equal(fit_law(&o, &p, NULL, &r), -1);
    print_message("refused: %s\n", jp_error());
    assert_non_null(strstr(jp_error(), "9 points for 9 parameters"));
    points_free(&p);
    // M4 bounds the loss by ε∞ > 0 (and the fit is in log L): a loss of 0 cannot lie above it
    const double tm[5] = { log(0.2), log(2.3), log(0.7), log(100), -0.4 };
    planted_points(&law_m4, tm, 1e2, 1e8, 12, 1, 0.01, 1, &p);
    p.loss[5] = 0;
    o.law = &law_m4;
    assert_int_equal(fit_law(&o, &p, NULL, &r), -1);
    print_message("refused: %s\n", jp_error());
    points_free(&p);
}

int main(void) {
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradients_match_differences),
        cmocka_unit_test(test_m4_solves_next_to_either_end),
        cmocka_unit_test(test_bnsl1_covers_planted_values),
        cmocka_unit_test(test_bnsl2_covers_planted_values),
        cmocka_unit_test(test_m4_covers_planted_values),
        cmocka_unit_test(test_agrees_with_scipy),
        cmocka_unit_test(test_fit_command),
        cmocka_unit_test(test_refuses_what_cannot_be_fitted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// The data-constrained law (fit/law_datacon.c) and its planner: the gradient against finite
// differences on every piece of the law, planted constants recovered within their intervals at
// a stated rate, agreement with an independent scipy fit on committed points, the planner's known
// answers (repetition as good as fresh data when R* → ∞; data bought once and repeated when it is
// dear), and the command's refusals.
#include "testutil.h"
#include "fit_fixtures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/rng.h"
#include "fit/budget.h"
#include "fit/fit.h"
#include "report/report.h"
#include "store/store.h"

// The planted law: E 0.25, A 50, B 20, α 0.5, β 0.4, R_D* 10, R_N* 3 (tests/reference/scipy_datacon.py's).
static const double TRUTH[7] = { -1.3862943611198906, 3.912023005428146, 2.995732273553991, 0.5, 0.4,
                                 2.302585092994046, 1.0986122886681098 };

// log L̂ of the law at natural x = (N, U, epochs), written out from the paper's formulas
// (not fit/law_datacon.c's), for the finite differences' cross-check of the value too.
static double log_law(const double *t, const double *x, int excess) {
    double E = exp(t[0]), A = exp(t[1]), B = exp(t[2]), al = t[3], be = t[4], sd = exp(t[5]);
    double UD = x[1] * fmin(x[2], 1), RD = fmax(x[2] - 1, 0), Dp = UD + UD * sd * (1 - exp(-RD / sd)), Np = x[0];
    if (excess && al > 0 && be > 0) {
        double Nopt = pow(al * A / (be * B), 1 / al) * pow(UD, be / al), UN = fmin(x[0], Nopt), RN = x[0] / UN - 1;
        double sn = exp(t[6]);
        Np = UN + UN * sn * (1 - exp(-RN / sn));
    }
    return log(E + A * pow(Np, -al) + B * pow(Dp, -be));
}

// Every piece: N below and above N_opt(U_D), fewer than one pass, one pass, many.
static void test_gradient_matches_finite_differences(void **state) {
    (void)state;
    const double xs[][3] = { { 3e3, 1e4, 1 }, { 3e5, 1e4, 1 }, { 3e5, 1e3, 40 }, { 1e4, 1e5, 0.5 }, { 1e6, 3e3, 7 },
                             { 5e4, 1e4, 1.001 } };
    const double thetas[][7] = { { -1.386, 3.91, 3.0, 0.5, 0.4, 2.3, 1.1 },
                                 { -0.5, 6.0, 2.0, 0.7, 0.3, 0.5, 3.0 },
                                 { 0.2, 2.0, 4.0, 0.3, 0.6, 4.0, -0.5 } };
    const Law *laws[2] = { &law_datacon, &law_datacon_d };
    double worst = 0;
    for (int l = 0; l < 2; l++)
        for (size_t ti = 0; ti < sizeof thetas / sizeof thetas[0]; ti++)
            for (size_t xi = 0; xi < sizeof xs / sizeof xs[0]; xi++) {
                const Law *L = laws[l];
                double lx[3] = { log(xs[xi][0]), log(xs[xi][1]), log(xs[xi][2]) }, g[LAW_MAX_THETA], t[LAW_MAX_THETA];
                double v = L->log_predict(thetas[ti], lx, g);
                double want = log_law(thetas[ti], xs[xi], L == &law_datacon);
                if (fabs(v - want) > 1e-12 * fmax(1, fabs(want)))
                    fail_msg("%s at x %zu θ %zu: value %.15g, the paper's formula %.15g", L->name, xi, ti, v, want);
                for (int j = 0; j < L->n_theta; j++) {
                    double h = 1e-6;
                    memcpy(t, thetas[ti], sizeof thetas[ti]);
                    t[j] += h;
                    double up = L->log_predict(t, lx, NULL);
                    t[j] -= 2 * h;
                    double fd = (up - L->log_predict(t, lx, NULL)) / (2 * h), err = fabs(g[j] - fd);
                    worst = fmax(worst, err);
                    if (err > 1e-7 * fmax(1, fabs(fd)))
                        fail_msg("%s at x %zu θ %zu: d/d%s analytic %.10g, finite differences %.10g", L->name, xi, ti,
                                 L->theta_names[j], g[j], fd);
                }
            }
    print_message("gradients agree with central differences to %.2g\n", worst);
}

// 4 sizes × 3 unique sizes × 6 epochs (the design of examples/repeat_data.yaml, in miniature),
// multiplicative noise exp(σz), each point its own cluster.
static void synth_datacon(Points *p, double sigma, uint64_t seed) {
    const double N[4] = { 3e3, 2e4, 1e5, 5e5 }, U[3] = { 1e3, 1e4, 1e5 }, R[6] = { 1, 2, 4, 8, 16, 40 };
    int n = 4 * 3 * 6, k = 0;
    points_make(p, n);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            for (int e = 0; e < 6; e++, k++) {
                double x[3] = { N[i], U[j], R[e] };
                p->x[AXIS_N][k] = x[0];
                p->x[AXIS_UNIQUE][k] = x[1];
                p->x[AXIS_EPOCHS][k] = x[2];
                p->loss[k] = exp(log_law(TRUTH, x, 1) + sigma * rng_normal(seed, 11, (uint64_t)k));
                p->cluster[k] = k;
            }
    p->n_clusters = n;
}

// Over 20 seeded draws (100 resamples each; ≈ 4 s) each θ_j's 95% interval covers the planted value in ≥ 90% of them.
static void test_planted_constants_within_intervals(void **state) {
    (void)state;
    enum { DRAWS = 20 };
    const Law *L = &law_datacon;
    int covered[LAW_MAX_THETA] = { 0 };
    for (int d = 0; d < DRAWS; d++) {
        Points p;
        synth_datacon(&p, 0.005, 100 + d);
        FitOptions o = { .law = L, .axes = { AXIS_N, AXIS_UNIQUE, AXIS_EPOCHS }, .delta = 1e-3, .n_boot = 100,
                         .seed = (uint64_t)d };
        FitResult r;
        if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
        // θ intervals from the resampled θ (the reported E, A, B, R* are exp of them: the same coverage)
        double *col = malloc(sizeof(double) * r.n_boot);
        for (int j = 0; j < L->n_theta; j++) {
            for (int b = 0; b < r.n_boot; b++) col[b] = r.boot_theta[(size_t)b * L->n_theta + j];
            double lo, hi;
            percentile_interval(col, r.n_boot, &lo, &hi);
            covered[j] += lo <= TRUTH[j] && TRUTH[j] <= hi;
        }
        free(col);
        fit_result_free(&r);
        points_free(&p);
    }
    for (int j = 0; j < L->n_theta; j++) {
        print_message("%-12s covered in %2d of %d draws\n", L->theta_names[j], covered[j], DRAWS);
        if (covered[j] < 0.9 * DRAWS) fail_msg("%s: covered in %d of %d draws, fewer than 90%%", L->theta_names[j], covered[j], DRAWS);
    }
}

// The C fit's objective at its optimum within 1e-6 (relative) of scipy's on the committed points.
static void test_agrees_with_scipy(void **state) {
    (void)state;
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    char path[512], law[32], file[64];
    snprintf(path, sizeof path, "%s/scipy_datacon.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    double want_f, want[7];
    assert_int_equal(fscanf(f, "%31s %63s %lf", law, file, &want_f), 3);
    for (int j = 0; j < 7; j++) assert_int_equal(fscanf(f, "%lf", &want[j]), 1);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    const char *cols[AXIS_COUNT] = { [AXIS_N] = "N", [AXIS_UNIQUE] = "U", [AXIS_EPOCHS] = "R" };
    Points p;
    if (points_from_csv(path, cols, "loss", NULL, &p) != 0) fail_msg("%s", jp_error());
    const Law *L = law_find(law);
    assert_ptr_equal(L, &law_datacon);
    FitOptions o = { .law = L, .axes = { AXIS_N, AXIS_UNIQUE, AXIS_EPOCHS }, .delta = 1e-3, .n_boot = 0 };
    FitResult r;
    if (fit_law(&o, &p, NULL, &r) != 0) fail_msg("%s", jp_error());
    double rel = fabs(r.objective - want_f) / want_f, worst = 0;
    for (int j = 0; j < 7; j++) worst = fmax(worst, fabs(r.theta[j] - want[j]) / fmax(fabs(want[j]), 1e-12));
    print_message("objective %.12g, scipy %.12g: relative %.2g (allowed 1e-6); θ agree to %.2g\n", r.objective, want_f, rel, worst);
    if (rel > 1e-6) fail_msg("objective %.12g, scipy's %.12g: relative difference %.2g", r.objective, want_f, rel);
    if (worst > 1e-3) fail_msg("θ differ from scipy's by %.2g (relative)", worst);
    fit_result_free(&r);
    points_free(&p);
}

// With R_D* → ∞ a repeat is worth a fresh example: the planner with a data limit (and data free)
// gives chinchilla's answer for the same E, A, B, α, β, whatever U is.
static void test_planner_repetition_as_good_as_fresh(void **state) {
    (void)state;
    double th[6] = { TRUTH[0], TRUTH[1], TRUTH[2], TRUTH[3], TRUTH[4], 60 };   // R_D* = e^60
    Costs c = { .flop = 1 };
    double N0, D0, L0, N, D, L;
    assert_int_equal(budget_best(th, &c, 1e14, &N0, &D0, &L0), 0);
    for (double U = 1e2; U <= 1e8; U *= 100) {
        DataLimit lim = { &law_datacon_d, U };
        assert_int_equal(budget_best_limited(&lim, th, &c, 1e14, &N, &D, &L), 0);
        print_message("U %.0e: N %.5g D %.5g (%.4g epochs) loss %.6g; chinchilla N %.5g D %.5g loss %.6g\n", U, N, D, D / U,
                      L, N0, D0, L0);
        assert_float_equal(N / N0, 1, 2e-3);
        assert_float_equal(D / D0, 1, 2e-3);
        assert_float_equal(L / L0, 1, 1e-6);
    }
}

// Data dear (1e7 a unique example against 1 a FLOP): given U, the planner buys all U once and
// repeats it (epochs well above 1, paid in compute) instead of training on U once; and the
// cheapest way to the loss it found costs no more than its budget (less is possible: past R_D*
// epochs the loss is flat to 1e-9, so a cheaper plan reaches it within the tolerance).
static void test_planner_repeats_dear_data(void **state) {
    (void)state;
    Costs c = { .flop = 1, .data = 1e7 };
    const double U = 1e4, budget = 2e11;
    DataLimit lim = { &law_datacon, U }, fresh = { &law_datacon, INFINITY };
    double N, D, L, Nf, Df, Lf;
    assert_int_equal(budget_best_limited(&lim, TRUTH, &c, budget, &N, &D, &L), 0);
    assert_int_equal(budget_best_limited(&fresh, TRUTH, &c, budget, &Nf, &Df, &Lf), 0);
    print_message("U %.0f: N %.4g, %.3g epochs, loss %.5g; fresh data: N %.4g, D %.4g, loss %.5g\n", U, N, D / U, L, Nf,
                  Df, Lf);
    assert_true(D / U > 2);                                   // repeats
    assert_true(c.flop * 6 * N * D + c.data * U <= budget * (1 + 1e-9));
    // once: every example seen once costs less, and loses
    double once = exp(law_datacon.log_predict(TRUTH, (double[]){ log(N), log(U), 0 }, NULL));
    assert_true(L < once);
    // fresh data at this price buys about budget/c_data examples, seen once
    assert_true(Df < budget / c.data && Df > U);
    double N2, D2, cost;
    assert_int_equal(budget_cheapest_limited(&lim, TRUTH, &c, L * (1 + 1e-9), &N2, &D2, &cost), 0);
    assert_true(cost <= budget * (1 + 1e-6) && cost > 0.5 * budget);
    // below what U unique examples can ever give (E + the data term at D' = U(1 + R_D*)): unreachable
    double floor_loss = exp(TRUTH[0]) + exp(TRUTH[2]) * pow(U * (1 + exp(TRUTH[5])), -TRUTH[4]);
    assert_int_equal(budget_cheapest_limited(&lim, TRUTH, &c, floor_loss * 0.999, &N2, &D2, &cost), -1);
}

static void test_cli_refusals(void **state) {
    (void)state;
    char out[8192];
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    char args[1024];
    snprintf(args, sizeof args, "fit --law chinchilla --csv %s/chinchilla_points.csv --col params=N --col data=D --budget 1e20 --unique 1e6", dir);
    int rc = run(args, out, sizeof out);
    assert_int_not_equal(rc, 0);
    if (!strstr(out, "--unique") || !strstr(out, "data-constrained")) fail_msg("--unique with chinchilla: '%s'", out);
    snprintf(args, sizeof args, "fit --law data-constrained --csv %s/datacon_points.csv --col params=N --col unique=U --boot 0 --no-save", dir);
    rc = run(args, out, sizeof out);
    assert_int_not_equal(rc, 0);
    if (!strstr(out, "epochs")) fail_msg("no epochs column: '%s'", out);
    snprintf(args, sizeof args, "fit --law data-constrained --csv %s/datacon_points.csv --col params=N --col unique=U --col epochs=R --boot 0 --predict 1e5,1e4", dir);
    rc = run(args, out, sizeof out);
    assert_int_not_equal(rc, 0);
    if (!strstr(out, "3 value")) fail_msg("--predict with 2 values: '%s'", out);
    snprintf(args, sizeof args, "fit --law data-constrained --csv %s/datacon_points.csv --col params=N --col unique=U --col epochs=R --boot 20 --budget 1e12 --unique 1e4 --json", dir);
    rc = run(args, out, sizeof out);
    assert_int_equal(rc, 0);
    if (!strstr(out, "\"epochs\"") || !strstr(out, "\"unique\"")) fail_msg("planner JSON lacks epochs/unique: '%s'", out);
}

// A store of runs at 3 widths × 2 unique sizes × `n_epochs` of 1, 4, 16, 40 epochs (steps·batch =
// epochs·U), their final test loss the planted law's (no noise).
static void repeat_store(const char *db, int n_epochs) {
    const double widths[3] = { 10, 50, 250 }, U[2] = { 1000, 10000 }, R[4] = { 1, 4, 16, 40 };
    Store st;
    long sweep, id, launch, pos = 0;
    assert_int_equal(store_open(&st, db, 0), 0);
    assert_int_equal(store_add_sweep(&st, "repeat", "repeat.yaml", "config", &sweep), 0);
    for (int w = 0; w < 3; w++)
        for (int u = 0; u < 2; u++)
            for (int e = 0; e < n_epochs; e++, pos++) {
                char params[200], hash[17], group[17], status[16];
                double N = 800 * widths[w];
                snprintf(params, sizeof params, "{\"model.width\":%g,\"task.train_size\":%g,\"budget.epochs\":%g}", widths[w],
                         U[u], R[e]);
                snprintf(hash, sizeof hash, "%016lx", 0x7000 + pos);
                snprintf(group, sizeof group, "%016lx", 0x8000 + pos);
                StoreRun r = { .hash = hash, .group_hash = group, .params_json = params, .task = "fashion-mnist",
                               .family = "mlp", .hidden = "w", .optim = "adamw", .width = (long)widths[w], .depth = 1,
                               .n_params = (long)N, .train_size = (long)U[u], .batch = 100,
                               .steps = (long)(R[e] * U[u] / 100), .lr = 0.01 };
                assert_int_equal(store_add_run(&st, sweep, pos, &r, &id, status), 0);
                double x[3] = { N, U[u], R[e] };
                StoreSummary sum[] = { { "final_test_loss", exp(log_law(TRUTH, x, 1)) } };
                assert_int_equal(store_start_launch(&st, &id, 1, &launch), 0);
                assert_int_equal(store_finish_run(&st, id, "done", -1, 1.0, NULL, sum, 1), 0);
                assert_int_equal(store_end_launch(&st, launch, 1.0), 0);
            }
    store_close(&st);
}

// The report draws loss against epochs with R_D* in the title when some U has 3 or more epochs;
// with 2 it says what it needs instead.
static void test_report_repeat_section(void **state) {
    (void)state;
    if (system("command -v gnuplot > /dev/null 2>&1") != 0) skip();
    char dir[64], db[128], out[128], path[256];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "datacon-report"), 0);
    for (int n_epochs = 4; n_epochs >= 2; n_epochs -= 2) {
        snprintf(db, sizeof db, "%s/r%d.db", dir, n_epochs);
        snprintf(out, sizeof out, "%s/out%d", dir, n_epochs);
        repeat_store(db, n_epochs);
        ReportOptions o = { .db = db, .out = out, .n_boot = 20, .concept_threshold = 0.1 };
        ReportResult res;
        assert_int_equal(report_write(&o, &res), 0);
        snprintf(path, sizeof path, "%s/index.html", out);
        char *html = slurp(path);
        assert_non_null(html);
        if (n_epochs == 4) {
            const char *t = strstr(html, "Loss vs epochs, U = 1000 (fashion-mnist): R_D* = ");
            if (!t) fail_msg("no repeated-data figure in the report");
            double rd = atof(t + strlen("Loss vs epochs, U = 1000 (fashion-mnist): R_D* = "));
            print_message("report: R_D* = %.4g (planted 10)\n", rd);
            assert_float_equal(rd, 10, 0.05);
            snprintf(path, sizeof path, "%s/repeat_fashion_mnist_c1.png", out);
            assert_int_equal(access(path, F_OK), 0);
        } else {
            assert_null(strstr(html, "Loss vs epochs"));
            assert_non_null(strstr(html, "loss against epochs: not drawn: it needs runs at 3 or more epochs"));
        }
        free(html);
    }
    assert_int_equal(temp_dir_remove(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_matches_finite_differences),
        cmocka_unit_test(test_agrees_with_scipy),
        cmocka_unit_test(test_planted_constants_within_intervals),
        cmocka_unit_test(test_planner_repetition_as_good_as_fresh),
        cmocka_unit_test(test_planner_repeats_dear_data),
        cmocka_unit_test(test_cli_refusals),
        cmocka_unit_test(test_report_repeat_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// The fitting library beside the fit itself, called directly with answers worked out by
// hand: a prediction's bootstrap interval, the budget planner's optimum against the closed
// form, the warnings a fit carries, the groups check, and the store's reader of fit points
// (src/store/read_fit) on a database written through the store API.
#include "testutil.h"
#include <gsl/gsl_errno.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "fit/analysis.h"
#include "fit/budget.h"
#include "fit/fit.h"
#include "base/rng.h"
#include "stats/sort.h"
#include "store/read_fit.h"
#include "store/store.h"


static void assert_close(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want))) fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, rel);
}

// ---- predictions

// L = E + A·x^−α with E = 1, A = 2, α = 0.5 predicts 1 + 2/10 = 1.2 at x = 100. Resample b has
// E_b = 1 + 0.01·b (b = 0..40), so its prediction is 1.2 + 0.01·b; the 2.5% and 97.5%
// quantiles of 41 sorted values (GSL: at positions 0.025·40 = 1 and 0.975·40 = 39) are
// 1.21 and 1.59.
static void test_prediction_interval(void **state) {
    (void)state;
    enum { NB = 41 };
    FitResult r = { .theta = { log(1), log(2), 0.5 }, .n_boot = NB };
    double boot[NB * 3];
    for (int b = 0; b < NB; b++) { boot[b * 3] = log(1 + 0.01 * b); boot[b * 3 + 1] = log(2); boot[b * 3 + 2] = 0.5; }
    r.boot_theta = boot;
    double x = 100;
    FitPrediction pr;
    fit_prediction(&law_power, &r, &x, &pr);
    assert_int_equal(pr.n_x, 1);
    assert_close(pr.x[0], 100, 0);
    assert_true(isnan(pr.x[1]));
    assert_close(pr.loss, 1.2, 1e-14);
    assert_close(pr.lo, 1.21, 1e-14);
    assert_close(pr.hi, 1.59, 1e-14);

    r.n_boot = 0;   // no resamples: no interval
    fit_prediction(&law_power, &r, &x, &pr);
    assert_close(pr.loss, 1.2, 1e-14);
    assert_true(isnan(pr.lo) && isnan(pr.hi));

    // two inputs: chinchilla at (N, D) = (10^4, 10^6): 1.5 + 100/10^2 + 1000/10^3 = 3.5
    FitResult c = { .theta = { log(1.5), log(100), log(1000), 0.5, 0.5 } };
    double nd[2] = { 1e4, 1e6 };
    fit_prediction(&law_chinchilla, &c, nd, &pr);
    assert_int_equal(pr.n_x, 2);
    assert_close(pr.x[1], 1e6, 0);
    assert_close(pr.loss, 3.5, 1e-14);
}

// ---- the budget planner

// With cost = 6ND only, L = E + A/N^α + B/D^β is lowest at
//   N_opt = G·(C/6)^(β/(α+β)),  G = (αA/(βB))^(1/(α+β)),  D_opt = C/(6·N_opt)
// (set dL/dN = 0 with D = C/(6N)). With α = β and A = B: N_opt = D_opt = √(C/6).
static void test_budget_optimum_closed_form(void **state) {
    (void)state;
    Costs c = { .flop = 1 };
    double N, D, L;
    const double sym[5] = { log(1.7), log(400), log(400), 0.34, 0.34 };
    assert_int_equal(budget_best(sym, &c, 6e18, &N, &D, &L), 0);
    assert_close(N, 1e9, 1e-6);
    assert_close(D, 1e9, 1e-6);
    assert_close(L, 1.7 + 800 * pow(1e9, -0.34), 1e-12);

    const double al = 0.34, be = 0.28, A = 406.4, B = 410.7, C = 1e21;
    const double t[5] = { log(1.69), log(A), log(B), al, be };
    double G = pow(al * A / (be * B), 1 / (al + be)), n_opt = G * pow(C / 6, be / (al + be)), d_opt = C / (6 * n_opt);
    double l_opt = 1.69 + A * pow(n_opt, -al) + B * pow(d_opt, -be);
    assert_int_equal(budget_best(t, &c, C, &N, &D, &L), 0);
    assert_close(N, n_opt, 1e-6);
    assert_close(D, d_opt, 1e-6);
    assert_close(L, l_opt, 1e-12);

    // the dual: the cheapest way to l_opt costs C, at the same N and D
    double cost;
    assert_int_equal(budget_cheapest(t, &c, l_opt, &N, &D, &cost), 0);
    assert_close(cost, C, 1e-6);
    assert_close(N, n_opt, 1e-5);
    assert_close(D, d_opt, 1e-5);
}

// Every resample equal to the fit: each interval collapses to the estimate. A target below E
// cannot be reached, by the fit or any resample.
static void test_budget_answer_over_resamples(void **state) {
    (void)state;
    enum { NB = 5 };
    const double t[5] = { log(1.69), log(406.4), log(410.7), 0.34, 0.28 };
    double boot[NB * 5];
    for (int b = 0; b < NB; b++) memcpy(boot + b * 5, t, sizeof t);
    Costs c = { .flop = 1 };
    BudgetAnswer a;
    budget_answer(budget_best, t, boot, NB, &c, 1e21, &a);
    double N, D, L;
    assert_int_equal(budget_best(t, &c, 1e21, &N, &D, &L), 0);
    assert_close(a.arg, 1e21, 0);
    assert_int_equal(a.reachable, 1);
    assert_int_equal(a.boot_reachable, NB);
    assert_close(a.N.estimate, N, 0);
    assert_close(a.N.lo, N, 0);
    assert_close(a.N.hi, N, 0);
    assert_close(a.D.estimate, D, 0);
    assert_close(a.value.estimate, L, 0);
    assert_close(a.value.hi, L, 0);

    budget_answer(budget_cheapest, t, boot, NB, &c, 1.5, &a);   // E = 1.69 > 1.5
    assert_int_equal(a.reachable, 0);
    assert_int_equal(a.boot_reachable, 0);
    assert_true(isnan(a.N.estimate) && isnan(a.D.estimate) && isnan(a.value.estimate));
    assert_true(isnan(a.N.lo) && isnan(a.value.hi));

    budget_answer(budget_best, t, boot, 1, &c, 1e21, &a);   // one resample: no interval
    assert_int_equal(a.boot_reachable, 1);
    assert_true(isnan(a.N.lo) && isnan(a.N.hi));
}

// Budgets C·10^(i/2), i = −6..6; the middle one is budget_best's answer; a budget below the
// fixed cost is infeasible.
static void test_budget_curve(void **state) {
    (void)state;
    const double t[5] = { log(1.69), log(406.4), log(410.7), 0.34, 0.28 };
    Costs c = { .flop = 1, .fixed = 1e19 };
    BudgetCurvePoint curve[BUDGET_CURVE];
    budget_curve(t, &c, 1e21, curve);
    assert_close(curve[0].budget, 1e18, 1e-15);
    assert_close(curve[1].budget, 1e21 * pow(10, -2.5), 1e-15);
    assert_close(curve[BUDGET_CURVE - 1].budget, 1e24, 1e-15);
    double N, D, L;
    assert_int_equal(budget_best(t, &c, 1e21, &N, &D, &L), 0);
    assert_close(curve[6].N, N, 0);
    assert_close(curve[6].D, D, 0);
    assert_close(curve[6].loss, L, 0);
    for (int i = 0; i < BUDGET_CURVE; i++) {
        int feasible = curve[i].budget > c.fixed;
        if (feasible != isfinite(curve[i].N)) fail_msg("budget %g: N %g", curve[i].budget, curve[i].N);
        if (!feasible) assert_true(isnan(curve[i].D) && isnan(curve[i].loss));
        if (i > 0 && feasible && isfinite(curve[i - 1].loss)) assert_true(curve[i].loss < curve[i - 1].loss);
    }
}

// ---- the analysis around a fit

static void power_points(Points *p, double E, int sizes, int seeds) {
    points_alloc(p, sizes * seeds);
    for (int i = 0; i < sizes; i++)
        for (int s = 0; s < seeds; s++) {
            int k = p->n++;
            p->x[AXIS_N][k] = 1e4 * pow(10, 3.0 * i / (sizes - 1));
            p->loss[k] = (E + 50 * pow(p->x[AXIS_N][k], -0.3)) * (1 + 0.002 * (s - (seeds - 1) / 2.0));
            p->cluster[k] = i;
        }
    p->n_clusters = sizes;
}

// A floor in the data (E = 1): no warning; none (E = 0): E is not determined. Three sizes for
// three parameters: the intervals show only the seeds' spread. The held-out check refits
// without the largest size and predicts it.
static void test_law_analysis_warnings(void **state) {
    (void)state;
    FitOptions o = { .law = &law_power, .delta = 1e-3, .n_boot = 20, .seed = 1 };
    fit_options_axes(&o, AXIS_N);
    assert_int_equal(o.axes[0], AXIS_N);
    double x = 1e8;
    FitQuestions q = { .predict = &x, .budget = NAN, .target = NAN, .costs = { .flop = 1 } };
    Points p;
    LawAnalysis a;
    power_points(&p, 1.0, 8, 3);
    if (law_analysis_run(&o, &p, &q, &a) != 0) fail_msg("%s", jp_error());
    assert_null(a.e_warning);
    assert_null(a.clusters_warning);
    assert_int_equal(a.have_heldout, 1);
    assert_close(a.heldout.x, 1e7, 1e-12);
    assert_int_equal(a.heldout.n_held, 3);
    assert_close(a.heldout.observed, 1 + 50 * pow(1e7, -0.3), 1e-9);
    assert_close(a.heldout.predicted, a.heldout.observed, 1e-2);
    assert_close(a.prediction.loss, 1 + 50 * pow(1e8, -0.3), 1e-2);
    FitPrediction again;   // the prediction is the fit's, with the interval over its resamples
    fit_prediction(&law_power, &a.r, &x, &again);
    assert_close(a.prediction.loss, again.loss, 0);
    assert_close(a.prediction.lo, again.lo, 0);
    assert_close(a.prediction.hi, again.hi, 0);
    assert_true(a.prediction.lo < a.prediction.hi);
    assert_close(a.prediction.hi, a.prediction.loss, 1e-2);
    assert_int_equal(a.alpha_beta, -1);   // not chinchilla: no α, β question
    assert_int_equal(a.has_budget, 0);
    law_analysis_free(&a);
    points_free(&p);

    power_points(&p, 0.0, 3, 3);
    if (law_analysis_run(&o, &p, &q, &a) != 0) fail_msg("%s", jp_error());
    if (!a.e_warning || !strstr(a.e_warning, "E is not determined")) fail_msg("e_warning: %s", a.e_warning);
    if (!a.clusters_warning || !strstr(a.clusters_warning, "3 clusters for 3 parameters"))
        fail_msg("clusters_warning: %s", a.clusters_warning);
    law_analysis_free(&a);
    points_free(&p);

    power_points(&p, 1.0, 3, 1);   // 3 points for 3 parameters: refused, the reason in jp_error()
    assert_int_equal(law_analysis_run(&o, &p, &q, &a), -1);
    if (!strstr(jp_error(), "3 points for 3 parameters")) fail_msg("error: %s", jp_error());
    points_free(&p);
}

// The axes a law may vary, as the groups check reads them.
static void test_group_axes(void **state) {
    (void)state;
    char text[64];
    assert_int_equal(fit_group_axes(NULL, AXIS_N, text, sizeof text), GROUP_AXIS_N | GROUP_AXIS_BUDGET);
    assert_string_equal(text, "params and the budget");
    assert_int_equal(fit_group_axes(&law_chinchilla, AXIS_N, text, sizeof text), GROUP_AXIS_N | GROUP_AXIS_D);
    assert_string_equal(text, "params and data");
    assert_int_equal(fit_group_axes(&law_power, AXIS_D, text, sizeof text), GROUP_AXIS_D);
    assert_string_equal(text, "data");
    assert_int_equal(fit_group_axes(&law_power, AXIS_STEPS, text, sizeof text), GROUP_AXIS_BUDGET);
    assert_int_equal(fit_group_axes(&law_power, AXIS_C, text, sizeof text), GROUP_AXIS_N | GROUP_AXIS_D | GROUP_AXIS_BUDGET);
    assert_string_equal(text, "flops");
}

// ---- the store's reader of fit points

static char path[256];   // a temporary database, per process (main)

typedef struct { int width; double lr; const char *status; double loss; } RunSpec;

// Runs of 2 seeds each for the given (width, lr) groups; two evaluations each (steps 0 and 10:
// the reader skips step 0); the sweep "a" holds them all, "b" the first group only.
static void make_store(const RunSpec *spec, int n_groups) {
    Store s;
    remove(path);
    if (store_open(&s, path, 0) != 0) fail_msg("%s", jp_error());
    long sweep_a, sweep_b, id;
    char status[16];
    assert_int_equal(store_add_sweep(&s, "a", "a.yaml", "a", &sweep_a), 0);
    assert_int_equal(store_add_sweep(&s, "b", "b.yaml", "b", &sweep_b), 0);
    for (int g = 0; g < n_groups; g++)
        for (int seed = 0; seed < 2; seed++) {
            char hash[17], group[17], json[256];
            snprintf(hash, sizeof hash, "%016x", 0x100 + 2 * g + seed);
            snprintf(group, sizeof group, "%016x", 0xa00 + g);
            snprintf(json, sizeof json, "{\"model.width\":%d,\"optim.lr\":%g,\"seed.init\":%d}", spec[g].width, spec[g].lr, seed);
            StoreRun r = { .hash = hash, .group_hash = group, .params_json = json, .task = "toy", .family = "mlp",
                           .hidden = "8", .optim = "adamw", .width = spec[g].width, .depth = 1,
                           .n_params = 10L * spec[g].width, .train_size = 1000, .batch = 32, .steps = 10 + g, .lr = spec[g].lr };
            assert_int_equal(store_add_run(&s, sweep_a, 2 * g + seed, &r, &id, status), 0);
            if (g == 0) assert_int_equal(store_add_run(&s, sweep_b, seed, &r, &id, status), 0);
            long launch;
            assert_int_equal(store_start_launch(&s, &id, 1, &launch), 0);
            StoreMetric m0 = { "val", "loss", 9 }, m1 = { "val", "loss", spec[g].loss + seed };
            assert_int_equal(store_add_eval(&s, id, 0, 0, 0, 0.1, &m0, 1, NULL), 0);
            assert_int_equal(store_add_eval(&s, id, 10, 320, 1e6 * (g + 1), 0.2, &m1, 1, NULL), 0);
            StoreSummary sum[2] = { { "final_test_loss", spec[g].loss + 0.5 * seed }, { "flops", 2e6 * (g + 1) } };
            assert_int_equal(store_finish_run(&s, id, spec[g].status, -1, 1.0, NULL, sum, 2), 0);
        }
    store_close(&s);
}

static void test_store_reader_round_trip(void **state) {
    (void)state;
    const RunSpec spec[3] = { { 8, 0.1, "done", 3 }, { 16, 0.1, "done", 2 }, { 32, 0.1, "failed", 1 } };
    make_store(spec, 3);
    StorePoints rows;
    if (store_read_points(path, NULL, "final_test_loss", NULL, &rows) != 0) fail_msg("%s", jp_error());
    assert_int_equal(rows.n, 4);   // the failed group's runs are not points
    for (int i = 0; i < 4; i++) {
        int g = i / 2, seed = i % 2;
        assert_close(rows.row[i].n_params, 10.0 * spec[g].width, 0);
        assert_close(rows.row[i].data, 1000, 0);
        assert_close(rows.row[i].flops, 2e6 * (g + 1), 0);
        assert_close(rows.row[i].steps, 10 + g, 0);
        assert_close(rows.row[i].value, spec[g].loss + 0.5 * seed, 0);
        char group[17];
        snprintf(group, sizeof group, "%016x", 0xa00 + g);
        assert_string_equal(rows.row[i].group, group);
    }
    store_points_free(&rows);

    // every evaluation after step 0, of every run (the failed ones too), x from the evaluation
    if (store_read_points(path, NULL, "eval:val_loss", NULL, &rows) != 0) fail_msg("%s", jp_error());
    assert_int_equal(rows.n, 6);
    assert_close(rows.row[5].data, 320, 0);
    assert_close(rows.row[5].flops, 3e6, 0);
    assert_close(rows.row[5].steps, 10, 0);
    assert_close(rows.row[5].value, spec[2].loss + 1, 0);
    store_points_free(&rows);

    if (store_read_points(path, "b", "final_test_loss", "r.n_params > 0", &rows) != 0) fail_msg("%s", jp_error());
    assert_int_equal(rows.n, 2);
    store_points_free(&rows);
    if (store_read_points(path, NULL, "final_test_loss", "r.width = 16", &rows) != 0) fail_msg("%s", jp_error());
    assert_int_equal(rows.n, 2);
    assert_close(rows.row[0].n_params, 160, 0);
    store_points_free(&rows);

    assert_int_equal(store_read_points(path, NULL, "eval:loss", NULL, &rows), -1);
    if (!strstr(jp_error(), "expected eval:SPLIT_NAME")) fail_msg("error: %s", jp_error());
    assert_int_equal(store_read_points(path, NULL, "final_test_loss", "1) OR (1", &rows), -1);
    if (!strstr(jp_error(), path) || !strstr(jp_error(), "--where")) fail_msg("error: %s", jp_error());
    assert_int_equal(store_read_points("no/such.db", NULL, "final_test_loss", NULL, &rows), -1);

    // the fit's points: a cluster per group, in order; the source names the query
    Points p;
    if (points_from_store(path, "a", "final_test_loss", NULL, &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(p.n, 4);
    assert_int_equal(p.n_clusters, 2);
    assert_int_equal(p.cluster[1], 0);
    assert_int_equal(p.cluster[2], 1);
    assert_string_equal(p.group[1], "0000000000000a01");
    assert_close(p.x[AXIS_D][0], 1000, 0);
    char source[600];
    snprintf(source, sizeof source, "db:%s sweep=a metric=final_test_loss", path);
    assert_string_equal(p.source, source);
    points_free(&p);
    assert_int_equal(points_from_store(path, NULL, "best_val_loss", NULL, &p), -1);
    snprintf(source, sizeof source, "%s: no finished runs with metric 'best_val_loss'", path);
    assert_string_equal(jp_error(), source);
    remove(path);
}

// Groups that differ in the learning rate at equal width are refused for a law in params
// (with the --where that selects one) or, when allowed, fitted with a warning; a learning rate
// set per width only co-varies, which the law absorbs.
static void test_groups_check(void **state) {
    (void)state;
    const RunSpec mixed[4] = { { 8, 0.1, "done", 3 }, { 8, 0.01, "done", 2.9 }, { 16, 0.1, "done", 2 }, { 16, 0.01, "done", 1.9 } };
    const RunSpec zipped[2] = { { 8, 0.1, "done", 3 }, { 16, 0.01, "done", 2 } };
    char text[64];
    int axes = fit_group_axes(&law_power, AXIS_N, text, sizeof text);
    Points p;
    GroupCheck g;
    make_store(mixed, 4);
    if (points_from_store(path, NULL, "final_test_loss", NULL, &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(fit_check_groups(path, &p, axes, text, 0, &g), 0);
    assert_int_equal(g.n_groups, 4);
    if (!g.refused || !strstr(g.refused, "the 4 groups of runs differ in optim.lr 0.01 vs 0.1") || !strstr(g.refused, "--where"))
        fail_msg("refused: %s", g.refused);
    assert_null(g.warning);
    group_check_free(&g);
    assert_int_equal(fit_check_groups(path, &p, axes, text, 1, &g), 0);
    assert_null(g.refused);
    if (!g.warning || !strstr(g.warning, "optim.lr 0.01 vs 0.1 differ between groups")) fail_msg("warning: %s", g.warning);
    assert_null(g.covary);
    group_check_free(&g);
    points_free(&p);

    make_store(zipped, 2);
    if (points_from_store(path, NULL, "final_test_loss", NULL, &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(fit_check_groups(path, &p, axes, text, 0, &g), 0);
    assert_null(g.refused);
    assert_null(g.warning);
    if (!g.covary || !strstr(g.covary, "optim.lr 0.01 vs 0.1 change with the params")) fail_msg("covary: %s", g.covary);
    group_check_free(&g);
    points_free(&p);

    Points csv;   // points without groups (a CSV's): nothing to check
    points_alloc(&csv, 1);
    assert_int_equal(fit_check_groups(path, &csv, axes, text, 0, &g), 0);
    assert_int_equal(g.n_groups, 0);
    points_free(&csv);
    remove(path);
}

static int cmp_double(const void *a, const void *b) {
    double u = *(const double *)a, v = *(const double *)b;
    return (u > v) - (u < v);
}

// dist's sort (stats/sort.h, a radix sort past 512 values): the order qsort gives, over
// negatives, zeros, ties and magnitudes from 1e-300 to 1e300, at sizes on both paths.
static void test_sort_doubles(void **state) {
    (void)state;
    const int sizes[] = { 0, 1, 7, 511, 512, 513, 5000, 100000 };
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int n = sizes[t];
        double *x = malloc(sizeof(double) * (n + 1)), *y = malloc(sizeof(double) * (n + 1));
        for (int i = 0; i < n; i++) {
            double u = rng_uniform53(9, 1, (uint64_t)i), sign = rng_uniform53(9, 2, (uint64_t)i) < 0.5 ? -1 : 1;
            x[i] = i % 17 == 0 ? 0 : i % 13 == 0 ? x[i / 2] : sign * pow(10, 600 * u - 300);
        }
        memcpy(y, x, sizeof(double) * n);
        sort_doubles(x, n);
        qsort(y, n, sizeof(double), cmp_double);
        assert_memory_equal(x, y, sizeof(double) * n);
        free(x); free(y);
    }
    // values of one magnitude (their high digits equal: the passes skipped)
    double z[1000], w[1000];
    for (int i = 0; i < 1000; i++) z[i] = w[i] = 2.5 + (i * 7919 % 1000) * 1e-9;
    sort_doubles(z, 1000);
    qsort(w, 1000, sizeof(double), cmp_double);
    assert_memory_equal(z, w, sizeof z);
}

int main(void) {
    gsl_set_error_handler_off();   // as jackpot's main(): the library reads GSL's status codes, never aborts
    snprintf(path, sizeof path, "%s/jackpot_test_fit_lib_%d.db", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prediction_interval),
        cmocka_unit_test(test_budget_optimum_closed_form),
        cmocka_unit_test(test_budget_answer_over_resamples),
        cmocka_unit_test(test_budget_curve),
        cmocka_unit_test(test_law_analysis_warnings),
        cmocka_unit_test(test_group_axes),
        cmocka_unit_test(test_store_reader_round_trip),
        cmocka_unit_test(test_groups_check),
        cmocka_unit_test(test_sort_doubles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

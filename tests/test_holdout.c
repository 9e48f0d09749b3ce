// Extrapolation as the score (fit/holdout.h, jackpot fit --holdout-top K --law a,b,c): K = 1 is
// the held-out check as it was, bit for bit; a law fitted to points of its own form extrapolates
// them within its intervals; where the loss depends on D as well as N, the law that has a D term
// ranks above the one that has not on the same held-out points; the command prints the ranked
// table and refuses what cannot be held out, naming the flag.
#include "testutil.h"
#include "fit_fixtures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/rng.h"
#include "fit/holdout.h"
#include "report/report.h"
#include "stats/describe.h"
#include "store/store.h"

// The held-out check as fit.c computed it before fit_holdout existed, written out again here:
// refit without the largest x (a quarter of the resamples, at least 50), mean prediction there.
static void old_heldout(const FitOptions *o, const Points *p, HeldOut *h) {
    const double *x0 = p->x[o->axes[0]];
    double top = -INFINITY;
    for (int i = 0; i < p->n; i++) if (x0[i] > top) top = x0[i];
    int *use = malloc(sizeof(int) * p->n);
    memset(h, 0, sizeof *h);
    h->x = top;
    for (int i = 0; i < p->n; i++) {
        use[i] = x0[i] < top;
        if (!use[i]) { h->observed += p->loss[i]; h->n_held++; }
    }
    h->observed /= h->n_held;
    FitOptions ho = *o;
    ho.n_boot = o->n_boot / 4 > 50 ? o->n_boot / 4 : o->n_boot;
    FitResult r;
    assert_int_equal(fit_law(&ho, p, use, &r), 0);
    double *pred = malloc(sizeof(double) * (r.n_boot + 1));
    for (int b = -1; b < r.n_boot; b++) {
        const double *t = b < 0 ? r.theta : r.boot_theta + (size_t)b * o->law->n_theta;
        double s = 0;
        for (int i = 0; i < p->n; i++) {
            if (use[i]) continue;
            double x[3];
            for (int k = 0; k < o->law->n_x; k++) x[k] = p->x[o->axes[k]][i];
            s += fit_predict(o->law, t, x);
        }
        if (b < 0) h->predicted = s / h->n_held;
        else pred[b] = s / h->n_held;
    }
    percentile_interval(pred, r.n_boot, &h->lo, &h->hi);
    h->rel_error = (h->predicted - h->observed) / h->observed;
    free(pred); free(use);
    fit_result_free(&r);
}

static void expect_same(const HeldOut *a, const HeldOut *b) {
    assert_true(a->x == b->x);
    assert_int_equal(a->n_held, b->n_held);
    assert_true(a->observed == b->observed);
    assert_true(a->predicted == b->predicted);   // exact: the same fit, the same sums in the same order
    assert_true(a->lo == b->lo);
    assert_true(a->hi == b->hi);
    assert_true(a->rel_error == b->rel_error);
}

static void test_k1_is_the_old_check(void **state) {
    (void)state;
    Points p;
    synth(&p, 1, 4, 2, 0.01, 11);   // chinchilla on a grid: the held-out size has 4 D values × 2 seeds
    FitOptions o = { .law = &law_chinchilla, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 200, .seed = 3 };
    HeldOut old, now;
    old_heldout(&o, &p, &old);
    assert_int_equal(fit_heldout(&o, &p, &now), 0);
    expect_same(&old, &now);
    Holdout H;
    assert_int_equal(fit_holdout(&o, &p, AXIS_N, 1, &H), 0);
    expect_same(&old, &H.at[0]);
    assert_int_equal(H.k, 1);
    assert_int_equal(H.n_held, 8);
    assert_int_equal(H.n_train, 24);
    assert_true(fabs(H.mean_abs_rel - fabs(old.rel_error)) < 1e-15);
    holdout_free(&H);
    points_free(&p);
}

static void test_power_points_extrapolate(void **state) {
    (void)state;
    Points p;
    synth(&p, 0, 10, 3, 0.005, 21);
    FitOptions o = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 400, .seed = 1 };
    Holdout H;
    assert_int_equal(fit_holdout(&o, &p, AXIS_N, 3, &H), 0);
    assert_int_equal(H.k, 3);
    assert_int_equal(H.n_held, 9);
    assert_int_equal(H.n_train, 21);
    for (int j = 1; j < 3; j++) assert_true(H.at[j - 1].x < H.at[j].x);
    assert_float_equal(H.at[2].x, 1e10, 1);
    // the seeds' own spread (σ = 0.005) is the floor of the RMSE; extrapolating adds little
    assert_true(H.rmse_log < 0.01);
    assert_true(H.mean_abs_rel < 0.005);
    assert_int_equal(H.with_interval, 3);
    assert_int_equal(H.covered, 3);
    for (int j = 0; j < 3; j++) assert_true(H.at[j].lo <= H.at[j].observed && H.at[j].observed <= H.at[j].hi);
    // every held-out point predicted, with its interval; the RMSE is over them
    double ss = 0;
    for (int m = 0; m < H.n_held; m++) {
        int i = H.held[m];
        assert_true(p.x[AXIS_N][i] >= H.at[0].x);
        assert_true(H.lo[m] <= H.pred[m] && H.pred[m] <= H.hi[m]);
        assert_true(H.pred[m] == fit_predict(&law_power, H.fit.theta, &p.x[AXIS_N][i]));
        ss += pow(log(H.pred[m] / p.loss[i]), 2);
    }
    assert_true(fabs(H.rmse_log - sqrt(ss / H.n_held)) < 1e-12);
    holdout_free(&H);
    points_free(&p);
}

// The loss falls with D as much as with N: power in N alone cannot say where the largest N land
// (each at five D), chinchilla can; both scored on the same held-out points.
static void test_chinchilla_ranks_above_power(void **state) {
    (void)state;
    Points p;
    synth(&p, 1, 6, 1, 0.005, 31);
    HoldoutEntry e[2];
    memset(e, 0, sizeof e);
    snprintf(e[0].name, sizeof e[0].name, "power");
    e[0].o = (FitOptions){ .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 100, .seed = 1 };
    snprintf(e[1].name, sizeof e[1].name, "chinchilla");
    e[1].o = (FitOptions){ .law = &law_chinchilla, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 100, .seed = 1 };
    for (int i = 0; i < 2; i++) assert_int_equal(holdout_entry_run(&e[i], &p, AXIS_N, 2), 0);
    assert_int_equal(e[0].h.n_held, e[1].h.n_held);   // the same held-out points
    assert_int_equal(e[0].h.n_held, 12);
    for (int j = 0; j < 2; j++) assert_true(e[0].h.at[j].x == e[1].h.at[j].x);
    assert_true(e[1].h.rmse_log < 0.02);
    assert_true(e[0].h.rmse_log > 5 * e[1].h.rmse_log);
    int order[2];
    holdout_rank(e, 2, order);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0);
    assert_int_equal(law_key_exponent(&law_chinchilla), 3);
    assert_int_equal(law_key_exponent(&law_kaplan), 2);
    for (int i = 0; i < 2; i++) holdout_entry_free(&e[i]);
    points_free(&p);
}

// A law of one input with 4 parameters (the power law and an idle one): 3 sizes left do not
// determine it, though they are enough to extend a trend.
static double four_predict(const double *t, const double *lx, double *g) {
    double u[2] = { t[0], t[1] - t[2] * lx[0] }, p[2];
    double v = log_sum_exp(u, 2, g ? p : NULL);
    if (g) { g[0] = p[0]; g[1] = p[1]; g[2] = -lx[0] * p[1]; g[3] = 0; }
    return v;
}
static void four_report(const double *t, double *out) { out[0] = exp(t[0]); out[1] = exp(t[1]); out[2] = t[2]; out[3] = t[3]; }
static const Law law_four = {
    "four", 4, 1, { "e", "a", "alpha", "idle" }, four_predict,
    { 3, 3, 3, 1 }, { { -1, 0, 1 }, { 0, 5, 10 }, { 0, 0.5, 1 }, { 0 } },
    4, { "E", "A", "alpha", "idle" }, four_report,
    0, { { 0, 0, 0 } }, NULL,
};

static void test_refusals(void **state) {
    (void)state;
    Points p;
    synth(&p, 0, 6, 2, 0.005, 41);
    FitOptions o = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = 0, .seed = 1 };
    Holdout H;
    assert_int_equal(fit_holdout(&o, &p, AXIS_N, 6, &H), -1);   // nothing left
    assert_non_null(strstr(jp_error(), "6 distinct values of params"));
    assert_int_equal(fit_holdout(&o, &p, AXIS_N, 4, &H), -1);   // 2 sizes: 4 points for 3 parameters, but no trend to extend
    assert_non_null(strstr(jp_error(), "leaves 2; it needs 3 or more"));
    assert_int_equal(fit_holdout(&o, &p, AXIS_N, 0, &H), -1);
    FitOptions o4 = o;
    o4.law = &law_four;
    assert_int_equal(fit_holdout(&o4, &p, AXIS_N, 3, &H), -1);
    assert_non_null(strstr(jp_error(), "four law: holding out the 3 largest values of params leaves 3 distinct input points for 4 parameters"));
    assert_int_equal(fit_holdout(&o4, &p, AXIS_N, 2, &H), 0);
    holdout_free(&H);
    // no bootstrap: no interval, so no value counts as covered
    assert_int_equal(fit_holdout(&o, &p, AXIS_N, 2, &H), 0);
    assert_int_equal(H.with_interval, 0);
    assert_int_equal(H.covered, 0);
    assert_int_equal(H.at[0].covered, -1);
    holdout_free(&H);
    // a law refused in a comparison says why and is ranked last
    HoldoutEntry e[2];
    memset(e, 0, sizeof e);
    e[0].o = o;
    e[1].o = (FitOptions){ .law = &law_chinchilla, .axes = { AXIS_N, AXIS_D }, .delta = 1e-3, .n_boot = 0 };
    assert_int_equal(holdout_entry_run(&e[1], &p, AXIS_N, 3), -1);   // one D: 3 inputs for 5 parameters
    if (!strstr(e[1].reason, "data takes one value only")) fail_msg("%s", e[1].reason);
    assert_int_equal(holdout_entry_run(&e[0], &p, AXIS_N, 3), 0);
    int order[2];
    holdout_rank(e, 2, order);
    assert_int_equal(order[0], 0);
    assert_int_equal(order[1], 1);
    for (int i = 0; i < 2; i++) holdout_entry_free(&e[i]);
    points_free(&p);
}

static void expect_usage_error(const char *args, const char *fragment) {
    static char out[1 << 16];
    int rc = run(args, out, sizeof out);
    if (rc != 2 || !strstr(out, fragment))
        fail_msg("jackpot %s: exit %d, output '%s'; expected exit 2 and '%s'", args, rc, out, fragment);
}

#define CSV "--csv tests/reference/chinchilla_points.csv --col params=N --col data=D"

static void test_cli(void **state) {
    (void)state;
    static char out[1 << 16];
    assert_int_equal(run("fit --law power,kaplan --holdout-top 2 " CSV " --boot 50", out, sizeof out), 0);
    const char *expect[] = { "held out: the 2 largest values of params (1.778e+09, 1e+10: 10 points)", "rank",
                             "held-out RMSE", "covered", "alpha_N = " };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (!strstr(out, expect[i])) fail_msg("output lacks '%s':\n%s", expect[i], out);
    // kaplan has a D term, the power law in N has none: kaplan first
    char *k = strstr(out, "\n  1    kaplan"), *p = strstr(out, "\n  2    power");
    if (!k || !p) fail_msg("ranking:\n%s", out);
    // --json: the record the fits table keeps, law "holdout"; a law the data cannot fit is listed, not fatal
    assert_int_equal(run("fit --law chinchilla,power,frontier --holdout-top 2 " CSV " --boot 0 --json", out, sizeof out), 0);
    const char *json[] = { "{\"law\":\"holdout\",\"holdout_top\":2,\"split\":\"params\"", "\"rank\":1,\"law\":\"chinchilla\"",
                           "\"rank\":2,\"law\":\"power\"", "\"predictions\":[{\"x\":[1778279410.0389",  "\"refused\":[{\"law\":\"frontier\",\"reason\":\"point 1: flops" };
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++)
        if (!strstr(out, json[i])) fail_msg("--json lacks '%s':\n%s", json[i], out);
    // frontier first in the list: still a comparison (frontier is power on the envelope)
    assert_int_equal(run("fit --law frontier,power " CSV " --boot 0", out, sizeof out), 0);
    if (!strstr(out, "refused: frontier: point 1: flops")) fail_msg("%s", out);
    // one law: --holdout-top sets its held-out check
    assert_int_equal(run("fit --law power --holdout-top 3 --csv tests/reference/power_points.csv --col params=N --boot 50", out, sizeof out), 0);
    if (!strstr(out, "held out: the 3 largest x (3 points)")) fail_msg("%s", out);
    // every law refused: each says why, and the exit status is 1
    assert_int_equal(run("fit --law power,kaplan --holdout-top 3 " CSV " --boot 0", out, sizeof out), 1);
    if (!strstr(out, "refused: kaplan: holding out the 3 largest values of params leaves 2; it needs 3 or more")) fail_msg("%s", out);
    expect_usage_error("fit --law power --holdout-top 0 " CSV, "--holdout-top: expected an integer in [1, 16], got '0'");
    expect_usage_error("fit --law power,nosuch " CSV, "--law: 'nosuch' in 'power,nosuch' is not a law");
    expect_usage_error("fit --law power,kaplan --holdout-top 5 " CSV, "--holdout-top 5: the points have 5 distinct values of params");
    expect_usage_error("fit --law isoflop --holdout-top 2 " CSV, "--holdout-top: isoflop fits a parabola per budget");
    expect_usage_error("fit --law power,isoflop " CSV, "--law: 'isoflop' in 'power,isoflop' is not a law");
    expect_usage_error("fit --law power,chinchilla --budget 1e20 " CSV, "--law power,chinchilla compares laws");
}

// A store of `sizes` model sizes × 2 seeds at one training-set size, final test loss a power law in N.
static void report_db(const char *db, int sizes) {
    Store st;
    long sweep, id, launch;
    assert_int_equal(store_open(&st, db, 0), 0);
    assert_int_equal(store_add_sweep(&st, "toy", "toy.yaml", "config", &sweep), 0);
    for (int i = 0, pos = 0; i < sizes; i++)
        for (int s = 0; s < 2; s++, pos++) {
            long n = 1000L << (2 * i);
            char params[160], group[17], hash[17], status[16];
            snprintf(params, sizeof params, "{\"model.width\":%ld,\"task.train_size\":5000,\"seed.init\":%d}", n / 100, s);
            snprintf(group, sizeof group, "%016x", 0x100 + i);
            snprintf(hash, sizeof hash, "%016x", 0x5000 + pos);
            StoreRun r = { .hash = hash, .group_hash = group, .params_json = params, .task = "toy", .family = "mlp",
                           .hidden = "8", .optim = "adamw", .width = n / 100, .depth = 1, .n_params = n, .train_size = 5000,
                           .batch = 32, .steps = 100, .lr = 0.01, .planned_flops = 6.0 * n * 3200, .init_seed = (uint64_t)s };
            assert_int_equal(store_add_run(&st, sweep, pos, &r, &id, status), 0);
            assert_int_equal(store_start_launch(&st, &id, 1, &launch), 0);
            StoreSummary sum[] = { { "final_test_loss", (0.5 + 20 * pow((double)n, -0.4)) * (1 + 0.004 * (s ? 1 : -1)) } };
            assert_int_equal(store_finish_run(&st, id, "done", -1, 1.0, NULL, sum, 1), 0);
            assert_int_equal(store_end_launch(&st, launch, 1.0), 0);
        }
    store_close(&st);
}

// The report's Extrapolation section: at 7 sizes the 3 largest held out, a figure and a ranked
// table; at 4 sizes a note saying what it needs, never an error.
static void test_report_section(void **state) {
    (void)state;
    if (system("command -v gnuplot > /dev/null 2>&1") != 0) skip();
    char dir[64], db[128], out[160], path[256];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "holdout"), 0);
    for (int sizes = 7; sizes >= 4; sizes -= 3) {
        snprintf(db, sizeof db, "%s/runs%d.db", dir, sizes);
        snprintf(out, sizeof out, "%s/report%d", dir, sizes);
        report_db(db, sizes);
        ReportOptions o = { .db = db, .out = out, .n_boot = 100, .concept_threshold = 0.1 };
        ReportResult res;
        assert_int_equal(report_write(&o, &res), 0);
        assert_int_equal(res.drawn, res.figures);
        snprintf(path, sizeof path, "%s/index.html", out);
        char *html = slurp(path);
        assert_non_null(html);
        const char *expect = sizes == 7 ? "Extrapolation to the 3 largest sizes (toy, D = 5000)"
                                        : "Extrapolation (toy): not drawn: it needs finished runs at 5 or more model sizes "
                                          "at one training-set size (the most here: 4)";
        if (!strstr(html, expect)) fail_msg("index.html lacks '%s'", expect);
        if (sizes == 7) {
            assert_non_null(strstr(html, "<tr><td>1</td><td>power</td>"));
            snprintf(path, sizeof path, "%s/extrapolation_toy.png", out);
            assert_int_equal(access(path, R_OK), 0);
            snprintf(path, sizeof path, "%s/extrapolation_toy.csv", out);
            char *csv = slurp(path);
            assert_non_null(csv);
            assert_non_null(strstr(csv, "held,,256000,"));   // the smallest of the 3 held out: 1000·4^4
            assert_non_null(strstr(csv, "fit,,64000,"));     // the largest fitted
            free(csv);
        }
        free(html);
    }
    assert_int_equal(temp_dir_remove(dir), 0);
}

// On a database: the comparison is recorded as one row of the fits table, law "holdout", with
// the laws ranked in its result; chinchilla, which needs several D, is listed as refused.
static void test_recorded_in_the_store(void **state) {
    (void)state;
    char dir[64], db[128], args[300];
    static char out[1 << 16];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "holdout-db"), 0);
    snprintf(db, sizeof db, "%s/runs.db", dir);
    report_db(db, 6);
    snprintf(args, sizeof args, "fit --db %s --law power,chinchilla --holdout-top 2 --boot 50", db);
    assert_int_equal(run(args, out, sizeof out), 0);
    if (!strstr(out, "recorded as fit 1") || !strstr(out, "refused: chinchilla")) fail_msg("%s", out);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_true(sql_value(h, "SELECT count(*) FROM fits WHERE law = 'holdout' AND json_extract(result, '$.laws[0].law') = 'power' "
                             "AND json_extract(result, '$.refused[0].law') = 'chinchilla' AND json_extract(options, '$.holdout_top') = 2") == 1);
    sqlite3_close(h);
    assert_int_equal(temp_dir_remove(dir), 0);
}

// Issue 19's acceptance: on a broken curve with a planted break (slope 0.1 before x = 10^6, 0.5
// after), fitted on all but the 3 largest sizes, the broken law extrapolates and ranks above the
// plain power law (and M4), with every held-out size inside its interval; the power law's
// prediction misses them all.
static void test_broken_curve_ranks_bnsl_first(void **state) {
    (void)state;
    char dir[128], path[256], args[600];
    static char out[1 << 17];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "broken"), 0);
    snprintf(path, sizeof path, "%s/broken.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "x,loss\n");
    for (int i = 0; i < 20; i++)
        for (int s = 0; s < 3; s++) {
            double x = pow(10, 3 + 6.0 * i / 19), y = 0.1 + 10 * pow(x, -0.1) * pow(1 + pow(x / 1e6, 1 / 0.3), -0.4 * 0.3);
            fprintf(f, "%.9g,%.9g\n", x, y * (1 + 0.01 * rng_normal(19, 0, (uint64_t)(3 * i + s))));
        }
    fclose(f);
    snprintf(args, sizeof args, "fit --csv %s --col params=x --cluster-col x --law power,bnsl1,m4 --holdout-top 3 --boot 200 --json", path);
    if (run(args, out, sizeof out) != 0) fail_msg("jackpot %s:\n%s", args, out);
    char *first = json_text_at(out, "$.laws[0].law");
    assert_string_equal(first, "bnsl1");
    free(first);
    char *last = json_text_at(out, "$.laws[2].law");
    assert_string_equal(last, "power");
    free(last);
    char *second = json_text_at(out, "$.laws[1].law");
    print_message("held-out RMSE of log loss: bnsl1 %.4f, %s %.4f, power %.4f\n", json_number_at(out, "$.laws[0].heldout.rmse_log"),
                  second, json_number_at(out, "$.laws[1].heldout.rmse_log"), json_number_at(out, "$.laws[2].heldout.rmse_log"));
    free(second);
    assert_true(json_number_at(out, "$.laws[0].heldout.rmse_log") < 0.05);
    assert_true(json_number_at(out, "$.laws[2].heldout.rmse_log") > 0.3);
    assert_int_equal(temp_dir_remove(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k1_is_the_old_check),
        cmocka_unit_test(test_power_points_extrapolate),
        cmocka_unit_test(test_chinchilla_ranks_above_power),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_report_section),
        cmocka_unit_test(test_recorded_in_the_store),
        cmocka_unit_test(test_broken_curve_ranks_bnsl_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

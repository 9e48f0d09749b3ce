// The report as a library: its store readers (store/read_report.h) on a small database
// written through the store's own API, with values known from how it was made; and
// report_write into a folder whose name holds a quote, a space, a $ and a backtick (gnuplot
// is started without a shell), with the seeds-spread exponent and its Student-t interval
// checked against GSL directly.
#include "testutil.h"
#include <gsl/gsl_errno.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "report/figure.h"
#include "report/report.h"
#include "store/read_report.h"
#include "store/store.h"

enum { SIZES = 4, SEEDS = 4, STEPS = 3 };
static const long N[SIZES] = { 1000, 3000, 10000, 30000 };
static const double SPREAD[SIZES] = { 0.08, 0.05, 0.04, 0.02 };   // relative spread across seeds, not a power law
static const double Z[SEEDS] = { -1.3, -0.2, 0.5, 1.0 };
static const long TRAIN = 5000;

static char dir[64], db[128];

// The final test loss of size i, seed s: a power law in N with a seed effect.
static double final_loss(int i, int s) { return (0.5 + 20 * pow((double)N[i], -0.4)) * (1 + SPREAD[i] * Z[s]); }
// The test loss at evaluation k (steps 0, 50, 100) of size i, seed s.
static double eval_loss(int i, int s, int k) { return final_loss(i, s) * (1 + 0.5 * (STEPS - 1 - k)); }

static void add_run(Store *st, long sweep, long pos, const char *task, const char *params, const char *group, long n,
                    long train, uint64_t seed, long *id) {
    char hash[17], status[16];
    snprintf(hash, sizeof hash, "%016lx", 0x5000 + pos);
    StoreRun r = { .hash = hash, .group_hash = group, .params_json = params, .task = task, .family = "mlp",
                   .hidden = "8", .optim = "adamw", .width = n / 100, .depth = 1, .n_params = n, .train_size = train,
                   .batch = 32, .steps = 100, .lr = 0.01, .planned_flops = 6.0 * n * 32 * 100, .init_seed = seed };
    assert_int_equal(store_add_run(st, sweep, pos, &r, id, status), 0);
}

// Task "toy": SIZES model sizes × SEEDS seeds at one training-set size, STEPS evaluations each;
// task "sparse-parity": two toy worlds (world.concepts 8 and 16) of two runs each, one size.
static int setup(void **state) {
    (void)state;
    if (temp_dir_make(dir, sizeof dir, "report-lib") != 0) return -1;
    snprintf(db, sizeof db, "%s/runs.db", dir);
    Store st;
    if (store_open(&st, db, 0) != 0) return -1;
    long sweep, id, pos = 0, launch;
    if (store_add_sweep(&st, "tiny", "tiny.yaml", "config", &sweep) != 0) return -1;
    for (int i = 0; i < SIZES; i++)
        for (int s = 0; s < SEEDS; s++) {
            char params[160], group[17];
            snprintf(params, sizeof params, "{\"model.width\":%ld,\"task.train_size\":%ld,\"seed.init\":%d,\"optim.lr\":0.01}",
                     N[i] / 100, TRAIN, s);
            snprintf(group, sizeof group, "%016x", 0x100 + i);
            add_run(&st, sweep, pos++, "toy", params, group, N[i], TRAIN, (uint64_t)s, &id);
            if (store_start_launch(&st, &id, 1, &launch) != 0) return -1;
            for (int k = 0; k < STEPS; k++) {
                StoreMetric m[] = { { "test", "loss", eval_loss(i, s, k) } };
                double step = 50.0 * k, flops = 6.0 * N[i] * 32 * step;
                if (store_add_eval(&st, id, (long)step, 32 * step, flops, 0.1, m, 1, NULL) != 0) return -1;
            }
            StoreSummary sum[] = { { "final_test_loss", final_loss(i, s) }, { "final_test_acc", 0.9 },
                                   { "flops", 6.0 * N[i] * 32 * 100 } };
            if (store_finish_run(&st, id, "done", -1, 1.0, NULL, sum, 3) != 0) return -1;
            if (store_end_launch(&st, launch, 1.0) != 0) return -1;
        }
    for (int w = 0; w < 2; w++)
        for (int s = 0; s < 2; s++) {
            char params[160], group[17];
            snprintf(params, sizeof params, "{\"model.width\":8,\"world.concepts\":%d,\"seed.init\":%d}", 8 << w, s);
            snprintf(group, sizeof group, "%016x", 0x200 + w);
            add_run(&st, sweep, pos++, "sparse-parity", params, group, 500, 0, (uint64_t)s, &id);
            StoreSummary sum[] = { { "final_test_loss", 0.3 + 0.1 * w + 0.01 * s } };
            if (store_start_launch(&st, &id, 1, &launch) != 0 || store_finish_run(&st, id, "done", -1, 1.0, NULL, sum, 1) != 0 ||
                store_end_launch(&st, launch, 1.0) != 0)
                return -1;
        }
    store_close(&st);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

static void test_open_refuses_other_files(void **state) {
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/not-a-db.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("hello\n", f);
    fclose(f);
    ReportDb *h;
    assert_int_equal(report_db_open(path, &h), -1);
    assert_null(h);
    assert_non_null(strstr(jp_error(), "not-a-db.txt"));
}

static void test_counts_and_sweeps(void **state) {
    (void)state;
    ReportDb *h;
    assert_int_equal(report_db_open(db, &h), 0);
    assert_int_equal(report_db_finished_runs(h), SIZES * SEEDS + 4);
    ReportSweeps s;
    assert_int_equal(report_db_sweeps(h, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.sweep[0].name, "tiny");
    assert_int_equal(s.sweep[0].runs, SIZES * SEEDS + 4);
    assert_int_equal(s.sweep[0].done, SIZES * SEEDS + 4);
    assert_int_equal(s.sweep[0].failed, 0);
    report_sweeps_free(&s);
    ReportSweepNames names;
    assert_int_equal(report_db_sweep_names(h, &names), 0);
    assert_int_equal(names.n, 1);
    assert_string_equal(names.sweep[0].name, "tiny");
    assert_int_equal(names.sweep[0].first_id, 1);
    report_sweep_names_free(&names);
    assert_int_equal(report_db_ticket_rows(h), 0);   // no ticket experiments: the table is empty
    report_db_close(h);
}

static void test_worlds_and_conditions(void **state) {
    (void)state;
    ReportDb *h;
    assert_int_equal(report_db_open(db, &h), 0);
    ReportWorlds W;
    assert_int_equal(report_db_worlds(h, NULL, NULL, &W), 0);
    assert_int_equal(W.n, 3);   // toy, and sparse-parity's two worlds
    assert_string_equal(W.world[0].task, "toy");   // the most runs first
    assert_string_equal(W.world[0].world, "");
    assert_string_equal(W.world[1].task, "sparse-parity");
    assert_string_equal(W.world[2].task, "sparse-parity");
    assert_true(strstr(W.world[1].world, "world.concepts=") == W.world[1].world);
    assert_string_not_equal(W.world[1].world, W.world[2].world);

    long d, n;
    int k;
    report_db_most_sizes_at_d(h, W.world[0].cond, &d, &k);
    assert_int_equal(d, TRAIN);
    assert_int_equal(k, SIZES);
    report_db_most_sizes_at_d(h, W.world[1].cond, &d, &k);   // fresh samples: train_size 0, one size
    assert_int_equal(d, 0);
    assert_int_equal(k, 1);
    report_db_most_sizes_at_n(h, W.world[0].cond, &n, &k);   // one training-set size per model size, ties to the larger
    assert_int_equal(n, N[SIZES - 1]);
    assert_int_equal(k, 1);

    GroupDiff g;
    assert_int_equal(report_db_groups(h, W.world[0].cond, &g), 0);
    assert_int_equal(g.n_groups, SIZES);
    int f = -1;
    for (int i = 0; i < g.n_fields; i++) if (!strcmp(g.field[i], "model.width")) f = i;
    assert_true(f >= 0);
    char *one = report_cond_group(W.world[0].cond, &g, 2, &f, 1);   // the group of width N[2]/100
    char *at_d = report_cond_train_size(one, TRAIN);
    report_db_most_sizes_at_d(h, at_d, &d, &k);
    assert_int_equal(d, TRAIN);
    assert_int_equal(k, 1);
    free(one);
    free(at_d);
    group_diff_free(&g);

    ReportCurves c;
    char *cond = report_cond_train_size(W.world[0].cond, TRAIN);
    assert_int_equal(report_db_curves(h, cond, &c), 0);
    assert_int_equal(c.n, SIZES * STEPS);
    for (int i = 0; i < SIZES; i++)
        for (int s = 0; s < STEPS; s++) {
            const ReportCurvePoint *p = &c.point[i * STEPS + s];
            double mean = 0;
            for (int r = 0; r < SEEDS; r++) mean += eval_loss(i, r, s) / SEEDS;
            assert_int_equal(p->n_params, N[i]);
            assert_int_equal(p->step, 50 * s);
            assert_int_equal(p->runs, SEEDS);
            assert_true(fabs(p->loss - mean) < 1e-12 * mean);
            assert_true(fabs(p->flops - 6.0 * N[i] * 32 * 50 * s) < 1e-6);
        }
    report_curves_free(&c);
    free(cond);
    char *model = report_cond_model_size(W.world[0].cond, N[1]);
    assert_int_equal(report_db_curves(h, model, &c), 0);
    assert_int_equal(c.n, STEPS);
    report_curves_free(&c);
    free(model);
    report_worlds_free(&W);

    assert_int_equal(report_db_worlds(h, "no such sweep", NULL, &W), 0);
    assert_int_equal(W.n, 0);
    report_worlds_free(&W);
    assert_int_equal(report_db_worlds(h, "tiny", "r.n_params >= 3000", &W), 0);
    assert_int_equal(W.n, 1);
    report_db_most_sizes_at_d(h, W.world[0].cond, &d, &k);   // the --where is part of each world's condition
    assert_int_equal(k, SIZES - 1);
    report_worlds_free(&W);
    assert_int_equal(report_db_worlds(h, NULL, "1) OR (1", &W), -1);
    assert_non_null(strstr(jp_error(), db));
    report_db_close(h);
}

static int have_gnuplot(void) { return system("command -v gnuplot > /dev/null 2>&1") == 0; }

static long file_size(const char *folder, const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", folder, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

// The name a shell would have stumbled on: a quote, spaces, a $ and a backtick.
static void odd_folder(char *out, size_t n) { snprintf(out, n, "%s/it's a $HOME `report`", dir); }

static void test_figure_in_an_odd_folder(void **state) {
    (void)state;
    if (!have_gnuplot()) skip();
    char folder[256];
    odd_folder(folder, sizeof folder);
    strcat(folder, "-fig");
    Report r;
    assert_int_equal(report_open(&r, folder, "t", "s"), 0);
    FILE *c = figure_data(&r, "line");
    assert_non_null(c);
    fputs("x,y\n1,1\n2,4\n3,9\n", c);
    fclose(c);
    assert_int_equal(figure_draw(&r, "line", "a \"title\" with 'quotes'", "x", "y", "", "plot 'line.csv' skip 1 using 1:2 with lines",
                                 "caption"), 0);
    assert_true(file_size(folder, "line.svg") > 0);
    assert_true(file_size(folder, "line.png") > 0);
    assert_int_equal(file_size(folder, "line.log"), -1);   // gnuplot said nothing: no log left behind
    assert_int_equal(figure_draw(&r, "broken", "t", "x", "y", "", "plot 'no-such-file.csv' using 1:2", "caption"), -1);
    assert_non_null(strstr(r.error, "broken.gp"));
    assert_true(file_size(folder, "broken.log") > 0);      // what gnuplot said
    assert_int_equal(report_close(&r), -1);                // one of two figures drew
}

// The labels gnuplot puts on one axis of folder/NAME.gp ("show xtics" after loading it):
// how many, and how many are powers of ten (10^{k} or m×10^{k}).
static void tic_labels(const char *folder, const char *name, char axis, int *labels, int *powers) {
    char cmd[512], line[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot -e \"load '%s.gp'; show %ctics\" 2>&1", folder, name, axis);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    *labels = *powers = 0;
    while (fgets(line, sizeof line, p)) {
        const char *list = strstr(line, "explicit list (");
        if (!list) continue;
        for (const char *q = list; (q = strchr(q, '"')); q++) {   // "LABEL" value, …
            const char *end = strchr(q + 1, '"');
            assert_non_null(end);
            (*labels)++;
            if (memmem(q, (size_t)(end - q), "10^{", 4)) (*powers)++;
            q = end;
        }
    }
    assert_int_equal(pclose(p), 0);
}

// Every log axis has three or more labels in one format: 10^k for counts (parameters,
// FLOPs) even over two decades or less, plain decimals for losses near 1, however narrow.
static void test_log_axes_have_three_labels(void **state) {
    (void)state;
    if (!have_gnuplot()) skip();
    char folder[128];
    snprintf(folder, sizeof folder, "%s/tics", dir);
    Report r;
    assert_int_equal(report_open(&r, folder, "t", "s"), 0);
    const char *data[] = { "x,y\n5000,0.55\n20000,0.45\n900000,0.35\n", "x,y\n2e9,0.401\n3e10,0.41\n5e11,0.418\n" };
    const char *names[] = { "wide", "narrow" };
    for (int i = 0; i < 2; i++) {
        FILE *c = figure_data(&r, names[i]);
        assert_non_null(c);
        fputs(data[i], c);
        fclose(c);
        char plot[128];
        snprintf(plot, sizeof plot, "set logscale xy\nplot '%s.csv' skip 1 using 1:2 with points", names[i]);
        assert_int_equal(figure_draw(&r, names[i], "t", "N", "loss", "", plot, "caption"), 0);
        int labels, powers;
        tic_labels(folder, names[i], 'x', &labels, &powers);
        assert_true(labels >= 3);
        assert_int_equal(powers, labels);
        tic_labels(folder, names[i], 'y', &labels, &powers);
        assert_true(labels >= 3);
        assert_int_equal(powers, 0);
    }
    assert_int_equal(report_close(&r), 0);
}

// Without gnuplot on the PATH the figure fails and the report names why.
static void test_figure_without_gnuplot(void **state) {
    (void)state;
    char folder[160], *path = strdup(getenv("PATH") ? getenv("PATH") : "");
    snprintf(folder, sizeof folder, "%s/no-gnuplot", dir);
    Report r;
    assert_int_equal(report_open(&r, folder, "t", "s"), 0);
    setenv("PATH", folder, 1);   // a folder without gnuplot in it
    int rc = figure_draw(&r, "line", "t", "x", "y", "", "plot x", "caption");
    setenv("PATH", path, 1);
    free(path);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(r.error, "gnuplot is not installed"));
    char log[200];
    snprintf(log, sizeof log, "%s/line.log", folder);
    char *text = slurp(log);
    assert_non_null(text);
    assert_string_equal(text, "gnuplot: not found on the PATH\n");
    free(text);
    assert_int_equal(report_close(&r), -1);
}

static void test_report_in_an_odd_folder(void **state) {
    (void)state;
    if (!have_gnuplot()) skip();
    char folder[256];
    odd_folder(folder, sizeof folder);
    ReportOptions o = { .db = db, .out = folder, .n_boot = 20, .concept_threshold = 0.1 };
    ReportResult res;
    assert_int_equal(report_write(&o, &res), 0);
    assert_int_equal(res.drawn, res.figures);
    assert_string_equal(res.undrawn, "");
    assert_non_null(strstr(res.summary, "L(N) on toy, D = 5000: α = "));
    const char *figures[] = { "loss_vs_N_toy", "residuals_N_toy", "frontier_toy", "curves_vs_steps_toy",
                              "curves_vs_flops_toy", "seeds_strip_toy", "seeds_spread_toy", "best_of_k_toy" };
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
        const char *ext[] = { "csv", "gp", "svg", "png" };
        for (int e = 0; e < 4; e++) {
            char name[96];
            snprintf(name, sizeof name, "%s.%s", figures[i], ext[e]);
            if (file_size(folder, name) <= 0) fail_msg("%s: missing or empty", name);
        }
    }
    // the spread across seeds: std ∝ N^k, its 95% interval from Student's t with n − 2 df
    double lx[SIZES], ly[SIZES], c0, c1, cov00, cov01, cov11, sumsq;
    for (int i = 0; i < SIZES; i++) {
        double y[SEEDS];
        for (int s = 0; s < SEEDS; s++) y[s] = final_loss(i, s);
        lx[i] = log((double)N[i]);
        ly[i] = log(gsl_stats_sd(y, 1, SEEDS));
    }
    gsl_fit_linear(lx, 1, ly, 1, SIZES, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    double half = gsl_cdf_tdist_Pinv(0.975, SIZES - 2) * sqrt(cov11);
    assert_true(half > 1.96 * sqrt(cov11) * 2);   // with 2 df the t interval is more than twice the normal one
    char expect[200], path[512];
    snprintf(expect, sizeof expect, "it scales as N^%.3g [%.3g, %.3g] (least squares in log–log, Student's t 95%% interval).",
             c1, c1 - half, c1 + half);
    snprintf(path, sizeof path, "%s/index.html", folder);
    char *html = slurp(path);
    assert_non_null(html);
    if (!strstr(html, expect)) fail_msg("index.html lacks \"%s\"", expect);
    assert_non_null(strstr(html, "sparse-parity, world 2 is sparse-parity (world.concepts="));
    free(html);
}

static void test_report_refuses_a_bad_where(void **state) {
    (void)state;
    char folder[160];
    snprintf(folder, sizeof folder, "%s/where", dir);
    ReportOptions o = { .db = db, .out = folder, .where = "1; DROP TABLE runs", .n_boot = 20 };
    ReportResult res;
    assert_int_equal(report_write(&o, &res), -1);
    assert_non_null(strstr(jp_error(), db));
    o.db = "/nonexistent/runs.db";
    assert_int_equal(report_write(&o, &res), -1);
    assert_non_null(strstr(jp_error(), "/nonexistent/runs.db"));
}

// The selection (--sweep, --where) narrows the readers that take no condition: the count of
// finished runs and the sweeps of the overview.
static void test_selection_narrows_the_overview(void **state) {
    (void)state;
    ReportDb *h;
    assert_int_equal(report_db_open(db, &h), 0);
    assert_int_equal(report_db_select(h, NULL, "r.task = 'toy' AND r.n_params > 1000"), 0);
    assert_int_equal(report_db_finished_runs(h), (SIZES - 1) * SEEDS);
    ReportSweeps s;
    assert_int_equal(report_db_sweeps(h, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.sweep[0].runs, (SIZES - 1) * SEEDS);
    report_sweeps_free(&s);
    assert_int_equal(report_db_select(h, "no-such-sweep", NULL), 0);
    assert_int_equal(report_db_finished_runs(h), 0);
    assert_int_equal(report_db_sweeps(h, &s), 0);
    assert_int_equal(s.n, 0);
    report_sweeps_free(&s);
    assert_int_equal(report_db_select(h, NULL, "1) OR (1"), -1);   // refused by store/where.h's rules, naming the file
    assert_non_null(strstr(jp_error(), db));
    report_db_close(h);
}

// --group-by: a params field or a runs column, its values in numeric order with a condition each.
static void test_group_values(void **state) {
    (void)state;
    ReportDb *h;
    assert_int_equal(report_db_open(db, &h), 0);
    assert_int_equal(report_db_group_by(h, "optim.lr"), 0);
    ReportGroupValues G;
    assert_int_equal(report_db_group_values(h, "1", &G), 0);
    assert_int_equal(G.n, 2);   // the toy runs have one; the sparse-parity runs have none
    assert_string_equal(G.value[0], "absent");
    assert_string_equal(G.value[1], "0.01");
    long d;
    int n_sizes;
    report_db_most_sizes_at_d(h, G.cond[1], &d, &n_sizes);   // the condition selects the toy runs
    assert_int_equal(d, TRAIN);
    assert_int_equal(n_sizes, SIZES);
    report_group_values_free(&G);
    assert_int_equal(report_db_group_by(h, "world.concepts"), 0);   // numbers by value: 8 before 16
    assert_int_equal(report_db_group_values(h, "r.task = 'sparse-parity'", &G), 0);
    assert_int_equal(G.n, 2);
    assert_string_equal(G.value[0], "8");
    assert_string_equal(G.value[1], "16");
    report_group_values_free(&G);
    assert_int_equal(report_db_group_by(h, "width"), 0);   // no params key: the column r.width
    assert_int_equal(report_db_group_values(h, "r.task = 'toy'", &G), 0);
    assert_int_equal(G.n, SIZES);
    assert_string_equal(G.value[0], "10");
    assert_string_equal(G.value[SIZES - 1], "300");
    report_group_values_free(&G);
    assert_int_equal(report_db_group_by(h, "optim.lrr"), -1);
    assert_non_null(strstr(jp_error(), "--group-by 'optim.lrr'"));
    assert_non_null(strstr(jp_error(), "model.width"));   // the fields there are
    assert_int_equal(report_db_group_by(h, "x') OR 1 --"), -1);
    assert_non_null(strstr(jp_error(), "not a field name"));
    report_db_close(h);
}

int main(void) {
    gsl_set_error_handler_off();   // as jackpot's main(): the library reads GSL's status codes, never aborts
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refuses_other_files),
        cmocka_unit_test(test_counts_and_sweeps),
        cmocka_unit_test(test_worlds_and_conditions),
        cmocka_unit_test(test_figure_in_an_odd_folder),
        cmocka_unit_test(test_log_axes_have_three_labels),
        cmocka_unit_test(test_figure_without_gnuplot),
        cmocka_unit_test(test_report_in_an_odd_folder),
        cmocka_unit_test(test_report_refuses_a_bad_where),
        cmocka_unit_test(test_selection_narrows_the_overview),
        cmocka_unit_test(test_group_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

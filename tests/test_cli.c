// The jackpot command line: bad flags and values are refused with exit status 2
// and a message naming the flag; a short run writes well-formed JSON Lines.
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Runs `jackpot ARGS` (a --json command) for its stdout alone, which must then be one
// JSON document; fails the test, showing stderr, unless it exits 0.
static void run_json(const char *args, char *out, size_t cap) {
    char errpath[] = "/tmp/jackpot-stderr-XXXXXX", cmd[1200];
    int fd = mkstemp(errpath);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "%s %s 2>%s", bin(), args, errpath);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int status = pclose(p);
    char *err = slurp(errpath);
    remove(errpath);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail_msg("jackpot %s: exit %d, stderr:\n%s", args, status, err ? err : "");
    if (n == cap - 1) fail_msg("jackpot %s: more than %zu bytes of output", args, cap - 1);
    free(err);
}

static void expect_usage_error(const char *args, const char *fragment) {
    static char out[1 << 16];
    int rc = run(args, out, sizeof out);
    if (rc != 2 || !strstr(out, fragment))
        fail_msg("jackpot %s: exit %d, output '%s'; expected exit 2 and '%s'", args, rc, out, fragment);
}

static void test_bad_flags(void **state) {
    (void)state;
    expect_usage_error("train --lr abc", "--lr: expected a number in");
    expect_usage_error("train --lr=-1", "--lr: expected a number in");
    expect_usage_error("train --width 0", "--width: expected an integer in [1, 65536], got '0'");
    expect_usage_error("train --depth 17", "--depth: expected an integer in [0, 16]");
    expect_usage_error("train --act sigmoid", "--act: expected one of relu, gelu, tanh, got 'sigmoid'");
    expect_usage_error("report --db x.db --unit foo", "--unit: expected loss, accuracy or logit, got 'foo'");
    expect_usage_error("report", "--db FILE is required");
    expect_usage_error("concepts --db x.db --at sometimes", "--at: expected final or best, got 'sometimes'");
    expect_usage_error("train --optim lion", "--optim: expected one of adamw, adam, sgd");
    expect_usage_error("train --init-seeds 5:2", "--init-seeds: expected a range START:STOP[:STEP]");
    expect_usage_error("train --init-seeds 0:18446744073709551615:2", "--init-seeds: range '0:18446744073709551615:2' has more than");
    expect_usage_error("train --seeds 1,x", "--seeds: expected a list like 0,1,2");
    expect_usage_error("train --hidden 300,,100", "--hidden: expected a comma-separated list");
    expect_usage_error("train --steps 10 --epochs 2", "at most one of --steps, --examples, --epochs");
    expect_usage_error("train --bogus", "unknown option '--bogus'");
    expect_usage_error("train --batch", "--batch: needs a value");
    expect_usage_error("train extra", "unexpected argument 'extra'");
    expect_usage_error("frobnicate", "unknown command 'frobnicate'");
    expect_usage_error("train --train-size 59000", "--train-size: expected at most 55000");
    expect_usage_error("run", "expected one sweep config");
    expect_usage_error("run /nonexistent.yaml", "/nonexistent.yaml: cannot open: No such file or directory");
    expect_usage_error("run --workers 0 x.yaml", "--workers: expected an integer in [1, 64], got '0'");
    expect_usage_error("plan examples/width_sweep.yaml --bogus", "unknown option '--bogus'");
    expect_usage_error("export --format xml", "--format: expected one of csv, jsonl, got 'xml'");
    expect_usage_error("export --what everything", "--what: expected one of runs, summaries, metrics, tickets, concepts, "
                                                   "probes, fits, dists, launches, sweeps, ticket_curves, compares, compare_curve, got 'everything'");
    expect_usage_error("export --what fits --sweep toy", "--sweep: fits belong to no one sweep");
}

static void test_fit_on_a_csv(void **state) {
    (void)state;
    static char out[1 << 16];
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    char args[512];
    snprintf(args, sizeof args, "fit --law chinchilla --csv %s/chinchilla_points.csv --col params=N --col data=D "
             "--boot 50 --budget 1e21 --target-loss 1.9 --cost-data 1e9", dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    const char *expect[] = { "law chinchilla on 25 points", "alpha", "beta", "N_opt_exponent", "held out:",
                             "budget 1e+21: the lowest loss", "target loss 1.9: the cheapest way" };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (!strstr(out, expect[i])) fail_msg("fit output lacks '%s':\n%s", expect[i], out);
    // --json: the fit of tests/test_fit.c's scipy check (tests/reference/scipy_fits.txt:
    // θ = 0.522390937, 6.005348901, 0.339795373), its interval around it, a residual per point
    snprintf(args, sizeof args, "fit --law power --csv %s/power_points.csv --col params=N --boot 20 --json", dir);
    run_json(args, out, sizeof out);
    assert_json_text(out, "$.law", "power");
    assert_true(json_number_at(out, "$.points") == 10 && json_number_at(out, "$.bootstrap") == 20);
    const double scipy[3] = { 0.52239093748609877, 6.005348901295668, 0.33979537293244855 };
    for (int j = 0; j < 3; j++) {
        char path[32];
        snprintf(path, sizeof path, "$.theta[%d]", j);
        assert_float_equal(json_number_at(out, path), scipy[j], 1e-4 * scipy[j]);
    }
    double alpha = json_number_at(out, "$.parameters.alpha.estimate");
    assert_true(alpha == json_number_at(out, "$.theta[2]"));
    assert_true(json_number_at(out, "$.parameters.alpha.lo") <= alpha && alpha <= json_number_at(out, "$.parameters.alpha.hi"));
    assert_float_equal(json_number_at(out, "$.parameters.E.estimate"), exp(scipy[0]), 1e-4 * exp(scipy[0]));
    assert_int_equal(json_length_at(out, "$.residuals"), 10);
    assert_true(json_number_at(out, "$.r2_log") > 0.9999);
    expect_usage_error("fit --csv x.csv", "--law: give one of power, chinchilla, kaplan, bnsl (bnsl1, bnsl2), m4, data-constrained, data-constrained-d, frontier, isoflop");
    expect_usage_error("fit --law power --breaks 2 --csv x.csv", "--breaks: only with --law bnsl");
    expect_usage_error("fit --law cubic --csv x.csv", "--law: expected one of power, chinchilla");
    expect_usage_error("fit --law power", "exactly one of --db and --csv");
    expect_usage_error("fit --law power --csv x.csv --budget 1e9", "--budget and --target-loss need --law chinchilla");
    expect_usage_error("fit --law power --csv x.csv --col mass=M", "--col: expected AXIS=COLUMN");
    snprintf(args, sizeof args, "fit --law power --csv %s/power_points.csv --col params=Q", dir);
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "no column 'Q' in the header"));
}

static int lines_in(const char *s) {
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

// The rows of dist's compact table: lines that open with the group's number (1, 2, … in order).
static int dist_table_rows(const char *out) {
    int rows = 0;
    for (const char *line = out; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        int k, c;
        if (sscanf(line, "%3d%n", &k, &c) == 1 && c == 3 && line[3] == ' ') {
            if (k != rows + 1) fail_msg("dist row %d numbered %d:\n%s", rows + 1, k, out);
            rows++;
        }
    }
    return rows;
}

static void test_dist_on_a_csv(void **state) {
    (void)state;
    static char out[1 << 17];
    char path[] = "/tmp/jackpot-dist-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("group,N,loss,acc,init,data\n", f);
    for (int g = 0; g < 4; g++)   // 4 sizes, 4 init × 3 data seeds each
        for (int i = 0; i < 4; i++)
            for (int d = 0; d < 3; d++)
                fprintf(f, "w%d,%d,%.6f,%.6f,%d,%d\n", g, 1000 << (2 * g), 0.5 / (g + 1) + 0.01 * i + 0.003 * d + 0.001 * ((i * 7 + d) % 5),
                        0.8 + 0.02 * g - 0.005 * i, i, d);
    fputs("tiny,99,0.5,0.5,0,0\ntiny,99,0.6,0.5,1,0\n", f);
    fclose(f);
    char args[256];
    snprintf(args, sizeof args, "dist --csv %s --boot 100 --full", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    const char *expect[] = { "5 groups", "logit_accuracy", "Anderson", "too small for a tail claim", "best of k seeds",
                             "4 init × 3 data seeds", "spread against N", "2 values: at least 3 are needed" };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (!strstr(out, expect[i])) fail_msg("dist --full output lacks '%s':\n%s", expect[i], out);
    // issue 18: by default a table of the loss, a row per group: 2 header lines, 5 rows, a blank,
    // the spread against N (3 lines) and the law; the tiny group's row says why it has no numbers
    snprintf(args, sizeof args, "dist --csv %s --boot 100", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_int_equal(dist_table_rows(out), 5);
    assert_int_equal(lines_in(out), 5 + 7);
    assert_non_null(strstr(out, "5 groups, loss"));
    assert_non_null(strstr(out, "mean       std       min       q05    median       q95       max  verdict"));
    const char *tiny = strstr(out, "\n  1  N=99 ");
    assert_non_null(tiny);
    assert_true(strstr(tiny, "2 values: at least 3 are needed") < strchr(tiny + 1, '\n'));
    assert_non_null(strstr(out, "\n  2  N=1000     12    0.5199   0.01229       0.5 "));   // w0's mean, std, min of loss; %.4g
    assert_non_null(strstr(out, "consistent with normal (p = "));
    assert_non_null(strstr(out, "  std ∝ N^"));
    assert_null(strstr(out, "best of k seeds"));   // --full's
    assert_null(strstr(out, "logit_accuracy "));
    snprintf(args, sizeof args, "dist --csv %s --boot 0 --unit accuracy", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_int_equal(dist_table_rows(out), 5);
    assert_non_null(strstr(out, "5 groups, accuracy"));
    assert_non_null(strstr(out, "accuracy spread against N"));
    snprintf(args, sizeof args, "dist --csv %s --unit bogus", path);
    expect_usage_error(args, "--unit: expected one of loss, log_loss, error, accuracy, logit_accuracy, not 'bogus'");
    snprintf(args, sizeof args, "dist --csv %s --fulll", path);
    expect_usage_error(args, "unknown option '--fulll'");
    snprintf(args, sizeof args, "dist --csv %s --boot 20 --json", path);
    run_json(args, out, sizeof out);
    // groups by size: tiny (N = 99) first, then w0; w0's variance split is the method of
    // moments on its 4 × 3 losses, written out here
    assert_int_equal(json_length_at(out, "$.groups"), 5);
    assert_true(json_number_at(out, "$.groups[0].N") == 99 && json_number_at(out, "$.groups[1].N") == 1000);
    assert_true(json_number_at(out, "$.groups[1].n") == 12);
    assert_true(json_number_at(out, "$.groups[1].variance_split.init_seeds") == 4);
    assert_true(json_number_at(out, "$.groups[1].variance_split.data_seeds") == 3);
    double y[4][3], m = 0, ri[4] = { 0 }, cj[3] = { 0 }, ms_i = 0, ms_j = 0, ms_r = 0;
    for (int i = 0; i < 4; i++)
        for (int d = 0; d < 3; d++) {
            char v[32];   // as written to the CSV
            snprintf(v, sizeof v, "%.6f", 0.5 + 0.01 * i + 0.003 * d + 0.001 * ((i * 7 + d) % 5));
            y[i][d] = strtod(v, NULL);
            m += y[i][d] / 12; ri[i] += y[i][d] / 3; cj[d] += y[i][d] / 4;
        }
    for (int i = 0; i < 4; i++) ms_i += 3 * (ri[i] - m) * (ri[i] - m) / 3;
    for (int d = 0; d < 3; d++) ms_j += 4 * (cj[d] - m) * (cj[d] - m) / 2;
    for (int i = 0; i < 4; i++)
        for (int d = 0; d < 3; d++) ms_r += pow(y[i][d] - ri[i] - cj[d] + m, 2) / 6;
    assert_float_equal(json_number_at(out, "$.groups[1].variance_split.init.estimate"), (ms_i - ms_r) / 3, 1e-12);
    assert_float_equal(json_number_at(out, "$.groups[1].variance_split.data.estimate"), (ms_j - ms_r) / 4, 1e-12);
    assert_float_equal(json_number_at(out, "$.groups[1].variance_split.interaction_residual.estimate"), ms_r, 1e-12);
    assert_json_text(out, "$.groups[0].units.loss.refused", "2 values: at least 3 are needed for a spread");
    // every size has the same spread of loss (only the mean moves): a flat exponent
    assert_true(fabs(json_number_at(out, "$.spread_vs_N.loss_std.exponent")) < 1e-9);
    assert_true(json_number_at(out, "$.spread_vs_N.loss_std.groups") == 4);
    remove(path);
    expect_usage_error("dist", "exactly one of --db and --csv");
}

// Writes text to a fresh temporary file; path[] gets its name.
static void write_temp(char *path, const char *text) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

// Issue 13: accuracy 7, a negative loss and a NaN loss were described as data (exit 0).
static void test_dist_refuses_impossible_values(void **state) {
    (void)state;
    static char out[1 << 16];
    const char *bad[][2] = {
        { "group,N,loss,acc\na,10,1.0,0.5\na,10,1.1,7\n", ":3: column 'acc' is 7: the accuracy must be a number in [0, 1]" },
        { "group,N,loss\na,10,1.0\na,10,1.2\na,10,-0.5\n", ":4: column 'loss' is -0.5: the loss must be a finite number" },
        { "group,N,loss\na,10,nan\na,10,1.2\n", ":2: column 'loss' is nan: the loss must be a finite number" },
        { "group,N,loss\na,10,1\na,10,inf\n", ":3: column 'loss' is inf" },
        { "group,N,loss,acc\na,10,1,nan\n", ":2: column 'acc' is nan" },
        { "group,N,loss\na,-3,1\n", ":2: column 'N' is -3: N must be a positive finite number" },
        { "group,N,loss,init\na,10,1,1e30\n", ":2: column 'init' is 1e30: a seed must be a whole number" },   // (fuzzing)
        { "group,N,loss,data\na,10,1,2.5\n", ":2: column 'data' is 2.5: a seed must be a whole number" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[] = "/tmp/jackpot-distbad-XXXXXX", args[128], expect[256];
        write_temp(path, bad[i][0]);
        snprintf(args, sizeof args, "dist --csv %s --boot 0", path);
        snprintf(expect, sizeof expect, "%s%s", path, bad[i][1]);
        int rc = run(args, out, sizeof out);
        if (rc != 1 || !strstr(out, expect)) fail_msg("dist on %s: exit %d, output '%s'; expected exit 1 and '%s'", bad[i][0], rc, out, expect);
        remove(path);
    }
}

// Issue 13: a seed grid with one (init, data) pair twice and another missing has I·J = n
// and was split as if complete (the missing cell read as 0); below n = 8 there is no
// p-value and no skewness interval; with --boot 0 no interval is printed or cited.
static void test_dist_grid_small_n_and_no_bootstrap(void **state) {
    (void)state;
    static char out[1 << 17];
    char path[] = "/tmp/jackpot-distgrid-XXXXXX";
    // 3 × 3 grid, (init 2, data 2) missing and (init 0, data 0) twice; a second group of 5 runs
    write_temp(path, "group,N,loss,init,data\n"
                     "a,100,1.00,0,0\na,100,1.02,0,1\na,100,1.05,0,2\na,100,1.10,1,0\na,100,1.13,1,1\n"
                     "a,100,1.11,1,2\na,100,1.21,2,0\na,100,1.24,2,1\na,100,1.01,0,0\n"
                     "b,400,0.80,0,0\nb,400,0.83,1,0\nb,400,0.79,2,0\nb,400,0.95,3,0\nb,400,0.81,4,0\n");
    char args[128];
    snprintf(args, sizeof args, "dist --csv %s --boot 50 --full", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    if (!strstr(out, "no init × data variance split: 3 init × 3 data seeds, but the pair (init 0, data 0) occurs twice"))
        fail_msg("dist output lacks the refused split:\n%s", out);
    assert_null(strstr(out, "variance of loss, 3 init × 3 data"));
    assert_non_null(strstr(out, "no normality test (Anderson–Darling A*² = "));
    assert_non_null(strstr(out, "n = 5 is below 8"));
    assert_null(strstr(strstr(out, "group 2"), "consistent with normal"));
    const char *skew = strstr(strstr(out, "group 2"), "skew ");
    assert_non_null(skew);
    assert_true(strcspn(skew, "[") > strcspn(skew, "\n"));   // no interval on the skewness line
    snprintf(args, sizeof args, "dist --csv %s --boot 50 --json", path);
    run_json(args, out, sizeof out);
    assert_true(json_number_at(out, "$.groups[0].N") == 100 && json_number_at(out, "$.groups[0].n") == 9);
    char *why = json_text_at(out, "$.groups[0].variance_split.refused");
    if (!strstr(why, "the pair (init 0, data 0) occurs twice")) fail_msg("variance split refused for: %s", why);
    free(why);
    assert_true(json_type_is(out, "$.groups[0].variance_split.init", "absent"));
    // n = 5: no p-value, and no skewness interval
    assert_true(json_number_at(out, "$.groups[1].n") == 5);
    assert_true(isnan(json_number_at(out, "$.groups[1].units.loss.anderson_darling.p")));
    assert_true(isnan(json_number_at(out, "$.groups[1].units.loss.skewness.lo")));
    remove(path);

    // --boot 0 on a crossed 4 × 3 grid of 4 sizes with 40 runs in one: nothing cites an interval
    char path2[] = "/tmp/jackpot-distb0-XXXXXX";
    int fd = mkstemp(path2);
    FILE *f = fdopen(fd, "w");
    fputs("group,N,loss,acc,init,data\n", f);
    for (int g = 0; g < 4; g++)
        for (int i = 0; i < (g ? 4 : 10); i++)
            for (int d = 0; d < (g ? 3 : 4); d++)
                fprintf(f, "w%d,%d,%.6f,%.6f,%d,%d\n", g, 1000 << (2 * g), 0.5 / (g + 1) + 0.01 * i + 0.003 * d + 0.001 * ((i * 7 + d) % 5),
                        0.8 + 0.02 * g - 0.005 * i, i, d);
    fclose(f);
    for (int full = 1; full >= 0; full--) {   // --full, then the compact table
        snprintf(args, sizeof args, "dist --csv %s --boot 0%s", path2, full ? " --full" : "");
        assert_int_equal(run(args, out, sizeof out), 0);
        if (full) {
            assert_non_null(strstr(out, "Hill α good"));   // the 40-run group reaches the tail claim
            assert_non_null(strstr(out, "variance of loss, 10 init × 4 data seeds"));
        } else {
            assert_int_equal(dist_table_rows(out), 4);
            // the 40-run group passes the normality test, so no tail is called heavier (as --full)
            assert_non_null(strstr(out, "  1  N=1000     40    0.5515   0.02941 "));
            assert_non_null(strstr(out, "0.6  consistent with normal (p = 0.3009)\n"));
            assert_null(strstr(out, "tail heavier"));
        }
        const char *no[] = { "nan", "intervals overlap", "heavier good tail", "heavier bad tail" };
        for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
            if (strstr(out, no[i])) fail_msg("dist --boot 0 output has '%s':\n%s", no[i], out);
        // the only intervals left are the t intervals of the spread against N
        for (const char *b = strchr(out, '['); b; b = strchr(b + 1, '[')) {
            const char *line = b;
            while (line > out && line[-1] != '\n') line--;
            if (!strstr(line, " ∝ N^") || strstr(line, " ∝ N^") > b) fail_msg("dist --boot 0 prints an interval: %.120s", line);
        }
    }
    remove(path2);
}

// Issue 18: the compact table's verdict is --full's claim, shortened: 40 runs with four far
// bad outcomes are not normal and the bad tail is heavier by Hill's α (intervals overlap, as
// --full says); a group whose tail is constant gets no tail claim in either.
static void test_dist_compact_verdicts(void **state) {
    (void)state;
    static char out[1 << 17];
    char path[] = "/tmp/jackpot-disttail-XXXXXX", args[160];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("group,N,loss\n", f);
    for (int i = 0; i < 36; i++) fprintf(f, "a,100,%.4f\nb,400,%.4f\n", 0.5 + 0.001 * i, 0.4 - 0.002 * (i % 7));
    fputs("a,100,0.8\na,100,1.0\na,100,1.5\na,100,2.5\nb,400,0.1\nb,400,0.05\nb,400,0.02\nb,400,0.01\n", f);
    fclose(f);
    snprintf(args, sizeof args, "dist --csv %s --boot 200 --full", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "p < 3.7e-24); bad tail heavier by the point estimates, intervals overlap; Hill α good 6.78"));
    snprintf(args, sizeof args, "dist --csv %s --boot 200", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_int_equal(dist_table_rows(out), 2);
    assert_non_null(strstr(out, "  1  N=100    40    0.6108    0.3532       0.5     0.502    0.5195     1.025       2.5  "
                                "not normal (p < 3.7e-24); bad tail heavier (intervals overlap)\n"));
    assert_non_null(strstr(out, "       0.4  not normal (p < 3.7e-24)\n"));
    remove(path);
}

// Issue 13: dist's power law across sizes took every run as a point; 1,000 groups took a
// minute with --boot 0 and 10^5 never finished. Now one point per size, at most 64.
static void test_dist_many_groups_fast(void **state) {
    (void)state;
    static char out[1 << 20];
    char path[] = "/tmp/jackpot-distmany-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("group,N,loss\n", f);
    for (int g = 0; g < 2000; g++)   // a size per group, its loss near a power law with noise
        for (int r = 0; r < 3; r++)
            fprintf(f, "g%d,%d,%.6f\n", g, 1000 + g, 2.0 * pow(1000 + g, -0.3) + 0.01 * ((g * 7 + r * 13) % 17) / 17.0);
    fclose(f);
    char args[256], table[64];
    snprintf(table, sizeof table, "%s.out", path);
    snprintf(args, sizeof args, "dist --csv %s --boot 0 --full > %s", path, table);   // some 4 MB of text
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(args, out, sizeof out), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    print_message("dist on 2,000 groups of 3 runs, --boot 0: %.2f s\n", s);
    f = fopen(table, "r");
    assert_non_null(f);
    fseek(f, -(long)(sizeof out / 4), SEEK_END);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    fclose(f);
    if (!strstr(out, "through the median loss of 64 bins of consecutive sizes (2000 sizes)")) fail_msg("dist output ends:\n%s", out);
    // no time limit here (speed belongs to bench/): before, this took about a minute and grew with the runs
    remove(table);
    remove(path);
}

// Issue 13: a database path with a quote made dist write invalid JSON, to stdout and
// into the dists table. Every --json output and every stored JSON text must stay valid
// with '"' and '\' in the path; fit --json carries its objective; without a bootstrap
// alpha_beta_distinguishable is null, not true.
static void test_json_valid_with_quotes_in_the_path(void **state) {
    (void)state;
    static char out[1 << 18];
    char dir[] = "/tmp/jackpot-q\"u\\o-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char yaml[160], db[160], args[512];
    snprintf(yaml, sizeof yaml, "%s/sweep.yaml", dir);
    snprintf(db, sizeof db, "%s/x.db", dir);
    FILE *f = fopen(yaml, "w");
    fputs("task: {name: sparse-parity}\nworld: {concepts: 4, bits: 8, zipf: 1.2, eval_per_concept: 8}\nmodel: {depth: 1}\n"
          "budget: {batch: 32, steps: 20, evals: 1}\ngrid: {model.width: [4, 8, 16, 32]}\nseeds: {init: 2}\n", f);
    fclose(f);
    snprintf(args, sizeof args, "run '%s' --db '%s' --quiet", yaml, db);
    assert_int_equal(run(args, out, sizeof out), 0);
    snprintf(args, sizeof args, "dist --db '%s' --boot 10 --json", db);
    run_json(args, out, sizeof out);
    char source[300], *got = json_text_at(out, "$.source");   // the path, read back whole
    snprintf(source, sizeof source, "db:%s metric=final", db);
    assert_string_equal(got, source);
    free(got);
    assert_int_equal(json_length_at(out, "$.groups"), 4);   // widths 4, 8, 16, 32 of 2 seeds each
    for (int g = 0; g < 4; g++) {
        char path[48];
        snprintf(path, sizeof path, "$.groups[%d].n", g);
        assert_true(json_number_at(out, path) == 2);
    }
    snprintf(args, sizeof args, "fit --law power --db '%s' --boot 0 --json", db);
    run_json(args, out, sizeof out);
    assert_true(json_number_at(out, "$.objective") > 0);
    assert_true(json_number_at(out, "$.points") == 8 && json_number_at(out, "$.clusters") == 4);
    snprintf(args, sizeof args, "export --db '%s' --what summaries --format jsonl", db);
    run_json(args, out, sizeof out);
    int lines = 0, widths = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        assert_json_text(line, "$.status", "done");
        widths += (int)json_number_at(line, "$.\"model.width\"");
    }
    assert_int_equal(lines, 8);
    assert_int_equal(widths, 2 * (4 + 8 + 16 + 32));
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM dists), (SELECT count(*) FROM dists WHERE json_valid(result)),"
                          " (SELECT count(*) FROM fits), (SELECT count(*) FROM fits WHERE json_valid(result) AND json_valid(options)),"
                          " (SELECT json_extract(result, '$.objective') > 0 FROM fits)", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    assert_int_equal(sqlite3_column_int(st, 2), 1);
    assert_int_equal(sqlite3_column_int(st, 3), 1);
    assert_int_equal(sqlite3_column_int(st, 4), 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    // chinchilla without a bootstrap: no intervals, so no answer to "distinguishable"
    const char *ref = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    snprintf(args, sizeof args, "fit --law chinchilla --csv %s/chinchilla_points.csv --col params=N --col data=D --boot 0 --json", ref);
    run_json(args, out, sizeof out);
    if (!json_type_is(out, "$.alpha_beta_distinguishable", "null")) fail_msg("fit --boot 0:\n%.600s", out);
    assert_true(isnan(json_number_at(out, "$.parameters.alpha.lo")));
    DIR *d = opendir(dir);   // the database, its WAL and lock files, the config
    for (struct dirent *e; d && (e = readdir(d));) {
        char file[400];
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.') remove(file);
    }
    if (d) closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

static const char *const TICKET_LEVELS[] = { "0 dense", "1 ticket", "1 reinit", "1 random_mask", "1 oneshot",
                                              "2 ticket", "2 reinit", "2 random_mask", "2 oneshot" };

// `jackpot tickets` off a terminal: a line per level and variant, each with the progress (elapsed, ETA)
// after the mean test accuracy, then the group's line.
static void expect_ticket_progress(const char *out) {
    for (size_t i = 0; i < sizeof TICKET_LEVELS / sizeof *TICKET_LEVELS; i++) {
        char level[32];
        snprintf(level, sizeof level, "level  %s ", TICKET_LEVELS[i]);
        const char *l = strstr(out, level), *end = l ? strchr(l, '\n') : NULL;
        if (!l || !end) fail_msg("no line '%s' in:\n%s", level, out);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(end - l), l);
        if (!strstr(line, "mean test acc") || !strstr(line, "| groups 0/1  runs 0/2") || !strstr(line, " ETA "))
            fail_msg("level line without its progress: %s", line);
    }
    if (!strstr(out, "group 784-16-10 D=2000 80 steps ×2 done in") || !strstr(out, "groups 1/1  runs 2/2"))
        fail_msg("no group line in:\n%s", out);
}

// `jackpot status` on it: per level the trainings (a row each, one more per barrier) and their
// FLOPs, at 6 · 12730 parameters · 50 · 80 steps = 305,520,000 each, and the levels per run.
static void expect_ticket_status(const char *db) {
    static char out[1 << 16];
    char args[128];
    snprintf(args, sizeof args, "status --db %s", db);
    assert_int_equal(run(args, out, sizeof out), 0);
    const char *want[] = { "level  density  runs trainings        FLOPs  variants",
                           "      0   100.0%     2         4    1.222e+09  dense",   // dense and its copy
                           "run 1 (hidden 16, init 0, done): 3 levels (0–2), density 64",
                           "run 2 (hidden 16, init 1, done): 3 levels (0–2)" };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(out, want[i])) fail_msg("status: no '%s' in:\n%s", want[i], out);
    // levels 1 and 2: 4 variants and the copy per run
    const char *l1 = strstr(out, "      1    80.");
    const char *l2 = strstr(out, "      2    64.");
    if (!l1 || !l2 || strncmp(strchr(l1, '%'), "%     2        10    3.055e+09", 30) || strncmp(strchr(l2, '%'), "%     2        10    3.055e+09", 30))
        fail_msg("status: levels 1 and 2 not at 10 trainings, 3.055e+09 FLOPs:\n%s", out);
}

// `jackpot dist` on it (a database of tickets alone: --tickets by itself): a row per (level,
// variant), n = the 2 seeds; --where on the tickets row keeps the tickets only.
static void expect_ticket_dist(const char *db) {
    static char out[1 << 16];
    char args[256];
    snprintf(args, sizeof args, "dist --db %s --no-save", db);
    assert_int_equal(run(args, out, sizeof out), 0);
    if (!strstr(out, "as --tickets") || !strstr(out, ": 9 groups, loss")) fail_msg("dist:\n%s", out);
    for (size_t i = 0; i < sizeof TICKET_LEVELS / sizeof *TICKET_LEVELS; i++) {
        char label[64];
        snprintf(label, sizeof label, "N=12730 D=2000 level %s ", TICKET_LEVELS[i]);
        const char *l = strstr(out, label), *pct = l ? strchr(l, '%') : NULL;
        int n = 0;
        if (!pct || sscanf(pct + 1, "%d", &n) != 1 || n != 2) fail_msg("dist: no row '%s' with n = 2:\n%s", label, out);
    }
    snprintf(args, sizeof args, "dist --db %s --no-save --tickets --metric best --unit accuracy --where \"t.variant = 'ticket'\"", db);
    assert_int_equal(run(args, out, sizeof out), 0);
    if (!strstr(out, ": 2 groups, accuracy") || !strstr(out, "level 2 ticket") || strstr(out, "reinit")) fail_msg("dist --tickets:\n%s", out);
}

static void test_tickets_end_to_end(void **state) {
    (void)state;
    static char out[1 << 16];
    char path[] = "/tmp/jackpot-tk-XXXXXX";
    int fd = mkstemp(path);
    const char yaml[] = "task: {train_size: 2000, val_size: 1000}\nmodel: {width: 16, depth: 1}\n"
                        "budget: {batch: 50, steps: 80, evals: 2}\n"
                        "tickets: {rounds: 2, reinit: true, random_mask: true, oneshot: true, instability_points: 3}\n"
                        "seeds: {init: 2}\n";
    assert_int_equal(write(fd, yaml, sizeof yaml - 1), (ssize_t)(sizeof yaml - 1));
    close(fd);
    char args[256], db[64];
    snprintf(db, sizeof db, "%s.db", path);
    // Progress off a terminal (a pipe): a line per level and variant with the elapsed time and ETA.
    setenv("JACKPOT_PROGRESS_S", "0", 1);
    snprintf(args, sizeof args, "tickets %s --db %s", path, db);
    assert_int_equal(run(args, out, sizeof out), 0);
    unsetenv("JACKPOT_PROGRESS_S");
    expect_ticket_progress(out);
    snprintf(args, sizeof args, "tickets %s --db %s --quiet", path, db);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    // 2 runs × (dense + 2 levels × 4 variants) rows; densities 1, 0.8, 0.64 (±rounding)
    sqlite3_prepare_v2(h, "SELECT count(*), sum(variant = 'ticket'), sum(barrier IS NOT NULL), min(density) FROM tickets", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2 * (1 + 2 * 4));
    assert_int_equal(sqlite3_column_int(st, 1), 4);
    assert_int_equal(sqlite3_column_int(st, 2), 2 * 3);
    assert_float_equal(sqlite3_column_double(st, 3), 0.64, 0.01);
    sqlite3_finalize(st);
    // every level and variant's learning curve: evaluations at steps 0, 40 and 80 of each training
    // stored (the instability copies' are not: only their barrier is kept)
    sqlite3_prepare_v2(h, "SELECT count(*), count(DISTINCT step), sum(variant = 'copy') FROM ticket_curves", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2 * (1 + 2 * 4) * 3);
    assert_int_equal(sqlite3_column_int(st, 1), 3);
    assert_int_equal(sqlite3_column_int(st, 2), 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_int_equal(run(args, out, sizeof out), 0);   // done: nothing to do again
    assert_null(strstr(out, "level"));
    expect_ticket_status(db);
    expect_ticket_dist(db);
    remove(path);
    remove(db);
    expect_usage_error("dist --csv x.csv --tickets", "--tickets reads a database's tickets table");
    expect_usage_error("tickets examples/width_sweep.yaml --db /tmp/none.db", "tickets.rounds: expected at least 1 pruning round");
}

static void test_bad_sweep_config_stops_before_training(void **state) {
    (void)state;
    static char out[1 << 16];
    char path[] = "/tmp/jackpot-cli-XXXXXX";
    int fd = mkstemp(path);
    const char yaml[] = "model:\n  width: 64\ngrid:\n  optim.lr: [1e-3, fast]\n";
    assert_int_equal(write(fd, yaml, sizeof yaml - 1), (ssize_t)(sizeof yaml - 1));
    close(fd);
    char args[256], expect[256];
    snprintf(args, sizeof args, "run %s --db %s.db", path, path);
    assert_int_equal(run(args, out, sizeof out), 2);
    snprintf(expect, sizeof expect, "%s:4:20: optim.lr: expected a number in [1e-12, 10], got 'fast'", path);
    if (!strstr(out, expect)) fail_msg("output '%s' lacks '%s'", out, expect);
    snprintf(args, sizeof args, "%s.db", path);
    assert_int_equal(access(args, F_OK), -1);   // refused before the database was even created
    remove(path);
}

// Issue 20, part 2: a sweep over the Zipf exponent (two toy worlds in one sweep) gets each world's
// concept figures and α_N against s − 1 with the identity line; before, the report said "the
// database holds several toy worlds and no sweep holds just one of them" and drew nothing.
static void test_report_alpha_against_zipf(void **state) {
    (void)state;
    char dir[128], path[300], args[800];
    static char out[1 << 16];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "zipf"), 0);
    snprintf(path, sizeof path, "%s/zs.yaml", dir);
    write_text(path, "name: zipf-split\ntask: {name: sparse-parity}\nworld: {concepts: 8, bits: 12, k: 2, eval_per_concept: 16, seed: 0}\n"
          "model: {depth: 1}\noptim: {name: adamw, lr: 0.01, wd: 0}\nbudget: {steps: 600, batch: 64, evals: 4}\n"
          "grid:\n  world.zipf: [1.3, 1.8]\n  model.width: [4, 8, 16, 32]\nseeds: {init: [0]}\n");
    snprintf(args, sizeof args, "run %s --db %s/zs.db --quiet", path, dir);
    if (run(args, out, sizeof out) != 0) fail_msg("%s", out);
    snprintf(args, sizeof args, "report --db %s/zs.db -o %s/report --boot 50", dir, dir);
    if (run(args, out, sizeof out) != 0) fail_msg("%s", out);
    snprintf(path, sizeof path, "%s/report/concepts_alpha_vs_s_sweep1.csv", dir);
    char *csv = slurp(path);
    assert_non_null(csv);
    double z1, s1, a1, lo1, hi1, z2, s2, a2, lo2, hi2;
    assert_int_equal(sscanf(csv, "zipf,s_minus_1,alpha_N,lo,hi\n%lf,%lf,%lf,%lf,%lf\n%lf,%lf,%lf,%lf,%lf", &z1, &s1, &a1, &lo1, &hi1, &z2,
                            &s2, &a2, &lo2, &hi2), 10);
    assert_float_equal(z1, 1.3, 1e-12);
    assert_float_equal(s2, 0.8, 1e-12);
    assert_true(isfinite(a1) && isfinite(a2) && lo1 <= a1 && a1 <= hi1 && lo2 <= a2 && a2 <= hi2);
    free(csv);
    snprintf(path, sizeof path, "%s/report/concepts_heatmap_sweep1_z2.csv", dir);
    FILE *h = fopen(path, "r");
    assert_non_null(h);   // each world's own figures
    fclose(h);
    snprintf(path, sizeof path, "%s/report/index.html", dir);
    char *html = slurp(path);
    assert_null(strstr(html, "no sweep holds just one"));
    assert_non_null(strstr(html, "Scaling exponent against the Zipf exponent"));
    free(html);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

static void test_concepts_end_to_end(void **state) {
    (void)state;
    static char out[1 << 16];
    char path[] = "/tmp/jackpot-cc-XXXXXX";
    int fd = mkstemp(path);
    const char yaml[] = "task: {name: sparse-parity}\nworld: {concepts: 8, bits: 12, zipf: 1.2, eval_per_concept: 16}\n"
                        "probe: {concepts: 2}\nmodel: {depth: 1}\nbudget: {batch: 64, steps: 300, evals: 3}\n"
                        "grid: {model.width: [4, 8, 16]}\nseeds: {init: 2}\n";
    assert_int_equal(write(fd, yaml, sizeof yaml - 1), (ssize_t)(sizeof yaml - 1));
    close(fd);
    char args[256], db[64];
    snprintf(db, sizeof db, "%s.db", path);
    snprintf(args, sizeof args, "run %s --db %s --quiet", path, db);
    assert_int_equal(run(args, out, sizeof out), 0);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    // 6 runs × 4 evaluations (steps 0, 100, 200, 300) × 8 concepts; 5 probe metrics at each evaluation
    sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM concepts), (SELECT count(*) FROM metrics WHERE split = 'probe'),"
                          " (SELECT count(DISTINCT name) FROM metrics WHERE split = 'probe')", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 6 * 4 * 8);
    assert_int_equal(sqlite3_column_int(st, 1), 6 * 4 * 5);
    assert_int_equal(sqlite3_column_int(st, 2), 5);
    sqlite3_finalize(st);
    // the aggregate test loss is Σ_c p_c · L_c with p_c ∝ (c+1)^−1.2
    sqlite3_prepare_v2(h, "SELECT s.value, (SELECT sum(c.loss * pow(c.concept + 1, -1.2)) / "
                          "(SELECT sum(pow(k.concept + 1, -1.2)) FROM concepts k WHERE k.run_id = s.run_id AND k.step = 300)"
                          " FROM concepts c WHERE c.run_id = s.run_id AND c.step = 300)"
                          " FROM summaries s WHERE s.name = 'final_test_loss'", -1, &st, NULL);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_float_equal(sqlite3_column_double(st, 0), sqlite3_column_double(st, 1), 1e-9);
        rows++;
    }
    assert_int_equal(rows, 6);
    sqlite3_finalize(st);
    sqlite3_close(h);
    snprintf(args, sizeof args, "concepts --db %s --boot 20", db);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "sparse-parity, 8 concepts, Zipf s = 1.2"));
    assert_non_null(strstr(out, "α_N ="));
    assert_non_null(strstr(out, "frequent–rare gradient cosine"));
    // --csv: the heat map as rows of (size, concept): 3 widths × 8 concepts and a header
    char dir[96], csv[160];
    snprintf(dir, sizeof dir, "%s.csv.d", path);
    snprintf(args, sizeof args, "concepts --db %s --boot 0 --csv %s", db, dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    snprintf(csv, sizeof csv, "%s/heatmap.csv", dir);
    FILE *hm = fopen(csv, "r");
    assert_non_null(hm);
    int lines = 0;
    for (int ch; (ch = fgetc(hm)) != EOF;) lines += ch == '\n';
    fclose(hm);
    assert_int_equal(lines, 1 + 3 * 8);
    remove(csv);
    // --where: the widest two of the three widths, 2 × 8 rows; a mistyped column is named
    snprintf(args, sizeof args, "concepts --db %s --boot 0 --csv %s --where \"r.width > (SELECT min(width) FROM runs)\"", db, dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    hm = fopen(csv, "r");
    assert_non_null(hm);
    lines = 0;
    for (int ch; (ch = fgetc(hm)) != EOF;) lines += ch == '\n';
    fclose(hm);
    assert_int_equal(lines, 1 + 2 * 8);
    remove(csv);
    snprintf(args, sizeof args, "concepts --db %s --where \"r.widht > 1\"", db);
    assert_int_not_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "r.widht"));
    snprintf(csv, sizeof csv, "%s/sizes.csv", dir);
    remove(csv);
    rmdir(dir);
    remove(path);
    remove(db);
    snprintf(args, sizeof args, "concepts --db %s", db);
    assert_int_equal(run(args, out, sizeof out), 1);
    expect_usage_error("concepts --db x.db --threshold -1", "--threshold");
}

static int count_lines(const char *path) {
    char *s = slurp(path);
    int n = 0;
    for (const char *p = s; p && *p; p++) n += *p == '\n';
    free(s);
    return s ? n : -1;
}

static void expect_output(const char *args, int status, const char *const *fragments, int n, char *out, size_t cap) {
    int rc = run(args, out, cap);
    if (rc != status) fail_msg("jackpot %s: exit %d, expected %d:\n%s", args, rc, status, out);
    for (int i = 0; i < n; i++)
        if (!strstr(out, fragments[i])) fail_msg("jackpot %s: output lacks '%s':\n%s", args, fragments[i], out);
}

// Two sweeps in one database that differ only in their learning rate: six groups at three
// sizes. fit, dist and report keep the two apart and say what differs; nothing pools the
// runs of lr = 0.01 as seeds of the lr = 0.001 sizes.
static void test_groups_that_differ_are_not_pooled(void **state) {
    (void)state;
    static char out[1 << 17];
    char dir[] = "/tmp/jackpot-groups-XXXXXX", db[96], args[1024], path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/runs.db", dir);
    const char *lrs[2] = { "0.001", "0.01" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/lr%d.yaml", dir, i);
        FILE *f = fopen(path, "w");
        fprintf(f, "name: lr%s\ntask: {name: sparse-parity}\nworld: {concepts: 4, bits: 8, eval_per_concept: 16}\n"
                   "model: {depth: 1}\noptim: {lr: %s}\nbudget: {batch: 32, steps: 100, evals: 2}\n"
                   "grid: {model.width: [4, 8, 16]}\nseeds: {init: 3}\n", lrs[i], lrs[i]);
        fclose(f);
        snprintf(args, sizeof args, "run %s --db %s --quiet", path, db);
        assert_int_equal(run(args, out, sizeof out), 0);
    }
    // fit: refused across the two rates, naming the field and how to select one
    snprintf(args, sizeof args, "fit --db %s --law power --boot 20 --no-save", db);
    const char *refused[] = { "differ in optim.lr 0.001 vs 0.01", "--where \"r.lr = ", "--allow-mixed" };
    expect_output(args, 1, refused, 3, out, sizeof out);
    snprintf(args, sizeof args, "fit --db %s --law power --boot 20 --no-save --where \"r.lr = 0.001\"", db);
    const char *one[] = { "law power on 9 points" };
    expect_output(args, 0, one, 1, out, sizeof out);
    assert_null(strstr(out, "WARNING"));
    snprintf(args, sizeof args, "fit --db %s --law power --boot 20 --no-save --allow-mixed", db);
    const char *mixed[] = { "law power on 18 points", "WARNING: optim.lr 0.001 vs 0.01" };
    expect_output(args, 0, mixed, 2, out, sizeof out);
    // dist: each group labelled by its rate, and the pooling across sizes flagged
    snprintf(args, sizeof args, "dist --db %s --boot 20 --no-save --full", db);
    const char *dist[] = { "6 groups", "N=62 D=0, optim.lr = 0.001; 3 runs", "N=62 D=0, optim.lr = 0.01; 3 runs",
                           "WARNING: groups of equal N and D differ in optim.lr 0.001 vs 0.01" };
    expect_output(args, 0, dist, 4, out, sizeof out);
    // issue 18: the default is a row per group (6), the warning once, the spread and the law:
    // 2 + 1 + 6 + 5 lines where --full printed some 60
    int full_lines = lines_in(out);
    snprintf(args, sizeof args, "dist --db %s --boot 20 --no-save", db);
    const char *rows[] = { "6 groups, loss", "N=62 D=0, optim.lr = 0.001      3 ", "N=62 D=0, optim.lr = 0.01       3 ",
                           "WARNING: groups of equal N and D differ in optim.lr 0.001 vs 0.01", "loss spread against N" };
    expect_output(args, 0, rows, 5, out, sizeof out);
    assert_int_equal(dist_table_rows(out), 6);
    assert_int_equal(lines_in(out), 6 + 8);
    print_message("dist on 6 groups: %d lines, --full %d\n", lines_in(out), full_lines);
    // report: one view per rate, each fitted on its own 9 runs; the strip of seeds holds 3 sizes × 3 seeds
    snprintf(args, sizeof args, "report --db %s -o %s/report --boot 20", db, dir);
    const char *report[] = { "L(N) on sparse-parity, optim.lr = 0.01, fresh samples", "L(N) on sparse-parity, optim.lr = 0.001, fresh samples",
                             "9 runs)" };
    expect_output(args, 0, report, 3, out, sizeof out);
    assert_null(strstr(out, "18 runs"));
    for (int c = 1; c <= 2; c++) {
        snprintf(path, sizeof path, "%s/report/seeds_strip_sparse_parity_c%d.csv", dir, c);
        assert_int_equal(count_lines(path), 1 + 3 * 3);
        snprintf(path, sizeof path, "%s/report/seeds_spread_sparse_parity_c%d.csv", dir, c);
        char *csv = slurp(path);
        assert_non_null(csv);
        int sizes = 0;
        for (const char *p = csv; (p = strstr(p, "\nsize,")); p++) sizes++;
        assert_true(sizes <= 3);   // one spread per size, not one per group of both rates
        free(csv);
    }
    snprintf(path, sizeof path, "%s/report/index.html", dir);
    char *html = slurp(path);
    assert_non_null(html);
    assert_non_null(strstr(html, "differ in optim.lr 0.001 vs 0.01 at equal model and data sizes"));
    assert_non_null(strstr(html, "Across seeds: sparse-parity, optim.lr = 0.001"));
    // IsoFLOP: one budget per size here, so the report says why instead of drawing, as fit does
    assert_non_null(strstr(html, "IsoFLOP profiles (sparse-parity, optim.lr = 0.001), no figure: isoflop: 0 of 3 compute budgets"));
    assert_null(strstr(html, "isoflop_sparse"));
    assert_non_null(strstr(html, "concepts: sizes of equal N and D differ in optim.lr 0.001 vs 0.01: one set of figures per sweep"));
    free(html);
    snprintf(path, sizeof path, "%s/report/concepts_heatmap_sweep2.csv", dir);
    assert_int_equal(count_lines(path), 1 + 3 * 4);   // one sweep's 3 sizes × 4 concepts, not both rates
    // concepts: every size row says its rate, and the fits across sizes are flagged
    snprintf(args, sizeof args, "concepts --db %s --boot 0", db);
    const char *concepts[] = { "[optim.lr = 0.01]", "[optim.lr = 0.001]", "WARNING: sizes of equal N and D differ in optim.lr 0.001 vs 0.01" };
    expect_output(args, 0, concepts, 3, out, sizeof out);
    snprintf(args, sizeof args, "fit --db %s --law isoflop --boot 20 --no-save --where \"r.lr = 0.001\"", db);
    const char *iso[] = { "isoflop: 0 of 3 compute budgets gave an optimum inside the sizes tried; at least 3 are needed",
                          "examples/lm_isoflop.yaml is such a design" };   // issue 18: a refusal names a way forward
    expect_output(args, 1, iso, 2, out, sizeof out);
    snprintf(args, sizeof args, "fit --db %s --law chinchilla --boot 0 --no-save --where \"r.lr = 0.001\"", db);
    const char *chin[] = { "data = 0: must be positive", "examples/nxd_grid.yaml trains such a grid", "--law power --x params" };
    expect_output(args, 1, chin, 3, out, sizeof out);
    // report --where: one rate, one view under the plain name
    snprintf(args, sizeof args, "report --db %s -o %s/one --boot 20 --where \"r.lr = 0.001\" --metric final_test_loss", db, dir);
    const char *where[] = { "L(N) on sparse-parity, fresh samples" };
    expect_output(args, 0, where, 1, out, sizeof out);
    snprintf(path, sizeof path, "%s/one/seeds_strip_sparse_parity.csv", dir);
    assert_int_equal(count_lines(path), 1 + 3 * 3);
    snprintf(args, sizeof args, "report --db %s -o %s/bad --where \"r.lr =\"", db, dir);
    const char *bad[] = { "--where 'r.lr ='" };
    expect_output(args, 1, bad, 1, out, sizeof out);
    snprintf(args, sizeof args, "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

static void test_help_documents_every_flag(void **state) {
    (void)state;
    static char out[1 << 16];
    assert_int_equal(run("train --help", out, sizeof out), 0);
    const char *flags[] = { "--task", "--data-dir", "--train-size", "--val-size", "--standardize", "--width",
                            "--depth", "--hidden", "--act", "--init", "--bias-init", "--loss", "--optim", "--lr",
                            "--wd", "--momentum", "--nesterov", "--beta1", "--beta2", "--eps", "--schedule",
                            "--warmup", "--min-lr-ratio", "--batch", "--steps", "--examples", "--epochs",
                            "--eval-every", "--init-seeds", "--data-seeds", "--seeds", "--threads", "--out",
                            "--quiet" };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(out, flags[i])) fail_msg("train --help does not mention %s", flags[i]);
    assert_int_equal(run("--help", out, sizeof out), 0);
    assert_non_null(strstr(out, "train"));
}

static void test_short_run_writes_jsonl(void **state) {
    (void)state;
    static char out[1 << 16];
    char path[] = "/tmp/jackpot-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char args[512];
    snprintf(args, sizeof args, "train --width 16 --depth 1 --steps 20 --eval-every 10 --train-size 2000 "
             "--init-seeds 0:2 --data-seeds 5,6 --out %s", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    // stderr: a summary line for each of the 4 members (2 init × 2 data seeds)
    assert_non_null(strstr(out, "member 3 (init 1, data 6)"));
    // one JSON object a line: each member at steps 0, 10, 20, with its seeds and accuracy
    FILE *f = fopen(path, "r");
    char line[1024];
    int lines = 0, seen[4][3] = { { 0 } };
    while (fgets(line, sizeof line, f)) {
        lines++;
        int m = (int)json_number_at(line, "$.member"), step = (int)json_number_at(line, "$.step");
        assert_true(m >= 0 && m < 4 && step % 10 == 0 && step >= 0 && step <= 20);
        seen[m][step / 10]++;
        assert_true(json_number_at(line, "$.init_seed") == m / 2 && json_number_at(line, "$.data_seed") == 5 + m % 2);
        double acc = json_number_at(line, "$.test_acc");
        assert_true(acc >= 0 && acc <= 1);
    }
    fclose(f);
    remove(path);
    assert_int_equal(lines, 4 * 3);
    for (int m = 0; m < 4; m++)
        for (int k = 0; k < 3; k++) assert_int_equal(seen[m][k], 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_help_documents_every_flag),
        cmocka_unit_test(test_concepts_end_to_end),
        cmocka_unit_test(test_report_alpha_against_zipf),
        cmocka_unit_test(test_short_run_writes_jsonl),
        cmocka_unit_test(test_bad_sweep_config_stops_before_training),
        cmocka_unit_test(test_fit_on_a_csv),
        cmocka_unit_test(test_dist_on_a_csv),
        cmocka_unit_test(test_dist_refuses_impossible_values),
        cmocka_unit_test(test_dist_many_groups_fast),
        cmocka_unit_test(test_dist_grid_small_n_and_no_bootstrap),
        cmocka_unit_test(test_dist_compact_verdicts),
        cmocka_unit_test(test_json_valid_with_quotes_in_the_path),
        cmocka_unit_test(test_tickets_end_to_end),
        cmocka_unit_test(test_groups_that_differ_are_not_pooled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// jackpot dist: outcome distributions across seeds, by size.
#include <getopt.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/json.h"
#include "base/rng.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "fit/fit.h"
#include "stats/describe.h"
#include "stats/samples.h"
#include "store/groups.h"
#include "store/store.h"

#define CMD "dist"
#define TAIL_MIN_N 30
#define DIST_LAW_POINTS 64   // L(N) on every run up to this many sizes; past it, pooled bins of sizes

static const char HELP[] =
    "usage: jackpot dist (--db FILE [--sweep NAME] [--where SQL] | --csv FILE) [options]\n"
    "\n"
    "Per group of runs that differ only in seeds (one model size and data size):\n"
    "  n, mean, std, CV, quantiles (min, 5, 25, 50, 75, 95%, max), skewness and excess\n"
    "  kurtosis with 95% bootstrap intervals (none for skewness and kurtosis below\n"
    "  n = 8), in five units: loss, log-loss, error,\n"
    "  accuracy and logit(accuracy) (accuracy clipped to [1/(2m), 1 − 1/(2m)] first,\n"
    "  m = --eval-size, so that 0 and 1 stay finite);\n"
    "  an Anderson–Darling normality test (a p-value from n = 8 on; past A*² = 10 it\n"
    "  is reported as p < 3.7e-24) and Hill tail indices of the good tail\n"
    "  (\"jackpots\": unusually low loss) and the bad tail, each over the values beyond\n"
    "  the median with k = ⌊√(values on that side)⌋, with bootstrap intervals, and a\n"
    "  verdict naming its test (no tail claim below n = 30);\n"
    "  the expected best of k seeds (unbiased, from order statistics) against the loss\n"
    "  a power law L(N) fitted across sizes predicts at k·N (equal training compute;\n"
    "  fitted on every run, or past 64 sizes through the median loss of 64 bins);\n"
    "  where init and data seeds are crossed with every (init, data) pair exactly once,\n"
    "  the split of the variance into init, data and interaction+residual parts\n"
    "  (two-way random effects); a grid with a pair missing or repeated gets no split,\n"
    "  and the pair is named.\n"
    "Across sizes: std and IQR of each unit against N, fitted as spread ∝ N^k.\n"
    "\n"
    "  --db FILE        a jackpot database (groups = runs equal but for their seeds)\n"
    "  --sweep NAME     only this sweep's runs\n"
    "  --where SQL      a condition on runs r, e.g. \"r.depth = 2\"\n"
    "  --metric M       final (test metrics at the end) | best (at the best-validation step) [final]\n"
    "  --csv FILE       runs from a CSV: --group-col, --n-col, --loss-col, --acc-col,\n"
    "                   --init-col, --data-col name its columns  [group, N, loss, acc, init, data];\n"
    "                   N > 0, loss ≥ 0 and accuracy in [0, 1], all finite, or the row is refused\n"
    "  --eval-size M    examples behind each accuracy, for the logit guard  [10000]\n"
    "  --boot N         bootstrap resamples                                 [1000]\n"
    "  --seed N         bootstrap seed                                      [0]\n"
    "  --json           JSON instead of the table\n"
    "  --no-save        do not record the result in the database's dists table\n";

enum { U_LOSS, U_LOGLOSS, U_ERROR, U_ACC, U_LOGIT, U_COUNT };
static const char *const UNIT[U_COUNT] = { "loss", "log_loss", "error", "accuracy", "logit_accuracy" };
static const int LOWER_IS_BETTER[U_COUNT] = { 1, 1, 1, 0, 0 };

static int unit_values(const SeedGroup *g, int u, double m, double *out) {
    for (int i = 0; i < g->n; i++) {
        double l = g->loss[i], a = g->acc[i], ac = fmin(fmax(a, 0.5 / m), 1 - 0.5 / m);
        if (u >= U_ERROR && !isfinite(a)) return 0;
        out[i] = u == U_LOSS ? l : u == U_LOGLOSS ? log(l) : u == U_ERROR ? 1 - a : u == U_ACC ? a : log(ac / (1 - ac));
    }
    return g->n;
}

// Hill α of the tail beyond the median on one side, with a bootstrap interval.
static void tail_index(const double *x, int n, int upper, int n_boot, uint64_t seed, double *a, double *lo, double *hi, int *k_out) {
    double *s = xmalloc(sizeof(double) * n), *y = xmalloc(sizeof(double) * n), *al = xmalloc(sizeof(double) * (n_boot + 1));
    *a = *lo = *hi = NAN;
    int kept = 0;
    for (int b = -1; b < n_boot; b++) {
        for (int i = 0; i < n; i++) s[i] = b < 0 ? x[i] : x[rng_below(seed, RNG_STREAM_DIST, (uint64_t)b * n + i, (uint32_t)n)];
        gsl_sort(s, 1, n);   // the order of s does not matter below
        double med = gsl_stats_median_from_sorted_data(s, 1, n);
        int m = 0;
        for (int i = 0; i < n; i++) {
            double d = upper ? s[i] - med : med - s[i];
            if (d > 0) y[m++] = d;
        }
        int k = (int)floor(sqrt(m));
        double h = hill_alpha(y, m, k);
        if (b < 0) { *a = h; *k_out = k; }
        else if (isfinite(h)) al[kept++] = h;
    }
    if (kept > 1) percentile_interval(al, kept, lo, hi);
    free(s); free(y); free(al);
}

// The JSON text is built only when it is printed or recorded: j NULL writes nothing
// (10^5 groups: formatting numbers nobody reads was half the time).
static void jputs(FILE *j, const char *s) { if (j) fputs(s, j); }
static void jprintf(FILE *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jprintf(FILE *j, const char *fmt, ...) {
    if (!j) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(j, fmt, ap);
    va_end(ap);
}

static void jtriple(FILE *f, const char *name, double v, double lo, double hi) {
    if (!f) return;
    json_key(f, name); fputs("{\"estimate\":", f); json_num(f, v);
    fputs(",\"lo\":", f); json_num(f, lo); fputs(",\"hi\":", f); json_num(f, hi); fputs("}", f);
}

// " [lo, hi]" at prec significant digits, or "" when there is no interval (--boot 0,
// too few values): the text never shows an interval that was not computed.
static const char *ivl(char *b, size_t n, double lo, double hi, int prec) {
    if (isfinite(lo) && isfinite(hi)) snprintf(b, n, " [%.*g, %.*g]", prec, lo, prec, hi);
    else b[0] = 0;
    return b;
}

// Reports one unit of one group; returns 0 with d filled, or −1 when describe refused.
static int unit_report(FILE *j, FILE *t, const char *unit, const double *x, int n, int lower_better, int n_boot,
                       uint64_t seed, Describe *dd) {
    char err[256], i1[64], i2[64], i3[64], i4[64];
    Describe d;
    json_key(j, unit); jputs(j, "{");
    if (describe(x, n, n_boot, seed, &d, err, sizeof err) != 0) {
        json_key(j, "refused"); json_str(j, err); jputs(j, "}");
        fprintf(t, "  %-15s %s\n", unit, err);
        return -1;
    }
    *dd = d;
    for (int s = 0; s < DESCRIBE_STATS; s++) { if (s) jputs(j, ","); jtriple(j, describe_names[s], d.v[s], d.lo[s], d.hi[s]); }
    fprintf(t, "  %-15s mean %.5g%s  std %.4g%s  cv %.3g  IQR %.4g\n", unit, d.v[0], ivl(i1, sizeof i1, d.lo[0], d.hi[0], 4),
            d.v[1], ivl(i2, sizeof i2, d.lo[1], d.hi[1], 4), d.v[2], d.v[10]);
    fprintf(t, "  %-15s quantiles %.5g | %.5g | %.5g | %.5g | %.5g | %.5g | %.5g   skew %.3g%s  ex.kurt %.3g%s\n", "",
            d.v[3], d.v[4], d.v[5], d.v[6], d.v[7], d.v[8], d.v[9], d.v[11], ivl(i3, sizeof i3, d.lo[11], d.hi[11], 3), d.v[12],
            ivl(i4, sizeof i4, d.lo[12], d.hi[12], 3));
    double p, A = anderson_darling(x, n, &p);
    jputs(j, ",\"anderson_darling\":{\"A2\":"); json_num(j, A); jputs(j, ",\"p\":"); json_num(j, p);
    jprintf(j, ",\"p_is_upper_bound\":%s}", p <= AD_P_FLOOR ? "true" : "false");
    char verdict[512], normal[256];
    int not_normal = normality_verdict(A, p, n, normal, sizeof normal) == 1;
    if (n < TAIL_MIN_N) {
        snprintf(verdict, sizeof verdict, "%s; n = %d is too small for a tail claim (need %d)", normal, n, TAIL_MIN_N);
        jputs(j, ",\"tails\":null");
    } else {
        double ag, lg, hg, ab, lb, hb;
        int kg, kb;
        tail_index(x, n, !lower_better, n_boot / 4, seed + 1, &ag, &lg, &hg, &kg);   // good tail: the jackpot side
        tail_index(x, n, lower_better, n_boot / 4, seed + 2, &ab, &lb, &hb, &kb);
        jprintf(j, ",\"tails\":{\"good\":{\"k\":%d,", kg); jtriple(j, "hill_alpha", ag, lg, hg);
        jprintf(j, "},\"bad\":{\"k\":%d,", kb); jtriple(j, "hill_alpha", ab, lb, hb); jputs(j, "}}");
        // which tail is heavier, by the Hill point estimates; said with less force when their
        // intervals overlap, and without citing intervals when there are none (--boot 0)
        int have_iv = isfinite(lg) && isfinite(hg) && isfinite(lb) && isfinite(hb);
        int overlap = !(hg < lb || hb < lg);
        const char *heavy = !(isfinite(ag) && isfinite(ab)) ? ""
                            : !have_iv ? (ag < ab ? "; good tail (jackpots) heavier by the point estimates (no intervals)"
                                                  : "; bad tail heavier by the point estimates (no intervals)")
                            : ag < ab ? (overlap ? "; good tail (jackpots) heavier by the point estimates, intervals overlap" : "; heavier good tail (jackpots)")
                                      : (overlap ? "; bad tail heavier by the point estimates, intervals overlap" : "; heavier bad tail");
        snprintf(verdict, sizeof verdict, "%s%s; Hill α good %.3g%s (k=%d), bad %.3g%s (k=%d)", normal, not_normal ? heavy : "", ag,
                 ivl(i1, sizeof i1, lg, hg, 3), kg, ab, ivl(i2, sizeof i2, lb, hb, 3), kb);
    }
    fprintf(t, "  %-15s %s\n", "", verdict);
    jputs(j, ",\"verdict\":"); json_str(j, verdict); jputs(j, "}");
    return 0;
}

// Each group's label: its size, and from a database the settings that tell it apart from the
// other groups besides N and D ("N=62 D=0, optim.lr = 0.01"; store/groups.h). labels[g] has 256
// bytes. When groups at equal N and D differ (two learning rates), says so in warn: the
// analyses across sizes pool them.
static void group_labels(const char *db, const Samples *S, char (*labels)[256], char *warn, size_t wlen) {
    warn[0] = 0;
    for (int g = 0; g < S->n_groups; g++) snprintf(labels[g], 256, "%s", S->g[g].label);
    if (!db || S->n_groups < 2) return;
    sqlite3 *h;
    GroupDiff d;
    char err[512], (*keys)[17] = xmalloc(sizeof *keys * S->n_groups);
    for (int g = 0; g < S->n_groups; g++) snprintf(keys[g], 17, "%.16s", S->g[g].key);
    int ok = store_open_read(db, &h, err, sizeof err) == 0 &&
             group_diff_load(h, (const char (*)[17])keys, S->n_groups, &d, err, sizeof err) == 0;
    sqlite3_close(h);
    free(keys);
    if (!ok) return;   // the labels stay by size: the groups were read, only their params were not
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov, all[d.n_fields + 1];
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_D, conf, &n_conf, cov, &n_cov);
    int n_all = group_diff_fields_off(&d, GROUP_AXIS_N | GROUP_AXIS_D, all);
    for (int g = 0; g < S->n_groups && n_all; g++) {
        char l[200];
        group_diff_label(&d, group_diff_index(&d, S->g[g].key), all, n_all, l, sizeof l);
        snprintf(labels[g], 256, "%.63s, %.180s", S->g[g].label, l);
    }
    if (n_conf) {
        char what[512], where[400];
        group_diff_describe(&d, conf, n_conf, what, sizeof what);
        group_diff_suggest_where(&d, conf, n_conf, where, sizeof where);
        snprintf(warn, wlen, "groups of equal N and D differ in %s: each group is described on its own, but the spread "
                 "against N and the power law across sizes below pool them; select one with --where %s", what, where);
    }
    group_diff_free(&d);
}

int cmd_dist(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },       { "sweep", required_argument, 0, 's' },
        { "where", required_argument, 0, 'w' },    { "metric", required_argument, 0, 'm' },
        { "csv", required_argument, 0, 'c' },      { "group-col", required_argument, 0, 1 },
        { "n-col", required_argument, 0, 2 },      { "loss-col", required_argument, 0, 3 },
        { "acc-col", required_argument, 0, 4 },    { "init-col", required_argument, 0, 5 },
        { "data-col", required_argument, 0, 6 },   { "eval-size", required_argument, 0, 'e' },
        { "boot", required_argument, 0, 'b' },     { "seed", required_argument, 0, 'S' },
        { "json", no_argument, 0, 'j' },           { "no-save", no_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 },
    };
    const char *db = NULL, *sweep = NULL, *where = NULL, *metric = "final", *csv = NULL;
    const char *cols[6] = { "group", "N", "loss", "acc", "init", "data" };
    double eval_size = 10000;
    int n_boot = 1000, json = 0, save = 1, c;
    uint64_t seed = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': sweep = optarg; break;
        case 'w': where = optarg; break;
        case 'm': metric = optarg; break;
        case 'c': csv = optarg; break;
        case 1: case 2: case 3: case 4: case 5: case 6: cols[c - 1] = optarg; break;
        case 'e': eval_size = (double)arg_long(CMD, "--eval-size", optarg, 1, 1000000000L); break;
        case 'b': n_boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
        case 'S': seed = (uint64_t)arg_long(CMD, "--seed", optarg, 0, 1L << 62); break;
        case 'j': json = 1; break;
        case 'n': save = 0; break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!db == !csv) usage_error(CMD, "give the runs with exactly one of --db and --csv");
    char err[2048];
    Samples S;
    int rc = csv ? samples_from_csv(csv, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], &S, err, sizeof err)
                 : samples_from_store(db, sweep, metric, where, &S, err, sizeof err);
    if (rc != 0) { fprintf(stderr, "jackpot dist: %s\n", err); return 1; }

    // JSON only when printed (--json) or recorded (--db without --no-save), and kept in
    // memory only to be recorded; the table straight to stdout, or to nowhere with --json
    // (10^5 groups make some 200 MB of table and 550 MB of JSON).
    char *jtext = NULL;
    size_t jlen = 0;
    int record = db && save;
    FILE *j = record ? open_memstream(&jtext, &jlen) : json ? stdout : NULL, *t = json ? fopen("/dev/null", "w") : stdout;
    if (!t) { fprintf(stderr, "jackpot dist: cannot open /dev/null\n"); samples_free(&S); return 1; }
    fprintf(t, "outcomes across seeds from %s: %d groups\n", S.source, S.n_groups);
    char (*labels)[256] = xmalloc(sizeof *labels * (S.n_groups ? S.n_groups : 1)), mixed[1200];
    group_labels(db, &S, labels, mixed, sizeof mixed);
    if (mixed[0]) fprintf(t, "WARNING: %s\n", mixed);
    jputs(j, "{\"source\":"); json_str(j, S.source); jputs(j, ",\"groups\":[");

    // L(N) across sizes, for best-of-k at equal compute: a power law on every run's loss, each
    // group a bootstrap cluster. The objective is evaluated per distinct N (fit/huber.c), so
    // its cost grows with the number of sizes, not of runs; past DIST_LAW_POINTS sizes (a CSV
    // of 10^5 groups) consecutive sizes are pooled into that many points at the median N and
    // loss of their runs, each a cluster (with Huber's δ = 1e-3 the fit tracks medians anyway).
    int total = 0, sizes = 0;
    for (int g = 0; g < S.n_groups; g++) { total += S.g[g].n; sizes += g == 0 || S.g[g].N != S.g[g - 1].N; }
    Points P;
    if (sizes <= DIST_LAW_POINTS) {
        points_alloc(&P, total);
        for (int g = 0, k = 0; g < S.n_groups; g++)
            for (int i = 0; i < S.g[g].n; i++, k++) { P.x[AXIS_N][k] = S.g[g].N; P.loss[k] = S.g[g].loss[i]; P.cluster[k] = g; }
        P.n = total;
        P.n_clusters = S.n_groups;
    } else {
        points_alloc(&P, DIST_LAW_POINTS);
        double *lv = xmalloc(sizeof(double) * (total + 1)), *nv = xmalloc(sizeof(double) * (total + 1));
        int m = 0, k = 0;
        for (int g = 0, si = -1; g < S.n_groups; g++) {
            si += g == 0 || S.g[g].N != S.g[g - 1].N;   // this group's size index, 0..sizes−1
            for (int i = 0; i < S.g[g].n; i++, m++) { lv[m] = S.g[g].loss[i]; nv[m] = S.g[g].N; }
            int bin = (int)((int64_t)si * DIST_LAW_POINTS / sizes);
            int last = g == S.n_groups - 1 ||
                       (S.g[g + 1].N != S.g[g].N && (int)((int64_t)(si + 1) * DIST_LAW_POINTS / sizes) != bin);
            if (!last) continue;
            gsl_sort(lv, 1, m);
            gsl_sort(nv, 1, m);
            P.x[AXIS_N][k] = gsl_stats_median_from_sorted_data(nv, 1, m);
            P.loss[k] = gsl_stats_median_from_sorted_data(lv, 1, m);
            P.cluster[k] = k;
            k++;
            m = 0;
        }
        P.n = P.n_clusters = k;
        free(lv);
        free(nv);
    }
    FitOptions fo = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = n_boot / 5, .seed = seed };
    FitResult fr;
    char ferr[512];
    int have_law = fit_law(&fo, &P, NULL, &fr, ferr, sizeof ferr) == 0;
    // fit_law refuses 3 points or fewer (one per parameter: the law would pass through them)
    int law_intervals = have_law && fr.n_boot > 1;

    // spread[(u·2 + std|iqr)·groups + g]
    double *x = xmalloc(sizeof(double) * (total + 1)), *spread = xmalloc(sizeof(double) * U_COUNT * 2 * S.n_groups);
#define SPREAD(u, w, g) spread[((u) * 2 + (w)) * S.n_groups + (g)]
    int have_unit[U_COUNT] = { 0 };
    for (int g = 0; g < S.n_groups; g++) {
        SeedGroup *G = &S.g[g];
        fprintf(t, "\ngroup %d: %s; %d runs\n", g + 1, labels[g], G->n);
        jprintf(j, "%s{\"N\":", g ? "," : ""); json_num(j, G->N); jputs(j, ",\"D\":"); json_num(j, G->D);
        jprintf(j, ",\"n\":%d,\"units\":{", G->n);
        int first = 1;
        for (int u = 0; u < U_COUNT; u++) {
            SPREAD(u, 0, g) = SPREAD(u, 1, g) = NAN;
            if (!unit_values(G, u, eval_size, x)) continue;
            if (!first) jputs(j, ",");
            first = 0;
            Describe d;
            if (unit_report(j, t, UNIT[u], x, G->n, LOWER_IS_BETTER[u], n_boot, seed + (uint64_t)g * 16 + u, &d) == 0) {
                SPREAD(u, 0, g) = d.v[1];   // std
                SPREAD(u, 1, g) = d.v[10];  // IQR
                have_unit[u] = 1;
            }
        }
        jputs(j, "}");
        // best of k seeds against L(k·N)
        if (G->n >= 2) {
            fprintf(t, "  best of k seeds (expected lowest loss) against L(k·N) from the power law across sizes:\n");
            jputs(j, ",\"best_of_k\":[");
            double *boot = xmalloc(sizeof(double) * (n_boot + 1)), *s = xmalloc(sizeof(double) * G->n);
            for (int k = 1; k <= G->n; k = k < 4 ? k + 1 : k * 2 > G->n && k != G->n ? G->n : k * 2) {
                double e = expected_best_of_k(G->loss, G->n, k), lo = NAN, hi = NAN;
                for (int b = 0; b < n_boot; b++) {
                    for (int i = 0; i < G->n; i++) s[i] = G->loss[rng_below(seed + 7, RNG_STREAM_DIST, (uint64_t)b * G->n + i, (uint32_t)G->n)];
                    boot[b] = expected_best_of_k(s, G->n, k);
                }
                if (n_boot > 1) percentile_interval(boot, n_boot, &lo, &hi);
                double xk = k * G->N, law = have_law ? fit_predict(&law_power, fr.theta, &xk) : NAN, llo = NAN, lhi = NAN;
                if (law_intervals && fr.n_boot > 1) {
                    for (int b = 0; b < fr.n_boot; b++) boot[b] = fit_predict(&law_power, fr.boot_theta + (size_t)b * 3, &xk);
                    percentile_interval(boot, fr.n_boot, &llo, &lhi);
                }
                char b1[64], b2[64];
                fprintf(t, "    k = %-4d best of k %.5g%s   L(%d·N) %.5g%s   %s\n", k, e, ivl(b1, sizeof b1, lo, hi, 5), k, law,
                        ivl(b2, sizeof b2, llo, lhi, 5),
                        k == 1 ? "" : !isfinite(law) ? "" : e < law ? "→ k seeds beat k× parameters" : "→ k× parameters beat k seeds");
                jprintf(j, "%s{\"k\":%d,", k > 1 ? "," : "", k);
                jtriple(j, "best", e, lo, hi); jputs(j, ","); jtriple(j, "law_at_kN", law, llo, lhi); jputs(j, "}");
                if (k == G->n) break;
            }
            jputs(j, "]");
            free(boot); free(s);
        }
        // init × data split where the seeds are crossed: only on the complete grid, every
        // (init, data) pair exactly once; otherwise say why there is none.
        int I = 0, J = 0, *cell = xmalloc(sizeof(int) * G->n);
        char why[256];
        int grid = seed_grid(G->init, G->data, G->n, &I, &J, cell, why, sizeof why);
        if (grid < 0) {
            fprintf(t, "  no init × data variance split: %s\n", why);
            jputs(j, ",\"variance_split\":{\"refused\":"); json_str(j, why); jputs(j, "}");
        } else if (grid == 0) {
            double *y = xmalloc(sizeof(double) * G->n), *yb = xmalloc(sizeof(double) * G->n);
            for (int i = 0; i < G->n; i++) y[cell[i]] = G->loss[i];
            double vi, vd, vr, *bi = xmalloc(sizeof(double) * (n_boot + 1) * 3);
            variance_two_way(y, I, J, &vi, &vd, &vr);
            int kept = 0;
            // the counter stride: 512 as before for up to 512 seeds, wider beyond so that draws never repeat
            uint64_t stride_a = I > 512 ? (uint64_t)I : 512, stride_b = J > 512 ? (uint64_t)J : 512;
            for (int b = 0; b < n_boot; b++) {   // resample init seeds and data seeds independently
                for (int a = 0; a < I; a++) {
                    int ra = (int)rng_below(seed + 9, RNG_STREAM_DIST, (uint64_t)b * stride_a + a, (uint32_t)I);
                    for (int c2 = 0; c2 < J; c2++) {
                        int rb = (int)rng_below(seed + 10, RNG_STREAM_DIST, (uint64_t)b * stride_b + c2, (uint32_t)J);
                        yb[a * J + c2] = y[ra * J + rb];
                    }
                }
                variance_two_way(yb, I, J, &bi[kept], &bi[n_boot + kept], &bi[2 * n_boot + kept]);
                kept++;
            }
            double lo[3] = { NAN, NAN, NAN }, hi[3] = { NAN, NAN, NAN }, tot = vi + vd + vr;
            for (int q = 0; q < 3 && kept > 1; q++) percentile_interval(bi + q * n_boot, kept, &lo[q], &hi[q]);
            char v1[64], v2[64], v3[64];
            fprintf(t, "  variance of loss, %d init × %d data seeds (two-way random effects): init %.3g%s (%.0f%%), "
                       "data %.3g%s (%.0f%%), interaction+residual %.3g%s (%.0f%%)\n",
                    I, J, vi, ivl(v1, sizeof v1, lo[0], hi[0], 3), 100 * vi / tot, vd, ivl(v2, sizeof v2, lo[1], hi[1], 3),
                    100 * vd / tot, vr, ivl(v3, sizeof v3, lo[2], hi[2], 3), 100 * vr / tot);
            jprintf(j, ",\"variance_split\":{\"init_seeds\":%d,\"data_seeds\":%d,", I, J);
            jtriple(j, "init", vi, lo[0], hi[0]); jputs(j, ","); jtriple(j, "data", vd, lo[1], hi[1]); jputs(j, ",");
            jtriple(j, "interaction_residual", vr, lo[2], hi[2]); jputs(j, "}");
            free(y); free(yb); free(bi);
        }
        free(cell);
        jputs(j, "}");
    }
    jputs(j, "]");

    // spread against N
    if (mixed[0]) fprintf(t, "\nWARNING: %s\n", mixed);
    fprintf(t, "\nspread against N (std and IQR across seeds, fitted as spread ∝ N^k by least squares in logs,\n"
               "95%% intervals from Student's t with sizes − 2 degrees of freedom):\n");
    jputs(j, ",\"spread_vs_N\":{");
    int firstu = 1;
    for (int u = 0; u < U_COUNT; u++) {
        if (!have_unit[u]) continue;
        for (int w = 0; w < 2; w++) {
            double *lx = xmalloc(sizeof(double) * S.n_groups), *ly = xmalloc(sizeof(double) * S.n_groups);
            int m = 0;
            for (int g = 0; g < S.n_groups; g++)
                if (isfinite(SPREAD(u, w, g)) && SPREAD(u, w, g) > 0 && S.g[g].N > 0) { lx[m] = log(S.g[g].N); ly[m++] = log(SPREAD(u, w, g)); }
            double c0 = NAN, c1 = NAN, cov00, cov01, cov11, ss, se = NAN;
            int distinct = 0;
            for (int a = 1; a < m && !distinct; a++) distinct = lx[a] != lx[0];
            if (m >= 3 && distinct) {
                gsl_fit_linear(lx, 1, ly, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &ss);
                se = m > 2 ? sqrt(cov11) * gsl_cdf_tdist_Pinv(0.975, m - 2) / 1.96 : NAN;   // Student t, m − 2 df
            }
            const char *what = w ? "iqr" : "std";
            jprintf(j, "%s\"%s_%s\":{\"groups\":%d,\"exponent\":", firstu ? "" : ",", UNIT[u], what, m);
            firstu = 0;
            double klo = c1 - 1.96 * se, khi = c1 + 1.96 * se;
            const char *says = spread_slope_verdict(klo, khi);
            json_num(j, c1); jputs(j, ",\"lo\":"); json_num(j, klo); jputs(j, ",\"hi\":"); json_num(j, khi);
            jputs(j, ",\"verdict\":"); json_str(j, says); jputs(j, "}");
            if (isfinite(c1) && *says)
                fprintf(t, "  %-15s %s ∝ N^%.3f [%.3f, %.3f] over %d sizes (%s)\n", UNIT[u], what, c1, klo, khi, m, says);
            else if (isfinite(c1))
                fprintf(t, "  %-15s %s ∝ N^%.3f over %d sizes (no interval)\n", UNIT[u], what, c1, m);
            else
                fprintf(t, "  %-15s %s: needs at least 3 sizes\n", UNIT[u], what);
            free(lx);
            free(ly);
        }
    }
    jputs(j, "}");
    if (have_law) {
        jputs(j, ",\"law\":{");
        jtriple(j, "E", fr.report[0], fr.lo[0], fr.hi[0]); jputs(j, ",");
        jtriple(j, "A", fr.report[1], fr.lo[1], fr.hi[1]); jputs(j, ",");
        jtriple(j, "alpha", fr.report[2], fr.lo[2], fr.hi[2]); jputs(j, "}");
        char through[96];
        if (P.n == total) snprintf(through, sizeof through, "on every run (%d sizes)", sizes);
        else snprintf(through, sizeof through, "through the median loss of %d bins of consecutive sizes (%d sizes)", P.n, sizes);
        if (law_intervals)
            fprintf(t, "power law across sizes (for L(k·N)), %s: E %.4g, A %.4g, alpha %.4g [%.4g, %.4g]\n", through, fr.report[0],
                    fr.report[1], fr.report[2], fr.lo[2], fr.hi[2]);
        else
            fprintf(t, "power law across sizes (for L(k·N)), %s: E %.4g, A %.4g, alpha %.4g (no bootstrap, no intervals)\n",
                    through, fr.report[0], fr.report[1], fr.report[2]);
        fit_result_free(&fr);
    } else {
        fprintf(t, "no power law across sizes: %s\n", ferr);
    }
    jputs(j, "}");
    if (j && j != stdout) fclose(j);
    if (t != stdout) fclose(t);
    if (json) printf("%s\n", j == stdout ? "" : jtext);
    if (db && save) {
        Store st;
        long id;
        if (store_open(&st, db, 0, err, sizeof err) != 0 || store_add_dist(&st, S.source, jtext, &id) != 0)
            fprintf(stderr, "jackpot dist: could not record the result in %s: %s\n", db, st.db ? store_error(&st) : err);
        else if (!json) printf("recorded as dist %ld in %s\n", id, db);
        store_close(&st);
    }
    free(jtext); free(x); free(spread); free(labels);
    points_free(&P);
    samples_free(&S);
    return 0;
}

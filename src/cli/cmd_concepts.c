// jackpot concepts: which concepts each model size learns, in what order, with
// what scaling exponents, and how much frequent and rare concepts interfere.
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/xalloc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "concepts/study.h"
#include "fit/fit.h"
#include "stats/describe.h"

#define CMD "concepts"

static const char HELP[] =
    "usage: jackpot concepts --db FILE [--sweep NAME] [--threshold NATS] [--csv DIR]\n"
    "\n"
    "For runs on a toy world (task.name sparse-parity, zipf-concepts, teacher-student,\n"
    "manifold), per model size (and data size):\n"
    "  the concepts learned (final test loss of the concept under --threshold) and which;\n"
    "  final test accuracy by frequency rank (the heat map: rank × size);\n"
    "  the step each concept is first under the threshold, and the Spearman correlation\n"
    "  of that learning order with frequency rank;\n"
    "  α_N (power law L = E + A·N^−α on the expected test loss, fresh-data runs) and α_D\n"
    "  (fixed-D runs at the largest size) with 95% bootstrap intervals, against the\n"
    "  quantization model's α_N = s − 1 and α_D = (s − 1)/s;\n"
    "  interference probes by size (mean over evaluations after step 0, then over runs)\n"
    "  and the trend of the frequent–rare gradient cosine and of the rare-loss change\n"
    "  per decade of N (least squares over runs, 95% interval).\n"
    "Concepts are numbered by frequency rank: 0 is the most frequent.\n"
    "\n"
    "  --db FILE          a jackpot database\n"
    "  --sweep NAME       only this sweep's runs\n"
    "  --threshold NATS   a concept counts as learned below this test loss  [0.1]\n"
    "  --at WHEN          final (each run's last evaluation) or best (its best-validation\n"
    "                     step: the early-stopping point, for fixed-D runs that overfit)  [final]\n"
    "  --boot N           bootstrap resamples for the exponents              [1000]\n"
    "  --csv DIR          also write DIR/sizes.csv (per size: concepts learned, expected loss, probes)\n"
    "                     and DIR/heatmap.csv (per size and concept: p, accuracy, loss, fraction of\n"
    "                     runs that learned it, first step under the threshold)\n";

static void print_size(const ConceptSize *z) {
    char d[32];
    if (z->train_size) snprintf(d, sizeof d, "%ld", z->train_size);
    else snprintf(d, sizeof d, "fresh");
    printf("%6ld %5ld %9ld %7s %4d", z->width, z->depth, z->n_params, d, z->n_runs);
}

// "0-4,6,9": the concepts a majority of runs learned.
static void which_learned(const ConceptSize *z, int C, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    for (int c = 0; c < C && k + 16 < n; c++) {
        if (z->learned_frac[c] < 0.5) continue;
        int e = c;
        while (e + 1 < C && z->learned_frac[e + 1] >= 0.5) e++;
        k += (size_t)snprintf(out + k, n - k, "%s%d", k ? "," : "", c);
        if (e > c) k += (size_t)snprintf(out + k, n - k, "-%d", e);
        c = e;
    }
    if (!k) snprintf(out, n, "none");
}

// α of a power law on the points, its interval; 0 on success.
static int fit_alpha(Points *P, Axis4 axis, int n_boot, double *alpha, double *lo, double *hi, char *err, size_t errlen) {
    FitOptions o = { .law = &law_power, .axes = { axis }, .delta = 1e-3, .n_boot = n_boot, .seed = 0 };
    FitResult r;
    if (fit_law(&o, P, NULL, &r, err, errlen) != 0) return -1;
    *alpha = r.report[2];
    *lo = r.lo[2];
    *hi = r.hi[2];
    fit_result_free(&r);
    return 0;
}

// α on N (fresh-data sizes) or D (fixed-D runs of one model size) against a prediction: one
// point per run, a cluster per size.
static void exponent(const ConceptStudy *st, Axis4 axis, long fixed_n_params, int n_boot, double predicted, const char *theory,
                    const char *name) {
    int n = 0, clusters = 0;
    for (int i = 0; i < st->n_sizes; i++) n += st->size[i].n_runs;
    Points P;
    points_alloc(&P, n);
    for (int i = 0; i < st->n_sizes; i++) {
        const ConceptSize *z = &st->size[i];
        int use = axis == AXIS_N ? z->train_size == 0 : (z->train_size > 0 && z->n_params == fixed_n_params);
        if (!use) continue;
        for (int m = 0; m < z->n_runs; m++) {
            P.x[AXIS_N][P.n] = (double)z->n_params;
            P.x[AXIS_D][P.n] = (double)z->train_size;
            P.loss[P.n] = z->run_loss[m];
            P.cluster[P.n++] = clusters;
        }
        clusters++;
    }
    P.n_clusters = clusters;
    char err[512];
    double a, lo, hi;
    if (clusters < 3) {
        printf("  %s: not measured (%d %s; a power law needs 3)\n", name, clusters,
               axis == AXIS_N ? "model sizes with fresh data" : "data sizes at the largest fixed-D model");
    } else if (fit_alpha(&P, axis, n_boot, &a, &lo, &hi, err, sizeof err) != 0) {
        printf("  %s: fit failed: %s\n", name, err);
    } else {
        int inside = predicted >= lo && predicted <= hi;
        if (isnan(predicted)) printf("  %s = %.3f [%.3f, %.3f] from %d sizes\n", name, a, lo, hi, clusters);
        else printf("  %s = %.3f [%.3f, %.3f] from %d sizes; %s predicts %.3f: %s\n", name, a, lo, hi, clusters, theory,
               predicted, inside ? "inside the interval" : "OUTSIDE the interval (a mismatch)");
    }
    points_free(&P);
}

static void interference_trend(const ConceptStudy *st, int metric, const char *label) {
    int n = 0;
    for (int i = 0; i < st->n_sizes; i++) n += st->size[i].n_runs;
    double *x = xmalloc(sizeof(double) * n), *y = xmalloc(sizeof(double) * n);
    int k = 0;
    for (int i = 0; i < st->n_sizes; i++)   // fresh-data runs, as for α_N: fixed-D runs differ in more than N
        for (int m = 0; m < st->size[i].n_runs; m++)
            if (st->size[i].train_size == 0 && isfinite(st->size[i].run_probe[m][metric])) {
                x[k] = log10((double)st->size[i].n_params);
                y[k++] = st->size[i].run_probe[m][metric];
            }
    double c0, c1, cov00, cov01, cov11, sumsq;
    if (k < 3 || gsl_stats_variance(x, 1, k) == 0) {
        printf("  %s: no trend (probes from %d fresh-data runs; need 3 at 2 or more sizes)\n", label, k);
    } else {
        gsl_fit_linear(x, 1, y, 1, k, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
        double half = gsl_cdf_tdist_Qinv(0.025, k - 2) * sqrt(cov11);
        printf("  %s: %+.4f per decade of N [%+.4f, %+.4f] (%d fresh-data runs): %s\n", label, c1, c1 - half, c1 + half, k,
               c1 + half < 0 ? "falls as N grows" : c1 - half > 0 ? "rises as N grows" : "no significant trend");
    }
    free(x);
    free(y);
}

// Returns 0, or 1 with a message naming the file that could not be written.
static int write_csv(const ConceptStudy *st, const char *dir) {
    char path[4096];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "jackpot concepts: --csv %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/sizes.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "jackpot concepts: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(f, "width,depth,n_params,train_size,runs,learned_mean,learned_sd,loss_mean,loss_sd");
    for (int i = 0; i < PROBE_METRICS; i++) fprintf(f, ",%s_mean,%s_sd", probe_metric_names[i], probe_metric_names[i]);
    fprintf(f, "\n");
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        fprintf(f, "%ld,%ld,%ld,%ld,%d,%.6g,%.6g,%.6g,%.6g", z->width, z->depth, z->n_params, z->train_size, z->n_runs,
                mean_finite(z->run_learned, z->n_runs), sd_finite(z->run_learned, z->n_runs), mean_finite(z->run_loss, z->n_runs),
                sd_finite(z->run_loss, z->n_runs));
        for (int i = 0; i < PROBE_METRICS; i++) fprintf(f, ",%.6g,%.6g", z->probe_mean[i], z->probe_sd[i]);
        fprintf(f, "\n");
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/heatmap.csv", dir);
    if (!(f = fopen(path, "w"))) {
        fprintf(stderr, "jackpot concepts: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(f, "width,depth,n_params,train_size,concept,p,acc,loss,learned_frac,learn_step\n");
    for (int s = 0; s < st->n_sizes; s++)
        for (int c = 0; c < st->C; c++) {
            const ConceptSize *z = &st->size[s];
            fprintf(f, "%ld,%ld,%ld,%ld,%d,%.6g,%.6g,%.6g,%.6g,%.6g\n", z->width, z->depth, z->n_params, z->train_size, c,
                    st->p[c], z->acc[c], z->loss[c], z->learned_frac[c], z->learn_step[c]);
        }
    fclose(f);
    printf("wrote %s/{sizes,heatmap}.csv\n", dir);
    return 0;
}

int cmd_concepts(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },        { "sweep", required_argument, 0, 's' },
        { "threshold", required_argument, 0, 't' }, { "boot", required_argument, 0, 'b' },
        { "csv", required_argument, 0, 'c' },       { "at", required_argument, 0, 'a' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *db = NULL, *sweep = NULL, *csv = NULL;
    double threshold = 0.1;
    int n_boot = 1000, at_best = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': sweep = optarg; break;
        case 't': threshold = arg_double(CMD, "--threshold", optarg, 0, 1e9); break;
        case 'b': n_boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
        case 'c': csv = optarg; break;
        case 'a':
            if (strcmp(optarg, "final") && strcmp(optarg, "best")) usage_error(CMD, "--at: expected final or best, got '%s'", optarg);
            at_best = !strcmp(optarg, "best");
            break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!db) usage_error(CMD, "--db FILE is required");
    char err[2048];
    ConceptStudy st;
    if (concept_study_load(db, sweep, threshold, at_best, &st, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot concepts: %s\n", err);
        return 1;
    }
    int C = st.C;
    printf("concepts in %s: %s, %d concepts, Zipf s = %g (p_0 = %.3g … p_%d = %.3g); learned = test loss < %g at %s\n\n",
           st.source, st.task, C, st.zipf, st.p[0], C - 1, st.p[C - 1], threshold,
           at_best ? "each run's best-validation step" : "each run's last evaluation");

    printf(" width depth  n_params       D runs  learned (mean ± sd)  expected loss  learned by most runs\n");
    for (int s = 0; s < st.n_sizes; s++) {
        const ConceptSize *z = &st.size[s];
        char which[512];
        which_learned(z, C, which, sizeof which);
        print_size(z);
        printf("  %7.2f ± %-9.2f  %13.4g  %s%s%s%s\n", mean_finite(z->run_learned, z->n_runs), sd_finite(z->run_learned, z->n_runs),
               mean_finite(z->run_loss, z->n_runs), which, z->label[0] ? "   [" : "", z->label, z->label[0] ? "]" : "");
    }
    if (st.mixed[0])   // two learning rates at one size are two rows, and the fits across sizes below pool them
        printf("WARNING: sizes of equal N and D differ in %s: each row above is one setting, but the exponents and "
               "trends below pool them; choose one with --sweep\n", st.mixed);

    // The heat map: accuracy by frequency rank (rows, binned when there are many) × size (columns).
    int bin = C > 24 ? (C + 23) / 24 : 1;
    printf("\nfinal test %s by frequency rank (rows%s) and size (columns: width/D)\n  rank      ",
           st.regression ? "loss" : "accuracy", bin > 1 ? ", binned" : "");
    for (int s = 0; s < st.n_sizes; s++) {
        char h[32];
        if (st.size[s].train_size) snprintf(h, sizeof h, "%ld/%ld", st.size[s].width, st.size[s].train_size);
        else snprintf(h, sizeof h, "%ld", st.size[s].width);
        printf(" %8s", h);
    }
    printf("\n");
    for (int c0 = 0; c0 < C; c0 += bin) {
        int c1 = c0 + bin < C ? c0 + bin : C;
        char r[32];
        if (c1 - c0 > 1) snprintf(r, sizeof r, "%d-%d", c0, c1 - 1);
        else snprintf(r, sizeof r, "%d", c0);
        printf("  %-9s", r);
        for (int s = 0; s < st.n_sizes; s++)
            printf(" %8.3g", mean_finite((st.regression ? st.size[s].loss : st.size[s].acc) + c0, c1 - c0));
        printf("\n");
    }

    // Learning order at the size that learned most.
    int best = 0;
    for (int s = 1; s < st.n_sizes; s++)
        if (mean_finite(st.size[s].run_learned, st.size[s].n_runs) > mean_finite(st.size[best].run_learned, st.size[best].n_runs)) best = s;
    const ConceptSize *z = &st.size[best];
    double rank[C], step[C], work[2 * C];
    int k = 0, ordered = 0, pairs = 0;
    for (int c = 0; c < C; c++)
        if (isfinite(z->learn_step[c])) { rank[k] = c; step[k++] = z->learn_step[c]; }
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) { pairs++; ordered += step[i] <= step[j]; }
    printf("\nlearning order (width %ld, D %s): first step under the threshold, median over runs\n  ", z->width,
           z->train_size ? "fixed" : "fresh");
    for (int i = 0; i < k && i < 40; i++) printf("%d:%.0f ", (int)rank[i], step[i]);
    printf("\n");
    if (k >= 3)
        printf("  Spearman ρ(frequency rank, learning step) = %.3f over %d learned concepts; %d of %d pairs (%.0f%%) learned in frequency order\n",
               gsl_stats_spearman(rank, 1, step, 1, k, work), k, ordered, pairs, pairs ? 100.0 * ordered / pairs : 0);
    else
        printf("  too few concepts learned (%d) for an order statistic\n", k);

    printf("\nscaling exponents of the expected test loss Σ p_c·L_c (power law E + A·x^−α)\n");
    if (st.manifold_dim)   // the data-manifold task's own theory line
        exponent(&st, AXIS_N, 0, n_boot, 4.0 / st.manifold_dim, "Sharma & Kaplan's 4/d (manifold dimension d)", "α_N");
    if (C > 1) exponent(&st, AXIS_N, 0, n_boot, quanta_alpha_N(st.zipf), "the quantization model (s − 1)", "α_N");
    long largest = 0;
    for (int s = 0; s < st.n_sizes; s++)
        if (st.size[s].train_size > 0 && st.size[s].n_params > largest) largest = st.size[s].n_params;
    if (C > 1) exponent(&st, AXIS_D, largest, n_boot, quanta_alpha_D(st.zipf), "the quantization model ((s − 1)/s)", "α_D");
    else exponent(&st, AXIS_D, largest, n_boot, NAN, "", "α_D");

    int probed = 0;
    for (int s = 0; s < st.n_sizes; s++) probed += isfinite(st.size[s].probe_mean[PROBE_COS_FR]);
    if (!probed) {
        printf("\ninterference probes: none recorded (a world needs 4 or more concepts, and probe.concepts > 0)\n");
        int rc = csv ? write_csv(&st, csv) : 0;
        concept_study_free(&st);
        return rc;
    }
    printf("\ninterference probes (mean over evaluations after step 0; mean ± sd over runs)\n");
    printf(" width depth  n_params       D runs");
    for (int i = 0; i < PROBE_METRICS; i++) printf(" %17s", probe_metric_names[i]);
    printf("\n");
    for (int s = 0; s < st.n_sizes; s++) {
        const ConceptSize *y = &st.size[s];
        print_size(y);
        for (int i = 0; i < PROBE_METRICS; i++) printf("  %+7.4f ± %6.4f", y->probe_mean[i], y->probe_sd[i]);
        printf("\n");
    }
    interference_trend(&st, PROBE_COS_FR, "frequent–rare gradient cosine");
    interference_trend(&st, PROBE_DLOSS_RARE, "rare-loss change after a frequent-only step");
    int rc = csv ? write_csv(&st, csv) : 0;
    concept_study_free(&st);
    return rc;
}

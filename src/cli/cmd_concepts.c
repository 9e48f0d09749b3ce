// jackpot concepts: which concepts each model size learns, in what order, with
// what scaling exponents, and how much frequent and rare concepts interfere.
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "concepts/analysis.h"
#include "concepts/injection.h"
#include "concepts/study.h"
#include "cli/injection_table.h"

#define CMD "concepts"

static const char HELP[] =
    "usage: jackpot concepts --db FILE [--sweep NAME] [--where EXPR] [--threshold NATS] [--csv DIR]\n"
    "\n"
    "For runs on a toy world (task.name sparse-parity, zipf-concepts, teacher-student,\n"
    "manifold, task-mixture), per model size (and data size):\n"
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
    "Runs with an injection (injection.steps > 0; Huang, Lubana et al. 2026) add a block:\n"
    "  per size, the injected task's loss drop, the other tasks' forgetting (loss rise during\n"
    "  the injection, also by frequency rank), the retention of the drop after the return to\n"
    "  the base mixture and the frequent–rare gradient cosine, with 95% intervals over seeds,\n"
    "  and their trends per decade of N.\n"
    "Concepts are numbered by frequency rank: 0 is the most frequent.\n"
    "\n"
    "  --db FILE          a jackpot database\n"
    "  --sweep NAME       only this sweep's runs\n"
    "  --where EXPR       only the runs r it holds for, as in jackpot fit (e.g. \"r.width >= 64\")\n"
    "  --threshold NATS   a concept counts as learned below this test loss  [0.1]\n"
    "  --at WHEN          final (each run's last evaluation) or best (its best-validation\n"
    "                     step: the early-stopping point, for fixed-D runs that overfit)  [final]\n"
    "  --boot N           bootstrap resamples for the exponents              [1000]\n"
    "  --csv DIR          also write DIR/sizes.csv (per size: concepts learned, expected loss, probes)\n"
    "                     and DIR/heatmap.csv (per size and concept: p, accuracy, loss, fraction of\n"
    "                     runs that learned it, first step under the threshold), and with an\n"
    "                     injection DIR/injection.csv (per size and task: forgetting, retention)\n";

static void print_size(const ConceptSize *z) {
    char d[32];
    if (z->train_size) snprintf(d, sizeof d, "%ld", z->train_size);
    else snprintf(d, sizeof d, "fresh");
    printf("%6ld %5ld %9ld %7s %4d", z->width, z->depth, z->n_params, d, z->n_runs);
}

static void print_header(const ConceptStudy *st) {
    int C = st->C;
    printf("concepts in %s: %s, %d concepts, Zipf s = %g (p_0 = %.3g … p_%d = %.3g); learned = test loss < %g at %s\n\n",
           st->source, st->task, C, st->zipf, st->p[0], C - 1, st->p[C - 1], st->threshold,
           st->at_best ? "each run's best-validation step" : "each run's last evaluation");
}

static void print_sizes(const ConceptStudy *st) {
    printf(" width depth  n_params       D runs  learned (mean ± sd)  expected loss  learned by most runs\n");
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        char which[512];
        concept_learned_by_most(z, st->C, which, sizeof which);
        print_size(z);
        printf("  %7.2f ± %-9.2f  %13.4g  %s%s%s%s\n", z->learned_mean, z->learned_sd, z->loss_mean, which,
               z->label[0] ? "   [" : "", z->label, z->label[0] ? "]" : "");
    }
    if (st->mixed[0])   // two learning rates at one size are two rows, and the fits across sizes below pool them
        printf("WARNING: sizes of equal N and D differ in %s: each row above is one setting, but the exponents and "
               "trends below pool them; choose one with --sweep\n", st->mixed);
}

// The heat map: accuracy by frequency rank (rows, binned when there are many) × size (columns).
static void print_heatmap(const ConceptStudy *st) {
    int C = st->C, bin = concept_heat_bin(C);
    printf("\nfinal test %s by frequency rank (rows%s) and size (columns: width/D)\n  rank      ",
           st->regression ? "loss" : "accuracy", bin > 1 ? ", binned" : "");
    for (int s = 0; s < st->n_sizes; s++) {
        char h[32];
        if (st->size[s].train_size) snprintf(h, sizeof h, "%ld/%ld", st->size[s].width, st->size[s].train_size);
        else snprintf(h, sizeof h, "%ld", st->size[s].width);
        printf(" %8s", h);
    }
    printf("\n");
    for (int c0 = 0; c0 < C; c0 += bin) {
        int c1 = c0 + bin < C ? c0 + bin : C;
        char r[32];
        if (c1 - c0 > 1) snprintf(r, sizeof r, "%d-%d", c0, c1 - 1);
        else snprintf(r, sizeof r, "%d", c0);
        printf("  %-9s", r);
        for (int s = 0; s < st->n_sizes; s++) printf(" %8.3g", concept_heat_cell(st, s, c0, c1));
        printf("\n");
    }
}

// Learning order at the size that learned most.
static void print_order(const ConceptStudy *st) {
    ConceptOrder o;
    concept_order(st, &o);
    const ConceptSize *z = &st->size[o.size];
    printf("\nlearning order (width %ld, D %s): first step under the threshold, median over runs\n  ", z->width,
           z->train_size ? "fixed" : "fresh");
    for (int i = 0; i < o.k && i < 40; i++) printf("%d:%.0f ", o.concept[i], o.step[i]);
    printf("\n");
    if (o.k >= 3)
        printf("  Spearman ρ(frequency rank, learning step) = %.3f over %d learned concepts; %d of %d pairs (%.0f%%) learned in frequency order\n",
               o.rho, o.k, o.ordered, o.pairs, o.pairs ? 100.0 * o.ordered / o.pairs : 0);
    else
        printf("  too few concepts learned (%d) for an order statistic\n", o.k);
    concept_order_free(&o);
}

// α on N (fresh-data sizes) or D (fixed-D runs of one model size) against a prediction (NaN: none).
static void print_exponent(const ConceptStudy *st, Axis4 axis, long fixed_n_params, int n_boot, double predicted,
                           const char *theory, const char *name) {
    ConceptExponent e;
    int rc = concept_exponent(st, axis, fixed_n_params, n_boot, &e);
    if (rc == 1) {
        printf("  %s: not measured (%d %s; a power law needs 3)\n", name, e.sizes,
               axis == AXIS_N ? "model sizes with fresh data" : "data sizes at the largest fixed-D model");
    } else if (rc != 0) {
        printf("  %s: fit failed: %s\n", name, jp_error());
    } else if (isnan(predicted)) {
        printf("  %s = %.3f [%.3f, %.3f] from %d sizes\n", name, e.alpha, e.lo, e.hi, e.sizes);
    } else {
        int inside = predicted >= e.lo && predicted <= e.hi;
        printf("  %s = %.3f [%.3f, %.3f] from %d sizes; %s predicts %.3f: %s\n", name, e.alpha, e.lo, e.hi, e.sizes, theory,
               predicted, inside ? "inside the interval" : "OUTSIDE the interval (a mismatch)");
    }
}

static void print_exponents(const ConceptStudy *st, int n_boot) {
    printf("\nscaling exponents of the expected test loss Σ p_c·L_c (power law E + A·x^−α)\n");
    if (st->manifold_dim)   // the data-manifold task's own theory line
        print_exponent(st, AXIS_N, 0, n_boot, 4.0 / st->manifold_dim, "Sharma & Kaplan's 4/d (manifold dimension d)", "α_N");
    if (st->C > 1) print_exponent(st, AXIS_N, 0, n_boot, quanta_alpha_N(st->zipf), "the quantization model (s − 1)", "α_N");
    long largest = concept_largest_fixed_d(st);
    if (st->C > 1) print_exponent(st, AXIS_D, largest, n_boot, quanta_alpha_D(st->zipf), "the quantization model ((s − 1)/s)", "α_D");
    else print_exponent(st, AXIS_D, largest, n_boot, NAN, "", "α_D");
}

static void print_trend(const ConceptStudy *st, int metric, const char *label) {
    SlopeFit f;
    if (concept_probe_trend(st, metric, &f) != 0)
        printf("  %s: no trend (probes from %d fresh-data runs; need 3 at 2 or more sizes)\n", label, f.n);
    else
        printf("  %s: %+.4f per decade of N [%+.4f, %+.4f] (%d fresh-data runs): %s\n", label, f.slope, f.lo, f.hi, f.n,
               f.hi < 0 ? "falls as N grows" : f.lo > 0 ? "rises as N grows" : "no significant trend");
}

static void print_probes(const ConceptStudy *st) {
    if (!concept_probed_sizes(st)) {
        printf("\ninterference probes: none recorded (a world needs 4 or more concepts, and probe.concepts > 0)\n");
        return;
    }
    printf("\ninterference probes (mean over evaluations after step 0; mean ± sd over runs)\n");
    printf(" width depth  n_params       D runs");
    for (int i = 0; i < PROBE_METRICS; i++) printf(" %17s", probe_metric_names[i]);
    printf("\n");
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *y = &st->size[s];
        print_size(y);
        for (int i = 0; i < PROBE_METRICS; i++) printf("  %+7.4f ± %6.4f", y->probe_mean[i], y->probe_sd[i]);
        printf("\n");
    }
    print_trend(st, PROBE_COS_FR, "frequent–rare gradient cosine");
    print_trend(st, PROBE_DLOSS_RARE, "rare-loss change after a frequent-only step");
}

// The CSV's file f, or NULL after a message naming it.
static FILE *csv_open(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "jackpot concepts: %s: %s\n", path, strerror(errno));
    return f;
}

static void write_sizes_csv(const ConceptStudy *st, FILE *f) {
    fprintf(f, "width,depth,n_params,train_size,runs,learned_mean,learned_sd,loss_mean,loss_sd");
    for (int i = 0; i < PROBE_METRICS; i++) fprintf(f, ",%s_mean,%s_sd", probe_metric_names[i], probe_metric_names[i]);
    fprintf(f, "\n");
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        fprintf(f, "%ld,%ld,%ld,%ld,%d,%.6g,%.6g,%.6g,%.6g", z->width, z->depth, z->n_params, z->train_size, z->n_runs,
                z->learned_mean, z->learned_sd, z->loss_mean, z->loss_sd);
        for (int i = 0; i < PROBE_METRICS; i++) fprintf(f, ",%.6g,%.6g", z->probe_mean[i], z->probe_sd[i]);
        fprintf(f, "\n");
    }
}

static void write_heatmap_csv(const ConceptStudy *st, FILE *f) {
    fprintf(f, "width,depth,n_params,train_size,concept,p,acc,loss,learned_frac,learn_step\n");
    for (int s = 0; s < st->n_sizes; s++)
        for (int c = 0; c < st->C; c++) {
            const ConceptSize *z = &st->size[s];
            fprintf(f, "%ld,%ld,%ld,%ld,%d,%.6g,%.6g,%.6g,%.6g,%.6g\n", z->width, z->depth, z->n_params, z->train_size, c,
                    st->p[c], z->acc[c], z->loss[c], z->learned_frac[c], z->learn_step[c]);
        }
}

// Returns 0, or 1 with a message naming the file that could not be written.
static int write_csv(const ConceptStudy *st, const char *dir) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "jackpot concepts: --csv %s: %s\n", dir, strerror(errno));
        return 1;
    }
    FILE *f = csv_open(dir, "sizes.csv");
    if (!f) return 1;
    write_sizes_csv(st, f);
    fclose(f);
    if (!(f = csv_open(dir, "heatmap.csv"))) return 1;
    write_heatmap_csv(st, f);
    fclose(f);
    printf("wrote %s/{sizes,heatmap}.csv\n", dir);
    return 0;
}

// The injection block when runs have one (nothing when none). Returns 0, or 1 after a message.
static int print_injection(const char *db, const char *sweep, const char *where, const char *csv) {
    InjectionStudy st;
    int rc = injection_study_load(db, sweep, where, &st);
    if (rc == INJECTION_STUDY_NONE && st.mixture_runs)
        printf("\ninjection experiment: none (task-mixture runs with injection.steps > 0 add forgetting and retention)\n");
    if (rc == INJECTION_STUDY_NONE) return 0;
    if (rc != 0) {
        fprintf(stderr, "jackpot concepts: injection: %s\n", jp_error());
        return 1;
    }
    injection_table_print(stdout, &st);
    FILE *f = csv ? csv_open(csv, "injection.csv") : NULL;
    if (f) {
        injection_csv_write(f, &st);
        fclose(f);
        printf("wrote %s/injection.csv\n", csv);
    }
    injection_study_free(&st);
    return csv && !f;
}

int cmd_concepts(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },        { "sweep", required_argument, 0, 's' },
        { "threshold", required_argument, 0, 't' }, { "boot", required_argument, 0, 'b' },
        { "csv", required_argument, 0, 'c' },       { "at", required_argument, 0, 'a' },
        { "where", required_argument, 0, 'w' },     { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *db = NULL, *sweep = NULL, *csv = NULL, *where = NULL;
    double threshold = 0.1;
    int n_boot = 1000, at_best = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': sweep = optarg; break;
        case 'w': where = optarg; break;
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
    ConceptStudy st;
    if (concept_study_load(db, sweep, where, threshold, at_best, &st) != 0) {
        fprintf(stderr, "jackpot concepts: %s\n", jp_error());
        return 1;
    }
    print_header(&st);
    print_sizes(&st);
    print_heatmap(&st);
    print_order(&st);
    print_exponents(&st, n_boot);
    print_probes(&st);
    int rc = csv ? write_csv(&st, csv) : 0;
    concept_study_free(&st);
    return rc | print_injection(db, sweep, where, csv);
}

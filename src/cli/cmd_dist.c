// jackpot dist: outcomes across seeds, by size. The analysis is stats/seeds.c; this
// file reads the flags, prints the study (a table, or --json) and records it.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "seeds/study.h"
#include "seeds/tickets.h"
#include "stats/describe.h"
#include "store/store.h"

#define CMD "dist"

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
    "By default a table of one unit (--unit), one row per group: n, mean, std, min,\n"
    "q05, median, q95, max and a short verdict (normality; from n = 30 which tail is\n"
    "heavier), then its spread against N and the power law; every number %.4g.\n"
    "--full prints all of the above for every unit.\n"
    "\n"
    "  --db FILE        a jackpot database (groups = runs equal but for their seeds)\n"
    "  --tickets        the tickets table (jackpot tickets): ticket quality across seeds at\n"
    "                   each density, a group per (architecture, level, variant), its runs\n"
    "                   the ensemble's seeds; --where may test the row t (\"t.variant =\n"
    "                   'ticket'\"). The table leaves out the spread against N and the law\n"
    "                   (they would pool levels; --full and --json keep them). Chosen by\n"
    "                   itself when the database has ticket rows and no run summaries\n"
    "  --sweep NAME     only this sweep's runs\n"
    "  --where SQL      a condition on runs r, e.g. \"r.depth = 2\"\n"
    "  --metric M       final (test metrics at the end) | best (at the best-validation step) [final]\n"
    "  --csv FILE       runs from a CSV: --group-col, --n-col, --loss-col, --acc-col,\n"
    "                   --init-col, --data-col name its columns  [group, N, loss, acc, init, data];\n"
    "                   N > 0, loss ≥ 0 and accuracy in [0, 1], all finite, or the row is refused\n"
    "  --eval-size M    examples behind each accuracy, for the logit guard  [10000]\n"
    "  --boot N         bootstrap resamples                                 [1000]\n"
    "  --seed N         bootstrap seed                                      [0]\n"
    "  --unit U         the table's unit: loss, log_loss, error, accuracy, logit_accuracy  [loss]\n"
    "  --full           everything, every unit, instead of the one-row-per-group table\n"
    "  --json           JSON instead of the table (every unit, as --full)\n"
    "  --no-save        do not record the result in the database's dists table\n";

typedef struct {
    const char *db, *sweep, *where, *metric, *csv;
    const char *cols[6];       // group, N, loss, acc, init, data
    SeedOptions o;
    int json, save, full, unit;   // unit: the compact table's, an index into seed_unit_names
    int tickets;                  // --tickets, or a database of tickets alone
} DistArgs;

// The index of unit name s in seed_unit_names; a name not there exits with status 2.
static int unit_arg(const char *s) {
    for (int u = 0; u < SEED_UNITS; u++)
        if (!strcmp(s, seed_unit_names[u])) return u;
    usage_error(CMD, "--unit: expected one of loss, log_loss, error, accuracy, logit_accuracy, not '%s'", s);
}

// Returns 0, or 1 when --help was printed; a bad flag exits with status 2.
static int parse_args(int argc, char **argv, DistArgs *a) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },       { "sweep", required_argument, 0, 's' },
        { "where", required_argument, 0, 'w' },    { "metric", required_argument, 0, 'm' },
        { "csv", required_argument, 0, 'c' },      { "group-col", required_argument, 0, 1 },
        { "n-col", required_argument, 0, 2 },      { "loss-col", required_argument, 0, 3 },
        { "acc-col", required_argument, 0, 4 },    { "init-col", required_argument, 0, 5 },
        { "data-col", required_argument, 0, 6 },   { "eval-size", required_argument, 0, 'e' },
        { "boot", required_argument, 0, 'b' },     { "seed", required_argument, 0, 'S' },
        { "json", no_argument, 0, 'j' },           { "no-save", no_argument, 0, 'n' },
        { "full", no_argument, 0, 'f' },           { "unit", required_argument, 0, 'u' },
        { "tickets", no_argument, 0, 'T' },
        { "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 },
    };
    *a = (DistArgs){ .metric = "final", .cols = { "group", "N", "loss", "acc", "init", "data" },
                     .o = { .eval_size = 10000, .n_boot = 1000, .seed = 0 }, .save = 1 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 's': a->sweep = optarg; break;
        case 'w': a->where = optarg; break;
        case 'm': a->metric = optarg; break;
        case 'c': a->csv = optarg; break;
        case 1: case 2: case 3: case 4: case 5: case 6: a->cols[c - 1] = optarg; break;
        case 'e': a->o.eval_size = (double)arg_long(CMD, "--eval-size", optarg, 1, 1000000000L); break;
        case 'b': a->o.n_boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
        case 'S': a->o.seed = (uint64_t)arg_long(CMD, "--seed", optarg, 0, 1L << 62); break;
        case 'j': a->json = 1; break;
        case 'n': a->save = 0; break;
        case 'f': a->full = 1; break;
        case 'T': a->tickets = 1; break;
        case 'u': a->unit = unit_arg(optarg); break;
        case 'h': fputs(HELP, stdout); return 1;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->db == !a->csv) usage_error(CMD, "give the runs with exactly one of --db and --csv");
    if (a->tickets && a->csv) usage_error(CMD, "--tickets reads a database's tickets table, not a --csv");
    return 0;
}

// ---- the table ----

static void text_unit(FILE *t, const char *unit, const SeedUnit *u, int n) {
    char i1[64], i2[64], i3[64], i4[64], verdict[512];
    if (u->refused) { fprintf(t, "  %-15s %s\n", unit, u->refused); return; }
    const Describe *d = &u->d;
    fprintf(t, "  %-15s mean %.5g%s  std %.4g%s  cv %.3g  IQR %.4g\n", unit, d->v[0],
            seed_interval_text(i1, sizeof i1, d->lo[0], d->hi[0], 4), d->v[1],
            seed_interval_text(i2, sizeof i2, d->lo[1], d->hi[1], 4), d->v[2], d->v[10]);
    fprintf(t, "  %-15s quantiles %.5g | %.5g | %.5g | %.5g | %.5g | %.5g | %.5g   skew %.3g%s  ex.kurt %.3g%s\n", "",
            d->v[3], d->v[4], d->v[5], d->v[6], d->v[7], d->v[8], d->v[9], d->v[11],
            seed_interval_text(i3, sizeof i3, d->lo[11], d->hi[11], 3), d->v[12],
            seed_interval_text(i4, sizeof i4, d->lo[12], d->hi[12], 3));
    seed_unit_verdict(u, n, verdict, sizeof verdict);
    fprintf(t, "  %-15s %s\n", "", verdict);
}

static void text_best_of_k(FILE *t, const SeedGroupStats *G) {
    fprintf(t, "  best of k seeds (expected lowest loss) against L(k·N) from the power law across sizes:\n");
    for (int i = 0; i < G->n_best; i++) {
        const BestOfK *e = &G->best[i];
        char b1[64], b2[64];
        fprintf(t, "    k = %-4d best of k %.5g%s   L(%d·N) %.5g%s   %s\n", e->k, e->best,
                seed_interval_text(b1, sizeof b1, e->lo, e->hi, 5), e->k, e->law,
                seed_interval_text(b2, sizeof b2, e->law_lo, e->law_hi, 5),
                e->k == 1 || !isfinite(e->law) ? "" : e->best < e->law ? "→ k seeds beat k× parameters" : "→ k× parameters beat k seeds");
    }
}

static void text_split(FILE *t, const VarianceSplit *v) {
    if (v->grid < 0) fprintf(t, "  no init × data variance split: %s\n", v->why);
    if (v->grid != 0) return;
    char v1[64], v2[64], v3[64];
    double tot = v->var[0] + v->var[1] + v->var[2];
    fprintf(t, "  variance of loss, %d init × %d data seeds (two-way random effects): init %.3g%s (%.0f%%), "
               "data %.3g%s (%.0f%%), interaction+residual %.3g%s (%.0f%%)\n",
            v->I, v->J, v->var[0], seed_interval_text(v1, sizeof v1, v->lo[0], v->hi[0], 3), 100 * v->var[0] / tot, v->var[1],
            seed_interval_text(v2, sizeof v2, v->lo[1], v->hi[1], 3), 100 * v->var[1] / tot, v->var[2],
            seed_interval_text(v3, sizeof v3, v->lo[2], v->hi[2], 3), 100 * v->var[2] / tot);
}

static void text_spread(FILE *t, const SeedStudy *st) {
    fprintf(t, "\nspread against N (std and IQR across seeds, fitted as spread ∝ N^k by least squares in logs,\n"
               "95%% intervals from Student's t with sizes − 2 degrees of freedom):\n");
    for (int u = 0; u < SEED_UNITS; u++) {
        for (int w = 0; w < 2 && st->have_unit[u]; w++) {
            const SlopeFit *f = &st->spread[u][w];
            const char *what = w ? "iqr" : "std", *says = spread_slope_verdict(f->lo, f->hi);
            if (isfinite(f->slope) && *says)
                fprintf(t, "  %-15s %s ∝ N^%.3f [%.3f, %.3f] over %d sizes (%s)\n", seed_unit_names[u], what, f->slope, f->lo, f->hi,
                        f->n, says);
            else if (isfinite(f->slope))
                fprintf(t, "  %-15s %s ∝ N^%.3f over %d sizes (no interval)\n", seed_unit_names[u], what, f->slope, f->n);
            else
                fprintf(t, "  %-15s %s: needs at least 3 sizes\n", seed_unit_names[u], what);
        }
    }
}

static void text_law(FILE *t, const SeedLaw *L) {
    if (!L->ok) { fprintf(t, "no power law across sizes: %s\n", L->why); return; }
    char through[96];
    if (L->points == L->runs) snprintf(through, sizeof through, "on every run (%d sizes)", L->sizes);
    else snprintf(through, sizeof through, "through the median loss of %d bins of consecutive sizes (%d sizes)", L->points, L->sizes);
    if (L->intervals)
        fprintf(t, "power law across sizes (for L(k·N)), %s: E %.4g, A %.4g, alpha %.4g [%.4g, %.4g]\n", through, L->v[0], L->v[1],
                L->v[2], L->lo[2], L->hi[2]);
    else
        fprintf(t, "power law across sizes (for L(k·N)), %s: E %.4g, A %.4g, alpha %.4g (no bootstrap, no intervals)\n", through,
                L->v[0], L->v[1], L->v[2]);
}

static void print_text(FILE *t, const SeedStudy *st) {
    fprintf(t, "outcomes across seeds from %s: %d groups\n", st->source, st->n_groups);
    if (st->mixed[0]) fprintf(t, "WARNING: %s\n", st->mixed);
    for (int g = 0; g < st->n_groups; g++) {
        const SeedGroupStats *G = &st->group[g];
        fprintf(t, "\ngroup %d: %s; %d runs\n", g + 1, G->label, G->n);
        for (int u = 0; u < SEED_UNITS; u++)
            if (G->unit[u].present) text_unit(t, seed_unit_names[u], &G->unit[u], G->n);
        if (G->n_best) text_best_of_k(t, G);
        text_split(t, &G->split);
    }
    if (st->mixed[0]) fprintf(t, "\nWARNING: %s\n", st->mixed);
    text_spread(t, st);
    text_law(t, &st->law);
}

// ---- the compact table (the default) ----
// One unit, a row per group. Every number is %.4g (four significant digits) so that the
// columns read alike; --full keeps the older text, bit for bit, with its own precisions.

// Normality at 5% and, from SEED_TAIL_MIN_N runs on when normality is rejected, the heavier
// tail by Hill's α (seed_unit_verdict's claim, shortened; --full cites the indices).
static void short_verdict(const SeedUnit *u, int n, char *out, size_t len) {
    char ignored[256];
    int not_normal = normality_verdict(u->ad, u->ad_p, n, ignored, sizeof ignored);   // −1: no test
    int k;
    if (not_normal < 0 && !isfinite(u->ad)) k = snprintf(out, len, "no normality test (A*² not finite)");
    else if (not_normal < 0) k = snprintf(out, len, "no normality test (n < %d)", DESCRIBE_SHAPE_MIN_N);
    else if (u->ad_p <= AD_P_FLOOR) k = snprintf(out, len, "not normal (p < %.4g)", AD_P_FLOOR);
    else k = snprintf(out, len, "%s (p = %.4g)", not_normal ? "not normal" : "consistent with normal", u->ad_p);
    const HillTail *g = &u->good, *b = &u->bad;
    if (not_normal != 1 || !u->tails || !isfinite(g->alpha) || !isfinite(b->alpha) || k < 0 || (size_t)k >= len) return;
    int have_iv = isfinite(g->lo) && isfinite(g->hi) && isfinite(b->lo) && isfinite(b->hi);
    int overlap = !(g->hi < b->lo || b->hi < g->lo);
    snprintf(out + k, len - (size_t)k, "; %s tail heavier%s", g->alpha < b->alpha ? "jackpot" : "bad",
             !have_iv ? " (no intervals)" : overlap ? " (intervals overlap)" : "");
}

static void compact_row(FILE *t, int g, const SeedGroupStats *G, int unit, int label_w) {
    const SeedUnit *u = &G->unit[unit];
    fprintf(t, "%3d  %-*s %5d", g + 1, label_w, G->label, G->n);
    if (!u->present) { fprintf(t, "  no %s in these runs\n", seed_unit_names[unit]); return; }
    if (u->refused) { fprintf(t, "  %s\n", u->refused); return; }
    const double *v = u->d.v;   // describe_names: mean std cv min q05 q25 median q75 q95 max …
    char verdict[512];
    short_verdict(u, G->n, verdict, sizeof verdict);
    fprintf(t, " %9.4g %9.4g %9.4g %9.4g %9.4g %9.4g %9.4g  %s\n", v[0], v[1], v[3], v[4], v[6], v[8], v[9], verdict);
}

static void compact_spread(FILE *t, const SeedStudy *st, int unit) {
    if (!st->have_unit[unit]) return;
    fprintf(t, "\n%s spread against N (spread ∝ N^k, least squares in logs, 95%% Student-t interval):\n", seed_unit_names[unit]);
    for (int w = 0; w < 2; w++) {
        const SlopeFit *f = &st->spread[unit][w];
        const char *what = w ? "iqr" : "std", *says = spread_slope_verdict(f->lo, f->hi);
        if (isfinite(f->slope) && *says)
            fprintf(t, "  %s ∝ N^%.4g [%.4g, %.4g] over %d sizes (%s)\n", what, f->slope, f->lo, f->hi, f->n, says);
        else if (isfinite(f->slope)) fprintf(t, "  %s ∝ N^%.4g over %d sizes (no interval)\n", what, f->slope, f->n);
        else fprintf(t, "  %s: needs at least 3 sizes\n", what);
    }
}

// across_sizes: the spread against N and the law (not for tickets: they would pool the levels).
static void print_compact(FILE *t, const SeedStudy *st, int unit, int across_sizes) {
    int label_w = 5;   // strlen("group")
    for (int g = 0; g < st->n_groups; g++) {
        int w = (int)strlen(st->group[g].label);
        if (w > label_w) label_w = w;
    }
    fprintf(t, "outcomes across seeds from %s: %d groups, %s (every unit, intervals, tails, best of k, variance split: --full)\n",
            st->source, st->n_groups, seed_unit_names[unit]);
    if (st->mixed[0]) fprintf(t, "WARNING: %s\n", st->mixed);
    fprintf(t, "%3s  %-*s %5s %9s %9s %9s %9s %9s %9s %9s  verdict (Anderson–Darling at 5%%; tails from n = %d)\n", "#", label_w,
            "group", "n", "mean", "std", "min", "q05", "median", "q95", "max", SEED_TAIL_MIN_N);
    for (int g = 0; g < st->n_groups; g++) compact_row(t, g, &st->group[g], unit, label_w);
    if (!across_sizes) return;
    compact_spread(t, st, unit);
    text_law(t, &st->law);
}

// ---- JSON ----

static void jtriple(FILE *f, const char *name, double v, double lo, double hi) {
    json_key(f, name); fputs("{\"estimate\":", f); json_num(f, v);
    fputs(",\"lo\":", f); json_num(f, lo); fputs(",\"hi\":", f); json_num(f, hi); fputs("}", f);
}

static void json_tails(FILE *j, const SeedUnit *u) {
    if (!u->tails) { fputs(",\"tails\":null", j); return; }
    fprintf(j, ",\"tails\":{\"good\":{\"k\":%d,", u->good.k); jtriple(j, "hill_alpha", u->good.alpha, u->good.lo, u->good.hi);
    fprintf(j, "},\"bad\":{\"k\":%d,", u->bad.k); jtriple(j, "hill_alpha", u->bad.alpha, u->bad.lo, u->bad.hi); fputs("}}", j);
}

static void json_unit(FILE *j, const char *unit, const SeedUnit *u, int n) {
    json_key(j, unit); fputs("{", j);
    if (u->refused) { json_key(j, "refused"); json_str(j, u->refused); fputs("}", j); return; }
    for (int s = 0; s < DESCRIBE_STATS; s++) { if (s) fputs(",", j); jtriple(j, describe_names[s], u->d.v[s], u->d.lo[s], u->d.hi[s]); }
    fputs(",\"anderson_darling\":{\"A2\":", j); json_num(j, u->ad); fputs(",\"p\":", j); json_num(j, u->ad_p);
    fprintf(j, ",\"p_is_upper_bound\":%s}", u->ad_p <= AD_P_FLOOR ? "true" : "false");
    json_tails(j, u);
    char verdict[512];
    seed_unit_verdict(u, n, verdict, sizeof verdict);
    fputs(",\"verdict\":", j); json_str(j, verdict); fputs("}", j);
}

static void json_best_of_k(FILE *j, const SeedGroupStats *G) {
    fputs(",\"best_of_k\":[", j);
    for (int i = 0; i < G->n_best; i++) {
        const BestOfK *e = &G->best[i];
        fprintf(j, "%s{\"k\":%d,", i ? "," : "", e->k);
        jtriple(j, "best", e->best, e->lo, e->hi); fputs(",", j); jtriple(j, "law_at_kN", e->law, e->law_lo, e->law_hi); fputs("}", j);
    }
    fputs("]", j);
}

static void json_split(FILE *j, const VarianceSplit *v) {
    if (v->grid < 0) { fputs(",\"variance_split\":{\"refused\":", j); json_str(j, v->why); fputs("}", j); }
    if (v->grid != 0) return;
    fprintf(j, ",\"variance_split\":{\"init_seeds\":%d,\"data_seeds\":%d,", v->I, v->J);
    jtriple(j, "init", v->var[0], v->lo[0], v->hi[0]); fputs(",", j);
    jtriple(j, "data", v->var[1], v->lo[1], v->hi[1]); fputs(",", j);
    jtriple(j, "interaction_residual", v->var[2], v->lo[2], v->hi[2]); fputs("}", j);
}

static void json_group(FILE *j, const SeedGroupStats *G) {
    fputs("{\"label\":", j); json_str(j, G->label);   // tickets: the groups of one N differ in level and variant
    fputs(",\"N\":", j); json_num(j, G->N); fputs(",\"D\":", j); json_num(j, G->D);
    fprintf(j, ",\"n\":%d,\"units\":{", G->n);
    for (int u = 0, first = 1; u < SEED_UNITS; u++) {
        if (!G->unit[u].present) continue;
        if (!first) fputs(",", j);
        first = 0;
        json_unit(j, seed_unit_names[u], &G->unit[u], G->n);
    }
    fputs("}", j);
    if (G->n_best) json_best_of_k(j, G);
    json_split(j, &G->split);
    fputs("}", j);
}

static void json_spread_and_law(FILE *j, const SeedStudy *st) {
    fputs(",\"spread_vs_N\":{", j);
    for (int u = 0, first = 1; u < SEED_UNITS; u++) {
        for (int w = 0; w < 2 && st->have_unit[u]; w++, first = 0) {
            const SlopeFit *f = &st->spread[u][w];
            fprintf(j, "%s\"%s_%s\":{\"groups\":%d,\"exponent\":", first ? "" : ",", seed_unit_names[u], w ? "iqr" : "std", f->n);
            json_num(j, f->slope); fputs(",\"lo\":", j); json_num(j, f->lo); fputs(",\"hi\":", j); json_num(j, f->hi);
            fputs(",\"verdict\":", j); json_str(j, spread_slope_verdict(f->lo, f->hi)); fputs("}", j);
        }
    }
    fputs("}", j);
    const SeedLaw *L = &st->law;
    if (!L->ok) return;
    fputs(",\"law\":{", j);
    jtriple(j, "E", L->v[0], L->lo[0], L->hi[0]); fputs(",", j);
    jtriple(j, "A", L->v[1], L->lo[1], L->hi[1]); fputs(",", j);
    jtriple(j, "alpha", L->v[2], L->lo[2], L->hi[2]); fputs("}", j);
}

static void print_json(FILE *j, const SeedStudy *st) {
    fputs("{\"source\":", j); json_str(j, st->source); fputs(",\"groups\":[", j);
    for (int g = 0; g < st->n_groups; g++) {
        if (g) fputs(",", j);
        json_group(j, &st->group[g]);
    }
    fputs("]", j);
    json_spread_and_law(j, st);
    fputs("}", j);
}

// ---- the command ----

// The JSON text, kept to be recorded in the dists table; NULL when it cannot be made.
static char *json_text(const SeedStudy *st) {
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) return NULL;
    print_json(m, st);
    fclose(m);
    return text;
}

static void record(const char *db, const SeedStudy *st, const char *text, int quiet) {
    Store s;
    long id;
    if (store_open(&s, db, 0) != 0 || store_add_dist(&s, st->source, text, &id) != 0)
        fprintf(stderr, "jackpot dist: could not record the result in %s: %s\n", db, jp_error());
    else if (!quiet) printf("recorded as dist %ld in %s\n", id, db);
    store_close(&s);
}

int cmd_dist(int argc, char **argv) {
    DistArgs a;
    if (parse_args(argc, argv, &a)) return 0;
    Samples S;
    if (a.db && !a.tickets && tickets_only_db(a.db, a.metric)) {
        a.tickets = 1;
        fprintf(stderr, "jackpot dist: %s holds tickets alone: ticket quality across seeds (as --tickets)\n", a.db);
    }
    int rc = a.csv       ? samples_from_csv(a.csv, a.cols[0], a.cols[1], a.cols[2], a.cols[3], a.cols[4], a.cols[5], &S)
             : a.tickets ? samples_from_tickets(a.db, a.sweep, a.metric, a.where, &S)
                         : samples_from_store(a.db, a.sweep, a.metric, a.where, &S);
    if (rc != 0) { fprintf(stderr, "jackpot dist: %s\n", jp_error()); return 1; }
    SeedStudy st;
    seed_study_run(&S, a.db, &a.o, &st);
    samples_free(&S);
    // JSON only when printed (--json) or recorded (--db without --no-save)
    int save = a.db && a.save;
    char *text = save ? json_text(&st) : NULL;
    if (a.json && text) printf("%s\n", text);
    else if (a.json) { print_json(stdout, &st); printf("\n"); }
    else if (a.full) print_text(stdout, &st);
    else print_compact(stdout, &st, a.unit, !a.tickets);
    if (save) record(a.db, &st, text, a.json);
    free(text);
    seed_study_free(&st);
    return 0;
}

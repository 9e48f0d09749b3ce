// jackpot compare: what an idea is worth in compute. Two arms of one database (each a --where on
// its runs), each fitted with a law of loss against a resource, and the multiplier of arm B over
// arm A along that resource with its trend and the budget where it crosses 1 (fit/compare.h).
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "fit/compare.h"
#include "store/store.h"

#define CMD "compare"

static const char HELP[] =
    "usage: jackpot compare --db FILE --arm NAME=WHERE --arm NAME=WHERE [options]\n"
    "\n"
    "The worth of an idea in compute. Arm A (the first, the baseline) and arm B (the idea)\n"
    "are the runs matching each WHERE (a condition on runs r, as --where in jackpot fit,\n"
    "e.g. \"r.optim = 'sgd'\"). Each arm is fitted with the law (cluster bootstrap), and\n"
    "the multiplier of B over A at each budget x is\n"
    "    k(x) = x_A(L_B(x)) / x\n"
    "the factor by which A's x must grow to reach the loss B reaches at x (k = 2: the idea is\n"
    "worth doubling the compute there). Printed along the budgets both arms cover, with 95%\n"
    "intervals (A's and B's resamples paired); its trend d log k / d log x (does the gain\n"
    "grow, stay constant or vanish with scale?), and the budget where k crosses 1, searched\n"
    "from 10^-3 below to 10^6 above the data (marked when beyond it), or none.\n"
    "\n"
    "laws\n"
    "  frontier     the lower envelope of every evaluation's loss against its training FLOPs,\n"
    "               fitted as L = E + A·C^−γ (default; --metric eval:SPLIT_NAME)    x = FLOPs\n"
    "  power        L = E + A·x^−α on each run's final metric, x = --x (params, data, …)\n"
    "  chinchilla   L(N, D) = E + A/N^α + B/D^β, compared along each arm's compute-optimal\n"
    "               frontier (the best N, D for C = 6ND)                              x = 6ND\n"
    "\n"
    "options\n"
    "  --db FILE         the database\n"
    "  --arm NAME=WHERE  twice: A, then B\n"
    "  --law LAW         frontier | power | chinchilla                       [frontier]\n"
    "  --metric M        frontier: eval:SPLIT_NAME [eval:val_loss]; else a summary\n"
    "                    [final_test_loss]\n"
    "  --sweep NAME      only this sweep's runs\n"
    "  --x AXIS          power's axis: params, data, flops, steps             [params]\n"
    "  --cost NAME=F     arm NAME's unit of x costs F times the other's (F > 0): adds the net\n"
    "                    multiplier at equal spend, x_A(L_B(x / F_B)) / x\n"
    "  --boot N          bootstrap resamples per arm, 0..100000              [1000]\n"
    "  --seed N          bootstrap seed                                      [0]\n"
    "  --json            JSON instead of the table\n"
    "  --no-save         do not record the comparison in the database (tables compares,\n"
    "                    compare_curve; the report draws the latest)\n";

typedef struct {
    const char *db, *law, *metric, *sweep, *name[2], *where[2], *cost_arm;
    char names[2][64], cost_name[64];   // the arms' names and --cost's, cut from the flags
    double cost;
    Axis4 x;
    int boot, json, save, n_arms;
    unsigned long long seed;
} Args;

static void parse_arm(const char *arg, Args *a) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) usage_error(CMD, "--arm: expected NAME=WHERE, e.g. adamw=\"r.optim = 'adamw'\", got '%s'", arg);
    if (a->n_arms == 2) usage_error(CMD, "--arm: exactly two arms (A, then B); a third was given: '%s'", arg);
    if (eq - arg >= (long)sizeof a->names[0]) usage_error(CMD, "--arm: the name '%.*s' is longer than 63 bytes", (int)(eq - arg), arg);
    snprintf(a->names[a->n_arms], sizeof a->names[0], "%.*s", (int)(eq - arg), arg);
    a->name[a->n_arms] = a->names[a->n_arms];
    a->where[a->n_arms++] = eq + 1;
}

static void parse_cost(const char *arg, Args *a) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) usage_error(CMD, "--cost: expected NAME=FACTOR, e.g. B=1.3, got '%s'", arg);
    snprintf(a->cost_name, sizeof a->cost_name, "%.*s", (int)(eq - arg), arg);
    a->cost_arm = a->cost_name;
    a->cost = arg_double(CMD, "--cost", eq + 1, 1e-6, 1e6);
}

static void parse_args(int argc, char **argv, Args *a) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },   { "arm", required_argument, 0, 'a' },   { "law", required_argument, 0, 'l' },
        { "metric", required_argument, 0, 'm' }, { "sweep", required_argument, 0, 's' }, { "x", required_argument, 0, 'x' },
        { "cost", required_argument, 0, 'c' }, { "boot", required_argument, 0, 'b' },  { "seed", required_argument, 0, 'S' },
        { "json", no_argument, 0, 'j' },       { "no-save", no_argument, 0, 'n' },     { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    *a = (Args){ .law = "frontier", .x = AXIS_N, .boot = 1000, .save = 1, .cost = 1 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'a': parse_arm(optarg, a); break;
        case 'l': a->law = optarg; break;
        case 'm': a->metric = optarg; break;
        case 's': a->sweep = optarg; break;
        case 'x': if (axis_parse(optarg, &a->x) != 0) usage_error(CMD, "--x: expected one of params, data, flops, steps, got '%s'", optarg); break;
        case 'c': parse_cost(optarg, a); break;
        case 'b': a->boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
        case 'S': a->seed = (unsigned long long)arg_long(CMD, "--seed", optarg, 0, 1L << 62); break;
        case 'j': a->json = 1; break;
        case 'n': a->save = 0; break;
        case 'h': fputs(HELP, stdout); exit(0);
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->db) usage_error(CMD, "--db: give the database");
    if (a->n_arms != 2) usage_error(CMD, "--arm: give two arms, A (the baseline) then B (the idea): --arm NAME=WHERE twice");
    if (!strcmp(a->name[0], a->name[1])) usage_error(CMD, "--arm: the two arms have one name, '%s'", a->name[0]);
    if (strcmp(a->law, "frontier") && strcmp(a->law, "power") && strcmp(a->law, "chinchilla"))
        usage_error(CMD, "--law: expected one of frontier, power, chinchilla, got '%s'", a->law);
    if (a->cost_arm && strcmp(a->cost_arm, a->name[0]) && strcmp(a->cost_arm, a->name[1]))
        usage_error(CMD, "--cost: '%s' is not an arm (the arms are '%s' and '%s')", a->cost_arm, a->name[0], a->name[1]);
    if (!a->metric) a->metric = strcmp(a->law, "frontier") ? "final_test_loss" : "eval:val_loss";
    if (!strcmp(a->law, "frontier") && strncmp(a->metric, "eval:", 5))
        usage_error(CMD, "--metric: the frontier is drawn through every evaluation: expected eval:SPLIT_NAME, got '%s'", a->metric);
}

// B's unit of x against A's: --cost on B is that factor, on A its inverse.
static double cost_b(const Args *a) {
    if (!a->cost_arm) return 1;
    return strcmp(a->cost_arm, a->name[1]) ? 1 / a->cost : a->cost;
}

static const char *x_words(const CompareOptions *o) {
    if (o->kind == COMPARE_CHINCHILLA || o->axis == AXIS_C) return "compute";
    return o->axis == AXIS_N ? "parameters" : o->axis == AXIS_D ? "data" : axis_name(o->axis);
}

static void print_interval(FILE *f, CompareValue v, int digits) {
    if (isfinite(v.lo) || isinf(v.hi)) fprintf(f, " [%.*g, %.*g]", digits, v.lo, digits, v.hi);
}

static void print_arm(FILE *f, const Args *a, const CompareOptions *o, const FitResult *r, int k) {
    static const char *const power[] = { "E", "A", "alpha" }, *const chin[] = { "E", "A", "B", "alpha", "beta" };
    const char *const *names = o->kind == COMPARE_CHINCHILLA ? chin : power;
    int n = o->kind == COMPARE_CHINCHILLA ? 5 : 3;
    fprintf(f, "arm %c '%s' (%s): %d points;", k ? 'B' : 'A', a->name[k], a->where[k], r->n);
    for (int j = 0; j < n; j++) {
        fprintf(f, " %s %.4g", o->axis == AXIS_C && j == 2 ? "gamma" : names[j], r->report[j]);
        print_interval(f, (CompareValue){ r->report[j], r->lo[j], r->hi[j] }, 3);
        fputc(j + 1 < n ? ',' : '\n', f);
    }
}

static void print_text(FILE *f, const Args *a, const CompareOptions *o, const Comparison *r, const char *source) {
    const char *what = x_words(o);
    fprintf(f, "compare on %s (%s: %s)\n", source, a->law,
            o->kind == COMPARE_CHINCHILLA ? "L(N, D) along each arm's compute-optimal frontier, x = 6ND"
            : !strcmp(a->law, "frontier") ? "power law through each arm's lower envelope of loss against FLOPs"
                                          : "power law on each run's final metric");
    for (int k = 0; k < 2; k++) print_arm(f, a, o, &r->fit[k], k);
    fprintf(f, "\nmultiplier of %s over %s: %s needs k× the %s to reach %s's loss (95%% intervals, %d paired resamples)\n",
            a->name[1], a->name[0], a->name[0], what, a->name[1], r->fit[0].n_boot < r->fit[1].n_boot ? r->fit[0].n_boot : r->fit[1].n_boot);
    int net = o->cost_b != 1;
    fprintf(f, "  %12s %10s %10s %9s %21s", "x", a->name[0], a->name[1], "k", "95% interval");
    if (net) fprintf(f, "   net k (B's unit costs %.3g×)", o->cost_b);
    fputc('\n', f);
    for (int i = 0; i < r->n; i += 4) {
        fprintf(f, "  %12.4g %10.5g %10.5g %9.4g   [%8.4g, %8.4g]", r->x[i], r->loss_a[i], r->loss_b[i], r->k[i].v, r->k[i].lo, r->k[i].hi);
        if (net) fprintf(f, "   %.4g [%.4g, %.4g]", r->k_net[i].v, r->k_net[i].lo, r->k_net[i].hi);
        fputc('\n', f);
    }
    for (int i = 0; i < r->n; i++)
        if (isinf(r->k[i].v)) {
            fprintf(f, "from x = %.4g on, %s reaches losses below %s's floor (E = %.4g): k is unbounded there, and the trend "
                       "below is over the budgets before it\n", r->x[i], a->name[1], a->name[0], r->fit[0].report[0]);
            break;
        }
    fprintf(f, "trend: d log k / d log x = %.4f", r->trend.v);
    print_interval(f, r->trend, 4);
    fprintf(f, ": %s\n", !strcmp(r->trend_verdict, "grows with x") ? "the gain grows with scale"
                       : !strcmp(r->trend_verdict, "shrinks with x") ? "the gain shrinks with scale"
                                                                        : r->trend_verdict);
    if (!isfinite(r->cross.v))
        fprintf(f, "k = 1: not within the data, nor from 10^-3 below to 10^6 above it (%.0f%% of resamples cross there)\n",
                100 * r->cross_share);
    else {
        fprintf(f, "k = 1 at x = %.4g", r->cross.v);
        print_interval(f, r->cross, 4);
        fprintf(f, " %s (%.0f%% of resamples cross within 10^-3..10^6 × the data)\n",
                r->crosses ? "within the data" : "beyond the data: an extrapolation", 100 * r->cross_share);
    }
}

static void json_value(FILE *f, const char *key, CompareValue v) {
    json_key(f, key);
    fputc('[', f); json_num(f, v.v); fputc(',', f); json_num(f, v.lo); fputc(',', f); json_num(f, v.hi); fputc(']', f);
}

static void print_json(FILE *f, const Args *a, const CompareOptions *o, const Comparison *r, const char *source) {
    fputc('{', f);
    json_key(f, "source"); json_str(f, source);
    fputc(',', f); json_key(f, "law"); json_str(f, a->law);
    fputc(',', f); json_key(f, "x"); json_str(f, o->kind == COMPARE_CHINCHILLA ? "6ND" : axis_name(o->axis));
    fputc(',', f); json_key(f, "cost_b"); json_num(f, o->cost_b);
    fputs(",\"arms\":[", f);
    for (int k = 0; k < 2; k++) {
        const FitResult *fr = &r->fit[k];
        int n = o->kind == COMPARE_CHINCHILLA ? 5 : 3;
        fputs(k ? ",{" : "{", f);
        json_key(f, "name"); json_str(f, a->name[k]);
        fputc(',', f); json_key(f, "where"); json_str(f, a->where[k]);
        fputc(',', f); json_key(f, "points"); fprintf(f, "%d", fr->n);
        fputs(",\"theta\":[", f);
        for (int j = 0; j < n; j++) { if (j) fputc(',', f); json_num(f, fr->theta[j]); }
        fputs("],\"report\":[", f);
        for (int j = 0; j < n; j++) {
            fputs(j ? ",[" : "[", f);
            json_num(f, fr->report[j]); fputc(',', f); json_num(f, fr->lo[j]); fputc(',', f); json_num(f, fr->hi[j]);
            fputc(']', f);
        }
        fputs("]}", f);
    }
    fputs("],\"grid\":[", f);
    for (int i = 0; i < r->n; i++) {
        fputs(i ? ",{" : "{", f);
        json_key(f, "x"); json_num(f, r->x[i]);
        fputc(',', f); json_key(f, "loss_a"); json_num(f, r->loss_a[i]);
        fputc(',', f); json_key(f, "loss_b"); json_num(f, r->loss_b[i]);
        fputc(',', f); json_value(f, "k", r->k[i]);
        fputc(',', f); json_value(f, "k_net", r->k_net[i]);
        fputc('}', f);
    }
    fputs("],", f);
    json_value(f, "trend", r->trend);
    fputc(',', f); json_key(f, "trend_verdict"); json_str(f, r->trend_verdict);
    fputc(',', f); json_value(f, "crossing", r->cross);
    fputc(',', f); json_key(f, "crossing_within_data"); fputs(r->crosses ? "true" : "false", f);
    fputc(',', f); json_key(f, "crossing_share"); json_num(f, r->cross_share);
    fputs("}\n", f);
}

static int save(const Args *a, const CompareOptions *o, const Comparison *r, const char *source, long *id) {
    char *json = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&json, &len);
    print_json(m, a, o, r, source);
    fclose(m);
    double col[8][COMPARE_GRID];
    for (int i = 0; i < r->n; i++) {
        col[0][i] = r->k[i].v; col[1][i] = r->k[i].lo; col[2][i] = r->k[i].hi;
        col[3][i] = r->k_net[i].v; col[4][i] = r->k_net[i].lo; col[5][i] = r->k_net[i].hi;
    }
    StoreCompare sc = { .law = a->law, .metric = a->metric, .axis = o->kind == COMPARE_CHINCHILLA ? "6ND" : axis_name(o->axis),
                        .arm = { a->name[0], a->name[1] }, .where = { a->where[0], a->where[1] }, .source = source,
                        .result_json = json, .cost_b = o->cost_b,
                        .trend = { r->trend.v, r->trend.lo, r->trend.hi }, .crossing = { r->cross.v, r->cross.lo, r->cross.hi },
                        .crossing_within = r->crosses, .n = r->n, .x = r->x, .loss_a = r->loss_a, .loss_b = r->loss_b,
                        .k = col[0], .k_lo = col[1], .k_hi = col[2], .k_net = col[3], .k_net_lo = col[4], .k_net_hi = col[5] };
    Store st;
    int rc = store_open(&st, a->db, 0) != 0 || store_add_compare(&st, &sc, id) != 0 ? -1 : 0;
    if (rc) fprintf(stderr, "jackpot compare: could not record the comparison in %s: %s\n", a->db, jp_error());
    store_close(&st);
    free(json);
    return rc;
}

// Arm k's points: the runs matching its WHERE (and --sweep); for the frontier, their lower envelope.
static int arm_points(const Args *a, int k, Points *p) {
    char where[4096];
    snprintf(where, sizeof where, "(%s)", a->where[k]);
    if (points_from_store(a->db, a->sweep, a->metric, where, p) != 0) {
        fprintf(stderr, "jackpot compare: arm '%s': %s\n", a->name[k], jp_error());
        return -1;
    }
    if (!strcmp(a->law, "frontier")) points_frontier(p);
    return 0;
}

int cmd_compare(int argc, char **argv) {
    Args a;
    parse_args(argc, argv, &a);
    CompareOptions o = { .kind = strcmp(a.law, "chinchilla") ? COMPARE_POWER : COMPARE_CHINCHILLA,
                         .axis = !strcmp(a.law, "frontier") ? AXIS_C : a.x, .n_boot = a.boot, .seed = a.seed, .delta = 1e-3,
                         .cost_b = cost_b(&a) };
    if (o.kind == COMPARE_CHINCHILLA) o.axis = AXIS_C;
    Points p[2];
    if (arm_points(&a, 0, &p[0]) != 0) return 1;
    if (arm_points(&a, 1, &p[1]) != 0) { points_free(&p[0]); return 1; }
    int tty = isatty(STDERR_FILENO) && !a.json;
    double t0 = clock_now_s();
    if (tty) fprintf(stderr, "jackpot compare: fitting 2 arms with %d resamples each…", a.boot);
    Comparison r;
    int rc = compare_arms(&o, &p[0], &p[1], &r);
    if (tty) fprintf(stderr, "\r\033[K");
    if (rc != 0) {
        fprintf(stderr, "jackpot compare: %s\n", jp_error());
        points_free(&p[0]); points_free(&p[1]);
        return 1;
    }
    char source[600];
    snprintf(source, sizeof source, "db:%s metric=%s%s%s", a.db, a.metric, a.sweep ? " sweep=" : "", a.sweep ? a.sweep : "");
    if (a.json) print_json(stdout, &a, &o, &r, source);
    else print_text(stdout, &a, &o, &r, source);
    long id = 0;
    if (a.save && save(&a, &o, &r, source, &id) == 0 && !a.json)
        printf("recorded as compare %ld in %s (%.1f s)\n", id, a.db, clock_now_s() - t0);
    compare_free(&r);
    points_free(&p[0]);
    points_free(&p[1]);
    return 0;
}

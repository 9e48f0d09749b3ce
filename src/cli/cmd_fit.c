// jackpot fit: scaling laws with bootstrap intervals, a held-out check, IsoFLOP
// profiles, the compute frontier, and the budget planner.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/json.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/fit_table.h"
#include "fit/budget.h"
#include "fit/fit.h"
#include "fit/isoflop.h"
#include "store/groups.h"
#include "store/store.h"

#define CMD "fit"

static const char HELP[] =
    "usage: jackpot fit --law LAW (--db FILE [--sweep NAME] [--metric M] [--where SQL]\n"
    "                              | --csv FILE --col AXIS=NAME ... --loss-col NAME) [options]\n"
    "\n"
    "laws\n"
    "  power        L = E + A·x^−α on one axis (--x)\n"
    "  chinchilla   L = E + A/N^α + B/D^β (params and data), with the compute-optimal\n"
    "               exponents N_opt ∝ C^(β/(α+β)), D_opt ∝ C^(α/(α+β))\n"
    "  kaplan       L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D\n"
    "  frontier     the lower envelope of loss against training FLOPs over every\n"
    "               evaluation, fitted as L = E + A·C^−γ (use --metric eval:val_loss)\n"
    "  isoflop      per compute budget a parabola of loss in log N; N_opt(C), D_opt(C)\n"
    "\n"
    "Method: minimise Σ Huber_δ(log L̂ − log L) with BFGS (GSL) from a grid of starts\n"
    "(Hoffmann et al.: 4,500 for chinchilla), keep the best; bootstrap whole seed\n"
    "clusters for 95% percentile intervals; refit without the largest x and predict it.\n"
    "\n"
    "points\n"
    "  --db FILE        a jackpot database; one point per finished run\n"
    "  --sweep NAME     only this sweep's runs\n"
    "  --metric M       a summary (final_test_loss, best_val_loss, final_val_loss, …)\n"
    "                   or eval:SPLIT_NAME for every evaluation (eval:val_loss)  [final_test_loss]\n"
    "  --where SQL      a condition on runs r, e.g. \"r.depth = 2\"\n"
    "  --csv FILE       points from a CSV with a header row (published numbers, other tools)\n"
    "  --col AXIS=NAME  the column of an axis: params (N), data (D), flops (C), steps\n"
    "  --loss-col NAME  the loss column                                  [loss]\n"
    "  --cluster-col N  rows with equal values resample together (default: each row alone)\n"
    "  --x AXIS         the power law's axis: params, data, flops, steps  [params]\n"
    "  --allow-mixed    fit across groups of runs that differ in more than the law's axes\n"
    "                   (e.g. two learning rates): refused by default, since their runs\n"
    "                   would be pooled as if they were seeds of one configuration\n"
    "\n"
    "method and output\n"
    "  --delta X        Huber δ on log residuals                         [1e-3]\n"
    "  --boot N         bootstrap resamples, 0..100000                   [1000]\n"
    "  --seed N         bootstrap seed                                   [0]\n"
    "  --predict X[,Y]  predicted loss (with interval) at x (at N,D for two-input laws)\n"
    "  --json           JSON instead of the table\n"
    "  --no-save        do not record the fit in the database's fits table\n"
    "\n"
    "budget planner (chinchilla): cost = cost-flop·6ND + cost-data·D + cost-param·N + cost-fixed\n"
    "  --budget X       the N, D with the lowest loss for this budget, and a table of\n"
    "                   the best loss for budgets around it\n"
    "  --target-loss X  the cheapest N, D reaching this loss\n"
    "  --cost-flop X, --cost-data X, --cost-param X, --cost-fixed X      [1, 0, 0, 0]\n";

typedef struct {
    const char *law, *db, *sweep, *metric, *where, *csv, *loss_col, *cluster_col, *predict;
    const char *cols[AXIS_COUNT];
    Axis4 x;
    double delta, budget, target;
    Costs costs;
    int boot, json, save, allow_mixed;
    unsigned long long seed;
} Args;

// The fields of the params a law's axes may vary (store/groups.h): x = params varies the
// model's shape, data the training-set size, steps the budget, flops all three.
static int axis_fields(Axis4 a) {
    return a == AXIS_N ? GROUP_AXIS_N : a == AXIS_D ? GROUP_AXIS_D : a == AXIS_STEPS ? GROUP_AXIS_BUDGET
                                                                  : GROUP_AXIS_N | GROUP_AXIS_D | GROUP_AXIS_BUDGET;
}

// Groups of runs (equal but for their seeds) must differ only in the law's axes: runs of two
// learning rates at one size are not seeds of one point. A field that differs between groups
// at equal axis values is refused (exit 1, naming it and how to select) unless --allow-mixed;
// one that only co-varies with the axes (a learning rate set per width) is named in a note.
// Writes the JSON members (",\"groups\":…") to json.
static void check_groups(const Args *a, const Points *p, int axes, const char *axes_text, FILE *json) {
    if (!p->group || p->n_clusters < 2) return;
    sqlite3 *db;
    char err[1024];
    GroupDiff d;
    snprintf(err, sizeof err, "%s", "cannot open");
    if (store_open_read(a->db, &db, err, sizeof err) != 0 ||
        group_diff_load(db, (const char (*)[17])p->group, p->n_clusters, &d, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot fit: %s: %s\n", a->db, err);
        sqlite3_close(db);
        exit(1);
    }
    sqlite3_close(db);
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov;
    group_diff_split(&d, axes, conf, &n_conf, cov, &n_cov);
    char what[1024], where[512];
    fprintf(json, ",\"groups\":%d", d.n_groups);
    if (n_conf) {
        group_diff_describe(&d, conf, n_conf, what, sizeof what);
        group_diff_suggest_where(&d, conf, n_conf, where, sizeof where);
        if (!a->allow_mixed) {
            fprintf(stderr, "jackpot fit: the %d groups of runs differ in %s, not only in the law's axes (%s): one law across "
                            "them would pool runs of different settings as seeds of one point. Select one with --where %s"
                            " (or --sweep NAME), or pass --allow-mixed to fit across them anyway.\n",
                    d.n_groups, what, axes_text, where);
            group_diff_free(&d);
            exit(1);
        }
        fputs(",\"groups_warning\":", json);
        json_strf(json, "%s differ between groups at equal axis values; fitted across them (--allow-mixed)", what);
    }
    if (n_cov) {
        group_diff_describe(&d, cov, n_cov, what, sizeof what);
        fputs(",\"groups_covary\":", json);
        json_strf(json, "%s change with the %s: the law absorbs them", what, axes_text);
    }
    group_diff_free(&d);
}

static void write_law(FILE *f, const Args *a, const FitOptions *o, const Points *p, const FitResult *r,
                      const HeldOut *h, int have_h, const double *px, int n_px) {
    const Law *L = o->law;
    fprintf(f, "{\"law\":\"%s\",\"points\":%d,\"clusters\":%d,\"delta\":", L->name, p->n, p->n_clusters);
    json_num(f, o->delta);
    fprintf(f, ",\"starts\":%d,\"converged\":%d,\"bootstrap\":%d,\"x\":[", r->starts, r->converged, r->n_boot);
    for (int k = 0; k < L->n_x; k++) fprintf(f, "%s\"%s\"", k ? "," : "", axis_name(o->axes[k]));
    fputs("],\"parameters\":{", f);
    for (int j = 0; j < L->n_report; j++) {
        fprintf(f, "%s\"%s\":{\"estimate\":", j ? "," : "", L->report_names[j]);
        json_num(f, r->report[j]);
        fputs(",\"lo\":", f); json_num(f, r->lo[j]);
        fputs(",\"hi\":", f); json_num(f, r->hi[j]);
        fputs("}", f);
    }
    fputs("},\"theta\":[", f);
    for (int j = 0; j < L->n_theta; j++) { if (j) fputc(',', f); json_num(f, r->theta[j]); }
    fputs("],\"r2_log\":", f);
    json_num(f, r->r2_log);
    fputs(",\"objective\":", f);   // Σ Huber_δ of the log residuals at θ: what the fit minimised
    json_num(f, r->objective);
    fputs(",\"residuals\":[", f);
    for (int i = 0; i < r->n; i++) { if (i) fputc(',', f); json_num(f, r->residuals[i]); }
    fputs("]", f);
    if (have_h) {
        fputs(",\"heldout\":{\"x\":", f); json_num(f, h->x);
        fprintf(f, ",\"points\":%d,\"observed\":", h->n_held); json_num(f, h->observed);
        fputs(",\"predicted\":", f); json_num(f, h->predicted);
        fputs(",\"lo\":", f); json_num(f, h->lo);
        fputs(",\"hi\":", f); json_num(f, h->hi);
        fputs(",\"relative_error\":", f); json_num(f, h->rel_error);
        fputs("}", f);
    }
    if (n_px) {
        fputs(",\"prediction\":{\"x\":[", f);
        for (int k = 0; k < n_px; k++) { if (k) fputc(',', f); json_num(f, px[k]); }
        double *v = xmalloc(sizeof(double) * (r->n_boot + 1));
        for (int b = 0; b < r->n_boot; b++) v[b] = fit_predict(L, r->boot_theta + (size_t)b * L->n_theta, px);
        double lo = NAN, hi = NAN;
        if (r->n_boot) percentile_interval(v, r->n_boot, &lo, &hi);
        fputs("],\"loss\":", f); json_num(f, fit_predict(L, r->theta, px));
        fputs(",\"lo\":", f); json_num(f, lo);
        fputs(",\"hi\":", f); json_num(f, hi);
        fputs("}", f);
        free(v);
    }
    (void)a;
}

typedef int (*BudgetQuestion)(const double *theta, const Costs *c, double arg, double *N, double *D, double *value);

// One budget question over the fit and every bootstrap fit: `"key":{"arg_name":arg, …, N, D, value_name}`
// each as estimate [lo, hi]; the closing brace is left to the caller.
static void write_question(FILE *f, const FitResult *r, const Costs *c, BudgetQuestion q, double arg,
                           const char *key, const char *arg_name, const char *value_name) {
    int nb = r->n_boot, kept = 0;
    double *v = xmalloc(sizeof(double) * (nb + 1) * 3), N, D, y, lo[3], hi[3];
    int ok = q(r->theta, c, arg, &N, &D, &y) == 0;
    for (int b = 0; b < nb; b++) {
        double n2, d2, y2;
        if (q(r->boot_theta + (size_t)b * 5, c, arg, &n2, &d2, &y2) == 0) {
            v[kept] = n2; v[nb + kept] = d2; v[2 * nb + kept] = y2; kept++;
        }
    }
    for (int k = 0; k < 3; k++) { lo[k] = hi[k] = NAN; if (kept > 1) percentile_interval(v + k * nb, kept, &lo[k], &hi[k]); }
    fprintf(f, ",\"%s\":{\"%s\":", key, arg_name);
    json_num(f, arg);
    fprintf(f, ",\"reachable\":%s,\"bootstrap_reachable\":%d", ok ? "true" : "false", kept);
    const char *names[3] = { "N", "D", value_name };
    double est[3] = { ok ? N : NAN, ok ? D : NAN, ok ? y : NAN };
    for (int k = 0; k < 3; k++) {
        fprintf(f, ",\"%s\":{\"estimate\":", names[k]); json_num(f, est[k]);
        fputs(",\"lo\":", f); json_num(f, lo[k]); fputs(",\"hi\":", f); json_num(f, hi[k]); fputs("}", f);
    }
    free(v);
}

// (i) the best loss for --budget, with the loss-vs-budget curve; (ii) the cheapest way to --target-loss.
static void write_budget(FILE *f, const Args *a, const FitResult *r) {
    if (isfinite(a->budget)) {
        write_question(f, r, &a->costs, budget_best, a->budget, "best_for_budget", "budget", "loss");
        fputs(",\"curve\":[", f);
        for (int i = -6; i <= 6; i++) {
            double B = a->budget * pow(10, i / 2.0), n2, d2, y2;
            int good = budget_best(r->theta, &a->costs, B, &n2, &d2, &y2) == 0;
            fprintf(f, "%s{\"budget\":", i > -6 ? "," : ""); json_num(f, B);
            fputs(",\"N\":", f); json_num(f, good ? n2 : NAN);
            fputs(",\"D\":", f); json_num(f, good ? d2 : NAN);
            fputs(",\"loss\":", f); json_num(f, good ? y2 : NAN);
            fputs("}", f);
        }
        fputs("]}", f);
    }
    if (isfinite(a->target)) {
        write_question(f, r, &a->costs, budget_cheapest, a->target, "cheapest_for_target", "target_loss", "cost");
        fputs("}", f);
    }
}

static void write_isoflop(FILE *f, const IsoResult *r, const Points *p, const char *kind) {
    fprintf(f, "{\"law\":\"isoflop\",\"points\":%d,\"points_kind\":\"%s\",\"budgets\":[", p->n, kind);
    for (int g = 0; g < r->n_budgets; g++) {
        const IsoBudget *b = &r->budgets[g];
        fprintf(f, "%s{\"C\":", g ? "," : ""); json_num(f, b->C);
        fprintf(f, ",\"points\":%d,\"sizes\":%d,\"ok\":%s", b->n_points, b->n_sizes, b->ok ? "true" : "false");
        if (b->ok) {
            fputs(",\"N_opt\":", f); json_num(f, b->N_opt);
            fputs(",\"D_opt\":", f); json_num(f, b->D_opt);
            fputs(",\"L_opt\":", f); json_num(f, b->L_opt);
            fputs(",\"parabola\":[", f); json_num(f, b->c0); fputc(',', f); json_num(f, b->c1); fputc(',', f); json_num(f, b->c2);
            fputs("]", f);
        } else {
            fputs(",\"reason\":", f); json_str(f, b->reason);
        }
        fputs("}", f);
    }
    fputs("],\"N_opt_exponent\":{\"estimate\":", f); json_num(f, r->n_exp);
    fputs(",\"lo\":", f); json_num(f, r->n_lo); fputs(",\"hi\":", f); json_num(f, r->n_hi);
    fputs("},\"D_opt_exponent\":{\"estimate\":", f); json_num(f, r->d_exp);
    fputs(",\"lo\":", f); json_num(f, r->d_lo); fputs(",\"hi\":", f); json_num(f, r->d_hi);
    fputs("},\"N_opt_coefficient\":", f); json_num(f, r->n_coef);
}


int cmd_fit(int argc, char **argv) {
    static const struct option opts[] = {
        { "law", required_argument, 0, 'l' },       { "db", required_argument, 0, 'd' },
        { "sweep", required_argument, 0, 's' },     { "metric", required_argument, 0, 'm' },
        { "where", required_argument, 0, 'w' },     { "csv", required_argument, 0, 'c' },
        { "col", required_argument, 0, 'C' },       { "loss-col", required_argument, 0, 'L' },
        { "cluster-col", required_argument, 0, 'K' }, { "x", required_argument, 0, 'x' },
        { "delta", required_argument, 0, 'D' },     { "boot", required_argument, 0, 'b' },
        { "seed", required_argument, 0, 'S' },      { "predict", required_argument, 0, 'p' },
        { "json", no_argument, 0, 'j' },            { "no-save", no_argument, 0, 'n' },
        { "budget", required_argument, 0, 'B' },    { "target-loss", required_argument, 0, 'T' },
        { "cost-flop", required_argument, 0, 1 },   { "cost-data", required_argument, 0, 2 },
        { "cost-param", required_argument, 0, 3 },  { "cost-fixed", required_argument, 0, 4 },
        { "allow-mixed", no_argument, 0, 5 },
        { "help", no_argument, 0, 'h' },            { 0, 0, 0, 0 },
    };
    Args a = { .metric = "final_test_loss", .loss_col = "loss", .x = AXIS_N, .delta = 1e-3, .boot = 1000, .save = 1,
               .budget = NAN, .target = NAN, .costs = { .flop = 1 } };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'l': a.law = optarg; break;
        case 'd': a.db = optarg; break;
        case 's': a.sweep = optarg; break;
        case 'm': a.metric = optarg; break;
        case 'w': a.where = optarg; break;
        case 'c': a.csv = optarg; break;
        case 'C': {
            char axis[32];
            Axis4 ax;
            const char *eq = strchr(optarg, '=');
            snprintf(axis, sizeof axis, "%.*s", eq ? (int)(eq - optarg) : 0, optarg);
            if (!eq || !eq[1] || axis_parse(axis, &ax) != 0)
                usage_error(CMD, "--col: expected AXIS=COLUMN with AXIS one of params, data, flops, steps, got '%s'", optarg);
            a.cols[ax] = eq + 1;
            break;
        }
        case 'L': a.loss_col = optarg; break;
        case 'K': a.cluster_col = optarg; break;
        case 'x': if (axis_parse(optarg, &a.x) != 0) usage_error(CMD, "--x: expected one of params, data, flops, steps, got '%s'", optarg); break;
        case 'D': a.delta = arg_double(CMD, "--delta", optarg, 1e-9, 10); break;
        case 'b': a.boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
        case 'S': a.seed = (unsigned long long)arg_long(CMD, "--seed", optarg, 0, 1L << 62); break;
        case 'p': a.predict = optarg; break;
        case 'j': a.json = 1; break;
        case 'n': a.save = 0; break;
        case 'B': a.budget = arg_double(CMD, "--budget", optarg, 1e-300, 1e300); break;
        case 'T': a.target = arg_double(CMD, "--target-loss", optarg, 1e-300, 1e300); break;
        case 1: a.costs.flop = arg_double(CMD, "--cost-flop", optarg, 0, 1e300); break;
        case 2: a.costs.data = arg_double(CMD, "--cost-data", optarg, 0, 1e300); break;
        case 3: a.costs.param = arg_double(CMD, "--cost-param", optarg, 0, 1e300); break;
        case 4: a.costs.fixed = arg_double(CMD, "--cost-fixed", optarg, 0, 1e300); break;
        case 5: a.allow_mixed = 1; break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a.law) usage_error(CMD, "--law: give one of power, chinchilla, kaplan, frontier, isoflop");
    int iso = !strcmp(a.law, "isoflop"), frontier = !strcmp(a.law, "frontier");
    const Law *law = iso ? NULL : law_find(frontier ? "power" : a.law);
    if (!iso && !law) usage_error(CMD, "--law: expected one of power, chinchilla, kaplan, frontier, isoflop, got '%s'", a.law);
    if (!a.db == !a.csv) usage_error(CMD, "give the points with exactly one of --db and --csv");
    if ((isfinite(a.budget) || isfinite(a.target)) && (!law || strcmp(law->name, "chinchilla")))
        usage_error(CMD, "--budget and --target-loss need --law chinchilla");
    if (a.costs.flop == 0 && a.costs.data == 0 && a.costs.param == 0)
        usage_error(CMD, "the costs are all zero: every (N, D) would be free");

    char err[2048];
    Points p;
    int rc = a.csv ? points_from_csv(a.csv, a.cols, a.loss_col, a.cluster_col, &p, err, sizeof err)
                   : points_from_store(a.db, a.sweep, a.metric, a.where, &p, err, sizeof err);
    if (rc != 0) { fprintf(stderr, "jackpot fit: %s\n", err); return 1; }

    // what the law may vary: its axes (isoflop: the size and the budget)
    int axes = 0;
    char axes_text[64] = "";
    if (iso) { axes = GROUP_AXIS_N | GROUP_AXIS_BUDGET; snprintf(axes_text, sizeof axes_text, "params and the budget"); }
    else if (law->n_x == 2) { axes = GROUP_AXIS_N | GROUP_AXIS_D; snprintf(axes_text, sizeof axes_text, "params and data"); }
    else { Axis4 x = frontier ? AXIS_C : a.x; axes = axis_fields(x); snprintf(axes_text, sizeof axes_text, "%s", axis_name(x)); }
    char *gtext = NULL;
    size_t glen = 0;
    FILE *gjson = open_memstream(&gtext, &glen);
    check_groups(&a, &p, axes, axes_text, gjson);
    fclose(gjson);
    if (frontier) points_frontier(&p);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (iso) {
        IsoResult r;
        if (isoflop_fit(&p, a.boot, a.seed, &r, err, sizeof err) != 0) { fprintf(stderr, "jackpot fit: %s\n", err); return 1; }
        write_isoflop(f, &r, &p, a.csv ? "from a CSV" : isoflop_points_kind(a.metric));
        isoflop_free(&r);
    } else {
        FitOptions o = { .law = law, .delta = a.delta, .n_boot = a.boot, .seed = a.seed };
        if (law->n_x == 1) o.axes[0] = frontier ? AXIS_C : a.x;
        else { o.axes[0] = AXIS_N; o.axes[1] = AXIS_D; }
        FitResult r;
        if (fit_law(&o, &p, NULL, &r, err, sizeof err) != 0) { fprintf(stderr, "jackpot fit: %s\n", err); return 1; }
        HeldOut h;
        char herr[512];
        int have_h = fit_heldout(&o, &p, &h, herr, sizeof herr) == 0;
        double px[2] = { NAN, NAN };
        int n_px = 0;
        if (a.predict) {
            n_px = sscanf(a.predict, "%lf,%lf", &px[0], &px[1]);
            if (n_px != law->n_x) usage_error(CMD, "--predict: expected %d value(s) for the %s law, got '%s'", law->n_x, law->name, a.predict);
        }
        write_law(f, &a, &o, &p, &r, &h, have_h, px, n_px);
        if (!have_h) { fputs(",\"heldout_refused\":", f); json_str(f, herr); }
        // E (the irreducible loss) far below every observed loss: the data show no
        // floor, E is not determined, and its interval means nothing.
        double min_loss = INFINITY;
        for (int i = 0; i < p.n; i++) if (p.loss[i] < min_loss) min_loss = p.loss[i];
        if (law != &law_kaplan && r.report[0] < 1e-3 * min_loss)
        {
            fputs(",\"warning\":", f);
            json_strf(f, "E is not determined by these data: the losses show no floor in this range (E = %.3g against a smallest loss of %.3g)",
                      r.report[0], min_loss);
        }
        // With no more seed clusters (sizes) than parameters every resample fits them all exactly:
        // the intervals then show only the spread within sizes.
        if (r.n_boot && p.n_clusters <= law->n_theta)
        {
            fputs(",\"clusters_warning\":", f);
            json_strf(f, "%d clusters for %d parameters: every bootstrap resample is fitted exactly, "
                         "so the intervals show only the spread across seeds within sizes; add sizes", p.n_clusters, law->n_theta);
        }
        if (!strcmp(law->name, "chinchilla")) {
            write_budget(f, &a, &r);
            // can α and β be told apart? Their 95% intervals overlapping says no; without a
            // bootstrap there are no intervals, and no answer (null), not a "true".
            int overlap = r.lo[3] <= r.hi[4] && r.lo[4] <= r.hi[3];
            fprintf(f, ",\"alpha_beta_distinguishable\":%s",
                    !r.n_boot || !isfinite(r.lo[3]) || !isfinite(r.lo[4]) ? "null" : overlap ? "false" : "true");
        }
        fit_result_free(&r);
    }
    fputs(gtext, f);
    free(gtext);
    fputs(",\"source\":", f);
    json_str(f, p.source);
    fputs("}", f);
    fclose(f);
    if (a.json) printf("%s\n", text);
    else fit_table_print(text, stdout);
    if (a.db && a.save) {
        Store st;
        long id;
        char *opts_json = NULL;
        size_t opts_len = 0;
        FILE *o = open_memstream(&opts_json, &opts_len);
        fputs("{\"delta\":", o); json_num(o, a.delta);
        fprintf(o, ",\"boot\":%d,\"seed\":%llu,\"metric\":", a.boot, a.seed); json_str(o, a.metric);
        fputs(",\"x\":", o); json_str(o, axis_name(a.x)); fputc('}', o);
        fclose(o);
        if (store_open(&st, a.db, 0, err, sizeof err) != 0 || store_add_fit(&st, a.law, p.source, opts_json, text, &id) != 0)
            fprintf(stderr, "jackpot fit: could not record the fit in %s: %s\n", a.db, st.db ? store_error(&st) : err);
        else if (!a.json) printf("recorded as fit %ld in %s\n", id, a.db);
        store_close(&st);
        free(opts_json);
    }
    free(text);
    points_free(&p);
    return 0;
}

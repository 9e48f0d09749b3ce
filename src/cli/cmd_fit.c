// jackpot fit: scaling laws with bootstrap intervals, a held-out check, IsoFLOP
// profiles, the compute frontier, and the budget planner.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/fit_compare.h"
#include "cli/fit_table.h"
#include "fit/analysis.h"
#include "fit/isoflop.h"
#include "store/store.h"

#define CMD "fit"

static const char HELP[] =
    "usage: jackpot fit --law LAW[,LAW...] (--db FILE [--sweep NAME] [--metric M] [--where SQL]\n"
    "                              | --csv FILE --col AXIS=NAME ... --loss-col NAME) [options]\n"
    "\n"
    "laws\n"
    "  power        L = E + A·x^−α on one axis (--x)\n"
    "  chinchilla   L = E + A/N^α + B/D^β (params and data), with the compute-optimal\n"
    "               exponents N_opt ∝ C^(β/(α+β)), D_opt ∝ C^(α/(α+β))\n"
    "  kaplan       L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D\n"
    "  bnsl         the broken law (Caballero et al. 2022) on one axis (--x), --breaks 1 or 2:\n"
    "               L = a + b·x^−c0·Π_i (1 + (x/d_i)^(1/f_i))^(−c_i·f_i); c_past = c0 + Σ c_i is\n"
    "               the exponent past the last break (also as bnsl1, bnsl2)\n"
    "  m4           (L − ε∞)/(ε0 − L)^α = β·x^c on one axis (--x), for a loss that saturates at\n"
    "               both ends (Alabdulmohsin et al. 2022)\n"
    "  data-constrained  L = E + A/N'^α + B/D'^β (Muennighoff et al. 2023) on params, unique\n"
    "               and epochs: D' = U + U·R_D*(1 − e^(−R/R_D*)) for U unique examples seen\n"
    "               R + 1 times, N' the same for parameters beyond N_opt(U) (R_N*)\n"
    "  data-constrained-d  the same with N' = N (when R_N* is not determined)\n"
    "  frontier     the lower envelope of loss against training FLOPs over every\n"
    "               evaluation, fitted as L = E + A·C^−γ (use --metric eval:val_loss)\n"
    "  isoflop      per compute budget a parabola of loss in log N; N_opt(C), D_opt(C)\n"
    "\n"
    "Method: minimise Σ Huber_δ(log L̂ − log L) with BFGS from the best 24 of a grid of\n"
    "starts (Hoffmann et al.: 4,500 for chinchilla), keep the best; bootstrap whole seed\n"
    "clusters for 95% percentile intervals; refit without the largest x and predict it.\n"
    "\n"
    "extrapolation as the score\n"
    "  --holdout-top K  the held-out check refits without the K largest distinct values of\n"
    "                   the law's first axis and predicts each (1..16)           [1]\n"
    "  --law a,b,c      compare laws: each fitted on all but the K largest values of --x\n"
    "                   (params by default; the same held-out points for every law;\n"
    "                   frontier holds out its own largest flops), ranked by the RMSE of\n"
    "                   log loss on them; laws the data cannot fit are listed with why.\n"
    "                   Recorded in the fits table as law \"holdout\"\n"
    "\n"
    "points\n"
    "  --db FILE        a jackpot database; one point per finished run\n"
    "  --sweep NAME     only this sweep's runs\n"
    "  --metric M       a summary (final_test_loss, best_val_loss, final_val_loss, …)\n"
    "                   or eval:SPLIT_NAME for every evaluation (eval:val_loss)  [final_test_loss]\n"
    "  --where SQL      a condition on runs r, e.g. \"r.depth = 2\"\n"
    "  --csv FILE       points from a CSV with a header row (published numbers, other tools)\n"
    "  --col AXIS=NAME  the column of an axis: params (N), data (D), flops (C), steps,\n"
    "                   unique (U), epochs (passes over U)\n"
    "  --loss-col NAME  the loss column                                  [loss]\n"
    "  --cluster-col N  rows with equal values resample together (default: each row alone)\n"
    "  --x AXIS         a one-input law's axis: params, data, flops, steps  [params]\n"
    "  --breaks N       bnsl: 1 or 2 breaks                               [1]\n"
    "  --allow-mixed    fit across groups of runs that differ in more than the law's axes\n"
    "                   (e.g. two learning rates): refused by default, since their runs\n"
    "                   would be pooled as if they were seeds of one configuration\n"
    "\n"
    "method and output\n"
    "  --delta X        Huber δ on log residuals                         [1e-3]\n"
    "  --boot N         bootstrap resamples, 0..100000                   [1000]\n"
    "  --seed N         bootstrap seed                                   [0]\n"
    "  --predict X[,Y]  predicted loss (with interval) at x (at N,D for two-input laws;\n"
    "                   N,U,R for data-constrained: R epochs of U unique examples)\n"
    "  --json           JSON instead of the table\n"
    "  --no-save        do not record the fit in the database's fits table\n"
    "\n"
    "budget planner (chinchilla, data-constrained): cost = cost-flop·6ND + cost-data·D + cost-param·N + cost-fixed\n"
    "  --budget X       the N, D with the lowest loss for this budget, and a table of\n"
    "                   the best loss for budgets around it\n"
    "  --target-loss X  the cheapest N, D reaching this loss\n"
    "  --cost-flop X, --cost-data X, --cost-param X, --cost-fixed X      [1, 0, 0, 0]\n"
    "  --unique U       (data-constrained) only U unique examples exist: the answer says N, the\n"
    "                   epochs over U and D = U·epochs; cost-data is paid on unique examples\n"
    "                   only, repeats cost compute (without it every example is fresh)\n";

#define LAW_NAMES "power, chinchilla, kaplan, bnsl (bnsl1, bnsl2), m4, data-constrained, data-constrained-d, frontier, isoflop"

typedef struct {
    const char *law, *db, *sweep, *metric, *where, *csv, *loss_col, *cluster_col, *predict;
    const char *cols[AXIS_COUNT];
    Axis4 x;
    double delta, budget, target, unique;
    Costs costs;
    int boot, json, save, allow_mixed, breaks;   // breaks: 0 when not given
    unsigned long long seed;
    int holdout_top, holdout_set;  // --holdout-top, and whether it was given
    int n_laws;                    // --law a,b,c: the laws compared (0: one law)
    const char *laws[COMPARE_MAX_LAWS];
    char laws_text[256];
    // from the flags
    int iso, frontier;            // --law isoflop, --law frontier
    const Law *fit_law;           // the law fitted (frontier: power); NULL for isoflop
} Args;

static void parse_col(const char *arg, Args *a) {
    char axis[32];
    Axis4 ax;
    const char *eq = strchr(arg, '=');
    snprintf(axis, sizeof axis, "%.*s", eq ? (int)(eq - arg) : 0, arg);
    if (!eq || !eq[1] || axis_parse(axis, &ax) != 0)
        usage_error(CMD, "--col: expected AXIS=COLUMN with AXIS one of params, data, flops, steps, unique, epochs, got '%s'", arg);
    a->cols[ax] = eq + 1;
}

static void parse_option(int c, char **argv, Args *a) {
    switch (c) {
    case 'l': a->law = optarg; break;
    case 'd': a->db = optarg; break;
    case 's': a->sweep = optarg; break;
    case 'm': a->metric = optarg; break;
    case 'w': a->where = optarg; break;
    case 'c': a->csv = optarg; break;
    case 'C': parse_col(optarg, a); break;
    case 'L': a->loss_col = optarg; break;
    case 'K': a->cluster_col = optarg; break;
    case 'x': if (axis_parse(optarg, &a->x) != 0) usage_error(CMD, "--x: expected one of params, data, flops, steps, got '%s'", optarg); break;
    case 'D': a->delta = arg_double(CMD, "--delta", optarg, 1e-9, 10); break;
    case 'b': a->boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
    case 'S': a->seed = (unsigned long long)arg_long(CMD, "--seed", optarg, 0, 1L << 62); break;
    case 'p': a->predict = optarg; break;
    case 'j': a->json = 1; break;
    case 'n': a->save = 0; break;
    case 'B': a->budget = arg_double(CMD, "--budget", optarg, 1e-300, 1e300); break;
    case 'T': a->target = arg_double(CMD, "--target-loss", optarg, 1e-300, 1e300); break;
    case 1: a->costs.flop = arg_double(CMD, "--cost-flop", optarg, 0, 1e300); break;
    case 2: a->costs.data = arg_double(CMD, "--cost-data", optarg, 0, 1e300); break;
    case 3: a->costs.param = arg_double(CMD, "--cost-param", optarg, 0, 1e300); break;
    case 4: a->costs.fixed = arg_double(CMD, "--cost-fixed", optarg, 0, 1e300); break;
    case 5: a->allow_mixed = 1; break;
    case 6: a->breaks = (int)arg_long(CMD, "--breaks", optarg, 1, 2); break;
    case 7: a->unique = arg_double(CMD, "--unique", optarg, 1, 1e300); break;
    case 8: a->holdout_top = (int)arg_long(CMD, "--holdout-top", optarg, 1, HOLDOUT_MAX_K); a->holdout_set = 1; break;
    case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
    default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
}

// --law a,b,c: the laws compared, each a law of the table or frontier (isoflop fits no law).
static void parse_law_list(Args *a) {
    snprintf(a->laws_text, sizeof a->laws_text, "%s", a->law);
    if (strlen(a->law) >= sizeof a->laws_text) usage_error(CMD, "--law: the list '%s' is too long", a->law);
    for (char *save = NULL, *t = strtok_r(a->laws_text, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (a->n_laws == COMPARE_MAX_LAWS) usage_error(CMD, "--law: at most %d laws to compare, got '%s'", COMPARE_MAX_LAWS, a->law);
        const char *name = !strcmp(t, "bnsl") ? (a->breaks == 2 ? "bnsl2" : "bnsl1") : t;
        if (strcmp(name, "frontier") && !law_find(name))
            usage_error(CMD, "--law: '%s' in '%s' is not a law to compare: expected %s", t, a->law,
                        "power, chinchilla, kaplan, bnsl (bnsl1, bnsl2), m4, data-constrained, data-constrained-d or frontier");
        for (int i = 0; i < a->n_laws; i++)
            if (!strcmp(a->laws[i], name)) usage_error(CMD, "--law: '%s' twice in '%s'", name, a->law);
        a->laws[a->n_laws++] = name;
    }
    if (a->n_laws < 2) usage_error(CMD, "--law: expected two or more laws separated by commas, got '%s'", a->law);
}

// The flags into a; returns 1 when --help was asked (and printed).
static int parse_args(int argc, char **argv, Args *a) {
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
        { "allow-mixed", no_argument, 0, 5 },       { "breaks", required_argument, 0, 6 },
        { "unique", required_argument, 0, 7 },      { "holdout-top", required_argument, 0, 8 },
        { "help", no_argument, 0, 'h' },            { 0, 0, 0, 0 },
    };
    *a = (Args){ .metric = "final_test_loss", .loss_col = "loss", .x = AXIS_N, .delta = 1e-3, .boot = 1000, .save = 1,
                 .budget = NAN, .target = NAN, .unique = NAN, .costs = { .flop = 1 }, .holdout_top = 1 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'h') { fputs(HELP, stdout); return 1; }
        parse_option(c, argv, a);
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!a->law) usage_error(CMD, "--law: give one of " LAW_NAMES);
    if (a->breaks && !strstr(a->law, "bnsl")) usage_error(CMD, "--breaks: only with --law bnsl");
    if (!strcmp(a->law, "bnsl")) a->law = a->breaks == 2 ? "bnsl2" : "bnsl1";
    if (strchr(a->law, ',')) parse_law_list(a);
    a->iso = !strcmp(a->law, "isoflop");
    a->frontier = !strcmp(a->law, "frontier");
    const char *first = a->n_laws ? a->laws[0] : a->law;   // a comparison's first law sets the groups' check
    a->fit_law = a->iso ? NULL : law_find(!strcmp(first, "frontier") ? "power" : first);
    if (!a->iso && !a->fit_law) usage_error(CMD, "--law: expected one of " LAW_NAMES ", got '%s'", a->law);
    int limited = a->fit_law && law_has_data_limit(a->fit_law);
    if (!isnan(a->unique) && (!limited || a->n_laws))
        usage_error(CMD, "--unique: the data limit needs --law data-constrained (or data-constrained-d), not %s", a->law);
    if (!isnan(a->unique) && !isfinite(a->budget) && !isfinite(a->target))
        usage_error(CMD, "--unique: give --budget and/or --target-loss with it");
    if (!a->db == !a->csv) usage_error(CMD, "give the points with exactly one of --db and --csv");
    if (a->iso && a->holdout_set) usage_error(CMD, "--holdout-top: isoflop fits a parabola per budget, no law to hold sizes out of");
    if (a->n_laws && (isfinite(a->budget) || isfinite(a->target) || a->predict))
        usage_error(CMD, "--law %s compares laws: --budget, --target-loss and --predict ask one law (give one)", a->law);
    if ((isfinite(a->budget) || isfinite(a->target)) && (!a->fit_law || (strcmp(a->fit_law->name, "chinchilla") && !limited)))
        usage_error(CMD, "--budget and --target-loss need --law chinchilla or data-constrained");
    if (a->costs.flop == 0 && a->costs.data == 0 && a->costs.param == 0)
        usage_error(CMD, "the costs are all zero: every (N, D) would be free");
    return 0;
}

// After a refusal: what data the law needs and which example makes it, so the message names a way
// forward and not only what is missing.
static void way_forward(const Args *a) {
    if (a->iso)
        fputs("  an IsoFLOP fit needs, at each of at least 3 compute budgets, at least 3 model sizes trained to that "
              "budget around its optimum: examples/lm_isoflop.yaml is such a design (budget.flops × model sizes, "
              "about 14 min on 2 cores); --law frontier fits L(C) from any runs\n", stderr);
    else if (law_has_data_limit(a->fit_law))
        fprintf(stderr, "  the %s law L(N, U, R) needs runs at several model sizes, each at several epochs over a fixed "
                        "unique-data size (columns unique and epochs, --col unique=U --col epochs=R from a CSV): "
                        "examples/repeat_data.yaml trains such a design\n", a->fit_law->name);
    else if (a->fit_law->n_x > 1)
        fprintf(stderr, "  the %s law L(N, D) needs runs at several model sizes and several data sizes (task.train_size, "
                        "or budget.flops for language models): examples/nxd_grid.yaml trains such a grid (about 35 s); "
                        "for L(N) alone, --law power --x params\n", a->fit_law->name);
}

// The law's fit and what is asked of it; 0, or 1 after printing why not (the exit status).
static int run_law(const Args *a, const Points *p, LawAnalysis *an) {
    FitOptions o = { .law = a->fit_law, .delta = a->delta, .n_boot = a->boot, .seed = a->seed };
    fit_options_axes(&o, a->frontier ? AXIS_C : a->x);
    double px[3] = { NAN, NAN, NAN };
    int n_px = a->predict ? sscanf(a->predict, "%lf,%lf,%lf", &px[0], &px[1], &px[2]) : 0;
    FitQuestions q = { .predict = a->predict && n_px == o.law->n_x ? px : NULL, .budget = a->budget, .target = a->target,
                       .costs = a->costs, .unique = a->unique, .holdout_top = a->holdout_top };
    if (law_analysis_run(&o, p, &q, an) != 0) {
        fprintf(stderr, "jackpot fit: %s\n", jp_error());
        way_forward(a);
        return 1;
    }
    if (a->predict && n_px != o.law->n_x)
        usage_error(CMD, "--predict: expected %d value(s) for the %s law, got '%s'", o.law->n_x, o.law->name, a->predict);
    return 0;
}

// Records the fit (its JSON text) in the database's fits table.
static void save_fit(const Args *a, const Points *p, const char *text) {
    Store st;
    long id;
    char *opts_json = NULL;
    size_t opts_len = 0;
    FILE *o = open_memstream(&opts_json, &opts_len);
    fputs("{\"delta\":", o); json_num(o, a->delta);
    fprintf(o, ",\"boot\":%d,\"seed\":%llu,\"metric\":", a->boot, a->seed); json_str(o, a->metric);
    fputs(",\"x\":", o); json_str(o, axis_name(a->x));
    fprintf(o, ",\"holdout_top\":%d", a->holdout_top);
    if (a->n_laws) { fputs(",\"laws\":", o); json_str(o, a->law); }
    fputc('}', o);
    fclose(o);
    if (store_open(&st, a->db, 0) != 0 || store_add_fit(&st, a->n_laws ? "holdout" : a->law, p->source, opts_json, text, &id) != 0)
        fprintf(stderr, "jackpot fit: could not record the fit in %s: %s\n", a->db, jp_error());
    else if (!a->json) printf("recorded as fit %ld in %s\n", id, a->db);
    store_close(&st);
    free(opts_json);
}

// The points, and the check that their groups differ only in the law's axes; 0, or 1 after
// printing why not.
static int load_points(const Args *a, Points *p, GroupCheck *g) {
    int rc = a->csv ? points_from_csv(a->csv, a->cols, a->loss_col, a->cluster_col, p)
                    : points_from_store(a->db, a->sweep, a->metric, a->where, p);
    if (rc != 0) { fprintf(stderr, "jackpot fit: %s\n", jp_error()); return 1; }
    char axes_text[64];
    int axes = fit_group_axes(a->fit_law, a->frontier || (a->n_laws && !strcmp(a->laws[0], "frontier")) ? AXIS_C : a->x,
                              axes_text, sizeof axes_text);
    for (int i = 1; i < a->n_laws; i++) {   // compared laws: what any of them may vary
        char t[64];
        int fr = !strcmp(a->laws[i], "frontier"), ax = fit_group_axes(law_find(fr ? "power" : a->laws[i]), fr ? AXIS_C : a->x, t, sizeof t);
        if (ax & ~axes) { axes |= ax; snprintf(axes_text, sizeof axes_text, "%s", t); }
    }
    if (fit_check_groups(a->db, p, axes, axes_text, a->allow_mixed, g) != 0 || g->refused) {
        if (g->refused) fprintf(stderr, "jackpot fit: %s\n", g->refused);
        else fprintf(stderr, "jackpot fit: %s: %s\n", a->db, jp_error());
        group_check_free(g);
        points_free(p);
        return 1;
    }
    if (a->frontier) points_frontier(p);
    return 0;
}

// The analysis into v (its results in law or iso); 0, or 1 after printing why not.
static int analyse(const Args *a, const Points *p, LawAnalysis *law, IsoResult *iso, FitView *v) {
    if (!a->iso) {
        v->law = law;
        return run_law(a, p, law);
    }
    if (isoflop_fit(p, a->boot, a->seed, iso) != 0) {
        fprintf(stderr, "jackpot fit: %s\n", jp_error());
        way_forward(a);
        return 1;
    }
    v->iso = iso;
    v->iso_kind = a->csv ? "from a CSV" : isoflop_points_kind(a->metric);
    return 0;
}

// --holdout-top K given: the points must have more than K distinct values of the split axis
// (the K held out and something to fit), else the flag asked the impossible.
static void check_holdout_top(const Args *a, const Points *p) {
    Axis4 split = a->n_laws ? a->x : a->frontier ? AXIS_C : a->fit_law->n_x > 1 ? AXIS_N : a->x;
    int d = holdout_distinct(p, split);
    if (a->holdout_set && a->holdout_top >= d)
        usage_error(CMD, "--holdout-top %d: the points have %d distinct value%s of %s; hold out fewer than that",
                    a->holdout_top, d, d == 1 ? "" : "s", axis_name(split));
}

// --law a,b,c: the laws compared by extrapolation, printed and recorded (law "holdout"); 1 when
// the data let none of them be fitted and scored.
static int compare_laws(const Args *a, const Points *p, const GroupCheck *g) {
    FitOptions base = { .delta = a->delta, .n_boot = a->boot, .seed = a->seed };
    FitComparison c;
    fit_compare_run(a->laws, a->n_laws, &base, a->x, a->holdout_top, p, &c);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fit_compare_json(f, &c, g);
    fclose(f);
    int ranked = 0;   // none: every law refused, nothing to record, and the exit status says so
    for (int i = 0; i < c.n; i++) ranked += c.e[i].ok;
    if (a->json) printf("%s\n", text);
    else fit_compare_table(stdout, &c, g);
    if (a->db && a->save && ranked) save_fit(a, p, text);
    free(text);
    fit_compare_free(&c);
    return ranked ? 0 : 1;
}

int cmd_fit(int argc, char **argv) {
    Args a;
    if (parse_args(argc, argv, &a)) return 0;
    Points p;
    GroupCheck g;
    if (load_points(&a, &p, &g) != 0) return 1;
    if (!a.iso) check_holdout_top(&a, &p);
    if (a.n_laws) {
        int rc = compare_laws(&a, &p, &g);
        group_check_free(&g);
        points_free(&p);
        return rc;
    }
    LawAnalysis law = { 0 };
    IsoResult iso = { 0 };
    FitView v = { .points = &p, .groups = &g };
    int rc = analyse(&a, &p, &law, &iso, &v);
    if (rc == 0) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        fit_json_write(f, &v);
        fclose(f);
        if (a.json) printf("%s\n", text);
        else fit_table_print(stdout, &v);
        if (a.db && a.save) save_fit(&a, &p, text);
        free(text);
    }
    isoflop_free(&iso);
    law_analysis_free(&law);
    group_check_free(&g);
    points_free(&p);
    return rc;
}

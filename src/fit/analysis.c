#include "fit/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/read_fit.h"

int fit_group_axes(const Law *law, Axis4 x, char *text, size_t len) {
    if (!law) { snprintf(text, len, "params and the budget"); return GROUP_AXIS_N | GROUP_AXIS_BUDGET; }
    if (law->n_x == 2) { snprintf(text, len, "params and data"); return GROUP_AXIS_N | GROUP_AXIS_D; }
    if (law->n_x == 3) { snprintf(text, len, "params, unique data and epochs"); return GROUP_AXIS_N | GROUP_AXIS_D | GROUP_AXIS_BUDGET; }
    snprintf(text, len, "%s", axis_name(x));
    return x == AXIS_N ? GROUP_AXIS_N : x == AXIS_D ? GROUP_AXIS_D : x == AXIS_STEPS ? GROUP_AXIS_BUDGET
                                                                 : GROUP_AXIS_N | GROUP_AXIS_D | GROUP_AXIS_BUDGET;
}

// A field that differs between groups at equal axis values is confounded: refused unless
// allow_mixed (then a warning); one that only co-varies with the axes (a learning rate set
// per width) is named in a note.
int fit_check_groups(const char *db, const Points *p, int axes, const char *axes_text, int allow_mixed, GroupCheck *g) {
    memset(g, 0, sizeof *g);
    if (!p->group || p->n_clusters < 2) return 0;
    GroupDiff d;
    if (store_read_group_diff(db, (const char (*)[17])p->group, p->n_clusters, &d) != 0) return -1;
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov;
    group_diff_split(&d, axes, conf, &n_conf, cov, &n_cov);
    char what[1024], where[512];
    g->n_groups = d.n_groups;
    if (n_conf) {
        group_diff_describe(&d, conf, n_conf, what, sizeof what);
        group_diff_suggest_where(&d, conf, n_conf, where, sizeof where);
        if (!allow_mixed)
            g->refused = xasprintf("the %d groups of runs differ in %s, not only in the law's axes (%s): one law across "
                                   "them would pool runs of different settings as seeds of one point. Select one with --where %s"
                                   " (or --sweep NAME), or pass --allow-mixed to fit across them anyway.",
                                   d.n_groups, what, axes_text, where);
        else
            g->warning = xasprintf("%s differ between groups at equal axis values; fitted across them (--allow-mixed)", what);
    }
    if (n_cov) {
        group_diff_describe(&d, cov, n_cov, what, sizeof what);
        g->covary = xasprintf("%s change with the %s: the law absorbs them", what, axes_text);
    }
    group_diff_free(&d);
    return 0;
}

void group_check_free(GroupCheck *g) {
    free(g->refused); free(g->warning); free(g->covary);
    memset(g, 0, sizeof *g);
}

void fit_options_axes(FitOptions *o, Axis4 x) {
    if (o->law->n_x == 1) o->axes[0] = x;
    else if (o->law->n_x == 2) { o->axes[0] = AXIS_N; o->axes[1] = AXIS_D; }
    else { o->axes[0] = AXIS_N; o->axes[1] = AXIS_UNIQUE; o->axes[2] = AXIS_EPOCHS; }
}

void fit_prediction(const Law *law, const FitResult *r, const double *x, FitPrediction *pr) {
    pr->n_x = law->n_x;
    for (int k = 0; k < 3; k++) pr->x[k] = k < law->n_x ? x[k] : NAN;
    double *v = xmalloc(sizeof(double) * (r->n_boot + 1));
    for (int b = 0; b < r->n_boot; b++) v[b] = fit_predict(law, r->boot_theta + (size_t)b * law->n_theta, x);
    pr->lo = pr->hi = NAN;
    if (r->n_boot) percentile_interval(v, r->n_boot, &pr->lo, &pr->hi);
    pr->loss = fit_predict(law, r->theta, x);
    free(v);
}

// What the data cannot determine: E (the irreducible loss) far below every observed loss means
// the losses show no floor in this range, so E and its interval mean nothing; with no more seed
// clusters (sizes) than parameters every resample fits them all exactly, and the intervals then
// show only the spread within sizes.
static void data_warnings(const Points *p, LawAnalysis *a) {
    const Law *L = a->o.law;
    double min_loss = INFINITY;
    for (int i = 0; i < p->n; i++) if (p->loss[i] < min_loss) min_loss = p->loss[i];
    if (L != &law_kaplan && a->r.report[0] < 1e-3 * min_loss)
        a->e_warning = xasprintf("E is not determined by these data: the losses show no floor in this range "
                                 "(E = %.3g against a smallest loss of %.3g)", a->r.report[0], min_loss);
    if (a->r.n_boot && p->n_clusters <= L->n_theta)
        a->clusters_warning = xasprintf("%d clusters for %d parameters: every bootstrap resample is fitted exactly, "
                                        "so the intervals show only the spread across seeds within sizes; add sizes",
                                        p->n_clusters, L->n_theta);
}

// Chinchilla's budget questions, and whether α and β (report[3], report[4]) can be told apart:
// their 95% intervals overlapping says no; without a bootstrap there is no answer.
static void chinchilla_questions(const FitQuestions *q, LawAnalysis *a) {
    const FitResult *r = &a->r;
    a->has_budget = isfinite(q->budget);
    a->has_target = isfinite(q->target);
    if (a->has_budget) {
        budget_answer(budget_best, r->theta, r->boot_theta, r->n_boot, &q->costs, q->budget, &a->best);
        budget_curve(r->theta, &q->costs, q->budget, a->curve);
    }
    if (a->has_target) budget_answer(budget_cheapest, r->theta, r->boot_theta, r->n_boot, &q->costs, q->target, &a->cheapest);
    int overlap = r->lo[3] <= r->hi[4] && r->lo[4] <= r->hi[3];
    a->alpha_beta = !r->n_boot || !isfinite(r->lo[3]) || !isfinite(r->lo[4]) ? -1 : !overlap;
}

int law_has_data_limit(const Law *law) { return law == &law_datacon || law == &law_datacon_d; }

// The data-constrained law's budget questions with U = q->unique unique examples (fit/budget.h).
static void datacon_questions(const FitQuestions *q, LawAnalysis *a) {
    const FitResult *r = &a->r;
    DataLimit l = { a->o.law, q->unique > 0 ? q->unique : INFINITY };
    a->has_budget = isfinite(q->budget);
    a->has_target = isfinite(q->target);
    if (a->has_budget) budget_answer_limited(0, &l, r->theta, r->boot_theta, r->n_boot, &q->costs, q->budget, &a->best);
    if (a->has_target) budget_answer_limited(1, &l, r->theta, r->boot_theta, r->n_boot, &q->costs, q->target, &a->cheapest);
}

int law_analysis_run(const FitOptions *o, const Points *p, const FitQuestions *q, LawAnalysis *a) {
    memset(a, 0, sizeof *a);
    a->o = *o;
    a->alpha_beta = -1;
    if (fit_law(o, p, NULL, &a->r) != 0) return -1;
    int k = q->holdout_top > 0 ? q->holdout_top : 1;
    a->have_heldout = fit_holdout(o, p, o->axes[0], k, &a->holdout) == 0;
    if (a->have_heldout) a->heldout = a->holdout.at[k - 1];
    if (!a->have_heldout) snprintf(a->heldout_refused, sizeof a->heldout_refused, "%s", jp_error());
    if (q->predict) fit_prediction(o->law, &a->r, q->predict, &a->prediction);
    data_warnings(p, a);
    if (o->law == &law_chinchilla) chinchilla_questions(q, a);
    if (law_has_data_limit(o->law)) datacon_questions(q, a);
    return 0;
}

void law_analysis_free(LawAnalysis *a) {
    fit_result_free(&a->r);
    holdout_free(&a->holdout);
    free(a->e_warning);
    free(a->clusters_warning);
    memset(a, 0, sizeof *a);
}

#include "cli/fit_table.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/json.h"
#include "base/utf8.h"

// ---- the JSON record

static void json_estimate(FILE *f, const char *key, double est, double lo, double hi) {
    json_key(f, key);
    fputs("{\"estimate\":", f); json_num(f, est);
    fputs(",\"lo\":", f); json_num(f, lo);
    fputs(",\"hi\":", f); json_num(f, hi);
    fputc('}', f);
}

static void json_fit(FILE *f, const Points *p, const LawAnalysis *a) {
    const Law *L = a->o.law;
    const FitResult *r = &a->r;
    fprintf(f, "{\"law\":\"%s\",\"points\":%d,\"clusters\":%d,\"delta\":", L->name, p->n, p->n_clusters);
    json_num(f, a->o.delta);
    fprintf(f, ",\"starts\":%d,\"converged\":%d,\"bootstrap\":%d,\"x\":[", r->starts, r->converged, r->n_boot);
    for (int k = 0; k < L->n_x; k++) fprintf(f, "%s\"%s\"", k ? "," : "", axis_name(a->o.axes[k]));
    fputs("],\"parameters\":{", f);
    for (int j = 0; j < L->n_report; j++) {
        if (j) fputc(',', f);
        json_estimate(f, L->report_names[j], r->report[j], r->lo[j], r->hi[j]);
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
}

// The held-out check's score (fit/holdout.h), and with K > 1 every held-out value (the fields
// before it describe the largest).
static void json_holdout_score(FILE *f, const Holdout *H) {
    fprintf(f, ",\"holdout_top\":%d,\"rmse_log\":", H->k); json_num(f, H->rmse_log);
    fputs(",\"mean_abs_relative_error\":", f); json_num(f, H->mean_abs_rel);
    fprintf(f, ",\"covered\":%d,\"with_interval\":%d", H->covered, H->with_interval);
    if (H->k < 2) return;
    fputc(',', f);
    fit_json_heldout_points(f, H);
}

void fit_json_heldout_points(FILE *f, const Holdout *H) {
    fputs("\"at\":[", f);
    for (int j = 0; j < H->k; j++) {
        const HeldOut *h = &H->at[j];
        fputs(j ? ",{\"x\":" : "{\"x\":", f); json_num(f, h->x);
        fprintf(f, ",\"points\":%d,\"observed\":", h->n_held); json_num(f, h->observed);
        fputs(",\"predicted\":", f); json_num(f, h->predicted);
        fputs(",\"lo\":", f); json_num(f, h->lo);
        fputs(",\"hi\":", f); json_num(f, h->hi);
        fputs(",\"relative_error\":", f); json_num(f, h->rel_error);
        fprintf(f, ",\"covered\":%s}", h->covered < 0 ? "null" : h->covered ? "true" : "false");
    }
    fputs("]", f);
}

static void json_heldout_prediction(FILE *f, const LawAnalysis *a) {
    const HeldOut *h = &a->heldout;
    const FitPrediction *pr = &a->prediction;
    if (a->have_heldout) {
        fputs(",\"heldout\":{\"x\":", f); json_num(f, h->x);
        fprintf(f, ",\"points\":%d,\"observed\":", h->n_held); json_num(f, h->observed);
        fputs(",\"predicted\":", f); json_num(f, h->predicted);
        fputs(",\"lo\":", f); json_num(f, h->lo);
        fputs(",\"hi\":", f); json_num(f, h->hi);
        fputs(",\"relative_error\":", f); json_num(f, h->rel_error);
        json_holdout_score(f, &a->holdout);
        fputs("}", f);
    }
    if (pr->n_x) {
        fputs(",\"prediction\":{\"x\":[", f);
        for (int k = 0; k < pr->n_x; k++) { if (k) fputc(',', f); json_num(f, pr->x[k]); }
        fputs("],\"loss\":", f); json_num(f, pr->loss);
        fputs(",\"lo\":", f); json_num(f, pr->lo);
        fputs(",\"hi\":", f); json_num(f, pr->hi);
        fputs("}", f);
    }
    if (!a->have_heldout) { fputs(",\"heldout_refused\":", f); json_str(f, a->heldout_refused); }
}

// `"key":{"arg_name":arg, …, N, D, value_name}` each as estimate [lo, hi]; the closing brace is left to the caller.
static void json_answer(FILE *f, const BudgetAnswer *b, const char *key, const char *arg_name, const char *value_name) {
    fprintf(f, ",\"%s\":{\"%s\":", key, arg_name);
    json_num(f, b->arg);
    fprintf(f, ",\"reachable\":%s,\"bootstrap_reachable\":%d", b->reachable ? "true" : "false", b->boot_reachable);
    fputc(',', f); json_estimate(f, "N", b->N.estimate, b->N.lo, b->N.hi);
    fputc(',', f); json_estimate(f, "D", b->D.estimate, b->D.lo, b->D.hi);
    fputc(',', f); json_estimate(f, value_name, b->value.estimate, b->value.lo, b->value.hi);
    if (!isnan(b->unique)) {   // the data-constrained planner: its data limit and the epochs over it
        fputs(",\"unique\":", f); json_num(f, b->unique);
        fputc(',', f); json_estimate(f, "epochs", b->epochs.estimate, b->epochs.lo, b->epochs.hi);
    }
}

// (i) the best loss for the budget, with the loss-vs-budget curve; (ii) the cheapest way to the target.
static void json_budget(FILE *f, const LawAnalysis *a) {
    if (a->has_budget && a->o.law != &law_chinchilla) {
        json_answer(f, &a->best, "best_for_budget", "budget", "loss");
        fputs("}", f);
    } else if (a->has_budget) {
        json_answer(f, &a->best, "best_for_budget", "budget", "loss");
        fputs(",\"curve\":[", f);
        for (int i = 0; i < BUDGET_CURVE; i++) {
            const BudgetCurvePoint *c = &a->curve[i];
            fprintf(f, "%s{\"budget\":", i ? "," : ""); json_num(f, c->budget);
            fputs(",\"N\":", f); json_num(f, c->N);
            fputs(",\"D\":", f); json_num(f, c->D);
            fputs(",\"loss\":", f); json_num(f, c->loss);
            fputs("}", f);
        }
        fputs("]}", f);
    }
    if (a->has_target) {
        json_answer(f, &a->cheapest, "cheapest_for_target", "target_loss", "cost");
        fputs("}", f);
    }
}

static void json_law(FILE *f, const Points *p, const LawAnalysis *a) {
    json_fit(f, p, a);
    json_heldout_prediction(f, a);
    if (a->e_warning) { fputs(",\"warning\":", f); json_str(f, a->e_warning); }
    if (a->clusters_warning) { fputs(",\"clusters_warning\":", f); json_str(f, a->clusters_warning); }
    if (law_has_data_limit(a->o.law)) json_budget(f, a);
    if (a->o.law == &law_chinchilla) {
        json_budget(f, a);
        fprintf(f, ",\"alpha_beta_distinguishable\":%s", a->alpha_beta < 0 ? "null" : a->alpha_beta ? "true" : "false");
    }
}

static void json_isoflop(FILE *f, const Points *p, const IsoResult *r, const char *kind) {
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
    fputc(']', f);
    fputc(',', f); json_estimate(f, "N_opt_exponent", r->n_exp, r->n_lo, r->n_hi);
    fputc(',', f); json_estimate(f, "D_opt_exponent", r->d_exp, r->d_lo, r->d_hi);
    fputs(",\"N_opt_coefficient\":", f); json_num(f, r->n_coef);
}

void fit_json_write(FILE *f, const FitView *v) {
    if (v->law) json_law(f, v->points, v->law);
    else json_isoflop(f, v->points, v->iso, v->iso_kind);
    const GroupCheck *g = v->groups;
    if (g->n_groups) {
        fprintf(f, ",\"groups\":%d", g->n_groups);
        if (g->warning) { fputs(",\"groups_warning\":", f); json_str(f, g->warning); }
        if (g->covary) { fputs(",\"groups_covary\":", f); json_str(f, g->covary); }
    }
    fputs(",\"source\":", f);
    json_str(f, v->points->source);
    fputs("}", f);
}

// ---- the table: what the record holds, so the table and --json can never disagree

// A number as the record gives it back: JSON has no NaN or ±inf (null, read as NaN) …
static double rec(double v) { return isfinite(v) ? v : NAN; }
// … or, where the table reads a column's double directly, null reads as 0.
static double rec0(double v) { return isfinite(v) ? v : 0; }

// A text as the record gives it back (json_str writes a byte that is not UTF-8 as U+FFFD), at
// most max bytes of it.
static void put_text(FILE *o, const char *s, size_t max) {
    size_t left = strlen(s), w = 0;
    while (left && w < max) {
        int n = utf8_sequence(s, left, NULL);
        const char *b = n ? s : "\xef\xbf\xbd";
        for (int i = 0; i < (n ? n : 3) && w < max; i++, w++) fputc(b[i], o);
        s += n ? n : 1;
        left -= n ? (size_t)n : 1;
    }
}

static void interval(FILE *o, const char *name, double est, double lo, double hi) {
    fprintf(o, "  %-22s %12.5g", name, rec(est));
    // Every resample within a millionth of the estimate: the optimiser stopped at the edge of the parameter's range
    // (E → 0 when the data show no floor), not a value known exactly.
    if (isfinite(lo) && fabs(hi - lo) <= 1e-6 * fabs(est) && fabs(est - lo) <= 1e-6 * fabs(est)) fprintf(o, "   [%.5g, %.5g] every resample at the edge of its range: not determined\n", lo, rec(hi));
    else if (isfinite(lo)) fprintf(o, "   [%.5g, %.5g]\n", lo, rec(hi));
    else fprintf(o, "\n");
}

// What the groups of runs behind the fit differ in besides the law's axes (GroupCheck).
static void group_lines(FILE *o, const GroupCheck *g) {
    if (g->warning && g->warning[0]) { fputs("  WARNING: ", o); put_text(o, g->warning, 1199); fputc('\n', o); }
    if (g->covary && g->covary[0]) {
        fprintf(o, "  note: %d groups of runs; ", g->n_groups);
        put_text(o, g->covary, 1199);
        fputc('\n', o);
    }
}

static void table_header(FILE *o, const char *law, const Points *p) {
    fprintf(o, "law %s on %d points from ", law, p->n);
    put_text(o, p->source, 511);
    fputc('\n', o);
}

static void table_isoflop(FILE *o, const FitView *v) {
    const IsoResult *r = v->iso;
    table_header(o, "isoflop", v->points);
    fputs("  points: ", o);
    put_text(o, v->iso_kind, 299);
    fputc('\n', o);
    fprintf(o, "  %-12s %6s %6s %12s %12s %10s\n", "budget C", "points", "sizes", "N_opt", "D_opt", "L_opt");
    for (int g = 0; g < r->n_budgets; g++) {
        const IsoBudget *b = &r->budgets[g];
        fprintf(o, "  %-12.4g %6d %6d", rec0(b->C), b->n_points, b->n_sizes);
        if (b->ok) fprintf(o, " %12.4g %12.4g %10.5g\n", rec0(b->N_opt), rec0(b->D_opt), rec0(b->L_opt));
        else { fputs("  refused: ", o); put_text(o, b->reason, SIZE_MAX); fputc('\n', o); }
    }
    interval(o, "N_opt ∝ C^a: a", r->n_exp, rec(r->n_lo), r->n_hi);
    interval(o, "D_opt ∝ C^b: b", r->d_exp, rec(r->d_lo), r->d_hi);
    group_lines(o, v->groups);
}

static void table_parameters(FILE *o, const Points *p, const LawAnalysis *a) {
    const Law *L = a->o.law;
    const FitResult *r = &a->r;
    fprintf(o, "  Huber δ = %g on log loss; %d starts (%d converged); %d bootstrap resamples over %d clusters\n",
            a->o.delta, r->starts, r->converged, r->n_boot, p->n_clusters);
    fprintf(o, "  %-22s %12s   %s\n", "parameter", "estimate", "95% interval");
    for (int j = 0; j < L->n_report; j++) interval(o, L->report_names[j], rec0(r->report[j]), rec(r->lo[j]), r->hi[j]);
    double rms = 0, worst = 0, n = 0;
    for (int i = 0; i < r->n; i++) {
        double e = rec0(r->residuals[i]);
        rms += e * e; n++;
        if (fabs(e) > worst) worst = fabs(e);
    }
    fprintf(o, "  R² (log space) %.4f; log residuals: rms %.4f, max |r| %.4f\n", rec(r->r2_log), sqrt(rms / n), worst);
}

// --holdout-top K > 1: the score, then each held-out value.
static void table_holdout(FILE *o, const Holdout *H) {
    fprintf(o, "  held out: the %d largest x (%d points) refitted without: RMSE of log loss %.5f, mean |error| %.2f%%",
            H->k, H->n_held, rec(H->rmse_log), 100 * rec(H->mean_abs_rel));
    if (H->with_interval) fprintf(o, ", %d/%d inside their 95%% interval\n", H->covered, H->k);
    else fputs(" (no bootstrap: no intervals)\n", o);
    for (int j = 0; j < H->k; j++) {
        const HeldOut *h = &H->at[j];
        fprintf(o, "    x = %-10.4g (%d points): observed %.5g, predicted %.5g [%.5g, %.5g], error %+.2f%%\n", h->x, h->n_held,
                rec(h->observed), rec(h->predicted), rec(h->lo), rec(h->hi), 100 * rec(h->rel_error));
    }
}

static void table_heldout_prediction(FILE *o, const LawAnalysis *a) {
    const HeldOut *h = &a->heldout;
    const FitPrediction *pr = &a->prediction;
    if (a->have_heldout && a->holdout.k > 1) table_holdout(o, &a->holdout);
    else if (a->have_heldout && isfinite(h->x))
        fprintf(o, "  held out: the largest x = %.4g (%d points) refitted without: observed %.5g, predicted %.5g [%.5g, %.5g], error %+.2f%%\n",
                h->x, h->n_held, rec(h->observed), rec(h->predicted), rec(h->lo), rec(h->hi), 100 * rec(h->rel_error));
    else if (!a->have_heldout && a->heldout_refused[0]) {
        fputs("  held out: not possible: ", o);
        put_text(o, a->heldout_refused, 511);
        fputc('\n', o);
    }
    if (pr->n_x && isfinite(pr->loss)) {
        char at[64];
        if (pr->n_x > 2) snprintf(at, sizeof at, "(N %.4g, U %.4g, epochs %.4g)", rec(pr->x[0]), pr->x[1], pr->x[2]);
        else if (pr->n_x > 1 && isfinite(pr->x[1])) snprintf(at, sizeof at, "(%.4g, %.4g)", rec(pr->x[0]), pr->x[1]);
        else snprintf(at, sizeof at, "%.4g", rec(pr->x[0]));
        fprintf(o, "  predicted loss at %s: %.5g [%.5g, %.5g]\n", at, pr->loss, rec(pr->lo), rec(pr->hi));
    }
}

static void table_warning(FILE *o, const char *w) {
    if (!w || !w[0]) return;
    fputs("  warning: ", o);
    put_text(o, w, 511);
    fputc('\n', o);
}

static void table_answer(FILE *o, const BudgetAnswer *b, const char *value_name) {
    interval(o, "N", b->N.estimate, rec(b->N.lo), b->N.hi);
    interval(o, "D", b->D.estimate, rec(b->D.lo), b->D.hi);
    interval(o, value_name, b->value.estimate, rec(b->value.lo), b->value.hi);
    if (!isnan(b->unique) && isfinite(b->unique)) interval(o, "epochs", b->epochs.estimate, rec(b->epochs.lo), b->epochs.hi);
}

static void table_budget(FILE *o, const LawAnalysis *a) {
    if (a->has_budget && isfinite(a->best.arg)) {
        fprintf(o, "budget %.4g: the lowest loss\n", a->best.arg);
        table_answer(o, &a->best, "loss");
        if (a->o.law == &law_chinchilla) fprintf(o, "  %12s %12s %12s %10s\n", "budget", "N", "D", "loss");
        for (int i = 0; i < BUDGET_CURVE && a->o.law == &law_chinchilla; i++) {
            const BudgetCurvePoint *c = &a->curve[i];
            if (!isfinite(c->N)) fprintf(o, "  %12.4g  (infeasible)\n", rec0(c->budget));
            else fprintf(o, "  %12.4g %12.4g %12.4g %10.5g\n", rec0(c->budget), c->N, rec0(c->D), rec0(c->loss));
        }
    }
    if (a->has_target && isfinite(a->cheapest.arg)) {
        fprintf(o, "target loss %.5g: the cheapest way%s\n", a->cheapest.arg,
                a->cheapest.reachable ? "" : ": UNREACHABLE (below the fitted irreducible loss E)");
        table_answer(o, &a->cheapest, "cost");
    }
}

static void table_law(FILE *o, const FitView *v) {
    const LawAnalysis *a = v->law;
    table_header(o, a->o.law->name, v->points);
    table_parameters(o, v->points, a);
    table_heldout_prediction(o, a);
    table_warning(o, a->e_warning);
    table_warning(o, a->clusters_warning);
    group_lines(o, v->groups);
    if (a->o.law == &law_chinchilla && a->alpha_beta == 0)
        fprintf(o, "  warning: the 95%% intervals of alpha and beta overlap: the data cannot tell them apart\n");
    if (a->o.law == &law_chinchilla || law_has_data_limit(a->o.law)) {
        if (law_has_data_limit(a->o.law) && (a->has_budget || a->has_target))
            fprintf(o, "data: %s\n", isfinite((a->has_budget ? &a->best : &a->cheapest)->unique)
                                           ? "U unique examples (--unique), D = U·epochs; cost-data on unique examples only"
                                           : "every example fresh (no --unique): one pass, D unique examples");
        table_budget(o, a);
    }
}

void fit_table_print(FILE *o, const FitView *v) {
    if (v->law) table_law(o, v);
    else table_isoflop(o, v);
}

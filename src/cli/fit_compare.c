#include "cli/fit_compare.h"

#include <math.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "cli/fit_table.h"

// A copy of p the frontier's envelope may replace (points_frontier frees what it is given).
static void points_copy(const Points *p, Points *q) {
    points_alloc(q, p->n ? p->n : 1);
    for (int a = 0; a < AXIS_COUNT; a++) memcpy(q->x[a], p->x[a], sizeof(double) * p->n);
    memcpy(q->loss, p->loss, sizeof(double) * p->n);
    memcpy(q->cluster, p->cluster, sizeof(int) * p->n);
    q->n = p->n;
    q->n_clusters = p->n_clusters;
    snprintf(q->source, sizeof q->source, "%s", p->source);
}

void fit_compare_run(const char *const *names, int n, const FitOptions *base, Axis4 split, int k, const Points *p,
                     FitComparison *c) {
    memset(c, 0, sizeof *c);
    c->n = n;
    c->k = k;
    c->split = split;
    c->points = p;
    for (int i = 0; i < n; i++) {
        HoldoutEntry *e = &c->e[i];
        int frontier = !strcmp(names[i], "frontier");
        snprintf(e->name, sizeof e->name, "%s", names[i]);
        e->o = *base;
        e->o.law = law_find(frontier ? "power" : names[i]);
        fit_options_axes(&e->o, frontier ? AXIS_C : split);
        if (frontier && !c->have_frontier) {
            points_copy(p, &c->frontier);
            points_frontier(&c->frontier);
            c->have_frontier = 1;
        }
        c->split_of[i] = frontier ? AXIS_C : split;
        holdout_entry_run(e, frontier ? &c->frontier : p, c->split_of[i], k);
    }
    holdout_rank(c->e, n, c->order);
}

void fit_compare_free(FitComparison *c) {
    for (int i = 0; i < c->n; i++) holdout_entry_free(&c->e[i]);
    if (c->have_frontier) points_free(&c->frontier);
    memset(c, 0, sizeof *c);
}

// ---- the record

static void json_estimate(FILE *f, double est, double lo, double hi) {
    fputs("{\"estimate\":", f); json_num(f, est);
    fputs(",\"lo\":", f); json_num(f, lo);
    fputs(",\"hi\":", f); json_num(f, hi);
    fputc('}', f);
}

static void json_parameters(FILE *f, const Law *L, const FitResult *r) {
    fputs("{", f);
    for (int j = 0; j < L->n_report; j++) {
        if (j) fputc(',', f);
        json_key(f, L->report_names[j]);
        json_estimate(f, r->report[j], r->lo[j], r->hi[j]);
    }
    fputs("}", f);
}

static void json_held(FILE *f, const Holdout *h) {
    fputs("{\"rmse_log\":", f); json_num(f, h->rmse_log);
    fputs(",\"mean_abs_relative_error\":", f); json_num(f, h->mean_abs_rel);
    fprintf(f, ",\"covered\":%d,\"with_interval\":%d,\"points\":%d,", h->covered, h->with_interval, h->n_held);
    fit_json_heldout_points(f, h);
    fputc('}', f);
}

// Every held-out point: its inputs, the observed loss, the prediction and its 95% interval.
static void json_predictions(FILE *f, const HoldoutEntry *e, const Points *p) {
    const Holdout *h = &e->h;
    fputs(",\"predictions\":[", f);
    for (int m = 0; m < h->n_held; m++) {
        int i = h->held[m];
        fputs(m ? ",{\"x\":[" : "{\"x\":[", f);
        for (int k = 0; k < e->o.law->n_x; k++) { if (k) fputc(',', f); json_num(f, p->x[e->o.axes[k]][i]); }
        fputs("],\"observed\":", f); json_num(f, p->loss[i]);
        fputs(",\"predicted\":", f); json_num(f, h->pred[m]);
        fputs(",\"lo\":", f); json_num(f, h->lo[m]);
        fputs(",\"hi\":", f); json_num(f, h->hi[m]);
        fputc('}', f);
    }
    fputc(']', f);
}

static void json_entry(FILE *f, const FitComparison *c, int i, int rank) {
    const HoldoutEntry *e = &c->e[i];
    const Law *L = e->o.law;
    fprintf(f, "{\"rank\":%d,\"law\":", rank); json_str(f, e->name);
    fputs(",\"form\":", f); json_str(f, L->name);
    fputs(",\"x\":[", f);
    for (int k = 0; k < L->n_x; k++) fprintf(f, "%s\"%s\"", k ? "," : "", axis_name(e->o.axes[k]));
    fprintf(f, "],\"split\":\"%s\",\"points_fitted\":%d,\"parameters\":", axis_name(c->split_of[i]), e->h.n_train);
    json_parameters(f, L, &e->h.fit);
    fputs(",\"objective\":", f); json_num(f, e->h.fit.objective);
    fputs(",\"r2_log\":", f); json_num(f, e->h.fit.r2_log);
    fputs(",\"heldout\":", f); json_held(f, &e->h);
    json_predictions(f, e, !strcmp(e->name, "frontier") ? &c->frontier : c->points);
    fputs(",\"full\":{\"parameters\":", f); json_parameters(f, L, &e->full);
    fputs(",\"r2_log\":", f); json_num(f, e->full.r2_log);
    int x = law_key_exponent(L);
    if (x >= 0) {
        fputs(",\"exponent\":{\"name\":", f); json_str(f, L->report_names[x]);
        fputs(",\"value\":", f); json_estimate(f, e->full.report[x], e->full.lo[x], e->full.hi[x]);
        fputs("}", f);
    }
    fputs("}}", f);
}

void fit_compare_json(FILE *f, const FitComparison *c, const GroupCheck *g) {
    fprintf(f, "{\"law\":\"holdout\",\"holdout_top\":%d,\"split\":\"%s\",\"points\":%d,\"clusters\":%d,\"delta\":", c->k,
            axis_name(c->split), c->points->n, c->points->n_clusters);
    json_num(f, c->n ? c->e[0].o.delta : NAN);
    fprintf(f, ",\"bootstrap\":%d,\"laws\":[", c->n ? c->e[0].o.n_boot : 0);
    int rank = 0;
    for (int r = 0; r < c->n; r++)
        if (c->e[c->order[r]].ok) { if (rank) fputc(',', f); json_entry(f, c, c->order[r], ++rank); }
    fputs("],\"refused\":[", f);
    int any = 0;
    for (int r = 0; r < c->n; r++) {
        const HoldoutEntry *e = &c->e[c->order[r]];
        if (e->ok) continue;
        fputs(any++ ? ",{\"law\":" : "{\"law\":", f); json_str(f, e->name);
        fputs(",\"reason\":", f); json_str(f, e->reason);
        fputc('}', f);
    }
    fputc(']', f);
    if (g->n_groups) {
        fprintf(f, ",\"groups\":%d", g->n_groups);
        if (g->warning) { fputs(",\"groups_warning\":", f); json_str(f, g->warning); }
        if (g->covary) { fputs(",\"groups_covary\":", f); json_str(f, g->covary); }
    }
    fputs(",\"source\":", f); json_str(f, c->points->source);
    fputs("}", f);
}

// ---- the table

// The held-out values of the first fitted law (every law on the split axis shares them).
static void held_values(FILE *o, const FitComparison *c) {
    for (int i = 0; i < c->n; i++) {
        const HoldoutEntry *e = &c->e[i];
        if (!e->ok || c->split_of[i] != c->split) continue;
        fprintf(o, " (");
        for (int j = 0; j < e->h.k; j++) fprintf(o, "%s%.4g", j ? ", " : "", e->h.at[j].x);
        fprintf(o, ": %d point%s)", e->h.n_held, e->h.n_held == 1 ? "" : "s");
        return;
    }
}

static void table_row(FILE *o, const FitComparison *c, int i, int rank) {
    const HoldoutEntry *e = &c->e[i];
    const Law *L = e->o.law;
    const Holdout *h = &e->h;
    char cov[16], expo[96] = "";
    if (h->with_interval) snprintf(cov, sizeof cov, "%d/%d", h->covered, h->k);
    else snprintf(cov, sizeof cov, "-");
    int x = law_key_exponent(L);
    if (x >= 0 && isfinite(e->full.lo[x]))
        snprintf(expo, sizeof expo, "%s = %.4g [%.4g, %.4g]", L->report_names[x], e->full.report[x], e->full.lo[x], e->full.hi[x]);
    else if (x >= 0) snprintf(expo, sizeof expo, "%s = %.4g", L->report_names[x], e->full.report[x]);
    fprintf(o, "  %-4d %-18s %9.4f %11.4g %13.5f %9.2f%% %8s   %s\n", rank, e->name, h->fit.r2_log, h->fit.objective,
            h->rmse_log, 100 * h->mean_abs_rel, cov, expo);
}

void fit_compare_table(FILE *o, const FitComparison *c, const GroupCheck *g) {
    fprintf(o, "laws compared on %d points from %s\n", c->points->n, c->points->source);
    if (c->k == 1) fprintf(o, "  held out: the largest value of %s", axis_name(c->split));
    else fprintf(o, "  held out: the %d largest values of %s", c->k, axis_name(c->split));
    held_values(o, c);
    fprintf(o, "; each law fitted on the rest, ranked by RMSE of log loss on the held-out points\n");
    // "R² (log)" is 9 bytes but 8 columns wide: %10s
    fprintf(o, "  %-4s %-18s %10s %11s %13s %10s %8s   %s\n", "rank", "law", "R² (log)", "objective", "held-out RMSE",
            "mean |err|", "covered", "exponent (fit on all points)");
    int rank = 0;
    for (int r = 0; r < c->n; r++)
        if (c->e[c->order[r]].ok) table_row(o, c, c->order[r], ++rank);
    if (rank) fputs("  parameters fitted without the held-out points:\n", o);
    for (int r = 0; r < c->n; r++) {
        const HoldoutEntry *e = &c->e[c->order[r]];
        if (!e->ok) continue;
        fprintf(o, "    %-18s", e->name);
        for (int j = 0; j < e->o.law->n_report; j++) fprintf(o, " %s = %.5g", e->o.law->report_names[j], e->h.fit.report[j]);
        fputc('\n', o);
    }
    for (int r = 0; r < c->n; r++) {
        const HoldoutEntry *e = &c->e[c->order[r]];
        if (!e->ok) {   // the fitter's reasons start with "FORM law: " when they name the law: once is enough
            size_t n = strlen(e->o.law->name);
            const char *why = !strncmp(e->reason, e->o.law->name, n) && !strncmp(e->reason + n, " law: ", 6) ? e->reason + n + 6 : e->reason;
            fprintf(o, "  refused: %s: %s\n", e->name, why);
        }
    }
    if (c->have_frontier) fputs("  frontier: power on the compute frontier's points, its own held-out set on flops\n", o);
    if (g->warning && g->warning[0]) fprintf(o, "  WARNING: %s\n", g->warning);
    if (g->covary && g->covary[0]) fprintf(o, "  note: %d groups of runs; %s\n", g->n_groups, g->covary);
}

// Extrapolation: which law form predicts the model sizes it was not shown. On the report's L(N)
// view (the training-set size with the most model sizes), power, bnsl1 and m4 (those of them the
// law table has: law_find) are each fitted on all but the K largest sizes and scored on the
// sizes held out (fit/holdout.h): a figure of every law's curve over the whole range with the
// bootstrap band of the fit that did not see the held-out sizes, and a table ranked by the RMSE
// of log loss there.
//
// K from the number of sizes S: min(3, S − 4), so that 4 sizes are always left to fit (one more
// than the power law's 3 parameters, so the fit is a fit and not an interpolation); below 5
// sizes a note says what data the section needs.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "fit/holdout.h"
#include "report/sections.h"

static const char *const LAWS[] = { "power", "bnsl1", "m4" };
enum { N_LAWS = sizeof LAWS / sizeof LAWS[0], CURVE = 60 };

typedef struct {
    Points P;
    int k, n;                  // held out; laws found in the table
    HoldoutEntry e[N_LAWS];
    int order[N_LAWS];
} Extrapolation;

// The held-out sizes' band of law e at x: 2.5% and 97.5% over the resamples of the fit without them.
static void band(const HoldoutEntry *e, double x, double *lo, double *hi) {
    const FitResult *f = &e->h.fit;
    double *v = xmalloc(sizeof(double) * (f->n_boot ? f->n_boot : 1));
    int m = 0;
    for (int b = 0; b < f->n_boot; b++) {
        double y = fit_predict(e->o.law, f->boot_theta + (size_t)b * e->o.law->n_theta, &x);
        if (isfinite(y)) v[m++] = y;
    }
    if (m >= 10) percentile_interval(v, m, lo, hi);
    else *lo = *hi = NAN;
    free(v);
}

// NAME.csv: every run (kind fit or held), then each fitted law's curve (kind curve, its index
// in law) from below the smallest size to past the largest.
static int extrapolation_data(Report *r, const Extrapolation *X, const char *name) {
    FILE *c = figure_data(r, name);
    if (!c) return -1;
    fprintf(c, "kind,law,n_params,loss,lo,hi\n");
    const Points *P = &X->P;
    double xmin = INFINITY, xmax = 0, cut = X->e[X->order[0]].h.at[0].x;
    for (int i = 0; i < P->n; i++) {
        double x = P->x[AXIS_N][i];
        fprintf(c, "%s,,%.9g,%.9g,,\n", x < cut ? "fit" : "held", x, P->loss[i]);
        xmin = fmin(xmin, x);
        xmax = fmax(xmax, x);
    }
    for (int j = 0; j < X->n; j++) {
        const HoldoutEntry *e = &X->e[j];
        if (!e->ok) continue;
        for (int i = 0; i <= CURVE; i++) {
            double x = exp(log(xmin / 1.3) + (log(xmax * 1.3) - log(xmin / 1.3)) * i / CURVE), lo, hi;
            band(e, x, &lo, &hi);
            fprintf(c, "curve,%d,%.9g,%.9g,%.9g,%.9g\n", j, x, fit_predict(e->o.law, e->h.fit.theta, &x), lo, hi);
        }
    }
    fclose(c);
    return 0;
}

static void extrapolation_draw(TaskView *v, const Extrapolation *X, const char *name, const char *what) {
    char plot[4000], caption[900], title[300];
    size_t k = (size_t)snprintf(plot, sizeof plot, "set logscale xy\nplot ");
    int drawn = 0;
    for (int j = 0; j < X->n; j++) {
        const HoldoutEntry *e = &X->e[j];
        if (!e->ok) continue;
        int ls = j + 2;   // line style 1 is the runs'
        k += (size_t)snprintf(plot + k, sizeof plot - k,
                              "%s'%s%s' skip 1 using (strcol(1) eq 'curve' && $2 == %d ? $3 : NaN):5:6 with filledcurves ls %d "
                              "fs transparent solid 0.15 %s, \\\n"
                              "  '' skip 1 using (strcol(1) eq 'curve' && $2 == %d ? $3 : NaN):4 with lines ls %d title '%s' noenhanced",
                              drawn ? ", \\\n  " : "", drawn ? "" : name, drawn ? "" : ".csv", j, ls,
                              drawn ? "notitle" : "title '95% bootstrap bands'", j, ls, e->name);
        drawn = 1;
    }
    if (k < sizeof plot)
        snprintf(plot + k, sizeof plot - k, ", \\\n  '' skip 1 using (strcol(1) eq 'fit' ? $3 : NaN):4 with points ls 1 pt 7 ps 0.7 "
                 "title 'runs fitted', \\\n  '' skip 1 using (strcol(1) eq 'held' ? $3 : NaN):4 with points lc rgb 'black' pt 6 ps 1.3 "
                 "title 'runs held out'");
    snprintf(title, sizeof title, "Extrapolation to the %d largest sizes (%s, %s)", X->k, v->task, what);
    const HoldoutEntry *best = &X->e[X->order[0]];
    snprintf(caption, sizeof caption, "Each law fitted to the runs below the %d largest model sizes (filled points) and drawn over "
             "the whole range with the 95%% bootstrap band of that fit; the open circles, right of the dotted line, are the runs it did not see. "
             "Best extrapolation: %s, RMSE of log loss %.3g on the held-out runs, %d of %d held-out sizes inside the band.",
             X->k, best->name, best->h.rmse_log, best->h.covered, X->k);
    // a dotted line between the largest size fitted and the smallest held out: right of it, extrapolation
    double below = 0, cut = best->h.at[0].x, setup_x;
    for (int i = 0; i < X->P.n; i++) if (X->P.x[AXIS_N][i] < cut) below = fmax(below, X->P.x[AXIS_N][i]);
    setup_x = sqrt(below * cut);
    char setup[200];
    snprintf(setup, sizeof setup, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 3 lc rgb '#888888'", setup_x, setup_x);
    figure_draw(v->r, name, title, "N, parameters", "test loss", setup, plot, caption);
}

// The ranked table, and the laws refused (each with why).
static void extrapolation_table(TaskView *v, const Extrapolation *X) {
    FILE *h = v->r->html;
    fprintf(h, "</div><table><caption>Laws ranked by how well they predict the %d largest model sizes from the smaller "
               "ones: RMSE of log loss over the held-out runs, mean |relative error| of the mean loss per held-out size, "
               "held-out sizes whose observed mean lies inside the 95%% bootstrap interval, and the main exponent of the "
               "law fitted to every size.</caption><tr><th>rank</th><th>law</th><th>R² (log), fitted part</th>"
               "<th>held-out RMSE (log)</th><th>mean |error|</th><th>covered</th><th>exponent (all sizes)</th></tr>\n", X->k);
    int rank = 0;
    for (int i = 0; i < X->n; i++) {
        const HoldoutEntry *e = &X->e[X->order[i]];
        if (!e->ok) continue;
        int x = law_key_exponent(e->o.law);
        fprintf(h, "<tr><td>%d</td><td>%s</td><td>%.4f</td><td>%.4g</td><td>%.2f%%</td><td>%d/%d</td>", ++rank, e->name,
                e->h.fit.r2_log, e->h.rmse_log, 100 * e->h.mean_abs_rel, e->h.covered, X->k);
        if (x >= 0 && isfinite(e->full.lo[x]))
            fprintf(h, "<td>%s = %.4g [%.4g, %.4g]</td></tr>\n", e->o.law->report_names[x], e->full.report[x], e->full.lo[x], e->full.hi[x]);
        else if (x >= 0) fprintf(h, "<td>%s = %.4g</td></tr>\n", e->o.law->report_names[x], e->full.report[x]);
        else fprintf(h, "<td>–</td></tr>\n");
        report_fit_row(v->r, "extrapolation: held-out RMSE of log loss", v->task, e->name, e->h.rmse_log, NAN, NAN);
    }
    fprintf(h, "</table><div class=\"figs\">\n");
    for (int i = 0; i < X->n; i++) {
        const HoldoutEntry *e = &X->e[X->order[i]];
        if (!e->ok) report_note(v->r, "Extrapolation (%s): %s not ranked: %s", v->task, e->name, e->reason);
    }
}

void section_extrapolation(TaskView *v) {
    Report *r = v->r;
    if (v->n_groups) return;   // --group-by: each value has its own L(N); no one set of sizes to hold out
    task_section(v, "extrapolation", "Extrapolation", "Law forms compared the way published comparisons choose between "
                 "them: each is fitted without the largest model sizes and judged by how well it predicts them.");
    char what[96], missing[160];
    if (v->d_star) snprintf(what, sizeof what, "D = %ld", v->d_star);
    else snprintf(what, sizeof what, "the L(N) runs");
    snprintf(missing, sizeof missing, "Extrapolation (%s)", v->task);
    char needs[300];
    snprintf(needs, sizeof needs, "finished runs at 5 or more model sizes at one training-set size (the most here: %d): 4 sizes "
             "to fit and 1 to 3 to hold out (1 at 5 sizes, 2 at 6, 3 at 7 or more)", v->n_sizes_at_d);
    Extrapolation X;
    memset(&X, 0, sizeof X);
    if (v->n_sizes_at_d < 5 || points_from_store(v->db_path, NULL, v->metric, v->where_d, &X.P) != 0) {
        report_missing(r, missing, needs);
        report_section_end(r);
        return;
    }
    int sizes = holdout_distinct(&X.P, AXIS_N);
    X.k = sizes - 4 < 3 ? sizes - 4 : 3;
    if (X.k < 1) {
        report_missing(r, missing, needs);
    } else {
        int any = 0;
        for (int j = 0; j < N_LAWS; j++) {
            const Law *L = law_find(LAWS[j]);
            if (!L) continue;
            HoldoutEntry *e = &X.e[X.n++];
            snprintf(e->name, sizeof e->name, "%s", LAWS[j]);
            e->o = (FitOptions){ .law = L, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = v->n_boot, .seed = 0 };
            any += holdout_entry_run(e, &X.P, AXIS_N, X.k) == 0;
        }
        holdout_rank(X.e, X.n, X.order);
        char name[96];
        snprintf(name, sizeof name, "extrapolation_%s", v->tag);
        if (any && extrapolation_data(r, &X, name) == 0) extrapolation_draw(v, &X, name, what);
        extrapolation_table(v, &X);
    }
    for (int j = 0; j < X.n; j++) holdout_entry_free(&X.e[j]);
    points_free(&X.P);
    report_section_end(r);
}

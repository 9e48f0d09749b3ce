// Repeated data: the loss against epochs over one unique-data size U, a series per model size,
// with the data-constrained law (fit/law_datacon.c) fitted to every run of the view and its
// curves at U; R_D* with its interval in the title. Drawn when some U was trained at several
// epochs (examples/repeat_data.yaml); silent when nothing was repeated at more than one length.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "report/sections.h"

enum { MAX_SERIES = 8 };   // model sizes drawn (the palette's line styles)

// The points with a unique size and epochs (fresh-data runs have neither), clusters renumbered.
static void repeated_points(const Points *P, Points *Q) {
    points_alloc(Q, P->n > 0 ? P->n : 1);
    int *map = xmalloc(sizeof(int) * (P->n_clusters > 0 ? P->n_clusters : 1));
    for (int c = 0; c < P->n_clusters; c++) map[c] = -1;
    for (int i = 0; i < P->n; i++) {
        double n = P->x[AXIS_N][i], u = P->x[AXIS_UNIQUE][i], e = P->x[AXIS_EPOCHS][i];
        if (!(n > 0 && u > 0 && e > 0 && isfinite(n) && isfinite(u) && isfinite(e))) continue;
        int k = Q->n++;
        for (int a = 0; a < AXIS_COUNT; a++) Q->x[a][k] = P->x[a][i];
        Q->loss[k] = P->loss[i];
        int c = P->cluster[i];
        if (map[c] < 0) map[c] = Q->n_clusters++;
        Q->cluster[k] = map[c];
    }
    snprintf(Q->source, sizeof Q->source, "%s", P->source);
    free(map);
}

static int same(double a, double b) { return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b)); }

// The distinct values of axis a among the points with unique = U (any U when U is NaN), ascending; returns how many (≤ cap).
static int distinct(const Points *Q, Axis4 a, double U, double *out, int cap) {
    int n = 0;
    for (int i = 0; i < Q->n; i++) {
        if (!isnan(U) && !same(Q->x[AXIS_UNIQUE][i], U)) continue;
        double x = Q->x[a][i];
        int k = 0;
        while (k < n && !same(out[k], x)) k++;
        if (k < n || n == cap) continue;
        while (k > 0 && out[k - 1] > x) { out[k] = out[k - 1]; k--; }
        out[k] = x;
        n++;
    }
    return n;
}

// The unique size trained at the most epochs (ties: the one with more model sizes); *n_epochs, *n_sizes.
static double busiest_unique(const Points *Q, int *n_epochs, int *n_sizes) {
    double us[64], e[64], s[64], best = NAN;
    int nu = distinct(Q, AXIS_UNIQUE, NAN, us, 64);
    *n_epochs = *n_sizes = 0;
    for (int k = 0; k < nu; k++) {
        int ne = distinct(Q, AXIS_EPOCHS, us[k], e, 64), ns = distinct(Q, AXIS_N, us[k], s, 64);
        if (ne > *n_epochs || (ne == *n_epochs && ns > *n_sizes)) { best = us[k]; *n_epochs = ne; *n_sizes = ns; }
    }
    return best;
}

// The data-constrained law, or its N' = N form (one parameter fewer) when the full law cannot be fitted; 0 or −1.
static int fit_datacon(const TaskView *v, const Points *Q, FitOptions *o, FitResult *f) {
    const Law *laws[2] = { &law_datacon, &law_datacon_d };
    for (int k = 0; k < 2; k++) {
        *o = (FitOptions){ .law = laws[k], .axes = { AXIS_N, AXIS_UNIQUE, AXIS_EPOCHS }, .delta = 1e-3, .n_boot = v->n_boot };
        if (fit_law(o, Q, NULL, f) == 0) return 0;
    }
    return -1;
}

// NAME.csv: the runs at U (series = model size's index) and, when fitted, the law's curve per size.
static int repeat_data(Report *r, const char *name, const Points *Q, double U, const double *sizes, int n_sizes,
                       const FitOptions *o, const FitResult *f) {
    FILE *c = figure_data(r, name);
    if (!c) return -1;
    double emin = INFINITY, emax = 0;
    fprintf(c, "kind,series,n_params,epochs,loss\n");
    for (int i = 0; i < Q->n; i++) {
        if (!same(Q->x[AXIS_UNIQUE][i], U)) continue;
        for (int s = 0; s < n_sizes; s++)
            if (same(Q->x[AXIS_N][i], sizes[s])) fprintf(c, "run,%d,%.9g,%.9g,%.9g\n", s, sizes[s], Q->x[AXIS_EPOCHS][i], Q->loss[i]);
        emin = fmin(emin, Q->x[AXIS_EPOCHS][i]);
        emax = fmax(emax, Q->x[AXIS_EPOCHS][i]);
    }
    for (int s = 0; f && s < n_sizes; s++)
        for (int i = 0; i <= 40; i++) {
            double x[3] = { sizes[s], U, exp(log(emin) + (log(emax) - log(emin)) * i / 40.0) };
            fprintf(c, "fit,%d,%.9g,%.9g,%.9g\n", s, sizes[s], x[2], fit_predict(o->law, f->theta, x));
        }
    fclose(c);
    return 0;
}

static void repeat_draw(TaskView *v, const char *name, double U, const double *sizes, int n_sizes, const FitOptions *o,
                        const FitResult *f) {
    char title[300], plot[6000], caption[900];
    int k = 0;
    k += snprintf(plot + k, sizeof plot - k, "set logscale x\nplot ");
    for (int s = 0; s < n_sizes; s++) {
        k += snprintf(plot + k, sizeof plot - k,
                      "%s'%s.csv' skip 1 using (strcol(1) eq 'run' && $2 == %d ? $4 : NaN):5 with points ls %d pt 7 ps 0.7 "
                      "title 'N = %.3g'", s ? ", \\\n  " : "", name, s, s + 1, sizes[s]);
        if (f)
            k += snprintf(plot + k, sizeof plot - k, ", \\\n  '' skip 1 using (strcol(1) eq 'fit' && $2 == %d ? $4 : NaN):5 "
                                                     "with lines ls %d notitle", s, s + 1);
    }
    if (f) {
        const int rd = 5;   // R_D* in both forms' reports
        snprintf(title, sizeof title, "Loss vs epochs, U = %.4g (%s): R_D* = %.3g [%.3g, %.3g]", U,
                 v->task, f->report[rd], f->lo[rd], f->hi[rd]);
        snprintf(caption, sizeof caption,
                 "Every run's %s at U = %.4g unique examples against the epochs over them, a series per model size, with "
                 "the %s law fitted to every run of this view (R² in log space %.3f): a repeat is worth 1 − e^(−R/R_D*) of "
                 "a fresh example's value, decaying with R_D* = %.3g [%.3g, %.3g] repetitions (Muennighoff et al. measured "
                 "≈ 15 for tokens); β = %.3g, α = %.3g.",
                 v->metric, U, o->law->name, f->r2_log, f->report[rd], f->lo[rd], f->hi[rd], f->report[4], f->report[3]);
    } else {
        snprintf(title, sizeof title, "Loss vs epochs, U = %.4g unique examples (%s)", U, v->task);
        snprintf(caption, sizeof caption,
                 "Every run's %s at U = %.4g unique examples against the epochs over them, a series per model size. The "
                 "data-constrained law was not fitted: it needs runs at 2 or more unique sizes (task.train_size) and "
                 "several model sizes, each at several epochs (examples/repeat_data.yaml).", v->metric, U);
    }
    figure_draw(v->r, name, title, "epochs over the unique examples", "loss (nats)", "", plot, caption);
}

void section_repeat(TaskView *v) {
    Points P, Q;
    if (points_from_store(v->db_path, NULL, v->metric, v->repeat_where ? v->repeat_where : v->where_task, &P) != 0)
        return;   // the other sections say why
    TaskView whole = *v;   // headed by the task alone when it spans the view's budgets
    if (v->repeat_where) snprintf(whole.task, sizeof whole.task, "%s", v->repeat_task);
    v = &whole;
    repeated_points(&P, &Q);
    points_free(&P);
    int n_epochs, n_sizes;
    double U = busiest_unique(&Q, &n_epochs, &n_sizes);
    if (n_epochs < 2) { points_free(&Q); return; }   // nothing repeated at more than one length: no section
    task_section(v, "repeat", "Repeated data",
                 "What another pass over the same examples is worth: the loss against epochs over a fixed set of "
                 "unique examples, with the data-constrained law L = E + A/N'^α + B/D'^β.");
    if (n_epochs < 3) {
        report_missing(v->r, "loss against epochs",
                       "runs at 3 or more epochs (budget.epochs) over one unique-data size (task.train_size), at several "
                       "model sizes and 2 or more unique sizes, as examples/repeat_data.yaml trains");
        report_section_end(v->r);
        points_free(&Q);
        return;
    }
    double sizes[MAX_SERIES];
    n_sizes = distinct(&Q, AXIS_N, U, sizes, MAX_SERIES);
    FitOptions o;
    FitResult f;
    int fitted = fit_datacon(v, &Q, &o, &f) == 0;
    char name[112];
    snprintf(name, sizeof name, "repeat_%.100s", v->tag);
    if (repeat_data(v->r, name, &Q, U, sizes, n_sizes, &o, fitted ? &f : NULL) == 0)
        repeat_draw(v, name, U, sizes, n_sizes, &o, fitted ? &f : NULL);
    if (fitted) {
        char data[160];
        snprintf(data, sizeof data, "%.95s, %d runs' %.40s", v->task, Q.n, v->metric);
        for (int j = 0; j < o.law->n_report; j++)
            report_fit_row(v->r, o.law->name, data, o.law->report_names[j], f.report[j], f.lo[j], f.hi[j]);
        fit_result_free(&f);
    }
    report_section_end(v->r);
    points_free(&Q);
}

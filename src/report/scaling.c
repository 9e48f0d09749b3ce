// Scaling laws: L(N) at the training-set size with the most model sizes, L(D)
// at the model size with the most training-set sizes, each with every run as a
// point, the fitted power law with its bootstrap band, the held-out prediction,
// and residuals; the compute frontier from every evaluation.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "fit/isoflop.h"
#include "report/sections.h"

// The bootstrap band of the fitted curve at x: 2.5% and 97.5% quantiles over resamples.
static void band_at(const Law *law, const FitResult *f, double x, double *lo, double *hi) {
    double *v = xmalloc(sizeof(double) * (f->n_boot ? f->n_boot : 1));
    int k = 0;
    for (int b = 0; b < f->n_boot; b++) {
        double y = fit_predict(law, f->boot_theta + (size_t)b * law->n_theta, &x);
        if (isfinite(y)) v[k++] = y;
    }
    if (k >= 10) percentile_interval(v, k, lo, hi);
    else *lo = *hi = NAN;
    free(v);
}

// One power law fitted for a figure pair: its points, the fit, the held-out prediction.
typedef struct {
    Axis4 a;
    const char *sym, *mname, *unit;   // "N" or "D"; the metric and the axis as shown
    char data[160];                   // "task, what"
    Points P;
    FitOptions o;
    FitResult f;
    HeldOut h;
    int have_h;
} LawFit;

// The y axis of a figure of `metric` (a summary name): its split and its unit, bits per
// byte for the language models' *_bpb, else nats.
static const char *loss_axis(const char *metric) {
    int bits = strstr(metric, "bpb") != NULL, val = strstr(metric, "val") != NULL;
    return bits ? (val ? "validation loss (bits per byte)" : "test loss (bits per byte)")
                : (val ? "validation loss (nats)" : "test loss (nats)");
}

// Reads and fits L against axis a on the runs of `where`; 0, or −1 (a note says why).
static int law_fit(TaskView *v, Axis4 a, const char *where, const char *what, LawFit *L) {
    Report *r = v->r;
    if (points_from_store(v->db_path, NULL, v->metric, where, &L->P) != 0) {
        report_missing(r, what, "finished runs with the fitted metric (--metric), at 3 or more sizes");
        return -1;
    }
    L->a = a;
    L->sym = a == AXIS_N ? "N" : "D";
    L->mname = strcmp(v->metric, "final_test_loss") ? v->metric : "final test loss";
    L->unit = a == AXIS_N ? "N, parameters" : "D, training examples";
    L->o = (FitOptions){ .law = &law_power, .axes = { a }, .delta = 1e-3, .n_boot = v->n_boot, .seed = 0 };
    if (fit_law(&L->o, &L->P, NULL, &L->f) != 0) {
        report_note(r, "%s: the power law could not be fitted: %s", what, jp_error());
        points_free(&L->P);
        return -1;
    }
    if (L->P.n_clusters <= L->o.law->n_theta)
        report_note(r, "%s: %d sizes for %d parameters: every bootstrap resample is fitted exactly, so the band and "
                    "intervals show only the spread across seeds; add sizes.", what, L->P.n_clusters, L->o.law->n_theta);
    L->have_h = fit_heldout(&L->o, &L->P, &L->h) == 0;
    snprintf(L->data, sizeof L->data, "%s, %s", v->task, what);
    return 0;
}

// NAME.csv of the law figure: every run, the fitted curve with its band, the held-out
// prediction. −1 when the file cannot be written.
static int law_data(Report *r, const LawFit *L, const char *name) {
    const Points *P = &L->P;
    Axis4 a = L->a;
    FILE *c = figure_data(r, name);
    if (!c) return -1;
    fprintf(c, "kind,%s,loss,lo,hi\n", a == AXIS_N ? "n_params" : "train_size");
    double xmin = INFINITY, xmax = 0;
    for (int i = 0; i < P->n; i++) {
        fprintf(c, "run,%.9g,%.9g,,\n", P->x[a][i], P->loss[i]);
        if (P->x[a][i] < xmin) xmin = P->x[a][i];
        if (P->x[a][i] > xmax) xmax = P->x[a][i];
    }
    for (int i = 0; i <= 60; i++) {
        double x = exp(log(xmin / 1.3) + (log(xmax * 1.3) - log(xmin / 1.3)) * i / 60.0), lo, hi;
        band_at(L->o.law, &L->f, x, &lo, &hi);
        fprintf(c, "fit,%.9g,%.9g,%.9g,%.9g\n", x, fit_predict(L->o.law, L->f.theta, &x), lo, hi);
    }
    if (L->have_h) fprintf(c, "heldout,%.9g,%.9g,%.9g,%.9g\n", L->h.x, L->h.predicted, L->h.lo, L->h.hi);
    fclose(c);
    return 0;
}

// The law figure: every run, the fitted law with its bootstrap band, the held-out prediction.
static void law_draw(Report *r, const LawFit *L, const char *name) {
    const FitResult *f = &L->f;
    const HeldOut *h = &L->h;
    const char *sym = L->sym;
    char title[256], plot[2048], caption[700];
    snprintf(title, sizeof title, "Test loss against %s (%s)", sym, L->data);
    snprintf(plot, sizeof plot,
             "set logscale xy\n"
             "plot '%s.csv' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):4:5 with filledcurves lc rgb '#c6dbef' fs solid 0.6 title '95%% bootstrap band', \\\n"
             "  '' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):3 with lines ls 2 title 'L = E + A·%s^{-α}, α = %.3g', \\\n"
             "  '' skip 1 using (strcol(1) eq 'run' ? $2 : NaN):3 with points ls 1 pt 7 ps 0.7 title 'runs (%s)' noenhanced%s",
             name, sym, f->report[2], L->mname,
             L->have_h ? ", \\\n  '' skip 1 using (strcol(1) eq 'heldout' ? $2 : NaN):3:4:5 with yerrorbars ls 4 pt 5 ps 1.3 "
                         "title 'held-out prediction (fit without the largest)'" : "");
    char heldout[300] = "";
    if (L->have_h)
        snprintf(heldout, sizeof heldout, " Refitted without the largest %s, the law predicts %.4g there [%.4g, %.4g] "
                 "against %.4g observed (%+.1f%%).", sym, h->predicted, h->lo, h->hi, h->observed, 100 * h->rel_error);
    snprintf(caption, sizeof caption, "Every run's %s against %s on log–log axes, with the power law "
             "fitted to them: α = %.3g [%.3g, %.3g], E = %.3g [%.3g, %.3g].%s", L->mname, sym, f->report[2], f->lo[2], f->hi[2],
             f->report[0], f->lo[0], f->hi[0], heldout);
    figure_draw(r, name, title, L->unit, loss_axis(L->mname), "", plot, caption);
}

// The residuals figure of the law: a trend across the axis means its form misses the data.
static void law_residuals(TaskView *v, const LawFit *L) {
    Report *r = v->r;
    char rname[112], title[256], plot[2048], caption[700];
    snprintf(rname, sizeof rname, "residuals_%s_%s", L->sym, v->tag);
    FILE *c = figure_data(r, rname);
    if (!c) return;
    fprintf(c, "%s,log_residual\n", L->a == AXIS_N ? "n_params" : "train_size");
    for (int i = 0; i < L->P.n; i++) fprintf(c, "%.9g,%.9g\n", L->P.x[L->a][i], L->f.residuals[i]);
    fclose(c);
    snprintf(title, sizeof title, "Residuals of L(%s) (%s)", L->sym, L->data);
    snprintf(plot, sizeof plot, "set logscale x\nplot '%s.csv' skip 1 using 1:2 with points ls 1 pt 7 ps 0.7 title 'log L̂ − log L', "
             "0 with lines lc rgb '#888888' dt 2 title 'zero'", rname);
    snprintf(caption, sizeof caption, "Log residuals of the fitted law for every run (R² in log space %.3f): "
             "a trend across %s means the law's form misses the data.", L->f.r2_log, L->sym);
    figure_draw(r, rname, title, L->unit, "log predicted − log observed loss", "", plot, caption);
}

// The law's rows of the fitted-parameters table, and for L(N) the command's summary line.
static void law_rows(Report *r, const LawFit *L) {
    const FitResult *f = &L->f;
    const char *names[] = { "E", "A", "α" };
    for (int k = 0; k < 3; k++) report_fit_row(r, L->a == AXIS_N ? "L(N) = E + A·N^−α" : "L(D) = E + B·D^−β", L->data,
                                               names[k], f->report[k], f->lo[k], f->hi[k]);
    if (L->have_h) report_fit_row(r, "held-out prediction", L->data, "L at the largest x", L->h.predicted, L->h.lo, L->h.hi);
    if (L->a == AXIS_N) {
        size_t n = strlen(r->summary);
        snprintf(r->summary + n, sizeof r->summary - n, "L(N) on %s: α = %.3f [%.3f, %.3f], E = %.4g (95%% bootstrap intervals, %d runs)\n",
                 L->data, f->report[2], f->lo[2], f->hi[2], f->report[0], L->P.n);
    }
}

// One power-law figure pair (law and residuals) on axis a; fills theta when fitted.
static int law_figure(TaskView *v, Axis4 a, const char *where, const char *what, double *theta) {
    LawFit L;
    if (law_fit(v, a, where, what, &L) != 0) return -1;
    char name[96];
    snprintf(name, sizeof name, "loss_vs_%s_%s", L.sym, v->tag);
    int rc = law_data(v->r, &L, name);
    if (rc == 0) {
        law_draw(v->r, &L, name);
        law_residuals(v, &L);
        law_rows(v->r, &L);
        if (theta) memcpy(theta, L.f.theta, sizeof(double) * L.o.law->n_theta);
    }
    fit_result_free(&L.f);
    points_free(&L.P);
    return rc;
}

// --group-by: NAME.csv of L(N) or L(D) with one series per value: its runs and its own fitted law.
static int law_groups_data(const TaskView *v, Axis4 a, const LawFit *L, const int *ok, const char *name) {
    FILE *c = figure_data(v->r, name);
    if (!c) return -1;
    fprintf(c, "kind,group,%s,%s,loss\n", v->group_by, a == AXIS_N ? "n_params" : "train_size");
    for (int g = 0; g < v->n_groups; g++) {
        if (!ok[g]) continue;
        const Points *P = &L[g].P;
        double xmin = INFINITY, xmax = 0;
        for (int i = 0; i < P->n; i++) {
            fprintf(c, "run,%d,", g + 1);
            group_value_csv(c, v, g);
            fprintf(c, ",%.9g,%.9g\n", P->x[a][i], P->loss[i]);
            xmin = fmin(xmin, P->x[a][i]);
            xmax = fmax(xmax, P->x[a][i]);
        }
        for (int i = 0; i <= 40; i++) {
            double x = exp(log(xmin / 1.3) + (log(xmax * 1.3) - log(xmin / 1.3)) * i / 40.0);
            fprintf(c, "fit,%d,", g + 1);
            group_value_csv(c, v, g);
            fprintf(c, ",%.9g,%.9g\n", x, fit_predict(L[g].o.law, L[g].f.theta, &x));
        }
    }
    fclose(c);
    return 0;
}

// --group-by: the L(N) or L(D) figure, one colour per value (its runs and its law, α in the key).
static void law_groups_draw(const TaskView *v, const LawFit *L, const int *ok, int any, const char *name, const char *what) {
    char plot[6000], caption[2000], title[300];
    size_t k = (size_t)snprintf(plot, sizeof plot, "set logscale xy\nplot ");
    size_t kc = (size_t)snprintf(caption, sizeof caption, "Every run's %s against %s on log–log axes, one colour per %s, "
                                 "each with the power law fitted to its own runs:", L[any].mname, L[any].sym, v->group_by);
    int drawn = 0;   // the file named once, then ''
    for (int g = 0; g < v->n_groups && k < sizeof plot; g++) {
        if (!ok[g]) continue;
        const FitResult *f = &L[g].f;
        int ls = g % 8 + 1;
        k += (size_t)snprintf(plot + k, sizeof plot - k,
                              "%s'%s%s' skip 1 using (strcol(1) eq 'run' && $2 == %d ? $4 : NaN):5 with points ls %d pt 7 ps 0.7 notitle, \\\n"
                              "  '' skip 1 using (strcol(1) eq 'fit' && $2 == %d ? $4 : NaN):5 with lines ls %d title '%s: α = %.3g' noenhanced",
                              drawn ? ", \\\n  " : "", drawn ? "" : name, drawn ? "" : ".csv", g + 1, ls, g + 1, ls, v->group_label[g], f->report[2]);
        drawn = 1;
        if (kc < sizeof caption)
            kc += (size_t)snprintf(caption + kc, sizeof caption - kc, " %s: α = %.3g [%.3g, %.3g], E = %.3g;", v->group_label[g],
                                   f->report[2], f->lo[2], f->hi[2], f->report[0]);
    }
    if (kc < sizeof caption && caption[kc - 1] == ';') caption[kc - 1] = '.';
    snprintf(title, sizeof title, "Test loss against %s by %s (%s, %s)", L[any].sym, v->group_by, v->task, what);
    figure_draw(v->r, name, title, L[any].unit, loss_axis(L[any].mname), "", plot, caption);
}

// --group-by: the residuals of each value's law, one colour per value.
static void law_groups_residuals(const TaskView *v, Axis4 a, const LawFit *L, const int *ok, int any) {
    char name[112], title[300], plot[4000], caption[700];
    snprintf(name, sizeof name, "residuals_%s_%s", L[any].sym, v->tag);
    FILE *c = figure_data(v->r, name);
    if (!c) return;
    fprintf(c, "group,%s,%s,log_residual\n", v->group_by, a == AXIS_N ? "n_params" : "train_size");
    size_t k = (size_t)snprintf(plot, sizeof plot, "set logscale x\nplot 0 with lines lc rgb '#888888' dt 2 title 'zero'");
    for (int g = 0; g < v->n_groups; g++) {
        if (!ok[g]) continue;
        for (int i = 0; i < L[g].P.n; i++) {
            fprintf(c, "%d,", g + 1);
            group_value_csv(c, v, g);
            fprintf(c, ",%.9g,%.9g\n", L[g].P.x[a][i], L[g].f.residuals[i]);
        }
        if (k < sizeof plot)
            k += (size_t)snprintf(plot + k, sizeof plot - k, ", \\\n  '%s.csv' skip 1 using ($1 == %d ? $3 : NaN):4 with points ls %d "
                                  "pt 7 ps 0.7 title '%s (R² %.3f)' noenhanced", name, g + 1, g % 8 + 1, v->group_label[g], L[g].f.r2_log);
    }
    fclose(c);
    snprintf(title, sizeof title, "Residuals of L(%s) by %s (%s)", L[any].sym, v->group_by, v->task);
    snprintf(caption, sizeof caption, "Log residuals of each %s's fitted law for every run (R² in log space in the key): "
             "a trend across %s means the law's form misses that value's data.", v->group_by, L[any].sym);
    figure_draw(v->r, name, title, L[any].unit, "log predicted − log observed loss", "", plot, caption);
}

// --group-by: L(N) at training-set size `at` (axis N) or L(D) at model size `at` (axis D) for each
// value of the field, in one figure; their rows in the fitted-parameters table.
static void law_groups(TaskView *v, Axis4 a, long at, const char *what) {
    LawFit L[MAX_GROUPS];
    int ok[MAX_GROUPS], n_ok = 0, last = 0;
    for (int g = 0; g < v->n_groups; g++) {
        char *where = a == AXIS_N ? report_cond_train_size(v->group_where[g], at) : report_cond_model_size(v->group_where[g], at);
        char label[60];   // L->data holds "task, label"
        snprintf(label, sizeof label, "%.36s, %.20s", v->group_label[g], what);
        ok[g] = law_fit(v, a, where, label, &L[g]) == 0;
        if (ok[g]) { n_ok++; last = g; }
        free(where);
    }
    char name[96];
    snprintf(name, sizeof name, "loss_vs_%s_%s", a == AXIS_N ? "N" : "D", v->tag);
    if (n_ok && law_groups_data(v, a, L, ok, name) == 0) {
        law_groups_draw(v, L, ok, last, name, what);
        law_groups_residuals(v, a, L, ok, last);
    }
    for (int g = 0; g < v->n_groups; g++) {
        if (!ok[g]) continue;
        law_rows(v->r, &L[g]);
        fit_result_free(&L[g].f);
        points_free(&L[g].P);
    }
}

// NAME.csv of the IsoFLOP profiles: at most 6 budgets, spread evenly over those with an
// optimum, so the figure stays readable: their points, parabolas and optima. The budgets
// drawn go to budgets (space-separated).
static void isoflop_data(FILE *c, const Points *P, const IsoResult *iso, char *budgets, size_t cap) {
    fprintf(c, "kind,budget_flops,n_params,loss\n");
    size_t k = 0;
    int ok_index = 0, stride = (iso->n_ok + 5) / 6;
    budgets[0] = 0;
    for (int b = 0; b < iso->n_budgets; b++) {
        const IsoBudget *B = &iso->budgets[b];
        if (!B->ok || ok_index++ % stride != 0) continue;
        k += (size_t)snprintf(budgets + k, cap - k, "%s%.4g", k ? " " : "", B->C);
        double lo = INFINITY, hi = 0;
        for (int i = 0; i < P->n; i++)
            if (fabs(P->x[AXIS_C][i] / B->C - 1) < 0.05) {
                fprintf(c, "point,%.4g,%.9g,%.9g\n", B->C, P->x[AXIS_N][i], P->loss[i]);
                lo = fmin(lo, P->x[AXIS_N][i]);
                hi = fmax(hi, P->x[AXIS_N][i]);
            }
        for (int i = 0; i <= 40; i++) {
            double lnN = log(lo) + (log(hi) - log(lo)) * i / 40.0;
            fprintf(c, "parabola,%.4g,%.9g,%.9g\n", B->C, exp(lnN), B->c0 + B->c1 * lnN + B->c2 * lnN * lnN);
        }
        fprintf(c, "optimum,%.4g,%.9g,%.9g\n", B->C, B->N_opt, B->L_opt);
    }
}

// The IsoFLOP profiles figure and its fitted-parameters rows.
static void isoflop_profiles(TaskView *v, const Points *P, const IsoResult *iso, const char *task, const char *tag) {
    Report *r = v->r;
    char name[96], plot[3000], caption[900], title[340], budgets[1024];
    snprintf(name, sizeof name, "isoflop_%s", tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    isoflop_data(c, P, iso, budgets, sizeof budgets);
    fclose(c);
    snprintf(plot, sizeof plot,
             "set logscale xy\nbudgets = \"%s\"\n"
             "plot for [i=1:words(budgets)] '%s.csv' skip 1 using (strcol(1) eq 'point' && abs($2/word(budgets,i) - 1) < 1e-3 ? $3 : NaN):4 with points ls i pt 7 notitle, \\\n"
             "  for [i=1:words(budgets)] '' skip 1 using (strcol(1) eq 'parabola' && abs($2/word(budgets,i) - 1) < 1e-3 ? $3 : NaN):4 with lines ls i title sprintf('C = %%s FLOPs', gprintf('%%.2t×10^{%%T}', word(budgets,i)+0)), \\\n"
             "  '' skip 1 using (strcol(1) eq 'optimum' ? $3 : NaN):4 with points pt 3 ps 2 lc rgb 'black' title 'N_{opt}(C), the minimum of each parabola'",
             budgets, name);
    snprintf(title, sizeof title, "IsoFLOP profiles (%s)", task);
    snprintf(caption, sizeof caption, "At each compute budget (points within 5%% of the same FLOPs), %s "
             "against model size with a parabola in log N; its minimum is the compute-optimal size. Points: %s. "
             "Across %d budgets N_opt ∝ C^%.3g [%.3g, %.3g].", v->metric, isoflop_points_kind(v->metric), iso->n_ok,
             iso->n_exp, iso->n_lo, iso->n_hi);
    figure_draw(r, name, title, "N, parameters", loss_axis(v->metric), "", plot, caption);
    report_fit_row(r, "IsoFLOP N_opt ∝ C^a", task, "a", iso->n_exp, iso->n_lo, iso->n_hi);
    report_fit_row(r, "IsoFLOP D_opt ∝ C^b", task, "b", iso->d_exp, iso->d_lo, iso->d_hi);
}

// N_opt(C): every budget's optimum and the fitted power law through them.
static void n_opt_figure(TaskView *v, const IsoResult *iso, const char *task, const char *tag) {
    Report *r = v->r;
    char name[96], plot[3000], caption[900], title[340];
    snprintf(name, sizeof name, "n_opt_%s", tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "kind,budget_flops,n_opt,fit\n");
    double clo = INFINITY, chi = 0;
    for (int b = 0; b < iso->n_budgets; b++) {
        const IsoBudget *B = &iso->budgets[b];
        if (!B->ok) continue;
        fprintf(c, "budget,%.6g,%.6g,\n", B->C, B->N_opt);
        clo = fmin(clo, B->C);
        chi = fmax(chi, B->C);
    }
    for (int i = 0; i <= 20; i++) {
        double C = exp(log(clo) + (log(chi) - log(clo)) * i / 20.0);
        fprintf(c, "fit,%.6g,,%.6g\n", C, iso->n_coef * pow(C, iso->n_exp));
    }
    fclose(c);
    snprintf(plot, sizeof plot, "set logscale xy\nplot '%s.csv' skip 1 using (strcol(1) eq 'budget' ? $2 : NaN):3 with points ls 1 pt 7 ps 1.2 "
             "title 'N_{opt} of each budget', '' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):4 with lines ls 2 "
             "title 'N_{opt} ∝ C^{%.3g}'", name, iso->n_exp);
    snprintf(title, sizeof title, "Compute-optimal model size against compute (%s)", task);
    snprintf(caption, sizeof caption, "The minimum of each IsoFLOP parabola against its budget (%s), and the power law "
             "through them: N_opt ∝ C^%.3g [%.3g, %.3g], so D_opt ∝ C^%.3g [%.3g, %.3g] (Chinchilla found about 0.5 and 0.5).",
             isoflop_points_kind(v->metric), iso->n_exp, iso->n_lo, iso->n_hi, iso->d_exp, iso->d_lo, iso->d_hi);
    figure_draw(r, name, title, "C, training FLOPs", "N_opt, parameters", "", plot, caption);
}

// IsoFLOP profiles and N_opt(C) from the points jackpot fit --law isoflop reads (the same
// metric, the same isoflop_fit and its refusals): a note saying why where they do not suffice.
static void isoflop_figures(TaskView *v, int k) {
    Report *r = v->r;
    char task[260], tag[64];
    snprintf(task, sizeof task, "%s", v->iso_label[k]);
    if (k) snprintf(tag, sizeof tag, "%s_i%d", v->tag, k + 1);   // the first keeps the plain name
    else snprintf(tag, sizeof tag, "%s", v->tag);
    Points P;
    if (points_from_store(v->db_path, NULL, v->metric, v->iso_where[k], &P) != 0) {
        char what[160];
        snprintf(what, sizeof what, "IsoFLOP profiles (%.120s)", task);
        report_missing(r, what, "finished runs at 3 or more model sizes for each of several compute budgets "
                       "(examples/lm_isoflop.yaml)");
        return;
    }
    IsoResult iso;
    if (isoflop_fit(&P, v->n_boot, 0, &iso) != 0) {   // it frees what it made
        report_note(r, "IsoFLOP profiles (%s), no figure: %s", task, jp_error());   // isoflop_fit says why, in the data's terms
        points_free(&P);
        return;
    }
    isoflop_profiles(v, &P, &iso, task, tag);
    n_opt_figure(v, &iso, task, tag);
    isoflop_free(&iso);
    points_free(&P);
}

// The compute frontier: every evaluation's test loss against training FLOPs, and its lower
// envelope with a power law fitted to it (4 points or more).
static void frontier_figure(TaskView *v, Points *P) {
    Report *r = v->r;
    char name[96];
    snprintf(name, sizeof name, "frontier_%s", v->tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "kind,n_params,flops,loss,fit\n");
    for (int i = 0; i < P->n; i++)
        if (P->x[AXIS_C][i] > 0) fprintf(c, "eval,%.9g,%.9g,%.9g,\n", P->x[AXIS_N][i], P->x[AXIS_C][i], P->loss[i]);
    points_frontier(P);
    FitOptions o = { .law = &law_power, .axes = { AXIS_C }, .delta = 1e-3, .n_boot = v->n_boot, .seed = 0 };
    FitResult f;
    int fitted = P->n >= 4 && fit_law(&o, P, NULL, &f) == 0;
    for (int i = 0; i < P->n; i++) {
        double x = P->x[AXIS_C][i];
        fprintf(c, "frontier,%.9g,%.9g,%.9g,%.9g\n", P->x[AXIS_N][i], x, P->loss[i], fitted ? fit_predict(o.law, f.theta, &x) : NAN);
    }
    fclose(c);
    char plot[1400], caption[512], title[160];
    snprintf(plot, sizeof plot,
             "set logscale xy\nplot '%s.csv' skip 1 using (strcol(1) eq 'eval' ? $3 : NaN):4 with points pt 7 ps 0.35 lc rgb '#9ecae1' title 'evaluations (all runs)', \\\n"
             "  '' skip 1 using (strcol(1) eq 'frontier' ? $3 : NaN):4 with steps ls 2 title 'frontier (lowest loss so far)'%s",
             name, fitted ? ", \\\n  '' skip 1 using (strcol(1) eq 'frontier' ? $3 : NaN):5 with lines ls 3 dt 2 title 'L = E + A·C^{-γ} on the frontier'" : "");
    snprintf(title, sizeof title, "Compute frontier (%s)", v->task);
    if (fitted) snprintf(caption, sizeof caption, "Test loss at every evaluation of every run against the training FLOPs "
                         "spent so far; the frontier is the lowest loss reached for each compute, fitted with γ = %.3g "
                         "[%.3g, %.3g] (95%% bootstrap interval).", f.report[2], f.lo[2], f.hi[2]);
    else snprintf(caption, sizeof caption, "Test loss at every evaluation of every run against the training FLOPs "
                  "spent so far, and the lowest loss reached for each compute.");
    figure_draw(r, name, title, "C, training FLOPs", "test loss (nats)", "", plot, caption);
    if (fitted) {
        report_fit_row(r, "frontier L(C) = E + A·C^−γ", v->task, "γ", f.report[2], f.lo[2], f.hi[2]);
        fit_result_free(&f);
    }
}

void section_scaling(TaskView *v) {
    Report *r = v->r;
    task_section(v, "scaling", "Scaling laws", "Loss against model size N and training-set size D, with power laws fitted "
                   "by robust least squares in log space (Huber loss, BFGS from a grid of starts).");
    char what[96];
    if (v->d_star) snprintf(what, sizeof what, "D = %ld", v->d_star);
    else snprintf(what, sizeof what, "%s", strncmp(v->task, "fashion-mnist", 13) ? "fresh samples" : "D = the whole pool");
    if (v->n_sizes_at_d >= 3 && v->n_groups) law_groups(v, AXIS_N, v->d_star, what);
    else if (v->n_sizes_at_d >= 3) v->have_law = law_figure(v, AXIS_N, v->where_d, what, v->law_theta) == 0;
    else report_note(r, "L(N): needs 3 or more model sizes at one training-set size (the most here: %d).", v->n_sizes_at_d);

    // L(D): the model size with the most training-set sizes.
    long n_star;
    int k;
    report_db_most_sizes_at_n(v->db, v->where_task, &n_star, &k);
    if (k >= 3 && v->n_groups) {
        snprintf(what, sizeof what, "N = %ld", n_star);
        law_groups(v, AXIS_D, n_star, what);
    } else if (k >= 3) {
        char *where = report_cond_model_size(v->where_task, n_star);
        snprintf(what, sizeof what, "N = %ld", n_star);
        law_figure(v, AXIS_D, where, what, NULL);
        free(where);
    } else {
        report_note(r, "L(D): needs 3 or more training-set sizes at one model size (the most here: %d).", k);
    }

    Points P;
    if (points_from_store(v->db_path, NULL, "eval:test_loss", v->where_task, &P) != 0) {
        report_missing(r, "compute frontier", "finished runs with test-loss evaluations during training (budget.evals)");
    } else {
        frontier_figure(v, &P);
        points_free(&P);
    }
    for (int k = 0; k < v->n_iso; k++) isoflop_figures(v, k);
    report_section_end(r);
}

// Scaling laws: L(N) at the training-set size with the most model sizes, L(D)
// at the model size with the most training-set sizes, each with every run as a
// point, the fitted power law with its bootstrap band, the held-out prediction,
// and residuals; the compute frontier from every evaluation.
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

// One power-law figure pair (law and residuals) on axis a; fills theta when fitted.
static int law_figure(TaskView *v, Axis4 a, const char *where, const char *what, double *theta) {
    Report *r = v->r;
    char err[512];
    Points P;
    if (points_from_store(v->db_path, NULL, v->metric, where, &P, err, sizeof err) != 0) {
        report_note(r, "%s: %s", what, err);
        return -1;
    }
    const char *sym = a == AXIS_N ? "N" : "D";
    const char *mname = strcmp(v->metric, "final_test_loss") ? v->metric : "final test loss";
    const char *unit = a == AXIS_N ? "N, parameters" : "D, training examples";
    FitOptions o = { .law = &law_power, .axes = { a }, .delta = 1e-3, .n_boot = v->n_boot, .seed = 0 };
    FitResult f;
    if (fit_law(&o, &P, NULL, &f, err, sizeof err) != 0) {
        report_note(r, "%s: the power law could not be fitted: %s", what, err);
        points_free(&P);
        return -1;
    }
    if (P.n_clusters <= o.law->n_theta)
        report_note(r, "%s: %d sizes for %d parameters: every bootstrap resample is fitted exactly, so the band and "
                    "intervals show only the spread across seeds; add sizes.", what, P.n_clusters, o.law->n_theta);
    HeldOut h;
    int have_h = fit_heldout(&o, &P, &h, err, sizeof err) == 0;
    char name[96], data[160];
    snprintf(name, sizeof name, "loss_vs_%s_%s", sym, v->tag);
    snprintf(data, sizeof data, "%s, %s", v->task, what);
    FILE *c = figure_data(r, name);
    if (!c) { points_free(&P); fit_result_free(&f); return -1; }
    fprintf(c, "kind,%s,loss,lo,hi\n", a == AXIS_N ? "n_params" : "train_size");
    double xmin = INFINITY, xmax = 0, ylo = INFINITY, yhi = 0;
    for (int i = 0; i < P.n; i++) {
        fprintf(c, "run,%.9g,%.9g,,\n", P.x[a][i], P.loss[i]);
        ylo = fmin(ylo, P.loss[i]);
        yhi = fmax(yhi, P.loss[i]);
        if (P.x[a][i] < xmin) xmin = P.x[a][i];
        if (P.x[a][i] > xmax) xmax = P.x[a][i];
    }
    for (int i = 0; i <= 60; i++) {
        double x = exp(log(xmin / 1.3) + (log(xmax * 1.3) - log(xmin / 1.3)) * i / 60.0), lo, hi;
        band_at(o.law, &f, x, &lo, &hi);
        fprintf(c, "fit,%.9g,%.9g,%.9g,%.9g\n", x, fit_predict(o.law, f.theta, &x), lo, hi);
        if (isfinite(lo)) { ylo = fmin(ylo, lo); yhi = fmax(yhi, hi); }
    }
    if (have_h) fprintf(c, "heldout,%.9g,%.9g,%.9g,%.9g\n", h.x, h.predicted, h.lo, h.hi);
    fclose(c);
    char title[256], plot[2048], caption[700];
    snprintf(title, sizeof title, "Test loss against %s (%s)", sym, data);
    snprintf(plot, sizeof plot,
             "set logscale xy\n"
             "plot '%s.csv' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):4:5 with filledcurves lc rgb '#c6dbef' fs solid 0.6 title '95%% bootstrap band', \\\n"
             "  '' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):3 with lines ls 2 title 'L = E + A·%s^{-α}, α = %.3g', \\\n"
             "  '' skip 1 using (strcol(1) eq 'run' ? $2 : NaN):3 with points ls 1 pt 7 ps 0.7 title 'runs (%s)'%s",
             name, sym, f.report[2], mname,
             have_h ? ", \\\n  '' skip 1 using (strcol(1) eq 'heldout' ? $2 : NaN):3:4:5 with yerrorbars ls 4 pt 5 ps 1.3 "
                      "title 'held-out prediction (fit without the largest)'" : "");
    char heldout[300] = "";
    if (have_h)
        snprintf(heldout, sizeof heldout, " Refitted without the largest %s, the law predicts %.4g there [%.4g, %.4g] "
                 "against %.4g observed (%+.1f%%).", sym, h.predicted, h.lo, h.hi, h.observed, 100 * h.rel_error);
    snprintf(caption, sizeof caption, "Every run's %s against %s on log–log axes, with the power law "
             "fitted to them: α = %.3g [%.3g, %.3g], E = %.3g [%.3g, %.3g].%s", mname, sym, f.report[2], f.lo[2], f.hi[2],
             f.report[0], f.lo[0], f.hi[0], heldout);
    char tics[512];
    log_tics(tics, sizeof tics, 'y', ylo, yhi);
    figure_draw(r, name, title, unit, "test loss (nats)", tics, plot, caption);

    // residuals
    char rname[112];
    snprintf(rname, sizeof rname, "residuals_%s_%s", sym, v->tag);
    if ((c = figure_data(r, rname))) {
        fprintf(c, "%s,log_residual\n", a == AXIS_N ? "n_params" : "train_size");
        for (int i = 0; i < P.n; i++) fprintf(c, "%.9g,%.9g\n", P.x[a][i], f.residuals[i]);
        fclose(c);
        snprintf(title, sizeof title, "Residuals of L(%s) (%s)", sym, data);
        snprintf(plot, sizeof plot, "set logscale x\nplot '%s.csv' skip 1 using 1:2 with points ls 1 pt 7 ps 0.7 title 'log L̂ − log L', "
                 "0 with lines lc rgb '#888888' dt 2 title 'zero'", rname);
        snprintf(caption, sizeof caption, "Log residuals of the fitted law for every run (R² in log space %.3f): "
                 "a trend across %s means the law's form misses the data.", f.r2_log, sym);
        figure_draw(r, rname, title, unit, "log predicted − log observed loss", "", plot, caption);
    }
    const char *names[] = { "E", "A", "α" };
    for (int k = 0; k < 3; k++) report_fit_row(r, a == AXIS_N ? "L(N) = E + A·N^−α" : "L(D) = E + B·D^−β", data,
                                               names[k], f.report[k], f.lo[k], f.hi[k]);
    if (have_h) report_fit_row(r, "held-out prediction", data, "L at the largest x", h.predicted, h.lo, h.hi);
    if (a == AXIS_N) {
        size_t n = strlen(r->summary);
        snprintf(r->summary + n, sizeof r->summary - n, "L(N) on %s: α = %.3f [%.3f, %.3f], E = %.4g (95%% bootstrap intervals, %d runs)\n",
                 data, f.report[2], f.lo[2], f.hi[2], f.report[0], P.n);
    }
    if (theta) memcpy(theta, f.theta, sizeof(double) * o.law->n_theta);
    fit_result_free(&f);
    points_free(&P);
    return 0;
}

// IsoFLOP profiles and N_opt(C) from the points jackpot fit --law isoflop reads (the same
// metric, the same isoflop_fit and its refusals): a note saying why where they do not suffice.
static void isoflop_figures(TaskView *v, int k) {
    Report *r = v->r;
    char err[1024], task[260], tag[64];
    const char *where = v->iso_where[k], *label = v->iso_label[k];
    snprintf(task, sizeof task, "%s", label);
    if (k) snprintf(tag, sizeof tag, "%s_i%d", v->tag, k + 1);   // the first keeps the plain name
    else snprintf(tag, sizeof tag, "%s", v->tag);
    Points P;
    if (points_from_store(v->db_path, NULL, v->metric, where, &P, err, sizeof err) != 0) {
        report_note(r, "IsoFLOP profiles (%s): %s", task, err);
        return;
    }
    IsoResult iso;
    if (isoflop_fit(&P, v->n_boot, 0, &iso, err, sizeof err) != 0) {   // it frees what it made
        report_note(r, "IsoFLOP profiles (%s), no figure: %s", task, err);
        points_free(&P);
        return;
    }
    const char *kind = isoflop_points_kind(v->metric);
    char name[96], plot[3000], caption[900], title[340];
    snprintf(name, sizeof name, "isoflop_%s", tag);
    FILE *c = figure_data(r, name);
    if (c) {
        fprintf(c, "kind,budget_flops,n_params,loss\n");
        char budgets[1024] = "";
        size_t k = 0;
        // at most 6 budgets, spread evenly over those with an optimum, so the figure stays readable
        int ok_index = 0, stride = (iso.n_ok + 5) / 6;
        double ylo = INFINITY, yhi = 0, xlo = INFINITY, xhi = 0;
        for (int b = 0; b < iso.n_budgets; b++) {
            const IsoBudget *B = &iso.budgets[b];
            if (!B->ok || ok_index++ % stride != 0) continue;
            k += (size_t)snprintf(budgets + k, sizeof budgets - k, "%s%.4g", k ? " " : "", B->C);
            for (int i = 0; i < P.n; i++)
                if (fabs(P.x[AXIS_C][i] / B->C - 1) < 0.05) {
                    fprintf(c, "point,%.4g,%.9g,%.9g\n", B->C, P.x[AXIS_N][i], P.loss[i]);
                    ylo = fmin(ylo, P.loss[i]);
                    yhi = fmax(yhi, P.loss[i]);
                    xlo = fmin(xlo, P.x[AXIS_N][i]);
                    xhi = fmax(xhi, P.x[AXIS_N][i]);
                }
            double lo = INFINITY, hi = 0;
            for (int i = 0; i < P.n; i++)
                if (fabs(P.x[AXIS_C][i] / B->C - 1) < 0.05) { lo = fmin(lo, P.x[AXIS_N][i]); hi = fmax(hi, P.x[AXIS_N][i]); }
            for (int i = 0; i <= 40; i++) {
                double lnN = log(lo) + (log(hi) - log(lo)) * i / 40.0;
                fprintf(c, "parabola,%.4g,%.9g,%.9g\n", B->C, exp(lnN), B->c0 + B->c1 * lnN + B->c2 * lnN * lnN);
            }
            fprintf(c, "optimum,%.4g,%.9g,%.9g\n", B->C, B->N_opt, B->L_opt);
        }
        fclose(c);
        snprintf(plot, sizeof plot,
                 "set logscale xy\nbudgets = \"%s\"\n"
                 "plot for [i=1:words(budgets)] '%s.csv' skip 1 using (strcol(1) eq 'point' && abs($2/word(budgets,i) - 1) < 1e-3 ? $3 : NaN):4 with points ls i pt 7 notitle, \\\n"
                 "  for [i=1:words(budgets)] '' skip 1 using (strcol(1) eq 'parabola' && abs($2/word(budgets,i) - 1) < 1e-3 ? $3 : NaN):4 with lines ls i title sprintf('C = %%s FLOPs', word(budgets,i)), \\\n"
                 "  '' skip 1 using (strcol(1) eq 'optimum' ? $3 : NaN):4 with points pt 3 ps 2 lc rgb 'black' title 'N_{opt}(C), the minimum of each parabola'",
                 budgets, name);
        snprintf(title, sizeof title, "IsoFLOP profiles (%s)", task);
        snprintf(caption, sizeof caption, "At each compute budget (points within 5%% of the same FLOPs), %s "
                 "against model size with a parabola in log N; its minimum is the compute-optimal size. Points: %s. "
                 "Across %d budgets N_opt ∝ C^%.3g [%.3g, %.3g].", v->metric, kind, iso.n_ok, iso.n_exp, iso.n_lo, iso.n_hi);
        char tics[1024];
        log_tics(tics, sizeof tics, 'y', ylo, yhi);
        log_tics(tics + strlen(tics), sizeof tics - strlen(tics), 'x', xlo, xhi);
        figure_draw(r, name, title, "N, parameters", "test loss (nats)", tics, plot, caption);
        report_fit_row(r, "IsoFLOP N_opt ∝ C^a", task, "a", iso.n_exp, iso.n_lo, iso.n_hi);
        report_fit_row(r, "IsoFLOP D_opt ∝ C^b", task, "b", iso.d_exp, iso.d_lo, iso.d_hi);
    }
    // N_opt(C): every budget's optimum and the fitted power law through them
    snprintf(name, sizeof name, "n_opt_%s", tag);
    if ((c = figure_data(r, name))) {
        fprintf(c, "kind,budget_flops,n_opt,fit\n");
        double clo = INFINITY, chi = 0, nlo = INFINITY, nhi = 0;
        for (int b = 0; b < iso.n_budgets; b++) {
            const IsoBudget *B = &iso.budgets[b];
            if (!B->ok) continue;
            fprintf(c, "budget,%.6g,%.6g,\n", B->C, B->N_opt);
            clo = fmin(clo, B->C);
            chi = fmax(chi, B->C);
            nlo = fmin(nlo, B->N_opt);
            nhi = fmax(nhi, B->N_opt);
        }
        for (int i = 0; i <= 20; i++) {
            double C = exp(log(clo) + (log(chi) - log(clo)) * i / 20.0);
            fprintf(c, "fit,%.6g,,%.6g\n", C, iso.n_coef * pow(C, iso.n_exp));
        }
        fclose(c);
        snprintf(plot, sizeof plot, "set logscale xy\nplot '%s.csv' skip 1 using (strcol(1) eq 'budget' ? $2 : NaN):3 with points ls 1 pt 7 ps 1.2 "
                 "title 'N_{opt} of each budget', '' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):4 with lines ls 2 "
                 "title 'N_{opt} ∝ C^{%.3g}'", name, iso.n_exp);
        snprintf(title, sizeof title, "Compute-optimal model size against compute (%s)", task);
        snprintf(caption, sizeof caption, "The minimum of each IsoFLOP parabola against its budget (%s), and the power law "
                 "through them: N_opt ∝ C^%.3g [%.3g, %.3g], so D_opt ∝ C^%.3g [%.3g, %.3g] (Chinchilla found about 0.5 and 0.5).",
                 kind, iso.n_exp, iso.n_lo, iso.n_hi, iso.d_exp, iso.d_lo, iso.d_hi);
        char tics[1024];
        log_tics(tics, sizeof tics, 'y', nlo, nhi);
        log_tics(tics + strlen(tics), sizeof tics - strlen(tics), 'x', clo, chi);
        figure_draw(r, name, title, "C, training FLOPs", "N_opt, parameters", tics, plot, caption);
    }
    isoflop_free(&iso);
    points_free(&P);
}

void section_scaling(TaskView *v) {
    Report *r = v->r;
    task_section(v, "scaling", "Scaling laws", "Loss against model size N and training-set size D, with power laws fitted "
                   "by robust least squares in log space (Huber loss, BFGS from a grid of starts).");
    char what[96];
    if (v->d_star) snprintf(what, sizeof what, "D = %ld", v->d_star);
    else snprintf(what, sizeof what, "%s", strncmp(v->task, "fashion-mnist", 13) ? "fresh samples" : "D = the whole pool");
    if (v->n_sizes_at_d >= 3) v->have_law = law_figure(v, AXIS_N, v->where_d, what, v->law_theta) == 0;
    else report_note(r, "L(N): needs 3 or more model sizes at one training-set size (the most here: %d).", v->n_sizes_at_d);

    // L(D): the model size with the most training-set sizes.
    sqlite3_stmt *st;
    long n_star = 0;
    int k = 0;
    char *sql = sqlite3_mprintf("SELECT r.n_params, count(DISTINCT r.train_size) AS k FROM runs r WHERE r.status = 'done'"
                                " AND %s AND r.train_size > 0 GROUP BY r.n_params ORDER BY k DESC, r.n_params DESC LIMIT 1",
                                v->where_task);
    if (sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) { n_star = sqlite3_column_int64(st, 0); k = sqlite3_column_int(st, 1); }
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    if (k >= 3) {
        char where[3300];
        snprintf(where, sizeof where, "%s AND r.n_params = %ld AND r.train_size > 0", v->where_task, n_star);
        snprintf(what, sizeof what, "N = %ld", n_star);
        law_figure(v, AXIS_D, where, what, NULL);
    } else {
        report_note(r, "L(D): needs 3 or more training-set sizes at one model size (the most here: %d).", k);
    }

    // The compute frontier: every evaluation's test loss against training FLOPs, and its lower envelope.
    char err[512];
    Points P;
    if (points_from_store(v->db_path, NULL, "eval:test_loss", v->where_task, &P, err, sizeof err) != 0) {
        report_note(r, "compute frontier: %s", err);
        for (int k = 0; k < v->n_iso; k++) isoflop_figures(v, k);
        report_section_end(r);
        return;
    }
    char name[96];
    snprintf(name, sizeof name, "frontier_%s", v->tag);
    FILE *c = figure_data(r, name);
    if (c) {
        fprintf(c, "kind,n_params,flops,loss,fit\n");
        double ylo = INFINITY, yhi = 0;
        for (int i = 0; i < P.n; i++)
            if (P.x[AXIS_C][i] > 0) {
                fprintf(c, "eval,%.9g,%.9g,%.9g,\n", P.x[AXIS_N][i], P.x[AXIS_C][i], P.loss[i]);
                ylo = fmin(ylo, P.loss[i]);
                yhi = fmax(yhi, P.loss[i]);
            }
        points_frontier(&P);
        FitOptions o = { .law = &law_power, .axes = { AXIS_C }, .delta = 1e-3, .n_boot = 0, .seed = 0 };
        FitResult f;
        int fitted = P.n >= 4 && fit_law(&o, &P, NULL, &f, err, sizeof err) == 0;
        for (int i = 0; i < P.n; i++) {
            double x = P.x[AXIS_C][i];
            fprintf(c, "frontier,%.9g,%.9g,%.9g,%.9g\n", P.x[AXIS_N][i], x, P.loss[i], fitted ? fit_predict(o.law, f.theta, &x) : NAN);
        }
        fclose(c);
        char plot[1400], caption[512], title[160];
        snprintf(plot, sizeof plot,
                 "set logscale xy\nplot '%s.csv' skip 1 using (strcol(1) eq 'eval' ? $3 : NaN):4 with points pt 7 ps 0.35 lc rgb '#9ecae1' title 'evaluations (all runs)', \\\n"
                 "  '' skip 1 using (strcol(1) eq 'frontier' ? $3 : NaN):4 with steps ls 2 title 'frontier (lowest loss so far)'%s",
                 name, fitted ? ", \\\n  '' skip 1 using (strcol(1) eq 'frontier' ? $3 : NaN):5 with lines ls 3 dt 2 title 'L = E + A·C^{-γ} on the frontier'" : "");
        snprintf(title, sizeof title, "Compute frontier (%s)", v->task);
        if (fitted) snprintf(caption, sizeof caption, "Test loss at every evaluation of every run against the training FLOPs "
                             "spent so far; the frontier is the lowest loss reached for each compute, fitted with γ = %.3g.", f.report[2]);
        else snprintf(caption, sizeof caption, "Test loss at every evaluation of every run against the training FLOPs "
                      "spent so far, and the lowest loss reached for each compute.");
        char tics[512];
        log_tics(tics, sizeof tics, 'y', ylo, yhi);
        figure_draw(r, name, title, "C, training FLOPs", "test loss (nats)", tics, plot, caption);
        if (fitted) {
            report_fit_row(r, "frontier L(C) = E + A·C^−γ", v->task, "γ", f.report[2], NAN, NAN);
            fit_result_free(&f);
        }
    }
    points_free(&P);
    for (int k = 0; k < v->n_iso; k++) isoflop_figures(v, k);
    report_section_end(r);
}

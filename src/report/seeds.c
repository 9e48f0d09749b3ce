// Outcomes across seeds: every run of each size as a point (a strip plot), the
// spread against N with a power-law fit, the expected best of k seeds against the
// fitted L(k·N), and a table of the distribution statistics.
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "report/sections.h"
#include "stats/describe.h"
#include "stats/samples.h"
#include "stats/slope.h"

static const char *const UNIT_LABEL[] = { "test loss (nats)", "test accuracy", "logit of test accuracy" };

// The outcome of run i of group g in the view's unit (NaN when unknown).
static double outcome(const SeedGroup *g, int i, int unit) {
    if (unit == 0) return g->loss[i];
    double a = g->acc[i];
    if (unit == 1 || !isfinite(a)) return a;
    const double m = 10000;   // clip to [1/(2m), 1 − 1/(2m)] so that 0 and 1 stay finite
    a = fmin(fmax(a, 0.5 / m), 1 - 0.5 / m);
    return log(a / (1 - a));
}

static void strip_and_spread(TaskView *v, const Samples *S, int unit) {
    Report *r = v->r;
    int finite = 0;
    for (int k = 0; k < S->n_groups; k++)
        for (int i = 0; i < S->g[k].n; i++) finite += isfinite(outcome(&S->g[k], i, unit));
    if (!finite) {
        report_note(r, "outcomes across seeds (%s): no run has a %s (regression targets have no accuracy).", v->task, UNIT_LABEL[unit]);
        return;
    }
    char name[96], plot[1400], title[200], caption[600];
    snprintf(name, sizeof name, "seeds_strip_%s", v->tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,x_jittered,outcome,init_seed,data_seed\n");
    for (int k = 0; k < S->n_groups; k++) {
        const SeedGroup *g = &S->g[k];
        for (int i = 0; i < g->n; i++) {
            double jitter = 1 + 0.12 * ((i + 0.5) / g->n - 0.5);   // spread the seeds sideways, deterministically
            fprintf(c, "%.9g,%.9g,%.9g,%lld,%lld\n", g->N, g->N * jitter, outcome(g, i, unit), (long long)g->init[i],
                    (long long)g->data[i]);
        }
    }
    fclose(c);
    snprintf(plot, sizeof plot, "set logscale x\nplot '%s.csv' skip 1 using 2:3 with points pt 7 ps 0.8 lc rgb '#1f77b4' title 'one run (seed)', \\\n"
             "  '' skip 1 using 1:3 smooth unique with linespoints ls 2 pt 5 title 'mean over seeds'", name);
    snprintf(title, sizeof title, "Outcomes across seeds by size (%s)", v->task);
    snprintf(caption, sizeof caption, "Every run's final %s at each model size (seeds spread sideways) and their mean: "
             "the run-to-run spread a single seed hides.", UNIT_LABEL[unit]);
    figure_draw(r, name, title, "N, parameters", UNIT_LABEL[unit], "", plot, caption);

    // spread vs N: std across seeds, fitted as std ∝ N^k
    snprintf(name, sizeof name, "seeds_spread_%s", v->tag);
    if (!(c = figure_data(r, name))) return;
    fprintf(c, "kind,n_params,std,fit,lo,hi\n");
    double lx[S->n_groups], ly[S->n_groups];
    int n = 0;
    for (int k = 0; k < S->n_groups; k++) {
        const SeedGroup *g = &S->g[k];
        double y[g->n];
        int m = 0;
        for (int i = 0; i < g->n; i++) if (isfinite(outcome(g, i, unit))) y[m++] = outcome(g, i, unit);
        if (m < 2) continue;
        double sd = gsl_stats_sd(y, 1, m);
        if (!(sd > 0)) continue;   // a log axis: identical outcomes have no place on it
        // 95% interval of a standard deviation from m draws of a normal: (m−1)s²/σ² ~ χ²(m−1)
        double lo = sd * sqrt((m - 1) / gsl_cdf_chisq_Qinv(0.025, m - 1)), hi = sd * sqrt((m - 1) / gsl_cdf_chisq_Pinv(0.025, m - 1));
        fprintf(c, "size,%.9g,%.9g,,%.9g,%.9g\n", g->N, sd, lo, hi);
        lx[n] = log(g->N);
        ly[n++] = log(sd);
    }
    if (n == 0) {
        fclose(c);
        report_note(r, "spread across seeds (%s): every size gave identical outcomes across its seeds.", v->task);
        return;
    }
    SlopeFit fit;   // std ∝ N^k with its Student-t interval, as jackpot dist fits it
    int fitted = slope_fit(lx, ly, n, &fit) == 0;
    if (fitted) {
        for (int i = 0; i < n; i++) fprintf(c, "fit,%.9g,,%.9g,,\n", exp(lx[i]), exp(fit.intercept + fit.slope * lx[i]));
        report_fit_row(r, "spread across seeds ∝ N^k", v->task, "k", fit.slope, fit.lo, fit.hi);
    }
    fclose(c);
    snprintf(plot, sizeof plot, "set logscale xy\nplot '%s.csv' skip 1 using (strcol(1) eq 'size' ? $2 : NaN):3:5:6 with yerrorbars ls 1 pt 7 ps 1.2 "
             "title 'std across seeds (95%% interval)'%s", name,
             fitted ? ", \\\n  '' skip 1 using (strcol(1) eq 'fit' ? $2 : NaN):4 with lines ls 2 title 'power-law fit'" : "");
    snprintf(title, sizeof title, "Spread across seeds against N (%s)", v->task);
    if (fitted) snprintf(caption, sizeof caption, "Standard deviation of the final %s across seeds at each size, "
                         "bars its 95%% interval (χ², as if outcomes were normal); it scales as N^%.3g [%.3g, %.3g] (least squares in log–log, Student's t 95%% interval).",
                         UNIT_LABEL[unit], fit.slope, fit.lo, fit.hi);
    else snprintf(caption, sizeof caption, "Standard deviation of the final %s across seeds at each size, bars its 95%% interval "
                  "(χ², as if outcomes were normal); too few sizes for a fit.",
                  UNIT_LABEL[unit]);
    figure_draw(r, name, title, "N, parameters", "standard deviation across seeds", "", plot, caption);
}

static void best_of_k(TaskView *v, const Samples *S) {
    Report *r = v->r;
    if (!v->have_law) { report_note(r, "best of k: needs the fitted L(N) (3 or more sizes)."); return; }
    char name[96], plot[3200], title[200];
    snprintf(name, sizeof name, "best_of_k_%s", v->tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "kind,n_params,k,kN,loss\n");
    double xmax = 0, xmin = INFINITY, nmax = 0;   // nmax: the largest size trained
    for (int g = 0; g < S->n_groups; g++) {
        const SeedGroup *G = &S->g[g];
        double x[G->n];
        memcpy(x, G->loss, sizeof(double) * G->n);
        gsl_sort(x, 1, G->n);
        for (int k = 1; k <= G->n; k++) {
            double best = expected_best_of_k(x, G->n, k);
            fprintf(c, "best,%.9g,%d,%.9g,%.9g\n", G->N, k, k * G->N, best);
            xmax = fmax(xmax, k * G->N);
        }
        xmin = fmin(xmin, G->N);
        nmax = fmax(nmax, G->N);
    }
    // The law up to the largest trained size, and beyond it (an extrapolation, drawn apart) with
    // the size itself in both so that the two lines meet.
    for (int i = 0; i <= 50; i++) {
        double x = exp(log(xmin) + (log(xmax) - log(xmin)) * i / 50.0), y = fit_predict(&law_power, v->law_theta, &x);
        double xn = nmax, yn = fit_predict(&law_power, v->law_theta, &xn);
        double prev = i ? exp(log(xmin) + (log(xmax) - log(xmin)) * (i - 1) / 50.0) : 0;
        if (prev < nmax && x > nmax) {
            fprintf(c, "law,,,%.9g,%.9g\n", xn, yn);
            fprintf(c, "extrapolated,,,%.9g,%.9g\n", xn, yn);
        }
        fprintf(c, "%s,,,%.9g,%.9g\n", x <= nmax ? "law" : "extrapolated", x, y);
    }
    fclose(c);
    char sizes[2048] = "";
    size_t k = 0;
    for (int g = 0; g < S->n_groups && k + 24 < sizeof sizes; g++) k += (size_t)snprintf(sizes + k, sizeof sizes - k, "%s%.9g", k ? " " : "", S->g[g].N);
    snprintf(plot, sizeof plot,
             "set logscale xy\nsizes = \"%s\"\n"
             "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 3 lc rgb 'gray40'\n"
             "plot '%s.csv' skip 1 using (strcol(1) eq 'law' ? $4 : NaN):5 with lines lc rgb 'black' lw 2 dt 2 title 'fitted L(k·N)', \\\n"
             "  '' skip 1 using (strcol(1) eq 'extrapolated' ? $4 : NaN):5 with lines lc rgb 'gray45' lw 2 dt 3 "
             "title 'L(k·N) beyond the largest trained N (extrapolated)', \\\n"
             "  for [i=1:words(sizes)] '' skip 1 using (strcol(1) eq 'best' && abs($2/word(sizes,i) - 1) < 1e-9 ? $4 : NaN):5 "
             "with linespoints ls ((i-1)%%8+1) pt 7 ps 0.6 lw 2 title sprintf('best of k at N = %%s', word(sizes,i))",
             sizes, nmax, nmax, name);
    snprintf(title, sizeof title, "Best of k seeds against a k-times larger model (%s)", v->task);
    figure_draw(r, name, title, "k·N (training compute in units of one model's)", "test loss (nats)", "", plot,
                "The expected lowest final loss among k seeds (unbiased, from order statistics) at size N, placed at k·N, "
                "against the loss the fitted law predicts for one model k times larger: points above the line mean "
                "buying parameters beats buying seeds. Right of the dotted vertical line (the largest size trained) "
                "the law is extrapolated, drawn grey.");
}

// The table of distribution statistics; `whose` (may be NULL) names the --group-by value it is of.
static void dist_table(TaskView *v, const Samples *S, const char *whose) {
    FILE *h = v->r->html;
    fprintf(h, "</div><table><caption>");
    if (whose) { html_escaped(h, whose); fputs(": ", h); }
    fprintf(h, "Final test loss across seeds by size: statistics with 95%% bootstrap intervals, "
               "and the Anderson–Darling test of normality.</caption><tr><th>N</th><th>D</th><th>runs</th><th>mean</th>"
               "<th>std [95%%]</th><th>CV</th><th>median</th><th>skewness [95%%]</th><th>excess kurtosis</th><th>AD p</th></tr>\n");
    for (int g = 0; g < S->n_groups; g++) {
        const SeedGroup *G = &S->g[g];
        Describe d;
        if (G->n < 2 || describe(G->loss, G->n, v->n_boot > 200 ? 200 : v->n_boot, 0, &d) != 0) continue;
        double p;
        anderson_darling(G->loss, G->n, &p);   // as jackpot dist does: no p below n = 8, "< 3.7e-24" at the floor
        char pvalue[40], skew[80];
        ad_p_text(p, pvalue, sizeof pvalue);
        if (pvalue[0] == '<') { char bound[48]; snprintf(bound, sizeof bound, "&lt;%.30s", pvalue + 1); strcpy(pvalue, bound); }
        if (isfinite(d.lo[11])) snprintf(skew, sizeof skew, "%.2f [%.2f, %.2f]", d.v[11], d.lo[11], d.hi[11]);
        else snprintf(skew, sizeof skew, "%.2f", d.v[11]);   // no interval below n = 8
        fprintf(h, "<tr><td>%.4g</td><td>%.4g</td><td>%d</td><td>%.4g</td><td>%.3g [%.3g, %.3g]</td><td>%.3g</td><td>%.4g</td>"
                   "<td>%s</td><td>%.2f</td><td>%s</td></tr>\n",
                G->N, G->D, G->n, d.v[0], d.v[1], d.lo[1], d.hi[1], d.v[2], d.v[6], skew, d.v[12], pvalue);
    }
    fprintf(h, "</table><div class=\"figs\">\n");
}

// The standard deviation across seeds of size group g's outcomes and its 95% interval (χ², as if
// the outcomes were normal); 0, or −1 when it is undefined or 0 (no place on a log axis).
static int size_spread(const SeedGroup *g, int unit, double *sd, double *lo, double *hi) {
    double y[g->n];
    int m = 0;
    for (int i = 0; i < g->n; i++) if (isfinite(outcome(g, i, unit))) y[m++] = outcome(g, i, unit);
    if (m < 2) return -1;
    *sd = gsl_stats_sd(y, 1, m);
    *lo = *sd * sqrt((m - 1) / gsl_cdf_chisq_Qinv(0.025, m - 1));
    *hi = *sd * sqrt((m - 1) / gsl_cdf_chisq_Pinv(0.025, m - 1));
    return *sd > 0 ? 0 : -1;
}

// --group-by: group g's spread rows (size) and its fit std ∝ N^k (fit) in c; a table row and a
// caption part. Returns 1 when it fitted, 0 when not, −1 when it has no spread to show.
static int group_spread_rows(TaskView *v, int g, FILE *c, SlopeFit *fit) {
    Samples S;
    const char *at = !strncmp(v->metric, "best_", 5) ? "best" : "final";
    char *where = report_cond_train_size(v->group_where[g], v->d_star);
    int rc = samples_from_store(v->db_path, NULL, at, where, &S);
    free(where);
    if (rc != 0) { report_missing(v->r, v->group_label[g], "finished runs with 2 or more seeds at a model size"); return -1; }
    double lx[S.n_groups + 1], ly[S.n_groups + 1];
    int n = 0;
    for (int k = 0; k < S.n_groups; k++) {
        double sd, lo, hi;
        if (size_spread(&S.g[k], v->unit, &sd, &lo, &hi) != 0) continue;
        fprintf(c, "size,%d,", g + 1);
        group_value_csv(c, v, g);
        fprintf(c, ",%.9g,%.9g,%.9g,%.9g,\n", S.g[k].N, sd, lo, hi);
        lx[n] = log(S.g[k].N);
        ly[n++] = log(sd);
    }
    samples_free(&S);
    if (n == 0) return -1;
    if (slope_fit(lx, ly, n, fit) != 0) return 0;
    for (int i = 0; i < n; i++) {
        fprintf(c, "fit,%d,", g + 1);
        group_value_csv(c, v, g);
        fprintf(c, ",%.9g,,,,%.9g\n", exp(lx[i]), exp(fit->intercept + fit->slope * lx[i]));
    }
    report_fit_row(v->r, "spread across seeds ∝ N^k", v->group_label[g], "k", fit->slope, fit->lo, fit->hi);
    return 1;
}

// --group-by: the spread across seeds against N, one colour per value, each with its fit.
static void group_spread(TaskView *v) {
    char name[96], plot[6000], title[300], caption[1600];
    snprintf(name, sizeof name, "seeds_spread_%s", v->tag);
    FILE *c = figure_data(v->r, name);
    if (!c) return;
    fprintf(c, "kind,group,%s,n_params,std,lo,hi,fit\n", v->group_by);
    size_t k = (size_t)snprintf(plot, sizeof plot, "set logscale xy\nplot ");
    size_t kc = (size_t)snprintf(caption, sizeof caption, "Standard deviation of the final %s across seeds at each size, "
                                 "one colour per %s, bars its 95%% interval (χ², as if outcomes were normal); lines: std ∝ N^k "
                                 "fitted per value (least squares in log–log, Student's t 95%% interval):", UNIT_LABEL[v->unit], v->group_by);
    int drawn = 0;   // the file named once, then ''
    for (int g = 0; g < v->n_groups && k < sizeof plot; g++) {
        SlopeFit fit;
        int fitted = group_spread_rows(v, g, c, &fit), ls = g % 8 + 1;
        if (fitted < 0) continue;
        k += (size_t)snprintf(plot + k, sizeof plot - k, "%s'%s%s' skip 1 using (strcol(1) eq 'size' && $2 == %d ? $4 * %.3f : NaN):5:6:7 "
                              "with yerrorbars ls %d pt 7 ps 1.2 title '%s' noenhanced",
                              drawn ? ", \\\n  " : "", drawn ? "" : name, drawn ? "" : ".csv", g + 1,
                              1 + 0.03 * (g - (v->n_groups - 1) / 2.0), ls, v->group_label[g]);   // dodged: bars of one N apart
        if (fitted)
            k += (size_t)snprintf(plot + k, sizeof plot - k, ", \\\n  '' skip 1 using (strcol(1) eq 'fit' && $2 == %d ? $4 : NaN):8 "
                                  "with lines ls %d notitle", g + 1, ls);
        if (fitted && kc < sizeof caption)
            kc += (size_t)snprintf(caption + kc, sizeof caption - kc, " %s: k = %.3g [%.3g, %.3g];", v->group_label[g], fit.slope,
                                   fit.lo, fit.hi);
        drawn = 1;
    }
    fclose(c);
    if (!drawn) { report_note(v->r, "spread across seeds (%s): no value of %s has a spread to show.", v->task, v->group_by); return; }
    if (kc < sizeof caption && caption[kc - 1] == ';') caption[kc - 1] = '.';
    snprintf(title, sizeof title, "Spread across seeds against N by %s (%s)", v->group_by, v->task);
    figure_draw(v->r, name, title, "N, parameters", "standard deviation across seeds", "", plot, caption);
}

// --group-by: the statistics table of each value.
static void group_tables(TaskView *v) {
    const char *at = !strncmp(v->metric, "best_", 5) ? "best" : "final";
    for (int g = 0; g < v->n_groups; g++) {
        Samples S;
        char *where = report_cond_train_size(v->group_where[g], v->d_star);
        int rc = samples_from_store(v->db_path, NULL, at, where, &S);
        free(where);
        if (rc != 0) continue;   // group_spread has said why
        dist_table(v, &S, v->group_label[g]);
        samples_free(&S);
    }
}

void section_seeds(TaskView *v) {
    Report *r = v->r;
    task_section(v, "seeds", "Across seeds", "Runs that differ only in their seeds, at the training-set size with the most model sizes: "
                   "is the outcome a matter of size, or of luck?");
    if (v->n_groups) {
        group_spread(v);
        group_tables(v);
        report_note(r, "with --group-by the strip plot and best of k are not drawn: draw one %s at a time with --where "
                    "for them.", v->group_by);
        report_section_end(r);
        return;
    }
    Samples S;
    // the test metrics at the end, or with --metric best_* at each run's best-validation step
    const char *at = !strncmp(v->metric, "best_", 5) ? "best" : "final";
    if (samples_from_store(v->db_path, NULL, at, v->where_d, &S) != 0) {
        report_missing(r, "outcomes across seeds", "finished runs with 2 or more seeds at a model size");
        report_section_end(r);
        return;
    }
    int multi = 0;
    for (int g = 0; g < S.n_groups; g++) multi += S.g[g].n >= 2;
    if (multi == 0) {
        report_note(r, "every size has a single seed: nothing to compare across seeds.");
    } else {
        strip_and_spread(v, &S, v->unit);
        best_of_k(v, &S);
        dist_table(v, &S, NULL);
    }
    samples_free(&S);
    report_section_end(r);
}

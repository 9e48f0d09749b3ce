// The worth of an idea: for each comparison `jackpot compare` recorded (the latest of each
// setting), both arms' points and fitted laws, and the multiplier k(x) of B over A with its band.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit/points.h"
#include "report/sections.h"
#include "store/read_compare.h"

enum { MAX_COMPARES = 6 };

// x of a point as the comparison measured it: its FLOPs (frontier, chinchilla) or the power law's axis.
static double point_x(const StoredCompare *c, const Points *p, int i) {
    Axis4 a = AXIS_C;
    if (strcmp(c->axis, "6ND") && axis_parse(c->axis, &a) != 0) a = AXIS_C;
    return p->x[a][i];
}

// NAME_fit.csv: each arm's points (the frontier's when the law is the frontier) and both fitted curves.
static int losses_figure(Report *r, const StoredCompare *c, const char *db, const char *name) {
    FILE *f = figure_data(r, name);
    if (!f) return -1;
    fprintf(f, "kind,arm,x,loss\n");
    for (int k = 0; k < 2; k++) {
        Points p;
        char where[600];
        snprintf(where, sizeof where, "(%s)", c->where[k]);
        if (points_from_store(db, NULL, c->metric, where, &p) != 0) continue;   // the curves alone then
        if (!strcmp(c->law, "frontier")) points_frontier(&p);
        for (int i = 0; i < p.n; i++) fprintf(f, "point,%d,%.9g,%.9g\n", k, point_x(c, &p, i), p.loss[i]);
        points_free(&p);
    }
    for (int k = 0; k < 2; k++)   // one arm's curve after the other: gnuplot's lines break at rows it skips
        for (int i = 0; i < c->n; i++) fprintf(f, "fit,%d,%.9g,%.9g\n", k, c->x[i], k ? c->loss_b[i] : c->loss_a[i]);
    fclose(f);
    char plot[1600], title[200], caption[400];
    snprintf(plot, sizeof plot,
             "set logscale xy\n"
             "plot '%s.csv' skip 1 using (strcol(1) eq 'point' && $2 == 0 ? $3 : NaN):4 with points ls 1 pt 7 ps 0.5 title '%s', \\\n"
             "  '' skip 1 using (strcol(1) eq 'point' && $2 == 1 ? $3 : NaN):4 with points ls 2 pt 5 ps 0.5 title '%s', \\\n"
             "  '' skip 1 using (strcol(1) eq 'fit' && $2 == 0 ? $3 : NaN):4 with lines ls 1 notitle, \\\n"
             "  '' skip 1 using (strcol(1) eq 'fit' && $2 == 1 ? $3 : NaN):4 with lines ls 2 notitle",
             name, c->arm[0], c->arm[1]);
    snprintf(title, sizeof title, "%s vs %s: loss against %s", c->arm[1], c->arm[0], !strcmp(c->axis, "flops") || !strcmp(c->axis, "6ND") ? "compute" : c->axis);
    snprintf(caption, sizeof caption, "Each arm's %s (%s) and its fitted law (lines) over the range both arms cover.",
             !strcmp(c->law, "frontier") ? "compute frontier: the lowest loss reached for each compute" : "runs", c->metric);
    return figure_draw(r, name, title, !strcmp(c->axis, "params") ? "N, parameters" : "C, training FLOPs", "loss", "", plot, caption);
}

// NAME_k.csv: k(x) and its band, the net multiplier under the cost when one was given, and k = 1.
static int multiplier_figure(Report *r, const StoredCompare *c, const char *name) {
    FILE *f = figure_data(r, name);
    if (!f) return -1;
    // An interval unbounded above (B below A's floor in some resamples: stored as NULL, read as NaN
    // next to a finite lower end) is drawn up to 10× the largest finite value, and said so.
    double top = 0;
    int clipped = 0;
    for (int i = 0; i < c->n; i++) top = fmax(top, fmax(isfinite(c->k_hi[i]) ? c->k_hi[i] : 0, isfinite(c->k[i]) ? c->k[i] : 0));
    fprintf(f, "x,k,k_lo,k_hi,k_net,k_net_lo,k_net_hi\n");
    for (int i = 0; i < c->n; i++) {
        double hi = c->k_hi[i], net_hi = c->k_net_hi[i];
        if (isnan(hi) && isfinite(c->k_lo[i])) { hi = 10 * top; clipped = 1; }
        if (isnan(net_hi) && isfinite(c->k_net_lo[i])) net_hi = 10 * top;
        fprintf(f, "%.9g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", c->x[i], c->k[i], c->k_lo[i], hi, c->k_net[i], c->k_net_lo[i], net_hi);
    }
    fclose(f);
    int net = isfinite(c->cost_b) && c->cost_b != 1;
    char plot[1600], title[200], caption[700], net_plot[400] = "", cross[200];
    if (net)
        snprintf(net_plot, sizeof net_plot, ", \\\n  '' skip 1 using 1:5 with lines ls 3 dt 2 title 'net, %s costs %.3g×'", c->arm[1], c->cost_b);
    snprintf(plot, sizeof plot,
             "set logscale xy\n"
             "plot '%s.csv' skip 1 using 1:3:4 with filledcurves lc rgb '#c6dbef' fs solid 0.6 title '95%% bootstrap band', \\\n"
             "  '' skip 1 using 1:2 with lines ls 1 title 'k(x)'%s, \\\n"
             "  1 with lines lc rgb '#666666' dt 3 title 'k = 1'",
             name, net_plot);
    snprintf(title, sizeof title, "What %s is worth over %s", c->arm[1], c->arm[0]);
    if (isfinite(c->crossing[0]))
        snprintf(cross, sizeof cross, "k = 1 at x = %.3g [%.3g, %.3g]%s", c->crossing[0], c->crossing[1], c->crossing[2],
                 c->crossing_within ? "" : " (beyond the data: an extrapolation)");
    else snprintf(cross, sizeof cross, "k does not cross 1 from 10^-3 below to 10^6 above the data");
    snprintf(caption, sizeof caption, "The multiplier k(x): %s needs k× the resource to reach the loss %s reaches at x "
             "(above 1: %s is worth more than its resource). Trend d log k / d log x = %.3f [%.3f, %.3f]; %s.%s",
             c->arm[0], c->arm[1], c->arm[1], c->trend[0], c->trend[1], c->trend[2], cross,
             clipped ? " Where the band reaches the top, it is unbounded: some resamples put B below A's floor." : "");
    return figure_draw(r, name, title, !strcmp(c->axis, "params") ? "N, parameters" : "C, training FLOPs", "k, multiplier", "",
                       plot, caption);
}

void section_compares(Report *r, const char *db_path) {
    StoredCompare *c;
    int n;
    if (store_read_compares(db_path, MAX_COMPARES, &c, &n) != 0 || n == 0) {
        if (n == 0) free(c);
        return;   // no comparison recorded: nothing to say (the section is for jackpot compare's results)
    }
    report_section(r, "compare", "The worth of an idea (jackpot compare)",
                   "Each comparison recorded by jackpot compare: both arms' fitted laws and the multiplier of the second "
                   "arm over the first, with 95% bootstrap bands (the latest comparison of each setting).");
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "compare_%ld_fit", c[i].id);
        losses_figure(r, &c[i], db_path, name);
        snprintf(name, sizeof name, "compare_%ld_k", c[i].id);
        multiplier_figure(r, &c[i], name);
        char law[200], param[64];
        snprintf(law, sizeof law, "compare (%s): k of %s over %s", c[i].law, c[i].arm[1], c[i].arm[0]);
        for (int j = 0; j < c[i].n; j += c[i].n / 4 > 0 ? c[i].n / 4 : 1) {
            snprintf(param, sizeof param, "k at x = %.3g", c[i].x[j]);
            report_fit_row(r, law, c[i].metric, param, c[i].k[j], c[i].k_lo[j], c[i].k_hi[j]);
        }
    }
    report_section_end(r);
    stored_compares_free(c, n);
}

#include "fit/isoflop.h"

#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "fit/fit.h"


// Parabola through (ln N, loss) of rows[n]; fills the budget's fit or its refusal.
static void fit_budget(const Points *p, const int *rows, int n, IsoBudget *b) {
    double lo = INFINITY, hi = -INFINITY;
    int sizes = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = p->x[AXIS_N][rows[j]] == p->x[AXIS_N][rows[i]];
        sizes += !seen;
    }
    b->n_points = n;
    b->n_sizes = sizes;
    b->ok = 0;
    if (sizes < 3) { snprintf(b->reason, sizeof b->reason, "%d distinct sizes; a parabola needs at least 3", sizes); return; }
    gsl_matrix *X = gsl_matrix_alloc(n, 3), *cov = gsl_matrix_alloc(3, 3);
    gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc(3);
    for (int i = 0; i < n; i++) {
        double l = log(p->x[AXIS_N][rows[i]]);
        if (l < lo) lo = l;
        if (l > hi) hi = l;
        gsl_matrix_set(X, i, 0, 1);
        gsl_matrix_set(X, i, 1, l);
        gsl_matrix_set(X, i, 2, l * l);
        gsl_vector_set(y, i, p->loss[rows[i]]);
    }
    double chisq;
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, 3);
    gsl_multifit_linear(X, y, c, cov, &chisq, ws);
    b->c0 = gsl_vector_get(c, 0); b->c1 = gsl_vector_get(c, 1); b->c2 = gsl_vector_get(c, 2);
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(X); gsl_matrix_free(cov); gsl_vector_free(y); gsl_vector_free(c);
    if (!(b->c2 > 0)) { snprintf(b->reason, sizeof b->reason, "curvature %.3g is not positive: no minimum", b->c2); return; }
    double l_opt = -b->c1 / (2 * b->c2);
    if (!(l_opt > lo && l_opt < hi)) {   // a vertex at the edge is an extrapolation too
        snprintf(b->reason, sizeof b->reason, "minimum at N = %.3g lies outside the sizes tried (%.3g to %.3g)",
                 exp(l_opt), exp(lo), exp(hi));
        return;
    }
    b->N_opt = exp(l_opt);
    b->D_opt = b->C / (6 * b->N_opt);
    b->L_opt = b->c0 + b->c1 * l_opt + b->c2 * l_opt * l_opt;
    b->ok = 1;
}

// All budgets from rows grouped in `group` (budget index per point), then the slope.
static int fit_all(const Points *p, const int *order, const int *start, int nb, const int *pick, IsoBudget *out,
                   double *slope, double *coef) {
    double *lc = xmalloc(sizeof(double) * nb), *ln = xmalloc(sizeof(double) * nb);
    int *rows = xmalloc(sizeof(int) * (start[nb] ? start[nb] : 1)), k = 0;
    for (int g = 0; g < nb; g++) {
        int n = start[g + 1] - start[g];
        double sumc = 0;
        for (int i = 0; i < n; i++) {
            rows[i] = pick ? order[start[g] + pick[start[g] + i]] : order[start[g] + i];
            sumc += p->x[AXIS_C][order[start[g] + i]];
        }
        out[g].C = sumc / n;
        fit_budget(p, rows, n, &out[g]);
        if (out[g].ok) { lc[k] = log(out[g].C); ln[k++] = log(out[g].N_opt); }
    }
    if (k >= 2) {
        double c0, c1, cov00, cov01, cov11, ss;
        gsl_fit_linear(lc, 1, ln, 1, k, &c0, &c1, &cov00, &cov01, &cov11, &ss);
        *slope = c1;
        *coef = exp(c0);
    }
    free(lc); free(ln); free(rows);
    return k;
}

// The points in ascending C (order[p->n]), cut into budgets where C jumps by more than 5%:
// budget g holds order[start[g] .. start[g+1]). Returns the number of budgets.
static int split_budgets(const Points *p, int *order, int *start) {
    points_order_by(p, AXIS_C, order);
    int nb = 0;
    start[0] = 0;
    for (int i = 1; i <= p->n; i++)
        if (i == p->n || log(p->x[AXIS_C][order[i]]) - log(p->x[AXIS_C][order[start[nb]]]) > ISOFLOP_BUDGET_WIDTH) start[++nb] = i;
    return nb;
}

// Enough budgets with an optimum, spanning enough of C: 0, or −1 (jp_error() says why).
static int check_optima(const IsoResult *r) {
    int nb = r->n_budgets;
    if (r->n_ok < ISOFLOP_MIN_BUDGETS) {
        int first = 0;   // the first refusal, named
        while (first < nb && r->budgets[first].ok) first++;
        char refusal[600] = "";
        if (first < nb) snprintf(refusal, sizeof refusal, " (first refusal: C = %.3g: %s)", r->budgets[first].C, r->budgets[first].reason);
        return jp_fail("isoflop: %d of %d compute budgets gave an optimum inside the sizes tried; at least %d are "
                       "needed for N_opt(C)%s", r->n_ok, nb, ISOFLOP_MIN_BUDGETS, refusal);
    }
    double cmin = INFINITY, cmax = 0;
    for (int g = 0; g < nb; g++)
        if (r->budgets[g].ok) { cmin = fmin(cmin, r->budgets[g].C); cmax = fmax(cmax, r->budgets[g].C); }
    if (log(cmax / cmin) < log(ISOFLOP_MIN_SPAN) - ISOFLOP_BUDGET_WIDTH) {
        return jp_fail("isoflop: the %d budgets with an optimum span %.3g× in C (%.3g to %.3g); at least %g× is needed "
                 "to resolve N_opt ∝ C^a", r->n_ok, cmax / cmin, cmin, cmax, ISOFLOP_MIN_SPAN);
    }
    return 0;
}

// The bootstrap: n_boot refits with the points resampled within each budget; the 95%
// interval of the slope (and of 1 − slope) into r from the resamples with at least two
// optima. Returns how many those were.
static int boot_slopes(const Points *p, const int *order, const int *start, int n_boot, uint64_t seed, IsoResult *r) {
    int nb = r->n_budgets, kept = 0;
    int *pick = xmalloc(sizeof(int) * p->n);
    double *slopes = xmalloc(sizeof(double) * n_boot);
    IsoBudget *tmp = xcalloc(nb, sizeof(IsoBudget));
    for (int b = 0; b < n_boot; b++) {
        for (int g = 0; g < nb; g++) {
            int n = start[g + 1] - start[g];
            for (int i = 0; i < n; i++)
                pick[start[g] + i] = (int)rng_below(seed, RNG_STREAM_ISOFLOP, (uint64_t)b * p->n + start[g] + i, (uint32_t)n);
        }
        double s, c;
        if (fit_all(p, order, start, nb, pick, tmp, &s, &c) >= 2) slopes[kept++] = s;
    }
    if (kept > 1) {
        percentile_interval(slopes, kept, &r->n_lo, &r->n_hi);
        r->d_lo = 1 - r->n_hi;
        r->d_hi = 1 - r->n_lo;
    }
    free(pick); free(slopes); free(tmp);
    return kept;
}

int isoflop_fit(const Points *p, int n_boot, uint64_t seed, IsoResult *r) {
    memset(r, 0, sizeof *r);
    Axis4 axes[2] = { AXIS_N, AXIS_C };
    if (points_check(p, axes, 2) != 0) return -1;
    int *order = xmalloc(sizeof(int) * p->n), *start = xmalloc(sizeof(int) * (p->n + 1));
    int nb = split_budgets(p, order, start);
    r->n_budgets = nb;
    r->budgets = xcalloc(nb, sizeof(IsoBudget));
    double slope = NAN, coef = NAN;
    r->n_ok = fit_all(p, order, start, nb, NULL, r->budgets, &slope, &coef);
    int rc = check_optima(r);
    if (rc == 0) {
        r->n_exp = slope;
        r->d_exp = 1 - slope;
        r->n_coef = coef;
        r->n_lo = r->n_hi = r->d_lo = r->d_hi = NAN;
    }
    if (rc == 0 && n_boot > 0) {
        int kept = boot_slopes(p, order, start, n_boot, seed, r);
        if (!(r->n_hi - r->n_lo < ISOFLOP_MAX_INTERVAL)) {
            rc = jp_fail("isoflop: N_opt ∝ C^%.3g with a 95%% interval [%.3g, %.3g] over %d budgets: %s; add budgets or "
                     "sizes around each optimum", slope, r->n_lo, r->n_hi, r->n_ok,
                     kept > 1 ? "wider than 0.5, it cannot tell C^0.25 from C^0.75" : "too few bootstrap resamples gave optima");
        }
    }
    free(order); free(start);
    if (rc != 0) isoflop_free(r);
    return rc;
}

const char *isoflop_points_kind(const char *metric) {
    return strncmp(metric, "eval:", 5)
               ? "final evaluations of runs trained to each budget (Chinchilla's approach 2)"
               : "intermediate evaluations during training, not runs trained to each budget: a schedule that has not "
                 "ended there overstates their loss";
}

void isoflop_free(IsoResult *r) {
    free(r->budgets);
    memset(r, 0, sizeof *r);
}

#include "fit/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "stats/describe.h"   // percentile_interval

// The crossing is searched over [x_lo / 10^3, x_hi · 10^6] on this many log-spaced points, then bisected.
#define CROSS_GRID 240
#define CROSS_BELOW 1e3
#define CROSS_ABOVE 1e6

// ---- one arm's law along x

// Chinchilla's compute-optimal frontier in closed form (C = 6ND): the loss is convex in log N at
// fixed C, its minimum where αA·N^−α = βB·D^−β, so N* = G·(C/6)^(β/(α+β)) with
// G = (αA/(βB))^(1/(α+β)) and L* = E + (1 + α/β)·A·N*^−α; the inverse follows from the same two lines.
static double chinchilla_frontier_loss(const double *t, double C) {
    double E = exp(t[0]), A = exp(t[1]), B = exp(t[2]), al = t[3], be = t[4];
    if (!(al > 0 && be > 0)) return NAN;
    double G = pow(al * A / (be * B), 1 / (al + be)), N = G * pow(C / 6, be / (al + be));
    return E + (1 + al / be) * A * pow(N, -al);
}

static double chinchilla_frontier_budget(const double *t, double loss) {
    double E = exp(t[0]), A = exp(t[1]), B = exp(t[2]), al = t[3], be = t[4];
    if (!(al > 0 && be > 0)) return NAN;
    if (loss <= E) return INFINITY;
    double G = pow(al * A / (be * B), 1 / (al + be)), N = pow((loss - E) / ((1 + al / be) * A), -1 / al);
    return 6 * pow(N / G, (al + be) / be);
}

double compare_loss_at(const CompareOptions *o, const double *t, double x) {
    if (o->kind == COMPARE_CHINCHILLA) return chinchilla_frontier_loss(t, x);
    return exp(t[0]) + exp(t[1]) * pow(x, -t[2]);
}

double compare_x_for(const CompareOptions *o, const double *t, double loss) {
    if (o->kind == COMPARE_CHINCHILLA) return chinchilla_frontier_budget(t, loss);
    if (!(t[2] > 0)) return NAN;
    double E = exp(t[0]), A = exp(t[1]);
    return loss <= E ? INFINITY : pow((loss - E) / A, -1 / t[2]);
}

// ---- the multiplier for one pair of parameter vectors

// log k(x) for B (tb) over A (ta), B's unit of x costing `cost` times A's; +∞ when B reaches a loss
// below A's floor.
static double log_multiplier(const CompareOptions *o, const double *ta, const double *tb, double x, double cost) {
    double xa = compare_x_for(o, ta, compare_loss_at(o, tb, x / cost));
    return log(xa / x);
}

// Least-squares slope of log k against log x over the grid's finite points; NaN with fewer than 3.
static double trend_slope(const double *lx, const double *lk, int n) {
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(lk[i])) continue;
        sx += lx[i]; sy += lk[i]; sxx += lx[i] * lx[i]; sxy += lx[i] * lk[i]; m++;
    }
    if (m < 3) return NAN;
    double d = m * sxx - sx * sx;
    return d > 0 ? (m * sxy - sx * sy) / d : NAN;
}

// Where k = 1 (log k changes sign) for one pair: the sign change nearest the data's range
// [x_lo, x_hi] among the search grid's, bisected in log x; NaN when there is none.
static double crossing(const CompareOptions *o, const double *ta, const double *tb, double x_lo, double x_hi) {
    double l0 = log(x_lo / CROSS_BELOW), l1 = log(x_hi * CROSS_ABOVE), best = NAN, best_d = INFINITY;
    double prev = log_multiplier(o, ta, tb, exp(l0), 1);
    for (int i = 1; i <= CROSS_GRID; i++) {
        double u = l0 + (l1 - l0) * i / CROSS_GRID, cur = log_multiplier(o, ta, tb, exp(u), 1);
        if (isfinite(prev) && isfinite(cur) && (prev > 0) != (cur > 0)) {
            double a = u - (l1 - l0) / CROSS_GRID, b = u, fa = prev;
            for (int it = 0; it < 60; it++) {
                double m = 0.5 * (a + b), fm = log_multiplier(o, ta, tb, exp(m), 1);
                if ((fm > 0) == (fa > 0)) { a = m; fa = fm; }
                else b = m;
            }
            double xc = exp(0.5 * (a + b));
            double d = xc < x_lo ? log(x_lo / xc) : xc > x_hi ? log(xc / x_hi) : 0;
            if (d < best_d) { best_d = d; best = xc; }
        }
        prev = cur;
    }
    return best;
}

// ---- the comparison

// x's range on the arm's points: the axis, or for chinchilla the points' C (6ND where not recorded).
static void arm_range(const CompareOptions *o, const Points *p, double *lo, double *hi) {
    *lo = INFINITY; *hi = -INFINITY;
    for (int i = 0; i < p->n; i++) {
        double x = p->x[o->axis][i];
        if (o->kind == COMPARE_CHINCHILLA && !(x > 0)) x = 6 * p->x[AXIS_N][i] * p->x[AXIS_D][i];
        if (!(x > 0) || !isfinite(x)) continue;
        if (x < *lo) *lo = x;
        if (x > *hi) *hi = x;
    }
}

// v with the 95% percentile interval of boot[n] (reordered; NaN draws, a resample whose law has
// no inverse, left out; +∞ kept: B below A's floor).
static CompareValue value_with_interval(double v, double *boot, int n) {
    CompareValue c = { v, NAN, NAN };
    int m = 0;
    for (int i = 0; i < n; i++) if (!isnan(boot[i])) boot[m++] = boot[i];
    if (m > 1) percentile_interval(boot, m, &c.lo, &c.hi);
    return c;
}

// k and k_net at every grid point, for the fit and each resample pair; the trend likewise.
static void multipliers(const CompareOptions *o, Comparison *r, int nb, const Law *L) {
    double *kb = xmalloc(sizeof(double) * (nb + 1) * r->n * 2), *tr = xmalloc(sizeof(double) * (nb + 1));
    double lx[COMPARE_GRID], lk[COMPARE_GRID];
    for (int i = 0; i < r->n; i++) lx[i] = log(r->x[i]);
    int n_tr = 0;
    for (int b = 0; b < nb; b++) {
        const double *ta = r->fit[0].boot_theta + (size_t)b * L->n_theta, *tb = r->fit[1].boot_theta + (size_t)b * L->n_theta;
        for (int i = 0; i < r->n; i++) {
            lk[i] = log_multiplier(o, ta, tb, r->x[i], 1);
            kb[(size_t)i * nb + b] = exp(lk[i]);
            kb[(size_t)(r->n + i) * nb + b] = exp(log_multiplier(o, ta, tb, r->x[i], o->cost_b));
        }
        double s = trend_slope(lx, lk, r->n);
        if (isfinite(s)) tr[n_tr++] = s;
    }
    for (int i = 0; i < r->n; i++) {
        lk[i] = log_multiplier(o, r->fit[0].theta, r->fit[1].theta, r->x[i], 1);
        r->k[i] = value_with_interval(exp(lk[i]), kb + (size_t)i * nb, nb);
        double net = exp(log_multiplier(o, r->fit[0].theta, r->fit[1].theta, r->x[i], o->cost_b));
        r->k_net[i] = o->cost_b != 1 ? value_with_interval(net, kb + (size_t)(r->n + i) * nb, nb) : (CompareValue){ NAN, NAN, NAN };
    }
    r->trend = value_with_interval(trend_slope(lx, lk, r->n), tr, n_tr);
    if (!isfinite(r->trend.lo)) r->trend_verdict = "no interval (no bootstrap)";
    else if (r->trend.lo > 0) r->trend_verdict = "grows with x";
    else if (r->trend.hi < 0) r->trend_verdict = "shrinks with x";
    else r->trend_verdict = "constant within the interval";
    free(kb);
    free(tr);
}

static void crossings(const CompareOptions *o, Comparison *r, int nb, const Law *L) {
    double *cb = xmalloc(sizeof(double) * (nb + 1));
    int n_cb = 0;
    for (int b = 0; b < nb; b++) {
        double c = crossing(o, r->fit[0].boot_theta + (size_t)b * L->n_theta, r->fit[1].boot_theta + (size_t)b * L->n_theta,
                            r->x_lo, r->x_hi);
        if (isfinite(c)) cb[n_cb++] = c;
    }
    double c = crossing(o, r->fit[0].theta, r->fit[1].theta, r->x_lo, r->x_hi);
    r->cross = value_with_interval(c, cb, n_cb);
    r->cross_share = nb ? (double)n_cb / nb : NAN;
    r->crosses = isfinite(c) && c >= r->x_lo && c <= r->x_hi;
    r->cross_beyond = isfinite(c) && !r->crosses;
    free(cb);
}

int compare_arms(const CompareOptions *o, const Points *a, const Points *b, Comparison *r) {
    memset(r, 0, sizeof *r);
    const Law *L = o->kind == COMPARE_CHINCHILLA ? &law_chinchilla : &law_power;
    FitOptions fo = { .law = L, .axes = { o->axis }, .delta = o->delta, .n_boot = o->n_boot, .seed = o->seed };
    if (o->kind == COMPARE_CHINCHILLA) { fo.axes[0] = AXIS_N; fo.axes[1] = AXIS_D; }
    const Points *arm[2] = { a, b };
    double lo[2], hi[2];
    for (int k = 0; k < 2; k++) {
        fo.seed = o->seed + (uint64_t)k * 0x9e3779b97f4a7c15ULL;   // the arms' resamples independent
        if (fit_law(&fo, arm[k], NULL, &r->fit[k]) != 0) {
            jp_fail("arm %s: %s", k ? "B" : "A", jp_error());
            compare_free(r);
            return -1;
        }
        arm_range(o, arm[k], &lo[k], &hi[k]);
    }
    r->x_lo = fmax(lo[0], lo[1]);
    r->x_hi = fmin(hi[0], hi[1]);
    if (!(r->x_lo < r->x_hi)) {
        jp_fail("the arms' %s ranges do not overlap (A %.3g..%.3g, B %.3g..%.3g): a multiplier needs budgets both arms trained at",
                axis_name(o->axis), lo[0], hi[0], lo[1], hi[1]);
        compare_free(r);
        return -1;
    }
    r->n = COMPARE_GRID;
    for (int i = 0; i < r->n; i++) {
        r->x[i] = exp(log(r->x_lo) + (log(r->x_hi) - log(r->x_lo)) * i / (r->n - 1));
        r->loss_a[i] = compare_loss_at(o, r->fit[0].theta, r->x[i]);
        r->loss_b[i] = compare_loss_at(o, r->fit[1].theta, r->x[i]);
    }
    int nb = r->fit[0].n_boot < r->fit[1].n_boot ? r->fit[0].n_boot : r->fit[1].n_boot;
    multipliers(o, r, nb, L);
    crossings(o, r, nb, L);
    return 0;
}

void compare_free(Comparison *r) {
    fit_result_free(&r->fit[0]);
    fit_result_free(&r->fit[1]);
}

#include "fit/minimize.h"

#include <math.h>
#include <string.h>

#include "fit/laws.h"

enum { NMAX = LAW_MAX_THETA, LS_TRIES = 40 };

static double dot(const double *a, const double *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double max_abs(const double *a, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

// Backtracking along d from x (f, slope gd < 0): the first step with
// f(x + step·d) ≤ f + 1e-4·step·gd, shrunk by quadratic interpolation (kept within
// [0.1, 0.5] of the last step). Returns 1 with xn, fn, gn filled, 0 when none was found.
static int line_search(MinFn fn, void *ctx, int n, const double *x, double f, const double *d, double gd,
                       double step, double *xn, double *f_new, double *gn) {
    for (int k = 0; k < LS_TRIES; k++) {
        for (int i = 0; i < n; i++) xn[i] = x[i] + step * d[i];
        double fs = fn(ctx, xn, gn);
        if (fs <= f + 1e-4 * step * gd) { *f_new = fs; return 1; }
        double q = isfinite(fs) ? -gd * step * step / (2 * (fs - f - gd * step)) : 0.1 * step;
        step = fmin(fmax(q, 0.1 * step), 0.5 * step);
    }
    return 0;
}

// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(yᵀs); the first update first scales
// H = I by yᵀs / yᵀy (Nocedal & Wright 6.20). Skipped when yᵀs is not safely positive.
static void bfgs_update(double H[NMAX][NMAX], int n, const double *s, const double *y, int first) {
    double sy = dot(s, y, n), yy = dot(y, y, n);
    if (!(sy > 1e-12 * sqrt(dot(s, s, n) * yy))) return;
    if (first)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) H[i][j] = i == j ? sy / yy : 0;
    double Hy[NMAX], rho = 1 / sy;
    for (int i = 0; i < n; i++) Hy[i] = dot(H[i], y, n);
    double yHy = dot(y, Hy, n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            H[i][j] += rho * ((1 + rho * yHy) * s[i] * s[j] - Hy[i] * s[j] - s[i] * Hy[j]);
}

int bfgs_minimize(MinFn fn, void *ctx, int n, const double *t0, const MinOptions *o, double *t, double *f) {
    double H[NMAX][NMAX] = { { 0 } }, x[NMAX], g[NMAX], xn[NMAX], gn[NMAX], d[NMAX], s[NMAX], y[NMAX];
    for (int i = 0; i < n; i++) H[i][i] = 1;
    memcpy(x, t0, sizeof(double) * n);
    double fx = fn(ctx, x, g);
    int ok = 0, updated = 0;
    for (int it = 0; it < o->max_iter && isfinite(fx); it++) {
        if (max_abs(g, n) <= o->gtol) { ok = 1; break; }
        for (int i = 0; i < n; i++) d[i] = -dot(H[i], g, n);
        double gd = dot(g, d, n);
        if (!(gd < 0)) {   // H lost positive definiteness to rounding: steepest descent again
            for (int i = 0; i < n; i++) { d[i] = -g[i]; for (int j = 0; j < n; j++) H[i][j] = i == j; }
            gd = -dot(g, g, n);
            updated = 0;
        }
        // Until H has a scale, the first step is one unit of θ long (scipy does the same).
        double step = updated ? 1 : fmin(1, 1 / sqrt(dot(d, d, n))), fn_new;
        // No decrease along a descent direction: f is at its floor in rounding; as GSL's
        // ENOPROG was, a stop counted as converged where the gradient is small.
        if (!line_search(fn, ctx, n, x, fx, d, gd, step, xn, &fn_new, gn)) {
            ok = max_abs(g, n) <= 1e-3 * (1 + fabs(fx));
            break;
        }
        for (int i = 0; i < n; i++) { s[i] = xn[i] - x[i]; y[i] = gn[i] - g[i]; }
        int small = fx - fn_new <= o->ftol * fmax(fmax(fabs(fx), fabs(fn_new)), 1);
        memcpy(x, xn, sizeof x); memcpy(g, gn, sizeof g);
        fx = fn_new;
        if (small) { ok = 1; break; }
        bfgs_update(H, n, s, y, !updated);
        updated = 1;
    }
    memcpy(t, x, sizeof(double) * n);
    *f = fx;
    return ok && isfinite(fx);
}

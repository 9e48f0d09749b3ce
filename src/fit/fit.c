#include "fit/fit.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/rng.h"
#include "fit/huber.h"
#include "stats/describe.h"


typedef struct {
    const Law *law;
    const HuberData *d;   // the points grouped (by x, or by x and cluster)
    const HuberPrefix *p; // prefix sums of their weights
    const double *scale;  // per-cluster multiplicities applied per group (bootstrap), or NULL
    int *hint;            // [2·d->G] search hints, this problem's own
    double delta;
} Problem;

// Σ w·Huber(r)/δ: dividing by δ leaves the minimiser alone and keeps gradients O(1).
static double objective(const Problem *pr, const double *t, double *grad) {
    return huber_objective(pr->d, pr->p, pr->scale, pr->hint, pr->law, t, pr->delta, grad);
}

static double gsl_f(const gsl_vector *x, void *params) { return objective(params, x->data, NULL); }
static void gsl_df(const gsl_vector *x, void *params, gsl_vector *g) { objective(params, x->data, g->data); }
static void gsl_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g) { *f = objective(params, x->data, g->data); }

// BFGS from t0 for at most max_iter iterations; returns 1 if the gradient test
// passed (or no further progress was possible at a stationary point), 0
// otherwise; t and f hold the end point.
static int minimize(const Problem *pr, const double *t0, double *t, double *f, int max_iter) {
    int n = pr->law->n_theta;
    gsl_multimin_function_fdf F = { .n = (size_t)n, .f = gsl_f, .df = gsl_df, .fdf = gsl_fdf, .params = (void *)pr };
    gsl_vector_view x0 = gsl_vector_view_array((double *)t0, n);
    gsl_multimin_fdfminimizer *s = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, n);
    gsl_multimin_fdfminimizer_set(s, &F, &x0.vector, 0.1, 0.1);
    int status = GSL_CONTINUE, converged = 0;
    for (int it = 0; it < max_iter && status == GSL_CONTINUE; it++) {
        status = gsl_multimin_fdfminimizer_iterate(s);
        if (status) break;
        status = gsl_multimin_test_gradient(s->gradient, 1e-7 * (1 + fabs(s->f)));
    }
    // ENOPROG: the line search can improve no further, which is where BFGS ends on
    // Huber's nearly linear pieces; count it as converged when the gradient is small.
    converged = status == GSL_SUCCESS || (status == GSL_ENOPROG && gsl_blas_dnrm2(s->gradient) < 1e-3 * (1 + fabs(s->f)));
    memcpy(t, s->x->data, sizeof(double) * n);
    *f = s->f;
    gsl_multimin_fdfminimizer_free(s);
    return converged && isfinite(*f);
}

// Nelder–Mead simplex from t0 (GSL nmsimplex2), derivative-free: it walks off the
// kinks of the nearly-L1 objective where BFGS's line search cannot start.
static void minimize_simplex(const Problem *pr, const double *t0, double *t, double *f, int max_iter) {
    int n = pr->law->n_theta;
    gsl_multimin_function F = { .n = (size_t)n, .f = gsl_f, .params = (void *)pr };
    gsl_vector_view x0 = gsl_vector_view_array((double *)t0, n);
    gsl_vector *step = gsl_vector_alloc(n);
    gsl_vector_set_all(step, 0.1);
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    gsl_multimin_fminimizer_set(s, &F, &x0.vector, step);
    int status = GSL_CONTINUE;
    for (int it = 0; it < max_iter && status == GSL_CONTINUE; it++) {
        if (gsl_multimin_fminimizer_iterate(s)) break;
        status = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-9);
    }
    memcpy(t, s->x->data, sizeof(double) * n);
    *f = s->fval;
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(step);
}

double fit_predict(const Law *law, const double *theta, const double *x) {
    double lx[2];
    for (int k = 0; k < law->n_x; k++) lx[k] = log(x[k]);
    return exp(law->log_predict(theta, lx, NULL));
}


int fit_law(const FitOptions *o, const Points *p, const int *use, FitResult *r, char *err, size_t errlen) {
    const Law *L = o->law;
    memset(r, 0, sizeof *r);
    if (points_check(p, o->axes, L->n_x, err, errlen) != 0) return -1;
    int n = 0;
    for (int i = 0; i < p->n; i++) n += !use || use[i];
    // The bootstrap indexes its per-cluster draws by these ids: one outside the range
    // is a reader's bug, refused here rather than written past the array.
    for (int i = 0; i < p->n; i++)
        if (p->cluster[i] < 0 || p->cluster[i] >= p->n_clusters) {
            snprintf(err, errlen, "point %d: cluster %d outside 0..%d", i + 1, p->cluster[i], p->n_clusters - 1);
            return -1;
        }
    if (n <= L->n_theta) {
        snprintf(err, errlen, "%s law: %d points for %d parameters; it needs more points than parameters", L->name, n, L->n_theta);
        return -1;
    }
    double *logx = xmalloc(sizeof(double) * n * L->n_x), *logy = xmalloc(sizeof(double) * n);
    int *cluster = xmalloc(sizeof(int) * n);
    int k = 0;
    for (int i = 0; i < p->n; i++) {
        if (use && !use[i]) continue;
        for (int a = 0; a < L->n_x; a++) logx[k * L->n_x + a] = log(p->x[o->axes[a]][i]);
        logy[k] = log(p->loss[i]);
        cluster[k++] = p->cluster[i];
    }
    // The points grouped by x for the fit; for the bootstrap, by x and cluster when that
    // makes few more groups (seeds of one size are one cluster), so a resample's weights
    // scale whole groups; else by x with prefix sums of each resample's weights.
    HuberData hd, hb = { 0 };
    HuberPrefix ones = { 0 }, ones_b = { 0 };
    int by_cluster = 0;
    huber_build(&hd, n, L->n_x, logx, logy, cluster, 0);
    huber_prefix_alloc(&hd, &ones);
    int *hint = xcalloc(2 * (size_t)hd.G + 1, sizeof(int));
    if (o->n_boot > 0) {
        huber_build(&hb, n, L->n_x, logx, logy, cluster, 1);
        by_cluster = hb.G <= 2 * hd.G;
        if (by_cluster) {
            huber_prefix_alloc(&hb, &ones_b);
            huber_prefix_set(&hb, NULL, &ones_b);
        } else {
            huber_free(&hb);
        }
    }
    huber_prefix_set(&hd, NULL, &ones);
    Problem pr = { L, &hd, &ones, NULL, hint, o->delta };

    // Stage 1: a short BFGS run from every start of the grid (odometer over the
    // per-parameter lists). Stage 2: the best POLISH end points run to convergence.
    // With δ = 1e-3 most residuals sit in Huber's linear part, where BFGS crawls:
    // polishing every one of Hoffmann's 4,500 starts would take minutes.
    enum { SCOUT_ITER = 25, POLISH = 24, POLISH_ITER = 3000 };
    double top_f[POLISH], top_t[POLISH][LAW_MAX_THETA];
    int n_top = 0, idx[LAW_MAX_THETA] = { 0 };
    for (;;) {
        double t0[LAW_MAX_THETA], t[LAW_MAX_THETA], f;
        for (int j = 0; j < L->n_theta; j++) t0[j] = L->start[j][idx[j]];
        minimize(&pr, t0, t, &f, SCOUT_ITER);
        r->starts++;
        if (isfinite(f)) {   // keep the POLISH best, sorted (a full list compares with its worst, never an unset slot)
            int full = n_top == POLISH, at = full ? POLISH - 1 : n_top++;
            if (!full || f < top_f[at]) {
                while (at > 0 && top_f[at - 1] > f) { top_f[at] = top_f[at - 1]; memcpy(top_t[at], top_t[at - 1], sizeof top_t[0]); at--; }
                top_f[at] = f;
                memcpy(top_t[at], t, sizeof top_t[0]);
            }
        }
        int j = L->n_theta - 1;
        while (j >= 0 && ++idx[j] == L->n_start[j]) idx[j--] = 0;
        if (j < 0) break;
    }
    double best_f = INFINITY;
    for (int k2 = 0; k2 < n_top; k2++) {
        double t[LAW_MAX_THETA], f;
        int ok = minimize(&pr, top_t[k2], t, &f, POLISH_ITER);
        r->converged += ok;
        if (ok && f < best_f) { best_f = f; memcpy(r->theta, t, sizeof t); }
    }
    if (!isfinite(best_f)) {
        snprintf(err, errlen, "%s law: no start of %d converged; the data do not determine this law", L->name, r->starts);
        huber_prefix_free(&ones); huber_prefix_free(&ones_b); huber_free(&hd); huber_free(&hb);
        free(hint); free(logx); free(logy); free(cluster);
        return -1;
    }
    r->objective = best_f * o->delta;
    L->report(r->theta, r->report);

    // residuals and R² in log space
    r->n = n;
    r->residuals = xmalloc(sizeof(double) * n);
    double mean = gsl_stats_mean(logy, 1, n), ss_res = 0, ss_tot = 0;
    for (int i = 0; i < n; i++) {
        r->residuals[i] = L->log_predict(r->theta, logx + (size_t)i * L->n_x, NULL) - logy[i];
        ss_res += r->residuals[i] * r->residuals[i];
        ss_tot += (logy[i] - mean) * (logy[i] - mean);
    }
    r->r2_log = 1 - ss_res / ss_tot;

    // bootstrap over clusters
    for (int j = 0; j < L->n_report; j++) r->lo[j] = r->hi[j] = NAN;
    if (o->n_boot > 0) {
        int nc = p->n_clusters;
        r->boot = xmalloc(sizeof(double) * o->n_boot * L->n_report);
        r->boot_theta = xmalloc(sizeof(double) * o->n_boot * L->n_theta);
        // Resamples are independent and each draws from its own counter-based stream:
        // threads change only the speed, never a number.
        #pragma omp parallel
        {
            const HuberData *d = by_cluster ? &hb : &hd;
            double *draws = xcalloc(nc, sizeof(double));
            int *hint_b = xcalloc(2 * (size_t)d->G + 1, sizeof(int));
            HuberPrefix pf = { 0 };
            if (!by_cluster) huber_prefix_alloc(&hd, &pf);
            Problem pb = { L, d, by_cluster ? &ones_b : &pf, by_cluster ? draws : NULL, hint_b, o->delta };
            #pragma omp for schedule(dynamic)
            for (int b = 0; b < o->n_boot; b++) {
                // A resample with fewer distinct clusters than the law has parameters does not
                // determine it (the refit would stay where it starts): draw again, up to 64 times.
                for (int attempt = 0, distinct = 0; attempt < 64 && distinct < L->n_theta && distinct < nc; attempt++) {
                    memset(draws, 0, sizeof(double) * nc);
                    for (int c = 0; c < nc; c++)
                        draws[attempt == 0 ? rng_below(o->seed, RNG_STREAM_FIT_BOOTSTRAP, (uint64_t)b * nc + c, (uint32_t)nc)
                                           : rng_below(o->seed, RNG_STREAM_FIT_REDRAW, ((uint64_t)b * 64 + attempt) * nc + c,
                                                       (uint32_t)nc)] += 1;
                    distinct = 0;
                    for (int c = 0; c < nc; c++) distinct += draws[c] > 0;
                }
                if (!by_cluster) huber_prefix_set(&hd, draws, &pf);
                // BFGS from the fit, and Nelder–Mead from the fit then BFGS: with δ = 1e-3 the
                // objective is nearly Σ w·|r|, whose optimum sits on a kink where BFGS may not
                // take a first step under the new weights (every resample would return the fit).
                double t[LAW_MAX_THETA], f, t2[LAW_MAX_THETA], f2, t3[LAW_MAX_THETA];
                minimize(&pb, r->theta, t, &f, POLISH_ITER);
                minimize_simplex(&pb, r->theta, t3, &f2, 4000);
                minimize(&pb, t3, t2, &f2, POLISH_ITER);
                if (isfinite(f2) && !(f2 >= f)) { memcpy(t, t2, sizeof t); f = f2; }
                memcpy(r->boot_theta + (size_t)b * L->n_theta, t, sizeof(double) * L->n_theta);
                L->report(t, r->boot + (size_t)b * L->n_report);
            }
            huber_prefix_free(&pf);
            free(hint_b); free(draws);
        }
        r->n_boot = o->n_boot;
        double *col = xmalloc(sizeof(double) * o->n_boot);
        for (int j = 0; j < L->n_report; j++) {
            for (int b = 0; b < o->n_boot; b++) col[b] = r->boot[(size_t)b * L->n_report + j];
            percentile_interval(col, o->n_boot, &r->lo[j], &r->hi[j]);
        }
        free(col);
    }
    huber_prefix_free(&ones); huber_prefix_free(&ones_b); huber_free(&hd); huber_free(&hb);
    free(hint); free(logx); free(logy); free(cluster);
    return 0;
}

void fit_result_free(FitResult *r) {
    free(r->residuals);
    free(r->boot);
    free(r->boot_theta);
    memset(r, 0, sizeof *r);
}

int fit_heldout(const FitOptions *o, const Points *p, HeldOut *h, char *err, size_t errlen) {
    const double *x0 = p->x[o->axes[0]];
    double top = -INFINITY;
    for (int i = 0; i < p->n; i++) if (x0[i] > top) top = x0[i];
    int *use = xmalloc(sizeof(int) * p->n);
    memset(h, 0, sizeof *h);
    h->x = top;
    for (int i = 0; i < p->n; i++) {
        use[i] = x0[i] < top;
        if (!use[i]) { h->observed += p->loss[i]; h->n_held++; }
    }
    h->observed /= h->n_held;
    FitOptions ho = *o;
    ho.n_boot = o->n_boot / 4 > 50 ? o->n_boot / 4 : o->n_boot;
    FitResult r;
    if (fit_law(&ho, p, use, &r, err, errlen) != 0) { free(use); return -1; }
    // predict at each held-out point's x (other axes may vary), average
    double *pred = xmalloc(sizeof(double) * (r.n_boot + 1));
    for (int b = -1; b < r.n_boot; b++) {
        const double *t = b < 0 ? r.theta : r.boot_theta + (size_t)b * o->law->n_theta;
        double s = 0;
        for (int i = 0; i < p->n; i++) {
            if (use[i]) continue;
            double x[2] = { p->x[o->axes[0]][i], o->law->n_x > 1 ? p->x[o->axes[1]][i] : 0 };
            s += fit_predict(o->law, t, x);
        }
        if (b < 0) h->predicted = s / h->n_held;
        else pred[b] = s / h->n_held;
    }
    if (r.n_boot) percentile_interval(pred, r.n_boot, &h->lo, &h->hi);
    else h->lo = h->hi = NAN;
    h->rel_error = (h->predicted - h->observed) / h->observed;
    free(pred); free(use);
    fit_result_free(&r);
    return 0;
}

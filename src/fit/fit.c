#include "fit/fit.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "fit/huber.h"
#include "fit/minimize.h"
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

static double min_fn(void *ctx, const double *t, double *grad) { return objective(ctx, t, grad); }

// Tolerances of every minimisation (scipy's L-BFGS-B tests; the benchmark's peer uses the
// same): the fit polishes to a relative decrease of 1e-13 per iteration or max |df/dθ| ≤ 1e-9.
static const MinOptions POLISH_OPTS = { .max_iter = 3000, .ftol = 1e-13, .gtol = 1e-9 };

// BFGS from t0; returns 1 when it converged, with t and f the end point.
static int minimize(const Problem *pr, const double *t0, double *t, double *f) {
    return bfgs_minimize(min_fn, (void *)pr, pr->law->n_theta, t0, &POLISH_OPTS, t, f);
}

double fit_predict(const Law *law, const double *theta, const double *x) {
    double lx[3];
    for (int k = 0; k < law->n_x; k++) lx[k] = log(x[k]);
    return exp(law->log_predict(theta, lx, NULL));
}


// The points a fit uses, in log space and grouped for the objective (fit/huber.h): by x for
// the fit; for the bootstrap by x and cluster when that makes few more groups (seeds of one
// size are one cluster), so a resample's weights scale whole groups; else by x, with prefix
// sums of each resample's weights.
typedef struct {
    int n;
    double *logx, *logy;        // [n][n_x], [n]
    int *cluster;               // [n]
    HuberData hd, hb;           // grouped by x; by x and cluster (bootstrap, when by_cluster)
    HuberPrefix ones, ones_b;   // unit weights of hd, of hb
    int by_cluster;
    int *hint;                  // [2·hd.G + 1] the fit's own search hints
} FitData;

// What every fit needs of its points; *n_used: how many it fits. 0, or −1 with jp_error().
static int fit_check(const FitOptions *o, const Points *p, const int *use, int *n_used) {
    const Law *L = o->law;
    if (points_check(p, o->axes, L->n_x) != 0) return -1;
    int n = 0;
    for (int i = 0; i < p->n; i++) n += !use || use[i];
    // The bootstrap indexes its per-cluster draws by these ids: one outside the range
    // is a reader's bug, refused here rather than written past the array.
    for (int i = 0; i < p->n; i++)
        if (p->cluster[i] < 0 || p->cluster[i] >= p->n_clusters)
            return jp_fail("point %d: cluster %d outside 0..%d", i + 1, p->cluster[i], p->n_clusters - 1);
    if (n <= L->n_theta)
        return jp_fail("%s law: %d points for %d parameters; it needs more points than parameters", L->name, n, L->n_theta);
    *n_used = n;
    return 0;
}

static void fit_data_build(const FitOptions *o, const Points *p, const int *use, int n, FitData *fd) {
    const Law *L = o->law;
    memset(fd, 0, sizeof *fd);
    fd->n = n;
    fd->logx = xmalloc(sizeof(double) * n * L->n_x);
    fd->logy = xmalloc(sizeof(double) * n);
    fd->cluster = xmalloc(sizeof(int) * n);
    int k = 0;
    for (int i = 0; i < p->n; i++) {
        if (use && !use[i]) continue;
        for (int a = 0; a < L->n_x; a++) fd->logx[k * L->n_x + a] = log(p->x[o->axes[a]][i]);
        fd->logy[k] = log(p->loss[i]);
        fd->cluster[k++] = p->cluster[i];
    }
    huber_build(&fd->hd, n, L->n_x, fd->logx, fd->logy, fd->cluster, 0);
    huber_prefix_alloc(&fd->hd, &fd->ones);
    fd->hint = xcalloc(2 * (size_t)fd->hd.G + 1, sizeof(int));
    if (o->n_boot > 0) {
        huber_build(&fd->hb, n, L->n_x, fd->logx, fd->logy, fd->cluster, 1);
        fd->by_cluster = fd->hb.G <= 2 * fd->hd.G;
        if (fd->by_cluster) {
            huber_prefix_alloc(&fd->hb, &fd->ones_b);
            huber_prefix_set(&fd->hb, NULL, &fd->ones_b);
        } else {
            huber_free(&fd->hb);
        }
    }
    huber_prefix_set(&fd->hd, NULL, &fd->ones);
}

static void fit_data_free(FitData *fd) {
    huber_prefix_free(&fd->ones); huber_prefix_free(&fd->ones_b); huber_free(&fd->hd); huber_free(&fd->hb);
    free(fd->hint); free(fd->logx); free(fd->logy); free(fd->cluster);
}

// Stage 1 evaluates the objective at every start of the law's grid (no minimisation: 4,500
// evaluations cost what a few BFGS runs do); stage 2 runs BFGS from the POLISH best to
// convergence. A start's value ranks the basin it lies in well enough on these laws: the
// scipy peer that runs L-BFGS-B from every start lands on the same minimum (bench/fit_vs_scipy).
enum { POLISH = 24 };

typedef struct {
    int n;
    double f[POLISH], t[POLISH][LAW_MAX_THETA];   // ascending f
} Top;

// Keeps the POLISH best, sorted (a full list compares with its worst, never an unset slot).
static void top_insert(Top *top, double f, const double *t) {
    int full = top->n == POLISH, at = full ? POLISH - 1 : top->n++;
    if (full && !(f < top->f[at])) return;
    while (at > 0 && top->f[at - 1] > f) {
        top->f[at] = top->f[at - 1];
        memcpy(top->t[at], top->t[at - 1], sizeof top->t[0]);
        at--;
    }
    top->f[at] = f;
    memcpy(top->t[at], t, sizeof top->t[0]);
}

// The range of the grouped points in logs (x per input, y over every point).
static void data_range(const HuberData *d, LawRange *r) {
    for (int k = 0; k < 3; k++) { r->lx_lo[k] = INFINITY; r->lx_hi[k] = -INFINITY; }
    r->ly_lo = INFINITY; r->ly_hi = -INFINITY;
    for (int G = 0; G < d->G; G++) {
        for (int k = 0; k < d->n_x; k++) {
            double v = d->logx[(size_t)G * d->n_x + k];
            r->lx_lo[k] = fmin(r->lx_lo[k], v); r->lx_hi[k] = fmax(r->lx_hi[k], v);
        }
        for (int i = d->start[G]; i < d->start[G + 1]; i++) {
            r->ly_lo = fmin(r->ly_lo, d->y[i] + d->center[G]); r->ly_hi = fmax(r->ly_hi, d->y[i] + d->center[G]);
        }
    }
}

// The law's start grid, [n][LAW_MAX_THETA] in odometer order (the last parameter fastest); returns n.
// A law with data_starts places its grid on the data d (a law with terms keeps its table's grid).
static int grid_starts(const Law *L, const HuberData *d, double **out) {
    int n = 1, idx[LAW_MAX_THETA] = { 0 };
    double start[LAW_MAX_THETA][8];
    memcpy(start, L->start, sizeof start);
    if (L->data_starts) {
        LawRange range;
        data_range(d, &range);
        L->data_starts(&range, start);
    }
    for (int j = 0; j < L->n_theta; j++) n *= L->n_start[j];
    double *t = *out = xcalloc((size_t)n * LAW_MAX_THETA, sizeof(double));
    for (int s = 0; s < n; s++) {
        for (int j = 0; j < L->n_theta; j++) t[(size_t)s * LAW_MAX_THETA + j] = start[j][idx[j]];
        int j = L->n_theta - 1;
        while (j >= 0 && ++idx[j] == L->n_start[j]) idx[j--] = 0;
    }
    return n;
}

// Powers x^(−v) of every grid exponent value v, [G][K][8], for a law with K terms (laws.h):
// computed once per point group rather than once per start.
static double *grid_powers(const Law *L, const HuberData *d) {
    int K = L->n_terms;
    double *pw = xmalloc(sizeof(double) * d->G * K * 8);
    for (int G = 0; G < d->G; G++)
        for (int k = 0; k < K; k++) {
            int e = L->term[k].expo;
            double *p = pw + ((size_t)G * K + k) * 8;
            p[0] = 1;
            for (int v = 0; e >= 0 && v < L->n_start[e]; v++) p[v] = exp(-L->start[e][v] * d->logx[(size_t)G * d->n_x + L->term[k].axis]);
        }
    return pw;
}

// Start s's objective for a law with terms: L̂ = Σ_k c[k]·x^(−v_k) directly (c = exp(θ[coef_k]),
// the grid's values keep it finite), one log per point, the powers from pw (grid_powers) or,
// when it is NULL, computed here; abandoned, returning ∞, once the sum reaches `stop` (every
// term is ≥ 0: it could not enter the Top).
static double grid_value(const Problem *pr, const double *pw, const double *c, const int *v, double stop) {
    const Law *L = pr->law;
    const HuberData *d = pr->d;
    int K = L->n_terms;
    double f = 0, dh;
    for (int G = 0; G < d->G; G++) {
        const double *p = pw + (size_t)G * K * 8, *lx = d->logx + (size_t)G * d->n_x;
        double sum = 0;
        for (int k = 0; k < K; k++) {
            int e = L->term[k].expo;
            sum += c[k] * (e < 0 ? 1 : pw ? p[k * 8 + v[k]] : exp(-L->start[e][v[k]] * lx[L->term[k].axis]));
        }
        int s = d->start[G];
        f += (d->start[G + 1] - s == 1 ? huber_point(pr->p->w[s + G + 1], log(sum) - (d->y[s] + d->center[G]), pr->delta)
                                       : huber_group(d, pr->p, G, log(sum) - d->center[G], pr->delta, NULL, &dh)) / pr->delta;
        if (f >= stop) return INFINITY;
    }
    return f;
}

// The grid of a law with terms into the Top, start by start: a start is abandoned once its sum
// reaches the POLISH-th best so far, so most starts (far from the data) cost a few points, and
// the Top is the one a full evaluation of every start gives. The powers are tabled for up to
// 2^16 point groups (≤ 12 MB).
static void grid_terms(const Problem *pr, const double *t, int n, Top *top) {
    const Law *L = pr->law;
    double *pw = pr->d->G <= 1 << 16 ? grid_powers(L, pr->d) : NULL, c[3];
    for (int s = 0; s < n; s++) {
        const double *ts = t + (size_t)s * LAW_MAX_THETA;
        int v[3] = { 0 };
        for (int k = 0, e; k < L->n_terms; k++) {
            c[k] = exp(ts[L->term[k].coef]);
            if ((e = L->term[k].expo) >= 0) while (L->start[e][v[k]] != ts[e]) v[k]++;
        }
        double f = grid_value(pr, pw, c, v, top->n == POLISH ? top->f[POLISH - 1] : INFINITY);
        if (isfinite(f)) top_insert(top, f, ts);
    }
    free(pw);
}

// Stage 1: the objective at every start of the grid, the POLISH best kept; returns the starts tried.
static int scout(const Problem *pr, Top *top) {
    const Law *L = pr->law;
    double *t;
    int n = grid_starts(L, pr->d, &t);
    if (L->n_terms) grid_terms(pr, t, n, top);
    else
        for (int s = 0; s < n; s++) {
            double f = objective(pr, t + (size_t)s * LAW_MAX_THETA, NULL);
            if (isfinite(f)) top_insert(top, f, t + (size_t)s * LAW_MAX_THETA);
        }
    free(t);
    return n;
}

// Stage 2: θ of the best converged end point into r->theta, the count into r->converged.
// Returns its objective, ∞ when none converged.
static double polish(const Problem *pr, const Top *top, FitResult *r) {
    double best_f = INFINITY;
    for (int k = 0; k < top->n; k++) {
        double t[LAW_MAX_THETA], f;
        int ok = minimize(pr, top->t[k], t, &f);
        r->converged += ok;
        if (ok && f < best_f) { best_f = f; memcpy(r->theta, t, sizeof t); }
    }
    return best_f;
}

// Residuals and R² in log space at r->theta.
static void fit_residuals(const Law *L, const FitData *fd, FitResult *r) {
    int n = fd->n;
    r->n = n;
    r->residuals = xmalloc(sizeof(double) * n);
    double mean = gsl_stats_mean(fd->logy, 1, n), ss_res = 0, ss_tot = 0;
    for (int i = 0; i < n; i++) {
        r->residuals[i] = L->log_predict(r->theta, fd->logx + (size_t)i * L->n_x, NULL) - fd->logy[i];
        ss_res += r->residuals[i] * r->residuals[i];
        ss_tot += (fd->logy[i] - mean) * (fd->logy[i] - mean);
    }
    r->r2_log = 1 - ss_res / ss_tot;
}

// draws[c] += how many of the nc cluster ids j[nc] equal c. Past 2^16 clusters through 1024
// buckets of the ids' high bits (tmp[nc] holds them bucket by bucket), so that each bucket's
// increments stay within a cache-sized range: incrementing at random in an array larger than the
// cache took 70% of a bootstrap over 10^6 single-row clusters. The counts are the same.
static void count_ids(const uint32_t *j, int nc, uint32_t *tmp, double *draws) {
    if (nc <= 1 << 16) {
        for (int c = 0; c < nc; c++) draws[j[c]] += 1;
        return;
    }
    int s = 0, at[1025] = { 0 };
    while (((uint32_t)(nc - 1) >> s) >= 1024) s++;
    for (int c = 0; c < nc; c++) at[(j[c] >> s) + 1]++;
    for (int k = 0; k < 1024; k++) at[k + 1] += at[k];
    for (int c = 0; c < nc; c++) tmp[at[j[c] >> s]++] = j[c];
    for (int c = 0; c < nc; c++) draws[tmp[c]] += 1;
}

// Resample b's multiplicity of each cluster, draws[nc], from its own counter-based streams
// (ids[2·nc]: scratch). A resample with fewer distinct clusters than the law has parameters
// does not determine it (the refit would stay where it starts): drawn again, up to 64 times.
static void boot_draws(const FitOptions *o, int nc, int b, double *draws, uint32_t *ids) {
    for (int attempt = 0, distinct = 0; attempt < 64 && distinct < o->law->n_theta && distinct < nc; attempt++) {
        memset(draws, 0, sizeof(double) * nc);
        for (int c = 0; c < nc; c++)
            ids[c] = attempt == 0 ? rng_below(o->seed, RNG_STREAM_FIT_BOOTSTRAP, (uint64_t)b * nc + c, (uint32_t)nc)
                                  : rng_below(o->seed, RNG_STREAM_FIT_REDRAW, ((uint64_t)b * 64 + attempt) * nc + c,
                                              (uint32_t)nc);
        count_ids(ids, nc, ids + nc, draws);
        distinct = 0;
        for (int c = 0; c < nc; c++) distinct += draws[c] > 0;
    }
}

// The 95% percentile interval of every reported quantity over the resamples.
static void boot_intervals(const Law *L, FitResult *r) {
    double *col = xmalloc(sizeof(double) * r->n_boot);
    for (int j = 0; j < L->n_report; j++) {
        for (int b = 0; b < r->n_boot; b++) col[b] = r->boot[(size_t)b * L->n_report + j];
        percentile_interval(col, r->n_boot, &r->lo[j], &r->hi[j]);
    }
    free(col);
}

// The cluster bootstrap: o->n_boot refits from r->theta on resampled clusters (nc of them).
// Resamples are independent and each draws from its own counter-based stream: threads change
// only the speed, never a number.
static void fit_bootstrap(const FitOptions *o, int nc, const FitData *fd, FitResult *r) {
    const Law *L = o->law;
    r->boot = xmalloc(sizeof(double) * o->n_boot * L->n_report);
    r->boot_theta = xmalloc(sizeof(double) * o->n_boot * L->n_theta);
    #pragma omp parallel
    {
        const HuberData *d = fd->by_cluster ? &fd->hb : &fd->hd;
        double *draws = xcalloc(nc, sizeof(double));
        uint32_t *ids = xmalloc(sizeof(uint32_t) * 2 * nc);
        int *hint_b = xcalloc(2 * (size_t)d->G + 1, sizeof(int));
        HuberPrefix pf = { 0 };
        if (!fd->by_cluster) huber_prefix_alloc(&fd->hd, &pf);
        Problem pb = { L, d, fd->by_cluster ? &fd->ones_b : &pf, fd->by_cluster ? draws : NULL, hint_b, o->delta };
        #pragma omp for schedule(dynamic)
        for (int b = 0; b < o->n_boot; b++) {
            boot_draws(o, nc, b, draws, ids);
            if (!fd->by_cluster) huber_prefix_set(&fd->hd, draws, &pf);
            double t[LAW_MAX_THETA];
            double f;   // warm-started from the fit, as scipy gets Epoch's intervals
            minimize(&pb, r->theta, t, &f);
            memcpy(r->boot_theta + (size_t)b * L->n_theta, t, sizeof(double) * L->n_theta);
            L->report(t, r->boot + (size_t)b * L->n_report);
        }
        huber_prefix_free(&pf);
        free(hint_b); free(draws); free(ids);
    }
    r->n_boot = o->n_boot;
    boot_intervals(L, r);
}

int fit_law(const FitOptions *o, const Points *p, const int *use, FitResult *r) {
    const Law *L = o->law;
    memset(r, 0, sizeof *r);
    int n = 0;
    if (fit_check(o, p, use, &n) != 0) return -1;
    FitData fd;
    fit_data_build(o, p, use, n, &fd);
    Problem pr = { L, &fd.hd, &fd.ones, NULL, fd.hint, o->delta };
    Top top = { 0 };
    r->starts = scout(&pr, &top);
    double best_f = polish(&pr, &top, r);
    if (!isfinite(best_f)) {
        jp_fail("%s law: no start of %d converged; the data do not determine this law", L->name, r->starts);
        fit_data_free(&fd);
        return -1;
    }
    r->objective = best_f * o->delta;
    L->report(r->theta, r->report);
    fit_residuals(L, &fd, r);
    for (int j = 0; j < L->n_report; j++) r->lo[j] = r->hi[j] = NAN;
    if (o->n_boot > 0) fit_bootstrap(o, p->n_clusters, &fd, r);
    fit_data_free(&fd);
    return 0;
}

void fit_result_free(FitResult *r) {
    free(r->residuals);
    free(r->boot);
    free(r->boot_theta);
    memset(r, 0, sizeof *r);
}

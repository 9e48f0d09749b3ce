#include "fit/huber.h"

#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const double *logx, *logy; const int *cluster; int n_x, split; } SortCtx;

// By x (lexicographic over the inputs), the cluster when groups split by it, then y:
// each group becomes one run, y ascending in it.
static int cmp_points(const void *a, const void *b, void *ctx) {
    const SortCtx *c = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    for (int k = 0; k < c->n_x; k++) {
        double u = c->logx[(size_t)i * c->n_x + k], v = c->logx[(size_t)j * c->n_x + k];
        if (u != v) return u < v ? -1 : 1;
    }
    if (c->split && c->cluster[i] != c->cluster[j]) return c->cluster[i] < c->cluster[j] ? -1 : 1;
    if (c->logy[i] != c->logy[j]) return c->logy[i] < c->logy[j] ? -1 : 1;
    return (i > j) - (i < j);
}

void huber_free(HuberData *d) {
    free(d->logx); free(d->center); free(d->start); free(d->gcl); free(d->y); free(d->cl);
    memset(d, 0, sizeof *d);
}

void huber_build(HuberData *d, int n, int n_x, const double *logx, const double *logy, const int *cluster,
                int split_clusters) {
    memset(d, 0, sizeof *d);
    d->n = n;
    d->n_x = n_x;
    size_t m = n ? (size_t)n : 1;
    int *row = xmalloc(sizeof(int) * m);
    d->y = xmalloc(sizeof(double) * m);
    d->cl = xmalloc(sizeof(int) * m);
    d->start = xmalloc(sizeof(int) * (m + 1));
    d->logx = xmalloc(sizeof(double) * m * n_x);
    d->center = xmalloc(sizeof(double) * m);
    d->gcl = split_clusters ? xmalloc(sizeof(int) * m) : NULL;
    for (int i = 0; i < n; i++) row[i] = i;
    SortCtx c = { logx, logy, cluster, n_x, split_clusters };
    qsort_r(row, n, sizeof(int), cmp_points, &c);
    for (int s = 0; s < n;) {
        int e = s + 1, r = row[s];
        while (e < n && !memcmp(logx + (size_t)row[e] * n_x, logx + (size_t)r * n_x, sizeof(double) * n_x)
               && (!split_clusters || cluster[row[e]] == cluster[r]))
            e++;
        double mean = 0;
        for (int k = s; k < e; k++) mean += logy[row[k]];
        mean /= e - s;
        for (int k = s; k < e; k++) { d->y[k] = logy[row[k]] - mean; d->cl[k] = cluster[row[k]]; }
        memcpy(d->logx + (size_t)d->G * n_x, logx + (size_t)r * n_x, sizeof(double) * n_x);
        d->center[d->G] = mean;
        if (split_clusters) d->gcl[d->G] = cluster[r];
        d->start[d->G++] = s;
        s = e;
    }
    d->start[d->G] = n;
    free(row);
}

void huber_prefix_alloc(const HuberData *d, HuberPrefix *p) {
    size_t m = (size_t)d->n + d->G + 1;
    p->w = xmalloc(sizeof(double) * m);
    p->wy = xmalloc(sizeof(double) * m);
    p->wy2 = xmalloc(sizeof(double) * m);
}

void huber_prefix_free(HuberPrefix *p) {
    free(p->w); free(p->wy); free(p->wy2);
    memset(p, 0, sizeof *p);
}

void huber_prefix_set(const HuberData *d, const double *wc, HuberPrefix *p) {
    for (int g = 0; g < d->G; g++) {
        int o = d->start[g] + g;   // this group's leading 0
        double sw = 0, sy = 0, sy2 = 0;
        p->w[o] = p->wy[o] = p->wy2[o] = 0;
        for (int k = d->start[g]; k < d->start[g + 1]; k++) {
            double wk = wc ? wc[d->cl[k]] : 1.0, y = d->y[k];
            sw += wk; sy += wk * y; sy2 += wk * y * y;
            o++;
            p->w[o] = sw; p->wy[o] = sy; p->wy2[o] = sy2;
        }
    }
}

static int below(const double *y, int k, double v, int strict) { return strict ? y[k] <= v : y[k] < v; }

// The first k in [lo, hi) with y[k] > v (strict) or y[k] ≥ v, else hi; searched
// outwards from *hint (then updated) with doubling steps, then by bisection.
static int bound(const double *y, int lo, int hi, double v, int strict, int *hint) {
    int h = hint ? *hint : lo;
    if (h < lo || h > hi) h = lo;
    int a, b, step = 1;   // the answer lies in [a, b]
    if (h < hi && below(y, h, v, strict)) {   // right of h
        a = b = h + 1;
        while (b < hi && below(y, b, v, strict)) { a = b + 1; b = b + step > hi ? hi : b + step; step *= 2; }
    } else {                                  // at or left of h
        a = b = h;
        while (a > lo && !below(y, a - 1, v, strict)) { b = a - 1; a = a - step < lo ? lo : a - step; step *= 2; }
    }
    while (a < b) {
        int mid = a + (b - a) / 2;
        if (below(y, mid, v, strict)) a = mid + 1;
        else b = mid;
    }
    if (hint) *hint = a;
    return a;
}

double huber_group(const HuberData *d, const HuberPrefix *p, int G, double mu, double delta, int *hint,
                   double *dh) {
    int s = d->start[G], e = d->start[G + 1], o = s + G;   // prefix index of sorted entry k: o + (k − s) + 1
    if (e - s == 1) {
        double w = p->w[o + 1], r = mu - d->y[s];
        *dh = w * (fabs(r) <= delta ? r : copysign(delta, r));
        return huber_point(w, r, delta);
    }
    int a = bound(d->y, s, e, mu - delta, 0, hint ? &hint[2 * G] : NULL);
    int b = bound(d->y, a, e, mu + delta, 1, hint ? &hint[2 * G + 1] : NULL);
    // runs [s, a): r = μ − y > δ;  [a, b): |r| ≤ δ;  [b, e): r < −δ
    double WA = p->w[o + a - s], SA = p->wy[o + a - s];
    double WB = p->w[o + b - s] - WA, SB = p->wy[o + b - s] - SA, QB = p->wy2[o + b - s] - p->wy2[o + a - s];
    double WC = p->w[o + e - s] - p->w[o + b - s], SC = p->wy[o + e - s] - p->wy[o + b - s];
    *dh = delta * (WA - WC) + WB * mu - SB;
    return delta * (WA * mu - SA - WA * delta / 2) + delta * (SC - WC * mu - WC * delta / 2)
           + 0.5 * (WB * mu * mu - 2 * mu * SB + QB);
}

double huber_objective(const HuberData *d, const HuberPrefix *p, const double *scale, int *hint, const Law *L,
                       const double *theta, double delta, double *grad) {
    double f = 0, g[LAW_MAX_THETA];
    if (grad) memset(grad, 0, sizeof(double) * L->n_theta);
    for (int G = 0; G < d->G; G++) {
        double wg = scale ? scale[d->gcl[G]] : 1.0;
        if (wg == 0) continue;
        double mu = L->log_predict(theta, d->logx + (size_t)G * d->n_x, grad ? g : NULL) - d->center[G], dh;
        f += wg * huber_group(d, p, G, mu, delta, hint, &dh) / delta;
        if (grad)
            for (int k = 0; k < L->n_theta; k++) grad[k] += wg * dh / delta * g[k];
    }
    return f;
}

#include "fit/holdout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "stats/describe.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

// The distinct values of v[n] (sorted ascending into v itself); returns how many.
static int distinct_sorted(double *v, int n) {
    qsort(v, n, sizeof *v, cmp_double);
    int d = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || v[i] != v[d - 1]) v[d++] = v[i];
    return d;
}

int holdout_distinct(const Points *p, Axis4 a) {
    double *v = xmalloc(sizeof(double) * (p->n ? p->n : 1));
    int n = 0;
    for (int i = 0; i < p->n; i++) if (isfinite(p->x[a][i])) v[n++] = p->x[a][i];
    n = distinct_sorted(v, n);
    free(v);
    return n;
}

typedef struct { double v[3]; } Tuple;
static int cmp_tuple(const void *a, const void *b) {
    const Tuple *x = a, *y = b;
    for (int k = 0; k < 3; k++) if (x->v[k] != y->v[k]) return x->v[k] < y->v[k] ? -1 : 1;
    return 0;
}

// Distinct input points (on the law's axes) among the points use[i] keeps.
static int distinct_inputs(const FitOptions *o, const Points *p, const int *use) {
    Tuple *t = xcalloc(p->n ? p->n : 1, sizeof(Tuple));
    int n = 0, d = 0;
    for (int i = 0; i < p->n; i++) {
        if (!use[i]) continue;
        for (int k = 0; k < o->law->n_x; k++) t[n].v[k] = p->x[o->axes[k]][i];
        n++;
    }
    qsort(t, n, sizeof *t, cmp_tuple);
    for (int i = 0; i < n; i++) d += i == 0 || cmp_tuple(&t[i], &t[i - 1]) != 0;
    free(t);
    return d;
}

// The k largest distinct values of axis `split` into top[k] (ascending), use[i] = 0 for the
// points at them; 0, or −1 (jp_error) when there are not more than k distinct values.
static int holdout_split(const Points *p, Axis4 split, int k, double *top, int *use) {
    double *v = xmalloc(sizeof(double) * (p->n ? p->n : 1));
    for (int i = 0; i < p->n; i++) {
        if (!isfinite(p->x[split][i])) {
            free(v);
            return jp_fail("point %d has no value of %s, the axis whose largest values are held out", i + 1, axis_name(split));
        }
        v[i] = p->x[split][i];
    }
    int d = distinct_sorted(v, p->n);
    if (k >= d) {
        free(v);
        return jp_fail("%d distinct values of %s: holding out the largest %d leaves %s to fit", d, axis_name(split), k,
                       k == d ? "nothing" : "less than nothing");
    }
    memcpy(top, v + d - k, sizeof(double) * k);
    for (int i = 0; i < p->n; i++) use[i] = p->x[split][i] < top[0];
    free(v);
    return 0;
}

// What the fit on the kept points needs besides fit_law's own check: 3 values of the split axis (a
// power term in it has a coefficient and an exponent, and the law an offset besides: with 2 values
// chinchilla's α is anything) and as many distinct inputs as parameters (else the law is not
// determined, and resampling seeds of too few sizes would only hide it).
static int holdout_enough(const FitOptions *o, const Points *p, Axis4 split, int k, const int *use) {
    int n_split = holdout_distinct(p, split) - k, n_in = distinct_inputs(o, p, use);
    if (n_split < 3)
        return jp_fail("%s law: holding out the %d largest values of %s leaves %d; it needs 3 or more to extrapolate from",
                       o->law->name, k, axis_name(split), n_split);
    if (n_in < o->law->n_theta)
        return jp_fail("%s law: holding out the %d largest values of %s leaves %d distinct input point%s for %d parameters; "
                       "it needs at least as many as parameters (add sizes, or hold out fewer with --holdout-top)",
                       o->law->name, k, axis_name(split), n_in, n_in == 1 ? "" : "s", o->law->n_theta);
    return 0;
}

// The mean prediction at the points of held-out value j for θ (each at its own other axes).
static double mean_prediction(const FitOptions *o, const Points *p, Axis4 split, double xj, const double *theta) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->x[split][i] != xj) continue;
        double x[3];
        for (int k = 0; k < o->law->n_x; k++) x[k] = p->x[o->axes[k]][i];
        s += fit_predict(o->law, theta, x);
        n++;
    }
    return s / n;
}

// One held-out value: the observed mean there, the mean prediction and its bootstrap interval.
static void score_value(const FitOptions *o, const Points *p, Axis4 split, const FitResult *r, double xj, HeldOut *h,
                        double *pred) {
    memset(h, 0, sizeof *h);
    h->x = xj;
    for (int i = 0; i < p->n; i++)
        if (p->x[split][i] == xj) { h->observed += p->loss[i]; h->n_held++; }
    h->observed /= h->n_held;
    h->predicted = mean_prediction(o, p, split, xj, r->theta);
    for (int b = 0; b < r->n_boot; b++) pred[b] = mean_prediction(o, p, split, xj, r->boot_theta + (size_t)b * o->law->n_theta);
    if (r->n_boot) percentile_interval(pred, r->n_boot, &h->lo, &h->hi);
    else h->lo = h->hi = NAN;
    h->rel_error = (h->predicted - h->observed) / h->observed;
    h->covered = isfinite(h->lo) ? h->lo <= h->observed && h->observed <= h->hi : -1;
}

// Every held-out point's prediction and its bootstrap interval (pred: scratch of n_boot), and
// the RMSE in log loss over them.
static void predict_held(const FitOptions *o, const Points *p, const int *use, Holdout *h, double *pred) {
    const FitResult *r = &h->fit;
    h->held = xmalloc(sizeof(int) * h->n_held);
    h->pred = xmalloc(sizeof(double) * h->n_held);
    h->lo = xmalloc(sizeof(double) * h->n_held);
    h->hi = xmalloc(sizeof(double) * h->n_held);
    double ss = 0;
    for (int i = 0, m = 0; i < p->n; i++) {
        if (use[i]) continue;
        double x[3];
        for (int k = 0; k < o->law->n_x; k++) x[k] = p->x[o->axes[k]][i];
        h->held[m] = i;
        h->pred[m] = fit_predict(o->law, r->theta, x);
        for (int b = 0; b < r->n_boot; b++) pred[b] = fit_predict(o->law, r->boot_theta + (size_t)b * o->law->n_theta, x);
        if (r->n_boot) percentile_interval(pred, r->n_boot, &h->lo[m], &h->hi[m]);
        else h->lo[m] = h->hi[m] = NAN;
        double e = log(h->pred[m]) - log(p->loss[i]);
        ss += e * e;
        m++;
    }
    h->rmse_log = sqrt(ss / h->n_held);
}

int fit_holdout(const FitOptions *o, const Points *p, Axis4 split, int k, Holdout *h) {
    memset(h, 0, sizeof *h);
    if (k < 1 || k > HOLDOUT_MAX_K) return jp_fail("holding out %d values: expected 1 to %d", k, HOLDOUT_MAX_K);
    h->k = k;
    h->split = split;
    double top[HOLDOUT_MAX_K];
    int *use = xmalloc(sizeof(int) * (p->n ? p->n : 1));
    if (holdout_split(p, split, k, top, use) != 0 || points_check(p, o->axes, o->law->n_x) != 0 ||
        holdout_enough(o, p, split, k, use) != 0) {
        free(use);
        return -1;
    }
    FitOptions ho = *o;   // a quarter of the resamples: the check's interval, not the law's parameters
    ho.n_boot = o->n_boot / 4 > 50 ? o->n_boot / 4 : o->n_boot;
    if (fit_law(&ho, p, use, &h->fit) != 0) { free(use); return -1; }
    double *pred = xmalloc(sizeof(double) * (h->fit.n_boot + 1));
    double rel = 0;
    for (int j = 0; j < k; j++) {
        HeldOut *at = &h->at[j];
        score_value(o, p, split, &h->fit, top[j], at, pred);
        h->n_held += at->n_held;
        rel += fabs(at->rel_error);
        h->covered += at->covered == 1;
        h->with_interval += at->covered >= 0;
    }
    h->n_train = p->n - h->n_held;
    h->mean_abs_rel = rel / k;
    predict_held(o, p, use, h, pred);
    free(pred);
    free(use);
    return 0;
}

void holdout_free(Holdout *h) {
    fit_result_free(&h->fit);
    free(h->held); free(h->pred); free(h->lo); free(h->hi);
    memset(h, 0, sizeof *h);
}

int fit_heldout(const FitOptions *o, const Points *p, HeldOut *h) {
    Holdout H;
    memset(h, 0, sizeof *h);
    if (fit_holdout(o, p, o->axes[0], 1, &H) != 0) return -1;
    *h = H.at[0];
    holdout_free(&H);
    return 0;
}

int law_key_exponent(const Law *law) {
    // the exponent at the largest x: past the last break (bnsl), M4's c before its saturation α
    static const char *const names[] = { "c_past", "c", "alpha", "alpha_N", "c0", "gamma" };
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        for (int j = 0; j < law->n_report; j++)
            if (!strcmp(law->report_names[j], names[n])) return j;
    return -1;
}

int holdout_entry_run(HoldoutEntry *e, const Points *p, Axis4 split, int k) {
    e->ok = 0;
    e->reason[0] = 0;
    if (fit_law(&e->o, p, NULL, &e->full) != 0 || fit_holdout(&e->o, p, split, k, &e->h) != 0) {
        snprintf(e->reason, sizeof e->reason, "%s", jp_error());
        return -1;
    }
    e->ok = 1;
    return 0;
}

void holdout_entry_free(HoldoutEntry *e) {
    fit_result_free(&e->full);
    holdout_free(&e->h);
}

void holdout_rank(const HoldoutEntry *e, int n, int *order) {
    int m = 0;
    for (int i = 0; i < n; i++) if (e[i].ok) order[m++] = i;
    for (int i = 1; i < m; i++)   // insertion sort: a handful of laws, and stable
        for (int j = i; j > 0; j--) {
            const Holdout *a = &e[order[j - 1]].h, *b = &e[order[j]].h;
            int later = a->rmse_log > b->rmse_log || (a->rmse_log == b->rmse_log && a->mean_abs_rel > b->mean_abs_rel);
            if (!later) break;
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    for (int i = 0; i < n; i++) if (!e[i].ok) order[m++] = i;
}

#include "concepts/analysis.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "fit/fit.h"
#include "stats/describe.h"

void concept_learned_by_most(const ConceptSize *z, int C, char *out, size_t n) {
    size_t k = 0;
    out[0] = 0;
    for (int c = 0; c < C && k + 16 < n; c++) {
        if (z->learned_frac[c] < 0.5) continue;
        int e = c;
        while (e + 1 < C && z->learned_frac[e + 1] >= 0.5) e++;
        k += (size_t)snprintf(out + k, n - k, "%s%d", k ? "," : "", c);
        if (e > c) k += (size_t)snprintf(out + k, n - k, "-%d", e);
        c = e;
    }
    if (!k) snprintf(out, n, "none");
}

int concept_heat_bin(int C) { return C > 24 ? (C + 23) / 24 : 1; }

double concept_heat_cell(const ConceptStudy *st, int s, int c0, int c1) {
    return mean_finite((st->regression ? st->size[s].loss : st->size[s].acc) + c0, c1 - c0);
}

void concept_order(const ConceptStudy *st, ConceptOrder *o) {
    int best = 0, C = st->C;
    for (int s = 1; s < st->n_sizes; s++)
        if (st->size[s].learned_mean > st->size[best].learned_mean) best = s;
    const ConceptSize *z = &st->size[best];
    *o = (ConceptOrder){ .size = best, .rho = NAN };
    o->concept = xmalloc(sizeof(int) * (C ? C : 1));
    o->step = xmalloc(sizeof(double) * (C ? C : 1));
    double *rank = xmalloc(sizeof(double) * (C ? C : 1));
    for (int c = 0; c < C; c++)
        if (isfinite(z->learn_step[c])) { rank[o->k] = c; o->concept[o->k] = c; o->step[o->k++] = z->learn_step[c]; }
    for (int i = 0; i < o->k; i++)
        for (int j = i + 1; j < o->k; j++) { o->pairs++; o->ordered += o->step[i] <= o->step[j]; }
    if (o->k >= 3) {
        double *work = xmalloc(sizeof(double) * 2 * o->k);
        o->rho = gsl_stats_spearman(rank, 1, o->step, 1, o->k, work);
        free(work);
    }
    free(rank);
}

void concept_order_free(ConceptOrder *o) {
    free(o->concept);
    free(o->step);
    *o = (ConceptOrder){ .rho = NAN };
}

// Whether size z is a point of the exponent along axis.
static int on_axis(const ConceptSize *z, Axis4 axis, long fixed_n_params) {
    return axis == AXIS_N ? z->train_size == 0 : (z->train_size > 0 && z->n_params == fixed_n_params);
}

int concept_exponent(const ConceptStudy *st, Axis4 axis, long fixed_n_params, int n_boot, ConceptExponent *e) {
    int n = 0, clusters = 0;
    for (int i = 0; i < st->n_sizes; i++) n += st->size[i].n_runs;
    Points P;
    points_alloc(&P, n);
    for (int i = 0; i < st->n_sizes; i++) {
        const ConceptSize *z = &st->size[i];
        if (!on_axis(z, axis, fixed_n_params)) continue;
        for (int m = 0; m < z->n_runs; m++) {
            P.x[AXIS_N][P.n] = (double)z->n_params;
            P.x[AXIS_D][P.n] = (double)z->train_size;
            P.loss[P.n] = z->run_loss[m];
            P.cluster[P.n++] = clusters;
        }
        clusters++;
    }
    P.n_clusters = clusters;
    *e = (ConceptExponent){ .sizes = clusters, .alpha = NAN, .lo = NAN, .hi = NAN };
    int rc = 1;
    if (clusters >= 3) {
        FitOptions o = { .law = &law_power, .axes = { axis }, .delta = 1e-3, .n_boot = n_boot, .seed = 0 };
        FitResult r;
        if (fit_law(&o, &P, NULL, &r) != 0) {
            rc = -1;
        } else {
            e->alpha = r.report[2];   // law_power reports E, A, α
            e->lo = r.lo[2];
            e->hi = r.hi[2];
            fit_result_free(&r);
            rc = 0;
        }
    }
    points_free(&P);
    return rc;
}

long concept_largest_fixed_d(const ConceptStudy *st) {
    long largest = 0;
    for (int s = 0; s < st->n_sizes; s++)
        if (st->size[s].train_size > 0 && st->size[s].n_params > largest) largest = st->size[s].n_params;
    return largest;
}

int concept_probed_sizes(const ConceptStudy *st) {
    int probed = 0;
    for (int s = 0; s < st->n_sizes; s++) probed += isfinite(st->size[s].probe_mean[PROBE_COS_FR]);
    return probed;
}

int concept_probe_trend(const ConceptStudy *st, int metric, SlopeFit *f) {
    int n = 0;
    for (int i = 0; i < st->n_sizes; i++) n += st->size[i].n_runs;
    double *x = xmalloc(sizeof(double) * (n ? n : 1)), *y = xmalloc(sizeof(double) * (n ? n : 1));
    int k = 0;
    for (int i = 0; i < st->n_sizes; i++)   // fresh-data runs, as for α_N: fixed-D runs differ in more than N
        for (int m = 0; m < st->size[i].n_runs; m++)
            if (st->size[i].train_size == 0 && isfinite(st->size[i].run_probe[m][metric])) {
                x[k] = log10((double)st->size[i].n_params);
                y[k++] = st->size[i].run_probe[m][metric];
            }
    int rc = slope_fit(x, y, k, f);
    free(x);
    free(y);
    return rc;
}

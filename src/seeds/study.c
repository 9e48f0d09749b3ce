#include "seeds/study.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "fit/fit.h"
#include "store/read_seeds.h"

const char *const seed_unit_names[SEED_UNITS] = { "loss", "log_loss", "error", "accuracy", "logit_accuracy" };
const int seed_unit_lower_is_better[SEED_UNITS] = { 1, 1, 1, 0, 0 };

const char *seed_interval_text(char *b, size_t n, double lo, double hi, int prec) {
    if (isfinite(lo) && isfinite(hi)) snprintf(b, n, " [%.*g, %.*g]", prec, lo, prec, hi);
    else b[0] = 0;
    return b;
}

// out[n] = the group's values in unit u (m: the eval size of the logit's clip); 0 when the
// unit has none (an accuracy unit with an accuracy unknown), else n.
static int unit_values(const SeedGroup *g, int u, double m, double *out) {
    for (int i = 0; i < g->n; i++) {
        double l = g->loss[i], a = g->acc[i], ac = fmin(fmax(a, 0.5 / m), 1 - 0.5 / m);
        if (u >= SEED_ERROR && !isfinite(a)) return 0;
        out[i] = u == SEED_LOSS ? l : u == SEED_LOG_LOSS ? log(l) : u == SEED_ERROR ? 1 - a : u == SEED_ACC ? a : log(ac / (1 - ac));
    }
    return g->n;
}

// Hill α of the tail beyond the median on one side (upper: the values above it) of x[n],
// with a bootstrap interval from n_boot resamples: index = resample·n + position.
static HillTail tail_index(const double *x, int n, int upper, int n_boot, uint64_t seed) {
    double *s = xmalloc(sizeof(double) * n), *y = xmalloc(sizeof(double) * n), *al = xmalloc(sizeof(double) * (n_boot + 1));
    HillTail t = { 0, NAN, NAN, NAN };
    int kept = 0;
    Resampler rs;
    resampler_init(&rs, x, n);
    for (int b = -1; b < n_boot; b++) {   // b = −1: the sample itself
        if (b < 0) memcpy(s, rs.sorted, sizeof(double) * n);
        else resampler_draw(&rs, seed, RNG_STREAM_DIST_TAILS, (uint64_t)b, s);
        double med = gsl_stats_median_from_sorted_data(s, 1, n);
        int m = 0;   // the distances beyond the median, ascending
        if (upper) { for (int i = 0; i < n; i++) if (s[i] - med > 0) y[m++] = s[i] - med; }
        else { for (int i = n - 1; i >= 0; i--) if (med - s[i] > 0) y[m++] = med - s[i]; }
        int k = (int)floor(sqrt(m));
        double h = hill_alpha_sorted(y, m, k);
        if (b < 0) { t.alpha = h; t.k = k; }
        else if (isfinite(h)) al[kept++] = h;
    }
    if (kept > 1) percentile_interval(al, kept, &t.lo, &t.hi);
    resampler_free(&rs);
    free(s); free(y); free(al);
    return t;
}

// One unit of one group, x[n] its values.
static void unit_analyze(const double *x, int n, int lower_better, int n_boot, uint64_t seed, SeedUnit *u) {
    memset(u, 0, sizeof *u);
    u->present = 1;
    if (describe(x, n, n_boot, seed, &u->d) != 0) {
        u->refused = xstrdup(jp_error());
        return;
    }
    u->ad = anderson_darling(x, n, &u->ad_p);
    u->tails = n >= SEED_TAIL_MIN_N;
    if (u->tails) {
        u->good = tail_index(x, n, !lower_better, n_boot / 4, seed + 1);   // the jackpot side
        u->bad = tail_index(x, n, lower_better, n_boot / 4, seed + 2);
    }
}

// Which tail is heavier, by the Hill point estimates; said with less force when their
// intervals overlap, and without citing intervals when there are none (--boot 0).
static const char *heavier_tail(const HillTail *g, const HillTail *b) {
    int have_iv = isfinite(g->lo) && isfinite(g->hi) && isfinite(b->lo) && isfinite(b->hi);
    int overlap = !(g->hi < b->lo || b->hi < g->lo);
    if (!(isfinite(g->alpha) && isfinite(b->alpha))) return "";
    if (!have_iv)
        return g->alpha < b->alpha ? "; good tail (jackpots) heavier by the point estimates (no intervals)"
                                   : "; bad tail heavier by the point estimates (no intervals)";
    if (g->alpha < b->alpha)
        return overlap ? "; good tail (jackpots) heavier by the point estimates, intervals overlap" : "; heavier good tail (jackpots)";
    return overlap ? "; bad tail heavier by the point estimates, intervals overlap" : "; heavier bad tail";
}

void seed_unit_verdict(const SeedUnit *u, int n, char *out, size_t len) {
    char normal[256], i1[64], i2[64];
    int not_normal = normality_verdict(u->ad, u->ad_p, n, normal, sizeof normal) == 1;
    if (!u->tails) {
        snprintf(out, len, "%s; n = %d is too small for a tail claim (need %d)", normal, n, SEED_TAIL_MIN_N);
        return;
    }
    const HillTail *g = &u->good, *b = &u->bad;
    snprintf(out, len, "%s%s; Hill α good %.3g%s (k=%d), bad %.3g%s (k=%d)", normal, not_normal ? heavier_tail(g, b) : "",
             g->alpha, seed_interval_text(i1, sizeof i1, g->lo, g->hi, 3), g->k, b->alpha,
             seed_interval_text(i2, sizeof i2, b->lo, b->hi, 3), b->k);
}

// The k of best of k: 1, 2, 3, 4, then doubling, and n last. Past n: 0.
static int next_k(int k, int n) {
    if (k >= n) return 0;
    return k < 4 ? k + 1 : k * 2 > n ? n : k * 2;
}

// Expected best of k seeds of group G with bootstrap intervals (resamples of its runs,
// index = resample·n + position), against L(k·N) from the law fr (NULL: none).
static void best_of_k(const SeedGroup *G, const FitResult *fr, int n_boot, uint64_t seed, SeedGroupStats *out) {
    int n = G->n, K = 0;
    for (int k = 1; k; k = next_k(k, n)) K++;
    out->n_best = K;
    out->best = xmalloc(sizeof(BestOfK) * K);
    int nb = fr && fr->n_boot > n_boot ? fr->n_boot : n_boot;
    double *boot = xmalloc(sizeof(double) * ((size_t)K * n_boot + nb + 1)), *s = xmalloc(sizeof(double) * n);
    double *w = xmalloc(sizeof(double) * (size_t)K * n), *law = boot + (size_t)K * n_boot;
    int *n_w = xmalloc(sizeof(int) * K);
    BestOfK *e = out->best;
    for (int k = 1, j = 0; k; k = next_k(k, n), j++) {
        e[j] = (BestOfK){ .k = k, .best = expected_best_of_k(G->loss, n, k), .lo = NAN, .hi = NAN, .law = NAN,
                          .law_lo = NAN, .law_hi = NAN };
        n_w[j] = best_of_k_weights(n, k, w + (size_t)j * n);   // the same for every resample
    }
    // Each resample drawn once and weighed for every k: boot[j·n_boot + b].
    Resampler rs;
    resampler_init(&rs, G->loss, n);
    for (int b = 0; b < n_boot; b++) {
        resampler_draw(&rs, seed, RNG_STREAM_DIST_BEST_OF_K, (uint64_t)b, s);
        for (int j = 0; j < K; j++) boot[(size_t)j * n_boot + b] = best_of_k_weighted(s, w + (size_t)j * n, n_w[j]);
    }
    resampler_free(&rs);
    for (int j = 0; j < K; j++) {
        if (n_boot > 1) percentile_interval(boot + (size_t)j * n_boot, n_boot, &e[j].lo, &e[j].hi);
        double xk = e[j].k * G->N;
        if (fr) e[j].law = fit_predict(&law_power, fr->theta, &xk);
        if (fr && fr->n_boot > 1) {
            for (int b = 0; b < fr->n_boot; b++) law[b] = fit_predict(&law_power, fr->boot_theta + (size_t)b * 3, &xk);
            percentile_interval(law, fr->n_boot, &e[j].law_lo, &e[j].law_hi);
        }
    }
    free(boot); free(s); free(w); free(n_w);
}

// The init × data split of group G's loss, y[I·J] in grid order, with bootstrap intervals:
// init seeds and data seeds resampled independently (whole rows and whole columns), each
// on its own stream with index = resample·count + position, so that no two draws share a
// counter whatever I and J.
static void split_bootstrap(const double *y, int I, int J, int n_boot, uint64_t seed, VarianceSplit *v) {
    double *yb = xmalloc(sizeof(double) * I * J), *bi = xmalloc(sizeof(double) * (n_boot + 1) * 3);
    int *rb = xmalloc(sizeof(int) * J), kept = 0;
    for (int b = 0; b < n_boot; b++) {
        for (int c = 0; c < J; c++)
            rb[c] = (int)rng_below(seed + 10, RNG_STREAM_DIST_VARIANCE_DATA, (uint64_t)b * J + c, (uint32_t)J);
        for (int a = 0; a < I; a++) {
            int ra = (int)rng_below(seed + 9, RNG_STREAM_DIST_VARIANCE_INIT, (uint64_t)b * I + a, (uint32_t)I);
            for (int c = 0; c < J; c++) yb[a * J + c] = y[ra * J + rb[c]];
        }
        variance_two_way(yb, I, J, &bi[kept], &bi[n_boot + kept], &bi[2 * n_boot + kept]);
        kept++;
    }
    for (int q = 0; q < 3; q++) {
        v->lo[q] = v->hi[q] = NAN;
        if (kept > 1) percentile_interval(bi + q * n_boot, kept, &v->lo[q], &v->hi[q]);
    }
    free(yb); free(bi); free(rb);
}

// The init × data split where the seeds are crossed: only on the complete grid, every
// (init, data) pair exactly once; otherwise why there is none.
static void variance_split(const SeedGroup *G, int n_boot, uint64_t seed, VarianceSplit *v) {
    memset(v, 0, sizeof *v);
    int *cell = xmalloc(sizeof(int) * G->n);
    v->grid = seed_grid(G->init, G->data, G->n, &v->I, &v->J, cell, v->why, sizeof v->why);
    if (v->grid == 0) {
        double *y = xmalloc(sizeof(double) * G->n);
        for (int i = 0; i < G->n; i++) y[cell[i]] = G->loss[i];
        variance_two_way(y, v->I, v->J, &v->var[0], &v->var[1], &v->var[2]);
        split_bootstrap(y, v->I, v->J, n_boot, seed, v);
        free(y);
    }
    free(cell);
}

// Group g of S: every unit, best of k and the variance split. x has room for the group's runs.
static void group_analyze(const Samples *S, int g, const SeedOptions *o, const FitResult *fr, double *x, SeedGroupStats *r) {
    const SeedGroup *G = &S->g[g];
    r->N = G->N;
    r->D = G->D;
    r->n = G->n;
    for (int u = 0; u < SEED_UNITS; u++) {
        r->unit[u].present = 0;
        if (unit_values(G, u, o->eval_size, x))
            unit_analyze(x, G->n, seed_unit_lower_is_better[u], o->n_boot, o->seed + (uint64_t)g * 16 + u, &r->unit[u]);
    }
    if (G->n >= 2) best_of_k(G, fr, o->n_boot, o->seed + 7, r);
    variance_split(G, o->n_boot, o->seed, &r->split);
}

// The points of L(N): every run's loss, each run its own bootstrap cluster. Resampling whole
// groups instead would, at a few sizes, draw resamples that repeat a size and leave fewer sizes
// than the law has parameters: those refits fail and the interval collapsed to the point (3 sizes
// gave alpha 0.36 [0.36, 0.36]); resampling runs keeps every size and measures the seed noise of
// each size's loss, which is what L(k·N) against best of k is compared with. The objective is
// evaluated per distinct N (fit/huber.c), so its cost grows with the number of sizes, not of
// runs; past SEED_LAW_POINTS sizes (a CSV of 10^5 groups) consecutive sizes are pooled into
// that many points at the median N and loss of their runs, each a cluster (with Huber's
// δ = 1e-3 the fit tracks medians anyway).
static void law_points(const Samples *S, int total, int sizes, Points *P) {
    if (sizes <= SEED_LAW_POINTS) {
        points_alloc(P, total);
        for (int g = 0, k = 0; g < S->n_groups; g++)
            for (int i = 0; i < S->g[g].n; i++, k++) { P->x[AXIS_N][k] = S->g[g].N; P->loss[k] = S->g[g].loss[i]; P->cluster[k] = k; }
        P->n = total;
        P->n_clusters = total;
        return;
    }
    points_alloc(P, SEED_LAW_POINTS);
    double *lv = xmalloc(sizeof(double) * (total + 1)), *nv = xmalloc(sizeof(double) * (total + 1));
    int m = 0, k = 0;
    for (int g = 0, si = -1; g < S->n_groups; g++) {
        si += g == 0 || S->g[g].N != S->g[g - 1].N;   // this group's size index, 0..sizes−1
        for (int i = 0; i < S->g[g].n; i++, m++) { lv[m] = S->g[g].loss[i]; nv[m] = S->g[g].N; }
        int bin = (int)((int64_t)si * SEED_LAW_POINTS / sizes);
        int last = g == S->n_groups - 1 ||
                   (S->g[g + 1].N != S->g[g].N && (int)((int64_t)(si + 1) * SEED_LAW_POINTS / sizes) != bin);
        if (!last) continue;
        gsl_sort(lv, 1, m);
        gsl_sort(nv, 1, m);
        P->x[AXIS_N][k] = gsl_stats_median_from_sorted_data(nv, 1, m);
        P->loss[k] = gsl_stats_median_from_sorted_data(lv, 1, m);
        P->cluster[k] = k;
        k++;
        m = 0;
    }
    P->n = P->n_clusters = k;
    free(lv);
    free(nv);
}

// L(N) across sizes, for best of k at equal compute: a power law with n_boot/5 resamples.
// Returns 0 with fr filled (the caller frees it), or −1 with law->why.
static int law_fit(const Samples *S, const SeedOptions *o, SeedLaw *law, FitResult *fr) {
    memset(law, 0, sizeof *law);
    for (int g = 0; g < S->n_groups; g++) { law->runs += S->g[g].n; law->sizes += g == 0 || S->g[g].N != S->g[g - 1].N; }
    Points P;
    law_points(S, law->runs, law->sizes, &P);
    law->points = P.n;
    FitOptions fo = { .law = &law_power, .axes = { AXIS_N }, .delta = 1e-3, .n_boot = o->n_boot / 5, .seed = o->seed };
    law->ok = fit_law(&fo, &P, NULL, fr) == 0;   // refuses 3 points or fewer
    if (!law->ok) snprintf(law->why, sizeof law->why, "%s", jp_error());
    points_free(&P);
    if (!law->ok) return -1;
    law->intervals = fr->n_boot > 1;
    for (int q = 0; q < 3; q++) { law->v[q] = fr->report[q]; law->lo[q] = fr->lo[q]; law->hi[q] = fr->hi[q]; }
    return 0;
}

// Each group's label: its size, and from a database the settings that tell it apart from the
// other groups besides N and D ("N=62 D=0, optim.lr = 0.01"; store/groups.h). When groups at
// equal N and D differ (two learning rates), says so in st->mixed: the analyses across sizes
// pool them.
static void group_labels(const Samples *S, const char *db, SeedStudy *st) {
    st->mixed[0] = 0;
    for (int g = 0; g < S->n_groups; g++) snprintf(st->group[g].label, sizeof st->group[g].label, "%s", S->g[g].label);
    if (!db || S->n_groups < 2) return;
    GroupDiff d;
    char (*keys)[17] = xmalloc(sizeof *keys * S->n_groups);
    for (int g = 0; g < S->n_groups; g++) snprintf(keys[g], 17, "%.16s", S->g[g].key);
    int ok = seed_groups_diff_read(db, (const char (*)[17])keys, S->n_groups, &d) == 0;
    free(keys);
    if (!ok) return;   // the labels stay by size: the groups were read, only their params were not
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov, all[d.n_fields + 1];
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_D, conf, &n_conf, cov, &n_cov);
    int n_all = group_diff_fields_off(&d, GROUP_AXIS_N | GROUP_AXIS_D, all);
    for (int g = 0; g < S->n_groups && n_all; g++) {
        char l[200];
        group_diff_label(&d, group_diff_index(&d, S->g[g].key), all, n_all, l, sizeof l);
        snprintf(st->group[g].label, sizeof st->group[g].label, "%.63s, %.180s", S->g[g].label, l);
    }
    if (n_conf) {
        char what[512], where[400];
        group_diff_describe(&d, conf, n_conf, what, sizeof what);
        group_diff_suggest_where(&d, conf, n_conf, where, sizeof where);
        snprintf(st->mixed, sizeof st->mixed, "groups of equal N and D differ in %s: each group is described on its own, but the "
                 "spread against N and the power law across sizes below pool them; select one with --where %s", what, where);
    }
    group_diff_free(&d);
}

// Std and IQR of each described unit against N: spread ∝ N^k by least squares in logs.
static void spread_vs_N(SeedStudy *st) {
    double *lx = xmalloc(sizeof(double) * st->n_groups), *ly = xmalloc(sizeof(double) * st->n_groups);
    for (int u = 0; u < SEED_UNITS; u++) {
        for (int w = 0; w < 2; w++) {
            int m = 0;
            for (int g = 0; g < st->n_groups; g++) {
                const SeedGroupStats *G = &st->group[g];
                const SeedUnit *U = &G->unit[u];
                double v = U->present && !U->refused ? U->d.v[w ? 10 : 1] : NAN;   // IQR, std
                if (isfinite(v) && v > 0 && G->N > 0) { lx[m] = log(G->N); ly[m++] = log(v); }
            }
            slope_fit(lx, ly, m, &st->spread[u][w]);   // NaN below 3 sizes
        }
    }
    free(lx);
    free(ly);
}

void seed_study_run(const Samples *S, const char *db, const SeedOptions *o, SeedStudy *st) {
    memset(st, 0, sizeof *st);
    snprintf(st->source, sizeof st->source, "%s", S->source);
    st->n_groups = S->n_groups;
    st->group = xcalloc(S->n_groups ? S->n_groups : 1, sizeof(SeedGroupStats));
    group_labels(S, db, st);
    FitResult fr;
    int have_law = law_fit(S, o, &st->law, &fr) == 0;
    int most = 1;
    for (int g = 0; g < S->n_groups; g++) most = S->g[g].n > most ? S->g[g].n : most;
    double *x = xmalloc(sizeof(double) * most);
    for (int g = 0; g < S->n_groups; g++) {
        group_analyze(S, g, o, have_law ? &fr : NULL, x, &st->group[g]);
        for (int u = 0; u < SEED_UNITS; u++) st->have_unit[u] |= st->group[g].unit[u].present && !st->group[g].unit[u].refused;
    }
    free(x);
    if (have_law) fit_result_free(&fr);
    spread_vs_N(st);
}

void seed_study_free(SeedStudy *st) {
    for (int g = 0; g < st->n_groups; g++) {
        for (int u = 0; u < SEED_UNITS; u++) free(st->group[g].unit[u].refused);
        free(st->group[g].best);
    }
    free(st->group);
    memset(st, 0, sizeof *st);
}

#include "fit/budget.h"

#include <math.h>
#include <stdlib.h>

#include "base/xalloc.h"
#include "stats/describe.h"   // percentile_interval

// Chinchilla loss from θ = (e, a, b, α, β) at natural N, D.
static double loss_at(const double *t, double N, double D) {
    return exp(t[0]) + exp(t[1]) * pow(N, -t[3]) + exp(t[2]) * pow(D, -t[4]);
}

// (i): D from the budget; the objective is the loss (infinite if infeasible).
static double best_objective(const double *t, const Costs *c, double budget, double lN, double *D) {
    double N = exp(lN);
    *D = (budget - c->fixed - c->param * N) / (6 * c->flop * N + c->data);
    return *D >= 1 ? loss_at(t, N, *D) : INFINITY;
}

// (ii): D needed for the target at N; the objective is the cost.
static double cheap_objective(const double *t, const Costs *c, double target, double lN, double *D) {
    double N = exp(lN), room = target - exp(t[0]) - exp(t[1]) * pow(N, -t[3]);
    if (room <= 0) return INFINITY;
    *D = pow(exp(t[2]) / room, 1 / t[4]);
    if (*D < 1) *D = 1;
    return c->flop * 6 * N * *D + c->data * *D + c->param * N + c->fixed;
}

// ctx: what else the objective needs (the data limit), or NULL.
typedef double (*Objective)(const void *ctx, const double *t, const Costs *c, double arg, double lN, double *D);

static double best_fn(const void *ctx, const double *t, const Costs *c, double arg, double lN, double *D) {
    (void)ctx;
    return best_objective(t, c, arg, lN, D);
}
static double cheap_fn(const void *ctx, const double *t, const Costs *c, double arg, double lN, double *D) {
    (void)ctx;
    return cheap_objective(t, c, arg, lN, D);
}

// log N on `grid` cells of [0, log 1e16], then golden section in the best cell's neighbours.
static int search(Objective f, const void *ctx, int grid, const double *t, const Costs *c, double arg, double *N,
                  double *D, double *value) {
    const double lo = 0, hi = log(1e16);
    int best = -1;
    double bv = INFINITY, d;
    for (int i = 0; i <= grid; i++) {
        double v = f(ctx, t, c, arg, lo + (hi - lo) * i / grid, &d);
        if (v < bv) { bv = v; best = i; }
    }
    if (best < 0) return -1;
    double a = lo + (hi - lo) * (best > 0 ? best - 1 : 0) / grid, b = lo + (hi - lo) * (best < grid ? best + 1 : grid) / grid;
    const double g = 0.6180339887498949;
    for (int it = 0; it < 100; it++) {   // golden section inside the bracketing grid cells
        double x1 = b - g * (b - a), x2 = a + g * (b - a);
        if (f(ctx, t, c, arg, x1, &d) < f(ctx, t, c, arg, x2, &d)) b = x2;
        else a = x1;
    }
    double lN = 0.5 * (a + b);
    *value = f(ctx, t, c, arg, lN, D);
    *N = exp(lN);
    return isfinite(*value) ? 0 : -1;
}

int budget_best(const double *theta, const Costs *c, double budget, double *N, double *D, double *loss) {
    return search(best_fn, NULL, 4000, theta, c, budget, N, D, loss);
}

int budget_cheapest(const double *theta, const Costs *c, double target, double *N, double *D, double *cost) {
    return search(cheap_fn, NULL, 4000, theta, c, target, N, D, cost);
}

void budget_answer(BudgetQuestion q, const double *theta, const double *boot_theta, int n_boot, const Costs *c,
                   double arg, BudgetAnswer *a) {
    int kept = 0;
    double *v = xmalloc(sizeof(double) * (n_boot + 1) * 3), N = NAN, D = NAN, y = NAN;   // [3][n_boot]: N, D, value
    a->arg = arg;
    a->reachable = q(theta, c, arg, &N, &D, &y) == 0;
    for (int b = 0; b < n_boot; b++) {
        double n2, d2, y2;
        if (q(boot_theta + (size_t)b * 5, c, arg, &n2, &d2, &y2) == 0) {
            v[kept] = n2; v[n_boot + kept] = d2; v[2 * n_boot + kept] = y2; kept++;
        }
    }
    a->boot_reachable = kept;
    a->unique = NAN;
    a->epochs = (BudgetEstimate){ NAN, NAN, NAN };
    BudgetEstimate *e[3] = { &a->N, &a->D, &a->value };
    double est[3] = { N, D, y };
    for (int k = 0; k < 3; k++) {
        e[k]->estimate = a->reachable ? est[k] : NAN;
        e[k]->lo = e[k]->hi = NAN;
        if (kept > 1) percentile_interval(v + k * n_boot, kept, &e[k]->lo, &e[k]->hi);
    }
    free(v);
}

void budget_curve(const double *theta, const Costs *c, double budget, BudgetCurvePoint curve[BUDGET_CURVE]) {
    for (int i = 0; i < BUDGET_CURVE; i++) {
        BudgetCurvePoint *p = &curve[i];
        p->budget = budget * pow(10, (i - BUDGET_CURVE / 2) / 2.0);
        if (budget_best(theta, c, p->budget, &p->N, &p->D, &p->loss) != 0) p->N = p->D = p->loss = NAN;
    }
}

// ---- with a data limit ----

// The law's loss after D examples of U (D ≤ U: D fresh ones, one pass).
static double limited_loss(const DataLimit *l, const double *t, double N, double D) {
    double lx[3] = { log(N), D <= l->unique ? log(D) : log(l->unique), D <= l->unique ? 0 : log(D / l->unique) };
    return exp(l->law->log_predict(t, lx, NULL));
}

static double limited_cost(const DataLimit *l, const Costs *c, double N, double D) {
    return c->flop * 6 * N * D + c->data * (D < l->unique ? D : l->unique) + c->param * N + c->fixed;
}

static double max_examples(const DataLimit *l) { return isfinite(l->unique) ? l->unique * BUDGET_MAX_EPOCHS : 1e30; }

// (i): the most examples the budget buys at N (more never hurts: D' grows with D); the loss there.
static double limited_best_fn(const void *ctx, const double *t, const Costs *c, double budget, double lN, double *D) {
    const DataLimit *l = ctx;
    double N = exp(lN), U = l->unique, rest = budget - c->fixed - c->param * N, per = 6 * c->flop * N;
    double d = rest / (per + c->data);                        // every example fresh
    if (d > U) d = per > 0 ? (rest - c->data * U) / per : INFINITY;   // U bought, the rest repeats
    if (d > max_examples(l)) d = max_examples(l);
    *D = d;
    return d >= 1 ? limited_loss(l, t, N, d) : INFINITY;
}

// (ii): the fewest examples reaching the target at N (bisection in log D: the loss falls as D
// grows); the cost there.
static double limited_cheap_fn(const void *ctx, const double *t, const Costs *c, double target, double lN, double *D) {
    const DataLimit *l = ctx;
    double N = exp(lN), lo = 0, hi = log(max_examples(l));
    if (limited_loss(l, t, N, exp(hi)) > target) return INFINITY;
    if (limited_loss(l, t, N, 1) <= target) hi = 0;
    for (int it = 0; it < 50 && hi - lo > 1e-9; it++) {
        double mid = 0.5 * (lo + hi);
        if (limited_loss(l, t, N, exp(mid)) <= target) hi = mid;
        else lo = mid;
    }
    *D = exp(hi);
    return limited_cost(l, c, N, *D);
}

// A coarser grid than chinchilla's (each cell of (ii) costs a bisection; 400 cells of 0.09 in
// log N still bracket the optimum for golden section).
int budget_best_limited(const DataLimit *l, const double *theta, const Costs *c, double budget, double *N, double *D,
                        double *loss) {
    return search(limited_best_fn, l, 400, theta, c, budget, N, D, loss);
}

int budget_cheapest_limited(const DataLimit *l, const double *theta, const Costs *c, double target, double *N,
                            double *D, double *cost) {
    return search(limited_cheap_fn, l, 400, theta, c, target, N, D, cost);
}

void budget_answer_limited(int cheapest, const DataLimit *l, const double *theta, const double *boot_theta, int n_boot,
                           const Costs *c, double arg, BudgetAnswer *a) {
    int P = l->law->n_theta, kept = 0;
    double *v = xmalloc(sizeof(double) * (n_boot + 1) * 4);   // [4][n_boot]: N, D, value, epochs
    int *ok = xcalloc(n_boot + 1, sizeof(int));
    #pragma omp parallel for schedule(dynamic)
    for (int b = 0; b < n_boot; b++) {
        double n2, d2, y2;
        int r = cheapest ? budget_cheapest_limited(l, boot_theta + (size_t)b * P, c, arg, &n2, &d2, &y2)
                         : budget_best_limited(l, boot_theta + (size_t)b * P, c, arg, &n2, &d2, &y2);
        if (r == 0) { ok[b] = 1; v[b] = n2; v[n_boot + b] = d2; v[2 * n_boot + b] = y2; v[3 * n_boot + b] = d2 / l->unique; }
    }
    for (int b = 0; b < n_boot; b++)   // compacted in order: the intervals do not depend on the threads
        if (ok[b]) { for (int k = 0; k < 4; k++) v[k * n_boot + kept] = v[k * n_boot + b]; kept++; }
    double N = NAN, D = NAN, y = NAN;
    a->arg = arg;
    a->unique = l->unique;
    a->reachable = (cheapest ? budget_cheapest_limited(l, theta, c, arg, &N, &D, &y)
                             : budget_best_limited(l, theta, c, arg, &N, &D, &y)) == 0;
    a->boot_reachable = kept;
    BudgetEstimate *e[4] = { &a->N, &a->D, &a->value, &a->epochs };
    double est[4] = { N, D, y, D / l->unique };
    for (int k = 0; k < 4; k++) {
        e[k]->estimate = a->reachable ? est[k] : NAN;
        e[k]->lo = e[k]->hi = NAN;
        if (kept > 1) percentile_interval(v + k * n_boot, kept, &e[k]->lo, &e[k]->hi);
    }
    if (!isfinite(l->unique)) a->epochs = (BudgetEstimate){ NAN, NAN, NAN };
    free(ok);
    free(v);
}

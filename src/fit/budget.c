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

typedef double (*Objective)(const double *t, const Costs *c, double arg, double lN, double *D);

static int search(Objective f, const double *t, const Costs *c, double arg, double *N, double *D, double *value) {
    const double lo = 0, hi = log(1e16);
    const int grid = 4000;
    int best = -1;
    double bv = INFINITY, d;
    for (int i = 0; i <= grid; i++) {
        double v = f(t, c, arg, lo + (hi - lo) * i / grid, &d);
        if (v < bv) { bv = v; best = i; }
    }
    if (best < 0) return -1;
    double a = lo + (hi - lo) * (best > 0 ? best - 1 : 0) / grid, b = lo + (hi - lo) * (best < grid ? best + 1 : grid) / grid;
    const double g = 0.6180339887498949;
    for (int it = 0; it < 100; it++) {   // golden section inside the bracketing grid cells
        double x1 = b - g * (b - a), x2 = a + g * (b - a);
        if (f(t, c, arg, x1, &d) < f(t, c, arg, x2, &d)) b = x2;
        else a = x1;
    }
    double lN = 0.5 * (a + b);
    *value = f(t, c, arg, lN, D);
    *N = exp(lN);
    return isfinite(*value) ? 0 : -1;
}

int budget_best(const double *theta, const Costs *c, double budget, double *N, double *D, double *loss) {
    return search(best_objective, theta, c, budget, N, D, loss);
}

int budget_cheapest(const double *theta, const Costs *c, double target, double *N, double *D, double *cost) {
    return search(cheap_objective, theta, c, target, N, D, cost);
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

#include "fit/laws.h"

#include <math.h>
#include <string.h>

// n − 1 exps: the largest term's is 1, and the softmax weights reuse the value's (e_i / Σ e).
double log_sum_exp(const double *u, int n, double *p) {
    int k = 0;
    double s = 0, e[8];
    for (int i = 1; i < n; i++) if (u[i] > u[k]) k = i;
    for (int i = 0; i < n; i++) s += e[i] = i == k ? 1 : exp(u[i] - u[k]);
    if (p) for (int i = 0; i < n; i++) p[i] = e[i] / s;
    return u[k] + log(s);
}

// ---- power: log L̂ = LSE(e, a − α·lx)
static double power_predict(const double *t, const double *lx, double *g) {
    double u[2] = { t[0], t[1] - t[2] * lx[0] }, p[2];
    double v = log_sum_exp(u, 2, g ? p : NULL);
    if (g) { g[0] = p[0]; g[1] = p[1]; g[2] = -lx[0] * p[1]; }
    return v;
}

static void power_report(const double *t, double *out) {
    out[0] = exp(t[0]); out[1] = exp(t[1]); out[2] = t[2];
}

const Law law_power = {
    "power", 3, 1, { "e", "a", "alpha" }, power_predict,
    { 5, 6, 5 }, { { -1, -0.5, 0, 0.5, 1 }, { 0, 5, 10, 15, 20, 25 }, { 0, 0.5, 1, 1.5, 2 } },
    3, { "E", "A", "alpha" }, power_report,
    2, { { 0, -1, 0 }, { 1, 2, 0 } }, NULL,
};

// ---- chinchilla: log L̂ = LSE(e, a − α·lN, b − β·lD)
static double chinchilla_predict(const double *t, const double *lx, double *g) {
    double u[3] = { t[0], t[1] - t[3] * lx[0], t[2] - t[4] * lx[1] }, p[3];
    double v = log_sum_exp(u, 3, g ? p : NULL);
    if (g) { g[0] = p[0]; g[1] = p[1]; g[2] = p[2]; g[3] = -lx[0] * p[1]; g[4] = -lx[1] * p[2]; }
    return v;
}

// Reported: E, A, B, α, β, then the compute-optimal exponents for C = 6ND:
// N_opt ∝ C^(β/(α+β)), D_opt ∝ C^(α/(α+β)), and G = (αA/(βB))^(1/(α+β)).
static void chinchilla_report(const double *t, double *out) {
    double E = exp(t[0]), A = exp(t[1]), B = exp(t[2]), al = t[3], be = t[4];
    out[0] = E; out[1] = A; out[2] = B; out[3] = al; out[4] = be;
    out[5] = be / (al + be);
    out[6] = al / (al + be);
    out[7] = pow(al * A / (be * B), 1.0 / (al + be));
}

const Law law_chinchilla = {
    "chinchilla", 5, 2, { "e", "a", "b", "alpha", "beta" }, chinchilla_predict,
    { 5, 6, 6, 5, 5 },
    { { -1, -0.5, 0, 0.5, 1 }, { 0, 5, 10, 15, 20, 25 }, { 0, 5, 10, 15, 20, 25 }, { 0, 0.5, 1, 1.5, 2 }, { 0, 0.5, 1, 1.5, 2 } },
    8, { "E", "A", "B", "alpha", "beta", "N_opt_exponent", "D_opt_exponent", "G" }, chinchilla_report,
    3, { { 0, -1, 0 }, { 1, 3, 0 }, { 2, 4, 1 } }, NULL,
};

// ---- kaplan: log L̂ = α_D · LSE((α_N/α_D)(lN_c − lN), lD_c − lD)
static double kaplan_predict(const double *t, const double *lx, double *g) {
    double aN = t[2], aD = t[3];
    double u[2] = { aN / aD * (t[0] - lx[0]), t[1] - lx[1] }, p[2];
    double s = log_sum_exp(u, 2, p);
    if (g) {
        g[0] = aN * p[0];
        g[1] = aD * p[1];
        g[2] = p[0] * (t[0] - lx[0]);
        g[3] = s - p[0] * u[0];
    }
    return aD * s;
}

static void kaplan_report(const double *t, double *out) {
    out[0] = exp(t[0]); out[1] = exp(t[1]); out[2] = t[2]; out[3] = t[3];
}

const Law law_kaplan = {
    "kaplan", 4, 2, { "log_Nc", "log_Dc", "alpha_N", "alpha_D" }, kaplan_predict,
    { 4, 4, 4, 4 }, { { 5, 15, 25, 35 }, { 5, 15, 25, 35 }, { 0.05, 0.1, 0.3, 0.6 }, { 0.05, 0.1, 0.3, 0.6 } },
    4, { "N_c", "D_c", "alpha_N", "alpha_D" }, kaplan_report,
    0, { { 0, 0, 0 } }, NULL,
};

const Law *law_find(const char *name) {
    static const Law *const all[] = { &law_power, &law_chinchilla, &law_kaplan, &law_bnsl1, &law_bnsl2, &law_m4,
                                      &law_datacon, &law_datacon_d };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

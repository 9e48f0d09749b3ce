// Scaling laws, each as log L̂(θ, log x) with its gradient in θ. Positive
// constants are fitted as logs (e = log E, a = log A, …), as Hoffmann et al. do,
// so every θ is unconstrained. Adding a law is one row in the table in laws.c
// plus its formula, gradient, start grid and report.
//   power       L = E + A·x^−α                     θ = (e, a, α)          x = one axis
//   chinchilla  L = E + A/N^α + B/D^β              θ = (e, a, b, α, β)    x = (N, D)
//   kaplan      L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D  θ = (log N_c, log D_c, α_N, α_D)
//   bnsl1/2     L = a + b·x^−c0·Π_i (1 + (x/d_i)^(1/f_i))^(−c_i·f_i), 1 or 2 breaks (law_bnsl.c)
//               θ = (log a, log b, c0, then per break log d_i, log f_i, c_i)
//   m4          (L − ε∞)/(ε0 − L)^α = β·x^c, L solved per point (law_m4.c)
//               θ = (log ε∞, log(ε0 − ε∞), log α, log β, c)
//   data-constrained  L = E + A/N'^α + B/D'^β, repeated data decaying (law_datacon.c)
//                     θ = (e, a, b, α, β, log R_D*, log R_N*)   x = (N, unique, epochs)
#pragma once

#define LAW_MAX_THETA 9    // bnsl with 2 breaks
#define LAW_MAX_REPORT 10

// The range of the data a fit sees, in logs: for laws whose start grid must follow the data
// (a break inside the range of x, a floor below the smallest loss).
typedef struct { double lx_lo[3], lx_hi[3], ly_lo, ly_hi; } LawRange;

typedef struct Law {
    const char *name;
    int n_theta, n_x;                      // parameters; inputs (1 to 3)
    const char *theta_names[LAW_MAX_THETA];
    // log L̂ at log x[n_x]; grad[n_theta] (may be NULL)
    double (*log_predict)(const double *theta, const double *logx, double *grad);
    // start grid: for parameter k, values start[k][0..n_start[k])
    int n_start[LAW_MAX_THETA];
    double start[LAW_MAX_THETA][8];
    // the parameters as reported (natural scale, derived quantities after them)
    int n_report;
    const char *report_names[LAW_MAX_REPORT];
    void (*report)(const double *theta, double *out);
    // Laws of the form log L̂ = log Σ_k exp(θ[coef_k]) · x[axis_k]^(−θ[expo_k]) (expo_k < 0: a
    // constant term) name their terms, so that the start grid costs one log per point: each
    // power x^(−v) of a grid value v is computed once per point (fit.c scout_terms). 0: none.
    int n_terms;
    struct { int coef, expo, axis; } term[3];
    // NULL, or fills start[k][0..n_start[k]) from the data's range before the grid is built: the
    // table's values are then placeholders (fit.c grid_starts).
    void (*data_starts)(const LawRange *range, double start[LAW_MAX_THETA][8]);
} Law;

const Law *law_find(const char *name);
extern const Law law_power, law_chinchilla, law_kaplan;
extern const Law law_bnsl1, law_bnsl2, law_m4;
extern const Law law_datacon, law_datacon_d;   // fit/law_datacon.c; _d: N' = N (no R_N*)

// log(exp(u0) + … + exp(u_{n−1})) and the softmax weights p[n] (may be NULL); n ≤ 8.
double log_sum_exp(const double *u, int n, double *p);

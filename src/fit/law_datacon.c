// The data-constrained law of Muennighoff et al. 2023 ("Scaling Data-Constrained Language
// Models", eqs. 5–7): Chinchilla's L = E + A/N'^α + B/D'^β with the effective data and
// parameters
//     D' = U_D + U_D·R_D*·(1 − e^(−R_D/R_D*))     U_D unique examples seen R_D + 1 times
//     N' = U_N + U_N·R_N*·(1 − e^(−R_N/R_N*))     U_N = min(N, N_opt(U_D)), R_N = N/U_N − 1
// A repeated example is worth less each pass: after R_D repetitions the data count as
// U_D·(1 + R_D*(1 − e^(−R_D/R_D*))), so R_D* is the number of repetitions after which the
// value of more of them has decayed by 1/e, and no amount of repetition gives more than
// U_D·(1 + R_D*). N_opt(D) is the size for which D is compute-optimal under the law's own
// A, B, α, β (Chinchilla's N_opt ∝ D^(β/α), from αA/N^α = βB/D^β): parameters beyond it are
// "excess" and decay the same way, with their own R_N*.
//
// Inputs x = (N, U, epochs): U the unique examples (or tokens) available, epochs the passes
// over them (examples seen ÷ U). Fewer than one pass saw U·epochs distinct examples once:
// U_D = U·min(epochs, 1), R_D = max(epochs − 1, 0), so the law is continuous through one pass.
//
// θ = (e, a, b, α, β, r_D, r_N) with E = e^e, A = e^a, B = e^b, R_D* = e^(r_D), R_N* = e^(r_N):
// every θ is unconstrained. The min() in U_N makes log L̂ piecewise smooth: the gradient is
// that of the piece the point lies on (exact away from N = N_opt(U_D), a one-sided derivative
// on it), which BFGS tolerates as it does Huber's kink. α ≤ 0 or β ≤ 0 has no compute-optimal
// size (N_opt is undefined): there U_N = N, no parameter is in excess.
//
// "data-constrained-d" is the same law with N' = N (R_N* dropped, 6 parameters): on data
// where no model is larger than N_opt(U_D), or where R_N* is not determined, it is the one to
// report.
#include <math.h>
#include <stddef.h>

#include "fit/laws.h"

// log(1 + R*·(1 − e^(−R/R*))) for R* = e^r, and its derivatives in R (d_R) and in r (d_r).
static double decay_log(double R, double r, double *d_R, double *d_r) {
    double s = exp(r), x = R / s, q = -expm1(-x), g = s * q, ex = exp(-x);
    // ∂g/∂r = s·∂g/∂s = s·q − R·e^(−x); for small x the two terms cancel to R·x/2 (series).
    double s_dgds = x < 1e-4 ? R * x * (0.5 - x / 3) : g - R * ex;
    if (d_R) *d_R = ex / (1 + g);
    if (d_r) *d_r = s_dgds / (1 + g);
    return log1p(g);
}

// log L̂ at lx = (log N, log U, log epochs); grad[7] (or [6] without excess parameters).
static double datacon_eval(const double *t, const double *lx, double *grad, int excess) {
    double al = t[3], be = t[4];
    double lUD = lx[1] + (lx[2] < 0 ? lx[2] : 0);
    double RD = lx[2] > 0 ? expm1(lx[2]) : 0;
    double dD_r = 0, lDp = lUD + decay_log(RD, t[5], NULL, &dD_r);   // log D'
    // log N' and its derivatives in a, b, α, β (through N_opt) and r_N
    double lNp = lx[0], dN[5] = { 0 }, dN_r = 0;   // dN: ∂ log N' / ∂(·, a, b, α, β)
    if (excess && al > 0 && be > 0) {
        double lNopt = (log(al) - log(be) + t[1] - t[2] + be * lUD) / al;
        if (lNopt < lx[0]) {
            double RN = expm1(lx[0] - lNopt), dR = 0;
            lNp = lNopt + decay_log(RN, t[6], &dR, &dN_r);
            // ∂ log N'/∂ log U_N: 1 directly, and R_N + 1 = N/U_N falls as U_N grows
            double k = 1 - dR * (RN + 1);
            dN[1] = k / al;
            dN[2] = -k / al;
            dN[3] = k * (1 / al - lNopt) / al;
            dN[4] = k * (lUD - 1 / be) / al;
        }
    }
    double u[3] = { t[0], t[1] - al * lNp, t[2] - be * lDp }, p[3];
    double v = log_sum_exp(u, 3, grad ? p : NULL);
    if (grad) {
        grad[0] = p[0];
        grad[1] = p[1] * (1 - al * dN[1]);
        grad[2] = p[2] - p[1] * al * dN[2];
        grad[3] = -p[1] * (lNp + al * dN[3]);
        grad[4] = -p[2] * lDp - p[1] * al * dN[4];
        grad[5] = -p[2] * be * dD_r;
        if (excess) grad[6] = -p[1] * al * dN_r;
    }
    return v;
}

static double datacon_predict(const double *t, const double *lx, double *g) { return datacon_eval(t, lx, g, 1); }
static double datacon_d_predict(const double *t, const double *lx, double *g) { return datacon_eval(t, lx, g, 0); }

// Reported: E, A, B, α, β, R_D*, (R_N*), and the most repeated data are ever worth, in unique
// examples: U·(1 + R_D*) for U = 1, i.e. the factor 1 + R_D*.
static void datacon_report(const double *t, double *out) {
    out[0] = exp(t[0]); out[1] = exp(t[1]); out[2] = exp(t[2]); out[3] = t[3]; out[4] = t[4];
    out[5] = exp(t[5]);
    out[6] = exp(t[6]);
    out[7] = 1 + exp(t[5]);
}

static void datacon_d_report(const double *t, double *out) {
    out[0] = exp(t[0]); out[1] = exp(t[1]); out[2] = exp(t[2]); out[3] = t[3]; out[4] = t[4];
    out[5] = exp(t[5]);
    out[6] = 1 + exp(t[5]);
}

// 4·4·4·4·4·3·3 = 9,216 starts; r = 0, 2.5, 5 are R* = 1, 12, 148 (Muennighoff's ≈ 15 and 5 lie between).
#define DC_STARTS { -2, -1, 0, 1 }, { 0, 5, 10, 20 }, { 0, 5, 10, 20 }, { 0.2, 0.5, 1, 1.5 }, { 0.2, 0.5, 1, 1.5 }, \
                  { 0, 2.5, 5 }

const Law law_datacon = {
    "data-constrained", 7, 3, { "e", "a", "b", "alpha", "beta", "log_RD_star", "log_RN_star" }, datacon_predict,
    { 4, 4, 4, 4, 4, 3, 3 }, { DC_STARTS, { 0, 2.5, 5 } },
    8, { "E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star", "max_data_gain" }, datacon_report,
    0, { { 0, 0, 0 } }, NULL,
};

const Law law_datacon_d = {
    "data-constrained-d", 6, 3, { "e", "a", "b", "alpha", "beta", "log_RD_star" }, datacon_d_predict,
    { 4, 4, 4, 4, 4, 3 }, { DC_STARTS },
    7, { "E", "A", "B", "alpha", "beta", "R_D_star", "max_data_gain" }, datacon_d_report,
    0, { { 0, 0, 0 } }, NULL,
};

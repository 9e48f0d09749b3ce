// The broken neural scaling law (Caballero et al. 2022) with 1 or 2 breaks, on one axis x:
//   L = a + b·x^−c0 · Π_i (1 + (x/d_i)^(1/f_i))^(−c_i·f_i)
// A power law of exponent c0 below the first break d_i, bending by c_i over about f_i decades
// (in natural log units) at each, so that far past the last break the exponent is c0 + Σ c_i.
// Fitted in logs so that θ is unconstrained:
//   θ = (log a, log b, c0, then per break: log d_i, log f_i, c_i)
//   log L̂ = LSE(log a, log b − c0·lx − Σ_i c_i·f_i·softplus((lx − log d_i)/f_i))
// since (1 + (x/d)^(1/f))^(−c·f) = exp(−c·f·log(1 + e^((lx − log d)/f))).
#include <math.h>
#include <stddef.h>

#include "fit/laws.h"

// log(1 + e^z) without overflow for large z or loss of digits for very negative z.
static double softplus(double z) { return fmax(z, 0) + log1p(exp(-fabs(z))); }
// 1 / (1 + e^−z), the derivative of softplus.
static double logistic(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

// log L̂ for n breaks; grad[3 + 3n] (may be NULL).
static double bnsl_predict(const double *t, double lx, int n, double *g) {
    double u[2] = { t[0], t[1] - t[2] * lx }, sp[2], z[2], f[2];
    for (int i = 0; i < n; i++) {
        const double *br = t + 3 + 3 * i;   // log d_i, log f_i, c_i
        f[i] = exp(br[1]);
        z[i] = (lx - br[0]) / f[i];
        sp[i] = softplus(z[i]);
        u[1] -= br[2] * f[i] * sp[i];
    }
    double p[2], v = log_sum_exp(u, 2, g ? p : NULL);
    if (g) {
        g[0] = p[0];
        g[1] = p[1];
        g[2] = -lx * p[1];
        for (int i = 0; i < n; i++) {
            double c = t[3 + 3 * i + 2];
            g[3 + 3 * i] = c * logistic(z[i]) * p[1];                                  // ∂/∂ log d_i
            g[3 + 3 * i + 1] = -c * f[i] * (sp[i] - z[i] * logistic(z[i])) * p[1];     // ∂/∂ log f_i
            g[3 + 3 * i + 2] = -f[i] * sp[i] * p[1];                                   // ∂/∂ c_i
        }
    }
    return v;
}

static double bnsl1_predict(const double *t, const double *lx, double *g) { return bnsl_predict(t, lx[0], 1, g); }
static double bnsl2_predict(const double *t, const double *lx, double *g) { return bnsl_predict(t, lx[0], 2, g); }

// Reported: a, b, c0, then d_i, f_i, c_i per break, then the exponent past the last break.
static void bnsl_report(const double *t, int n, double *out) {
    out[0] = exp(t[0]); out[1] = exp(t[1]); out[2] = t[2];
    double past = t[2];
    for (int i = 0; i < n; i++) {
        out[3 + 3 * i] = exp(t[3 + 3 * i]);
        out[4 + 3 * i] = exp(t[4 + 3 * i]);
        out[5 + 3 * i] = t[5 + 3 * i];
        past += t[5 + 3 * i];
    }
    out[3 + 3 * n] = past;
}
static void bnsl1_report(const double *t, double *out) { bnsl_report(t, 1, out); }
static void bnsl2_report(const double *t, double *out) { bnsl_report(t, 2, out); }

// The start grid on the data: the floor a below the smallest loss; b paired with each c0 so that
// b·x^−c0 is near the largest loss at the smallest x (a grid of b alone would waste most starts on
// curves decades away from the data, since log b ≈ c0·log x); breaks spread over the range of x,
// the first break in its lower part and the second in its upper part for bnsl2.
static void bnsl_starts(const LawRange *r, int n, double start[LAW_MAX_THETA][8]) {
    static const double floor1[] = { 0.01, 0.3, 0.6, 0.9 }, floor2[] = { 0.05, 0.5, 0.9 };
    static const double c0_1[] = { 0, 0.25, 0.5, 1 }, c0_2[] = { 0, 0.4, 1 };
    const double *fl = n == 1 ? floor1 : floor2, *c0 = n == 1 ? c0_1 : c0_2;
    int n_fl = n == 1 ? 4 : 3, n_c0 = n == 1 ? 4 : 3;
    double lo = r->lx_lo[0], span = r->lx_hi[0] - r->lx_lo[0];
    for (int k = 0; k < n_fl; k++) start[0][k] = r->ly_lo + log(fl[k]);
    for (int k = 0; k < n_c0; k++) start[2][k] = c0[k];
    if (n == 1) {   // two offsets of b per c0: 8 values
        for (int k = 0; k < 4; k++) {
            start[1][2 * k] = r->ly_hi + c0[k] * lo - 1;
            start[1][2 * k + 1] = r->ly_hi + c0[k] * lo + 0.5;
        }
        for (int k = 0; k < 5; k++) start[3][k] = lo + span * (0.1 + 0.2 * k);
    } else {
        for (int k = 0; k < 3; k++) start[1][k] = r->ly_hi + c0[k] * lo;
        for (int k = 0; k < 3; k++) start[3][k] = lo + span * (0.1 + 0.15 * k);
        for (int k = 0; k < 3; k++) start[6][k] = lo + span * (0.6 + 0.15 * k);
    }
}
static void bnsl1_starts(const LawRange *r, double start[LAW_MAX_THETA][8]) { bnsl_starts(r, 1, start); }
static void bnsl2_starts(const LawRange *r, double start[LAW_MAX_THETA][8]) { bnsl_starts(r, 2, start); }

// 4·8·4·5·3·4 = 7,680 starts; the values of log a, log b, c0 and log d are placeholders
// (bnsl_starts). log f from a sharp bend (f = 0.1) to one over a decade and more (f = 2).
const Law law_bnsl1 = {
    .name = "bnsl1", .n_theta = 6, .n_x = 1,
    .theta_names = { "log_a", "log_b", "c0", "log_d1", "log_f1", "c1" },
    .log_predict = bnsl1_predict,
    .n_start = { 4, 8, 4, 5, 3, 4 },
    .start = { { 0 }, { 0 }, { 0 }, { 0 }, { -2.302585, -0.693147, 0.693147 }, { 0.25, 0.5, 1, 2 } },
    .n_report = 7,
    .report_names = { "a", "b", "c0", "d1", "f1", "c1", "c_past" },
    .report = bnsl1_report,
    .data_starts = bnsl1_starts,
};

// 3^9 = 19,683 starts.
const Law law_bnsl2 = {
    .name = "bnsl2", .n_theta = 9, .n_x = 1,
    .theta_names = { "log_a", "log_b", "c0", "log_d1", "log_f1", "c1", "log_d2", "log_f2", "c2" },
    .log_predict = bnsl2_predict,
    .n_start = { 3, 3, 3, 3, 3, 3, 3, 3, 3 },
    .start = { { 0 }, { 0 }, { 0 }, { 0 }, { -2.302585, -0.693147, 0.693147 }, { 0.3, 1, 2 },
               { 0 }, { -2.302585, -0.693147, 0.693147 }, { 0.3, 1, 2 } },
    .n_report = 10,
    .report_names = { "a", "b", "c0", "d1", "f1", "c1", "d2", "f2", "c2", "c_past" },
    .report = bnsl2_report,
    .data_starts = bnsl2_starts,
};

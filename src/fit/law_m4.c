// The law of Alabdulmohsin et al. 2022 ("M4"), for a loss or error that saturates at both ends:
//   (L − ε∞)/(ε0 − L)^α = β·x^c      ε∞ < L < ε0, c < 0 for a loss falling with x
// L is implicit. Fitted with θ = (log ε∞, log Δ, log α, log β, c), Δ = ε0 − ε∞, so that every θ
// is unconstrained and ε∞ < ε0 always holds.
//
// Solved per point in the logit t of the position s = (L − ε∞)/Δ ∈ (0, 1): L − ε∞ = Δ·s and
// ε0 − L = Δ·(1 − s), so the law reads log s − α·log(1 − s) = K with K = log β + c·lx + (α − 1)·log Δ,
// and with s = σ(t), log s = −softplus(−t), log(1 − s) = −softplus(t):
//   h(t) = t + (α − 1)·softplus(t) − K = 0,     h'(t) = 1 + (α − 1)·σ(t) = (1 − s) + α·s > 0.
// h is strictly increasing from −∞ to ∞, so the root is unique; t keeps full precision for L next
// to either end, where L itself would round to ε∞ or ε0. Then log L = LSE(log ε∞, log Δ + log s).
// The gradient follows from the implicit function theorem: dt/dθ = −(∂h/∂θ)/h'(t).
#include <math.h>
#include <stddef.h>

#include "fit/laws.h"

static double softplus(double z) { return fmax(z, 0) + log1p(exp(-fabs(z))); }
static double logistic(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

static double m4_h(double t, double am1, double K) { return t + am1 * softplus(t) - K; }

// The root t of h, to the last bits: Newton steps kept inside a bracket that every step shrinks,
// bisection when a step would leave it. h' lies between min(1, α) and max(1, α), so Newton
// converges in a few steps; the bracket makes it safe for any α.
static double m4_solve(double alpha, double K) {
    if (!isfinite(K) || !isfinite(alpha)) return NAN;   // a line search far out: no loss there
    // h(t) ≈ t − K far left and α·t − K far right: the roots of those, widened until they bracket.
    double am1 = alpha - 1, lo = fmin(K, K / alpha) - 1, hi = fmax(K, K / alpha) + 1;
    for (int k = 0; k < 64 && m4_h(lo, am1, K) > 0; k++) lo -= 2 * (hi - lo);
    for (int k = 0; k < 64 && m4_h(hi, am1, K) < 0; k++) hi += 2 * (hi - lo);
    double t = 0.5 * (lo + hi);
    for (int it = 0; it < 200; it++) {
        double h = m4_h(t, am1, K);
        if (h == 0) return t;
        if (h < 0) lo = t; else hi = t;
        double step = h / (1 + am1 * logistic(t)), next = t - step;
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        if (next == t || hi - lo <= 4 * 2.2e-16 * fmax(1, fabs(t))) return next;
        t = next;
    }
    return t;
}

static double m4_predict(const double *th, const double *lx, double *g) {
    double le = th[0], ld = th[1], alpha = exp(th[2]), lb = th[3], c = th[4];
    double K = lb + c * lx[0] + (alpha - 1) * ld;
    double t = m4_solve(alpha, K);
    double s = logistic(t), one_s = logistic(-t);
    double u[2] = { le, ld - softplus(-t) }, p[2];
    double v = log_sum_exp(u, 2, g ? p : NULL);
    if (g) {
        double H = one_s + alpha * s;              // h'(t)
        // ∂h/∂θ: log ε∞ 0; log Δ −(α−1); log α α·(softplus(t) − log Δ); log β −1; c −lx
        double dt_dld = (alpha - 1) / H, dt_dla = -alpha * (softplus(t) - ld) / H, dt_dlb = 1 / H, dt_dc = lx[0] / H;
        // d log s/dt = 1 − s
        g[0] = p[0];
        g[1] = p[1] * (1 + one_s * dt_dld);
        g[2] = p[1] * one_s * dt_dla;
        g[3] = p[1] * one_s * dt_dlb;
        g[4] = p[1] * one_s * dt_dc;
    }
    return v;
}

static void m4_report(const double *t, double *out) {
    out[0] = exp(t[0]); out[1] = exp(t[0]) + exp(t[1]); out[2] = exp(t[2]); out[3] = exp(t[3]); out[4] = t[4];
}

// The start grid on the data: ε∞ below the smallest loss, ε0 above the largest; β paired with
// each c so that β·x^c is near 1 (s near one half) in the middle of the range of x (log β ≈ −c·lx,
// as for the broken law's b).
static const double M4_C[4] = { -0.1, -0.25, -0.5, -1 };
static void m4_starts(const LawRange *r, double start[LAW_MAX_THETA][8]) {
    static const double fl[] = { 0.01, 0.3, 0.6, 0.9 }, top[] = { 0.2, 1, 4, 19 };
    double mid = 0.5 * (r->lx_lo[0] + r->lx_hi[0]);
    for (int k = 0; k < 4; k++) {
        start[0][k] = r->ly_lo + log(fl[k]);
        start[1][k] = r->ly_hi + log(top[k]);
        start[3][2 * k] = -M4_C[k] * mid - 1.5;
        start[3][2 * k + 1] = -M4_C[k] * mid + 1.5;
        start[4][k] = M4_C[k];
    }
}

// 4·4·4·8·4 = 2,048 starts; log α from 0.25 to 2.
const Law law_m4 = {
    .name = "m4", .n_theta = 5, .n_x = 1,
    .theta_names = { "log_eps_inf", "log_range", "log_alpha", "log_beta", "c" },
    .log_predict = m4_predict,
    .n_start = { 4, 4, 4, 8, 4 },
    .start = { { 0 }, { 0 }, { -1.386294, -0.693147, 0, 0.693147 }, { 0 }, { 0 } },
    .n_report = 5,
    .report_names = { "eps_inf", "eps_0", "alpha", "beta", "c" },
    .report = m4_report,
    .data_starts = m4_starts,
};

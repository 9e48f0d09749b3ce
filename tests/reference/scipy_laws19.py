#!/usr/bin/python3
"""Reference fits from scipy for the laws of issue 19, for tests/test_laws_more.c (run by hand
with Debian's python3-scipy; the outputs are committed):
    /usr/bin/python3 tests/reference/scipy_laws19.py tests/reference
Writes bnsl_points.csv (a broken law with two planted breaks) and m4_points.csv (the law of
Alabdulmohsin et al.), 3 seeds per x with 0.5% multiplicative noise, and scipy_laws19.txt: per
law, the θ minimising Σ Huber_δ(log L̂ − log L)/δ (δ = 1e-3) and that objective, found by scipy:
the objective at every start of the same grid as jackpot, L-BFGS-B from the best 24, then BFGS
from the best end point. Written independently of src/fit: the broken law as a product of
powers in logs; M4's loss by bisection on L itself (not on jackpot's logit), its gradient by the
implicit function theorem in L.
Line format: LAW CSV N_THETA θ_1 … θ_N OBJECTIVE."""
import itertools, sys
import numpy as np
from scipy.optimize import minimize

out = sys.argv[1] if len(sys.argv) > 1 else "tests/reference"
DELTA = 1e-3
rng = np.random.default_rng(20261202)


def huber(r):
    small = np.abs(r) <= DELTA
    h = np.where(small, 0.5 * r * r, DELTA * (np.abs(r) - 0.5 * DELTA)) / DELTA
    dh = np.where(small, r, DELTA * np.sign(r)) / DELTA
    return h, dh


# ---- broken law: L = a + b·x^−c0·Π (1 + (x/d_i)^(1/f_i))^(−c_i·f_i), θ = (log a, log b, c0, (log d, log f, c)_i)
def bnsl_log(theta, lx, nb):
    """log L̂ [n] and its Jacobian [n, p] in θ."""
    t = np.asarray(theta, float)
    n = len(lx)
    # log of the power part: log b − c0·lx − Σ c_i·f_i·log(1 + (x/d_i)^(1/f_i))
    q = t[1] - t[2] * lx
    dq = np.zeros((n, len(t)))
    dq[:, 1] = 1
    dq[:, 2] = -lx
    for i in range(nb):
        ld, lf, c = t[3 + 3 * i:6 + 3 * i]
        f = np.exp(lf)
        w = (lx - ld) / f                          # log (x/d)^(1/f)
        l1p = np.logaddexp(0, w)                   # log(1 + (x/d)^(1/f))
        r = np.exp(w - l1p)                        # (x/d)^(1/f) / (1 + (x/d)^(1/f))
        q = q - c * f * l1p
        dq[:, 3 + 3 * i] = c * r                   # ∂/∂ log d
        dq[:, 4 + 3 * i] = -c * (f * l1p - (lx - ld) * r)   # ∂/∂ log f
        dq[:, 5 + 3 * i] = -f * l1p
    v = np.logaddexp(t[0], q)
    pa = np.exp(t[0] - v)                          # a / L̂
    J = (1 - pa)[:, None] * dq
    J[:, 0] = pa
    return v, J


# ---- M4: (L − ε∞)/(ε0 − L)^α = β·x^c, θ = (log ε∞, log(ε0 − ε∞), log α, log β, c)
def m4_loss(theta, lx):
    """L [n] by bisection on (ε∞, ε0): g(L) = log(L − ε∞) − α·log(ε0 − L) − log β − c·lx rises from −∞ to ∞."""
    e_inf, e0, al = np.exp(theta[0]), np.exp(theta[0]) + np.exp(theta[1]), np.exp(theta[2])
    lo = np.full(len(lx), e_inf)
    hi = np.full(len(lx), e0)
    target = theta[3] + theta[4] * lx
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        with np.errstate(divide="ignore"):
            g = np.log(mid - e_inf) - al * np.log(e0 - mid) - target
        lo = np.where(g < 0, mid, lo)
        hi = np.where(g < 0, hi, mid)
    return 0.5 * (lo + hi)


def m4_log(theta, lx):
    t = np.asarray(theta, float)
    L = m4_loss(t, lx)
    e_inf, dl, al = np.exp(t[0]), np.exp(t[1]), np.exp(t[2])
    e0 = e_inf + dl
    A, B = L - e_inf, e0 - L
    gL = 1 / A + al / B
    gt = np.stack([-e_inf / A - al * e_inf / B, -al * dl / B, -al * np.log(B),
                   -np.ones_like(lx), -lx], axis=1)   # ∂g/∂θ at fixed L
    J = -gt / gL[:, None] / L[:, None]                 # d log L/dθ = (dL/dθ)/L
    return np.log(L), J


def objective(theta, model, lx, ly):
    v, J = model(theta, lx)
    if not np.all(np.isfinite(v)):
        return np.inf, np.zeros(len(theta))
    h, dh = huber(v - ly)
    return h.sum(), J.T @ dh


def grid_values(model, grid, lx, ly):
    """The objective at every start (vectorised over starts in chunks)."""
    starts = np.array(list(itertools.product(*grid)), float)
    f = np.empty(len(starts))
    for k, s in enumerate(starts):
        with np.errstate(all="ignore"):
            v, _ = model(s, lx)
            f[k] = huber(v - ly)[0].sum() if np.all(np.isfinite(v)) else np.inf
    return starts, f


def fit(model, grid, lx, ly):
    starts, f = grid_values(model, grid, lx, ly)
    best = None
    for k in np.argsort(f)[:24]:
        with np.errstate(all="ignore"):
            res = minimize(objective, starts[k], args=(model, lx, ly), jac=True, method="L-BFGS-B",
                           options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-11})
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    with np.errstate(all="ignore"):
        res = minimize(objective, best.x, args=(model, lx, ly), jac=True, method="BFGS",
                       options={"gtol": 1e-11, "maxiter": 20000})
    x = res.x if res.fun <= best.fun else best.x
    return x, objective(x, model, lx, ly)[0]


# The same start grids as src/fit/law_bnsl.c and law_m4.c, from the data's range.
def bnsl_grid(nb, lx, ly):
    lo, span, ylo, yhi = lx.min(), lx.max() - lx.min(), ly.min(), ly.max()
    lf = [-2.302585, -0.693147, 0.693147]
    if nb == 1:
        c0 = [0, 0.25, 0.5, 1]
        lb = [v for c in c0 for v in (yhi + c * lo - 1, yhi + c * lo + 0.5)]
        return [[ylo + np.log(v) for v in (0.01, 0.3, 0.6, 0.9)], lb, c0,
                [lo + span * (0.1 + 0.2 * k) for k in range(5)], lf, [0.25, 0.5, 1, 2]]
    c0 = [0, 0.4, 1]
    return [[ylo + np.log(v) for v in (0.05, 0.5, 0.9)], [yhi + c * lo for c in c0], c0,
            [lo + span * (0.1 + 0.15 * k) for k in range(3)], lf, [0.3, 1, 2],
            [lo + span * (0.6 + 0.15 * k) for k in range(3)], lf, [0.3, 1, 2]]


def m4_grid(lx, ly):
    mid, ylo, yhi = 0.5 * (lx.min() + lx.max()), ly.min(), ly.max()
    cs = [-0.1, -0.25, -0.5, -1]
    return [[ylo + np.log(v) for v in (0.01, 0.3, 0.6, 0.9)], [yhi + np.log(v) for v in (0.2, 1, 4, 19)],
            [-1.386294, -0.693147, 0, 0.693147], [v for c in cs for v in (-c * mid - 1.5, -c * mid + 1.5)], cs]


def write(name, x, L, seed):
    with open("%s/%s" % (out, name), "w") as f:
        f.write("x,loss,seed\n")
        for a, b, s in zip(x, L, seed):
            f.write("%.17g,%.17g,%d\n" % (a, b, s))


SEEDS, SIGMA = 3, 0.005
# broken law, two breaks: a = 0.3, b = 20, c0 = 0.1; d1 = 1e5, f1 = 0.3, c1 = 0.5; d2 = 1e8, f2 = 0.5, c2 = 0.3
tb = [np.log(0.3), np.log(20), 0.1, np.log(1e5), np.log(0.3), 0.5, np.log(1e8), np.log(0.5), 0.3]
xb = np.repeat(1e3 * 10 ** (7 * np.arange(22) / 21), SEEDS)
Lb = np.exp(bnsl_log(tb, np.log(xb), 2)[0] + SIGMA * rng.standard_normal(len(xb)))
write("bnsl_points.csv", xb, Lb, np.tile(np.arange(SEEDS), 22))
# M4: ε∞ = 0.2, ε0 = 2.5, α = 0.7, β = 100, c = −0.4
tm = [np.log(0.2), np.log(2.3), np.log(0.7), np.log(100), -0.4]
xm = np.repeat(1e2 * 10 ** (6 * np.arange(16) / 15), SEEDS)
Lm = m4_loss(tm, np.log(xm)) * np.exp(SIGMA * rng.standard_normal(len(xm)))
write("m4_points.csv", xm, Lm, np.tile(np.arange(SEEDS), 16))

lines = []
for name, csv, model, grid, x, L in (
        ("bnsl1", "bnsl_points.csv", lambda t, lx: bnsl_log(t, lx, 1), bnsl_grid(1, np.log(xb), np.log(Lb)), xb, Lb),
        ("bnsl2", "bnsl_points.csv", lambda t, lx: bnsl_log(t, lx, 2), bnsl_grid(2, np.log(xb), np.log(Lb)), xb, Lb),
        ("m4", "m4_points.csv", m4_log, m4_grid(np.log(xm), np.log(Lm)), xm, Lm)):
    theta, f = fit(model, grid, np.log(x), np.log(L))
    lines.append("%s %s %d %s %.17g\n" % (name, csv, len(theta), " ".join("%.17g" % v for v in theta), f))
    print(name, theta, f, flush=True)
with open("%s/scipy_laws19.txt" % out, "w") as f:
    f.writelines(lines)

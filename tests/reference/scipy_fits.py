#!/usr/bin/python3
"""Reference fits from scipy for tests/test_fit.c (run by hand with Debian's
python3-scipy; the outputs are committed):
    /usr/bin/python3 tests/reference/scipy_fits.py tests/reference
Writes power_points.csv and chinchilla_points.csv (fixed synthetic points with
small multiplicative noise) and scipy_fits.txt: for each law, the θ minimising
Σ Huber_δ(log L̂ − log L)/δ (δ = 1e-3) found by scipy.optimize.minimize (L-BFGS-B
from every point of the same start grid as jackpot, then BFGS from the best).
θ: power (e, a, α), L = e^e + e^a·N^−α; chinchilla (e, a, b, α, β)."""
import itertools, sys
import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

out = sys.argv[1] if len(sys.argv) > 1 else "tests/reference"
DELTA = 1e-3
rng = np.random.default_rng(12345)

def huber_obj(theta, u_of, lx, ly):
    u, du = u_of(theta, lx)                 # u: [n, k] exponents, du: [n, k, p] their derivatives
    pred = logsumexp(u, axis=1)
    w = softmax(u, axis=1)
    r = pred - ly
    small = np.abs(r) <= DELTA
    h = np.where(small, 0.5 * r * r, DELTA * (np.abs(r) - 0.5 * DELTA)) / DELTA
    dh = np.where(small, r, DELTA * np.sign(r)) / DELTA
    grad = np.einsum("n,nk,nkp->p", dh, w, du)
    return h.sum(), grad

def power_u(t, lx):
    n = len(lx)
    u = np.stack([np.full(n, t[0]), t[1] - t[2] * lx[:, 0]], axis=1)
    du = np.zeros((n, 2, 3)); du[:, 0, 0] = 1; du[:, 1, 1] = 1; du[:, 1, 2] = -lx[:, 0]
    return u, du

def chinchilla_u(t, lx):
    n = len(lx)
    u = np.stack([np.full(n, t[0]), t[1] - t[3] * lx[:, 0], t[2] - t[4] * lx[:, 1]], axis=1)
    du = np.zeros((n, 3, 5)); du[:, 0, 0] = 1; du[:, 1, 1] = 1; du[:, 2, 2] = 1
    du[:, 1, 3] = -lx[:, 0]; du[:, 2, 4] = -lx[:, 1]
    return u, du

def fit(u_of, grid, lx, ly):
    best = None
    for start in itertools.product(*grid):
        res = minimize(huber_obj, np.array(start, float), args=(u_of, lx, ly), jac=True, method="L-BFGS-B",
                       options={"maxiter": 3000, "ftol": 1e-15, "gtol": 1e-12})
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    res = minimize(huber_obj, best.x, args=(u_of, lx, ly), jac=True, method="BFGS", options={"gtol": 1e-12, "maxiter": 20000})
    return res.x if res.fun <= best.fun else best.x

def write(name, N, D, L):
    with open("%s/%s" % (out, name), "w") as f:
        f.write("N,D,loss\n")
        for n, d, l in zip(N, D, L):
            f.write("%.17g,%.17g,%.17g\n" % (n, d, l))

E, A, B, al, be = 1.69, 406.4, 410.7, 0.34, 0.28
# power: 10 sizes
N = 1e4 * 10 ** (3 * np.arange(10) / 9)
D = np.full(10, 1e9)
Lp = (E + A * N ** -al) * np.exp(0.0005 * rng.standard_normal(10))
write("power_points.csv", N, D, Lp)
tp = fit(power_u, [[-1, -0.5, 0, 0.5, 1], [0, 5, 10, 15, 20, 25], [0, 0.5, 1, 1.5, 2]],
         np.log(N)[:, None], np.log(Lp))
# chinchilla: a 5 × 5 grid
NN, DD = np.meshgrid(1e7 * 10 ** (3 * np.arange(5) / 4), 1e8 * 10 ** (3 * np.arange(5) / 4))
NN, DD = NN.ravel(), DD.ravel()
Lc = (E + A * NN ** -al + B * DD ** -be) * np.exp(0.0005 * rng.standard_normal(25))
write("chinchilla_points.csv", NN, DD, Lc)
g = [-1, -0.5, 0, 0.5, 1]; ab = [0, 5, 10, 15, 20, 25]; ex = [0, 0.5, 1, 1.5, 2]
tc = fit(chinchilla_u, [g, ab, ab, ex, ex], np.log(np.stack([NN, DD], axis=1)), np.log(Lc))
with open("%s/scipy_fits.txt" % out, "w") as f:
    f.write("power power_points.csv 3 %s\n" % " ".join("%.17g" % v for v in tp))
    f.write("chinchilla chinchilla_points.csv 5 %s\n" % " ".join("%.17g" % v for v in tc))
print("power", tp, "\nchinchilla", tc)

#!/usr/bin/python3
"""Reference fit of the data-constrained law from scipy for tests/test_datacon.c (run by hand
with Debian's python3-scipy; the outputs are committed):
    /usr/bin/python3 tests/reference/scipy_datacon.py tests/reference
Writes datacon_points.csv (fixed synthetic points, small multiplicative noise, columns
N,U,R,loss: R epochs of U unique examples) and scipy_datacon.txt: the θ minimising
Σ Huber_δ(log L̂ − log L)/δ (δ = 1e-3) and that objective, found by scipy.optimize from the
best 24 points of the same start grid as jackpot (the planted θ added), L-BFGS-B, then BFGS and Nelder–Mead in turn to convergence.

The law is written here from the paper (Muennighoff et al. 2023, eqs. 5–7), independently of
src/fit/law_datacon.c: L = E + A/N'^α + B/D'^β,
    U_D = U·min(R, 1), R_D = max(R − 1, 0), D' = U_D + U_D·R_D*·(1 − exp(−R_D/R_D*)),
    N_opt(D) = (αA/(βB))^(1/α)·D^(β/α), U_N = min(N, N_opt(U_D)), R_N = N/U_N − 1,
    N' = U_N + U_N·R_N*·(1 − exp(−R_N/R_N*)),
θ = (log E, log A, log B, α, β, log R_D*, log R_N*)."""
import itertools, sys
import numpy as np
from scipy.optimize import minimize

out = sys.argv[1] if len(sys.argv) > 1 else "tests/reference"
DELTA = 1e-3
rng = np.random.default_rng(2023)

def law(theta, N, U, R):
    E, A, B = np.exp(theta[:3])
    al, be = theta[3], theta[4]
    RDs, RNs = np.exp(theta[5]), np.exp(theta[6])
    UD = U * np.minimum(R, 1.0)
    RD = np.maximum(R - 1.0, 0.0)
    Dp = UD + UD * RDs * (1 - np.exp(-RD / RDs))
    if al > 0 and be > 0:
        Nopt = (al * A / (be * B)) ** (1 / al) * UD ** (be / al)
        UN = np.minimum(N, Nopt)
    else:
        UN = N
    RN = N / UN - 1
    Np = UN + UN * RNs * (1 - np.exp(-RN / RNs))
    return np.log(E + A * Np ** -al + B * Dp ** -be)

def objective(theta, N, U, R, ly):
    with np.errstate(all="ignore"):
        r = law(theta, N, U, R) - ly
    if not np.all(np.isfinite(r)):
        return np.inf
    a = np.abs(r)
    return float(np.sum(np.where(a <= DELTA, 0.5 * r * r, DELTA * (a - 0.5 * DELTA))) / DELTA)

TRUTH = np.array([np.log(0.25), np.log(50.0), np.log(20.0), 0.5, 0.4, np.log(10.0), np.log(3.0)])
GRID = [[-2, -1, 0, 1], [0, 5, 10, 20], [0, 5, 10, 20], [0.2, 0.5, 1, 1.5], [0.2, 0.5, 1, 1.5], [0, 2.5, 5], [0, 2.5, 5]]

sizes = np.array([3e3, 1e4, 3e4, 1e5, 3e5])
uniques = np.array([1e3, 1e4, 1e5])
epochs = np.array([0.5, 1, 2, 4, 8, 16, 40])
N, U, R = (a.ravel() for a in np.meshgrid(sizes, uniques, epochs, indexing="ij"))
L = np.exp(law(TRUTH, N, U, R)) * np.exp(0.0005 * rng.standard_normal(N.size))
with open("%s/datacon_points.csv" % out, "w") as f:
    f.write("N,U,R,loss\n")
    for row in zip(N, U, R, L):
        f.write("%.17g,%.17g,%.17g,%.17g\n" % row)

ly = np.log(L)
args = (N, U, R, ly)
scored = sorted((objective(np.array(s, float), *args), s) for s in itertools.product(*GRID))
starts = [np.array(s, float) for _, s in scored[:24]] + [TRUTH]
best = None
for s in starts:
    res = minimize(objective, s, args=args, method="L-BFGS-B", jac="3-point",
                   options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-11})
    if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
        best = res
theta, fbest = best.x, best.fun
last = fbest
for it in range(20):   # BFGS and Nelder–Mead in turn until neither improves (the Huber kinks stall BFGS alone)
    for method, opts in (("BFGS", {"gtol": 1e-12, "maxiter": 20000}),
                         ("Nelder-Mead", {"xatol": 1e-12, "fatol": 1e-18, "maxiter": 40000, "maxfev": 40000})):
        res = minimize(objective, theta, args=args, method=method, jac="3-point" if method == "BFGS" else None, options=opts)
        if res.fun < fbest:
            theta, fbest = res.x, res.fun
    if it and fbest >= last * (1 - 1e-12):
        break
    last = fbest
f = objective(theta, *args) * DELTA   # as FitResult.objective: Σ Huber_δ, not divided by δ
with open("%s/scipy_datacon.txt" % out, "w") as fo:
    fo.write("data-constrained datacon_points.csv %.17g %s\n" % (f, " ".join("%.17g" % v for v in theta)))
print("objective", f, "theta", theta, "truth", TRUTH)

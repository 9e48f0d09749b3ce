// A small BFGS for the fits' objectives (n ≤ LAW_MAX_THETA parameters): dense inverse
// Hessian, backtracking line search from the quasi-Newton step (Armijo, quadratic
// interpolation), and scipy L-BFGS-B's stopping tests (relative decrease of f ≤ ftol, or
// max |g| ≤ gtol). GSL's bfgs2 gives up in its line search on Huber's kinks (δ = 1e-3 puts
// them 1e-3 apart in log loss); backtracking from a step that is too long always finds a
// decrease while the gradient is not zero, so warm starts leave the optimum they start at.
#pragma once

// f(θ) and, when grad is not NULL, ∇f(θ) into grad[n].
typedef double (*MinFn)(void *ctx, const double *theta, double *grad);

typedef struct {
    int max_iter;
    double ftol;   // stop when (f_k − f_{k+1}) ≤ ftol·max(|f_k|, |f_{k+1}|, 1)
    double gtol;   // stop when max_j |∂f/∂θ_j| ≤ gtol
} MinOptions;

// Minimises from t0[n]; the end point into t[n] and *f. Returns 1 when a stopping test
// passed (or the line search found no decrease where max |g| ≤ 1e-3·(1 + |f|)), 0 when it
// ran out of iterations or stopped elsewhere.
int bfgs_minimize(MinFn fn, void *ctx, int n, const double *t0, const MinOptions *o, double *t, double *f);

// Points for the fit tests (test_fit, test_holdout, test_datacon): room for n points, and points
// drawn from the power or Chinchilla law with multiplicative noise.
#pragma once
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "fit/points.h"

// n points, every axis, loss and cluster zeroed (the caller fills them).
static inline void points_make(Points *p, int n) {
    memset(p, 0, sizeof *p);
    for (int a = 0; a < AXIS_COUNT; a++) p->x[a] = calloc(n, sizeof(double));
    p->loss = calloc(n, sizeof(double));
    p->cluster = calloc(n, sizeof(int));
    p->n = n;
}

// L = E + A/N^α (+ B/D^β on a sizes × sizes grid) with Chinchilla's constants and noise exp(σ z);
// `seeds` rows per cluster (one size, or one (N, D)).
static inline void synth(Points *p, int chinchilla, int sizes, int seeds, double sigma, uint64_t seed) {
    const double E = 1.69, A = 406.4, B = 410.7, al = 0.34, be = 0.28;
    int n = chinchilla ? sizes * sizes * seeds : sizes * seeds, k = 0;
    points_make(p, n);
    for (int i = 0; i < sizes; i++)
        for (int j = 0; j < (chinchilla ? sizes : 1); j++)
            for (int s = 0; s < seeds; s++) {
                double N = 1e7 * pow(10, 3.0 * i / (sizes - 1)), D = 1e8 * pow(10, 3.0 * j / (sizes - 1));
                p->x[AXIS_N][k] = N;
                p->x[AXIS_D][k] = D;
                p->loss[k] = (E + A * pow(N, -al) + (chinchilla ? B * pow(D, -be) : 0)) * exp(sigma * rng_normal(seed, 7, (uint64_t)k));
                p->cluster[k] = k / seeds;
                k++;
            }
    p->n_clusters = n / seeds;
}

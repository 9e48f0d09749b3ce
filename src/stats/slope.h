// A straight line fitted by least squares, and the 95% interval of its slope:
// the one implementation behind every "∝ N^k" and "per decade of N" trend
// (dist's spread against N, the report's spread figure, concepts' probe trends).
#pragma once

typedef struct {
    int n;                        // points used
    double intercept, slope;      // y ≈ intercept + slope·x
    double lo, hi;                // 95% interval of the slope: Student's t with n − 2 degrees of freedom
} SlopeFit;

// Fits y[n] against x[n]. Returns 0, or −1 (jp_error() says why; every field but n
// NaN) with fewer than 3 points or every x equal, where no interval exists.
int slope_fit(const double *x, const double *y, int n, SlopeFit *f);

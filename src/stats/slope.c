#include "stats/slope.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>

#include "base/error.h"

int slope_fit(const double *x, const double *y, int n, SlopeFit *f) {
    *f = (SlopeFit){ .n = n, .intercept = NAN, .slope = NAN, .lo = NAN, .hi = NAN };
    if (n < 3) return jp_fail("%d point%s: a slope with an interval needs at least 3", n, n == 1 ? "" : "s");
    int distinct = 0;
    for (int i = 1; i < n && !distinct; i++) distinct = x[i] != x[0];
    if (!distinct) return jp_fail("all %d points share one x (%g): no slope", n, x[0]);
    double cov00, cov01, cov11, sumsq;
    gsl_fit_linear(x, 1, y, 1, (size_t)n, &f->intercept, &f->slope, &cov00, &cov01, &cov11, &sumsq);
    double half = gsl_cdf_tdist_Pinv(0.975, n - 2) * sqrt(cov11);
    f->lo = f->slope - half;
    f->hi = f->slope + half;
    return 0;
}

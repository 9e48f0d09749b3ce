#include "base/zipf.h"

#include <math.h>

void zipf_frequencies(double s, int C, double *p) {
    double total = 0;
    for (int c = 0; c < C; c++) total += p[c] = pow(c + 1.0, -s);
    for (int c = 0; c < C; c++) p[c] /= total;
}

// Shortest decimal text that reads back as the same double (%.15g, %.16g or %.17g):
// exact round trips without printing 0.90000000000000002 for 0.9.
#pragma once
#include <stdio.h>
#include <stdlib.h>

static inline int format_real(char *out, size_t n, double v) {
    int k = 0;
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    return k;
}

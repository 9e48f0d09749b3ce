#include "stats/sort.h"

#include <gsl/gsl_sort.h>
#include <stdint.h>
#include <string.h>

#include "base/xalloc.h"

enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = 6 };   // 6 × 11 bits cover the 64

// The bit pattern as a key whose unsigned order is the doubles' order: negative numbers
// with every bit flipped, others with the sign bit set (and back).
static uint64_t key_of(double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u >> 63 ? ~u : u | (1ull << 63);
}

static double value_of(uint64_t k) {
    uint64_t u = k >> 63 ? k & ~(1ull << 63) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

// Least significant digit first, 11 bits a pass; a pass whose digit is the same for every
// value (the high bits of values of one magnitude) is skipped.
void sort_doubles(double *x, int n) {
    if (n < 512) { gsl_sort(x, 1, n); return; }
    uint64_t *a = xmalloc(sizeof(uint64_t) * 2 * (size_t)n), *b = a + n;
    size_t *count = xcalloc((size_t)PASSES * BUCKETS, sizeof(size_t));
    for (int i = 0; i < n; i++) {
        a[i] = key_of(x[i]);
        for (int p = 0; p < PASSES; p++) count[p * BUCKETS + ((a[i] >> (p * BITS)) & (BUCKETS - 1))]++;
    }
    for (int p = 0; p < PASSES; p++) {
        size_t *c = count + p * BUCKETS, at = 0;
        if (c[(a[0] >> (p * BITS)) & (BUCKETS - 1)] == (size_t)n) continue;
        for (int d = 0; d < BUCKETS; d++) { size_t k = c[d]; c[d] = at; at += k; }
        for (int i = 0; i < n; i++) b[c[(a[i] >> (p * BITS)) & (BUCKETS - 1)]++] = a[i];
        uint64_t *t = a; a = b; b = t;
    }
    for (int i = 0; i < n; i++) x[i] = value_of(a[i]);
    free(a < b ? a : b);
    free(count);
}

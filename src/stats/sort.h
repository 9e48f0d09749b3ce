// Sorting doubles ascending: GSL's gsl_sort is a heapsort, O(n log n) with jumps across
// memory, which dominated `jackpot dist` on 10^6 runs (55% of its time). Past 512 values
// this is a radix sort, O(n); below, gsl_sort.
#pragma once

// x[n] ascending; x must hold no NaN (callers check finiteness).
void sort_doubles(double *x, int n);

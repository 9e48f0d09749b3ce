// What a loaded concept study (concepts/study.h) says: which concepts most runs
// learned, the heat map's cells, the learning order and its rank correlation with
// frequency, the scaling exponents against the quantization model, and the trend
// of the interference probes with model size. Plain structs out, nothing printed;
// errors through jp_fail (base/error.h).
#pragma once
#include <stddef.h>

#include "concepts/study.h"
#include "fit/points.h"
#include "stats/slope.h"

// "0-4,6,9": the concepts that at least half of z's runs learned, as ranges of rank ("none"
// when none; cut short rather than overflow out[n]).
void concept_learned_by_most(const ConceptSize *z, int C, char *out, size_t n);

// The heat map over frequency rank × size shows at most 24 rows: ranks in bins of this many.
int concept_heat_bin(int C);
// Size s's final test accuracy (loss in regression worlds) over ranks c0..c1−1, mean of the finite ones.
double concept_heat_cell(const ConceptStudy *st, int s, int c0, int c1);

// The order in which concepts were learned, at the size that learned most.
typedef struct {
    int size;             // index of the size with the most concepts learned (mean over runs), the first on ties
    int k;                // concepts it learned (a finite learn_step)
    int *concept;         // [k] their ranks, ascending
    double *step;         // [k] their learn_step: median first step under the threshold
    double rho;           // Spearman ρ(frequency rank, learning step); NaN when k < 3
    int ordered, pairs;   // of the k(k−1)/2 pairs i < j, those with step[i] ≤ step[j] (learned in frequency order)
} ConceptOrder;
void concept_order(const ConceptStudy *st, ConceptOrder *o);
void concept_order_free(ConceptOrder *o);

// α of the power law E + A·x^−α fitted on the expected test loss of each run (one point per run,
// a cluster per size) against axis AXIS_N (the sizes trained on fresh samples) or AXIS_D (the
// fixed-D sizes with n_params = fixed_n_params), with its 95% bootstrap interval.
typedef struct {
    int sizes;               // sizes used (clusters)
    double alpha, lo, hi;    // NaN unless measured
} ConceptExponent;
// Returns 0; 1 when fewer than 3 sizes qualify (not measured: a power law needs 3); −1 when the
// fit fails (jp_error() says why).
int concept_exponent(const ConceptStudy *st, Axis4 axis, long fixed_n_params, int n_boot, ConceptExponent *e);
// The largest n_params among the fixed-D sizes (0 when none): where α_D is measured.
long concept_largest_fixed_d(const ConceptStudy *st);

// How many sizes recorded interference probes.
int concept_probed_sizes(const ConceptStudy *st);
// Probe metric `metric` (PROBE_COS_FF, …) of each fresh-data run against log10 N: its least-squares
// slope per decade of N with a 95% interval (stats/slope.h). Fixed-D runs are left out: they differ
// in more than N. Returns 0, or −1 (f->n: the runs with the probe) with fewer than 3 runs or one size.
int concept_probe_trend(const ConceptStudy *st, int metric, SlopeFit *f);

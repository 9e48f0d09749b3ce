// Interference probes (Huang, Lubana et al. 2025): do updates for frequent
// concepts overwrite rare ones? Measured on a stratified held-out split.
//
// F = the q most frequent concepts, R = the q rarest. g_c is the gradient of
// concept c's mean loss on its held-out examples. Reported:
//   cos_ff, cos_fr, cos_rr   the mean cosine between g_a and g_b over all pairs
//                            within F, across F × R, and within R
//   dloss_rare, dloss_freq   after one plain gradient step θ − η·mean_{c∈F} g_c
//                            (frequent concepts only), the change in the mean
//                            loss of R and of F: dloss_rare > 0 is interference
#pragma once
#include "base/probe_metrics.h"   // PROBE_COS_FF, …, PROBE_METRICS and their names
#include "data/task.h"
#include "nn/loss.h"
#include "nn/mlp.h"

typedef struct { double value[PROBE_METRICS]; } ProbeResult;

// Floats of scratch the probe needs for q concepts per group and P parameters.
size_t probe_scratch_floats(int q, size_t P);

// Returns 0, or −1 when the split cannot be probed (fewer than 2q concepts, or a
// concept with more examples than w->rows). Probes params[P] without changing them.
int interference_probe(const MlpShape *sh, const float *params, size_t P, const Split *s, LossKind loss, int q,
                       float eta, MlpWork *w, float *scratch, ProbeResult *out);

// The interference probes' metric names (train/probe.h measures them): the names
// the training wing stores them under (metrics split 'probe') and the analysis wing
// reads them by, in one place both may include.
#pragma once

enum { PROBE_COS_FF, PROBE_COS_FR, PROBE_COS_RR, PROBE_DLOSS_RARE, PROBE_DLOSS_FREQ, PROBE_METRICS };
extern const char *const probe_metric_names[PROBE_METRICS];   // "cos_ff", …, in enum order

#include "base/probe_metrics.h"

const char *const probe_metric_names[PROBE_METRICS] = { "cos_ff", "cos_fr", "cos_rr", "dloss_rare", "dloss_freq" };

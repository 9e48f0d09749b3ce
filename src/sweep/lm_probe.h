// A measured time estimate for gpt groups (`jackpot plan`): the model's own training step timed
// on this machine, since small transformers run far below the GEMM speed the MLP estimate assumes.
#pragma once
#include "sweep/spec.h"

// Seconds for k members' training steps (forward and backward of batch × context tokens each)
// of the spec's shape, taken at once on k threads (as an ensemble's members run, sharing the
// machine's caches and memory), with BLAS's thread count as the caller set it: the mean over
// a few rounds after one warm-up, as on idle cores (plan_idle_share). −1 (jp_fail) when the model cannot be built.
double lm_probe_step_s(const RunSpec *s, int k);

// The estimated wall time of a group of M members of the spec on `threads` threads, given the
// time of a round of min(M, threads) members' steps: training steps plus evaluations (forward passes over the validation and test bytes,
// task.val_bytes / test_bytes, or the fractions of task.path's size on disk: a compressed file
// makes that an underestimate) at each evaluation.
double lm_group_seconds(const RunSpec *s, int M, int threads, double step_s);

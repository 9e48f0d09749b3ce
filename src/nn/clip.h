// Gradient clipping by global norm, as PyTorch's torch.nn.utils.clip_grad_norm_ (1.13):
//   norm = ‖g‖₂ over all n values;  coef = max_norm / (norm + 1e-6);
//   when coef < 1 (that is, norm + 1e-6 > max_norm): g ← g · coef.
// Returns the norm before clipping (what PyTorch returns, and what a run logs).
// For an ensemble, call it on each member's own [P] slice: members never mix.
#pragma once
#include <stddef.h>

float grad_clip_global_norm(float *g, size_t n, float max_norm);

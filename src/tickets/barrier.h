// Linear mode connectivity (Frankle et al. 2020): the error along the straight
// segment between two trained weight vectors, and its barrier, the highest error
// on the segment minus the mean of the two end points' errors.
#pragma once
#include "data/task.h"
#include "nn/loss.h"
#include "nn/mlp.h"

// errors[points] at α = i/(points−1), θ(α) = a + α·(b − a), error = 1 − accuracy on `split` (an
// ordinary split of `task`). Returns the barrier, or NaN on error (points < 2, no labels).
double lmc_barrier(const MlpShape *s, const float *a, const float *b, const Task *task, const Split *split,
                   LossKind loss, int points, double *errors);

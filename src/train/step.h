// One member's training step and evaluation: the unit of work the trainer
// schedules across threads.
#pragma once
#include "data/task.h"
#include "nn/ensemble.h"
#include "nn/loss.h"

// Forward, loss, backward and (if the loss is finite) an optimiser update of
// member m on X[B][dim] with labels[B] or targets[B][n_out]. Returns the mean loss;
// a non-finite return means the member diverged and was left unchanged.
double train_step(Ensemble *e, int m, const float *X, const int *labels, const float *targets, int B,
                  LossKind loss, const OptimConfig *opt, float lr, MlpWork *w);

// Mean loss and accuracy of member m on a split, in chunks of w->rows examples
// (accuracy is NaN for regression targets without labels; both NaN for an empty split).
// A stratified split (s->n_concepts > 0) reports Σ_c p_c · (concept c's mean), and
// each concept's mean loss and accuracy in concept_loss/concept_acc[n_concepts] when not NULL.
void evaluate_member(const Ensemble *e, int m, const Split *s, LossKind loss, MlpWork *w,
                     double *mean_loss, double *accuracy, double *concept_loss, double *concept_acc);

// Concept c's mean loss (and accuracy, when not NULL) on a stratified split, for any parameter vector.
void concept_eval(const MlpShape *sh, const float *params, const Split *s, int c, LossKind loss, MlpWork *w,
                  double *mean_loss, double *accuracy);


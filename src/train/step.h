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

// One chunk of a held-out split as the models read it (task_gather), shared read-only by every member.
typedef struct {
    int rows;          // capacity
    float *X;          // [rows][dim]
    int *labels;       // [rows]
    float *targets;    // [rows][n_out]
} EvalBatch;

void eval_batch_init(EvalBatch *b, const Task *task, int rows);
void eval_batch_free(EvalBatch *b);

// Mean loss and accuracy of every member m with live[m] != 0 on an ordinary (unstratified) split into
// mean_loss[m], accuracy[m] (accuracy NaN for regression targets without labels; both NaN for an
// empty split). Each chunk of b->rows examples is gathered once into b and evaluated by all those
// members, w[m] being member m's work (at least b->rows rows). A member's numbers do not depend on
// which others are evaluated with it. (One thread: the trainer gives each thread its own share.)
void evaluate_split(const Task *task, const Split *s, const Ensemble *e, const char *live, LossKind loss,
                    EvalBatch *b, MlpWork *const *w, double *mean_loss, double *accuracy);

// Member m on a toy world's stratified split (s->n_concepts > 0, stored as float; both NaN for any
// other split, which evaluate_split reads): Σ_c p_c · (concept c's mean loss and accuracy), in
// chunks of w->rows examples, and each concept's mean loss and accuracy in
// concept_loss/concept_acc[n_concepts] when not NULL.
void evaluate_member(const Ensemble *e, int m, const Split *s, LossKind loss, MlpWork *w,
                     double *mean_loss, double *accuracy, double *concept_loss, double *concept_acc);

// (Reads s->x directly: for toy worlds' stratified splits, which are stored as float.)
// Concept c's mean loss (and accuracy, when not NULL) on a stratified split, for any parameter vector.
void concept_eval(const MlpShape *sh, const float *params, const Split *s, int c, LossKind loss, MlpWork *w,
                  double *mean_loss, double *accuracy);


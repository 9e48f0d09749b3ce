// The training loop for one ensemble: batches per member from its own data
// seed, a learning-rate schedule, evaluation every k steps on validation and
// test, the best-validation step, FLOP and wall-time accounting, divergence.
#pragma once
#include <stdatomic.h>
#include <stdint.h>

#include "data/task.h"
#include "nn/ensemble.h"
#include "nn/loss.h"
#include "nn/schedule.h"
#include "train/probe.h"

// The injection experiment (Huang, Lubana et al. 2026) on a toy world: after `steps`, `steps` more
// (this struct's) on a stream where concept `task` has probability `share` (the others in proportion
// to their frequencies: world_injection_concept), then return_steps back on the base mixture.
// Both phases run at the peak rate (optim.lr): a continuation, as continued pre-training restarts
// its rate, whatever the base schedule ended at. Evaluated at the end of each phase. steps 0 = off.
typedef struct {
    int task;
    double share;
    long steps, return_steps;
} Injection;

typedef struct {
    MlpShape shape;
    WeightInit weight_init;
    BiasInit bias_init;
    LossKind loss;
    OptimConfig optim;
    Schedule schedule;   // .total is set from `steps`
    int batch;           // per member
    long steps;
    long eval_every;     // steps between evaluations (0: only at start and end)
    long train_size;     // D: examples each member draws from the pool (0: the whole pool; toy worlds: fresh samples)
    int threads;         // total threads (members in parallel, or BLAS threads for one member)
    int eval_rows;       // the most rows evaluated at once (chunks: train_eval_chunk)
    const atomic_int *stop;   // when it becomes non-zero (any thread, a signal handler), training
                              // stops at the next step (may be NULL)
    // Lottery tickets (all optional, NULL = off):
    const float *start_params;  // [M][P] initial weights instead of the init seeds' (rewinding, controls)
    const float *mask;          // [M][P] pruning mask, enforced after every update
    long capture_step;          // copy the weights after this many steps into capture (rewind point θ_k)
    float *capture;             // [M][P]
    // Toy worlds: interference probes at every evaluation on the q most and q least
    // frequent concepts (train/probe.h), q = probe_concepts (0 = off), step size probe_lr.
    int probe_concepts;
    float probe_lr;
    Injection injection;        // toy worlds only (zero: none)
    // Progress between evaluations (may be NULL): member-steps trained and their FLOPs, told at
    // most 4 times a second by each thread and at the end of each stretch of steps, so every
    // member-step is told exactly once (a long group is not silent until its next evaluation).
    void (*on_steps)(void *ctx, double member_steps, double flops);
    void *steps_ctx;
} TrainConfig;

typedef struct { uint64_t init_seed, data_seed; } MemberSeeds;

typedef struct {
    int member;
    uint64_t init_seed, data_seed;
    long step;              // optimiser steps taken
    double examples;        // training examples seen by this member
    double flops;           // training FLOPs of this member: examples · 6 · n_params
    double wall_s;          // since training started (the whole ensemble, evaluation included)
    float lr;               // the rate of the last step taken
    double train_loss;      // mean batch loss since the previous evaluation (NaN at step 0)
    double val_loss, val_acc, test_loss, test_acc;
    // Toy worlds: each concept's test loss and accuracy [n_concepts] (valid during the sink call),
    // and the interference probe when `probed`.
    int n_concepts;
    const double *concept_loss, *concept_acc;
    int probed;
    ProbeResult probe;
} EvalRecord;

typedef struct {
    EvalRecord final;       // the last evaluation
    EvalRecord best;        // the evaluation with the lowest validation loss (early-stopping point)
    long diverged_step;     // −1, or the step whose loss was not finite (the member stopped there)
    double eval_s;          // wall time the ensemble spent evaluating (included in final.wall_s)
} MemberSummary;

typedef void (*EvalSink)(void *ctx, const EvalRecord *r);

// The OpenBLAS thread count a training is made for. An MLP ensemble (train_ensemble): always 1, its
// members in parallel on the threads; OpenBLAS's threaded sgemm rounds differently from its
// one-thread sgemm (0.3.21's SkylakeX and Haswell kernels: most elements of a 256×784·784×512
// product differ), so a member's bits would depend on the thread count. A language model (lm = 1,
// train_lm_ensemble): its members in parallel, or one member (or one thread) gets every thread in
// BLAS, for speed; its bits then depend on the thread count. OpenBLAS's count is process-wide, so
// the command sets it (blas_set_threads) before training; the trainer does not.
int train_blas_threads(int threads, int M, int lm);

// Held-out splits are evaluated in chunks of min(eval_rows, max(batch, 256)) examples, each gathered
// once for all members; a member's work holds train_work_rows examples (the batch, a chunk, and a toy
// world's largest concept).
int train_eval_chunk(const TrainConfig *cfg);
int train_work_rows(const TrainConfig *cfg, const Task *task);

// Trains M members; `e` is initialised here (the caller frees it after a 0 return) and holds the final
// weights. Returns 0, 1 if stopped through cfg->stop (summaries incomplete), or −1. sink (may be NULL) receives every evaluation of every member, in
// member order within a step. summaries[M] receives each member's outcome.
int train_ensemble(const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, int M,
                   Ensemble *e, EvalSink sink, void *ctx, MemberSummary *summaries);

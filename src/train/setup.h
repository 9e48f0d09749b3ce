// What a training command (jackpot train) works out around train_ensemble: the members
// from seed lists, the number of steps from a budget, and afterwards the throughput
// and the memory training holds.
#pragma once
#include <stdint.h>

#include "train/trainer.h"

// The members: pairs (init = data = paired[m]) when n_paired > 0, else the cross product
// init × data (data fastest). out has room for n_paired or n_init · n_data members.
void train_member_seeds(const uint64_t *init, int n_init, const uint64_t *data, int n_data, const uint64_t *paired,
                        int n_paired, MemberSeeds *out);

// cfg->steps from at most one budget (each < 0 when not given): steps; examples per member
// (rounded up to whole batches); or epochs of the D examples (1 epoch when none is given).
// cfg->eval_every: eval_every when > 0, else a tenth of the steps (rounded up).
void train_set_budget(TrainConfig *cfg, long steps, long examples, double epochs, long eval_every, long D);

typedef struct {
    double wall_s;              // the whole training, evaluations included (the slowest member's clock)
    double eval_s;              // of it, evaluating
    double steps_per_s, gflops; // member-steps/s and training GFLOP/s over wall_s
    double train_steps_per_s, train_gflops;   // the same over the time not spent evaluating
    double held_bytes;          // what training must hold: parameters, gradients, optimiser state and
                                // activations of every member, each data seed's sampler and batch, the
                                // evaluation chunk, and the dataset in its stored width
} TrainTotals;

TrainTotals train_totals(const TrainConfig *cfg, const Task *task, const MemberSummary *sum, int M);

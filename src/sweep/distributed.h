// A sweep over the ranks of an MPI job (mpirun -np P jackpot run …, srun under Slurm).
//
// Rank 0 owns the store and the queue of parts (largest planned FLOPs first); it trains parts
// on its own worker slots and hands the rest, one at a time, to whichever slot of another rank
// frees first. A rank other than 0 loads the data itself, trains what it is handed and sends
// every evaluation and outcome back; only rank 0 writes. A member trains bit for bit alike on
// any rank, so the database equals a one-process run's (wall times aside). If the job dies,
// finished runs are in the store and a rerun, with any number of ranks, trains the rest.
//
// With opt->data_parallel every rank trains each group together instead (language models:
// each step's batch split among the ranks, gradients summed by MPI_Allreduce; LmConfig.dp).
#pragma once
#include "sweep/scheduler.h"

// Every rank calls it: rank 0 with the store and the groups to train, the others with store
// NULL and no groups (opt->specs and opt->n_specs: the sweep every rank expanded alike).
// 0, or −1 (tot->error, jp_error()).
int run_distributed(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot);

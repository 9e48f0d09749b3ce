// A tickets sweep (jackpot tickets): each group of runs that differ only in their init
// seeds is one ensemble taken through iterative magnitude pruning (tickets/imp.h), every
// level of every member a row of the store's tickets table.
#pragma once
#include <stdatomic.h>

#include "store/store.h"
#include "sweep/scheduler.h"
#include "tickets/imp.h"

// Every spec has a pruning schedule (tickets.rounds ≥ 1 or a tickets.target_density)? 0, or −1.
int tickets_check_specs(const RunSpec *specs, long n);

// The pruning options of a spec's tickets: section.
ImpOptions tickets_imp_options(const RunSpec *s);

// Trainings of one member through IMP with these options, each of the spec's planned FLOPs (a
// masked network is trained dense, the pruned weights held at zero): level 0 trains the dense
// network, every round the ticket and each control; with instability_points ≥ 2 every level one
// more (the copy with another data order). With target_density and no rounds, the rounds that the
// all-layer rate needs: the output layer's slower rate can make it a round or two more.
double tickets_trainings(const ImpOptions *o);

// Called after each row is stored, and on every evaluation of every training (progress), NULL for none.
typedef void (*TicketRowFn)(void *ctx, const TicketRecord *r);
typedef void (*TicketEvalFn)(void *ctx, int level, const char *variant, const EvalRecord *r);

// Takes group g through IMP on `threads` threads: a launch marks its runs running, every level
// of every member is stored, then the runs are finished (done; failed, with the error stored).
// Returns 0 done, 1 stopped through *stop (the runs set back to pending), or −1 with jp_error():
// a failed write ("PATH: why"; the runs are set back to pending, best effort) or a failed
// training (its message, also stored as the runs' error).
int tickets_train_group(Store *st, const Group *g, const Task *task, int threads, const atomic_int *stop,
                        TicketRowFn on_row, TicketEvalFn on_eval, void *ctx);

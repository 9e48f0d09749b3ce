// The scheduler's shared state and its steps, for the local workers (scheduler.c) and the MPI
// ranks (distributed.c). Internal to src/sweep.
//
// A part's life: part_start (rank 0: the store records a launch), part_train (on any rank:
// the training, its evaluations going to the store through the sinks, or, on a rank other
// than 0, through the relay to rank 0), part_settle (rank 0: the runs' status and summaries).
#pragma once
#include <pthread.h>

#include "sweep/progress.h"
#include "sweep/scheduler.h"
#include "train/lm.h"
#include "train/trainer.h"

// What a rank other than 0 does instead of writing the store: sends it to rank 0 (token: the
// part's number there).
typedef struct {
    void (*eval)(void *ctx, int token, const EvalRecord *r);
    void (*lm_eval)(void *ctx, int token, const LmRecord *r);
    void (*train_size)(void *ctx, int token, long D);
    void *ctx;
} Relay;

typedef struct {
    Store *store;            // rank 0 (NULL on other ranks)
    const char *db_path;     // the database's path: language models' files go beside it
    const Relay *relay;      // other ranks: where evaluations go (NULL on rank 0)
    int dp;                  // data-parallel: every rank trains each gpt group (LmConfig.dp)
    const Group *groups;
    GroupPart *parts;        // [n_parts], taken in order
    int n_parts, next;
    int *requeued, n_requeued;   // parts given back (their rank died), taken before the rest
    int *parts_left;         // [group]: parts not yet finished, for the progress's group count
    const RunOptions *opt;
    int threads_per_worker;
    pthread_mutex_t mu;      // guards next, parts_left and tot (and stderr lines of the workers)
    TaskCache tasks;
    Progress progress;
    RunTotals *tot;
} Shared;

// steps_told: the trainer tells the progress its steps as they are trained (a local training's
// on_steps), so an evaluation brings only the loss; else (rank 0 writing a remote rank's
// evaluations) each evaluation advances it by the FLOPs and steps since the member's previous one.
typedef struct { Shared *sh; const Group *g; double *last_flops, *last_steps; int token, steps_told; } SinkCtx;
typedef struct { Shared *sh; const Group *g; FILE *log; double *last_flops, *last_steps; int token; } LmSinkCtx;

// Rank 0's writers of what a training reports (the relay's far end calls them too).
void store_sink(void *ctx, const EvalRecord *r);
void lm_sink(void *ctx, const LmRecord *r);
void store_failed(Shared *sh, const char *what);
void abort_sweep(Shared *sh, const char *why, int stop_training);
int aborted(Shared *sh);

// The next part's index, or −1 when none is left (or the sweep stops).
int queue_next(Shared *sh);
// Gives a part back to the queue (its rank died before it finished); queue_empty: none left.
void queue_again(Shared *sh, int part);
int queue_empty(Shared *sh);
// 0 with the launch's id, or −1 (the sweep aborted).
int part_start(Shared *sh, const GroupPart *part, long *launch);
// Trains g: 0 done, 1 stopped, −1 failed (why[512] says why). sum[g->n] or lsum[g->n] get the outcomes.
int part_train(Shared *sh, Group *g, int token, MemberSummary *sum, LmSummary *lsum, char *why);
void part_settle(Shared *sh, const GroupPart *part, long launch, int rc, const char *why, double wall,
                 const MemberSummary *sum, const LmSummary *lsum);

// Data parallel, on rank 0: tells the other ranks which part it trains next (distributed.c).
void dp_announce(Shared *sh, const Group *g, int token);
// Data parallel, a part failed on this rank: the other ranks may be waiting in a gradient sum
// that will not come, so the job ends (after rank 0 recorded the failure).
void dp_failed(const char *why);

// Sets up sh for the groups on `slots` worker slots in all (parts, counts, tasks, progress);
// shared_free undoes it.
void shared_init(Shared *sh, Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot, int slots);
void shared_free(Shared *sh);
// A local worker thread: parts from the queue until none is left.
void *worker_main(void *arg);
// Starts up to `workers` worker threads into th[]; returns how many run.
int start_workers(Shared *sh, pthread_t *th, int workers);

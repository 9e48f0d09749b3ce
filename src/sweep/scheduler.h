// Runs groups of pending runs: each group (runs that differ only in seeds) is
// one ensemble training. Workers pull groups from a queue; the store is the one
// writer. Under MPI (sweep/distributed.h) rank 0 holds the queue and the store, and the
// other ranks' workers train the parts it hands them, sending their evaluations back.
#pragma once
#include <pthread.h>
#include <stdatomic.h>

#include "data/task.h"
#include "data/text.h"
#include "store/store.h"
#include "sweep/spec.h"

typedef struct {
    char group_hash[17];
    int n;
    const RunSpec **specs;   // [n], same group hash
    long *run_ids;           // [n]
    double flops;            // planned training FLOPs of all members (gpt: tokens · 6N + 6·L·context·d_model)
} Group;

// Groups the selected specs (select[i] != 0) by group hash, in first-seen order.
int group_specs(const RunSpec *specs, const long *run_ids, const int *select, long n, Group **groups, int *n_groups);
void groups_free(Group *g, int n);
double spec_planned_flops(const RunSpec *s);
void group_label(const Group *g, char *out, size_t n);

// Datasets and toy worlds, made once per distinct task (spec_task_key and
// data_dir) and shared by every run that needs them (thread-safe).
#define TASK_CACHE_MAX 16
typedef struct {
    pthread_mutex_t mu;
    int n;
    struct { char key[1024]; Task task; } t[TASK_CACHE_MAX];
    int n_text;
    struct { char key[1024]; TextCorpus corpus; } text[TASK_CACHE_MAX];
} TaskCache;

void task_cache_init(TaskCache *c);
// The spec's dataset (dir_override, when not NULL, replaces task.data_dir); NULL with jp_error() set.
const Task *task_cache_get(TaskCache *c, const RunSpec *s, const char *dir_override);
// A text task's corpus (task.path, its split), read once per distinct key; NULL with jp_error() set.
const TextCorpus *corpus_cache_get(TaskCache *c, const RunSpec *s);
void task_cache_free(TaskCache *c);

typedef struct {
    int workers;             // groups (or parts of groups) trained at once
    int threads;             // threads in all (never above the cores)
    int quiet;
    const char *data_dir;    // overrides task.data_dir when set
    atomic_int *stop;        // set by SIGINT/SIGTERM (or any thread): stop at the next step; the
                             // scheduler sets it too when a write fails
    long runs_before;        // already done, for the progress counts
    // Under MPI (run_distributed): the sweep's specs, which every rank expands alike (a part
    // travels as indices into them), and on ranks other than 0 the database's path (language
    // models' checkpoints and weights go beside it: a filesystem every rank sees).
    const RunSpec *specs;
    long n_specs;
    const char *db_path;
    int data_parallel;       // every rank trains each (gpt) group together (LmConfig.dp)
} RunOptions;

typedef struct {
    long done, diverged, failed, interrupted;
    int aborted;             // the sweep stopped early: a write to the store failed (disk full…) or a
                             // worker thread could not be started; `error` says which
    char error[1600];
    int lost;                // MPI: stopped, and another rank never answered (it died): the job
                             // is gone, so this rank leaves without MPI_Finalize
} RunTotals;

// The runs in groups[n].
long groups_runs(const Group *groups, int n_groups);

// A part of groups[group]: a view of some of its members (g.specs and g.run_ids point into the
// group's arrays; free the parts with free(), never groups_free), trained as one ensemble.
typedef struct {
    Group g;
    int group;
} GroupPart;

// The parts the workers take, largest planned FLOPs first (longest first keeps the workers'
// finishing times close). With several workers an MLP group larger than half a worker's share of
// all FLOPs is split into parts no larger (members dealt out evenly, at least one each), so that
// one big group does not leave the other workers idle at the end; a member trains bit-for-bit as in
// its whole group, so results do not change. gpt groups stay whole (a checkpoint is the group's).
int group_parts(const Group *groups, int n_groups, int workers, GroupPart **parts);

// How many groups (or parts of groups) to train at once: `workers` when set (> 0), else one per
// thread as long as there are members (of MLP groups, or whole gpt groups) to go around, each
// worker on one thread: two threads on one ensemble wait for each other at every step (OpenMP's
// barrier spins: 25–45% more CPU time on 2 cores), two workers on one thread each do not. Never
// more than `threads`, at least 1.
int run_workers(const Group *groups, int n_groups, int workers, int threads);
// The OpenBLAS thread count for run_groups with these options, for the command to set once before
// (OpenBLAS's count is process-wide): 1 when several workers share the process; with one worker
// train_blas_threads of each group, or 1 when groups of one member and ensembles would need
// different counts.
int run_blas_threads(const Group *groups, int n_groups, const RunOptions *opt);

// Trains the groups' parts (group_parts) on opt->workers workers of opt->threads / workers
// threads each. 0, or −1 when aborted (tot->error, and jp_error()).
int run_groups(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot);

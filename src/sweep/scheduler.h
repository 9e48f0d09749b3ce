// Runs groups of pending runs: each group (runs that differ only in seeds) is
// one ensemble training. Workers pull groups from a queue; the store is the one
// writer. An MPI rank, later, is one more kind of worker: it pulls the next group
// index from rank 0 and sends its evaluations to rank 0 to write.
#pragma once
#include <pthread.h>

#include "data/task.h"
#include "store/store.h"
#include "sweep/spec.h"

typedef struct {
    char group_hash[17];
    int n;
    const RunSpec **specs;   // [n], same group hash
    long *run_ids;           // [n]
    double flops;            // planned training FLOPs of all members
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
} TaskCache;

void task_cache_init(TaskCache *c);
// The spec's dataset (dir_override, when not NULL, replaces task.data_dir); NULL with jp_error() set.
const Task *task_cache_get(TaskCache *c, const RunSpec *s, const char *dir_override);
void task_cache_free(TaskCache *c);

typedef struct {
    int workers;             // groups trained at once
    int threads;             // threads in all (never above the cores)
    int quiet;
    const char *data_dir;    // overrides task.data_dir when set
    volatile int *stop;      // set by SIGINT/SIGTERM
    long runs_before;        // already done, for the progress counts
} RunOptions;

typedef struct { long done, diverged, failed, interrupted; int store_failed; char error[1600]; } RunTotals;

int run_groups(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot);

// Typed readers of what a database holds, for `jackpot status` and for a runner
// that reports why runs failed before: counts of runs by status (all, and per
// sweep), the failed and diverged runs, the training time used and the FLOPs
// done and left.
#pragma once
#include <stddef.h>

#include "store/store.h"

// The run statuses in the order status prints them.
enum { STATUS_DONE, STATUS_DIVERGED, STATUS_FAILED, STATUS_RUNNING, STATUS_PENDING, STATUS_COUNT };
extern const char *const store_status_names[STATUS_COUNT];

typedef struct {
    long runs;                      // all runs, whatever their status
    long by_status[STATUS_COUNT];
} StoreRunCounts;

typedef struct {
    long id;
    char *name, *path;              // "(null)" where the column is NULL (as printf showed it)
    StoreRunCounts counts;          // the runs linked to this sweep
} StoreSweepCounts;

typedef struct {
    long id, init_seed, data_seed, diverged_step;   // diverged_step 0 where NULL
    char *hidden, *status, *error;                   // "(null)" where NULL
} StoreProblemRun;

#define STORE_STATUS_MAX_PROBLEMS 50

typedef struct {
    long schema;                    // PRAGMA user_version
    StoreRunCounts all;
    StoreSweepCounts *sweeps;       // [n_sweeps] by id
    int n_sweeps;
    StoreProblemRun *problems;      // [n_problems] failed and diverged runs, the first 50 by id
    int n_problems;
    long launches;
    double used_s;                  // sum of the launches' wall time; NaN when none is recorded
    double done_flops, left_flops;  // planned FLOPs of the done and diverged runs, of the pending and
                                    // running ones; NaN when there are none
} StoreStatus;

// Reads it all in one read transaction (a consistent snapshot while a runner writes).
// 0, or −1 with jp_error(); *out is then empty (safe to free).
int store_read_status(Store *s, StoreStatus *out);
void store_status_free(StoreStatus *st);

// The stored error of the first failed run of a sweep (by position), into out[n]; "" when none
// has one. 0, or −1 with jp_error().
int store_sweep_first_error(Store *s, long sweep_id, char *out, size_t n);

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

// Lottery tickets (jackpot tickets): one level of IMP over every run that stored it. The store
// keeps no FLOPs per level: a level's are its trainings (one per stored row, the masked network
// trained dense, plus the instability copy where a barrier was measured) × runs.planned_flops
// (one training of the run).
typedef struct {
    int level;
    long runs, rows, trainings;
    double density;                 // mean weights kept by the level's dense or ticket rows
    char variants[96];              // "ticket, reinit, …"
    double flops;
} StoreTicketLevel;

typedef struct {
    long id, init_seed, levels, last_level;     // levels: distinct levels stored
    char *hidden, *status;                      // "(null)" where NULL
    double density, flops;                      // the lowest density of its ticket rows; its levels' FLOPs
} StoreTicketRun;

#define STORE_STATUS_MAX_TICKET_RUNS 50

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
                                    // running ones; NaN when there are none. Tickets runs count every
                                    // training of their levels (done: stored; left: planned, less stored)
    StoreTicketLevel *ticket_levels;    // [n_ticket_levels] by level; none without tickets
    int n_ticket_levels;
    StoreTicketRun *ticket_runs;        // [n_ticket_runs] the first 50 runs with stored levels, by id
    int n_ticket_runs;
    long ticket_runs_total;             // runs with stored levels
} StoreStatus;

// Reads it all in one read transaction (a consistent snapshot while a runner writes).
// 0, or −1 with jp_error(); *out is then empty (safe to free).
int store_read_status(Store *s, StoreStatus *out);
void store_status_free(StoreStatus *st);

// The stored error of the first failed run of a sweep (by position), into out[n]; "" when none
// has one. 0, or −1 with jp_error().
int store_sweep_first_error(Store *s, long sweep_id, char *out, size_t n);

// The results store: one SQLite database per project (WAL mode).
//
// Schema (version 1; `PRAGMA user_version` holds the version, store_open
// migrates older files forward):
//   sweeps(id, name, path, config, config_hash, jackpot_version, created)
//   runs(id, hash UNIQUE, group_hash, status, task, family, width, depth, hidden,
//        n_params, train_size, batch, steps, lr, optim, init_seed, data_seed,
//        planned_flops, params JSON, attempts, launch, host, pid, started,
//        finished, wall_s, diverged_step, error)
//        status ∈ pending | running | done | failed | diverged
//   sweep_runs(sweep_id, run_id, position)     a run may belong to several sweeps
//   launches(id, started, wall_s, members, host)   one ensemble training each
//   metrics(run_id, step, examples, flops, wall_s, split, name, value)
//        split ∈ train | val | test; name ∈ loss | acc | lr
//   summaries(run_id, name, value)    final_* and best_* (best = lowest val loss)
// Version 2 adds:
//   fits(id, created, law, source, options JSON, result JSON)   one per `jackpot fit`
// Version 3 adds:
//   dists(id, created, source, result JSON)                      one per `jackpot dist`
// Version 4 adds:
//   tickets(run_id, level, variant, density, layer_density JSON, rewind_step, best_step,
//           best_val_loss, best_val_acc, best_test_loss, best_test_acc, final_step,
//           final_val_loss, final_val_acc, final_test_loss, final_test_acc, barrier)
//        variant ∈ dense | ticket | reinit | random_mask | oneshot; one row per level and variant
// Every write is one transaction; a crash loses at most the evaluation in flight.
// Only the analysis-free parts live here: nothing in src/store includes a
// training header.
#pragma once
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 5

typedef struct {
    sqlite3 *db;
    int lock_fd;                 // −1 unless store_lock succeeded
    char path[1024];
    pthread_mutex_t mu;          // one writer connection, shared by worker threads
} Store;

// Opens (creating and migrating) a database. readonly: no create, no migrate.
int store_open(Store *s, const char *path, int readonly, char *err, size_t errlen);
void store_close(Store *s);

// The runner's lock (flock on PATH.lock, released by the kernel if we die).
// wait = 0: refuse at once with a message naming the holder's pid.
int store_lock(Store *s, int wait, char *err, size_t errlen);

// Runs SQL with no result rows (under the mutex); 0 or −1 with err.
int store_exec(Store *s, const char *sql, char *err, size_t errlen);

typedef struct {
    const char *hash, *group_hash, *params_json;
    const char *task, *family, *hidden, *optim;
    long width, depth, n_params, train_size, batch, steps;
    double lr, planned_flops;
    uint64_t init_seed, data_seed;
} StoreRun;

int store_add_sweep(Store *s, const char *name, const char *path, const char *config, long *sweep_id);
// Inserts the run unless its hash exists; links it to the sweep; returns its id and status.
int store_add_run(Store *s, long sweep_id, long position, const StoreRun *r, long *run_id, char status[16]);

// Runs left 'running' by a process that died: their partial metrics and
// summaries are deleted and they become pending. Returns how many, or −1.
long store_reset_interrupted(Store *s);
// Sets runs back to pending (an interrupted launch), deleting what they wrote.
int store_reset_runs(Store *s, const long *ids, int n);

// A launch: the runs are marked running; returns the launch id.
int store_start_launch(Store *s, const long *ids, int n, long *launch_id);
int store_end_launch(Store *s, long launch_id, double wall_s);

typedef struct { const char *split, *name; double value; } StoreMetric;
// Toy worlds: each concept's test loss and accuracy at this evaluation (table concepts).
typedef struct { int n; const double *loss, *acc; } StoreConcepts;
int store_add_eval(Store *s, long run_id, long step, double examples, double flops, double wall_s,
                   const StoreMetric *m, int n, const StoreConcepts *concepts);   // concepts may be NULL

typedef struct { const char *name; double value; } StoreSummary;
// status: "done", "diverged" (diverged_step ≥ 0) or "failed" (error set).
int store_finish_run(Store *s, long run_id, const char *status, long diverged_step, double wall_s,
                     const char *error, const StoreSummary *sum, int n);

// Records a fit (JSON texts); returns its id in *fit_id.
int store_add_fit(Store *s, const char *law, const char *source, const char *options_json, const char *result_json,
                  long *fit_id);

// Records an outcome-distribution analysis (JSON); returns its id.
int store_add_dist(Store *s, const char *source, const char *result_json, long *dist_id);

typedef struct {
    long run_id, level, rewind_step, best_step, final_step;
    const char *variant, *layer_density_json;
    double density, best_val_loss, best_val_acc, best_test_loss, best_test_acc, final_val_loss, final_val_acc,
        final_test_loss, final_test_acc, barrier;
} StoreTicket;
int store_add_ticket(Store *s, const StoreTicket *t);

const char *store_error(Store *s);

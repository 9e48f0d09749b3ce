// The results store: one SQLite database per project (WAL mode while a writer has it open).
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
// Version 5 adds:
//   concepts(run_id, step, concept, loss, acc)                   toy worlds' per-concept test metrics
// Version 6 adds:
//   launches.pid, launches.pid_start   the runner (pid, its start time in clock ticks after boot, from
//                                      /proc) so a restart resets only runs whose runner is gone
// Version 7 adds:
//   ticket_curves(run_id, level, variant, step, val_loss, val_acc, test_loss, test_acc)
// Version 8 adds:
//   compares(id, created, law, metric, axis, arm_a, where_a, arm_b, where_b, cost_b, trend, trend_lo,
//            trend_hi, crossing, crossing_lo, crossing_hi, crossing_within, source, result JSON)
//                                    one per `jackpot compare`
//   compare_curve(compare_id, x, loss_a, loss_b, k, k_lo, k_hi, k_net, k_net_lo, k_net_hi)
//                                    its multiplier at each budget of its grid (NULL: none, or +∞)
// Every jackpot database carries PRAGMA application_id = STORE_APPLICATION_ID (stamped by the migration;
// databases of older versions, which have jackpot's tables but no id, are stamped when first opened to
// write). store_open refuses to write to any other non-empty SQLite file unless STORE_FOREIGN_OK.
// At rest (after a writer's store_close) the file is in rollback-journal mode, one self-contained file
// that readers can open in a read-only directory; writers switch it to WAL while they work.
// Every write is one transaction; a crash loses at most the evaluation in flight.
// Only the analysis-free parts live here: nothing in src/store includes a
// training header.
#pragma once
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 8

typedef struct {
    sqlite3 *db;
    int lock_fd;                 // −1 until store_lock opened the file; closed only after the database
                                 // (closing any fd of a file drops this process's POSIX locks on it)
    int locked;                  // store_lock succeeded
    int writer;                  // opened read-write
    char path[1024];
    char errmsg[512];            // the last failed write, disk full named as such (store_error)
    pthread_mutex_t mu;          // one writer connection, shared by worker threads
} Store;

#define STORE_APPLICATION_ID 0x4a4b5054   // "JKPT"

// store_open flags (0: read-write).
enum {
    STORE_READONLY = 1,     // no create, no migrate, no write
    STORE_FOREIGN_OK = 2,   // write to a non-empty SQLite file without jackpot's marker (--force-foreign-db)
};

// Opens (creating and migrating) a database; flags as above (1 = STORE_READONLY).
// Before anything is written, a non-empty file must be a jackpot database (application_id,
// or an older jackpot's tables and user_version) unless STORE_FOREIGN_OK. A read-only open of
// a WAL file in a directory where its -shm cannot be made opens it immutable (no -wal to read).
// 0, or −1 with jp_error() (base/error.h) naming the file.
int store_open(Store *s, const char *path, int flags);
// A bare read-only connection for the analyses (status, export, fit, dist, report, concepts):
// like sqlite3_open_v2(SQLITE_OPEN_READONLY) but also in a read-only directory, where a
// WAL-mode file without frames in its -wal is opened immutable. 0, or −1 with jp_error().
int store_open_read(const char *path, sqlite3 **db);
// A writer's close checkpoints and leaves the file in rollback-journal mode (best effort).
void store_close(Store *s);

// The runner's lock: flock on the database file itself (its inode, so a symlink, a hard link
// or another mount of the same file is the same lock; independent of SQLite's POSIX locks on
// Linux), released by the kernel if we die. wait = 0: refuse at once, naming the holder's pid
// when /proc/locks tells it. 0, or −1 with jp_error().
int store_lock(Store *s, int wait);

// Runs SQL with no result rows (under the mutex); 0, or −1 with jp_error() (as the writes below).
int store_exec(Store *s, const char *sql);

// One transaction around several of the writes below (registering a sweep), for one thread:
// BEGIN IMMEDIATE, COMMIT (0, or −1 with jp_error()), and a ROLLBACK when one is open (best
// effort, errors not recorded). The writes inside take the mutex each; no other thread may
// write in between.
int store_begin(Store *s);
int store_commit(Store *s);
void store_rollback(Store *s);

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

// Runs left 'running' by a runner that is gone: their partial metrics and summaries are
// deleted and they become pending. Returns how many, or −1. Called by the lock holder
// before it launches anything. A runner is gone unless it ran on this host and its pid
// is alive with the start time recorded at its launch (a reused pid is not it); runs of
// another host count as gone, the lock on the file being held by us. Runs whose runner is
// alive are left alone and counted in *alive (may be NULL), its pid in *alive_pid.
long store_reset_interrupted(Store *s, long *alive, long *alive_pid);
// Sets runs back to pending (an interrupted launch), deleting what they wrote.
int store_reset_runs(Store *s, const long *ids, int n);

// A launch: the runs are marked running; returns the launch id.
int store_start_launch(Store *s, const long *ids, int n, long *launch_id);
int store_end_launch(Store *s, long launch_id, double wall_s);

// Language models on a whole corpus (task.train_size 0): D, the training bytes per member, is
// known once the corpus is read, and replaces the 0 registered in the runs' train_size.
int store_set_train_size(Store *s, const long *ids, int n, long train_size);

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

// A comparison of two arms (jackpot compare): its settings, its JSON result, and the multiplier
// along its grid (x[n], each array [n]); returns its id.
typedef struct {
    const char *law, *metric, *axis, *arm[2], *where[2], *source, *result_json;
    double cost_b;
    double trend[3], crossing[3];   // estimate, 95% interval (NaN: none)
    int crossing_within;            // the crossing lies within the data's range
    int n;
    const double *x, *loss_a, *loss_b, *k, *k_lo, *k_hi, *k_net, *k_net_lo, *k_net_hi;
} StoreCompare;
int store_add_compare(Store *s, const StoreCompare *c, long *compare_id);

// Records an outcome-distribution analysis (JSON); returns its id.
int store_add_dist(Store *s, const char *source, const char *result_json, long *dist_id);

typedef struct {
    long run_id, level, rewind_step, best_step, final_step;
    const char *variant, *layer_density_json;
    double density, best_val_loss, best_val_acc, best_test_loss, best_test_acc, final_val_loss, final_val_acc,
        final_test_loss, final_test_acc, barrier;
} StoreTicket;
int store_add_ticket(Store *s, const StoreTicket *t);
// One evaluation of a ticket level's training (table ticket_curves): its learning curve.
int store_add_ticket_eval(Store *s, long run_id, long level, const char *variant, long step, double val_loss,
                          double val_acc, double test_loss, double test_acc);

// Errors of the writes above (store_add_*, store_reset_*, store_*_launch, store_finish_run):
// −1, with the message (disk full named as such) copied into the calling thread's jp_error()
// while the store's mutex is held, so a worker reads its own failure even while others write.
// store_error(): the last failure of any thread (or SQLite's last message), for a process with
// one thread using the Store.
const char *store_error(Store *s);

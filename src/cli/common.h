// What several commands do the same way: read a sweep, open a database to read.
// Each prints its error prefixed with "jackpot CMD: " and exits with the
// command-line convention (2 for a bad config, 1 for an unreadable database).
#pragma once
#include "store/store.h"
#include "sweep/config.h"

void cli_load_sweep(const char *cmd, const char *path, SweepConfig *cfg, RunSpec **specs, long *n);
void cli_open_store_readonly(const char *cmd, const char *path, Store *st);

// A sweep registered in a database that this process now runs.
typedef struct {
    Store st;
    long *run_ids;                 // [n] the store's id of each spec
    int *todo;                     // [n] 1: train it (pending, or failed with retry; duplicates 0)
    long before, failed_before;    // done (or diverged) before; failed before and not retried
    long reset;                    // interrupted runs found 'running' and reset
    char failed_error[512];        // the stored error of the first run failed before, if any
} SweepDb;

// Opens (creating) the database (a foreign SQLite file only with foreign_ok), takes the
// runner's lock (exit 3 when busy unless wait), resets runs whose runner is gone (exit 3
// if a live one still trains), registers the sweep and its runs in one transaction, and
// marks what is left to train. Exits with a message on error.
void cli_open_sweep_db(const char *cmd, const char *db_path, int wait, int retry, int foreign_ok, const SweepConfig *cfg,
                       const RunSpec *specs, long n, SweepDb *out);

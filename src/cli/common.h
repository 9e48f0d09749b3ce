// What several commands do the same way: read a sweep, open a database to read,
// open one to run a sweep into, stop on Ctrl-C. Each prints its error prefixed with
// "jackpot CMD: " and exits with the command-line convention (2 for a bad config,
// 1 for an unreadable database, 3 for one in use).
#pragma once
#include <stdatomic.h>

#include "store/store.h"
#include "sweep/config.h"
#include "sweep/register.h"

void cli_load_sweep(const char *cmd, const char *path, SweepConfig *cfg, RunSpec **specs, long *n);
void cli_open_store_readonly(const char *cmd, const char *path, Store *st);

// A sweep registered in a database that this process now runs.
typedef struct {
    Store st;
    SweepRuns runs;                // run ids, what to train (todo: 1 or 0), counts before
    long reset;                    // interrupted runs found 'running' and reset
} SweepDb;

// Opens (creating) the database (a foreign SQLite file only with foreign_ok), takes the
// runner's lock (exit 3 when busy unless wait), resets runs whose runner is gone (exit 3
// if a live one still trains), registers the sweep and its runs in one transaction, and
// marks what is left to train (failed runs too with retry). Exits with a message on error.
void cli_open_sweep_db(const char *cmd, const char *db_path, int wait, int retry, int foreign_ok, const SweepConfig *cfg,
                       const RunSpec *specs, long n, SweepDb *out);
void cli_close_sweep_db(SweepDb *d);

// The stop flag of run and tickets, set by the first SIGINT or SIGTERM: training stops after
// the current step, every finished run kept. A second signal exits at once with status 130
// (every commit so far is safe; a rerun resumes). Written by the handler, read by the workers.
extern atomic_int cli_stop;
// Installs the handler for SIGINT and SIGTERM; message (may be NULL): written to stderr at the
// first signal.
void cli_catch_stop_signals(const char *message);

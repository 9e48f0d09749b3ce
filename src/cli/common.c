#include "cli/common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"

void cli_load_sweep(const char *cmd, const char *path, SweepConfig *cfg, RunSpec **specs, long *n) {
    if (sweep_config_load(path, cfg) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, jp_error());
        exit(2);
    }
    sweep_expand(cfg, specs, n);   // cannot fail: the load expanded it already
}

void cli_open_store_readonly(const char *cmd, const char *path, Store *st) {
    if (store_open(st, path, STORE_READONLY) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, jp_error());
        exit(1);
    }
}

// Opens and locks the database and resets the runs of a runner that is gone.
static void open_locked(const char *cmd, const char *db_path, int wait, int foreign_ok, SweepDb *out) {
    Store *st = &out->st;
    if (store_open(st, db_path, foreign_ok ? STORE_FOREIGN_OK : 0) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, jp_error());
        exit(1);
    }
    if (store_lock(st, wait) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, jp_error());
        exit(wait ? 1 : 3);
    }
    long alive = 0, alive_pid = -1;
    out->reset = store_reset_interrupted(st, &alive, &alive_pid);
    if (out->reset < 0) {
        fprintf(stderr, "jackpot %s: %s: %s\n", cmd, db_path, jp_error());
        exit(1);
    }
    if (alive > 0) {   // the lock was free, yet a live runner on this host has runs in flight
        fprintf(stderr, "jackpot %s: %s: %ld runs are being trained by pid %ld on this host, which holds no lock on this "
                        "file (a file system without flock, or an older jackpot); wait for it to finish\n",
                cmd, db_path, alive, alive_pid);
        exit(3);
    }
}

void cli_open_sweep_db(const char *cmd, const char *db_path, int wait, int retry, int foreign_ok, const SweepConfig *cfg,
                       const RunSpec *specs, long n, SweepDb *out) {
    memset(out, 0, sizeof *out);
    open_locked(cmd, db_path, wait, foreign_ok, out);
    if (sweep_register(&out->st, cfg, specs, n, retry, &out->runs) != 0) {
        fprintf(stderr, "jackpot %s: %s: %s\n", cmd, db_path, jp_error());
        exit(1);
    }
    if (sweep_retry_failed(&out->st, &out->runs, n) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, jp_error());
        exit(1);
    }
}

void cli_close_sweep_db(SweepDb *d) {
    sweep_runs_free(&d->runs);
    store_close(&d->st);
}

// Lock-free, so the handler may store to it (C11 7.14.1.1).
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be lock-free to be set in a signal handler");
atomic_int cli_stop;
static const char *stop_message;
static size_t stop_message_len;

static void on_stop_signal(int sig) {
    (void)sig;
    if (atomic_exchange(&cli_stop, 1)) _exit(130);   // the second one
    if (stop_message_len && write(2, stop_message, stop_message_len) < 0) { /* nothing to do */ }
}

void cli_catch_stop_signals(const char *message) {
    stop_message = message;
    stop_message_len = message ? strlen(message) : 0;
    struct sigaction sa = { .sa_handler = on_stop_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

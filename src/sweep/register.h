// A sweep in the store: its runs registered (one row per distinct point, linked to
// the sweep) and what is left to train, the step between reading a config and
// scheduling its groups (jackpot run, jackpot tickets).
#pragma once
#include "store/store.h"
#include "sweep/config.h"

typedef struct {
    long sweep_id;
    long *run_ids;                 // [n] the store's id of each spec
    int *todo;                     // [n] 1: train it (pending); 2: failed before and to retry
                                   // (sweep_retry_failed makes it 1); 0: done, failed, or a duplicate
    long before, failed_before;    // done (or diverged) before; failed before and not retried
    char failed_error[512];        // the stored error of the first run failed before ("" if none)
} SweepRuns;

// Registers the sweep and its runs in one transaction (nothing of it is kept on failure) and
// marks what is left to train; with retry, failed runs are marked 2. The caller holds the
// runner's lock. 0, or −1 with jp_error() (the store's message).
int sweep_register(Store *st, const SweepConfig *cfg, const RunSpec *specs, long n, int retry, SweepRuns *out);
// Sets the runs marked 2 back to pending (what they wrote is deleted) and marks them 1.
// 0, or −1 with jp_error().
int sweep_retry_failed(Store *st, SweepRuns *r, long n);
void sweep_runs_free(SweepRuns *r);

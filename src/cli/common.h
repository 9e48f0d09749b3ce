// What several commands do the same way: read a sweep, open a database to read.
// Each prints its error prefixed with "jackpot CMD: " and exits with the
// command-line convention (2 for a bad config, 1 for an unreadable database).
#pragma once
#include "store/store.h"
#include "sweep/config.h"

void cli_load_sweep(const char *cmd, const char *path, SweepConfig *cfg, RunSpec **specs, long *n);
void cli_open_store_readonly(const char *cmd, const char *path, Store *st);

#include "cli/common.h"

#include <stdio.h>
#include <stdlib.h>

void cli_load_sweep(const char *cmd, const char *path, SweepConfig *cfg, RunSpec **specs, long *n) {
    char err[2048];
    if (sweep_config_load(path, cfg, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, err);
        exit(2);
    }
    sweep_expand(cfg, specs, n, err, sizeof err);   // cannot fail: the load expanded it already
}

void cli_open_store_readonly(const char *cmd, const char *path, Store *st) {
    char err[2048];
    if (store_open(st, path, 1, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, err);
        exit(1);
    }
}

// The store's side of the analyses across seeds (jackpot dist, the report's seeds
// section): typed readers, so that stats/samples.c and stats/seeds.c hold no SQL.
#pragma once
#include <stdint.h>

#include "store/groups.h"

// One finished run: its group, size, test metrics and seeds.
typedef struct {
    char key[64];              // runs.group_hash: runs equal but for their seeds
    double N, D;               // runs.n_params, runs.train_size
    double loss, acc;          // summaries <metric>_test_loss and <metric>_test_acc (acc NaN when absent)
    int64_t init, data;        // runs.init_seed, runs.data_seed
} SeedRow;

// Every finished run of the database at db with a <metric>_test_loss summary, metric "final"
// or "best"; only sweep's runs when sweep is not NULL, only those where `where` holds (SQL on
// runs r, store/where.h) when it is not NULL. *rows[*n] is the caller's to free (n may be 0).
// Returns 0, or −1 (jp_error() says why).
int seed_rows_read(const char *db, const char *sweep, const char *metric, const char *where, SeedRow **rows, int *n);

// The params of one run of each group keys[n] of the database at db, compared field by
// field (store/groups.h). Returns 0, or −1 (jp_error() says why; d is then empty).
int seed_groups_diff_read(const char *db, const char (*keys)[17], int n, GroupDiff *d);

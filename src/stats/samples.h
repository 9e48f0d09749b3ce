// Outcomes across seeds, grouped by everything but the seeds: from a jackpot
// store (groups = group_hash) or from a CSV of another framework's runs.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double N, D;               // parameters, training examples (NaN if unknown)
    int n;                     // runs
    double *loss, *acc;        // [n] (acc NaN if unknown)
    int64_t *init, *data;      // [n] seeds (−1 if unknown)
    char label[64];
    char key[64];              // what grouped the runs: the store's group hash, or the CSV's group value
} SeedGroup;

typedef struct {
    int n_groups;
    SeedGroup *g;              // sorted by N, then D
    char source[512];
} Samples;

// metric: "final" (final_test_loss, final_test_acc) or "best" (best_test_loss,
// best_test_acc: the test metrics at the best-validation step).
// Both return 0, or −1 with jp_error() naming the file (and line) at fault.
int samples_from_store(const char *db, const char *sweep, const char *metric, const char *where, Samples *s);
// CSV columns: group (any text), N, loss, and optionally D, acc, init, data.
int samples_from_csv(const char *path, const char *group_col, const char *n_col, const char *loss_col,
                     const char *acc_col, const char *init_col, const char *data_col, Samples *s);
void samples_free(Samples *s);

// Typed readers for the fits (src/fit): the points of a law, read from a jackpot store,
// and the params of the groups behind them. The SQL lives here; the callers see rows.
#pragma once
#include "store/groups.h"

// One row: a finished run (a summary metric) or one evaluation of a run ("eval:SPLIT_NAME").
typedef struct {
    double n_params;   // runs.n_params
    double data;       // runs.train_size, or for an evaluation the examples seen so far
    double flops;      // the run's 'flops' summary, or the evaluation's FLOPs so far
    double steps;      // runs.steps, or the evaluation's step
    double unique;     // runs.train_size: the distinct examples (a language model's training bytes)
    double epochs;     // examples (tokens) seen ÷ unique: by the run's end, or by the evaluation
    double value;      // the metric; a NULL (how SQLite keeps a NaN) reads as 0
    char *group;       // runs.group_hash ("" when NULL); owned
} StorePoint;          // the x values are NaN where the store holds NULL

typedef struct {
    int n;
    StorePoint *row;   // [n] in ascending run id (and evaluation order for eval:*)
} StorePoints;

// From the database at path: one row per run with status done and summary `metric`
// (final_test_loss, best_val_loss, …), or, when metric is "eval:SPLIT_NAME" (eval:val_loss),
// one row per evaluation after step 0. sweep (may be NULL) keeps that sweep's runs; where
// (may be NULL) is a user's condition on runs r (store/where.h rules). Returns 0 (n may be
// 0), or −1 with jp_error(): the open, the metric's form, or the --where at fault.
int store_read_points(const char *path, const char *sweep, const char *metric, const char *where, StorePoints *out);
void store_points_free(StorePoints *p);

// group_diff_load (store/groups.h) on the database at path: the params of one run of each of
// hashes[n]. 0, or −1 with jp_error().
int store_read_group_diff(const char *path, const char (*hashes)[17], int n, GroupDiff *d);

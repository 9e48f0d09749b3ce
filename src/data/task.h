// The task interface: what the trainer needs from any dataset.
//
// A task is three splits of fixed examples. The training split is the POOL from
// which each member draws its own D examples (data/sampler.h); validation and
// test are shared by all members so that their numbers compare.
#pragma once

typedef struct {
    int n;              // examples
    float *x;           // [n][dim]
    int *y;             // [n] class labels (classification), or NULL
    float *t;           // [n][n_out] regression targets, or NULL
} Split;

typedef struct {
    char name[32];
    int dim;            // input size
    int n_out;          // classes, or regression outputs
    Split train, val, test;
} Task;

void task_free(Task *t);

// The task interface: what the trainer needs from any dataset.
//
// A task is three splits of fixed examples. The training split is the POOL from
// which each member draws its own D examples (data/sampler.h); validation and
// test are shared by all members so that their numbers compare.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n;              // examples
    // Inputs in one of two storages, read only through task_gather: floats (toy worlds' generated
    // features, tests' hand-made splits), or bytes in the dataset's stored width (Fashion-MNIST's
    // pixels: a quarter of the memory, and of the cache misses of a random-row gather) that the
    // gather converts through a 256-entry table.
    float *x;           // [n][dim], or NULL when the split stores bytes
    uint8_t *x8;        // [n][dim] when x is NULL
    float *lut;         // [256] the float the model reads for each byte of x8
    int *y;             // [n] class labels (classification), or NULL
    float *t;           // [n][n_out] regression targets, or NULL
    // Toy worlds' held-out sets are stratified: concept c fills rows
    // [concept_start[c], concept_start[c+1]), and the split's loss is the
    // expected loss under the training distribution, Σ_c p_c · mean loss of c.
    int n_concepts;          // 0: an ordinary split (plain means)
    int *concept_start;      // [n_concepts + 1]
    double *concept_weight;  // [n_concepts] p_c
} Split;

struct World;

typedef struct Task {
    char name[32];
    int dim;            // input size
    int n_out;          // classes, or regression outputs
    Split train, val, test;
    // Toy worlds (data/world.h) have no stored training pool: training examples
    // are generated from the member's data_seed (train.n = 0).
    struct World *world;
} Task;

void task_free(Task *t);

// Bytes the task's three splits hold: inputs in their stored width (floats or bytes and the byte
// table), labels and targets. What the dataset costs in memory, for the trainer's accounting.
size_t task_bytes(const Task *t);

// Asks for rows[0..n) of a split's inputs to be brought towards the core (level 2), so that the
// task_gather of a batch to come finds them there: a random row otherwise misses every cache.
void task_prefetch(const Task *t, const Split *s, const uint32_t *rows, int n);

// Examples of a split as the model reads them: X[n][dim] floats, labels[n] (when the split has
// labels and `labels` is not NULL) and targets[n][n_out] (likewise). Rows are rows[0..n), or
// start..start+n when rows is NULL. The one way to read a split's inputs: how they are stored
// (float, or bytes converted here) is the split's business.
void task_gather(const Task *t, const Split *s, const uint32_t *rows, int start, int n,
                 float *X, int *labels, float *targets);

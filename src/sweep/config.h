// Sweep configs: a YAML file naming the task, model, optimiser, schedule and
// budget, with any field made an axis under `grid:` (full product) or `zip:`
// (axes that move together), and `seeds: {init: …, data: …}` (a count, a list or
// a range "START:STOP"). Every field is checked against sweep/fields.h before
// anything trains; errors read "file:line:column: field: what was expected".
//
//   name: width-sweep
//   task:     { name: fashion-mnist, val_size: 5000, train_size: 0 }
//   model:    { depth: 2, act: relu }
//   optim:    { name: adamw, lr: 1e-3 }
//   budget:   { batch: 128, epochs: 2, evals: 10 }
//   grid:     { model.width: [16, 32, 64] }
//   zip:      { optim.lr: [3e-3, 1e-3], budget.steps: [500, 1000] }
//   seeds:    { init: 4, data: [0] }
//   max_runs: 200000   # optional: the largest sweep accepted, default 100,000 runs
//
// A sweep with more runs than max_runs is refused, with its count, from the axis
// sizes alone (before any expansion): a cap that guards against a typo'd grid
// (a 1e9-point product) while letting a deliberate big sweep say so in its file.
// Text that is not UTF-8 (or holds a NUL byte) is refused with file:line:column.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "sweep/fields.h"

struct fy_document;
struct fy_node;

#define SWEEP_MAX_AXES 32
#define SWEEP_DEFAULT_MAX_RUNS 100000L
#define SWEEP_MAX_RUNS_LIMIT 10000000L   // the largest max_runs a config may set (7 GB of specs)

typedef struct {
    const Field *field;
    int n;
    struct fy_node **values;   // scalars, or sequences for list fields
} Axis;

typedef struct {
    char path[1024];
    char *text;                // the file as read: stored with the sweep
    char name[128];
    struct fy_document *doc;
    RunSpec base;
    Axis grid[SWEEP_MAX_AXES], zip[SWEEP_MAX_AXES];
    int n_grid, n_zip, zip_len;
    uint64_t *init_seeds, *data_seeds;
    int n_init, n_data;
    long max_runs;             // 0: SWEEP_DEFAULT_MAX_RUNS
} SweepConfig;

// Reads, parses and validates `path`, including every point of the expansion. 0, or −1 with
// the message in jp_error() (base/error.h).
int sweep_config_load(const char *path, SweepConfig *c);
// The same from text; `path` only names it in messages.
int sweep_config_parse(const char *path, const char *text, SweepConfig *c);
void sweep_config_free(SweepConfig *c);

// Number of run specs: product of grid sizes × zip length × init seeds × data seeds;
// LONG_MAX when that overflows a long.
long sweep_size(const SweepConfig *c);

// All run specs, resolved, in order: grid (last axis fastest), zip, init, data.
// Refuses (like the load) a sweep of more than max_runs runs: 0, or −1 with jp_error().
int sweep_expand(const SweepConfig *c, RunSpec **specs, long *n);

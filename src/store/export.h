// Flat tables out of the store, for pandas, R or a spreadsheet. The per-run tables
// (tickets, concepts, probes, metrics) end with the run's status and its resolved
// hyper-parameters, one column each (the params JSON, named as in the config:
// "model.width", "seed.init", "resolved.n_params", …), so a groupby needs no join.
//   runs:      one row per run: id, status, … then the hyper-parameters
//   summaries: the runs table plus one column per summary (final_test_loss, …)
//   metrics:   one row per (run, evaluation step): run_id, step, examples, flops,
//              wall_s, then one column per split_name (train_loss, val_acc, probe_cos_fr, …)
//   tickets:   one row per (run, pruning level, variant): the tickets table as stored
//   concepts:  one row per (run, evaluation step, concept): loss, acc (long, not pivoted)
//   probes:    one row per (run, probed evaluation step): run_id, step, examples, flops,
//              wall_s, then one column per probe metric (cos_ff, cos_fr, …) — the metrics
//              rows with split 'probe', pivoted as in metrics but without the prefix
//   fits, dists: one row per stored fit / distribution; options and result as JSON text
//   launches:  one row per launch of runners (with --sweep: those that last ran a run of it)
//   sweeps:    one row per sweep config stored, with its number of runs
// CSV: a header row; reals printed with the fewest digits (15–17) that reload
// exactly; NULL as an empty field; RFC 4180 quoting. JSONL: one object a row.
#pragma once
#include <stdbool.h>
#include <stdio.h>

#include "store/store.h"

typedef enum { EXPORT_CSV, EXPORT_JSONL } ExportFormat;
typedef enum {
    EXPORT_RUNS, EXPORT_SUMMARIES, EXPORT_METRICS, EXPORT_TICKETS, EXPORT_CONCEPTS, EXPORT_PROBES,
    EXPORT_FITS, EXPORT_DISTS, EXPORT_LAUNCHES, EXPORT_SWEEPS, EXPORT_TICKET_CURVES, EXPORT_COMPARES,
    EXPORT_COMPARE_CURVE, EXPORT_WHAT_COUNT
} ExportWhat;

// The --what names, indexed by ExportWhat: "runs", "summaries", …
extern const char *const export_what_names[EXPORT_WHAT_COUNT];

// Whether --sweep can restrict this table (fits, dists and compares belong to no one sweep).
bool export_has_sweep(ExportWhat what);

// sweep: restrict to the runs of the sweep with this name (NULL: all runs). 0, or −1 with jp_error().
int store_export(Store *s, ExportWhat what, ExportFormat fmt, const char *sweep, FILE *out);

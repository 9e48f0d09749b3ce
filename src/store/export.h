// Flat tables out of the store, for pandas, R or a spreadsheet.
//   runs:      one row per run: id, status, … and every resolved hyper-parameter
//              (the params JSON) as its own column, named as in the config
//              ("model.width", "seed.init", "resolved.n_params", …)
//   summaries: the runs table plus one column per summary (final_test_loss, …)
//   metrics:   one row per (run, evaluation step): run_id, step, examples, flops,
//              wall_s, train_loss, train_lr, val_loss, val_acc, test_loss, test_acc,
//              then the run's hyper-parameters
// CSV: a header row; reals printed with the fewest digits (15–17) that reload
// exactly; NULL as an empty field; RFC 4180 quoting. JSONL: one object a row.
#pragma once
#include <stdio.h>

#include "store/store.h"

typedef enum { EXPORT_CSV, EXPORT_JSONL } ExportFormat;
typedef enum { EXPORT_RUNS, EXPORT_SUMMARIES, EXPORT_METRICS } ExportWhat;

// sweep: restrict to the runs of the sweep with this name (NULL: all runs). 0, or −1 with jp_error().
int store_export(Store *s, ExportWhat what, ExportFormat fmt, const char *sweep, FILE *out);

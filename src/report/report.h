// jackpot report: a self-contained folder of figures and tables from a database.
#pragma once
#include <stddef.h>

typedef struct {
    const char *db, *out;
    const char *sweep, *where;   // only this sweep's runs; a condition on runs r, as --where (each may be NULL)
    const char *metric;          // the summary the laws and IsoFLOP profiles fit (NULL: final_test_loss), as jackpot fit --metric
    const char *group_by;        // one series per value of this field (a params key or runs column), or NULL
    int n_boot;             // bootstrap resamples for the fits
    double concept_threshold;
    int unit;               // outcomes across seeds: 0 loss, 1 accuracy, 2 logit of accuracy
} ReportOptions;

typedef struct {
    char summary[1024];     // one line per L(N) fitted
    int figures, drawn;     // figures attempted, and drawn
    char undrawn[512];      // the first figure that did not draw and why ("" when every one did)
} ReportResult;

// Writes the report folder o->out. Returns 0 when the folder was written (res says whether
// every figure drew; the page says which did not), −1 when nothing could be written or the
// --where was refused, −2 when the --group-by field is not one the runs have (jp_error() says why).
int report_write(const ReportOptions *o, ReportResult *res);

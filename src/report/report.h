// jackpot report: a self-contained folder of figures and tables from a database.
#pragma once
#include <stddef.h>

typedef struct {
    const char *db, *out;
    const char *sweep, *where;   // only this sweep's runs; an SQL condition on runs r (each may be NULL)
    const char *metric;          // the summary the laws and IsoFLOP profiles fit (NULL: final_test_loss), as jackpot fit --metric
    int n_boot;             // bootstrap resamples for the fits
    double concept_threshold;
    int unit;               // outcomes across seeds: 0 loss, 1 accuracy, 2 logit of accuracy
} ReportOptions;

// Returns 0 when every figure drew, 1 when some did not (the page says which),
// −1 when nothing could be written (err). summary receives one line per L(N) fitted.
int report_write(const ReportOptions *o, char *summary, size_t summary_len, char *err, size_t errlen);

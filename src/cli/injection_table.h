// jackpot concepts' block on the injection experiment (concepts/injection.h): per model size,
// the injected task's drop, the other tasks' forgetting, the retention after the return, the
// frequent–rare gradient cosine, each mean [95% interval] over seeds; forgetting by task
// frequency; the trends per decade of N. And its CSV.
#pragma once
#include <stdio.h>

#include "concepts/injection.h"

void injection_table_print(FILE *o, const InjectionStudy *st);
// Per size and task: p, forgetting (mean, lo, hi), and the size's retention and cosine.
void injection_csv_write(FILE *f, const InjectionStudy *st);

// The two renderings of a fit, both from the result structs: the JSON record (what --json
// prints and the fits table keeps) and the human-readable table, which shows exactly what the
// record holds (numbers JSON cannot hold as null, texts as the record gives them back).
#pragma once
#include <stdio.h>

#include "fit/analysis.h"
#include "fit/isoflop.h"

typedef struct {
    const Points *points;      // what was fitted (after the frontier's envelope)
    const LawAnalysis *law;    // a law's fit and what was asked of it; NULL for IsoFLOP, then
    const IsoResult *iso;      //   the IsoFLOP analysis
    const char *iso_kind;      //   and what its points are (isoflop_points_kind)
    const GroupCheck *groups;
} FitView;

void fit_json_write(FILE *f, const FitView *v);
void fit_table_print(FILE *o, const FitView *v);

// "at":[…]: every held-out value of the check (x, points, observed, predicted, interval, relative
// error, covered), for the one-law table and the comparison of laws.
void fit_json_heldout_points(FILE *f, const Holdout *H);

// The human-readable report of a fit, rendered from the fit's JSON (read with
// SQLite's JSON functions), so the table and --json can never disagree.
#pragma once
#include <stdio.h>

void fit_table_print(const char *json, FILE *out);

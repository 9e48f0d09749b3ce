// Ticket quality across seeds (jackpot dist --tickets): the samples of a tickets sweep, one
// group per (architecture, pruning level, variant), its runs the ensemble's init seeds. The
// study itself is seed_study_run's, unchanged: the same statistics as for plain runs.
#pragma once
#include "stats/samples.h"

// The samples of the tickets table of the database at db (sweep, metric and where as
// samples_from_store, where also on the tickets row t, e.g. "t.variant = 'ticket'"): a group per
// (runs.group_hash, level, variant), in the order of N, D, group, level and variant; its key the
// runs' group hash, its label "N=… D=… level 2 ticket 64.2%" (the members' mean density).
// 0, or −1 with jp_error().
int samples_from_tickets(const char *db, const char *sweep, const char *metric, const char *where, Samples *s);

// Whether `jackpot dist` without --tickets should read the tickets: the database has ticket
// rows and no done run with a <metric>_test_loss summary (a tickets sweep writes none).
int tickets_only_db(const char *db, const char *metric);

// Lottery tickets: test accuracy against the density left by iterative magnitude
// pruning, for tickets and their controls, and the best-validation step.
#include <math.h>
#include <stdio.h>

#include "report/sections.h"

// NAME.csv: per variant and level, the mean density, test accuracy (and its sd over
// runs) and best-validation step. Returns the rows written, or −1 (a note says why).
static int write_levels(Report *r, sqlite3 *db, const char *name, double *dlo, double *dhi) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT variant, level, avg(density), avg(best_test_acc), avg(best_step), count(*),"
                               " avg(best_test_acc * best_test_acc) FROM tickets GROUP BY variant, level ORDER BY variant, level",
                           -1, &st, NULL) != SQLITE_OK) {
        report_note(r, "tickets table unreadable: %s", sqlite3_errmsg(db));
        return -1;
    }
    FILE *c = figure_data(r, name);
    if (!c) { sqlite3_finalize(st); return -1; }
    fprintf(c, "variant,level,density,best_test_acc,acc_sd,best_step,runs\n");
    int rows = 0;
    *dlo = INFINITY;
    *dhi = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        *dlo = fmin(*dlo, sqlite3_column_double(st, 2));
        *dhi = fmax(*dhi, sqlite3_column_double(st, 2));
        double m = sqlite3_column_double(st, 3), m2 = sqlite3_column_double(st, 6);
        int n = sqlite3_column_int(st, 5);
        double sd = n > 1 ? sqrt(fmax(0, (m2 - m * m) * n / (n - 1))) : 0;
        fprintf(c, "%s,%d,%.6g,%.6g,%.4g,%.6g,%d\n", (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
                sqlite3_column_double(st, 2), m, sd, sqlite3_column_double(st, 4), n);
        rows++;
    }
    sqlite3_finalize(st);
    fclose(c);
    return rows;
}

void section_tickets(Report *r, sqlite3 *db) {
    report_section(r, "tickets", "Lottery tickets", "Iterative magnitude pruning (jackpot tickets): each level prunes "
                   "the smallest weights and retrains from the rewound weights (tickets), from new random weights "
                   "(reinit), with a random mask of the same layer-wise density, or in one shot.");
    double dlo, dhi;
    if (sql_long(db, "SELECT count(*) FROM sqlite_master WHERE name = 'tickets'", NULL) == 0 ||
        sql_long(db, "SELECT count(*) FROM tickets", NULL) == 0) {
        report_note(r, "no ticket experiments in this database (run jackpot tickets CONFIG --db …).");
    } else if (write_levels(r, db, "tickets", &dlo, &dhi) > 0 && write_levels(r, db, "tickets_steps", &dlo, &dhi) > 0) {
        // density falls to the right (pruning proceeds left to right), on a log axis with labelled tics
        char setup[1200];
        size_t k = (size_t)snprintf(setup, sizeof setup, "set logscale x\nset xrange [%g:%g]\n", dhi * 1.08, dlo / 1.08);
        log_tics(setup + k, sizeof setup - k, 'x', dlo, dhi);
        figure_draw(r, "tickets", "Test accuracy against density", "fraction of weights remaining (log scale, pruning →)",
                    "test accuracy at the best-validation step", setup,
                    "variants = \"ticket reinit random_mask oneshot dense\"\n"
                    "plot for [i=1:words(variants)] 'tickets.csv' skip 1 using (strcol(1) eq word(variants,i) ? $3 : NaN):4:5 "
                    "with yerrorlines ls i title word(variants,i) noenhanced",
                    "Mean test accuracy (± sd over runs) of each pruning level: tickets above the reinit and random-mask "
                    "controls at the same density are what the lottery ticket hypothesis predicts.");
        figure_draw(r, "tickets_steps", "Best-validation step against density",
                    "fraction of weights remaining (log scale, pruning →)", "optimiser step of the best validation loss", setup,
                    "variants = \"ticket reinit random_mask oneshot dense\"\n"
                    "plot for [i=1:words(variants)] 'tickets_steps.csv' skip 1 using (strcol(1) eq word(variants,i) ? $3 : NaN):6 "
                    "with linespoints ls i title word(variants,i) noenhanced",
                    "When each pruning level reached its best validation loss: winning tickets learn faster than the dense "
                    "network (earlier best step) down to moderate densities.");
    }
    report_section_end(r);
}

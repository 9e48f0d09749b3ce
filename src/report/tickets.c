// Lottery tickets: test accuracy against the density left by iterative magnitude
// pruning, for tickets and their controls, and the best-validation step.
#include <math.h>
#include <stdio.h>

#include "report/sections.h"

void section_tickets(Report *r, sqlite3 *db) {
    report_section(r, "tickets", "Lottery tickets", "Iterative magnitude pruning (jackpot tickets): each level prunes "
                   "the smallest weights and retrains from the rewound weights (tickets), from new random weights "
                   "(reinit), with a random mask of the same layer-wise density, or in one shot.");
    if (sql_long(db, "SELECT count(*) FROM sqlite_master WHERE name = 'tickets'", NULL) == 0 ||
        sql_long(db, "SELECT count(*) FROM tickets", NULL) == 0) {
        report_note(r, "no ticket experiments in this database (run jackpot tickets CONFIG --db …).");
        report_section_end(r);
        return;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT variant, level, avg(density), avg(best_test_acc), avg(best_step), count(*),"
                               " avg(best_test_acc * best_test_acc) FROM tickets GROUP BY variant, level ORDER BY variant, level",
                           -1, &st, NULL) != SQLITE_OK) {
        report_note(r, "tickets table unreadable: %s", sqlite3_errmsg(db));
        report_section_end(r);
        return;
    }
    FILE *c = figure_data(r, "tickets");
    if (!c) { sqlite3_finalize(st); report_section_end(r); return; }
    fprintf(c, "variant,level,density,best_test_acc,acc_sd,best_step,runs\n");
    double dlo = INFINITY, dhi = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        dlo = fmin(dlo, sqlite3_column_double(st, 2));
        dhi = fmax(dhi, sqlite3_column_double(st, 2));
        double m = sqlite3_column_double(st, 3), m2 = sqlite3_column_double(st, 6);
        int n = sqlite3_column_int(st, 5);
        double sd = n > 1 ? sqrt(fmax(0, (m2 - m * m) * n / (n - 1))) : 0;
        fprintf(c, "%s,%d,%.6g,%.6g,%.4g,%.6g,%d\n", (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
                sqlite3_column_double(st, 2), m, sd, sqlite3_column_double(st, 4), n);
    }
    sqlite3_finalize(st);
    fclose(c);
    // density falls to the right (pruning proceeds left to right), on a log axis with labelled tics
    char setup[1200];
    size_t k = (size_t)snprintf(setup, sizeof setup, "set logscale x\nset xrange [%g:%g]\n", dhi * 1.08, dlo / 1.08);
    log_tics(setup + k, sizeof setup - k, 'x', dlo, dhi);
    const char *acc_plot =
        "variants = \"ticket reinit random_mask oneshot dense\"\n"
        "plot for [i=1:words(variants)] 'tickets.csv' skip 1 using (strcol(1) eq word(variants,i) ? $3 : NaN):4:5 "
        "with yerrorlines ls i title word(variants,i) noenhanced";
    figure_draw(r, "tickets", "Test accuracy against density", "fraction of weights remaining (log scale, pruning →)",
                "test accuracy at the best-validation step", setup, acc_plot,
                "Mean test accuracy (± sd over runs) of each pruning level: tickets above the reinit and random-mask "
                "controls at the same density are what the lottery ticket hypothesis predicts.");
    const char *step_plot =
        "variants = \"ticket reinit random_mask oneshot dense\"\n"
        "plot for [i=1:words(variants)] 'tickets_steps.csv' skip 1 using (strcol(1) eq word(variants,i) ? $3 : NaN):6 "
        "with linespoints ls i title word(variants,i) noenhanced";
    // the same data under the second figure's name, so that each figure has its own data file
    FILE *in, *out;
    char a[2300], b[2300];
    snprintf(a, sizeof a, "%s/tickets.csv", r->dir);
    snprintf(b, sizeof b, "%s/tickets_steps.csv", r->dir);
    if ((in = fopen(a, "r")) && (out = fopen(b, "w"))) {
        int ch;
        while ((ch = fgetc(in)) != EOF) fputc(ch, out);
        fclose(out);
    }
    if (in) fclose(in);
    figure_draw(r, "tickets_steps", "Best-validation step against density", "fraction of weights remaining (log scale, pruning →)",
                "optimiser step of the best validation loss", setup, step_plot,
                "When each pruning level reached its best validation loss: winning tickets learn faster than the dense "
                "network (earlier best step) down to moderate densities.");
    report_section_end(r);
}

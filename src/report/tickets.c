// Lottery tickets: test accuracy against the density left by iterative magnitude
// pruning, for tickets and their controls, and the best-validation step.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "report/sections.h"

enum { VARIANTS_LEN = 160 };

// One row of NAME.csv: a level's means under the variant's name.
static void level_row(FILE *c, const char *variant, const ReportTicketLevel *l) {
    int n = l->runs;
    double sd = n > 1 ? sqrt(fmax(0, (l->acc_sq - l->acc * l->acc) * n / (n - 1))) : 0;
    fprintf(c, "%s,%d,%.6g,%.6g,%.4g,%.6g,%d\n", variant, l->level, l->density, l->acc, sd, l->best_step, n);
}

// NAME.csv: per variant and level, the mean density, test accuracy (and its sd over
// runs) and best-validation step; the density range in *dlo, *dhi. Returns the rows
// written, or −1 (a note says why). The variants present, as gnuplot assignments of
// their names and line styles (each variant keeps its colour), in variants[VARIANTS_LEN]:
// the legend names only what was run.
static int write_levels(Report *r, ReportDb *db, const char *name, double *dlo, double *dhi, char *variants) {
    static const char *ORDER[] = { "ticket", "reinit", "random_mask", "oneshot", "dense" };
    ReportTicketLevels T;
    if (report_db_ticket_levels(db, &T) != 0) {
        report_missing(r, "lottery tickets", "a readable tickets table (jackpot tickets CONFIG --db …)");
        return -1;
    }
    FILE *c = figure_data(r, name);
    if (!c) { report_ticket_levels_free(&T); return -1; }
    fprintf(c, "variant,level,density,best_test_acc,acc_sd,best_step,runs\n");
    *dlo = INFINITY;
    *dhi = 0;
    // Level 0 of every pruned variant is the dense network it was pruned from: its row is
    // repeated at the head of each variant's rows, so each line starts at density 1.
    const ReportTicketLevel *dense = NULL;
    for (int i = 0; i < T.n; i++) if (strcmp(T.level[i].variant, "dense") == 0) dense = &T.level[i];
    for (int i = 0; i < T.n; i++) {
        const ReportTicketLevel *l = &T.level[i];
        int first = i == 0 || strcmp(T.level[i - 1].variant, l->variant) != 0;
        if (dense && first && l != dense) level_row(c, l->variant, dense);
        level_row(c, l->variant, l);
        *dlo = fmin(*dlo, l->density);
        *dhi = fmax(*dhi, l->density);
    }
    fclose(c);
    char names[80] = "", styles[24] = "";
    for (size_t v = 0; v < sizeof ORDER / sizeof ORDER[0]; v++)
        for (int i = 0; i < T.n; i++)
            if (strcmp(T.level[i].variant, ORDER[v]) == 0) {
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? " " : "", ORDER[v]);
                snprintf(styles + strlen(styles), sizeof styles - strlen(styles), "%s%zu", styles[0] ? " " : "", v + 1);
                break;
            }
    snprintf(variants, VARIANTS_LEN, "variants = \"%s\"\nstyles = \"%s\"\n", names, styles);
    int rows = T.n;
    report_ticket_levels_free(&T);
    return rows;
}

// The tickets' learning curves: the mean validation loss over runs against the step, one line per
// pruning level (level 0: the dense network).
static void curves_figure(Report *r, ReportDb *db, const char *model) {
    ReportTicketCurves C;
    if (report_db_ticket_curves(db, &C) != 0 || C.n == 0) {
        report_missing(r, "ticket learning curves", "a tickets run by a jackpot that records each level's evaluations "
                       "(schema 7 or later: rerun jackpot tickets)");
        free(C.point);
        return;
    }
    FILE *c = figure_data(r, "tickets_curves");
    if (!c) { free(C.point); return; }
    fprintf(c, "level,step,val_loss,test_acc\n");
    char levels[400] = "";
    for (int i = 0; i < C.n; i++) {
        const ReportTicketPoint *p = &C.point[i];
        if ((i == 0 || p->level != C.point[i - 1].level) && strlen(levels) + 8 < sizeof levels)
            snprintf(levels + strlen(levels), sizeof levels - strlen(levels), "%s%d", levels[0] ? " " : "", p->level);
        fprintf(c, "%d,%ld,%.9g,%.9g\n", p->level, p->step, p->val_loss, p->test_acc);
    }
    fclose(c);
    free(C.point);
    char plot[900], title[300];
    snprintf(plot, sizeof plot, "levels = \"%s\"\n"
             "plot for [i=1:words(levels)] 'tickets_curves.csv' skip 1 using ($1 == word(levels,i)+0 ? $2 : NaN):3 "
             "with lines ls ((i-1)%%8+1) lw 2 title (word(levels,i) eq '0' ? 'dense (level 0)' : 'level '.word(levels,i))",
             levels);
    snprintf(title, sizeof title, "Learning curves of the tickets%s%s%s", model[0] ? " (" : "", model, model[0] ? ")" : "");
    figure_draw(r, "tickets_curves", title, "optimiser step", "validation loss (nats), mean over runs", "", plot,
                "Every pruning level's training from the rewound weights: how fast and how far each ticket learns "
                "against the dense network it was pruned from.");
}

void section_tickets(Report *r, ReportDb *db) {
    report_section(r, "tickets", "Lottery tickets", "Iterative magnitude pruning (jackpot tickets): each level prunes "
                   "the smallest weights and retrains from the rewound weights (tickets), from new random weights "
                   "(reinit), with a random mask of the same layer-wise density, or in one shot.");
    double dlo, dhi;
    char variants[VARIANTS_LEN];
    if (report_db_ticket_rows(db) == 0) {
        report_note(r, "no ticket experiments in this database (run jackpot tickets CONFIG --db …).");
    } else if (write_levels(r, db, "tickets", &dlo, &dhi, variants) > 0 &&
               write_levels(r, db, "tickets_steps", &dlo, &dhi, variants) > 0) {
        // density falls to the right (pruning proceeds left to right), on a log axis with labelled tics
        char setup[1200];
        snprintf(setup, sizeof setup, "set logscale x\nset xrange [%g:%g]\n", dhi * 1.08, dlo / 1.08);
        char plot[640];
        snprintf(plot, sizeof plot, "%splot for [i=1:words(variants)] 'tickets.csv' skip 1 using "
                 "(strcol(1) eq word(variants,i) ? $3 : NaN):4:5 with yerrorlines ls word(styles,i)+0 title word(variants,i) noenhanced",
                 variants);
        char model[200], title[300], title_steps[300];
        report_db_ticket_model(db, model, sizeof model);
        snprintf(title, sizeof title, "Test accuracy against density%s%s%s", model[0] ? " (" : "", model, model[0] ? ")" : "");
        snprintf(title_steps, sizeof title_steps, "Best-validation step against density%s%s%s", model[0] ? " (" : "", model,
                 model[0] ? ")" : "");
        figure_draw(r, "tickets", title, "fraction of weights remaining (log scale, pruning →)",
                    "test accuracy at the best-validation step", setup, plot,
                    "Mean test accuracy (± sd over runs) of each pruning level: tickets above the reinit and random-mask "
                    "controls at the same density are what the lottery ticket hypothesis predicts.");
        snprintf(plot, sizeof plot, "%splot for [i=1:words(variants)] 'tickets_steps.csv' skip 1 using "
                 "(strcol(1) eq word(variants,i) ? $3 : NaN):6 with linespoints ls word(styles,i)+0 title word(variants,i) noenhanced",
                 variants);
        figure_draw(r, "tickets_steps", title_steps,
                    "fraction of weights remaining (log scale, pruning →)", "optimiser step of the best validation loss", setup,
                    plot, "When each pruning level reached its best validation loss: winning tickets learn faster than the dense "
                    "network (earlier best step) down to moderate densities.");
        curves_figure(r, db, model);
    }
    report_section_end(r);
}

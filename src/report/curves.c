// Learning curves: mean test loss over the runs of each model size against
// optimiser steps and against training FLOPs, one colour per size.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "report/sections.h"

// Writes NAME.csv (n_params, step, flops, test_loss, runs) from the curves and the sizes as a
// space-separated list; returns the rows written (0 when the file cannot be written).
static int write_curves(TaskView *v, const ReportCurves *cv, const char *name, char *sizes, size_t cap) {
    FILE *c = figure_data(v->r, name);
    if (!c) return 0;
    size_t k = 0;
    long last = -1;
    sizes[0] = 0;
    fprintf(c, "n_params,step,flops,test_loss,runs\n");
    for (int i = 0; i < cv->n; i++) {
        const ReportCurvePoint *p = &cv->point[i];
        if (p->n_params != last && k + 24 < cap) k += (size_t)snprintf(sizes + k, cap - k, "%s%ld", k ? " " : "", p->n_params);
        last = p->n_params;
        fprintf(c, "%ld,%ld,%.9g,%.9g,%d\n", p->n_params, p->step, p->flops, p->loss, p->runs);
    }
    fclose(c);
    return cv->n;
}

// --group-by: NAME.csv (group, value, n_params, step, flops, test_loss, runs), each group's
// curves read at d_star, a blank line between sizes so each size is its own line. Returns the rows.
static int write_group_curves(TaskView *v, const char *name) {
    FILE *c = figure_data(v->r, name);
    if (!c) return 0;
    fprintf(c, "group,%s,n_params,step,flops,test_loss,runs\n", v->group_by);
    int rows = 0;
    for (int g = 0; g < v->n_groups; g++) {
        char *where = report_cond_train_size(v->group_where[g], v->d_star);
        ReportCurves cv = { 0 };
        if (report_db_curves(v->db, where, &cv) != 0) report_missing(v->r, v->group_label[g], "runs with evaluations during training (budget.evals)");
        free(where);
        for (int i = 0; i < cv.n; i++) {
            const ReportCurvePoint *p = &cv.point[i];
            if (i && p->n_params != cv.point[i - 1].n_params) fputc('\n', c);
            fprintf(c, "%d,", g + 1);
            group_value_csv(c, v, g);
            fprintf(c, ",%ld,%ld,%.9g,%.9g,%d\n", p->n_params, p->step, p->flops, p->loss, p->runs);
        }
        if (cv.n) fputc('\n', c);
        rows += cv.n;
        report_curves_free(&cv);
    }
    fclose(c);
    return rows;
}

// --group-by: the learning curves against steps and FLOPs, one colour per value, a line per size.
static void group_curves(TaskView *v) {
    for (int f = 0; f < 2; f++) {
        char name[112], plot[6000], title[300], caption[400];
        snprintf(name, sizeof name, "curves_vs_%s_%s", f ? "flops" : "steps", v->tag);
        if (write_group_curves(v, name) == 0) { report_missing(v->r, "learning curves", "runs with evaluations during training (budget.evals)"); return; }
        size_t k = (size_t)snprintf(plot, sizeof plot, "set logscale xy\nplot ");
        for (int g = 0; g < v->n_groups && k < sizeof plot; g++)
            k += (size_t)snprintf(plot + k, sizeof plot - k, "%s'%s%s' skip 1 using (column(1) == %d && column(%d) > 0 ? column(%d) : NaN):6 "
                                  "with linespoints ls %d pt 7 ps 0.4 lw 2 title '%s' noenhanced",
                                  g ? ", \\\n  " : "", g ? "" : name, g ? "" : ".csv", g + 1, f ? 5 : 4, f ? 5 : 4, g % 8 + 1, v->group_label[g]);
        snprintf(title, sizeof title, "Test loss during training against %s by %s (%s)", f ? "FLOPs" : "steps", v->group_by, v->task);
        snprintf(caption, sizeof caption, "Mean test loss over seeds at every evaluation, one colour per %s and one line "
                 "per model size (larger models end lower).", v->group_by);
        figure_draw(v->r, name, title, f ? "C, training FLOPs" : "optimiser steps", "test loss (nats)", "", plot, caption);
    }
}

void section_curves(TaskView *v) {
    Report *r = v->r;
    task_section(v, "curves", "Learning curves", "Test loss during training, averaged over the runs of each model size (all seeds), "
                   "at the training-set size with the most model sizes.");
    if (v->n_groups) {
        group_curves(v);
        report_section_end(r);
        return;
    }
    const char *xs[2] = { "steps", "flops" };
    ReportCurves cv = { 0 };
    if (report_db_curves(v->db, v->where_d, &cv) != 0) {
        report_missing(r, "learning curves", "runs with evaluations during training (budget.evals)");
        report_section_end(r);
        return;
    }
    for (int f = 0; f < 2; f++) {
        char name[112], sizes[2048], plot[3200], title[160];
        snprintf(name, sizeof name, "curves_vs_%s_%s", xs[f], v->tag);
        if (write_curves(v, &cv, name, sizes, sizeof sizes) == 0) { report_missing(r, "learning curves", "runs with evaluations during training (budget.evals)"); break; }
        snprintf(plot, sizeof plot,
                 "set logscale xy\nsizes = \"%s\"\n"
                 "plot for [i=1:words(sizes)] '%s.csv' skip 1 using (column(%d) > 0 && column(1) == word(sizes,i)+0 ? column(%d) : NaN):4 "
                 "with linespoints ls ((i-1)%%8+1) pt 7 ps 0.4 lw 2 "
                 "title sprintf('N = %%s', word(sizes,i))",
                 sizes, name, f ? 3 : 2, f ? 3 : 2);
        snprintf(title, sizeof title, "Test loss during training against %s (%s)", f ? "FLOPs" : "steps", v->task);
        figure_draw(r, name, title, f ? "C, training FLOPs" : "optimiser steps", "test loss (nats)", "", plot,
                    f ? "The same curves against training compute: where one size's curve crosses below another's, "
                        "the larger model is the better use of that many FLOPs."
                      : "Mean test loss of each model size at every evaluation; larger models (later in the legend) reach lower loss.");
    }
    report_curves_free(&cv);
    report_section_end(r);
}

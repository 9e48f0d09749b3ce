// The injection experiment (Huang, Lubana et al. 2026; concepts/injection.h): how much the other
// tasks forget while one rare task is over-represented, how much of what that task gained is
// retained after training returns to the base mixture, and the frequent–rare gradient cosine,
// each against model size with 95% intervals over seeds; and forgetting against task frequency.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "concepts/injection.h"
#include "report/sections.h"

// A seed mean's error bar: half-widths to lo and hi, zero for one run (gnuplot drops NaN errors).
static void bar(FILE *c, SeedMean m) {
    fprintf(c, ",%.6g,%.6g,%.6g", m.mean, isfinite(m.lo) ? m.lo : m.mean, isfinite(m.hi) ? m.hi : m.mean);
}

static void against_n(Report *r, const InjectionStudy *st) {
    const char *name = "injection_vs_n";
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,width,retention,retention_lo,retention_hi,forgetting,forgetting_lo,forgetting_hi\n");
    for (int s = 0; s < st->n_sizes; s++) {
        const InjectionSize *z = &st->size[s];
        fprintf(c, "%ld,%ld", z->n_params, z->width);
        bar(c, z->retention);
        bar(c, z->forget_all);
        fprintf(c, "\n");
    }
    fclose(c);
    char plot[600], caption[600];
    snprintf(plot, sizeof plot,
             "plot '%s.csv' skip 1 using 1:3:4:5 with yerrorlines ls 1 title 'retention of the injected task', \\\n"
             "  '' skip 1 using 1:6:7:8 axes x1y2 with yerrorlines ls 2 title 'forgetting (mean over other tasks)'", name);
    snprintf(caption, sizeof caption,
             "Task %d (p = %.3g) over-represented at share %g for steps %ld–%ld, then the base mixture to step %ld: "
             "the fraction of its loss drop kept after the return (left axis) and the other tasks' mean loss rise "
             "during the injection (right axis), mean and 95%% t-interval over seeds, against model size.",
             st->inject, st->p[st->inject], st->share, st->start, st->end, st->ret);
    figure_draw(r, name, "Rare-task retention and forgetting against model size", "N, parameters",
                "retention (fraction of the drop kept)",
                "set logscale x\nset y2tics\nset ytics nomirror\nset y2label 'forgetting: mean loss rise of the other tasks'",
                plot, caption);
}

static void by_task(Report *r, const InjectionStudy *st) {
    const char *name = "injection_by_task";
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,width,task,p,forgetting,forgetting_lo,forgetting_hi\n");
    char sizes[600] = "";
    size_t k = 0;
    for (int s = 0; s < st->n_sizes; s++) {
        const InjectionSize *z = &st->size[s];
        for (int t = 0; t < st->C; t++) {
            if (t == st->inject) continue;
            fprintf(c, "%ld,%ld,%d,%.6g", z->n_params, z->width, t, st->p[t]);
            bar(c, z->forget_task[t]);
            fprintf(c, "\n");
        }
        if (k + 24 < sizeof sizes) k += (size_t)snprintf(sizes + k, sizeof sizes - k, "%s%ld", s ? " " : "", z->n_params);
    }
    fclose(c);
    char plot[1200];
    snprintf(plot, sizeof plot, "sizes = \"%s\"\n"
             "plot for [i=1:words(sizes)] '%s.csv' skip 1 using (column(1) == word(sizes,i)+0 ? $4 : NaN):5 "
             "with linespoints ls ((i-1)%%8+1) pt 7 ps 0.6 lw 1.5 title sprintf('N = %%s', word(sizes,i)), "
             "0 with lines lc rgb '#888888' dt 2 notitle", sizes, name);
    figure_draw(r, name, "Forgetting against task frequency", "task frequency p", "test-loss rise during the injection (MSE)",
                "set logscale x", plot,
                "Each other task's test-loss rise while the injected task is over-represented, mean over seeds, "
                "against its frequency in the base mixture, one line per model size.");
}

static void cosine(Report *r, const InjectionStudy *st) {
    const char *name = "injection_cosine";
    int rows = 0;
    for (int s = 0; s < st->n_sizes; s++) rows += isfinite(st->size[s].cos_fr.mean);
    if (!rows) {
        report_missing(r, "gradient cosine of the injection runs", "interference probes (probe.concepts > 0, a world of 4 or more tasks)");
        return;
    }
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,width,cos_fr,cos_fr_lo,cos_fr_hi\n");
    for (int s = 0; s < st->n_sizes; s++) {
        if (!isfinite(st->size[s].cos_fr.mean)) continue;
        fprintf(c, "%ld,%ld", st->size[s].n_params, st->size[s].width);
        bar(c, st->size[s].cos_fr);
        fprintf(c, "\n");
    }
    fclose(c);
    char plot[400];
    snprintf(plot, sizeof plot, "plot '%s.csv' skip 1 using 1:3:4:5 with yerrorlines ls 1 title 'frequent–rare', "
             "0 with lines lc rgb '#888888' dt 2 title 'orthogonal'", name);
    figure_draw(r, name, "Frequent–rare gradient cosine of the injection runs", "N, parameters",
                "mean cosine between task gradients", "set logscale x", plot,
                "The interference probes' frequent–rare gradient cosine (mean over evaluations, then over seeds, "
                "95% t-interval) against model size: Huang, Lubana et al. report about 0.10 at 20M parameters and "
                "about 0 at 1B.");
}

void section_injection(Report *r, const char *db_path, const char *sweep, const char *where) {
    InjectionStudy st;
    int rc = injection_study_load(db_path, sweep, where, &st);
    if (rc == INJECTION_STUDY_NONE && st.mixture_runs == 0) return;   // no task mixture: nothing to say
    report_section(r, "injection", "Resource competition and rare-task retention",
                   "The injection experiment (Huang, Lubana et al. 2026): after training on the base mixture, one rare "
                   "task is over-represented for a while, then training returns to the base mixture.");
    if (rc == INJECTION_STUDY_NONE) {
        report_missing(r, "the injection experiment", "task-mixture runs with an injection (injection.steps > 0; "
                       "examples/task_mixture_injection.yaml)");
    } else if (rc != 0) {
        report_missing(r, "the injection experiment", "runs of one toy world injecting one task at one share "
                       "(choose one with --sweep)");
    } else {
        against_n(r, &st);
        by_task(r, &st);
        cosine(r, &st);
        for (int s = 0; s < st.n_sizes; s++) {
            char data[96];
            snprintf(data, sizeof data, "%s, width %ld", st.task, st.size[s].width);
            report_fit_row(r, "injection: retention of the injected task", data, "retention", st.size[s].retention.mean,
                           st.size[s].retention.lo, st.size[s].retention.hi);
        }
        injection_study_free(&st);
    }
    report_section_end(r);
}

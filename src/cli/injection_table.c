#include "cli/injection_table.h"

#include <math.h>

static void print_mean(FILE *o, SeedMean m, const char *fmt) {
    char v[32], lo[32], hi[32];
    snprintf(v, sizeof v, fmt, m.mean);
    snprintf(lo, sizeof lo, fmt, m.lo);
    snprintf(hi, sizeof hi, fmt, m.hi);
    char cell[112];
    if (isfinite(m.lo)) snprintf(cell, sizeof cell, "%s [%s, %s]", v, lo, hi);
    else snprintf(cell, sizeof cell, "%s", v);
    fprintf(o, "  %-28s", cell);
}

static void print_trend(FILE *o, const InjectionStudy *st, InjectionQuantity q, const char *label, const char *up,
                        const char *down) {
    SlopeFit f;
    if (injection_trend(st, q, &f) != 0)
        fprintf(o, "  %s: no trend (%d runs with a value; need 3 at 2 or more sizes)\n", label, f.n);
    else
        fprintf(o, "  %s: %+.4f per decade of N [%+.4f, %+.4f] (%d runs): %s\n", label, f.slope, f.lo, f.hi, f.n,
                f.hi < 0 ? down : f.lo > 0 ? up : "no significant trend");
}

// Forgetting by frequency rank (rows; at most 24, binned) and size (columns), mean over seeds.
static void print_by_task(FILE *o, const InjectionStudy *st) {
    int C = st->C, bin = (C + 23) / 24;
    fprintf(o, "\nforgetting by task (test-loss rise during the injection, mean over seeds; rows: frequency rank%s)\n"
               "  task          p", bin > 1 ? ", binned" : "");
    for (int s = 0; s < st->n_sizes; s++) fprintf(o, " %9ld", st->size[s].width);
    fprintf(o, "\n");
    for (int c0 = 0; c0 < C; c0 += bin) {
        int c1 = c0 + bin < C ? c0 + bin : C;
        char r[32];
        if (c1 - c0 > 1) snprintf(r, sizeof r, "%d-%d", c0, c1 - 1);
        else snprintf(r, sizeof r, "%d%s", c0, c0 == st->inject ? "*" : "");
        double p = 0;
        for (int c = c0; c < c1; c++) p += st->p[c];
        fprintf(o, "  %-8s %8.3g", r, p);
        for (int s = 0; s < st->n_sizes; s++) {
            double sum = 0;
            int k = 0;
            for (int c = c0; c < c1; c++)
                if (isfinite(st->size[s].forget_task[c].mean)) { sum += st->size[s].forget_task[c].mean; k++; }
            fprintf(o, " %+9.4f", k ? sum / k : NAN);
        }
        fprintf(o, "\n");
    }
    fprintf(o, "  (* the injected task; a binned row's p is the bin's total)\n");
}

void injection_table_print(FILE *o, const InjectionStudy *st) {
    fprintf(o, "\ninjection experiment (Huang, Lubana et al. 2026): task %d (p = %.3g) at share %g of the stream from "
               "step %ld to %ld, then the base mixture to step %ld\n", st->inject, st->p[st->inject], st->share, st->start,
            st->end, st->ret);
    fprintf(o, "  drop: the injected task's test-loss fall during the injection; forgetting: the other tasks' mean "
               "rise;\n  retention: the fraction of the drop kept after the return; cos_fr: the frequent–rare gradient "
               "cosine.\n  Mean [95%% t-interval] over seeds.\n");
    fprintf(o, " width  n_params runs  %-28s  %-28s  %-28s  %-28s\n", "drop", "forgetting", "retention", "cos_fr");
    for (int s = 0; s < st->n_sizes; s++) {
        const InjectionSize *z = &st->size[s];
        fprintf(o, "%6ld %9ld %4d", z->width, z->n_params, z->n_runs);
        print_mean(o, z->drop, "%.4g");
        print_mean(o, z->forget_all, "%+.4g");
        print_mean(o, z->retention, "%.3f");
        print_mean(o, z->cos_fr, "%+.4f");
        fprintf(o, "\n");
    }
    print_by_task(o, st);
    fprintf(o, "\ntrends with N (least squares over runs against log10 N, 95%% interval)\n");
    print_trend(o, st, INJECTION_FORGET, "forgetting", "larger models forget more", "larger models forget less");
    print_trend(o, st, INJECTION_RETENTION, "retention", "larger models retain more", "larger models retain less");
    print_trend(o, st, INJECTION_COS_FR, "frequent–rare gradient cosine", "rises as N grows", "falls as N grows");
}

void injection_csv_write(FILE *f, const InjectionStudy *st) {
    fprintf(f, "width,n_params,runs,task,p,injected,forget_mean,forget_lo,forget_hi,retention_mean,retention_lo,"
               "retention_hi,cos_fr_mean\n");
    for (int s = 0; s < st->n_sizes; s++) {
        const InjectionSize *z = &st->size[s];
        for (int c = 0; c < st->C; c++)
            fprintf(f, "%ld,%ld,%d,%d,%.6g,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", z->width, z->n_params, z->n_runs, c,
                    st->p[c], c == st->inject, z->forget_task[c].mean, z->forget_task[c].lo, z->forget_task[c].hi,
                    z->retention.mean, z->retention.lo, z->retention.hi, z->cos_fr.mean);
    }
}

// Toy worlds: per-concept accuracy as a heat map over frequency rank × model
// size, concepts learned against N, the learning order, and interference; one
// set of figures per toy world (per sweep when a database holds several).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "concepts/analysis.h"
#include "concepts/study.h"
#include "report/sections.h"
#include "stats/describe.h"
#include "store/read_concepts.h"

// Error bars of one run are zero, not absent (gnuplot drops a point whose error is NaN).
static double sd_or_zero(const double *v, int n) {
    double sd = sd_finite(v, n);
    return isfinite(sd) ? sd : 0;
}

static void heatmap(Report *r, const ConceptStudy *st, const char *tag, const char *label) {
    if (st->C < 2 || st->n_sizes < 2) {   // gnuplot's image needs a 2 × 2 grid at least
        report_note(r, "heat map%s: %d concept%s and %d size%s: nothing to map (the other figures show it).", label,
                    st->C, st->C == 1 ? "" : "s", st->n_sizes, st->n_sizes == 1 ? "" : "s");
        return;
    }
    char name[128], title[256], plot[300];
    snprintf(name, sizeof name, "concepts_heatmap%s", tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    char xtics[2048] = "set xtics (";
    size_t k = strlen(xtics);
    fprintf(c, "size_index,concept,%s,width,n_params,train_size,p\n", st->regression ? "test_loss" : "accuracy");
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        for (int cc = 0; cc < st->C; cc++)
            fprintf(c, "%d,%d,%.5g,%ld,%ld,%ld,%.5g\n", s, cc, st->regression ? z->loss[cc] : z->acc[cc], z->width,
                    z->n_params, z->train_size, st->p[cc]);
        if (k + 40 + strlen(z->label) < sizeof xtics) {   // a size's settings besides N and D, when sizes differ in them
            if (z->train_size) k += (size_t)snprintf(xtics + k, sizeof xtics - k, "%s\"%ld/D%ld%s%s\" %d", s ? ", " : "", z->width,
                                                     z->train_size, z->label[0] ? " " : "", z->label, s);
            else k += (size_t)snprintf(xtics + k, sizeof xtics - k, "%s\"%ld%s%s\" %d", s ? ", " : "", z->width,
                                       z->label[0] ? " " : "", z->label, s);
        }
    }
    fclose(c);
    snprintf(xtics + k, sizeof xtics - k, ") rotate by -45");
    char setup[2600], caption[500];
    snprintf(setup, sizeof setup, "%s\nset yrange [%d.5:-0.5]\nset xrange [-0.5:%d.5]\n%s\nunset grid\nunset key", xtics,
             st->C - 1, st->n_sizes - 1,
             st->regression ? "set logscale cb\nset cblabel 'test loss (MSE)'" : "set cbrange [0:1]\nset cblabel 'test accuracy'");
    snprintf(caption, sizeof caption, "Final test %s of every concept (rows, most frequent at the top) at every model "
             "size (columns; width, or width/D for fixed-D runs), mean over seeds: %s, %d concepts, Zipf s = %g.",
             st->regression ? "loss" : "accuracy", st->task, st->C, st->zipf);
    snprintf(title, sizeof title, "%s by frequency rank and width%s", st->regression ? "Test loss" : "Accuracy", label);
    snprintf(plot, sizeof plot, "plot '%s.csv' skip 1 using 1:2:3 with image pixels notitle", name);
    figure_draw(r, name, title, "model width", "concept (frequency rank)", setup, plot, caption);
}

static void learned(Report *r, const ConceptStudy *st, const char *tag, const char *label) {
    char name[128], title[256], plot[300], caption[400];
    snprintf(name, sizeof name, "concepts_learned%s", tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,width,learned_mean,learned_sd,expected_loss\n");
    int rows = 0;
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        if (z->train_size) continue;
        fprintf(c, "%ld,%ld,%.5g,%.5g,%.6g\n", z->n_params, z->width, mean_finite(z->run_learned, z->n_runs),
                sd_or_zero(z->run_learned, z->n_runs), mean_finite(z->run_loss, z->n_runs));
        rows++;
    }
    fclose(c);
    if (!rows) { report_note(r, "concepts learned: no sizes trained on fresh samples%s.", label); return; }
    snprintf(caption, sizeof caption, "Concepts whose final test loss is under %g nats, mean ± sd over seeds, at each "
             "model size trained on fresh samples.", st->threshold);
    snprintf(title, sizeof title, "Concepts learned against model size%s", label);
    snprintf(plot, sizeof plot, "plot '%s.csv' skip 1 using 1:3:4 with yerrorlines ls 1 title 'concepts learned'", name);
    figure_draw(r, name, title, "N, parameters", "concepts learned", "set logscale x", plot, caption);
}

static void order(Report *r, const ConceptStudy *st, const char *tag, const char *label) {
    char name[128], title[256], plot[1800], sizes[1024] = "";
    snprintf(name, sizeof name, "concepts_order%s", tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,concept,learn_step\n");
    size_t n = 0;
    int top = 0;   // the highest rank learned
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        if (z->train_size) continue;
        int any = 0;
        for (int cc = 0; cc < st->C; cc++)
            if (isfinite(z->learn_step[cc])) {
                fprintf(c, "%ld,%d,%.6g\n", z->n_params, cc, z->learn_step[cc]);
                any = 1;
                top = cc > top ? cc : top;
            }
        if (any && n + 24 < sizeof sizes) n += (size_t)snprintf(sizes + n, sizeof sizes - n, "%s%ld", n ? " " : "", z->n_params);
    }
    fclose(c);
    if (!n) {
        report_note(r, "learning order%s: no concept's test loss went under %g nats at any size.", label, st->threshold);
        return;
    }
    snprintf(plot, sizeof plot, "sizes = \"%s\"\n"
             "plot for [i=1:words(sizes)] '%s.csv' skip 1 using (column(1) == word(sizes,i)+0 ? $2 : NaN):3 "
             "with linespoints ls ((i-1)%%8+1) pt 7 ps 0.6 lw 1.5 "
             "title sprintf('N = %%s', word(sizes,i))", sizes, name);
    snprintf(title, sizeof title, "Learning order against frequency rank%s", label);
    char setup[48];   // ranks are whole numbers: about ten labels at most
    snprintf(setup, sizeof setup, "set xtics %d", top < 10 ? 1 : (top + 9) / 10);
    figure_draw(r, name, title, "concept (frequency rank)", "first step under the threshold (median over seeds)", setup, plot,
                "When each concept was first learned, by frequency rank: a rising line means concepts are learned in "
                "order of frequency, as the quantization model says.");
}

static void interference(Report *r, const ConceptStudy *st, const char *tag, const char *label) {
    char name[128], title[256], plot[800];
    snprintf(name, sizeof name, "interference%s", tag);
    FILE *c = figure_data(r, name);
    if (!c) return;
    fprintf(c, "n_params,width");
    for (int i = 0; i < PROBE_METRICS; i++) fprintf(c, ",%s,%s_sd", probe_metric_names[i], probe_metric_names[i]);
    fprintf(c, "\n");
    int rows = 0;
    for (int s = 0; s < st->n_sizes; s++) {
        const ConceptSize *z = &st->size[s];
        if (z->train_size) continue;
        if (!isfinite(z->probe_mean[PROBE_COS_FR])) continue;   // not probed
        fprintf(c, "%ld,%ld", z->n_params, z->width);
        for (int i = 0; i < PROBE_METRICS; i++)   // one run's error bar is zero, not absent (gnuplot drops NaN errors)
            fprintf(c, ",%.6g,%.6g", z->probe_mean[i], isfinite(z->probe_sd[i]) ? z->probe_sd[i] : 0);
        fprintf(c, "\n");
        rows++;
    }
    fclose(c);
    if (!rows) {
        report_note(r, "interference%s: no probes recorded (a world needs 4 or more concepts, and probe.concepts > 0).", label);
        return;
    }
    snprintf(plot, sizeof plot,
             "plot '%s.csv' skip 1 using 1:3:4 with yerrorlines ls 1 title 'frequent–frequent', \\\n"
             "  '' skip 1 using 1:5:6 with yerrorlines ls 2 title 'frequent–rare', \\\n"
             "  '' skip 1 using 1:7:8 with yerrorlines ls 3 title 'rare–rare', 0 with lines lc rgb '#888888' dt 2 title 'orthogonal'",
             name);
    snprintf(title, sizeof title, "Gradient interference against model size%s", label);
    figure_draw(r, name, title, "N, parameters", "mean cosine between concept gradients", "set logscale x", plot,
                "Mean cosine similarity between the gradients of different concepts (the most and the least frequent, "
                "probe.concepts of each), averaged over evaluations and seeds: nearer zero means updates for one "
                "concept disturb the others less.");
}

static void concept_figures(Report *r, const ConceptStudy *st, const char *tag, const char *label) {
    heatmap(r, st, tag, label);
    learned(r, st, tag, label);
    order(r, st, tag, label);
    interference(r, st, tag, label);
    char data[300];
    snprintf(data, sizeof data, "%s%s", st->task, label);
    if (st->manifold_dim)
        report_fit_row(r, "data manifold α_N ≈ 4/d (Sharma & Kaplan, prediction)", data, "α_N", 4.0 / st->manifold_dim, NAN, NAN);
    else
        report_fit_row(r, "quantization model α_N = s − 1 (prediction)", data, "α_N", quanta_alpha_N(st->zipf), NAN, NAN);
}

enum { MAX_ZIPFS = 8 };

// The distinct world.zipf values of a sweep's runs (at most MAX_ZIPFS, ascending): 0 when the runs
// cannot be read.
static int sweep_zipfs(const char *db_path, const char *sweep, const char *where, double *zipfs) {
    ConceptReader *cr;
    ConceptRun *rows = NULL;
    int n = 0, k = 0;
    if (concept_reader_open(db_path, &cr) != 0) return 0;
    if (concept_reader_runs(cr, sweep, where, 0, &rows, &n) == 0)
        for (int i = 0; i < n; i++) {
            int seen = 0;
            for (int j = 0; j < k; j++) seen |= zipfs[j] == rows[i].zipf;
            if (!seen && k < MAX_ZIPFS) zipfs[k++] = rows[i].zipf;
        }
    free(rows);
    concept_reader_close(cr);
    for (int i = 1; i < k; i++)   // insertion sort: a handful
        for (int j = i; j > 0 && zipfs[j] < zipfs[j - 1]; j--) { double t = zipfs[j]; zipfs[j] = zipfs[j - 1]; zipfs[j - 1] = t; }
    return k;
}

// A sweep over the Zipf exponent (one toy world per s): each world's figures, then α_N against the
// quantization model's s − 1 with the identity line (Michaud et al. 2023: L ∝ N^−(s−1)). Returns the
// worlds drawn.
static int zipf_worlds(Report *r, const char *db_path, const char *sweep, long first_id, const char *where, double threshold) {
    double zipfs[MAX_ZIPFS], alpha[MAX_ZIPFS][3];
    int nz = sweep_zipfs(db_path, sweep, where, zipfs), drawn = 0;
    if (nz < 2) return 0;
    for (int z = 0; z < nz; z++) {
        char tag[48], label[300], *cond = report_cond_world_zipf(where, zipfs[z]);
        ConceptStudy st;
        alpha[z][0] = alpha[z][1] = alpha[z][2] = NAN;
        int loaded = concept_study_load(db_path, sweep, cond, threshold, 0, &st) == 0;
        free(cond);
        if (!loaded) continue;   // still several worlds: not this split
        snprintf(tag, sizeof tag, "_sweep%ld_z%d", first_id, z + 1);
        snprintf(label, sizeof label, " (sweep %s, s = %g)", sweep, zipfs[z]);
        concept_figures(r, &st, tag, label);
        ConceptExponent e;
        if (concept_exponent(&st, AXIS_N, 0, 200, &e) == 0) { alpha[z][0] = e.alpha; alpha[z][1] = e.lo; alpha[z][2] = e.hi; }
        concept_study_free(&st);
        drawn++;
    }
    char name[64];
    snprintf(name, sizeof name, "concepts_alpha_vs_s_sweep%ld", first_id);
    FILE *c = figure_data(r, name);
    if (!c) return drawn;
    fprintf(c, "zipf,s_minus_1,alpha_N,lo,hi\n");
    int points = 0;
    for (int z = 0; z < nz; z++) {
        fprintf(c, "%g,%g,%.6g,%.6g,%.6g\n", zipfs[z], zipfs[z] - 1, alpha[z][0], alpha[z][1], alpha[z][2]);
        points += isfinite(alpha[z][0]);
    }
    fclose(c);
    if (points < 2) {
        report_missing(r, "α_N against s − 1", "two or more Zipf exponents each trained at 3 or more sizes on fresh samples");
        return drawn;
    }
    char plot[600], title[200];
    snprintf(plot, sizeof plot,
             "plot '%s.csv' skip 1 using 2:3:4:5 with yerrorbars ls 1 pt 7 title 'measured α_N (95%% bootstrap interval)', \\\n"
             "  x with lines lc rgb '#888888' dt 2 title 'quantization model: α_N = s − 1'", name);
    snprintf(title, sizeof title, "Scaling exponent against the Zipf exponent (sweep %s)", sweep);
    figure_draw(r, name, title, "s − 1 (task frequencies p_k ∝ k^−s)", "α_N (L ∝ N^−α_N)", "set xrange [0:*]\nset yrange [0:*]", plot,
                "α_N of the expected test loss against model size at each Zipf exponent s, against the quantization "
                "model's prediction α_N = s − 1 (Michaud et al. 2023), the dashed identity line.");
    return drawn;
}

void section_concepts(Report *r, ReportDb *db, const char *db_path, const char *sweep, const char *where, double threshold) {
    report_section(r, "concepts", "Concepts in toy worlds", "Per-concept test metrics of toy-world runs (concept = "
                   "frequency rank, 0 the most frequent): which concepts each size learns, in what order, and how much "
                   "updates for frequent concepts interfere with rare ones.");
    ConceptStudy st;
    int rc = concept_study_load(db_path, sweep, where, threshold, 0, &st), loaded = rc == 0;
    if (loaded && (sweep || !st.mixed[0])) {
        if (st.mixed[0])
            report_note(r, "concepts: sizes of equal N and D differ in %s: each column is one setting, but the curves "
                        "across sizes pool them.", st.mixed);
        concept_figures(r, &st, "", "");
        concept_study_free(&st);
    } else if (!loaded && (sweep || rc != CONCEPT_STUDY_SEVERAL_WORLDS)) {
        report_missing(r, "concepts", "finished toy-world runs (task zipf-concepts, sparse-parity, …), which record "
                       "per-concept metrics");
    } else {   // several worlds, or settings besides N and D that differ (two learning rates): one set per sweep
        if (loaded) {
            report_note(r, "concepts: sizes of equal N and D differ in %s: one set of figures per sweep.", st.mixed);
            concept_study_free(&st);
        }
        ReportSweepNames sweeps;
        int drawn = 0;
        // by name (a sweep edited and rerun keeps its name), figures tagged by the first id: names may collide as file names
        if (report_db_sweep_names(db, &sweeps) == 0) {
            for (int i = 0; i < sweeps.n; i++) {
                const char *name = sweeps.sweep[i].name;
                char tag[32], label[300];
                if (concept_study_load(db_path, name, where, threshold, 0, &st) != 0) {
                    drawn += zipf_worlds(r, db_path, name, sweeps.sweep[i].first_id, where, threshold);   // a sweep over s
                    continue;
                }
                snprintf(tag, sizeof tag, "_sweep%ld", sweeps.sweep[i].first_id);
                snprintf(label, sizeof label, " (sweep %s)", name);
                if (st.mixed[0])
                    report_note(r, "concepts%s: sizes of equal N and D differ in %s: each column is one setting, but the "
                                "curves across sizes pool them.", label, st.mixed);
                concept_figures(r, &st, tag, label);
                concept_study_free(&st);
                drawn++;
            }
            report_sweep_names_free(&sweeps);
        }
        if (!drawn) report_note(r, "the database holds several toy worlds and no sweep holds just one of them.");
    }
    report_section_end(r);
}

// Toy worlds: per-concept accuracy as a heat map over frequency rank × model
// size, concepts learned against N, the learning order, and interference.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "concepts/study.h"
#include "report/sections.h"
#include "stats/describe.h"

// Error bars of one run are zero, not absent (gnuplot drops a point whose error is NaN).
static double sd_or_zero(const double *v, int n) {
    double sd = sd_finite(v, n);
    return isfinite(sd) ? sd : 0;
}

void section_concepts(Report *r, const char *db_path, double threshold) {
    report_section(r, "concepts", "Concepts in toy worlds", "Per-concept test metrics of toy-world runs (concept = "
                   "frequency rank, 0 the most frequent): which concepts each size learns, in what order, and how much "
                   "updates for frequent concepts interfere with rare ones.");
    ConceptStudy st;
    char err[1024];
    if (concept_study_load(db_path, NULL, threshold, 0, &st, err, sizeof err) != 0) {
        report_note(r, "%s", err);
        report_section_end(r);
        return;
    }
    // the heat map: x = size index, y = rank
    FILE *c = figure_data(r, "concepts_heatmap");
    char xtics[2048] = "set xtics (";
    size_t k = strlen(xtics);
    if (c) {
        fprintf(c, "size_index,concept,%s,width,n_params,train_size,p\n", st.regression ? "test_loss" : "accuracy");
        for (int s = 0; s < st.n_sizes; s++) {
            const ConceptSize *z = &st.size[s];
            for (int cc = 0; cc < st.C; cc++)
                fprintf(c, "%d,%d,%.5g,%ld,%ld,%ld,%.5g\n", s, cc, st.regression ? z->loss[cc] : z->acc[cc], z->width,
                        z->n_params, z->train_size, st.p[cc]);
            if (k + 40 < sizeof xtics) {
                if (z->train_size) k += (size_t)snprintf(xtics + k, sizeof xtics - k, "%s\"%ld/D%ld\" %d", s ? ", " : "", z->width, z->train_size, s);
                else k += (size_t)snprintf(xtics + k, sizeof xtics - k, "%s\"%ld\" %d", s ? ", " : "", z->width, s);
            }
        }
        fclose(c);
        snprintf(xtics + k, sizeof xtics - k, ") rotate by -45");
        char setup[2600], caption[400];
        snprintf(setup, sizeof setup, "%s\nset yrange [%d.5:-0.5]\nset xrange [-0.5:%d.5]\n%s\n"
                 "set palette defined (0 '#440154', 0.5 '#21918c', 1 '#fde725')\nunset grid",
                 xtics, st.C - 1, st.n_sizes - 1,
                 st.regression ? "set logscale cb\nset cblabel 'test loss (MSE)'" : "set cbrange [0:1]\nset cblabel 'test accuracy'");
        snprintf(caption, sizeof caption, "Final test %s of every concept (rows, most frequent at the top) at every "
                 "model size (columns; width, or width/D for fixed-D runs), mean over seeds: %s, %d concepts, Zipf s = %g.",
                 st.regression ? "loss" : "accuracy", st.task, st.C, st.zipf);
        figure_draw(r, "concepts_heatmap", st.regression ? "Test loss by frequency rank and width" : "Accuracy by frequency rank and width", "model width", "concept (frequency rank)",
                    setup, "plot 'concepts_heatmap.csv' skip 1 using 1:2:3 with image notitle", caption);
    }
    // concepts learned against N, and the interference probes against N (fresh-data sizes)
    if ((c = figure_data(r, "concepts_learned"))) {
        fprintf(c, "n_params,width,learned_mean,learned_sd,expected_loss\n");
        for (int s = 0; s < st.n_sizes; s++) {
            const ConceptSize *z = &st.size[s];
            if (z->train_size) continue;
            fprintf(c, "%ld,%ld,%.5g,%.5g,%.6g\n", z->n_params, z->width, mean_finite(z->run_learned, z->n_runs),
                    sd_or_zero(z->run_learned, z->n_runs), mean_finite(z->run_loss, z->n_runs));
        }
        fclose(c);
        char caption[400];
        snprintf(caption, sizeof caption, "Concepts whose final test loss is under %g nats, mean ± sd over seeds, "
                 "at each model size trained on fresh samples.", threshold);
        figure_draw(r, "concepts_learned", "Concepts learned against model size", "N, parameters", "concepts learned",
                    "set logscale x", "plot 'concepts_learned.csv' skip 1 using 1:3:4 with yerrorlines ls 1 title 'concepts learned'", caption);
    }
    if ((c = figure_data(r, "concepts_order"))) {
        fprintf(c, "n_params,concept,learn_step\n");
        char sizes[1024] = "";
        size_t n = 0;
        for (int s = 0; s < st.n_sizes; s++) {
            const ConceptSize *z = &st.size[s];
            if (z->train_size) continue;
            int learned = 0;
            for (int cc = 0; cc < st.C; cc++)
                if (isfinite(z->learn_step[cc])) { fprintf(c, "%ld,%d,%.6g\n", z->n_params, cc, z->learn_step[cc]); learned++; }
            if (learned && n + 24 < sizeof sizes) n += (size_t)snprintf(sizes + n, sizeof sizes - n, "%s%ld", n ? " " : "", z->n_params);
        }
        fclose(c);
        char plot[1600];
        snprintf(plot, sizeof plot, "sizes = \"%s\"\n"
                 "plot for [i=1:words(sizes)] 'concepts_order.csv' skip 1 using (column(1) == word(sizes,i)+0 ? $2 : NaN):3 "
                 "with linespoints pt 7 ps 0.6 lw 1.5 lc palette frac (words(sizes) > 1 ? (i-1.0)/(words(sizes)-1) : 0) "
                 "title sprintf('N = %%s', word(sizes,i))", sizes);
        if (!n) report_note(r, "learning order: no concept's test loss went under %g nats at any size.", threshold);
        else figure_draw(r, "concepts_order", "Learning order against frequency rank", "concept (frequency rank)",
                    "first step under the threshold (median over seeds)",
                    "set palette defined (0 '#440154', 0.5 '#21918c', 1 '#fde725')\nunset colorbox", plot,
                    "When each concept was first learned, by frequency rank: a rising line means concepts are learned in "
                    "order of frequency, as the quantization model says.");
    }
    if ((c = figure_data(r, "interference"))) {
        fprintf(c, "n_params,width");
        for (int i = 0; i < PROBE_METRICS; i++) fprintf(c, ",%s,%s_sd", probe_metric_names[i], probe_metric_names[i]);
        fprintf(c, "\n");
        int rows = 0;
        for (int s = 0; s < st.n_sizes; s++) {
            const ConceptSize *z = &st.size[s];
            if (z->train_size) continue;
            fprintf(c, "%ld,%ld", z->n_params, z->width);
            for (int i = 0; i < PROBE_METRICS; i++) {
                double vals[z->n_runs];
                for (int m = 0; m < z->n_runs; m++) vals[m] = z->run_probe[m][i];
                fprintf(c, ",%.6g,%.6g", mean_finite(vals, z->n_runs), sd_or_zero(vals, z->n_runs));
            }
            fprintf(c, "\n");
            rows++;
        }
        fclose(c);
        if (rows)
            figure_draw(r, "interference", "Gradient interference against model size", "N, parameters",
                        "mean cosine between concept gradients", "set logscale x",
                        "plot 'interference.csv' skip 1 using 1:3:4 with yerrorlines ls 1 title 'frequent–frequent', \\\n"
                        "  '' skip 1 using 1:5:6 with yerrorlines ls 2 title 'frequent–rare', \\\n"
                        "  '' skip 1 using 1:7:8 with yerrorlines ls 3 title 'rare–rare', 0 with lines lc rgb '#888888' dt 2 title 'orthogonal'",
                        "Mean cosine similarity between the gradients of different concepts (the 8 most and 8 least "
                        "frequent), averaged over evaluations and seeds: nearer zero means updates for one concept "
                        "disturb the others less.");
    }
    report_fit_row(r, "quantization model α_N = s − 1 (prediction)", st.task, "α_N", quanta_alpha_N(st.zipf), NAN, NAN);
    concept_study_free(&st);
    report_section_end(r);
}

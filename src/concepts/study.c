#include "concepts/study.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "base/zipf.h"
#include "stats/describe.h"
#include "store/read_concepts.h"

double quanta_alpha_N(double s) { return s - 1.0; }
double quanta_alpha_D(double s) { return (s - 1.0) / s; }

static void size_init(ConceptSize *z, const ConceptRun *r, int runs, int C) {
    *z = (ConceptSize){ .n_params = r->n_params, .width = r->width, .depth = r->depth, .train_size = r->train_size };
    z->run_loss = xcalloc(runs, sizeof(double));
    z->run_learned = xcalloc(runs, sizeof(double));
    z->run_probe = xcalloc(runs, sizeof *z->run_probe);
    z->acc = xcalloc(C, sizeof(double));
    z->loss = xcalloc(C, sizeof(double));
    z->learned_frac = xcalloc(C, sizeof(double));
    z->learn_step = xcalloc(C, sizeof(double));
}

// Per-run values of one size, [run][C] each: what its summaries are taken over.
typedef struct {
    double *acc, *loss, *step;   // final accuracy and loss; first step under the threshold, NaN unless learned
} RunTable;

// Reads run r (the m-th of z's `runs`) into z's per-run arrays and row m of t.
static int add_run(ConceptReader *db, const ConceptStudy *st, const ConceptRun *r, int runs, ConceptSize *z, RunTable *t) {
    int C = st->C, m = z->n_runs++;
    double *loss = xmalloc(sizeof(double) * C * 3), *acc = loss + C, *first = loss + 2 * C;
    int rc = concept_reader_metrics_at(db, r->id, r->final_step, C, loss, acc);
    if (rc == 0) rc = concept_reader_first_under(db, r->id, st->threshold, C, first);
    if (rc == 0) rc = concept_reader_probe_means(db, r->id, probe_metric_names, PROBE_METRICS, z->run_probe[m]);
    for (int c = 0; c < C && rc == 0; c++) {
        int learned = loss[c] < st->threshold;
        z->run_loss[m] += st->p[c] * loss[c];
        z->run_learned[m] += learned;
        t->acc[(size_t)m * C + c] = acc[c];
        t->loss[(size_t)m * C + c] = loss[c];
        z->learned_frac[c] += learned / (double)runs;
        t->step[(size_t)m * C + c] = learned ? first[c] : NAN;
    }
    free(loss);
    return rc;
}

// z's summaries over its runs: per-concept means, probe means, median first steps.
static void size_summarize(ConceptSize *z, int C, const RunTable *t) {
    int R = z->n_runs;
    z->loss_mean = mean_finite(z->run_loss, R);
    z->loss_sd = sd_finite(z->run_loss, R);
    z->learned_mean = mean_finite(z->run_learned, R);
    z->learned_sd = sd_finite(z->run_learned, R);
    for (int c = 0; c < C; c++) {   // means over the runs that have the concept's row (NaN skipped)
        double a[R], l[R];
        for (int m = 0; m < R; m++) { a[m] = t->acc[(size_t)m * C + c]; l[m] = t->loss[(size_t)m * C + c]; }
        z->acc[c] = mean_finite(a, R);
        z->loss[c] = mean_finite(l, R);
    }
    for (int i = 0; i < PROBE_METRICS; i++) {
        double v[R];
        for (int m = 0; m < R; m++) v[m] = z->run_probe[m][i];
        z->probe_mean[i] = mean_finite(v, R);
        z->probe_sd[i] = sd_finite(v, R);
    }
    for (int c = 0; c < C; c++) {   // median first step over the runs that learned c
        double v[R];
        int k = 0;
        for (int m = 0; m < R; m++)
            if (isfinite(t->step[(size_t)m * C + c])) v[k++] = t->step[(size_t)m * C + c];
        gsl_sort(v, 1, k);
        z->learn_step[c] = k ? gsl_stats_median_from_sorted_data(v, 1, k) : NAN;
    }
}

// One size from its runs rows[n] (a group: equal but for their seeds). Returns 0, or −1.
static int size_load(ConceptReader *db, ConceptStudy *st, const ConceptRun *rows, int n, ConceptSize *z) {
    int C = st->C;
    size_init(z, &rows[0], n, C);
    double *work = xmalloc(sizeof(double) * (size_t)n * C * 3);
    RunTable t = { work, work + (size_t)n * C, work + 2 * (size_t)n * C };
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) rc = add_run(db, st, &rows[k], n, z, &t);
    if (rc == 0) size_summarize(z, C, &t);
    free(work);
    return rc;
}

// Each size's settings besides N and D that differ between the sizes, and what differs at
// equal N and D (st->mixed). Sizes follow the rows' group order. Unreadable params leave the
// labels empty: the study itself stands.
static void label_sizes(ConceptReader *db, const ConceptRun *rows, int n, ConceptStudy *st) {
    char (*keys)[17] = xmalloc(sizeof *keys * (n ? n : 1));
    int k = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(rows[i].group, rows[i - 1].group)) snprintf(keys[k++], 17, "%s", rows[i].group);
    char (*labels)[128] = xcalloc(k ? k : 1, sizeof *labels);
    if (k >= 2 && concept_reader_group_labels(db, (const char (*)[17])keys, k, labels, st->mixed, sizeof st->mixed) == 0)
        for (int s = 0; s < st->n_sizes && s < k; s++) snprintf(st->size[s].label, sizeof st->size[s].label, "%s", labels[s]);
    free(labels);
    free(keys);
}

// The study of rows[n], runs of one world ordered by size and group. Returns 0, or −1.
static int study_fill(ConceptReader *db, const ConceptRun *rows, int n, ConceptStudy *st) {
    int C = st->C = rows[0].C;
    st->zipf = rows[0].zipf;
    snprintf(st->task, sizeof st->task, "%s", rows[0].task);
    st->regression = !strcmp(st->task, "teacher-student") || !strcmp(st->task, "manifold") || !strcmp(st->task, "task-mixture");
    st->manifold_dim = !strcmp(st->task, "manifold") ? rows[0].manifold_dim : 0;
    st->p = xmalloc(sizeof(double) * C);
    zipf_frequencies(st->zipf, C, st->p);
    st->size = xcalloc(n, sizeof(ConceptSize));
    for (int i = 0; i < n;) {
        int j = i;
        // a "size" is a group of runs equal but for their seeds (other budgets or rates are other rows)
        while (j < n && !strcmp(rows[j].group, rows[i].group)) j++;
        if (size_load(db, st, rows + i, j - i, &st->size[st->n_sizes++]) != 0) return -1;
        i = j;
    }
    label_sizes(db, rows, n, st);
    return 0;
}

// The first row of another toy world than rows[0]'s, or 0 when all are one world.
static int other_world(const ConceptRun *rows, int n) {
    for (int i = 1; i < n; i++)
        if (strcmp(rows[i].task, rows[0].task) || strcmp(rows[i].world, rows[0].world)) return i;
    return 0;
}

int concept_study_load(const char *path, const char *sweep, const char *where, double threshold, int at_best, ConceptStudy *st) {
    memset(st, 0, sizeof *st);
    st->threshold = threshold;
    st->at_best = at_best;
    snprintf(st->source, sizeof st->source, "%s%s%s", path, sweep ? " sweep " : "", sweep ? sweep : "");
    ConceptReader *db = NULL;
    ConceptRun *rows = NULL;
    int n = 0, rc = concept_reader_open(path, &db), i;
    if (rc == 0) rc = concept_reader_runs(db, sweep, where, at_best, &rows, &n);
    if (rc != 0) {
        rc = -1;
    } else if (n == 0) {
        rc = jp_fail("%s: no finished runs with per-concept metrics (toy-world tasks)%s", st->source,
                 sweep ? " in this sweep" : "");
    } else if ((i = other_world(rows, n)) > 0) {
        jp_fail("%s: runs of several toy worlds (%s %.200s; and %s %.200s); choose one with --sweep",
                 st->source, rows[0].task, rows[0].world, rows[i].task, rows[i].world);
        rc = CONCEPT_STUDY_SEVERAL_WORLDS;
    } else if ((rc = study_fill(db, rows, n, st)) != 0) {
        concept_study_free(st);
    }
    free(rows);
    concept_reader_close(db);
    return rc;
}

void concept_study_free(ConceptStudy *st) {
    for (int i = 0; i < st->n_sizes; i++) {
        ConceptSize *z = &st->size[i];
        free(z->run_loss); free(z->run_learned); free(z->run_probe);
        free(z->acc); free(z->loss); free(z->learned_frac); free(z->learn_step);
    }
    free(st->size);
    free(st->p);
    memset(st, 0, sizeof *st);
}

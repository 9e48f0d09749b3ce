#include "concepts/injection.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/probe_metrics.h"
#include "base/xalloc.h"
#include "base/zipf.h"
#include "store/read_concepts.h"

SeedMean seed_mean(const double *v, int n) {
    SeedMean m = { NAN, NAN, NAN, 0 };
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) { sum += v[i]; m.n++; }
    if (m.n == 0) return m;
    m.mean = sum / m.n;
    if (m.n < 2) return m;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) sq += (v[i] - m.mean) * (v[i] - m.mean);
    double half = gsl_cdf_tdist_Pinv(0.975, m.n - 1) * sqrt(sq / (m.n - 1) / m.n);
    m.lo = m.mean - half;
    m.hi = m.mean + half;
    return m;
}

static double *copy(const double *v, size_t n) {
    double *out = xmalloc(sizeof(double) * (n ? n : 1));
    if (n) memcpy(out, v, sizeof(double) * n);
    return out;
}

void injection_size_compute(InjectionSize *z, int C, int inject, int n_runs, const double *base,
                            const double *injected, const double *returned, const double *cos_fr) {
    size_t cells = (size_t)n_runs * C;
    z->n_runs = n_runs;
    z->base = copy(base, cells);
    z->injected = copy(injected, cells);
    z->returned = copy(returned, cells);
    z->forget = xmalloc(sizeof(double) * (cells ? cells : 1));
    z->run_forget = xmalloc(sizeof(double) * (n_runs ? n_runs : 1));
    z->run_retention = xmalloc(sizeof(double) * (n_runs ? n_runs : 1));
    z->run_cos_fr = xmalloc(sizeof(double) * (n_runs ? n_runs : 1));
    double *drop = xmalloc(sizeof(double) * (n_runs ? n_runs : 1));
    for (int i = 0; i < n_runs; i++) {
        const double *b = base + (size_t)i * C, *j = injected + (size_t)i * C, *r = returned + (size_t)i * C;
        double *f = z->forget + (size_t)i * C, sum = 0;
        int k = 0;
        for (int c = 0; c < C; c++) {
            f[c] = c == inject ? NAN : j[c] - b[c];
            if (isfinite(f[c])) { sum += f[c]; k++; }
        }
        z->run_forget[i] = k ? sum / k : NAN;
        // Retention needs a drop to retain: an injection that did not help the task has none.
        drop[i] = b[inject] - j[inject];
        z->run_retention[i] = drop[i] > 0 ? (b[inject] - r[inject]) / drop[i] : NAN;
        z->run_cos_fr[i] = cos_fr ? cos_fr[i] : NAN;
    }
    z->forget_all = seed_mean(z->run_forget, n_runs);
    z->retention = seed_mean(z->run_retention, n_runs);
    z->drop = seed_mean(drop, n_runs);
    z->cos_fr = seed_mean(z->run_cos_fr, n_runs);
    z->forget_task = xmalloc(sizeof(SeedMean) * (C ? C : 1));
    double *col = xmalloc(sizeof(double) * (n_runs ? n_runs : 1));
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < n_runs; i++) col[i] = z->forget[(size_t)i * C + c];
        z->forget_task[c] = seed_mean(col, n_runs);
    }
    free(col);
    free(drop);
}

void injection_size_free(InjectionSize *z) {
    free(z->base); free(z->injected); free(z->returned); free(z->forget);
    free(z->run_forget); free(z->run_retention); free(z->run_cos_fr); free(z->forget_task);
    memset(z, 0, sizeof *z);
}

void injection_study_free(InjectionStudy *st) {
    for (int s = 0; s < st->n_sizes; s++) injection_size_free(&st->size[s]);
    free(st->size);
    free(st->p);
    memset(st, 0, sizeof *st);
}

// The runs with an injection among runs[n], in place; their injections into inj. Returns how many,
// or −1 (a reader error, or runs of several worlds or injected tasks).
static int keep_injected(ConceptReader *rd, ConceptRun *runs, int n, ConceptInjection *inj) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        ConceptInjection x;
        if (concept_reader_injection(rd, runs[i].id, &x) != 0) return -1;
        if (x.task < 0) continue;
        if (k > 0 && strcmp(runs[i].world, runs[0].world) != 0)
            return jp_fail("runs of more than one toy world have an injection; choose one with --sweep");
        if (k > 0 && (x.task != inj[0].task || x.share != inj[0].share))
            return jp_fail("runs inject different tasks or shares (%d at %g, %d at %g); choose one with --sweep",
                           inj[0].task, inj[0].share, x.task, x.share);
        if (x.task >= runs[i].C) return jp_fail("run %ld injects task %d of %d", runs[i].id, x.task, runs[i].C);
        inj[k] = x;
        runs[k++] = runs[i];
    }
    return k;
}

// Size s: runs[first, first + n) (equal n_params), their phase-end losses read from the store.
static int load_size(ConceptReader *rd, InjectionStudy *st, const ConceptRun *runs, const ConceptInjection *inj,
                     int first, int n, InjectionSize *z) {
    int C = st->C;
    size_t cells = (size_t)n * C;
    double *b = xmalloc(sizeof(double) * cells), *j = xmalloc(sizeof(double) * cells), *r = xmalloc(sizeof(double) * cells);
    double *acc = xmalloc(sizeof(double) * C), *cos = xmalloc(sizeof(double) * n);
    int rc = 0;
    const char *names[1] = { probe_metric_names[PROBE_COS_FR] };
    for (int i = 0; i < n && rc == 0; i++) {
        const ConceptRun *run = &runs[first + i];
        const ConceptInjection *x = &inj[first + i];
        rc = concept_reader_metrics_at(rd, run->id, x->start, C, b + (size_t)i * C, acc);
        if (rc == 0) rc = concept_reader_metrics_at(rd, run->id, x->end, C, j + (size_t)i * C, acc);
        if (rc == 0) rc = concept_reader_metrics_at(rd, run->id, x->ret, C, r + (size_t)i * C, acc);
        if (rc == 0) rc = concept_reader_probe_means(rd, run->id, names, 1, &cos[i]);
    }
    if (rc == 0) {
        z->n_params = runs[first].n_params;
        z->width = runs[first].width;
        injection_size_compute(z, C, st->inject, n, b, j, r, cos);
    }
    free(b); free(j); free(r); free(acc); free(cos);
    return rc;
}

int injection_study_load(const char *db, const char *sweep, const char *where, InjectionStudy *st) {
    memset(st, 0, sizeof *st);
    snprintf(st->source, sizeof st->source, "%s%s%s", db, sweep ? ", sweep " : "", sweep ? sweep : "");
    ConceptReader *rd;
    if (concept_reader_open(db, &rd) != 0) return -1;
    ConceptRun *runs = NULL;
    int n = 0, rc = concept_reader_runs(rd, sweep, where, 0, &runs, &n);
    ConceptInjection *inj = xmalloc(sizeof *inj * (n ? n : 1));
    for (int i = 0; rc == 0 && i < n; i++) st->mixture_runs += !strcmp(runs[i].task, "task-mixture");
    int k = rc == 0 ? keep_injected(rd, runs, n, inj) : -1;
    if (k < 0) rc = -1;
    else if (k == 0) rc = INJECTION_STUDY_NONE;
    if (rc == 0) {
        snprintf(st->task, sizeof st->task, "%s", runs[0].task);
        st->C = runs[0].C;
        st->zipf = runs[0].zipf;
        st->p = xmalloc(sizeof(double) * st->C);
        zipf_frequencies(st->zipf, st->C, st->p);
        st->inject = inj[0].task;
        st->share = inj[0].share;
        st->start = inj[0].start;
        st->end = inj[0].end;
        st->ret = inj[0].ret;
        // Runs arrive by (train_size, n_params): a size is a run of equal n_params and train_size.
        st->size = xcalloc(k, sizeof(InjectionSize));
        for (int i = 0, j; i < k && rc == 0; i = j) {
            for (j = i + 1; j < k && runs[j].n_params == runs[i].n_params && runs[j].train_size == runs[i].train_size; j++) {}
            rc = load_size(rd, st, runs, inj, i, j - i, &st->size[st->n_sizes++]);
        }
    }
    free(inj);
    free(runs);
    concept_reader_close(rd);
    if (rc < 0) injection_study_free(st);
    return rc;
}

int injection_trend(const InjectionStudy *st, InjectionQuantity q, SlopeFit *f) {
    int total = 0;
    for (int s = 0; s < st->n_sizes; s++) total += st->size[s].n_runs;
    double *x = xmalloc(sizeof(double) * (total ? total : 1)), *y = xmalloc(sizeof(double) * (total ? total : 1));
    int n = 0;
    for (int s = 0; s < st->n_sizes; s++) {
        const InjectionSize *z = &st->size[s];
        const double *v = q == INJECTION_FORGET ? z->run_forget : q == INJECTION_RETENTION ? z->run_retention : z->run_cos_fr;
        for (int i = 0; i < z->n_runs; i++)
            if (isfinite(v[i])) { x[n] = log10((double)z->n_params); y[n++] = v[i]; }
    }
    int rc = slope_fit(x, y, n, f);
    f->n = n;
    free(x);
    free(y);
    return rc;
}

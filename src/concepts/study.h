// A concept study: what a sweep over a toy world (data/world.h) says about
// which concepts each model size learns, when, and how much they interfere.
// Read from the store's concepts table (per-concept test metrics at every
// evaluation) and its probe metrics (train/probe.h measures them; base/probe_metrics.h
// names them), through store/read_concepts.h. The analyses of a loaded study are in
// concepts/analysis.h.
#pragma once
#include <stddef.h>

#include "base/probe_metrics.h"

typedef struct {
    long n_params, width, depth, train_size;   // train_size 0: fresh samples
    int n_runs;
    double *run_loss;          // [n_runs] Σ_c p_c · final test loss of c (the expected loss)
    double *run_learned;       // [n_runs] concepts whose final test loss is under the threshold
    double loss_mean, loss_sd, learned_mean, learned_sd;   // of run_loss and run_learned over the runs (NaN skipped)
    double (*run_probe)[PROBE_METRICS];   // [n_runs] each run's probe metrics, averaged over evaluations after step 0 (NaN: none)
    double probe_mean[PROBE_METRICS], probe_sd[PROBE_METRICS];   // of run_probe over the runs (NaN: none)
    double *acc, *loss;        // [C] final test accuracy and loss of each concept, mean over runs
    double *learned_frac;      // [C] fraction of runs that learned it
    double *learn_step;        // [C] median first step under the threshold, over the runs that learned it (NaN: none did)
    char label[128];           // the settings besides N and D that set this group apart ("optim.lr = 0.01"; "" when none)
} ConceptSize;

typedef struct {
    char task[32];
    int C;
    double zipf;
    double *p;                 // [C] concept frequencies (concept = frequency rank)
    int regression;            // targets, not labels: accuracies are NaN, show losses
    long manifold_dim;         // the manifold task's d (Sharma & Kaplan: α_N ≈ 4/d), else 0
    double threshold;
    int at_best;               // metrics at each run's best-validation step instead of its last evaluation
    int n_sizes;
    ConceptSize *size;         // ascending (train_size, n_params)
    char mixed[512];           // "optim.lr 0.001 vs 0.01" when sizes of equal N and D differ in it ("" when not):
                               // the exponents and trends across sizes then pool settings (store/groups.h)
    char source[512];
} ConceptStudy;

// sweep and where (a --where on runs r) may be NULL (every finished run with concept metrics). "Final" metrics are those of each
// run's last evaluation, or with at_best of its best-validation step (the early-stopping point:
// fixed-D runs that overfit).
#define CONCEPT_STUDY_SEVERAL_WORLDS 1
// Returns 0; CONCEPT_STUDY_SEVERAL_WORLDS when the runs selected are of more than one
// toy world (choose one with sweep); −1 on other errors. jp_error() says why.
int concept_study_load(const char *db, const char *sweep, const char *where, double threshold, int at_best, ConceptStudy *st);
void concept_study_free(ConceptStudy *st);

// Quantization model (Michaud et al. 2023): with p_c ∝ c^−s, α_N = s − 1 and α_D = (s − 1)/s.
double quanta_alpha_N(double s);
double quanta_alpha_D(double s);

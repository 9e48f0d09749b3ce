// The injection experiment (Huang, Lubana et al. 2026, resource competition and rare-task
// retention) read back from the store: runs that, after their base training, trained on a stream
// over-representing one task (injection.*, train/trainer.h's Injection), then returned to the base
// mixture. Per model size, across seeds:
//   forgetting  each other task's test-loss rise during the injection phase,
//               L_c(injection_end) − L_c(injection_start), against its frequency p_c
//   retention   of the injected task's loss drop during the injection, the fraction still there
//               after the return phase: (L(start) − L(return_end)) / (L(start) − L(injection_end))
//               (NaN for a run whose injection did not lower the task's loss)
//   probes      the mean frequent–rare gradient cosine of the run's evaluations (train/probe.h)
// Intervals are Student-t 95% intervals of the mean over seeds (few seeds: a bootstrap of 3
// values says nothing). Plain structs out; errors through jp_fail (base/error.h).
#pragma once
#include "stats/slope.h"

typedef struct {
    double mean, lo, hi;   // over the runs with a finite value; lo, hi NaN below 2 runs
    int n;
} SeedMean;

// The mean of v[n]'s finite values with its 95% Student-t interval.
SeedMean seed_mean(const double *v, int n);

typedef struct {
    long n_params, width;
    int n_runs;
    double *base, *injected, *returned;   // [n_runs][C] each task's test loss at the three phase ends
    double *forget;        // [n_runs][C] injected − base (NaN at the injected task)
    double *run_forget;    // [n_runs] mean forgetting over the other tasks
    double *run_retention; // [n_runs]
    double *run_cos_fr;    // [n_runs] mean frequent–rare gradient cosine (NaN: not probed)
    SeedMean forget_all;   // of run_forget
    SeedMean retention;    // of run_retention
    SeedMean drop;         // the injected task's loss drop during the injection, L(start) − L(end)
    SeedMean cos_fr;       // of run_cos_fr
    SeedMean *forget_task; // [C] each task's forgetting over seeds
} InjectionSize;

typedef struct {
    char task[32];
    int C;
    double zipf;
    double *p;             // [C] task frequencies (task = frequency rank)
    int inject;            // the injected task
    double share;
    long start, end, ret;  // the phase boundaries (of the first run; sizes may differ, each run uses its own)
    int n_sizes;
    InjectionSize *size;   // ascending n_params
    int mixture_runs;      // finished task-mixture runs selected, with an injection or not (set also when none has one)
    char source[512];
} InjectionStudy;

// Per-size numbers from the phase-end losses of n_runs runs: base/injected/returned [n_runs][C]
// (copied), cos_fr [n_runs] (may be NULL). The arithmetic behind injection_study_load, on plain arrays.
void injection_size_compute(InjectionSize *z, int C, int inject, int n_runs, const double *base,
                            const double *injected, const double *returned, const double *cos_fr);
void injection_size_free(InjectionSize *z);

#define INJECTION_STUDY_NONE 1
// Loads the finished runs with an injection of db (sweep, where: as concepts/study.h; NULL: all).
// Returns 0; INJECTION_STUDY_NONE when no run has one (st is then empty but for mixture_runs); −1 on errors, among them
// runs of several worlds or several injected tasks (choose one with sweep). jp_error() says why.
int injection_study_load(const char *db, const char *sweep, const char *where, InjectionStudy *st);
void injection_study_free(InjectionStudy *st);

// A per-run quantity against log10 N over every run of every size, least squares with its 95%
// interval (stats/slope.h): how forgetting, retention or the gradient cosine moves per decade of N.
typedef enum { INJECTION_FORGET, INJECTION_RETENTION, INJECTION_COS_FR } InjectionQuantity;
// Returns 0, or −1 (f->n: the runs with a finite value) with fewer than 3 runs or one size.
int injection_trend(const InjectionStudy *st, InjectionQuantity q, SlopeFit *f);

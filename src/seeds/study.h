// The analysis behind `jackpot dist`: how outcomes spread across seeds, per group of
// runs that differ only in their seeds (stats/samples.h), and how that spread moves
// with the model size. Everything is computed here into a SeedStudy; the command
// only prints it (text, JSON) and records it.
//
// Per group, in five units (loss, log-loss, error, accuracy, logit(accuracy)):
// describe() with bootstrap intervals, an Anderson–Darling test, and from
// SEED_TAIL_MIN_N runs on, Hill tail indices of the good ("jackpot") and the bad
// tail beyond the median; on the loss, the expected best of k seeds against the
// power law's L(k·N), and where init and data seeds are crossed, the two-way
// variance split. Across sizes: std and IQR ∝ N^k (slope_fit in logs) and the
// power law L(N) itself.
//
// Bootstrap draws, all from the one --seed s; streams in base/rng.h, and every index
// resample·count + position, so that no two draws share a counter whatever the counts:
//   describe of unit u in group g   seed s + 16·g + u    RNG_STREAM_DESCRIBE
//   its Hill tails (good, bad)      that + 1, + 2        RNG_STREAM_DIST_TAILS
//   best of k                       s + 7                RNG_STREAM_DIST_BEST_OF_K
//   variance split: init seeds      s + 9                RNG_STREAM_DIST_VARIANCE_INIT
//                   data seeds      s + 10               RNG_STREAM_DIST_VARIANCE_DATA
//   the law L(N)                    s                    (fit_law's)
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "stats/describe.h"
#include "stats/samples.h"
#include "stats/slope.h"

#define SEED_TAIL_MIN_N 30     // fewer runs than this: no tail claim
#define SEED_LAW_POINTS 64     // L(N) on every run up to this many sizes; past it, pooled bins of sizes

enum { SEED_LOSS, SEED_LOG_LOSS, SEED_ERROR, SEED_ACC, SEED_LOGIT_ACC, SEED_UNITS };
extern const char *const seed_unit_names[SEED_UNITS];        // "loss", "log_loss", "error", "accuracy", "logit_accuracy"
extern const int seed_unit_lower_is_better[SEED_UNITS];

typedef struct {
    int k;                     // the values beyond the median that the estimate uses: ⌊√(values on that side)⌋
    double alpha, lo, hi;      // Hill's α̂ and its 95% bootstrap interval (NaN: none)
} HillTail;

typedef struct {
    int present;               // the unit has values (the accuracy units need every run's accuracy)
    char *refused;             // describe()'s reason when it refused (nothing below is set), else NULL
    Describe d;
    double ad, ad_p;           // Anderson–Darling A*² and its p (anderson_darling)
    int tails;                 // n ≥ SEED_TAIL_MIN_N: good and bad are set
    HillTail good, bad;        // good: the tail of unusually good outcomes (low loss, high accuracy)
} SeedUnit;

typedef struct {
    int k;
    double best, lo, hi;       // expected best (lowest) loss of k seeds, 95% bootstrap interval
    double law, law_lo, law_hi;   // L(k·N) from the power law across sizes (NaN without one)
} BestOfK;

typedef struct {
    int grid;                  // seed_grid(): 0 split below; 1 seeds not crossed (nothing to say); −1 refused (why)
    char why[256];
    int I, J;                  // init seeds, data seeds
    double var[3], lo[3], hi[3];   // init, data, interaction+residual: variance_two_way and 95% bootstrap intervals
} VarianceSplit;

typedef struct {
    double N, D;
    int n;                     // runs
    char label[256];           // "N=62 D=0", and from a database what else sets the group apart (", optim.lr = 0.01")
    SeedUnit unit[SEED_UNITS];
    int n_best;                // k = 1, 2, 3, 4, 8, …, n; none below 2 runs
    BestOfK *best;             // [n_best]
    VarianceSplit split;
} SeedGroupStats;

typedef struct {
    int ok;                    // fitted; else why says why not
    char why[512];
    int intervals;             // bootstrap intervals (lo, hi) exist
    double v[3], lo[3], hi[3]; // E, A, alpha
    int points, runs, sizes;   // fitted on every run (points = runs) or on the median loss of bins of sizes
} SeedLaw;

typedef struct {
    char source[512];
    char mixed[1200];          // when groups of equal N and D differ (two learning rates): what, and the --where for one
    int n_groups;
    SeedGroupStats *group;     // [n_groups] in the order of the samples
    int have_unit[SEED_UNITS]; // described in at least one group: a spread_vs_N entry
    SlopeFit spread[SEED_UNITS][2];   // [unit][std, IQR]: log spread against log N (n: the groups used)
    SeedLaw law;
} SeedStudy;

typedef struct {
    double eval_size;          // examples behind each accuracy: logit's clip to [1/(2m), 1 − 1/(2m)]
    int n_boot;                // bootstrap resamples (describe; tails n_boot/4; law n_boot/5)
    uint64_t seed;
} SeedOptions;

// Analyses the samples. db (may be NULL: a CSV) is where they came from: there, what tells
// the groups apart is read for the labels and the mixed warning. Cannot fail: what cannot be
// computed is said in the study (refused units, refused splits, no law).
void seed_study_run(const Samples *S, const char *db, const SeedOptions *o, SeedStudy *st);
void seed_study_free(SeedStudy *st);

// The unit's verdict: the normality test, and from SEED_TAIL_MIN_N runs on which tail is
// heavier with the Hill indices; for a group of n runs (u described, not refused).
void seed_unit_verdict(const SeedUnit *u, int n, char *out, size_t len);

// " [lo, hi]" at prec significant digits, or "" when the interval was not computed (--boot 0,
// too few values). b has n bytes.
const char *seed_interval_text(char *b, size_t n, double lo, double hi, int prec);

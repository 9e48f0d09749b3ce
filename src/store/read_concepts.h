// Typed readers for concept studies (concepts/study.h): the finished runs of a toy
// world with per-concept metrics, each run's per-concept test metrics at one step,
// the first step each concept's test loss went under a threshold, and a run's probe
// metrics averaged over its evaluations. Errors through jp_fail (base/error.h).
#pragma once
#include <stddef.h>

typedef struct ConceptReader ConceptReader;   // an open read-only database

typedef struct {
    long id, n_params, width, depth, train_size;   // train_size 0: fresh samples
    long final_step;     // the step the run's "final" metrics are read at (see concept_reader_runs)
    long manifold_dim;   // world.manifold_dim (0 when unset)
    int C;               // world.concepts
    double zipf;         // world.zipf
    char task[32];
    char world[512];     // every world.* field but the data size: equal for runs of one world
    char group[17];      // the run's group hash: runs equal but for their seeds ("" when none)
} ConceptRun;

// Opens path read-only (store_open_read). Returns 0, or −1.
int concept_reader_open(const char *path, ConceptReader **r);
void concept_reader_close(ConceptReader *r);   // r may be NULL

// The finished runs that have per-concept metrics, of sweep (NULL: every one) and where (a --where
// on runs r, store/where.h; NULL: all), in ascending
// (train_size, n_params, group, id). final_step is each run's last step with concept metrics,
// or with at_best its summary best_step when it has one. *runs is allocated (free it), also
// when none match (*n = 0). Returns 0, or −1.
int concept_reader_runs(ConceptReader *r, const char *sweep, const char *where, int at_best, ConceptRun **runs, int *n);

// loss[C] and acc[C]: each concept's test metrics of run_id at step (NaN where absent or NULL;
// concepts outside 0..C−1 are skipped). Returns 0, or −1.
int concept_reader_metrics_at(ConceptReader *r, long run_id, long step, int C, double *loss, double *acc);

// first[C]: the first step at which each concept's test loss was under threshold (NaN: never).
// Returns 0, or −1.
int concept_reader_first_under(ConceptReader *r, long run_id, double threshold, int C, double *first);

// mean[n]: the mean of the run's probe metrics names[n] over its evaluations after step 0
// (NaN: none recorded). Returns 0, or −1.
int concept_reader_probe_means(ConceptReader *r, long run_id, const char *const *names, int n, double *mean);

// The injection experiment of a run (sweep/spec.h injection.*; concepts/injection.h): the injected
// concept (−1: the run has none), its share of the injection stream, and the phase boundaries the
// run recorded as summaries: the end of base training (injection_start), of the injection phase
// (injection_end) and of the return phase (return_end). Returns 0, or −1.
typedef struct {
    int task;
    double share;
    long start, end, ret;
} ConceptInjection;
int concept_reader_injection(ConceptReader *r, long run_id, ConceptInjection *inj);

// What tells the groups hashes[n] apart (store/groups.h), for labelling one size per group:
// labels[n] each group's values of the fields that differ between the groups besides the
// N and D axes ("optim.lr = 0.01"; "" when none), and mixed[mixed_len] those that differ between
// groups of equal N and D ("optim.lr 0.001 vs 0.01"; "" when none). Returns 0, or −1.
int concept_reader_group_labels(ConceptReader *r, const char (*hashes)[17], int n, char (*labels)[128], char *mixed,
                                size_t mixed_len);

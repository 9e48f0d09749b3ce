// Points for fitting: one observed loss at (N, D, C), with the cluster it belongs
// to (runs that differ only in seeds form a cluster, and the bootstrap resamples
// whole clusters). Loaded from the store or from a CSV a user brings; this module
// and the rest of src/fit include no training header.
#pragma once
#include <stddef.h>

// unique: the distinct training examples (or tokens) a run could see; epochs: how many times it
// saw them on average (examples seen ÷ unique), for the data-constrained law.
typedef enum { AXIS_N, AXIS_D, AXIS_C, AXIS_STEPS, AXIS_UNIQUE, AXIS_EPOCHS, AXIS_COUNT } Axis4;

typedef struct {
    int n;
    double *x[AXIS_COUNT];   // [n] each; NaN where unknown
    double *loss;            // [n]
    int *cluster;            // [n] in 0..n_clusters−1
    int n_clusters;
    char (*group)[17];       // [n_clusters] from a store: each cluster's group hash (runs.group_hash); else NULL
    char source[512];        // where the points came from, for the record
} Points;

// Room for cap points, none yet (n = 0; x zeroed); points_free releases it.
void points_alloc(Points *p, int cap);
void points_free(Points *p);
const char *axis_name(Axis4 a);          // "params", "data", "flops", "steps", "unique", "epochs"
int axis_parse(const char *name, Axis4 *a);

// From a CSV with a header row. cols[a] names the column of axis a (or NULL);
// loss_col names the loss; cluster_col (may be NULL: each row its own cluster).
int points_from_csv(const char *path, const char *const cols[AXIS_COUNT], const char *loss_col,
                    const char *cluster_col, Points *p);

// From a jackpot store: one point per run (status done) with summary `metric`
// (final_test_loss, best_val_loss, …), or, when metric is "eval:SPLIT_NAME" (e.g.
// eval:val_loss), one point per evaluation with x from its examples and FLOPs.
// sweep (may be NULL) restricts to one sweep; where (may be NULL) is an extra
// SQL condition on the runs table, aliased r (e.g. "r.depth = 2"). The rows come from the
// store's reader (store/read_fit.h); each group of runs (runs.group_hash) is one cluster.
int points_from_store(const char *db, const char *sweep, const char *metric, const char *where,
                      Points *p);

// idx[n] = the point indices in ascending order of axis a (ties by index).
void points_order_by(const Points *p, Axis4 a, int *idx);

// Keeps only the lower envelope in FLOPs: points with a lower loss than every point of smaller C
// (the compute frontier); each its own cluster.
void points_frontier(Points *p);

// Checks what every fit needs: positive finite losses and x values on the axes used.
// 0, or −1 with jp_error() naming the first point at fault.
int points_check(const Points *p, const Axis4 *axes, int n_axes);

// Toy worlds: synthetic tasks made of discrete concepts drawn with Zipfian
// frequencies, where every example carries the id of the concept it tests.
//
// Concept c (0-based, so c is also its frequency rank) is drawn with
// probability p_c = (c+1)^−s / Σ_j (j+1)^−s. When there is more than one
// concept the input starts with a one-hot code of c (the "control bits" of
// Michaud et al. 2023), followed by the features:
//   sparse-parity    features: `bits` uniform {0,1}; label: the parity of concept c's
//                    own fixed random subset of k of them (2 classes, cross-entropy)
//   zipf-concepts    features: `bits` standard normals; label: argmax of concept c's fixed
//                    random linear map W_c ∈ R^{classes×k} applied to its own subset of k
//                    features (k sets how much capacity a concept needs)
//   teacher-student  features: `bits` standard normals; target: concept c's fixed random
//                    tanh teacher MLP of the features (MSE, one output)
//   manifold         z uniform in [−1,1]^d (d = manifold_dim); features: tanh(A z) for a
//                    fixed random A ∈ R^{bits×d} — a curved d-dimensional manifold in
//                    R^bits (Sharma & Kaplan 2020); target: concept c's teacher MLP of z
//   task-mixture     a mixture of linear-regression tasks (Huang, Lubana et al. 2026): no
//                    control bits; the input is C blocks of `bits` features, task c's
//                    example filled only in block c (orthogonal blocks), feature j (1-based)
//                    of a block normal with variance j^−spectrum; target y = w_c·x_block
//                    for a fixed random w_c (w_c,j ~ N(0,1), scaled so Var y = 1). C outputs, one linear
//                    head per task: target row t[C] holds y at output c and NaN at every
//                    other output (no target there), which the "head" loss skips (nn/loss.h).
//                    With shared_inputs every block is filled in every example (the task
//                    only picks the head): then the encoder's N units must hold every task's
//                    direction at once and tasks compete for them; with one block per
//                    example each task has first-layer weights of its own (no competition)
//
// Everything about the world (subsets, maps, teachers, embedding) is a function
// of its seed; example i of a stream is a function of (seed, stream, i) alone,
// so fresh-sample training, fixed-D training and the held-out sets need no storage.
#pragma once
#include <stdint.h>

#include "base/zipf.h"   // zipf_frequencies: p[C], also for readers of the store
#include "nn/mlp.h"

typedef enum { WORLD_SPARSE_PARITY, WORLD_ZIPF_CONCEPTS, WORLD_TEACHER, WORLD_MANIFOLD, WORLD_TASK_MIXTURE, WORLD_KIND_COUNT } WorldKind;
extern const char *const world_kind_names[WORLD_KIND_COUNT];

typedef struct {
    WorldKind kind;
    int concepts;          // C
    double zipf;           // s
    int bits;              // feature count (ambient dimension for the manifold)
    int k;                 // subset size (sparse-parity, zipf-concepts)
    int classes;           // zipf-concepts
    int teacher_width, teacher_depth;
    int manifold_dim;      // d
    double spectrum;       // task-mixture: feature j of a block has variance j^−spectrum (0: flat)
    int shared_inputs;     // task-mixture: every block filled in every example
    uint64_t seed;
} WorldOptions;

typedef struct World {
    WorldOptions o;
    int dim, n_out;        // input size (one-hot + features), outputs
    int regression;        // 1: targets (MSE), 0: class labels
    double *p;             // [C] concept frequencies
    double *cdf;           // [C] cumulative frequencies
    int *subset;           // [C][k] feature indices (sparse-parity, zipf-concepts)
    float *linear;         // [C][classes][k] (zipf-concepts)
    MlpShape teacher;      // teacher-student, manifold
    size_t teacher_P;
    float *teacher_params; // [C][teacher_P]
    float *embed;          // [bits][d] (manifold)
    float *head_w;         // [C][bits] task-mixture: w_c, y = w_c·x_block
    float *head_dev;       // [bits] task-mixture: feature j's standard deviation (j+1)^(−spectrum/2)
} World;

// Fills the task's defaults for zero fields (concepts, bits) and reports the
// shape a model needs: inputs, outputs, and whether targets are regression.
void world_resolve(WorldOptions *o, int *dim, int *n_out, int *regression);

// Task defaults filled for zero fields (concepts, bits); checks ranges. Returns 0 or −1 (jp_error).
int world_init(World *w, const WorldOptions *o);
void world_free(World *w);

// Example `index` of (seed, stream): x[dim], and y (labels) or t[n_out] (targets);
// concept ≥ 0 forces that concept (the stratified held-out sets), −1 draws it
// from the Zipf law. Returns the concept.
int world_example(const World *w, uint64_t seed, uint64_t stream, uint64_t index, int concept,
                  float *x, int *y, float *t);

// Concept of example `index` of an injection stream (Huang, Lubana et al.'s injection experiment):
// task `inject` with probability share, the others in proportion to their Zipf frequencies. A
// deterministic function of (seed, stream, index), like world_example's own draw.
int world_injection_concept(const World *w, uint64_t seed, uint64_t stream, uint64_t index, int inject, double share);

// A task over the world: no training pool (examples are generated from each
// member's data_seed), and validation and test sets of eval_per_concept examples
// per concept, grouped by concept and weighted by frequency (data/task.h).
// The task owns a copy of the world. Returns 0 or −1 (jp_error).
struct Task;
int world_task(const WorldOptions *o, int eval_per_concept, struct Task *task);

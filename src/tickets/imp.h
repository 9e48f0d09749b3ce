// Iterative magnitude pruning with rewinding (Frankle & Carbin 2019; Frankle et
// al. 2020) for one ensemble: M members (init seeds) pruned and retrained
// together, each with its own mask. Level 0 trains the dense network and keeps
// θ_k, its weights after `rewind_step` steps (k = 0: the initialisation). Each
// round prunes `rate` of the surviving weights by magnitude from the previous
// level's final weights, rewinds the survivors to θ_k (optimiser state reset)
// and retrains for the same budget. On demand, at every level: the same mask
// from a fresh random initialisation ("reinit"), a random mask with the same
// per-layer counts on θ_k ("random_mask"), one-shot pruning of the dense final
// weights to the same counts ("oneshot"), and the linear-mode-connectivity
// barrier between the ticket and a copy trained from θ_k with another data order.
#pragma once
#include "train/trainer.h"

typedef struct {
    int rounds;                   // at most this many rounds (0: up to 100 when target_density is set)
    double target_density;        // stop after the round that reaches it (0: off)
    double rate, output_rate;
    int global;
    long rewind_step;
    int reinit, random_mask, oneshot;
    int instability_points;       // 0: no instability test
    // Every evaluation of every level's training, with its level and variant ("copy": the instability
    // test's copy with another data order): learning curves and progress (may be NULL). Called from
    // the thread that called imp_run.
    void (*on_eval)(void *ctx, int level, const char *variant, const EvalRecord *r);
    void *eval_ctx;
} ImpOptions;

typedef struct {
    int level, member;
    const char *variant;          // dense, ticket, reinit, random_mask, oneshot
    double density;               // weights kept, all layers
    int n_layers;
    double layer_density[MLP_MAX_DEPTH + 1];
    MemberSummary summary;
    double barrier;               // ticket rows when instability is on; NaN otherwise
} TicketRecord;

typedef void (*TicketSink)(void *ctx, const TicketRecord *r);

// Returns 0, 1 if stopped through base->stop, −1 on error (jp_error()).
int imp_run(const TrainConfig *base, const Task *task, const MemberSeeds *seeds, int M, const ImpOptions *o,
            TicketSink sink, void *ctx);

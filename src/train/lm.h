// The training loop for an ensemble of byte-level GPT language models (nn/gpt.h) on a
// text corpus (data/text.h), with the field's optimiser conventions:
//
//   per step, per member:  tokens = text_batch(member, step)          [B][context + 1]
//                          loss   = gpt_forward(tokens[:, :-1], tokens[:, 1:])   nats/byte
//                          g      = gpt_backward(...)
//                          g      = clip by global norm (cfg->clip; 0 = off)
//                          AdamW per tensor, weight decay only where gpt_tensors says
//                          `decay` (the matrices of linear layers), at
//                          lr = peak · schedule_factor(step): linear warmup, then cosine
//                          down to min_ratio · peak at the last step (the cycle = the run).
//
// Evaluation every eval_every steps (and at step 0 and the end) on the validation and
// test windows of text_eval_windows: mean nats per byte over every predicted byte, and
// bits per byte = nats / ln 2. Records carry the step, tokens seen (step · B · context),
// training FLOPs (tokens · gpt_train_flops_per_token, Kaplan's 6N + 6·L·n_ctx·d_model),
// wall time, the learning rate and the mean training loss since the previous evaluation.
//
// Members are [M][P] blocks (params, grads, AdamW m and v) trained in parallel (OpenMP over
// members, one BLAS thread each, or one member with all of BLAS's threads: the caller sets
// BLAS's count with train_blas_threads, as for MLPs). A member reads and writes only its
// own slices and its own TextMember, so member m is bit-for-bit the run it would be alone,
// at any thread count.
//
// Resume. Everything a step depends on is in LmEnsemble: the parameters, AdamW's m, v and
// t, and the step; batches are a pure function of (data_seed, step), and there is no other
// randomness. The running training-loss accumulator (sum and count since the previous
// evaluation), the last gradient norm, the divergence step and the best/final records are
// kept per member in LmEnsemble too, so a checkpoint may be taken at ANY step (not only at
// evaluation steps) and the resumed run's records and weights are bit-identical to the
// uninterrupted run's (wall times excepted). See train/lm_checkpoint.h for the file.
#pragma once
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "data/text.h"
#include "nn/gpt.h"
#include "nn/optim.h"
#include "nn/schedule.h"
#include "train/trainer.h"   // MemberSeeds

typedef struct {
    GptShape shape;
    OptimConfig optim;       // AdamW (SGD works too): lr is the peak rate, weight_decay on `decay` tensors
    Schedule schedule;       // .total is set from `steps` (the cosine cycle matches the run)
    float clip;              // max global gradient norm per member; 0 = no clipping
    int batch;               // sequences per step per member
    long steps;
    long D;                  // training tokens per member (text_member_init)
    long eval_every;         // steps between evaluations (0: only at the start and the end)
    int eval_batch;          // windows per evaluation forward pass (0: batch)
    long eval_windows;       // evaluate on at most this many windows of each part (0: all)
    int threads;             // total threads (members in parallel, or BLAS threads for one member)
    const atomic_int *stop;  // non-zero (any thread, a signal handler): stop at the next step (may be NULL)
    // Checkpoints (all optional): written to checkpoint_path every checkpoint_every_steps
    // steps and/or whenever checkpoint_every_s seconds have passed since the last one (checked
    // between steps), and when the run is stopped through `stop`. Not at the end: the caller
    // has the final state in the LmEnsemble.
    const char *checkpoint_path;
    long checkpoint_every_steps;
    double checkpoint_every_s;
    // Data parallelism (optional; dp.ranks <= 1 or dp.sum NULL: one process, bit for bit as
    // without dp). This process is rank dp.rank of dp.ranks processes that train the same
    // members, each step's batch split among them: every rank draws the same text_batch of B
    // sequences and rank r takes [first_r, first_r + B_r), B_r = B/ranks (+1 for r < B % ranks);
    // its gradient (and loss) is its share's mean weighted by B_r/B, a rank with B_r = 0
    // (ranks > B) contributes zeros. Once per step dp.sum(dp.ctx, buf, n) replaces buf[n] by its
    // elementwise sum over the ranks (MPI_Allreduce): buf is every member's gradient [M][P],
    // then the members' losses [M], then a stop flag and a failure flag, n = M·P + M + 2, the
    // same n every step. sum must leave the same bits on every rank; every rank then applies
    // the same clip and AdamW (and decides divergence, a non-finite summed loss or norm,
    // alike), so their parameters stay identical. The result differs from one process's by rounding only (the
    // order of the sum over ranks is sum's own; tests/test_lm_dp.c measures it). sum is called
    // by every rank in the same order, always from the thread that called train_lm_ensemble,
    // once per step taken and once at a step where some rank's stop flag is set (all ranks
    // then return 1 at that step, not taking it) or where a rank failed to write its
    // checkpoint (all return −1 there; an error elsewhere leaves the others waiting in sum:
    // the caller must abort them, MPI_Abort). Every rank evaluates (the same numbers); a
    // caller passes the sink on one rank only, and the checkpoint path on one rank only (all
    // ranks may read it to resume; checkpoints, time-based ones too, make no sum of their own).
    struct {
        int ranks, rank;
        void (*sum)(void *ctx, float *buf, size_t n);
        void *ctx;
    } dp;
} LmConfig;

// Peak lr 1e-3, AdamW (β 0.9, 0.95, ε 1e-8, weight decay 0.1), warmup 0, cosine to 0.1,
// clip 1.0, batch 16, eval_every 0 — a caller sets shape, steps, D and threads.
LmConfig lm_config_defaults(void);

typedef struct {
    int member;
    uint64_t init_seed, data_seed;
    long step;               // optimiser steps taken
    double tokens;           // training tokens seen by this member: step · batch · context
    double flops;            // training FLOPs: tokens · gpt_train_flops_per_token(shape)
    double wall_s;           // since training started (resumed runs: including the time before)
    float lr;                // the rate of the last step taken (0 at step 0)
    float grad_norm;         // the last step's global gradient norm before clipping (NaN at step 0)
    double train_loss;       // nats per byte, mean batch loss since the previous evaluation (NaN if none)
    double val_loss, test_loss;   // nats per byte
    double val_bpb, test_bpb;     // bits per byte: nats / ln 2
} LmRecord;

typedef struct {
    LmRecord final;          // the last evaluation
    LmRecord best;           // the evaluation with the lowest validation loss
    long diverged_step;      // −1, or the step whose loss (or gradient) was not finite: the member stopped there
    double eval_s;           // wall time spent evaluating (included in final.wall_s)
} LmSummary;

typedef void (*LmSink)(void *ctx, const LmRecord *r);

// A member's running state besides its vectors (what a checkpoint must keep).
typedef struct {
    uint64_t init_seed, data_seed;
    long t;                  // optimiser steps taken (AdamW's bias correction)
    double loss_sum;         // training losses since the previous evaluation
    long loss_count;
    float grad_norm;         // the last step's, before clipping
    LmSummary summary;
} LmMemberState;

typedef struct {
    GptShape shape;
    int M;
    size_t P;                // parameters per member
    float *params;           // [M][P]
    float *grads;            // [M][P]
    float *m, *v;            // [M][P] AdamW's moments (SGD: m is the momentum buffer)
    LmMemberState *member;   // [M]
    long step;               // steps taken by the ensemble (the next step to take)
    long evaluated_step;     // the step of the last evaluation, −1 before the first (a resumed
                             // run does not repeat an evaluation its checkpoint already made)
    double wall_s, eval_s;   // time spent in earlier sessions of this run (resume)
    char config[512];        // lm_config_describe of the run ("" until training starts)
} LmEnsemble;

// Allocates M members of the shape, zeroed (params too): 0, or −1 (jp_fail).
int lm_ensemble_init(LmEnsemble *e, const GptShape *shape, int M);
void lm_ensemble_free(LmEnsemble *e);
static inline float *lm_member_params(const LmEnsemble *e, int m) { return e->params + (size_t)m * e->P; }

// Trains M members for cfg->steps steps. With e zeroed ({0}), e is allocated and each member
// initialised from its seeds (GPT-2 init from init_seed). With e already holding a run in
// progress (lm_checkpoint_read), training continues from e->step: the seeds and M must be
// those of the checkpoint; the evaluation at e->step is not repeated (it was made before the
// checkpoint was written).
// Returns 0 (e holds the final state), 1 if stopped through cfg->stop (e holds the state at
// the stopping step, and the checkpoint was written when a path is set), or −1 (jp_fail; e
// freed when this call allocated it). After 0 or 1 the caller frees e. sink (may be NULL)
// receives every evaluation of every member, in member order within a step; summaries[M]
// (may be NULL) receives each member's outcome.
int train_lm_ensemble(const LmConfig *cfg, const TextCorpus *c, const MemberSeeds *seeds, int M,
                      LmEnsemble *e, LmSink sink, void *ctx, LmSummary *summaries);

// A canonical description of what a run's numbers depend on (shape, optimiser, schedule,
// clip, batch, steps, D, eval_every, eval_batch, eval_windows): a checkpoint stores it and resuming
// under a different one is refused. Returns buf.
char *lm_config_describe(const LmConfig *cfg, char *buf, size_t n);

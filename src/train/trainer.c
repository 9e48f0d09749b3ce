#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "data/sampler.h"
#include "data/world.h"
#include "train/step.h"

typedef struct {
    Sampler sampler;
    MlpWork work;
    float *X;              // [batch][dim] gathered inputs
    int *labels;           // [batch]
    float *targets;        // [batch][n_out] or NULL
    uint32_t *rows;        // [batch]
    double loss_sum;       // since the last evaluation
    long loss_count;
    int diverged;
    uint64_t data_seed;
    double *concept_metrics; // [2][n_concepts] test loss, accuracy (toy worlds)
    float *probe_scratch;
} Member;

// Class labels (cross-entropy) or regression targets (MSE)?
static int task_has_targets(const Task *task) { return task->world ? task->world->regression : task->train.t != NULL; }

static int member_init(Member *mb, const TrainConfig *cfg, const Task *task, uint64_t data_seed) {
    memset(mb, 0, sizeof *mb);
    mb->data_seed = data_seed;
    if (task->world) {   // a fixed D of generated examples, or (D = 0) a fresh one every time
        if (cfg->train_size && sampler_init(&mb->sampler, data_seed, (uint32_t)cfg->train_size, (uint32_t)cfg->train_size) != 0)
            return -1;
    } else {
        uint32_t D = cfg->train_size ? (uint32_t)cfg->train_size : (uint32_t)task->train.n;
        if (sampler_init(&mb->sampler, data_seed, D, (uint32_t)task->train.n) != 0) return -1;
    }
    int C = task->test.n_concepts;
    if (C > 0) mb->concept_metrics = xmalloc(sizeof(double) * 2 * C);
    if (C > 0 && cfg->probe_concepts > 0)
        mb->probe_scratch = xmalloc(sizeof(float) * probe_scratch_floats(cfg->probe_concepts, mlp_n_params(&cfg->shape)));
    int rows = cfg->batch > cfg->eval_rows ? cfg->batch : cfg->eval_rows;
    if (mlp_work_init(&mb->work, &cfg->shape, rows) != 0) return -1;
    mb->X = xmalloc(sizeof(float) * (size_t)cfg->batch * task->dim);
    mb->labels = xmalloc(sizeof(int) * cfg->batch);
    mb->rows = xmalloc(sizeof(uint32_t) * cfg->batch);
    if (task_has_targets(task)) mb->targets = xmalloc(sizeof(float) * (size_t)cfg->batch * task->n_out);
    return 0;
}

static void member_free(Member *mb) {
    sampler_free(&mb->sampler);
    mlp_work_free(&mb->work);
    free(mb->X); free(mb->labels); free(mb->targets); free(mb->rows);
    free(mb->concept_metrics); free(mb->probe_scratch);
}

static void gather_batch(Member *mb, const Task *task, long step, int B) {
    int dim = task->dim, n_out = task->n_out;
    if (task->world) {
        // Example r of this member's data seed; fresh sampling never repeats an index.
        if (mb->sampler.D) sampler_batch(&mb->sampler, step, B, mb->rows);
        for (int j = 0; j < B; j++) {
            uint64_t index = mb->sampler.D ? mb->rows[j] : (uint64_t)step * B + j;
            world_example(task->world, mb->data_seed, RNG_STREAM_FRESH, index, -1,
                          mb->X + (size_t)j * dim, mb->labels + j, mb->targets ? mb->targets + (size_t)j * n_out : NULL);
        }
        return;
    }
    sampler_batch(&mb->sampler, step, B, mb->rows);
    task_gather(task, &task->train, mb->rows, 0, B, mb->X, mb->labels, mb->targets);
}

static int validate(const TrainConfig *cfg, const Task *task, int M) {
    if (M < 1) return jp_fail("an ensemble needs at least one member");
    if (cfg->shape.n_in != task->dim || cfg->shape.n_out != task->n_out)
        return jp_fail("model is %d→%d but task %s is %d→%d", cfg->shape.n_in, cfg->shape.n_out,
                       task->name, task->dim, task->n_out);
    if (cfg->batch < 1 || cfg->steps < 0 || cfg->threads < 1 || cfg->eval_rows < 1)
        return jp_fail("batch, threads and evaluation rows must be positive, steps non-negative");
    if (cfg->loss == LOSS_CROSS_ENTROPY && task_has_targets(task))
        return jp_fail("cross-entropy needs class labels; task %s has regression targets", task->name);
    return 0;
}

int train_blas_threads(int threads, int M) {
    int member_threads = threads < M ? threads : M;   // as train_ensemble splits them
    return member_threads > 1 ? 1 : threads;
}

// One training run of M members in progress: what the evaluation and the step share.
typedef struct {
    const TrainConfig *cfg;
    const Task *task;
    const MemberSeeds *seeds;
    int M, member_threads;
    Ensemble *e;
    Member *mbs;
    MemberSummary *summaries;
    double t0, eval_s, flops_per_example;
} Training;

// Evaluates every live member at `step` on the validation and test sets (and the
// probes), keeps final and best in the summaries and hands each record to the sink.
static void evaluate_all(Training *t, long step, float lr, EvalSink sink, void *ctx) {
    const TrainConfig *cfg = t->cfg;
    const Task *task = t->task;
    Ensemble *e = t->e;
    Member *mbs = t->mbs;
    int M = t->M, member_threads = t->member_threads;
    (void)member_threads;   // read only by the omp pragma (ignored in a build without OpenMP: make TSAN=1)
    double te = clock_now_s();
    EvalRecord recs[M];
    #pragma omp parallel for num_threads(member_threads) schedule(dynamic, 1)
    for (int m = 0; m < M; m++) {
        EvalRecord *r = &recs[m];
        *r = (EvalRecord){ .member = m, .init_seed = t->seeds[m].init_seed,
                           .data_seed = t->seeds[m].data_seed, .step = step, .lr = lr };
        if (mbs[m].diverged) continue;
        r->examples = (double)step * cfg->batch;
        r->flops = r->examples * t->flops_per_example;
        r->train_loss = mbs[m].loss_count ? mbs[m].loss_sum / mbs[m].loss_count : NAN;
        mbs[m].loss_sum = 0; mbs[m].loss_count = 0;
        evaluate_member(e, m, &task->val, cfg->loss, &mbs[m].work, &r->val_loss, &r->val_acc, NULL, NULL);
        int C = task->test.n_concepts;
        double *cm = mbs[m].concept_metrics;
        evaluate_member(e, m, &task->test, cfg->loss, &mbs[m].work, &r->test_loss, &r->test_acc, cm, cm ? cm + C : NULL);
        if (cm) { r->n_concepts = C; r->concept_loss = cm; r->concept_acc = cm + C; }
        if (mbs[m].probe_scratch)
            r->probed = interference_probe(&e->shape, member_params(e, m), e->P, &task->test, cfg->loss,
                                           cfg->probe_concepts, cfg->probe_lr, &mbs[m].work,
                                           mbs[m].probe_scratch, &r->probe) == 0;
    }
    double wall = clock_now_s() - t->t0;
    t->eval_s += clock_now_s() - te;
    for (int m = 0; m < M; m++) {
        MemberSummary *s = &t->summaries[m];
        s->eval_s = t->eval_s;
        if (mbs[m].diverged) continue;
        recs[m].wall_s = wall;
        s->final = recs[m];
        // the per-concept arrays live only during the sink call: summaries keep no pointer to them
        s->final.concept_loss = s->final.concept_acc = NULL;
        s->final.n_concepts = 0;
        // Without a validation split the early-stopping point is the end.
        if (recs[m].val_loss < s->best.val_loss || (task->val.n == 0)) s->best = s->final;
        if (sink) sink(ctx, &recs[m]);
    }
}

// One optimiser step of every live member at learning rate lr; a non-finite loss
// marks the member diverged at this step (it stops; the others go on).
static void step_all(Training *t, long step, float lr) {
    const TrainConfig *cfg = t->cfg;
    int M = t->M, member_threads = t->member_threads;
    (void)member_threads;
    #pragma omp parallel for num_threads(member_threads) schedule(dynamic, 1)
    for (int m = 0; m < M; m++) {
        Member *mb = &t->mbs[m];
        if (mb->diverged) continue;
        gather_batch(mb, t->task, step, cfg->batch);
        double loss = train_step(t->e, m, mb->X, task_has_targets(t->task) ? NULL : mb->labels, mb->targets,
                                 cfg->batch, cfg->loss, &cfg->optim, lr, &mb->work);
        if (!isfinite(loss)) {
            mb->diverged = 1;
            t->summaries[m].diverged_step = step;
            continue;
        }
        mb->loss_sum += loss;
        mb->loss_count++;
    }
}

int train_ensemble(const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, int M,
                   Ensemble *e, EvalSink sink, void *ctx, MemberSummary *summaries) {
    if (validate(cfg, task, M) != 0) return -1;
    if (ensemble_init(e, &cfg->shape, M) != 0) return -1;
    Member *mbs = xcalloc(M, sizeof(Member));
    int rc = -1;
    for (int m = 0; m < M; m++) {
        if (member_init(&mbs[m], cfg, task, seeds[m].data_seed) != 0) goto done;
        ensemble_init_member(e, m, cfg->weight_init, cfg->bias_init, seeds[m].init_seed);
        if (cfg->start_params) memcpy(member_params(e, m), cfg->start_params + (size_t)m * e->P, sizeof(float) * e->P);
        summaries[m] = (MemberSummary){ .diverged_step = -1 };
        summaries[m].best.val_loss = INFINITY;
    }
    // Members in parallel with one-thread BLAS each, or one member with all threads in
    // BLAS (train_blas_threads, which the command sets). Either way a member's arithmetic
    // is the same sequence of operations, so results do not depend on the thread count.
    e->mask = cfg->mask;
    for (int m = 0; m < M; m++) ensemble_apply_mask(e, m);
    Training t = { cfg, task, seeds, M, cfg->threads < M ? cfg->threads : M, e, mbs, summaries,
                   clock_now_s(), 0, mlp_train_flops_per_example(&cfg->shape) };
    Schedule sch = cfg->schedule;
    sch.total = cfg->steps;
    float lr = 0.0f;
    for (long step = 0; step <= cfg->steps; step++) {
        int last = step == cfg->steps;
        if (cfg->capture && step == cfg->capture_step) memcpy(cfg->capture, e->params, sizeof(float) * e->P * M);
        if (step == 0 || last || (cfg->eval_every > 0 && step % cfg->eval_every == 0)) evaluate_all(&t, step, lr, sink, ctx);
        if (last) break;
        if (cfg->stop && atomic_load(cfg->stop)) { rc = 1; goto done; }
        lr = cfg->optim.lr * schedule_factor(&sch, step);
        step_all(&t, step, lr);
    }
    rc = 0;
done:
    for (int m = 0; m < M; m++) member_free(&mbs[m]);
    free(mbs);
    if (rc != 0) ensemble_free(e);
    return rc;
}

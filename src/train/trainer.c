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
    // Members with the same data seed see the same batches: the first of them (the lead) gathers each
    // batch once and the others read it (shared, read-only). These are NULL except in a lead.
    int lead;              // the member whose batch this one reads (itself when it leads)
    int group_size;        // (a lead) members reading its batches, itself included
    int needed;            // (a lead) some member of its group is still training
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

static int member_init(Member *mb, const TrainConfig *cfg, const Task *task, uint64_t data_seed, int m, int lead) {
    memset(mb, 0, sizeof *mb);
    mb->data_seed = data_seed;
    mb->lead = lead;
    int C = task->test.n_concepts;
    if (C > 0) mb->concept_metrics = xmalloc(sizeof(double) * 2 * C);
    if (C > 0 && cfg->probe_concepts > 0)
        mb->probe_scratch = xmalloc(sizeof(float) * probe_scratch_floats(cfg->probe_concepts, mlp_n_params(&cfg->shape)));
    if (mlp_work_init(&mb->work, &cfg->shape, train_work_rows(cfg, task)) != 0) return -1;
    if (lead != m) return 0;   // it reads its lead's batches
    if (task->world) {   // a fixed D of generated examples, or (D = 0) a fresh one every time
        if (cfg->train_size && sampler_init(&mb->sampler, data_seed, (uint32_t)cfg->train_size, (uint32_t)cfg->train_size) != 0)
            return -1;
    } else {
        uint32_t D = cfg->train_size ? (uint32_t)cfg->train_size : (uint32_t)task->train.n;
        if (sampler_init(&mb->sampler, data_seed, D, (uint32_t)task->train.n) != 0) return -1;
    }
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

int train_eval_chunk(const TrainConfig *cfg) {
    int rows = cfg->batch > 256 ? cfg->batch : 256;
    return rows < cfg->eval_rows ? rows : cfg->eval_rows;
}

int train_work_rows(const TrainConfig *cfg, const Task *task) {
    int rows = cfg->batch > train_eval_chunk(cfg) ? cfg->batch : train_eval_chunk(cfg);
    const Split *s = &task->test;   // stratified splits are evaluated (and probed) a concept at a time
    for (int c = 0; c < s->n_concepts; c++)
        if (s->concept_start[c + 1] - s->concept_start[c] > rows) rows = s->concept_start[c + 1] - s->concept_start[c];
    const Split *v = &task->val;
    for (int c = 0; c < v->n_concepts; c++)
        if (v->concept_start[c + 1] - v->concept_start[c] > rows) rows = v->concept_start[c + 1] - v->concept_start[c];
    return rows;
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
    EvalBatch eval;        // one chunk of a held-out split, shared by every member
    char *live;            // [M] not diverged
    int *order;            // [M] the members by group (a group's members one after another)
    double *sums;          // [2][M] a split's mean loss and accuracy per member
} Training;

// Every live member's mean loss and accuracy on split s into loss[M], acc[M] (and, for the
// test split of a toy world, each member's per-concept metrics).
static void evaluate_split_all(Training *t, const Split *s, double *loss, double *acc, int concepts) {
    Member *mbs = t->mbs;
    int M = t->M, member_threads = t->member_threads;
    (void)member_threads;
    if (s->n_concepts == 0) {   // an ordinary split: each chunk gathered once for all members
        MlpWork *w[M];
        for (int m = 0; m < M; m++) w[m] = &mbs[m].work;
        evaluate_split(t->task, s, t->e, t->live, t->cfg->loss, &t->eval, w, t->member_threads, loss, acc);
        return;
    }
    // A toy world's stratified split (stored as float): a concept at a time, member by member.
    int C = s->n_concepts;
    #pragma omp parallel for num_threads(member_threads) schedule(dynamic, 1)
    for (int m = 0; m < M; m++) {
        if (!t->live[m]) continue;
        double *cm = concepts ? mbs[m].concept_metrics : NULL;
        evaluate_member(t->e, m, s, t->cfg->loss, &mbs[m].work, &loss[m], &acc[m], cm, cm ? cm + C : NULL);
    }
}

static EvalRecord eval_record(Training *t, int m, long step, float lr) {
    EvalRecord r = { .member = m, .init_seed = t->seeds[m].init_seed, .data_seed = t->seeds[m].data_seed,
                     .step = step, .lr = lr };
    Member *mb = &t->mbs[m];
    if (mb->diverged) return r;
    r.examples = (double)step * t->cfg->batch;
    r.flops = r.examples * t->flops_per_example;
    r.train_loss = mb->loss_count ? mb->loss_sum / mb->loss_count : NAN;
    mb->loss_sum = 0; mb->loss_count = 0;
    return r;
}

static void probe_all(Training *t, EvalRecord *recs) {
    const TrainConfig *cfg = t->cfg;
    Member *mbs = t->mbs;
    int M = t->M, member_threads = t->member_threads;
    (void)member_threads;
    #pragma omp parallel for num_threads(member_threads) schedule(dynamic, 1)
    for (int m = 0; m < M; m++)
        if (t->live[m] && mbs[m].probe_scratch)
            recs[m].probed = interference_probe(&t->e->shape, member_params(t->e, m), t->e->P, &t->task->test,
                                                cfg->loss, cfg->probe_concepts, cfg->probe_lr, &mbs[m].work,
                                                mbs[m].probe_scratch, &recs[m].probe) == 0;
}

// Evaluates every live member at `step` on the validation and test sets (and the
// probes), keeps final and best in the summaries and hands each record to the sink.
static void evaluate_all(Training *t, long step, float lr, EvalSink sink, void *ctx) {
    const Task *task = t->task;
    Member *mbs = t->mbs;
    int M = t->M, C = task->test.n_concepts;
    double te = clock_now_s();
    EvalRecord recs[M];
    for (int m = 0; m < M; m++) { recs[m] = eval_record(t, m, step, lr); t->live[m] = !mbs[m].diverged; }
    double *L = t->sums, *A = t->sums + M;
    evaluate_split_all(t, &task->val, L, A, 0);
    for (int m = 0; m < M; m++) { recs[m].val_loss = L[m]; recs[m].val_acc = A[m]; }
    evaluate_split_all(t, &task->test, L, A, 1);
    for (int m = 0; m < M; m++) { recs[m].test_loss = L[m]; recs[m].test_acc = A[m]; }
    probe_all(t, recs);
    double wall = clock_now_s() - t->t0;
    t->eval_s += clock_now_s() - te;
    for (int m = 0; m < M; m++) {
        MemberSummary *s = &t->summaries[m];
        s->eval_s = t->eval_s;
        if (mbs[m].diverged) continue;
        double *cm = mbs[m].concept_metrics;
        if (cm) { recs[m].n_concepts = C; recs[m].concept_loss = cm; recs[m].concept_acc = cm + C; }
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
// marks the member diverged at this step (it stops; the others go on). Each data seed's
// batch is gathered once, by its group's lead, and read by every member of the group: a
// group of several first (all gathers, then all members, in group order), a member alone
// right before its step (its batch still in cache).
static void step_all(Training *t, long step, float lr) {
    const TrainConfig *cfg = t->cfg;
    Member *mbs = t->mbs;
    int M = t->M, member_threads = t->member_threads, targets = task_has_targets(t->task);
    (void)member_threads;
    for (int m = 0; m < M; m++) mbs[m].needed = 0;
    for (int m = 0; m < M; m++)
        if (!mbs[m].diverged) mbs[mbs[m].lead].needed = 1;
    #pragma omp parallel num_threads(member_threads)
    {
        #pragma omp for schedule(dynamic, 1)
        for (int m = 0; m < M; m++)
            if (mbs[m].lead == m && mbs[m].group_size > 1 && mbs[m].needed) gather_batch(&mbs[m], t->task, step, cfg->batch);
        #pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < M; i++) {
            int m = t->order[i];
            Member *mb = &mbs[m], *src = &mbs[mb->lead];
            if (mb->diverged) continue;
            if (src->group_size == 1) gather_batch(mb, t->task, step, cfg->batch);
            double loss = train_step(t->e, m, src->X, targets ? NULL : src->labels, src->targets,
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
}

static int lead_of(const MemberSeeds *seeds, int m) {
    int k = 0;
    while (seeds[k].data_seed != seeds[m].data_seed) k++;
    return k;
}

static int training_init(Training *t, const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, int M,
                         Ensemble *e, MemberSummary *summaries) {
    *t = (Training){ cfg, task, seeds, M, cfg->threads < M ? cfg->threads : M, e, NULL, summaries,
                     clock_now_s(), 0, mlp_train_flops_per_example(&cfg->shape), { 0 }, NULL, NULL, NULL };
    t->mbs = xcalloc(M, sizeof(Member));
    t->live = xcalloc(M, 1);
    t->order = xcalloc(M, sizeof(int));
    t->sums = xcalloc(2 * (size_t)M, sizeof(double));
    eval_batch_init(&t->eval, task, train_eval_chunk(cfg));
    for (int m = 0; m < M; m++) {
        if (member_init(&t->mbs[m], cfg, task, seeds[m].data_seed, m, lead_of(seeds, m)) != 0) return -1;
        ensemble_init_member(e, m, cfg->weight_init, cfg->bias_init, seeds[m].init_seed);
        if (cfg->start_params) memcpy(member_params(e, m), cfg->start_params + (size_t)m * e->P, sizeof(float) * e->P);
        summaries[m] = (MemberSummary){ .diverged_step = -1 };
        summaries[m].best.val_loss = INFINITY;
        t->mbs[t->mbs[m].lead].group_size++;
    }
    int n = 0;
    for (int lead = 0; lead < M; lead++)
        for (int m = lead; m < M && t->mbs[lead].lead == lead; m++)
            if (t->mbs[m].lead == lead) t->order[n++] = m;
    return 0;
}

static void training_free(Training *t) {
    for (int m = 0; m < t->M && t->mbs; m++) member_free(&t->mbs[m]);
    free(t->mbs); free(t->live); free(t->order); free(t->sums);
    eval_batch_free(&t->eval);
}

int train_ensemble(const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, int M,
                   Ensemble *e, EvalSink sink, void *ctx, MemberSummary *summaries) {
    if (validate(cfg, task, M) != 0) return -1;
    if (ensemble_init(e, &cfg->shape, M) != 0) return -1;
    Training t;
    int rc = -1;
    if (training_init(&t, cfg, task, seeds, M, e, summaries) != 0) goto done;
    // Members in parallel with one-thread BLAS each, or one member with all threads in
    // BLAS (train_blas_threads, which the command sets). Either way a member's arithmetic
    // is the same sequence of operations, so results do not depend on the thread count.
    e->mask = cfg->mask;
    for (int m = 0; m < M; m++) ensemble_apply_mask(e, m);
    t.t0 = clock_now_s();
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
    training_free(&t);
    if (rc != 0) ensemble_free(e);
    return rc;
}

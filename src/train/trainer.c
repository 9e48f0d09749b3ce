#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/crew.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "data/sampler.h"
#include "data/world.h"
#include "train/step.h"

typedef struct {
    MlpWork work;
    double loss_sum;       // since the last evaluation
    long loss_count;
    int diverged;
    double *concept_metrics; // [2][n_concepts] test loss, accuracy (toy worlds)
    float *probe_scratch;
} Member;

// Members of one data seed that one thread steps together: they see the same batches, so each
// batch is gathered once for all of them (shared, read-only). A data seed's members are one piece,
// or two where the split of the members among threads falls inside them (each piece then draws the
// same batches with a sampler of its own).
typedef struct {
    Sampler sampler;
    uint64_t data_seed;
    int first, n;          // its members: order[first .. first + n)
    float *X;              // [batch][dim] gathered inputs
    int *labels;           // [batch]
    float *targets;        // [batch][n_out] or NULL
    uint32_t *rows;        // [batch]
    uint32_t *next_rows;   // [batch] the rows of step next_step, asked for ahead (task_prefetch)
    long next_step;
} Piece;

// Class labels (cross-entropy) or regression targets (MSE)?
static int task_has_targets(const Task *task) { return task->world ? task->world->regression : task->train.t != NULL; }

static int member_init(Member *mb, const TrainConfig *cfg, const Task *task) {
    memset(mb, 0, sizeof *mb);
    int C = task->test.n_concepts;
    if (C > 0) mb->concept_metrics = xmalloc(sizeof(double) * 2 * C);
    if (C > 0 && cfg->probe_concepts > 0)
        mb->probe_scratch = xmalloc(sizeof(float) * probe_scratch_floats(cfg->probe_concepts, mlp_n_params(&cfg->shape)));
    return mlp_work_init(&mb->work, &cfg->shape, train_work_rows(cfg, task));
}

static void member_free(Member *mb) {
    mlp_work_free(&mb->work);
    free(mb->concept_metrics); free(mb->probe_scratch);
}

static int piece_init(Piece *p, const TrainConfig *cfg, const Task *task, uint64_t data_seed, int first, int n) {
    *p = (Piece){ .data_seed = data_seed, .first = first, .n = n };
    if (task->world) {   // a fixed D of generated examples, or (D = 0) a fresh one every time
        if (cfg->train_size && sampler_init(&p->sampler, data_seed, (uint32_t)cfg->train_size, (uint32_t)cfg->train_size) != 0)
            return -1;
    } else {
        uint32_t D = cfg->train_size ? (uint32_t)cfg->train_size : (uint32_t)task->train.n;
        if (sampler_init(&p->sampler, data_seed, D, (uint32_t)task->train.n) != 0) return -1;
    }
    p->X = xmalloc(sizeof(float) * (size_t)cfg->batch * task->dim);
    p->labels = xmalloc(sizeof(int) * cfg->batch);
    p->rows = xmalloc(sizeof(uint32_t) * cfg->batch);
    p->next_rows = xmalloc(sizeof(uint32_t) * cfg->batch);
    p->next_step = -1;
    if (task_has_targets(task)) p->targets = xmalloc(sizeof(float) * (size_t)cfg->batch * task->n_out);
    return 0;
}

static void piece_free(Piece *p) {
    sampler_free(&p->sampler);
    free(p->X); free(p->labels); free(p->targets); free(p->rows); free(p->next_rows);
}

// Steps of the whole training: the base steps, then the injection and return phases.
static long total_steps(const TrainConfig *cfg) {
    return cfg->steps + (cfg->injection.steps > 0 ? cfg->injection.steps + cfg->injection.return_steps : 0);
}

// Whether step is in the injection phase [steps, steps + injection.steps).
static int injecting(const TrainConfig *cfg, long step) {
    return cfg->injection.steps > 0 && step >= cfg->steps && step < cfg->steps + cfg->injection.steps;
}

static void gather_batch(Piece *p, const TrainConfig *cfg, const Task *task, long step, int B) {
    int dim = task->dim, n_out = task->n_out;
    if (task->world && injecting(cfg, step)) {
        // The injection stream: its own RNG stream of the data seed, example (step − steps)·B + j,
        // always fresh (even with a fixed D: the injected data is new data).
        const Injection *in = &cfg->injection;
        for (int j = 0; j < B; j++) {
            uint64_t index = (uint64_t)(step - cfg->steps) * B + j;
            int c = world_injection_concept(task->world, p->data_seed, RNG_STREAM_INJECT, index, in->task, in->share);
            world_example(task->world, p->data_seed, RNG_STREAM_INJECT, index, c,
                          p->X + (size_t)j * dim, p->labels + j, p->targets ? p->targets + (size_t)j * n_out : NULL);
        }
        return;
    }
    if (task->world) {
        // Example r of this piece's data seed; fresh sampling never repeats an index.
        if (p->sampler.D) sampler_batch(&p->sampler, step, B, p->rows);
        for (int j = 0; j < B; j++) {
            uint64_t index = p->sampler.D ? p->rows[j] : (uint64_t)step * B + j;
            world_example(task->world, p->data_seed, RNG_STREAM_FRESH, index, -1,
                          p->X + (size_t)j * dim, p->labels + j, p->targets ? p->targets + (size_t)j * n_out : NULL);
        }
        return;
    }
    if (p->next_step == step) { uint32_t *r = p->rows; p->rows = p->next_rows; p->next_rows = r; }
    else sampler_batch(&p->sampler, step, B, p->rows);
    task_gather(task, &task->train, p->rows, 0, B, p->X, p->labels, p->targets);
    // The next batch's rows, fetched while this one trains: its gather then mostly hits the cache.
    sampler_batch(&p->sampler, step + 1, B, p->next_rows);
    p->next_step = step + 1;
    task_prefetch(task, &task->train, p->next_rows, B);
}

static int validate(const TrainConfig *cfg, const Task *task, int M) {
    if (M < 1) return jp_fail("an ensemble needs at least one member");
    if (cfg->shape.n_in != task->dim || cfg->shape.n_out != task->n_out)
        return jp_fail("model is %d→%d but task %s is %d→%d", cfg->shape.n_in, cfg->shape.n_out,
                       task->name, task->dim, task->n_out);
    if (cfg->batch < 1 || cfg->steps < 0 || cfg->threads < 1 || cfg->eval_rows < 1)
        return jp_fail("batch, threads and evaluation rows must be positive, steps non-negative");
    const Injection *in = &cfg->injection;
    if (in->steps > 0 && !task->world) return jp_fail("injection: only toy worlds have concepts to inject");
    if (in->steps > 0 && (in->task < 0 || in->task >= task->world->o.concepts))
        return jp_fail("injection.task: %d is not a concept of this world (0 to %d)", in->task, task->world->o.concepts - 1);
    if (in->steps > 0 && !(in->share > 0 && in->share <= 1)) return jp_fail("injection.share: %g must be in (0, 1]", in->share);
    if (in->steps < 0 || in->return_steps < 0) return jp_fail("injection.steps and injection.return_steps: non-negative");
    if (cfg->loss == LOSS_CROSS_ENTROPY && task_has_targets(task))
        return jp_fail("cross-entropy needs class labels; task %s has regression targets", task->name);
    if (cfg->loss == LOSS_HEAD && !task_has_targets(task))
        return jp_fail("the head loss needs regression targets (NaN where a head has none); task %s has labels", task->name);
    return 0;
}

int train_blas_threads(int threads, int M, int lm) {
    if (!lm) return 1;
    int member_threads = threads < M ? threads : M;   // as train_lm_ensemble splits them
    return member_threads > 1 ? 1 : threads;
}

int train_eval_chunk(const TrainConfig *cfg) {
    int rows = cfg->batch > 256 ? cfg->batch : 256;
    return rows < cfg->eval_rows ? rows : cfg->eval_rows;
}

// The most examples of any one concept of a stratified split (0 for an ordinary split).
static int largest_concept(const Split *s) {
    int most = 0;
    for (int c = 0; c < s->n_concepts; c++)
        if (s->concept_start[c + 1] - s->concept_start[c] > most) most = s->concept_start[c + 1] - s->concept_start[c];
    return most;
}

int train_work_rows(const TrainConfig *cfg, const Task *task) {
    int rows = cfg->batch > train_eval_chunk(cfg) ? cfg->batch : train_eval_chunk(cfg);
    // stratified splits are evaluated (and probed) a concept at a time
    int test = largest_concept(&task->test), val = largest_concept(&task->val);
    if (test > rows) rows = test;
    return val > rows ? val : rows;
}

// The trainer's threads: member_threads − 1 helpers and the caller, which wait for work asleep (a
// condition variable), never spinning. OpenMP's threads spin at every barrier and between regions
// (GOMP_SPINCOUNT: 300,000 pauses, and OMP_WAIT_POLICY is read before main): with members unbalanced
// against threads, or a loaded machine, that cost up to 1.3× the CPU of one thread at 2.
typedef struct Training Training;
typedef void (*ItemFn)(Training *t, int i, void *ctx);


// One training run of M members in progress: what the evaluation and the step share.
struct Training {
    const TrainConfig *cfg;
    const Task *task;
    const MemberSeeds *seeds;
    int M, member_threads;
    Ensemble *e;
    Member *mbs;
    MemberSummary *summaries;
    double t0, eval_s, flops_per_example;
    EvalBatch *evals;      // [member_threads] a chunk of a held-out split for each thread's members
    char *live;            // [M] not diverged
    int *order;            // [M] the members by data seed (a data seed's members one after another)
    double *sums;          // [2][M] a split's mean loss and accuracy per member
    double *share_sums;    // [member_threads][2][M] the same, as each thread's evaluate_split writes them
    char *share_live;      // [member_threads][M] the members each thread evaluates
    Schedule sch;          // cfg->schedule over cfg->steps
    Piece *pieces;         // [n_pieces] in order: thread share k is pieces [share[k], share[k + 1])
    int n_pieces, *share;  // share[member_threads + 1]
    atomic_int stopped;    // some thread saw cfg->stop
    Crew crew;
};

// fn(t, i, ctx) for every i in [0, n) on the training's crew (base/crew.h); returns when all are done.
typedef struct { Training *t; ItemFn fn; void *ctx; } Items;
static void run_item(void *arg, int i) {
    Items *items = arg;
    items->fn(items->t, i, items->ctx);
}
static void run_items(Training *t, int n, ItemFn fn, void *ctx) {
    Items items = { t, fn, ctx };
    crew_run(&t->crew, n, run_item, &items);
}

// A split being evaluated: where the members' numbers go, and (an ordinary split) the live members.
typedef struct {
    const Split *s;
    double *loss, *acc;    // [M]
    int concepts;          // keep each member's per-concept metrics
    int *live, n_live;     // [n_live] the live members
    MlpWork **w;           // [M]
} SplitEval;

// Item k of an ordinary split: thread share k of the live members (shares within one member of each
// other), chunk by chunk, each chunk gathered once for them. A gather per share rather than one for
// all members: that needs two barriers per chunk, and a thread spinning at them while the other was
// descheduled cost 6 of 7 s of evaluation at 2 threads on this shared machine.
static void evaluate_share(Training *t, int k, void *ctx) {
    SplitEval *v = ctx;
    int M = t->M, S = t->member_threads;
    char *mine = t->share_live + (size_t)k * M;
    double *L = t->share_sums + (size_t)k * 2 * M, *A = L + M;
    int lo = (int)((long)k * v->n_live / S), hi = (int)((long)(k + 1) * v->n_live / S);
    memset(mine, 0, M);
    for (int i = lo; i < hi; i++) mine[v->live[i]] = 1;
    if (lo < hi) evaluate_split(t->task, v->s, t->e, mine, t->cfg->loss, &t->evals[k], v->w, L, A);
    for (int i = lo; i < hi; i++) { v->loss[v->live[i]] = L[v->live[i]]; v->acc[v->live[i]] = A[v->live[i]]; }
}

// Item m of a toy world's stratified split (stored as float): member m, a concept at a time.
static void evaluate_stratified(Training *t, int m, void *ctx) {
    SplitEval *v = ctx;
    Member *mb = &t->mbs[m];
    int C = v->s->n_concepts;
    double *cm = v->concepts ? mb->concept_metrics : NULL;
    if (t->live[m])
        evaluate_member(t->e, m, v->s, t->cfg->loss, &mb->work, &v->loss[m], &v->acc[m], cm, cm ? cm + C : NULL);
}

// Every live member's mean loss and accuracy on split s into loss[M], acc[M] (and, for the
// test split of a toy world, each member's per-concept metrics).
static void evaluate_split_all(Training *t, const Split *s, double *loss, double *acc, int concepts) {
    int M = t->M;
    int live[M];
    MlpWork *w[M];
    SplitEval v = { s, loss, acc, concepts, live, 0, w };
    for (int m = 0; m < M; m++) {
        w[m] = &t->mbs[m].work;
        loss[m] = acc[m] = NAN;
        if (t->live[m]) live[v.n_live++] = m;
    }
    if (s->n_concepts == 0) run_items(t, t->member_threads, evaluate_share, &v);
    else run_items(t, M, evaluate_stratified, &v);
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

// Item m of the interference probes: member m's, into recs[m].
static void probe_member(Training *t, int m, void *ctx) {
    EvalRecord *recs = ctx;
    const TrainConfig *cfg = t->cfg;
    Member *mb = &t->mbs[m];
    if (t->live[m] && mb->probe_scratch)
        recs[m].probed = interference_probe(&t->e->shape, member_params(t->e, m), t->e->P, &t->task->test,
                                            cfg->loss, cfg->probe_concepts, cfg->probe_lr, &mb->work,
                                            mb->probe_scratch, &recs[m].probe) == 0;
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
    if (t->mbs[0].probe_scratch) run_items(t, M, probe_member, recs);
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

static float lr_at(const Training *t, long step) {
    if (step >= t->cfg->steps) return t->cfg->optim.lr;   // the injection and return phases (Injection)
    return t->cfg->optim.lr * schedule_factor(&t->sch, step);
}

// Whether the ensemble is evaluated at `step`: the start, every eval_every steps, and the end of
// each phase (base training, injection, return).
static int evaluated_at(const TrainConfig *cfg, long step) {
    const Injection *in = &cfg->injection;
    if (step == 0 || step == cfg->steps || step == total_steps(cfg)) return 1;
    if (in->steps > 0 && step == cfg->steps + in->steps) return 1;
    return cfg->eval_every > 0 && step % cfg->eval_every == 0;
}

// The first step after `step` at which the threads meet: an evaluation, the capture, or the end.
static long segment_end(const TrainConfig *cfg, long step) {
    long end = total_steps(cfg);
    const Injection *in = &cfg->injection;
    if (in->steps > 0 && step < cfg->steps) end = cfg->steps;
    else if (in->steps > 0 && step < cfg->steps + in->steps) end = cfg->steps + in->steps;
    if (cfg->eval_every > 0 && (step / cfg->eval_every + 1) * cfg->eval_every < end)
        end = (step / cfg->eval_every + 1) * cfg->eval_every;
    if (cfg->capture && cfg->capture_step > step && cfg->capture_step < end) end = cfg->capture_step;
    return end;
}

// Steps [from, to) of one piece: each batch gathered once, then every live member's optimiser step
// on it; a non-finite loss marks the member diverged at that step (it stops; the others go on).
// The stop flag is polled before every step; the thread that sees it tells the others (stopped).
static void run_piece(Training *t, Piece *p, long from, long to) {
    const TrainConfig *cfg = t->cfg;
    int targets = task_has_targets(t->task);
    double told_at = cfg->on_steps ? clock_now_s() : 0, untold = 0;   // member-steps not yet told on_steps
    for (long step = from; step < to; step++) {
        // the clock read every 64 steps: a toy model's step takes about a microsecond
        if (cfg->on_steps && untold > 0 && (step - from) % 64 == 0 && clock_now_s() - told_at >= 0.25) {
            cfg->on_steps(cfg->steps_ctx, untold, untold * cfg->batch * t->flops_per_example);
            untold = 0;
            told_at = clock_now_s();
        }
        if (atomic_load_explicit(&t->stopped, memory_order_relaxed) || (cfg->stop && atomic_load(cfg->stop))) {
            atomic_store(&t->stopped, 1);
            break;
        }
        int live = 0;
        for (int i = p->first; i < p->first + p->n; i++) live |= !t->mbs[t->order[i]].diverged;
        if (!live) continue;
        float lr = lr_at(t, step);
        gather_batch(p, cfg, t->task, step, cfg->batch);
        for (int i = p->first; i < p->first + p->n; i++) {
            int m = t->order[i];
            Member *mb = &t->mbs[m];
            if (mb->diverged) continue;
            double loss = train_step(t->e, m, p->X, targets ? NULL : p->labels, p->targets,
                                     cfg->batch, cfg->loss, &cfg->optim, lr, &mb->work);
            if (!isfinite(loss)) {
                mb->diverged = 1;
                t->summaries[m].diverged_step = step;
                continue;
            }
            mb->loss_sum += loss;
            mb->loss_count++;
            untold++;
        }
    }
    if (cfg->on_steps && untold > 0) cfg->on_steps(cfg->steps_ctx, untold, untold * cfg->batch * t->flops_per_example);
}

// Item k of a segment of steps [from, to): thread share k's pieces one after another, each through
// all the steps (a member's weights and moments stay in cache; a piece's members share each batch).
static void run_share(Training *t, int k, void *ctx) {
    const long *steps = ctx;
    for (int q = t->share[k]; q < t->share[k + 1]; q++) run_piece(t, &t->pieces[q], steps[0], steps[1]);
}

// Steps [from, to) of every member, with no barrier between steps (a barrier per step left the
// thread with fewer members spinning in libgomp: a third of the CPU time of 5 members on 2 threads).
// Returns 1 if stopped.
static int run_segment(Training *t, long from, long to) {
    long steps[2] = { from, to };
    run_items(t, t->member_threads, run_share, steps);
    return atomic_load(&t->stopped);
}

static int lead_of(const MemberSeeds *seeds, int m) {
    int k = 0;
    while (seeds[k].data_seed != seeds[m].data_seed) k++;
    return k;
}

// Thread share k steps the members order[k·M/S, (k + 1)·M/S) (S = member_threads shares, sizes
// within one member of each other), cut into pieces where the data seed changes or a share begins.
static int split_pieces(Training *t) {
    int M = t->M, S = t->member_threads;
    for (int k = 0; k < S; k++) {
        t->share[k] = t->n_pieces;
        int hi = (int)((long)(k + 1) * M / S);
        for (int i = (int)((long)k * M / S), j; i < hi; i = j) {
            uint64_t ds = t->seeds[t->order[i]].data_seed;
            for (j = i + 1; j < hi && t->seeds[t->order[j]].data_seed == ds; j++) {}
            if (piece_init(&t->pieces[t->n_pieces++], t->cfg, t->task, ds, i, j - i) != 0) return -1;
        }
    }
    t->share[S] = t->n_pieces;
    return 0;
}

static int training_init(Training *t, const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, int M,
                         Ensemble *e, MemberSummary *summaries) {
    int S = cfg->threads < M ? cfg->threads : M;
    *t = (Training){ .cfg = cfg, .task = task, .seeds = seeds, .M = M, .member_threads = S, .e = e,
                     .summaries = summaries, .t0 = clock_now_s(),
                     .flops_per_example = mlp_train_flops_per_example(&cfg->shape), .sch = cfg->schedule };
    t->sch.total = cfg->steps;
    atomic_init(&t->stopped, 0);
    crew_start(&t->crew, t->member_threads);
    t->mbs = xcalloc(M, sizeof(Member));
    t->live = xcalloc(M, 1);
    t->order = xcalloc(M, sizeof(int));
    t->sums = xcalloc(2 * (size_t)M, sizeof(double));
    t->pieces = xcalloc(M, sizeof(Piece));   // a piece holds one member at least
    t->share = xcalloc(S + 1, sizeof(int));
    t->share_sums = xcalloc(2 * (size_t)S * M, sizeof(double));
    t->share_live = xcalloc((size_t)S * M, 1);
    t->evals = xcalloc(S, sizeof(EvalBatch));
    for (int k = 0; k < S; k++) eval_batch_init(&t->evals[k], task, train_eval_chunk(cfg));
    for (int m = 0; m < M; m++) {
        if (member_init(&t->mbs[m], cfg, task) != 0) return -1;
        ensemble_init_member(e, m, cfg->weight_init, cfg->bias_init, seeds[m].init_seed);
        if (cfg->start_params) memcpy(member_params(e, m), cfg->start_params + (size_t)m * e->P, sizeof(float) * e->P);
        summaries[m] = (MemberSummary){ .diverged_step = -1 };
        summaries[m].best.val_loss = INFINITY;
    }
    int n = 0;
    for (int lead = 0; lead < M; lead++)
        for (int m = lead; m < M && lead_of(seeds, lead) == lead; m++)
            if (seeds[m].data_seed == seeds[lead].data_seed) t->order[n++] = m;
    return split_pieces(t);
}

static void training_free(Training *t) {
    for (int m = 0; m < t->M && t->mbs; m++) member_free(&t->mbs[m]);
    for (int q = 0; q < t->n_pieces; q++) piece_free(&t->pieces[q]);
    free(t->mbs); free(t->live); free(t->order); free(t->sums); free(t->pieces); free(t->share);
    for (int k = 0; k < t->member_threads && t->evals; k++) eval_batch_free(&t->evals[k]);
    free(t->evals); free(t->share_sums); free(t->share_live);
    crew_stop(&t->crew);
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
    float lr = 0.0f;
    for (long step = 0;; step = segment_end(cfg, step)) {
        if (cfg->capture && step == cfg->capture_step) memcpy(cfg->capture, e->params, sizeof(float) * e->P * M);
        if (evaluated_at(cfg, step)) evaluate_all(&t, step, lr, sink, ctx);
        if (step == total_steps(cfg)) break;
        if (run_segment(&t, step, segment_end(cfg, step)) != 0) { rc = 1; goto done; }
        lr = lr_at(&t, segment_end(cfg, step) - 1);
    }
    rc = 0;
done:
    training_free(&t);
    if (rc != 0) ensemble_free(e);
    return rc;
}

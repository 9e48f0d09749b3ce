#include "train/lm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/crew.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "nn/clip.h"
#include "train/lm_checkpoint.h"

LmConfig lm_config_defaults(void) {
    LmConfig c = { 0 };
    c.optim = optim_defaults(OPTIM_ADAMW);
    c.optim.beta2 = 0.95f;
    c.optim.weight_decay = 0.1f;
    c.schedule = (Schedule){ .kind = SCHED_COSINE, .warmup = 0, .min_ratio = 0.1f };
    c.clip = 1.0f;
    c.batch = 16;
    c.threads = 1;
    return c;
}

char *lm_config_describe(const LmConfig *cfg, char *buf, size_t n) {
    const GptShape *s = &cfg->shape;
    const OptimConfig *o = &cfg->optim;
    snprintf(buf, n, "gpt d_model=%d n_layer=%d n_head=%d d_ff=%d context=%d tie=%d; %s lr=%.9g wd=%.9g "
             "momentum=%.9g nesterov=%d betas=%.9g,%.9g eps=%.9g; %s warmup=%ld min_ratio=%.9g; clip=%.9g "
             "batch=%d steps=%ld D=%ld eval_every=%ld eval_batch=%d eval_windows=%ld",
             s->d_model, s->n_layer, s->n_head, s->d_ff, s->context, s->tie_embeddings, optim_name(o->kind),
             o->lr, o->weight_decay, o->momentum, o->nesterov, o->beta1, o->beta2, o->eps,
             schedule_name(cfg->schedule.kind), cfg->schedule.warmup, cfg->schedule.min_ratio, cfg->clip,
             cfg->batch, cfg->steps, cfg->D, cfg->eval_every, cfg->eval_batch ? cfg->eval_batch : cfg->batch,
             cfg->eval_windows);
    return buf;
}

int lm_ensemble_init(LmEnsemble *e, const GptShape *shape, int M) {
    memset(e, 0, sizeof *e);
    if (gpt_shape_check(shape) != 0) return -1;
    if (M < 1) return jp_fail("an ensemble needs at least one member");
    e->shape = *shape;
    e->M = M;
    e->P = gpt_n_params(shape);
    size_t n = (size_t)M * e->P;
    e->params = xcalloc(n, sizeof(float));
    e->grads = xcalloc(n, sizeof(float));
    e->m = xcalloc(n, sizeof(float));
    e->v = xcalloc(n, sizeof(float));
    e->member = xcalloc(M, sizeof(LmMemberState));
    for (int m = 0; m < M; m++) e->member[m].summary.diverged_step = -1;
    e->evaluated_step = -1;
    return 0;
}

void lm_ensemble_free(LmEnsemble *e) {
    free(e->params); free(e->grads); free(e->m); free(e->v); free(e->member);
    memset(e, 0, sizeof *e);
}

// ---- one member's buffers ----

typedef struct {
    TextMember text;
    GptWork work;
    uint8_t *bytes;          // [cap][context + 1] windows
    int *tokens, *targets;   // [cap][context]
} LmMember;

static int member_setup(LmMember *mb, const LmConfig *cfg, const TextCorpus *c, uint64_t data_seed, int cap) {
    int T = cfg->shape.context;
    if (text_member_init(c, cfg->D, T, data_seed, &mb->text) != 0) return -1;
    if (gpt_work_init(&mb->work, &cfg->shape, cap, T) != 0) return -1;
    mb->bytes = xmalloc_array((size_t)cap * (T + 1), 1);
    mb->tokens = xmalloc_array((size_t)cap * T, sizeof(int));
    mb->targets = xmalloc_array((size_t)cap * T, sizeof(int));
    return 0;
}

static void member_free(LmMember *mb) {
    text_member_free(&mb->text);
    gpt_work_free(&mb->work);
    free(mb->bytes); free(mb->tokens); free(mb->targets);
}

// windows[B][T + 1] → inputs [B][T] and next-byte targets [B][T].
static void split_windows(const uint8_t *w, int B, int T, int *tokens, int *targets) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            tokens[b * T + t] = w[(size_t)b * (T + 1) + t];
            targets[b * T + t] = w[(size_t)b * (T + 1) + t + 1];
        }
}

// ---- a run in progress ----

static int dp_on(const LmConfig *cfg) { return cfg->dp.ranks > 1 && cfg->dp.sum; }

typedef struct {
    const LmConfig *cfg;
    const TextCorpus *c;
    LmEnsemble *e;
    LmMember *mbs;
    GptTensor *tensors;
    int n_tensors, eval_B;
    long n_eval[2];          // windows evaluated: validation, test
    double t0, wall0;        // clock at this session's start; e->wall_s then
    double flops_per_token;
    Crew crew;               // min(threads, M) threads taking members (base/crew.h), once set up
    int crew_on;
    // Data parallelism (NULL dp_buf: one process). dp_buf: [M][P] gradients, [M] losses, the
    // stop flag and the failure flag, what one dp.sum per step reduces (e->grads is unused).
    // This rank's share of the batch: sequences [dp_first, dp_first + dp_n), weight dp_n / batch.
    float *dp_buf;
    int dp_first, dp_n;
    float dp_w;
} LmRun;

static double run_wall(const LmRun *r) { return r->wall0 + (clock_now_s() - r->t0); }

// Mean nats per byte of member m over the first n windows of `which`.
static double eval_part(const LmRun *r, int m, TextPart which, long n) {
    const LmConfig *cfg = r->cfg;
    LmMember *mb = &r->mbs[m];
    int T = cfg->shape.context;
    double sum = 0;
    for (long first = 0; first < n; first += r->eval_B) {
        int B = n - first < r->eval_B ? (int)(n - first) : r->eval_B;
        text_eval_windows(r->c, which, T, first, B, mb->bytes);
        split_windows(mb->bytes, B, T, mb->tokens, mb->targets);
        sum += gpt_forward(&cfg->shape, lm_member_params(r->e, m), mb->tokens, mb->targets, B, T, &mb->work) * B;
    }
    return sum / (double)n;
}

static void eval_member(const LmRun *r, int m, long step, float lr, LmRecord *rec) {
    const LmConfig *cfg = r->cfg;
    LmMemberState *st = &r->e->member[m];
    *rec = (LmRecord){ .member = m, .init_seed = st->init_seed, .data_seed = st->data_seed, .step = step,
                       .lr = lr, .grad_norm = st->grad_norm };
    rec->tokens = (double)step * cfg->batch * cfg->shape.context;
    rec->flops = rec->tokens * r->flops_per_token;
    rec->train_loss = st->loss_count ? st->loss_sum / (double)st->loss_count : NAN;
    st->loss_sum = 0;
    st->loss_count = 0;
    rec->val_loss = eval_part(r, m, TEXT_VAL, r->n_eval[0]);
    rec->test_loss = eval_part(r, m, TEXT_TEST, r->n_eval[1]);
    rec->val_bpb = rec->val_loss / M_LN2;
    rec->test_bpb = rec->test_loss / M_LN2;
}

typedef struct { LmRun *r; long step; float lr; LmRecord *recs; } LmRound;

static void eval_item(void *arg, int m) {
    LmRound *q = arg;
    if (q->r->e->member[m].summary.diverged_step < 0) eval_member(q->r, m, q->step, q->lr, &q->recs[m]);
}

// Evaluates every live member at `step`, keeps final and best, hands the records to the sink.
static void evaluate_all(LmRun *r, long step, float lr, LmSink sink, void *ctx) {
    LmEnsemble *e = r->e;
    int M = e->M;
    double te = clock_now_s();
    LmRecord *recs = xcalloc(M, sizeof(LmRecord));
    LmRound q = { r, step, lr, recs };
    crew_run(&r->crew, M, eval_item, &q);
    e->eval_s += clock_now_s() - te;
    e->evaluated_step = step;
    double wall = run_wall(r);
    for (int m = 0; m < M; m++) {
        LmSummary *s = &e->member[m].summary;
        s->eval_s = e->eval_s;
        if (s->diverged_step >= 0) continue;
        recs[m].wall_s = wall;
        s->final = recs[m];
        if (recs[m].val_loss < s->best.val_loss) s->best = recs[m];
        if (sink) sink(ctx, &recs[m]);
    }
    free(recs);
}

// Member m's batch at `step`, forward and backward on its sequences [first, first + n):
// g[P] = ∂(mean loss over them)/∂params. Returns that mean loss (non-finite: g not written).
static double member_grad(const LmRun *r, int m, long step, int first, int n, float *g) {
    const LmConfig *cfg = r->cfg;
    LmMember *mb = &r->mbs[m];
    int T = cfg->shape.context;
    text_batch(&mb->text, step, cfg->batch, mb->bytes);
    split_windows(mb->bytes + (size_t)first * (T + 1), n, T, mb->tokens, mb->targets);
    const float *p = lm_member_params(r->e, m);
    double loss = gpt_forward(&cfg->shape, p, mb->tokens, mb->targets, n, T, &mb->work);
    if (isfinite(loss)) gpt_backward(&cfg->shape, p, mb->tokens, n, T, &mb->work, g);
    return loss;
}

// Clip and AdamW per tensor of member m with its gradient g[P] and its (finite) batch loss.
// A non-finite gradient norm marks the member diverged at this step (its weights untouched).
static void member_update(const LmRun *r, int m, long step, float lr, double loss, float *g) {
    const LmConfig *cfg = r->cfg;
    LmEnsemble *e = r->e;
    LmMemberState *st = &e->member[m];
    float norm = grad_clip_global_norm(g, e->P, cfg->clip > 0 ? cfg->clip : INFINITY);
    if (!isfinite(norm)) { st->summary.diverged_step = step; return; }
    st->t++;
    float *p = lm_member_params(e, m), *sm = e->m + (size_t)m * e->P, *sv = e->v + (size_t)m * e->P;
    for (int k = 0; k < r->n_tensors; k++) {
        const GptTensor *t = &r->tensors[k];
        optim_update(&cfg->optim, lr, st->t, t->decay, p + t->offset, g + t->offset, sm + t->offset,
                     sv + t->offset, t->size);
    }
    st->loss_sum += loss;
    st->loss_count++;
    st->grad_norm = norm;
}

// One process: one step of member m on the whole batch. A non-finite loss marks the member
// diverged at this step (its weights untouched).
static void step_item(void *arg, int m) {
    LmRound *q = arg;
    const LmRun *r = q->r;
    LmEnsemble *e = r->e;
    if (e->member[m].summary.diverged_step >= 0) return;
    float *g = e->grads + (size_t)m * e->P;
    double loss = member_grad(r, m, q->step, 0, r->cfg->batch, g);
    if (!isfinite(loss)) { e->member[m].summary.diverged_step = q->step; return; }
    member_update(r, m, q->step, q->lr, loss, g);
}

// Data parallel, the gradient phase: member m's slots of dp_buf get this rank's share of the
// gradient of the batch's mean loss (the share's mean · B_r/B) and of the loss. A diverged
// member, or a rank without sequences (ranks > batch), contributes zeros; a non-finite loss
// contributes NaN (so every rank sees it after the sum) and a zero gradient.
static void dp_grad_item(void *arg, int m) {
    LmRound *q = arg;
    const LmRun *r = q->r;
    LmEnsemble *e = r->e;
    float *g = r->dp_buf + (size_t)m * e->P, *loss_slot = r->dp_buf + (size_t)e->M * e->P + m;
    double loss = 0;
    if (e->member[m].summary.diverged_step < 0 && r->dp_n > 0)
        loss = member_grad(r, m, q->step, r->dp_first, r->dp_n, g);
    if (e->member[m].summary.diverged_step >= 0 || r->dp_n == 0 || !isfinite(loss)) {
        memset(g, 0, e->P * sizeof(float));
        *loss_slot = isfinite(loss) ? 0.0f : NAN;
        return;
    }
    for (size_t i = 0; i < e->P; i++) g[i] *= r->dp_w;
    *loss_slot = (float)(loss * r->dp_w);
}

// Data parallel, the update phase, on the summed buffer (the same on every rank, so every
// rank decides divergence alike): a non-finite summed loss or gradient norm marks member m
// diverged, else clip and AdamW.
static void dp_update_item(void *arg, int m) {
    LmRound *q = arg;
    const LmRun *r = q->r;
    LmEnsemble *e = r->e;
    if (e->member[m].summary.diverged_step >= 0) return;
    float loss = r->dp_buf[(size_t)e->M * e->P + m];
    if (!isfinite(loss)) { e->member[m].summary.diverged_step = q->step; return; }
    member_update(r, m, q->step, q->lr, loss, r->dp_buf + (size_t)m * e->P);
}

// Step `step` of every live member. One process: returns 0. Data parallel: gradients (crew),
// then one dp.sum of every member's gradient, the losses, the stop flag and the failure flag
// (this thread), then clip and AdamW (crew). Returns 1, the step not taken, when any rank's
// stop flag is set, and −1 (jp_fail) when any rank failed (`failed`: this one, whose
// checkpoint could not be written), so no rank is left waiting in a sum the others never
// make. A rank that will not take the step skips its gradients (zeros) but makes the sum.
//
// Reduction order: a rank's partial is its share's mean gradient (gpt_backward's order) scaled
// by B_r/B in float; the sum over ranks is in dp.sum's order (MPI_Allreduce's; the test sums in
// rank order). It differs from one process's full-batch gradient by rounding only
// (tests/test_lm_dp.c measures losses and parameters against one process).
static int step_all(LmRun *r, long step, float lr, int failed) {
    LmRound q = { r, step, lr, NULL };
    int M = r->e->M;
    if (!r->dp_buf) {
        crew_run(&r->crew, M, step_item, &q);
        return 0;
    }
    const LmConfig *cfg = r->cfg;
    size_t n = (size_t)M * r->e->P + M;
    int stop = cfg->stop && atomic_load(cfg->stop);
    if (stop || failed) memset(r->dp_buf, 0, n * sizeof(float));
    else crew_run(&r->crew, M, dp_grad_item, &q);
    r->dp_buf[n] = stop ? 1.0f : 0.0f;
    r->dp_buf[n + 1] = failed ? 1.0f : 0.0f;
    cfg->dp.sum(cfg->dp.ctx, r->dp_buf, n + 2);
    if (r->dp_buf[n + 1] != 0.0f)
        return failed ? -1 : jp_fail("lm: another data-parallel rank failed at step %ld", step);
    if (r->dp_buf[n] != 0.0f) return 1;
    crew_run(&r->crew, M, dp_update_item, &q);
    return 0;
}

static int validate(const LmConfig *cfg, const TextCorpus *c, int M) {
    if (M < 1) return jp_fail("an ensemble needs at least one member");
    if (gpt_shape_check(&cfg->shape) != 0) return -1;
    if (cfg->batch < 1 || cfg->steps < 0 || cfg->threads < 1 || cfg->eval_batch < 0 || cfg->eval_windows < 0 ||
        cfg->eval_every < 0 || cfg->clip < 0)
        return jp_fail("lm: batch and threads must be positive; steps, eval_every, eval_batch, eval_windows "
                       "and clip non-negative");
    if (dp_on(cfg) && (cfg->dp.rank < 0 || cfg->dp.rank >= cfg->dp.ranks))
        return jp_fail("lm: data-parallel rank %d of %d", cfg->dp.rank, cfg->dp.ranks);
    for (TextPart p = TEXT_VAL; p <= TEXT_TEST; p++)
        if (text_eval_count(c, p, cfg->shape.context) < 1) return -1;
    return 0;
}

// A fresh run: allocate and initialise. A resumed one: the checkpoint must be of this run.
static int start_or_check(const LmConfig *cfg, const MemberSeeds *seeds, int M, LmEnsemble *e) {
    char desc[sizeof e->config];
    lm_config_describe(cfg, desc, sizeof desc);
    if (!e->params) {
        if (lm_ensemble_init(e, &cfg->shape, M) != 0) return -1;
        snprintf(e->config, sizeof e->config, "%s", desc);
        for (int m = 0; m < M; m++) {
            LmMemberState *st = &e->member[m];
            st->init_seed = seeds[m].init_seed;
            st->data_seed = seeds[m].data_seed;
            st->grad_norm = NAN;
            st->summary.best.val_loss = INFINITY;
            gpt_init_params(&cfg->shape, lm_member_params(e, m), seeds[m].init_seed);
        }
        return 0;
    }
    if (e->M != M) return jp_fail("lm: resuming a run of %d members with %d", e->M, M);
    if (strcmp(e->config, desc))
        return jp_fail("lm: the checkpoint was made by another configuration:\n  it:   %s\n  this: %s", e->config, desc);
    for (int m = 0; m < M; m++)
        if (e->member[m].init_seed != seeds[m].init_seed || e->member[m].data_seed != seeds[m].data_seed)
            return jp_fail("lm: member %d's seeds differ from the checkpoint's", m);
    if (e->step > cfg->steps) return jp_fail("lm: the checkpoint is at step %ld, past the run's %ld", e->step, cfg->steps);
    return 0;
}

static int run_setup(LmRun *r, const LmConfig *cfg, const TextCorpus *c) {
    LmEnsemble *e = r->e;
    int T = cfg->shape.context;
    r->t0 = clock_now_s();
    r->wall0 = e->wall_s;
    r->eval_B = cfg->eval_batch ? cfg->eval_batch : cfg->batch;
    for (int k = 0; k < 2; k++) {
        long n = text_eval_count(c, k ? TEXT_TEST : TEXT_VAL, T);
        r->n_eval[k] = cfg->eval_windows && cfg->eval_windows < n ? cfg->eval_windows : n;
    }
    r->n_tensors = gpt_n_tensors(&cfg->shape);
    r->tensors = xmalloc_array((size_t)r->n_tensors, sizeof(GptTensor));
    gpt_tensors(&cfg->shape, r->tensors);
    r->flops_per_token = gpt_train_flops_per_token(&cfg->shape);
    r->mbs = xcalloc(e->M, sizeof(LmMember));
    int cap = r->eval_B > cfg->batch ? r->eval_B : cfg->batch;
    for (int m = 0; m < e->M; m++)
        if (member_setup(&r->mbs[m], cfg, c, e->member[m].data_seed, cap) != 0) return -1;
    if (dp_on(cfg)) {
        int R = cfg->dp.ranks, k = cfg->dp.rank, B = cfg->batch;
        r->dp_n = B / R + (k < B % R);
        r->dp_first = k * (B / R) + (k < B % R ? k : B % R);
        r->dp_w = (float)((double)r->dp_n / B);
        r->dp_buf = xmalloc_array((size_t)e->M * e->P + e->M + 2, sizeof(float));
    }
    crew_start(&r->crew, cfg->threads < e->M ? cfg->threads : e->M);
    r->crew_on = 1;
    return 0;
}

static void run_free(LmRun *r) {
    if (r->crew_on) crew_stop(&r->crew);
    for (int m = 0; r->mbs && m < r->e->M; m++) member_free(&r->mbs[m]);
    free(r->mbs);
    free(r->tensors);
    free(r->dp_buf);
}

static int checkpoint_now(LmRun *r, double *last) {
    r->e->wall_s = run_wall(r);
    *last = clock_now_s();
    return lm_checkpoint_write(r->cfg->checkpoint_path, r->e);
}

// Is a periodic checkpoint due before step `step` (not the first of this session)?
static int checkpoint_due(const LmConfig *cfg, long step, long first, double last) {
    if (!cfg->checkpoint_path || step == first || step >= cfg->steps) return 0;
    if (cfg->checkpoint_every_steps > 0 && step % cfg->checkpoint_every_steps == 0) return 1;
    return cfg->checkpoint_every_s > 0 && clock_now_s() - last >= cfg->checkpoint_every_s;
}

// The loop: at step s, evaluate (when due, not repeating a resumed step's), checkpoint
// (when due), honour the stop flag, then take step s. 0, 1 (stopped) or −1.
static int run_loop(LmRun *r, LmSink sink, void *ctx) {
    const LmConfig *cfg = r->cfg;
    LmEnsemble *e = r->e;
    Schedule sch = cfg->schedule;
    sch.total = cfg->steps;
    long first = e->step;
    double last_ckpt = clock_now_s();
    float lr = first > 0 ? cfg->optim.lr * schedule_factor(&sch, first - 1) : 0.0f;
    for (long step = first;; step++) {
        e->step = step;
        int last = step == cfg->steps;
        int due = step == 0 || last || (cfg->eval_every > 0 && step % cfg->eval_every == 0);
        if (due && step != e->evaluated_step) evaluate_all(r, step, lr, sink, ctx);
        if (last) break;
        int failed = checkpoint_due(cfg, step, first, last_ckpt) && checkpoint_now(r, &last_ckpt) != 0;
        if (failed && !r->dp_buf) return -1;   // data parallel: the other ranks learn it in the sum
        // One process: the stop flag here; data parallel: agreed in step_all's sum.
        int stop = !r->dp_buf && cfg->stop && atomic_load(cfg->stop);
        if (!stop) {
            lr = cfg->optim.lr * schedule_factor(&sch, step);
            stop = step_all(r, step, lr, failed);
        }
        if (stop < 0) return -1;
        if (stop) {
            if (cfg->checkpoint_path && checkpoint_now(r, &last_ckpt) != 0) return -1;
            return 1;
        }
    }
    return 0;
}

int train_lm_ensemble(const LmConfig *cfg, const TextCorpus *c, const MemberSeeds *seeds, int M,
                      LmEnsemble *e, LmSink sink, void *ctx, LmSummary *summaries) {
    if (validate(cfg, c, M) != 0) return -1;
    int fresh = e->params == NULL;
    if (start_or_check(cfg, seeds, M, e) != 0) {
        if (fresh) lm_ensemble_free(e);
        return -1;
    }
    LmRun r = { .cfg = cfg, .c = c, .e = e };
    int rc = run_setup(&r, cfg, c) == 0 ? run_loop(&r, sink, ctx) : -1;
    e->wall_s = run_wall(&r);
    run_free(&r);
    if (rc >= 0 && summaries)
        for (int m = 0; m < M; m++) summaries[m] = e->member[m].summary;
    if (rc < 0 && fresh) lm_ensemble_free(e);
    return rc;
}

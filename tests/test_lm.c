// The language-model training loop (train/lm.h), its checkpoints and weights export
// (train/lm_checkpoint.h) and sampling (nn/sample.h), on tiny models (d_model 16, 2 layers,
// 2 heads, context 16, batch 4) and tests/data/small.txt: the loss falls below the uniform
// 8 bits/byte; members are bit-for-bit the runs they would be alone, at any thread count;
// a run resumed from a checkpoint (taken at an evaluation step or between evaluations)
// continues bit-identically; weight decay touches only the decay tensors; clipping bounds
// the update; records count tokens and FLOPs by the formula; sampling is reproducible and
// continues a memorised string.
#include "testutil.h"
#include "lm_fixtures.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "nn/blas.h"
#include "nn/sample.h"
#include "train/lm.h"
#include "train/lm_checkpoint.h"
#include "train/trainer.h"


static char tmpdir[128];

static int make_tmpdir(void **state) { (void)state; return temp_dir_make(tmpdir, sizeof tmpdir, "lm"); }
static int remove_tmpdir(void **state) { (void)state; return temp_dir_remove(tmpdir); }

// Everything but the wall time.
static void assert_records_equal(const LmRecord *a, const LmRecord *b) {
    assert_int_equal(a->member, b->member);
    assert_int_equal(a->step, b->step);
    assert_true(a->init_seed == b->init_seed && a->data_seed == b->data_seed);
    const double da[] = { a->tokens, a->flops, a->train_loss, a->val_loss, a->test_loss, a->val_bpb, a->test_bpb };
    const double db[] = { b->tokens, b->flops, b->train_loss, b->val_loss, b->test_loss, b->val_bpb, b->test_bpb };
    assert_memory_equal(da, db, sizeof da);
    assert_memory_equal(&a->lr, &b->lr, sizeof(float));
    assert_memory_equal(&a->grad_norm, &b->grad_norm, sizeof(float));
}

// 200 steps bring validation from the uniform 8 bits/byte to well below it.
static void test_loss_falls(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(200);
    cfg.optim.lr = 1e-2f;
    cfg.eval_every = 100;
    cfg.eval_windows = 0;   // every validation and test window
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble e = { 0 };
    LmSummary sum;
    Recs rs = { .stop_at = -1 };
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, sink, &rs, &sum), 0);
    assert_int_equal(rs.n, 3);
    // At initialisation the logits are nearly flat: 8 bits/byte.
    assert_true(fabs(rs.r[0].val_bpb - 8.0) < 0.05);
    assert_true(isnan(rs.r[0].train_loss));
    double bpb = rs.r[2].val_bpb;
    fprintf(stderr, "val bits/byte: %.3f → %.3f → %.3f (test %.3f)\n", rs.r[0].val_bpb, rs.r[1].val_bpb, bpb,
            rs.r[2].test_bpb);
    assert_true(bpb < 5.0);                      // measured 4.23 (val) and 4.25 (test): 3.8 bits below uniform
    assert_true(rs.r[1].val_bpb < rs.r[0].val_bpb - 2.0);
    assert_true(rs.r[2].train_loss / M_LN2 < 5.0);
    assert_int_equal(sum.diverged_step, -1);
    assert_int_equal(sum.final.step, 200);
    assert_true(sum.best.val_loss <= sum.final.val_loss);
    lm_ensemble_free(&e);
    text_corpus_free(&c);
}

// Member 1 of an ensemble of 3 equals the same member trained alone, and an ensemble on
// 1 thread equals it on 2.
static void test_members_are_independent(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(12);
    MemberSeeds seeds[3];
    seeds_for(seeds, 3);
    LmEnsemble e3 = { 0 }, e1 = { 0 }, e3b = { 0 };
    Recs *r3 = calloc(1, sizeof *r3), *r1 = calloc(1, sizeof *r1);
    blas_set_threads(1);
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 3, &e3, sink, r3, NULL), 0);
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds + 1, 1, &e1, sink, r1, NULL), 0);
    assert_memory_equal(lm_member_params(&e3, 1), e1.params, sizeof(float) * e1.P);
    assert_memory_equal(e3.m + e3.P, e1.m, sizeof(float) * e1.P);
    assert_int_equal(r3->n, 3 * r1->n);
    for (int k = 0; k < r1->n; k++) {
        LmRecord a = r3->r[3 * k + 1];
        a.member = 0;
        assert_records_equal(&a, &r1->r[k]);
    }
    // Members are distinct runs: member 0's weights differ from member 1's.
    assert_memory_not_equal(lm_member_params(&e3, 0), lm_member_params(&e3, 1), sizeof(float) * e3.P);
    cfg.threads = 2;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 3, &e3b, NULL, NULL, NULL), 0);
    assert_memory_equal(e3.params, e3b.params, sizeof(float) * 3 * e3.P);
    assert_memory_equal(e3.v, e3b.v, sizeof(float) * 3 * e3.P);
    lm_ensemble_free(&e3); lm_ensemble_free(&e1); lm_ensemble_free(&e3b);
    free(r3); free(r1);
    text_corpus_free(&c);
}

// One member big enough for OpenBLAS to split its GEMMs: 2 BLAS threads give the bits of 1.
static void test_blas_threads_do_not_change_bits(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(2);
    cfg.shape = (GptShape){ .d_model = 128, .n_layer = 1, .n_head = 4, .d_ff = 512, .context = 64, .tie_embeddings = 1 };
    cfg.batch = 8;
    cfg.eval_windows = 2;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble a = { 0 }, b = { 0 };
    cfg.threads = 1;
    blas_set_threads(train_blas_threads(cfg.threads, 1, 1));
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &a, NULL, NULL, NULL), 0);
    cfg.threads = 2;
    blas_set_threads(train_blas_threads(cfg.threads, 1, 1));
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &b, NULL, NULL, NULL), 0);
    blas_set_threads(1);
    assert_memory_equal(a.params, b.params, sizeof(float) * a.P);
    assert_memory_equal(&a.member[0].summary.final.val_loss, &b.member[0].summary.final.val_loss, sizeof(double));
    lm_ensemble_free(&a); lm_ensemble_free(&b);
    text_corpus_free(&c);
}

static void assert_states_equal(const LmEnsemble *a, const LmEnsemble *b) {
    assert_int_equal(a->M, b->M);
    assert_int_equal(a->step, b->step);
    size_t n = (size_t)a->M * a->P;
    assert_memory_equal(a->params, b->params, sizeof(float) * n);
    assert_memory_equal(a->m, b->m, sizeof(float) * n);
    assert_memory_equal(a->v, b->v, sizeof(float) * n);
    for (int m = 0; m < a->M; m++) {
        assert_int_equal(a->member[m].t, b->member[m].t);
        assert_records_equal(&a->member[m].summary.final, &b->member[m].summary.final);
        assert_records_equal(&a->member[m].summary.best, &b->member[m].summary.best);
    }
}

// Records of `resumed` equal the tail of `straight` from the first step after `from`.
static void assert_tail_equal(const Recs *straight, const Recs *resumed, long from) {
    int k = 0;
    while (k < straight->n && straight->r[k].step <= from) k++;
    assert_int_equal(straight->n - k, resumed->n);
    assert_true(resumed->n > 0);
    for (int i = 0; i < resumed->n; i++) assert_records_equal(&straight->r[k + i], &resumed->r[i]);
}

// Resumes `path` (at step `at`, or −1: any) and checks the result against the straight run.
static long resume_and_compare(const LmConfig *cfg, const TextCorpus *c, const MemberSeeds *seeds, int M,
                               const char *path, long at, const LmEnsemble *straight, const Recs *srecs) {
    LmEnsemble r = { 0 };
    assert_int_equal(lm_checkpoint_read(path, &r), 0);
    if (at >= 0) assert_int_equal(r.step, at);
    long from = r.step;
    Recs *rr = calloc(1, sizeof *rr);
    LmSummary sum[2];
    assert_int_equal(train_lm_ensemble(cfg, c, seeds, M, &r, sink, rr, sum), 0);
    assert_states_equal(straight, &r);
    assert_tail_equal(srecs, rr, from);
    assert_int_equal(sum[1].final.step, cfg->steps);
    lm_ensemble_free(&r);
    free(rr);
    return from;
}

// 30 steps straight vs stopped at 15 (an evaluation step: the stop flag set by the sink) or
// checkpointed every 13 steps (the file holds step 26, between evaluations: the train-loss
// accumulator must carry over), each read back fresh and continued.
static void test_resume_is_bit_identical(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(30);
    cfg.schedule.warmup = 3;
    MemberSeeds seeds[2];
    seeds_for(seeds, 2);
    char every[256], stopped[256];
    snprintf(every, sizeof every, "%s/every.ckpt", tmpdir);
    snprintf(stopped, sizeof stopped, "%s/stopped.ckpt", tmpdir);
    LmEnsemble straight = { 0 }, part = { 0 };
    Recs *srecs = calloc(1, sizeof *srecs), *precs = calloc(1, sizeof *precs);
    LmConfig c1 = cfg;
    c1.checkpoint_path = every;
    c1.checkpoint_every_steps = 13;
    assert_int_equal(train_lm_ensemble(&c1, &c, seeds, 2, &straight, sink, srecs, NULL), 0);
    assert_int_equal(srecs->n, 2 * 7);
    atomic_int stop = 0;
    LmConfig c2 = cfg;
    c2.stop = &stop;
    c2.checkpoint_path = stopped;
    precs->stop = &stop;
    precs->stop_at = 15;
    assert_int_equal(train_lm_ensemble(&c2, &c, seeds, 2, &part, sink, precs, NULL), 1);
    assert_int_equal(part.step, 15);
    assert_int_equal(precs->n, 2 * 4);   // steps 0, 5, 10, 15
    lm_ensemble_free(&part);
    resume_and_compare(&cfg, &c, seeds, 2, stopped, 15, &straight, srecs);
    resume_and_compare(&cfg, &c, seeds, 2, every, 26, &straight, srecs);
    // Another configuration, or other seeds, may not resume it.
    LmEnsemble r = { 0 };
    assert_int_equal(lm_checkpoint_read(every, &r), 0);
    LmConfig other = cfg;
    other.steps = 40;
    assert_int_equal(train_lm_ensemble(&other, &c, seeds, 2, &r, NULL, NULL, NULL), -1);
    assert_non_null(strstr(jp_error(), "another configuration"));
    seeds[1].data_seed++;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 2, &r, NULL, NULL, NULL), -1);
    assert_non_null(strstr(jp_error(), "seeds"));
    lm_ensemble_free(&r);
    // Checkpoints by time: with a period shorter than a step, one before every step after the
    // first (not at the end): the file holds step 29.
    char timed[256];
    snprintf(timed, sizeof timed, "%s/timed.ckpt", tmpdir);
    LmConfig c3 = cfg;
    c3.checkpoint_path = timed;
    c3.checkpoint_every_s = 1e-9;
    assert_int_equal(train_lm_ensemble(&c3, &c, seeds, 2, &part, NULL, NULL, NULL), 0);
    lm_ensemble_free(&part);
    assert_int_equal(lm_checkpoint_read(timed, &r), 0);
    assert_int_equal(r.step, 29);
    assert_int_equal(r.evaluated_step, 25);
    assert_int_equal(r.member[0].loss_count, 4);   // steps 25..28 since the evaluation at 25
    lm_ensemble_free(&r);
    lm_ensemble_free(&straight);
    free(srecs); free(precs);
    text_corpus_free(&c);
}

// A child process trains with a checkpoint every 2 steps and is killed (SIGKILL) soon after
// the first one exists; the file is whole, and the run resumed from it (in this process)
// ends bit-identical to an uninterrupted one, records included.
static void test_kill_9_then_resume(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(200);
    cfg.eval_every = 50;
    MemberSeeds seeds[2];
    seeds_for(seeds, 2);
    char path[256];
    snprintf(path, sizeof path, "%s/killed.ckpt", tmpdir);
    LmConfig ck = cfg;
    ck.checkpoint_path = path;
    ck.checkpoint_every_steps = 2;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        LmEnsemble e = { 0 };
        _exit(train_lm_ensemble(&ck, &c, seeds, 2, &e, NULL, NULL, NULL) == 0 ? 0 : 1);
    }
    for (int i = 0; i < 100000 && access(path, F_OK) != 0; i++) usleep(100);
    usleep(20000);   // into the run: a few checkpoints later
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    LmEnsemble straight = { 0 };
    Recs *srecs = calloc(1, sizeof *srecs);
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 2, &straight, sink, srecs, NULL), 0);
    long at = resume_and_compare(&cfg, &c, seeds, 2, path, -1, &straight, srecs);
    fprintf(stderr, "child %s; resumed from step %ld of 200\n",
            WIFSIGNALED(status) ? "killed by SIGKILL" : "finished before the kill", at);
    assert_true(at >= 2 && at < 200 && at % 2 == 0);
    lm_ensemble_free(&straight);
    free(srecs);
    text_corpus_free(&c);
}

// Bad arguments fail with a message and leave nothing allocated.
static void test_bad_inputs(void **state) {
    (void)state;
    TextCorpus c = load_small();
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble e = { 0 };
    LmConfig cfg = tiny_config(2);
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 0, &e, NULL, NULL, NULL), -1);
    cfg.D = c.part_bytes[TEXT_TRAIN] + 1;   // more tokens than the training part holds
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, NULL, NULL, NULL), -1);
    assert_null(e.params);
    cfg = tiny_config(2);
    cfg.shape.n_head = 3;                    // does not divide d_model
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, NULL, NULL, NULL), -1);
    cfg = tiny_config(2);
    cfg.batch = 0;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, NULL, NULL, NULL), -1);
    cfg = tiny_config(2);
    cfg.shape.context = 4000;                // longer than the validation part
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, NULL, NULL, NULL), -1);
    char missing[256];
    snprintf(missing, sizeof missing, "%s/none.ckpt", tmpdir);
    assert_int_equal(lm_checkpoint_read(missing, &e), -1);
    assert_null(e.params);
    text_corpus_free(&c);
}

// One step with weight decay vs without (constant rate): the tensors gpt_tensors marks
// `decay` (the linear layers' matrices, and the untied lm_head) shrink by lr·wd·p on top
// of the same Adam step; every other tensor (embeddings, LayerNorm, biases) is bit-identical.
static void test_weight_decay_only_on_matrices(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(1);
    cfg.shape.tie_embeddings = 0;
    cfg.schedule.kind = SCHED_CONSTANT;
    cfg.schedule.warmup = 0;
    cfg.optim.lr = 0.01f;
    cfg.optim.weight_decay = 0.0f;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble a = { 0 }, b = { 0 }, init = { 0 };
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &a, NULL, NULL, NULL), 0);
    cfg.optim.weight_decay = 0.5f;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &b, NULL, NULL, NULL), 0);
    assert_int_equal(lm_ensemble_init(&init, &cfg.shape, 1), 0);
    gpt_init_params(&cfg.shape, init.params, seeds[0].init_seed);
    int n = gpt_n_tensors(&cfg.shape), decayed = 0;
    GptTensor T[64];
    assert_true(n <= 64);
    gpt_tensors(&cfg.shape, T);
    for (int k = 0; k < n; k++) {
        const float *pa = a.params + T[k].offset, *pb = b.params + T[k].offset, *p0 = init.params + T[k].offset;
        assert_int_equal(T[k].decay, T[k].role == GPT_MATRIX || T[k].role == GPT_RESIDUAL);
        if (!T[k].decay) { assert_memory_equal(pa, pb, sizeof(float) * T[k].size); continue; }
        decayed++;
        for (size_t i = 0; i < T[k].size; i++)   // pa − pb = lr·wd·p0, to float rounding of p's size
            assert_true(fabs((pa[i] - pb[i]) - 0.01 * 0.5 * p0[i]) <= 1e-6 * (fabs(p0[i]) + 0.02));
    }
    assert_int_equal(decayed, 4 * cfg.shape.n_layer + 1);   // c_attn, attn.c_proj, c_fc, mlp.c_proj per block; lm_head
    lm_ensemble_free(&a); lm_ensemble_free(&b); lm_ensemble_free(&init);
    text_corpus_free(&c);
}

static double distance(const float *a, const float *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return sqrt(s);
}

// Plain SGD, one step: the update is lr·g, so with clipping engaged its norm is lr·max_norm.
static void test_clipping_bounds_the_update(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(1);
    cfg.optim = optim_defaults(OPTIM_SGD);
    cfg.optim.momentum = 0;
    cfg.optim.lr = 0.5f;
    cfg.schedule.kind = SCHED_CONSTANT;
    cfg.schedule.warmup = 0;
    cfg.clip = 1e-3f;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble clipped = { 0 }, free_ = { 0 }, init = { 0 };
    LmSummary s1, s2;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &clipped, NULL, NULL, &s1), 0);
    cfg.clip = 0;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &free_, NULL, NULL, &s2), 0);
    assert_int_equal(lm_ensemble_init(&init, &cfg.shape, 1), 0);
    gpt_init_params(&cfg.shape, init.params, seeds[0].init_seed);
    double norm = s1.final.grad_norm;                    // before clipping, as PyTorch returns it
    assert_memory_equal(&s1.final.grad_norm, &s2.final.grad_norm, sizeof(float));
    assert_true(norm > 0.1);                             // far above max_norm: clipping engaged
    double d1 = distance(clipped.params, init.params, init.P), d2 = distance(free_.params, init.params, init.P);
    assert_true(d1 <= 0.5 * 1e-3 * (1 + 1e-4));
    assert_true(fabs(d1 - 0.5 * 1e-3) < 0.5 * 1e-3 * 1e-3);
    assert_true(fabs(d2 - 0.5 * norm) < 0.5 * norm * 1e-3);   // unclipped: lr·‖g‖
    lm_ensemble_free(&clipped); lm_ensemble_free(&free_); lm_ensemble_free(&init);
    text_corpus_free(&c);
}

// tokens = step·B·context; FLOPs = tokens·(6N + 6·L·context·C) with N counted by hand.
static void test_records_count_tokens_and_flops(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(10);
    cfg.eval_every = 4;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble e = { 0 };
    Recs *rs = calloc(1, sizeof *rs);
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, sink, rs, NULL), 0);
    // N = L·(4C² + 2C·d_ff + 9C + d_ff) + 2C = 2·(1024 + 2048 + 144 + 64) + 32 = 6592
    double per_token = 6.0 * 6592 + 6.0 * 2 * 16 * 16;   // 42624
    assert_float_equal(gpt_train_flops_per_token(&cfg.shape), per_token, 0);
    const long steps[] = { 0, 4, 8, 10 };
    assert_int_equal(rs->n, 4);
    for (int k = 0; k < 4; k++) {
        const LmRecord *r = &rs->r[k];
        assert_int_equal(r->step, steps[k]);
        assert_float_equal(r->tokens, steps[k] * 4.0 * 16, 0);
        assert_float_equal(r->flops, steps[k] * 4.0 * 16 * per_token, 0);
        assert_float_equal(r->val_bpb, r->val_loss / M_LN2, 1e-12);
        assert_true(r->wall_s >= 0 && (k == 0 || r->wall_s >= rs->r[k - 1].wall_s));
        if (k) assert_true(r->lr > 0 && r->lr <= cfg.optim.lr);
    }
    // The last step's rate is the schedule's floor: min_ratio of the peak.
    assert_float_equal(rs->r[3].lr, cfg.optim.lr * cfg.schedule.min_ratio, 1e-9);
    lm_ensemble_free(&e);
    free(rs);
    text_corpus_free(&c);
}

// A rate that blows the weights up: the member stops at the first non-finite loss.
static void test_divergence_stops_the_member(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = diverging_config();
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble e = { 0 };
    LmSummary s;
    Recs *rs = calloc(1, sizeof *rs);
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, sink, rs, &s), 0);
    assert_true(s.diverged_step >= 1 && s.diverged_step < 6);
    assert_int_equal(rs->n, 1);   // only step 0's evaluation
    lm_ensemble_free(&e);
    free(rs);
    text_corpus_free(&c);
}

// A safetensors file's JSON header, as a string (free it).
static char *header_of(const char *path) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint64_t n;
    assert_int_equal(fread(&n, 8, 1, f), 1);
    assert_true(n < 1000000);
    char *h = calloc(n + 1, 1);
    assert_int_equal(fread(h, 1, n, f), n);
    fclose(f);
    return h;
}

// The weights file holds nanoGPT's names and shapes and reads back exactly; a weights file
// is not a checkpoint, nor a missing one anything.
static void test_weights_export(void **state) {
    (void)state;
    GptShape s = tiny_shape();
    s.tie_embeddings = 0;
    LmEnsemble e;
    assert_int_equal(lm_ensemble_init(&e, &s, 2), 0);
    gpt_init_params(&s, lm_member_params(&e, 1), 9);
    e.member[1].init_seed = 9;
    char path[256];
    snprintf(path, sizeof path, "%s/w.safetensors", tmpdir);
    assert_int_equal(lm_weights_write(path, &e, 1), 0);
    {
        GptShape s2;
        float *p;
        assert_int_equal(lm_weights_read(path, &s2, &p), 0);
        assert_memory_equal(&s, &s2, sizeof s);
        assert_memory_equal(p, lm_member_params(&e, 1), sizeof(float) * e.P);
        free(p);
    }
    char *text = header_of(path);
    assert_non_null(strstr(text, "\"transformer.h.1.mlp.c_proj.weight\":{\"dtype\":\"F32\",\"shape\":[16,64]"));
    assert_non_null(strstr(text, "\"transformer.ln_f.bias\":{\"dtype\":\"F32\",\"shape\":[16]"));
    assert_non_null(strstr(text, "\"lm_head.weight\""));
    assert_non_null(strstr(text, "\"n_params_nonembedding\":\"6592\""));
    free(text);
    LmEnsemble r;
    assert_int_equal(lm_checkpoint_read(path, &r), -1);
    assert_non_null(strstr(jp_error(), "not a jackpot-lm-checkpoint"));
    assert_int_equal(lm_weights_write(path, &e, 2), -1);
    char missing[256];
    snprintf(missing, sizeof missing, "%s/none", tmpdir);
    float *p;
    GptShape s3;
    assert_int_equal(lm_weights_read(missing, &s3, &p), -1);
    assert_null(p);
    lm_ensemble_free(&e);
}

static void write_file(const char *path, const char *text, int repeat) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < repeat; i++) fputs(text, f);
    fclose(f);
}

// Greedy is deterministic; sampling is a function of the seed; a model trained on a
// repeating string continues it greedily.
static void test_sampling(void **state) {
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/hello.txt", tmpdir);
    write_file(path, "hello world, ", 300);
    TextSplit split = text_split_default();
    split.block = 256;
    TextCorpus c;
    assert_int_equal(text_corpus_load(path, &split, &c), 0);
    LmConfig cfg = tiny_config(300);
    cfg.optim.lr = 1e-2f;
    cfg.D = 2000;
    cfg.eval_every = 0;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble e = { 0 };
    LmSummary s;
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, NULL, NULL, &s), 0);
    fprintf(stderr, "repeating string: val %.4f bits/byte\n", s.final.val_bpb);
    const char *prompt = "hello wo";
    uint8_t g1[40], g2[40], t1[40], t2[40], t3[40];
    assert_int_equal(gpt_sample(&cfg.shape, e.params, (const uint8_t *)prompt, 8, 40, 0.0f, 1, g1), 0);
    assert_int_equal(gpt_sample(&cfg.shape, e.params, (const uint8_t *)prompt, 8, 40, 0.0f, 2, g2), 0);
    assert_memory_equal(g1, g2, 40);
    assert_memory_equal(g1, "rld, hello world, hello world, hello wor", 40);   // past the context: the window slid
    // An untrained model, so that temperature 1 has a flat distribution to draw from.
    float *p0 = calloc(e.P, sizeof(float));
    gpt_init_params(&cfg.shape, p0, 5);
    assert_int_equal(gpt_sample(&cfg.shape, p0, NULL, 0, 40, 1.0f, 7, t1), 0);
    assert_int_equal(gpt_sample(&cfg.shape, p0, NULL, 0, 40, 1.0f, 7, t2), 0);
    assert_int_equal(gpt_sample(&cfg.shape, p0, NULL, 0, 40, 1.0f, 8, t3), 0);
    assert_memory_equal(t1, t2, 40);
    assert_memory_not_equal(t1, t3, 40);
    assert_int_equal(gpt_sample(&cfg.shape, p0, NULL, 0, 4, -1.0f, 7, t1), -1);
    assert_int_equal(gpt_sample(&cfg.shape, p0, NULL, 0, 4, NAN, 7, t1), -1);
    free(p0);
    lm_ensemble_free(&e);
    text_corpus_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_9_then_resume),   // first: fork before OpenMP has started a thread pool
        cmocka_unit_test(test_loss_falls),
        cmocka_unit_test(test_members_are_independent),
        cmocka_unit_test(test_blas_threads_do_not_change_bits),
        cmocka_unit_test(test_resume_is_bit_identical),
        cmocka_unit_test(test_weight_decay_only_on_matrices),
        cmocka_unit_test(test_clipping_bounds_the_update),
        cmocka_unit_test(test_records_count_tokens_and_flops),
        cmocka_unit_test(test_divergence_stops_the_member),
        cmocka_unit_test(test_weights_export),
        cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}

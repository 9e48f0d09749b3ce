// Ensembles and determinism: member m of an ensemble of M is bit-for-bit the
// run it would be alone (M = 1, 3, 8), and the bits do not depend on the thread
// count. Divergence of one member leaves the others untouched.
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "nn/blas.h"
#include "data/sampler.h"
#include "train/step.h"
#include "train/trainer.h"

// A synthetic task: Gaussian inputs, labels = argmax of a fixed random linear map.
static void make_task(Task *t, int dim, int classes, int n_train) {
    memset(t, 0, sizeof *t);
    strcpy(t->name, "synthetic");
    t->dim = dim;
    t->n_out = classes;
    Split *splits[3] = { &t->train, &t->val, &t->test };
    int sizes[3] = { n_train, 64, 64 };
    for (int k = 0; k < 3; k++) {
        Split *s = splits[k];
        s->n = sizes[k];
        s->x = malloc(sizeof(float) * s->n * dim);
        s->y = malloc(sizeof(int) * s->n);
        for (int i = 0; i < s->n; i++) {
            float *x = s->x + (size_t)i * dim;
            for (int j = 0; j < dim; j++) x[j] = rng_normal(900 + k, 1, (uint64_t)i * dim + j);
            int best = 0;
            double best_v = -1e30;
            for (int c = 0; c < classes; c++) {
                double v = 0;
                for (int j = 0; j < dim; j++) v += x[j] * rng_normal(999, 2, (uint64_t)c * dim + j);
                if (v > best_v) { best_v = v; best = c; }
            }
            s->y[i] = best;
        }
    }
}

static TrainConfig small_config(int width, int threads) {
    TrainConfig c = {
        .shape = { .n_in = 10, .n_out = 3, .depth = 2, .hidden = { width, width }, .act = ACT_GELU },
        .weight_init = INIT_KAIMING_NORMAL, .bias_init = BIAS_FAN_IN_UNIFORM, .loss = LOSS_CROSS_ENTROPY,
        .optim = optim_defaults(OPTIM_ADAMW), .schedule = { .kind = SCHED_COSINE, .warmup = 5 },
        .batch = 16, .steps = 40, .eval_every = 10, .train_size = 200, .threads = threads, .eval_rows = 50,
    };
    c.optim.lr = 3e-3f;
    return c;
}

typedef struct { EvalRecord recs[256]; int n; } Log;
static void log_sink(void *ctx, const EvalRecord *r) {
    Log *l = ctx;
    if (l->n < 256) l->recs[l->n++] = *r;
}

static void seeds_for(MemberSeeds *s, int M) {
    for (int m = 0; m < M; m++) s[m] = (MemberSeeds){ .init_seed = 10 + m, .data_seed = 100 + 3 * m };
}

static void test_member_alone_equals_member_in_ensemble(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    TrainConfig cfg = small_config(24, 2);
    MemberSeeds seeds[8];
    seeds_for(seeds, 8);
    Ensemble big;
    MemberSummary sum8[8];
    Log log8 = { 0 };
    assert_int_equal(train_ensemble(&cfg, &task, seeds, 8, &big, log_sink, &log8, sum8), 0);
    assert_int_equal(log8.n, 8 * 5);   // evaluations at 0, 10, 20, 30, 40
    // Training did something: the loss fell and members differ from each other.
    for (int m = 0; m < 8; m++) assert_true(sum8[m].final.val_loss < log8.recs[m].val_loss);
    assert_true(memcmp(member_params(&big, 0), member_params(&big, 1), sizeof(float) * big.P) != 0);

    // M = 3: members 2, 5, 7 of the big ensemble, in a different order
    int pick[3] = { 7, 2, 5 };
    MemberSeeds three[3] = { seeds[7], seeds[2], seeds[5] };
    Ensemble e3;
    MemberSummary sum3[3];
    assert_int_equal(train_ensemble(&cfg, &task, three, 3, &e3, NULL, NULL, sum3), 0);
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(member_params(&e3, i), member_params(&big, pick[i]), sizeof(float) * big.P);
        assert_memory_equal(&sum3[i].final.val_loss, &sum8[pick[i]].final.val_loss, sizeof(double));
    }
    ensemble_free(&e3);

    // M = 1, each member alone
    for (int m = 0; m < 8; m++) {
        Ensemble one;
        MemberSummary s1;
        Log log1 = { 0 };
        assert_int_equal(train_ensemble(&cfg, &task, &seeds[m], 1, &one, log_sink, &log1, &s1), 0);
        assert_memory_equal(member_params(&one, 0), member_params(&big, m), sizeof(float) * big.P);
        for (int k = 0; k < log1.n; k++) {   // every evaluation, bit for bit
            const EvalRecord *a = &log1.recs[k], *b = &log8.recs[k * 8 + m];
            assert_int_equal(a->step, b->step);
            assert_memory_equal(&a->val_loss, &b->val_loss, sizeof(double));
            assert_memory_equal(&a->test_acc, &b->test_acc, sizeof(double));
            if (k > 0) assert_memory_equal(&a->train_loss, &b->train_loss, sizeof(double));
        }
        assert_int_equal(s1.best.step, sum8[m].best.step);
        ensemble_free(&one);
    }
    ensemble_free(&big);
    task_free(&task);
}

static void check_threads(int M, int width, int batch) {
    Task task;
    make_task(&task, 10, 3, 600);
    MemberSeeds seeds[4];
    seeds_for(seeds, M);
    Ensemble e1, e2;
    MemberSummary s1[4], s2[4];
    TrainConfig c1 = small_config(width, 1), c2 = small_config(width, 2);
    c1.batch = c2.batch = batch;
    c1.train_size = c2.train_size = 600;
    c1.steps = c2.steps = 12;
    blas_set_threads(train_blas_threads(c1.threads, M, 0));   // as the commands do: BLAS threads are the caller's
    assert_int_equal(train_ensemble(&c1, &task, seeds, M, &e1, NULL, NULL, s1), 0);
    blas_set_threads(train_blas_threads(c2.threads, M, 0));
    assert_int_equal(train_ensemble(&c2, &task, seeds, M, &e2, NULL, NULL, s2), 0);
    assert_memory_equal(e1.params, e2.params, sizeof(float) * e1.P * M);
    for (int m = 0; m < M; m++) assert_memory_equal(&s1[m].final.test_loss, &s2[m].final.test_loss, sizeof(double));
    ensemble_free(&e1);
    ensemble_free(&e2);
    task_free(&task);
}

static void test_thread_count_does_not_change_bits(void **state) {
    (void)state;
    check_threads(4, 24, 16);    // members in parallel on 2 threads vs in turn on 1
    check_threads(1, 512, 256);  // one member on 2 threads vs 1: BLAS stays on one thread (its threaded sgemm rounds otherwise)
}

static void test_divergence_is_per_member(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 2);
    task.train.x[3] = INFINITY;   // example 0 poisons any batch that holds it: loss NaN
    TrainConfig cfg = small_config(8, 2);
    cfg.train_size = 1;        // each member sees one example: the poisoned one or not
    cfg.batch = 1;
    // find a data seed whose single example is row 0 and one whose is row 1
    MemberSeeds seeds[2] = { { 1, 0 }, { 1, 0 } };
    int found = 0;
    for (uint64_t ds = 0; ds < 64 && found != 3; ds++) {
        uint32_t perm[2];
        rng_permutation(ds, RNG_STREAM_SUBSET, perm, 2);
        if (perm[0] == 0 && !(found & 1)) { seeds[0].data_seed = ds; found |= 1; }
        if (perm[0] == 1 && !(found & 2)) { seeds[1].data_seed = ds; found |= 2; }
    }
    assert_int_equal(found, 3);
    Ensemble e;
    MemberSummary sum[2];
    Log log = { 0 };
    assert_int_equal(train_ensemble(&cfg, &task, seeds, 2, &e, log_sink, &log, sum), 0);
    assert_int_equal(sum[0].diverged_step, 0);
    assert_int_equal(sum[1].diverged_step, -1);
    assert_int_equal(sum[1].final.step, cfg.steps);
    assert_true(isfinite(sum[1].final.val_loss));
    // the diverged member was evaluated at step 0 only, the healthy one every time
    int n0 = 0, n1 = 0;
    for (int k = 0; k < log.n; k++) *(log.recs[k].member == 0 ? &n0 : &n1) += 1;
    assert_int_equal(n0, 1);
    assert_int_equal(n1, 5);
    // and its weights are exactly its weights alone
    Ensemble alone;
    MemberSummary s1;
    assert_int_equal(train_ensemble(&cfg, &task, &seeds[1], 1, &alone, NULL, NULL, &s1), 0);
    assert_memory_equal(member_params(&alone, 0), member_params(&e, 1), sizeof(float) * e.P);
    ensemble_free(&alone);
    ensemble_free(&e);
    task_free(&task);
}

// Member `m` of an ensemble (params, every evaluation) is bit-for-bit its run alone.
static void check_alone(const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, int m,
                        const Ensemble *e, const Log *log) {
    TrainConfig one = *cfg;
    if (cfg->start_params) one.start_params = cfg->start_params + (size_t)m * e->P;
    Ensemble alone;
    MemberSummary s1;
    Log log1 = { 0 };
    assert_int_equal(train_ensemble(&one, task, &seeds[m], 1, &alone, log_sink, &log1, &s1), 0);
    assert_memory_equal(member_params(&alone, 0), member_params(e, m), sizeof(float) * e->P);
    int k = 0;
    for (int i = 0; i < log->n; i++) {
        if (log->recs[i].member != m) continue;
        assert_true(k < log1.n);
        assert_int_equal(log1.recs[k].step, log->recs[i].step);
        assert_memory_equal(&log1.recs[k].val_loss, &log->recs[i].val_loss, sizeof(double));
        assert_memory_equal(&log1.recs[k].test_loss, &log->recs[i].test_loss, sizeof(double));
        assert_memory_equal(&log1.recs[k].test_acc, &log->recs[i].test_acc, sizeof(double));
        if (k > 0) assert_memory_equal(&log1.recs[k].train_loss, &log->recs[i].train_loss, sizeof(double));
        k++;
    }
    assert_int_equal(k, log1.n);
    ensemble_free(&alone);
}

// Init-seed ensembles: members sharing a data seed read one gathered batch per step (and every
// member one gathered evaluation chunk); each is still exactly its solo run, on 1 or 2 threads.
static void test_shared_data_seed_members_equal_solo_runs(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    MemberSeeds seeds[6] = { { 10, 7 }, { 11, 7 }, { 12, 8 }, { 13, 7 }, { 14, 8 }, { 15, 9 } };
    for (int threads = 1; threads <= 2; threads++) {
        TrainConfig cfg = small_config(16, threads);
        cfg.eval_rows = 24;   // 64 held-out rows: chunks of 24, 24 and 16
        Ensemble e;
        MemberSummary sum[6];
        Log log = { 0 };
        assert_int_equal(train_ensemble(&cfg, &task, seeds, 6, &e, log_sink, &log, sum), 0);
        assert_int_equal(log.n, 6 * 5);
        assert_true(memcmp(member_params(&e, 0), member_params(&e, 1), sizeof(float) * e.P) != 0);
        for (int m = 0; m < 6; m++) check_alone(&cfg, &task, seeds, m, &e, &log);
        ensemble_free(&e);
    }
    task_free(&task);
}

// The member that gathers its group's batches diverges at step 0; the group's other members
// still get their batches and stay exactly their solo runs.
static void test_group_lead_diverging_leaves_group_intact(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    TrainConfig cfg = small_config(8, 2);
    MemberSeeds seeds[3] = { { 1, 5 }, { 2, 5 }, { 3, 5 } };
    Ensemble init;
    assert_int_equal(ensemble_init(&init, &cfg.shape, 3), 0);
    for (int m = 0; m < 3; m++) ensemble_init_member(&init, m, cfg.weight_init, cfg.bias_init, seeds[m].init_seed);
    member_params(&init, 0)[0] = INFINITY;   // member 0's first forward pass is not finite
    cfg.start_params = init.params;
    Ensemble e;
    MemberSummary sum[3];
    Log log = { 0 };
    assert_int_equal(train_ensemble(&cfg, &task, seeds, 3, &e, log_sink, &log, sum), 0);
    assert_int_equal(sum[0].diverged_step, 0);
    assert_int_equal(sum[1].diverged_step, -1);
    assert_int_equal(sum[2].diverged_step, -1);
    for (int m = 1; m < 3; m++) check_alone(&cfg, &task, seeds, m, &e, &log);
    ensemble_free(&e);
    ensemble_free(&init);
    task_free(&task);
}

// 5 members on 2 and 3 threads, unbalanced against them, in data-seed groups of 3, 1 and 1 (the split
// of the members among threads falls inside the group of 3): every evaluation, the weights and the
// weights captured at step 13 (between two evaluations) are bit-for-bit those of 1 thread, and the
// capture is the weights of a 13-step run.
static void test_unbalanced_members_and_capture_do_not_depend_on_threads(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    MemberSeeds seeds[5] = { { 10, 7 }, { 11, 7 }, { 12, 8 }, { 13, 7 }, { 14, 9 } };
    Ensemble e[3];
    MemberSummary sum[3][5];
    static Log log[3];
    float *capture[3];
    for (int threads = 1; threads <= 3; threads++) {
        TrainConfig cfg = small_config(16, threads);
        cfg.schedule = (Schedule){ .kind = SCHED_CONSTANT };   // a 13-step run takes the same 13 steps
        cfg.capture_step = 13;
        cfg.capture = capture[threads - 1] = malloc(sizeof(float) * 5 * mlp_n_params(&cfg.shape));
        blas_set_threads(train_blas_threads(threads, 5, 0));
        log[threads - 1].n = 0;
        assert_int_equal(train_ensemble(&cfg, &task, seeds, 5, &e[threads - 1], log_sink, &log[threads - 1],
                                        sum[threads - 1]), 0);
    }
    size_t bytes = sizeof(float) * e[0].P * 5;
    assert_int_equal(log[0].n, 5 * 5);
    assert_true(memcmp(capture[0], e[0].params, bytes) != 0);   // training went on after the capture
    for (int k = 1; k < 3; k++) {
        assert_memory_equal(e[k].params, e[0].params, bytes);
        assert_memory_equal(capture[k], capture[0], bytes);
        assert_int_equal(log[k].n, log[0].n);
        for (int i = 0; i < log[0].n; i++) {
            const EvalRecord *a = &log[0].recs[i], *b = &log[k].recs[i];
            assert_int_equal(a->member, b->member);
            assert_int_equal(a->step, b->step);
            assert_memory_equal(&a->lr, &b->lr, sizeof(float));
            assert_memory_equal(&a->val_loss, &b->val_loss, sizeof(double));
            assert_memory_equal(&a->test_acc, &b->test_acc, sizeof(double));
            if (a->step > 0) assert_memory_equal(&a->train_loss, &b->train_loss, sizeof(double));
        }
        for (int m = 0; m < 5; m++) assert_int_equal(sum[k][m].best.step, sum[0][m].best.step);
    }
    TrainConfig c13 = small_config(16, 2);
    c13.schedule = (Schedule){ .kind = SCHED_CONSTANT };
    c13.steps = 13;
    Ensemble e13;
    MemberSummary s13[5];
    blas_set_threads(train_blas_threads(2, 5, 0));
    assert_int_equal(train_ensemble(&c13, &task, seeds, 5, &e13, NULL, NULL, s13), 0);
    assert_memory_equal(capture[0], e13.params, bytes);
    ensemble_free(&e13);
    for (int k = 0; k < 3; k++) { ensemble_free(&e[k]); free(capture[k]); }
    task_free(&task);
}

// Raises the stop flag at the evaluation of step `at` (from the sink, between two segments).
typedef struct { Log log; atomic_int *stop, started; long at; } StopLog;
static void stop_sink(void *ctx, const EvalRecord *r) {
    StopLog *s = ctx;
    log_sink(&s->log, r);
    atomic_store(&s->started, 1);
    if (r->step == s->at) atomic_store(s->stop, 1);
}

// Raises the stop flag from another thread 20 ms after training has begun (mid-segment).
static void *stop_later(void *arg) {
    StopLog *s = arg;
    while (!atomic_load(&s->started)) nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
    atomic_store(s->stop, 1);
    return NULL;
}

// A raised stop flag ends training with 1 on any thread count: at the next step after an
// evaluation, or in the middle of a run with no evaluation before its end.
static void test_stop_flag_ends_training(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    MemberSeeds seeds[5] = { { 10, 7 }, { 11, 7 }, { 12, 8 }, { 13, 7 }, { 14, 9 } };
    for (int threads = 1; threads <= 2; threads++) {
        atomic_int stop = 0;
        static StopLog s;
        s = (StopLog){ .stop = &stop, .at = 10 };
        TrainConfig cfg = small_config(8, threads);
        cfg.stop = &stop;
        Ensemble e;
        MemberSummary sum[5];
        assert_int_equal(train_ensemble(&cfg, &task, seeds, 5, &e, stop_sink, &s, sum), 1);
        assert_int_equal(s.log.n, 2 * 5);   // the evaluations at 0 and 10, none after
        assert_int_equal(s.log.recs[5].step, 10);

        stop = 0;
        s = (StopLog){ .stop = &stop, .at = -1 };
        cfg.steps = 100000000;   // hours of steps in one segment: only a flag polled every step ends it
        cfg.eval_every = 0;
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, stop_later, &s), 0);
        assert_int_equal(train_ensemble(&cfg, &task, seeds, 5, &e, stop_sink, &s, sum), 1);
        pthread_join(th, NULL);
        assert_int_equal(s.log.n, 5);   // step 0 only
    }
    task_free(&task);
}

// The trainer's batches are the sampler's, step by step across epochs (it computes the next step's
// rows ahead to prefetch them): training by hand from sampler_batch and task_gather gives the same bits.
static void test_trainer_batches_are_the_samplers(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    TrainConfig cfg = small_config(12, 1);   // D = 200, batch 16: epochs end mid-batch
    MemberSeeds seed = { .init_seed = 5, .data_seed = 77 };
    Ensemble e, by_hand;
    MemberSummary sum;
    assert_int_equal(train_ensemble(&cfg, &task, &seed, 1, &e, NULL, NULL, &sum), 0);
    assert_int_equal(ensemble_init(&by_hand, &cfg.shape, 1), 0);
    ensemble_init_member(&by_hand, 0, cfg.weight_init, cfg.bias_init, seed.init_seed);
    Sampler smp;
    assert_int_equal(sampler_init(&smp, seed.data_seed, (uint32_t)cfg.train_size, (uint32_t)task.train.n), 0);
    MlpWork w;
    mlp_work_init(&w, &cfg.shape, cfg.batch);
    float X[16 * 10];
    int y[16];
    uint32_t rows[16];
    Schedule sch = cfg.schedule;
    sch.total = cfg.steps;
    for (long step = 0; step < cfg.steps; step++) {
        sampler_batch(&smp, step, cfg.batch, rows);
        task_gather(&task, &task.train, rows, 0, cfg.batch, X, y, NULL);
        train_step(&by_hand, 0, X, y, NULL, cfg.batch, cfg.loss, &cfg.optim, cfg.optim.lr * schedule_factor(&sch, step), &w);
    }
    assert_memory_equal(member_params(&e, 0), member_params(&by_hand, 0), sizeof(float) * e.P);
    mlp_work_free(&w);
    sampler_free(&smp);
    ensemble_free(&by_hand);
    ensemble_free(&e);
    task_free(&task);
}

static void test_flops_and_examples(void **state) {
    (void)state;
    Task task;
    make_task(&task, 10, 3, 300);
    TrainConfig cfg = small_config(24, 1);
    MemberSeeds s = { 1, 2 };
    Ensemble e;
    MemberSummary sum;
    assert_int_equal(train_ensemble(&cfg, &task, &s, 1, &e, NULL, NULL, &sum), 0);
    assert_float_equal(sum.final.examples, 40.0 * 16, 0);
    assert_float_equal(sum.final.flops, 40.0 * 16 * 6 * (double)e.P, 1);
    assert_true(sum.best.val_loss <= sum.final.val_loss);
    assert_true(sum.final.wall_s > 0);
    ensemble_free(&e);
    // bad configurations are refused with a reason
    cfg.shape.n_in = 11;
    assert_int_equal(train_ensemble(&cfg, &task, &s, 1, &e, NULL, NULL, &sum), -1);
    task_free(&task);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_member_alone_equals_member_in_ensemble),
        cmocka_unit_test(test_thread_count_does_not_change_bits),
        cmocka_unit_test(test_divergence_is_per_member),
        cmocka_unit_test(test_shared_data_seed_members_equal_solo_runs),
        cmocka_unit_test(test_group_lead_diverging_leaves_group_intact),
        cmocka_unit_test(test_unbalanced_members_and_capture_do_not_depend_on_threads),
        cmocka_unit_test(test_stop_flag_ends_training),
        cmocka_unit_test(test_trainer_batches_are_the_samplers),
        cmocka_unit_test(test_flops_and_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// The runtime: the scheduler's stop flag (set from another thread), a worker thread
// that cannot be started, store errors copied per thread under the store's lock,
// sweep registration, the status reader's counts, and the small computations the
// commands moved into the library (BLAS threads, workers, budget, members, totals).
// Run under ThreadSanitizer too (make test's TSan pass).
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/error.h"
#include "nn/blas.h"
#include "store/status.h"
#include "store/store.h"
#include "sweep/config.h"
#include "sweep/progress.h"
#include "sweep/register.h"
#include "sweep/scheduler.h"
#include "train/setup.h"

static char dir[64], db[128], yaml[128];

static int setup(void **state) {
    (void)state;
    if (temp_dir_make(dir, sizeof dir, "runtime") != 0) return -1;
    snprintf(db, sizeof db, "%s/runs.db", dir);
    snprintf(yaml, sizeof yaml, "%s/sweep.yaml", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

// A toy-world sweep: 2 widths × 2 init seeds = 2 groups of 2 runs, `steps` steps each.
typedef struct {
    SweepConfig cfg;
    RunSpec *specs;
    long n;
    Store st;
    SweepRuns runs;
    Group *groups;
    int n_groups;
} Sweep;

static void sweep_open(Sweep *w, long steps) {
    char text[512];
    snprintf(text, sizeof text,
             "name: runtime-test\n"
             "task: {name: zipf-concepts}\n"
             "world: {concepts: 8, bits: 16, k: 2, classes: 2, eval_per_concept: 4, seed: 0}\n"
             "model: {depth: 1}\n"
             "budget: {batch: 8, steps: %ld, evals: 2}\n"
             "grid: {model.width: [4, 6]}\n"
             "seeds: {init: 2}\n", steps);
    if (sweep_config_parse(yaml, text, &w->cfg) != 0) fail_msg("%s", jp_error());
    assert_int_equal(sweep_expand(&w->cfg, &w->specs, &w->n), 0);
    assert_int_equal(w->n, 4);
    unlink(db);
    if (store_open(&w->st, db, 0) != 0) fail_msg("%s", jp_error());
    if (sweep_register(&w->st, &w->cfg, w->specs, w->n, 0, &w->runs) != 0) fail_msg("%s", jp_error());
    assert_int_equal(group_specs(w->specs, w->runs.run_ids, w->runs.todo, w->n, &w->groups, &w->n_groups), 0);
    assert_int_equal(w->n_groups, 2);
}

static void sweep_close(Sweep *w) {
    groups_free(w->groups, w->n_groups);
    sweep_runs_free(&w->runs);
    store_close(&w->st);
    free(w->specs);
    sweep_config_free(&w->cfg);
}

static void expect_counts(Store *st, long done, long failed, long diverged, long pending, long running) {
    StoreStatus s;
    if (store_read_status(st, &s) != 0) fail_msg("%s", jp_error());
    assert_int_equal(s.all.by_status[STATUS_DONE], done);
    assert_int_equal(s.all.by_status[STATUS_FAILED], failed);
    assert_int_equal(s.all.by_status[STATUS_DIVERGED], diverged);
    assert_int_equal(s.all.by_status[STATUS_PENDING], pending);
    assert_int_equal(s.all.by_status[STATUS_RUNNING], running);
    assert_int_equal(s.all.runs, done + failed + diverged + pending + running);
    store_status_free(&s);
}

typedef struct { atomic_int *flag; double after_s; } Stopper;

static void *stopper_main(void *arg) {
    Stopper *s = arg;
    struct timespec t = { 0, (long)(s->after_s * 1e9) };
    nanosleep(&t, NULL);
    atomic_store(s->flag, 1);
    return NULL;
}

// Runs that would train for hours stop within seconds of the flag being set by another
// thread: interrupted, set back to pending, nothing aborted.
static void test_stop_flag_stops_a_run(void **state) {
    (void)state;
    Sweep w;
    sweep_open(&w, 1000000000L);
    atomic_int stop = 0;
    RunOptions o = { .workers = 2, .threads = 2, .quiet = 1, .stop = &stop };
    blas_set_threads(run_blas_threads(w.groups, w.n_groups, &o));
    Stopper s = { &stop, 0.3 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopper_main, &s), 0);
    double t0 = clock_now_s();
    RunTotals tot;
    assert_int_equal(run_groups(&w.st, w.groups, w.n_groups, &o, &tot), 0);
    double took = clock_now_s() - t0;
    pthread_join(th, NULL);
    assert_true(took >= 0.3 && took < 60);
    assert_int_equal(tot.interrupted, 4);
    assert_int_equal(tot.done + tot.diverged + tot.failed, 0);
    assert_int_equal(tot.aborted, 0);
    expect_counts(&w.st, 0, 0, 0, 4, 0);
    sweep_close(&w);
}

// Two workers train the two groups at once, sharing the store and the progress line.
static void test_two_workers_finish_a_sweep(void **state) {
    (void)state;
    Sweep w;
    sweep_open(&w, 30);
    atomic_int stop = 0;
    RunOptions o = { .workers = 2, .threads = 2, .quiet = 1, .stop = &stop };
    RunTotals tot;
    assert_int_equal(run_groups(&w.st, w.groups, w.n_groups, &o, &tot), 0);
    assert_int_equal(tot.done + tot.diverged, 4);
    assert_int_equal(tot.failed + tot.interrupted + tot.aborted, 0);
    StoreStatus s;
    if (store_read_status(&w.st, &s) != 0) fail_msg("%s", jp_error());
    assert_int_equal(s.all.by_status[STATUS_DONE] + s.all.by_status[STATUS_DIVERGED], 4);
    assert_int_equal(s.launches, 2);   // one per group
    assert_true(s.used_s > 0 && isnan(s.left_flops));
    store_status_free(&s);
    sweep_close(&w);
}

// A worker that cannot be started (here: a default stack larger than the address space)
// aborts the sweep with the reason; no run is touched.
static void test_failed_thread_start_is_an_error(void **state) {
    (void)state;
    Sweep w;
    sweep_open(&w, 10);
    pthread_attr_t old, huge;
    assert_int_equal(pthread_getattr_default_np(&old), 0);
    assert_int_equal(pthread_attr_init(&huge), 0);
    if (pthread_attr_setstacksize(&huge, (size_t)1 << 50) != 0 || pthread_setattr_default_np(&huge) != 0) {
        pthread_attr_destroy(&huge);
        pthread_attr_destroy(&old);
        sweep_close(&w);
        skip();
    }
    atomic_int stop = 1;   // if a thread did start, it takes no group: the test fails fast below
    RunOptions o = { .workers = 2, .threads = 2, .quiet = 1, .stop = &stop };
    RunTotals tot;
    int rc = run_groups(&w.st, w.groups, w.n_groups, &o, &tot);
    assert_int_equal(pthread_setattr_default_np(&old), 0);
    pthread_attr_destroy(&huge);
    pthread_attr_destroy(&old);
    assert_int_equal(rc, -1);
    assert_int_equal(tot.aborted, 1);
    assert_non_null(strstr(tot.error, "cannot start worker thread 1 of 2: "));
    assert_string_equal(jp_error(), tot.error);
    expect_counts(&w.st, 0, 0, 0, 4, 0);
    sweep_close(&w);
}

// Two threads fail different writes at once, many times: each reads its own failure.
typedef struct { Store *st; int kind; char want[512]; int wrong; } Failer;

static int fail_once(Failer *f) {
    if (f->kind == 0) {   // a ticket of no run: the foreign key refuses it
        StoreTicket t = { .run_id = 999999, .variant = "dense", .layer_density_json = "[]" };
        return store_add_ticket(f->st, &t);
    }
    return store_finish_run(f->st, 1, "bogus", -1, 1.0, NULL, NULL, 0);   // a status the schema refuses
}

static void *failer_main(void *arg) {
    Failer *f = arg;
    for (int i = 0; i < 200; i++)
        if (fail_once(f) != -1 || strcmp(jp_error(), f->want) != 0) f->wrong++;
    return NULL;
}

static void test_store_errors_are_per_thread(void **state) {
    (void)state;
    Sweep w;
    sweep_open(&w, 10);
    Failer f[2] = { { .st = &w.st, .kind = 0 }, { .st = &w.st, .kind = 1 } };
    for (int i = 0; i < 2; i++) {   // each failure's message, alone
        assert_int_equal(fail_once(&f[i]), -1);
        snprintf(f[i].want, sizeof f[i].want, "%s", jp_error());
        assert_string_equal(store_error(&w.st), f[i].want);
    }
    assert_string_equal(f[0].want, "FOREIGN KEY constraint failed");
    assert_non_null(strstr(f[1].want, "CHECK constraint failed"));
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, failer_main, &f[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    assert_int_equal(f[0].wrong, 0);
    assert_int_equal(f[1].wrong, 0);
    expect_counts(&w.st, 0, 0, 0, 4, 0);   // nothing of the failed writes kept
    sweep_close(&w);
}

// The status reader on a small database: counts overall and per sweep, the failed and
// diverged runs, time used and FLOPs done and left.
static void test_status_counts(void **state) {
    (void)state;
    Sweep w;
    sweep_open(&w, 10);
    long *id = w.runs.run_ids, launch;
    assert_int_equal(store_start_launch(&w.st, id, 3, &launch), 0);
    assert_int_equal(store_end_launch(&w.st, launch, 2.0), 0);
    StoreSummary sum = { "final_test_acc", 0.5 };
    assert_int_equal(store_finish_run(&w.st, id[0], "done", -1, 2.0, NULL, &sum, 1), 0);
    assert_int_equal(store_finish_run(&w.st, id[1], "failed", -1, 2.0, "out of luck", NULL, 0), 0);
    assert_int_equal(store_finish_run(&w.st, id[2], "diverged", 7, 2.0, NULL, NULL, 0), 0);
    StoreStatus s;
    if (store_read_status(&w.st, &s) != 0) fail_msg("%s", jp_error());
    assert_int_equal(s.schema, STORE_SCHEMA_VERSION);
    long want[STATUS_COUNT] = { [STATUS_DONE] = 1, [STATUS_DIVERGED] = 1, [STATUS_FAILED] = 1, [STATUS_PENDING] = 1 };
    assert_int_equal(s.all.runs, 4);
    assert_int_equal(s.n_sweeps, 1);
    assert_string_equal(s.sweeps[0].name, "runtime-test");
    assert_string_equal(s.sweeps[0].path, yaml);
    for (int i = 0; i < STATUS_COUNT; i++) {
        assert_int_equal(s.all.by_status[i], want[i]);
        assert_int_equal(s.sweeps[0].counts.by_status[i], want[i]);
    }
    assert_int_equal(s.n_problems, 2);
    assert_int_equal(s.problems[0].id, id[1]);
    assert_string_equal(s.problems[0].status, "failed");
    assert_string_equal(s.problems[0].error, "out of luck");
    assert_string_equal(s.problems[0].hidden, "4");
    assert_int_equal(s.problems[1].id, id[2]);
    assert_string_equal(s.problems[1].status, "diverged");
    assert_int_equal(s.problems[1].diverged_step, 7);
    assert_int_equal(s.problems[1].init_seed, 0);
    assert_string_equal(s.problems[1].hidden, "6");
    assert_int_equal(s.launches, 1);
    assert_true(s.used_s == 2.0);
    double f0 = spec_planned_flops(&w.specs[0]), f2 = spec_planned_flops(&w.specs[2]);
    assert_true(s.done_flops == f0 + f2);          // run 0 done, run 2 diverged (width 6)
    assert_true(s.left_flops == spec_planned_flops(&w.specs[3]));
    store_status_free(&s);
    char why[512];
    assert_int_equal(store_sweep_first_error(&w.st, w.runs.sweep_id, why, sizeof why), 0);
    assert_string_equal(why, "out of luck");
    sweep_close(&w);
}

// Registering again finds what was done and failed; with retry the failed run is pending again.
static void test_register_again(void **state) {
    (void)state;
    Sweep w;
    sweep_open(&w, 10);
    assert_int_equal(store_finish_run(&w.st, w.runs.run_ids[0], "done", -1, 1.0, NULL, NULL, 0), 0);
    assert_int_equal(store_finish_run(&w.st, w.runs.run_ids[3], "failed", -1, 1.0, "no", NULL, 0), 0);
    SweepRuns again;
    assert_int_equal(sweep_register(&w.st, &w.cfg, w.specs, w.n, 0, &again), 0);
    assert_int_equal(again.before, 1);
    assert_int_equal(again.failed_before, 1);
    assert_string_equal(again.failed_error, "no");
    int todo[] = { 0, 1, 1, 0 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(again.todo[i], todo[i]);
        assert_int_equal(again.run_ids[i], w.runs.run_ids[i]);
    }
    sweep_runs_free(&again);
    assert_int_equal(sweep_register(&w.st, &w.cfg, w.specs, w.n, 1, &again), 0);
    assert_int_equal(again.todo[3], 2);
    assert_int_equal(again.failed_before, 0);
    assert_int_equal(sweep_retry_failed(&w.st, &again, w.n), 0);
    assert_int_equal(again.todo[3], 1);
    expect_counts(&w.st, 1, 0, 0, 3, 0);
    sweep_runs_free(&again);
    sweep_close(&w);
}

// What the commands now ask the library: BLAS threads, workers, the budget, the members.
static void test_command_arithmetic(void **state) {
    (void)state;
    assert_int_equal(train_blas_threads(8, 1), 8);   // one member: every thread in BLAS
    assert_int_equal(train_blas_threads(1, 4), 1);
    assert_int_equal(train_blas_threads(8, 4), 1);   // members in parallel: one BLAS thread each
    Group g[3] = { { .n = 3 }, { .n = 5 }, { .n = 1 } };
    assert_int_equal(run_workers(g, 2, 0, 8), 3);    // ceil(8 / 3)
    assert_int_equal(run_workers(g, 3, 0, 8), 8);    // a one-member group: one worker per thread
    assert_int_equal(run_workers(g, 2, 16, 8), 8);   // never more than threads
    assert_int_equal(run_workers(g, 0, 0, 8), 1);
    assert_int_equal(groups_runs(g, 3), 9);
    RunOptions o = { .workers = 1, .threads = 8 };
    assert_int_equal(run_blas_threads(&g[2], 1, &o), 8);
    assert_int_equal(run_blas_threads(g, 2, &o), 1);
    assert_int_equal(run_blas_threads(g, 3, &o), 1);   // mixed: the safe count
    o.workers = 2;
    assert_int_equal(run_blas_threads(&g[2], 1, &o), 1);

    TrainConfig c = { .batch = 128 };
    train_set_budget(&c, 50, -1, -1, -1, 1000);
    assert_int_equal(c.steps, 50);
    assert_int_equal(c.eval_every, 5);
    train_set_budget(&c, -1, 1000, -1, 7, 1000);
    assert_int_equal(c.steps, 8);                    // 1000 examples: 8 batches of 128
    assert_int_equal(c.eval_every, 7);
    train_set_budget(&c, -1, -1, 2.5, -1, 1000);
    assert_int_equal(c.steps, 20);                   // ceil(2.5 · 1000 / 128)
    assert_int_equal(c.eval_every, 2);
    train_set_budget(&c, -1, -1, -1, -1, 55000);
    assert_int_equal(c.steps, 430);                  // one epoch
    assert_int_equal(c.eval_every, 43);

    uint64_t init[] = { 1, 2 }, data[] = { 7, 8, 9 }, paired[] = { 5, 6 };
    MemberSeeds m[6];
    train_member_seeds(init, 2, data, 3, NULL, 0, m);
    assert_true(m[0].init_seed == 1 && m[0].data_seed == 7 && m[2].data_seed == 9 && m[3].init_seed == 2 &&
                m[5].init_seed == 2 && m[5].data_seed == 9);
    train_member_seeds(init, 2, data, 3, paired, 2, m);
    assert_true(m[0].init_seed == 5 && m[0].data_seed == 5 && m[1].init_seed == 6 && m[1].data_seed == 6);
}

static void test_totals(void **state) {
    (void)state;
    TrainConfig c = { .shape = { .n_in = 10, .n_out = 2, .depth = 1, .hidden = { 4 }, .act = ACT_RELU }, .batch = 16,
                      .steps = 100, .eval_rows = 1000 };
    Task task = { .dim = 10, .n_out = 2, .train = { .n = 500 }, .val = { .n = 50 }, .test = { .n = 50 } };
    MemberSummary s[2] = { { .eval_s = 1.0 }, { .eval_s = 1.0 } };
    s[0].final.wall_s = 3.0;
    s[1].final.wall_s = 5.0;   // the slowest member's clock
    TrainTotals t = train_totals(&c, &task, s, 2);
    double flops = 100.0 * 2 * 16 * mlp_train_flops_per_example(&c.shape);
    assert_true(t.wall_s == 5.0 && t.eval_s == 1.0);
    assert_true(t.steps_per_s == 200.0 / 5.0 && t.train_steps_per_s == 200.0 / 4.0);
    assert_true(t.gflops == flops / 5.0 / 1e9 && t.train_gflops == flops / 4.0 / 1e9);
    // two data seeds (0 and 1): two samplers over the 500-example pool and two batches; work for the
    // evaluation chunk (256 rows, more than the batch); the chunk itself; the dataset (no arrays here: 0 bytes)
    s[1].final.data_seed = 1;
    t = train_totals(&c, &task, s, 2);
    double held = (double)ensemble_bytes(&c.shape, 2) + 2 * (double)mlp_work_bytes(&c.shape, 256) +
                  2 * (16.0 * 48 + 500 * 4) + 256.0 * (10 + 1 + 2) * 4 + (double)task_bytes(&task);
    assert_true(t.held_bytes == held);
    s[1].final.data_seed = 0;   // one data seed: one sampler and one batch
    t = train_totals(&c, &task, s, 2);
    assert_true(t.held_bytes == held - (16.0 * 48 + 500 * 4));
    double a = clock_now_s(), b = clock_now_s();
    assert_true(b >= a && a > 0);
}

// The ETA's text: rounded to whole seconds before it is split, so 59.7 s past a
// minute carries into the next one ("26m60s" was printed before).
static void test_duration_text(void **state) {
    (void)state;
    const struct { double s; const char *text; } cases[] = {
        { 0, "0s" }, { 59.4, "59s" }, { 59.6, "1m00s" }, { 61, "1m01s" }, { 1619.7, "27m00s" },
        { 3599.6, "1h00m" }, { 3900, "1h05m" }, { -1, "?" }, { NAN, "?" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[32];
        progress_format_duration(cases[i].s, out, sizeof out);
        assert_string_equal(out, cases[i].text);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_text),
        cmocka_unit_test_setup_teardown(test_stop_flag_stops_a_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_workers_finish_a_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_thread_start_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_errors_are_per_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_again, setup, teardown),
        cmocka_unit_test(test_command_arithmetic),
        cmocka_unit_test(test_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

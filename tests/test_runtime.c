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
    assert_int_equal(tot.interrupted, 2);   // the two parts in flight (a member each); the two not taken stay pending
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
    assert_int_equal(s.launches, 4);   // one per part: each group is half the FLOPs, over half a worker's share

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

// The parts of groups the workers take: largest first, big groups split into near-equal parts
// that together hold every member once, in order; gpt groups and single workers never split.
static void test_group_parts(void **state) {
    (void)state;
    RunSpec specs[13] = { 0 };
    const RunSpec *ps[13];
    long ids[13];
    for (int i = 0; i < 13; i++) { ps[i] = &specs[i]; ids[i] = 100 + i; }
    // 5 members of 10 FLOPs, 5 of 2, 3 of 1: 63 in all
    Group g[3] = { { .n = 5, .specs = ps, .run_ids = ids, .flops = 50 },
                   { .n = 5, .specs = ps + 5, .run_ids = ids + 5, .flops = 10 },
                   { .n = 3, .specs = ps + 10, .run_ids = ids + 10, .flops = 3 } };
    GroupPart *p;
    int n = group_parts(g, 3, 1, &p);                // one worker: whole groups, largest first
    assert_int_equal(n, 3);
    assert_true(p[0].group == 0 && p[1].group == 1 && p[2].group == 2 && p[0].g.n == 5 && p[0].g.flops == 50);
    free(p);
    n = group_parts(g, 3, 2, &p);                    // half a worker's share: 63 / 2 / 2 = 15.75
    assert_int_equal(n, 6);                          // 50 FLOPs: ceil(50 / 15.75) = 4 parts of 2, 1, 1, 1
    int members[3] = { 0 };
    for (int i = 0; i < n; i++) {
        if (i) assert_true(p[i].g.flops <= p[i - 1].g.flops);
        assert_true(p[i].g.n >= 1 && p[i].g.flops == g[p[i].group].flops * p[i].g.n / g[p[i].group].n);
        for (int m = 0; m < p[i].g.n; m++) {   // a view of consecutive members, run ids beside their specs
            long k = p[i].g.specs[m] - specs;
            assert_true(p[i].g.run_ids[m] == 100 + k && k >= g[p[i].group].specs[0] - specs);
            members[p[i].group]++;
        }
        assert_string_equal(p[i].g.group_hash, g[p[i].group].group_hash);
    }
    assert_true(members[0] == 5 && members[1] == 5 && members[2] == 3);
    assert_true(p[0].group == 0 && p[0].g.n == 2 && p[0].g.specs == ps && p[1].g.specs == ps + 2);
    assert_true(p[4].group == 1 && p[4].g.n == 5 && p[5].group == 2);
    free(p);
    n = group_parts(g, 3, 64, &p);                   // never below one member a part
    assert_int_equal(n, 13);
    free(p);
    specs[0].family = FAMILY_GPT;                    // a gpt group's checkpoint is the group's: whole
    n = group_parts(g, 3, 2, &p);
    assert_true(n == 3 && p[0].g.n == 5);
    free(p);
}

// A sweep trained in parts by two workers of one thread gives every run bit-for-bit the metrics
// and summaries of the same sweep trained group by group on one thread.
static void test_parts_train_like_whole_groups(void **state) {
    (void)state;
    char whole[160];
    snprintf(whole, sizeof whole, "%s/whole.db", dir);
    for (int pass = 0; pass < 2; pass++) {
        Sweep w;
        sweep_open(&w, 40);
        atomic_int stop = 0;
        RunOptions o = { .workers = pass ? 2 : 1, .threads = pass ? 2 : 1, .quiet = 1, .stop = &stop };
        blas_set_threads(run_blas_threads(w.groups, w.n_groups, &o));
        RunTotals tot;
        assert_int_equal(run_groups(&w.st, w.groups, w.n_groups, &o, &tot), 0);
        assert_int_equal(tot.done + tot.diverged, 4);
        if (pass) {
            char attach[256];
            snprintf(attach, sizeof attach, "ATTACH '%s' AS c", whole);
            sqlite3 *db = w.st.db;
            assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
            assert_int_equal((int)sql_value(db, "SELECT count(*) FROM launches"), 4);   // each group in two parts
            assert_int_equal((int)sql_value(db, "SELECT count(*) FROM c.launches"), 2);
            assert_int_equal((int)sql_value(db, "SELECT count(*) FROM metrics"), (int)sql_value(db, "SELECT count(*) FROM c.metrics"));
            assert_int_equal((int)sql_value(db, "SELECT count(*) FROM summaries"), (int)sql_value(db, "SELECT count(*) FROM c.summaries"));
            assert_true(sql_value(db, "SELECT count(*) FROM metrics") > 4 * 6);
            assert_int_equal((int)sql_value(db, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"
                                        " JOIN c.runs cr ON cr.hash = r.hash JOIN c.metrics cm ON cm.run_id = cr.id"
                                        " AND cm.step = m.step AND cm.split = m.split AND cm.name = m.name"
                                        " WHERE cm.value IS m.value"), (int)sql_value(db, "SELECT count(*) FROM metrics"));
            assert_int_equal((int)sql_value(db, "SELECT count(*) FROM summaries s JOIN runs r ON r.id = s.run_id"
                                        " JOIN c.runs cr ON cr.hash = r.hash JOIN c.summaries cs ON cs.run_id = cr.id"
                                        " AND cs.name = s.name WHERE cs.value IS s.value"), (int)sql_value(db, "SELECT count(*) FROM summaries"));
        }
        sweep_close(&w);
        if (!pass) assert_int_equal(rename(db, whole), 0);
    }
}

// What the commands now ask the library: BLAS threads, workers, the budget, the members.
static void test_command_arithmetic(void **state) {
    (void)state;
    assert_int_equal(train_blas_threads(8, 1, 1), 8);   // one language model: every thread in BLAS
    assert_int_equal(train_blas_threads(1, 4, 1), 1);
    assert_int_equal(train_blas_threads(8, 4, 1), 1);   // members in parallel: one BLAS thread each
    // An MLP member always on one BLAS thread: OpenBLAS's threaded sgemm rounds otherwise, and the
    // bits of a run would depend on --threads (they differed on an AVX-512 Xeon with 2 threads).
    assert_int_equal(train_blas_threads(8, 1, 0), 1);
    RunSpec specs[9] = { 0 };
    const RunSpec *ps[9];
    for (int i = 0; i < 9; i++) ps[i] = &specs[i];
    Group g[3] = { { .n = 3, .specs = ps }, { .n = 5, .specs = ps + 3 }, { .n = 1, .specs = ps + 8 } };
    assert_int_equal(run_workers(g, 2, 0, 8), 8);    // one worker per thread: 8 members to deal out
    assert_int_equal(run_workers(g, 1, 0, 8), 3);    // no more workers than members
    assert_int_equal(run_workers(g, 1, 0, 2), 2);
    assert_int_equal(run_workers(&g[2], 1, 0, 8), 1);   // one member: one worker
    assert_int_equal(run_workers(g, 2, 16, 8), 8);   // never more than threads
    assert_int_equal(run_workers(g, 0, 0, 8), 1);
    specs[3].family = FAMILY_GPT;                    // a gpt group is not split: one worker for it
    assert_int_equal(run_workers(&g[1], 1, 0, 8), 1);
    specs[3].family = FAMILY_MLP;
    assert_int_equal(groups_runs(g, 3), 9);
    RunOptions o = { .workers = 1, .threads = 8 };
    assert_int_equal(run_blas_threads(&g[2], 1, &o), 1);   // one MLP member: BLAS on one thread (its bits)
    specs[8].family = FAMILY_GPT;
    assert_int_equal(run_blas_threads(&g[2], 1, &o), 8);   // one language model: every thread in BLAS
    specs[8].family = FAMILY_MLP;
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
        cmocka_unit_test(test_group_parts),
        cmocka_unit_test_setup_teardown(test_parts_train_like_whole_groups, setup, teardown),
        cmocka_unit_test(test_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

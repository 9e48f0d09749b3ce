// `jackpot plan`'s measured estimate (sweep/plan_probe): the evaluation and ticket-training
// counts against hand counts, the estimate's scaling with steps and members and its cache, and
// the estimate of a small toy-world group against the same group trained for real.
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "nn/blas.h"
#include "sweep/config.h"
#include "sweep/plan_probe.h"

static void test_evaluations(void **state) {
    (void)state;
    assert_int_equal(plan_evaluations(100, 10), 11);   // 0, 10, …, 100
    assert_int_equal(plan_evaluations(100, 30), 5);    // 0, 30, 60, 90 and the end, 100
    assert_int_equal(plan_evaluations(100, 0), 2);     // start and end
    assert_int_equal(plan_evaluations(0, 10), 1);
    assert_true(plan_idle_share(1, 2, 1) == 0.5);    // half a core's time: a busy machine
    assert_true(plan_idle_share(3, 2, 2) == 0.75);
    assert_true(plan_idle_share(5, 2, 2) == 1);      // BLAS helpers beyond the threads: never above 1
    assert_true(plan_idle_share(0, 2, 1) == 1);      // no CPU time read: the wall as it is
}

static void test_ticket_trainings(void **state) {
    (void)state;
    RunSpec s;
    memset(&s, 0, sizeof s);
    assert_int_equal(plan_ticket_trainings(&s), 1);   // no tickets: section
    s.ticket_rounds = 15;
    s.ticket_reinit = 1;   // the LeNet example: 16 levels, 15 reinit controls
    assert_int_equal(plan_ticket_trainings(&s), 31);
    s.ticket_rounds = 2;
    s.ticket_random_mask = s.ticket_oneshot = 1;
    s.ticket_instability_points = 3;   // every level's ticket has its copy: 3 · 2 + 2 · 3
    assert_int_equal(plan_ticket_trainings(&s), 12);
    memset(&s, 0, sizeof s);
    s.ticket_target_density = 0.036;
    s.ticket_rate = 0.2;   // 0.8^15 = 0.035 is the first at or below 3.6%: 15 rounds
    assert_int_equal(plan_ticket_trainings(&s), 16);
}

// Four init seeds of a small sparse-parity MLP, at 1500 and 3000 steps: two groups.
static const char *SWEEP =
    "name: probe\n"
    "task: {name: sparse-parity}\n"
    "world: {concepts: 8, bits: 8, k: 3, zipf: 1.4, eval_per_concept: 32, seed: 0}\n"
    "probe: {concepts: 2, lr: 0.1}\n"
    "model: {depth: 1, width: 32}\n"
    "optim: {name: adamw, lr: 0.003, wd: 0}\n"
    "budget: {batch: 64, evals: 5}\n"
    "grid: {budget.steps: [1500, 3000]}\n"
    "seeds: {init: [0, 1, 2, 3]}\n";

static void load_groups(SweepConfig *c, RunSpec **specs, Group **groups, int *ng) {
    long n;
    if (sweep_config_parse("probe.yaml", SWEEP, c) != 0) fail_msg("%s", jp_error());
    assert_int_equal(sweep_expand(c, specs, &n), 0);
    assert_int_equal(n, 8);
    long ids[8];
    int all[8];
    for (int i = 0; i < 8; i++) { ids[i] = i; all[i] = 1; }
    assert_int_equal(group_specs(*specs, ids, all, n, groups, ng), 0);
    assert_int_equal(*ng, 2);
}

static void test_scaling_and_cache(void **state) {
    (void)state;
    SweepConfig c;
    RunSpec *specs;
    Group *g;
    int ng;
    load_groups(&c, &specs, &g, &ng);
    blas_set_threads(1);
    PlanProbe p;
    plan_probe_init(&p);
    double a = plan_group_seconds(&p, &g[0], 1);
    assert_true(a > 0);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.tasks.n, 1);   // the world, made once
    double task_s = p.task_s;
    assert_true(task_s > 0);
    // twice the steps, as many evaluations: the same timed cost, the training part doubled
    double b = plan_group_seconds(&p, &g[1], 1);
    if (!(b > 1.3 * a && b < 2.0 * a)) fail_msg("1500 steps: %g s, 3000 steps: %g s", a, b);
    assert_int_equal(p.n, 1);
    assert_true(p.task_s == task_s);
    // one member of four: a quarter, from the same cost (one thread: members take turns)
    Group one = g[0];
    one.n = 1;
    double q = plan_group_seconds(&p, &one, 1);
    assert_true(fabs(4 * q - a) <= 1e-9 * a);
    plan_probe_free(&p);
    groups_free(g, ng);
    free(specs);
    sweep_config_free(&c);
}

// The estimate against the group trained, both as on an idle core (the CPU time the one thread
// got): generous bounds for a shared machine (and the sanitizers, which slow the probe and the
// training alike); the old FLOP-rate estimate was 40 times short on such worlds.
static void test_against_training(void **state) {
    (void)state;
    SweepConfig c;
    RunSpec *specs;
    Group *g;
    int ng;
    load_groups(&c, &specs, &g, &ng);
    blas_set_threads(1);
    PlanProbe p;
    plan_probe_init(&p);
    double predicted = plan_group_seconds(&p, &g[0], 1);
    const Task *task = task_cache_get(&p.tasks, g[0].specs[0], NULL);
    assert_non_null(task);
    TrainConfig cfg = spec_train_config(g[0].specs[0], 1);
    MemberSeeds seeds[4];
    MemberSummary sum[4];
    for (int m = 0; m < 4; m++) seeds[m] = (MemberSeeds){ g[0].specs[m]->init_seed, g[0].specs[m]->data_seed };
    Ensemble e;
    double t0 = clock_now_s(), c0 = plan_cpu_s();
    assert_int_equal(train_ensemble(&cfg, task, seeds, 4, &e, NULL, NULL, sum), 0);
    double wall = clock_now_s() - t0, measured = wall * plan_idle_share(plan_cpu_s() - c0, wall, 1);   // as on an idle core
    ensemble_free(&e);
    print_message("predicted %.3g s, trained in %.3g s\n", predicted, measured);
    if (!(predicted > 0.25 * measured && predicted < 4 * measured))
        fail_msg("predicted %g s, trained in %g s", predicted, measured);
    plan_probe_free(&p);
    groups_free(g, ng);
    free(specs);
    sweep_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluations),
        cmocka_unit_test(test_ticket_trainings),
        cmocka_unit_test(test_scaling_and_cache),
        cmocka_unit_test(test_against_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

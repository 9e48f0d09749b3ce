// Sweep configs: the error catalogue (exact message and location for each kind
// of mistake), expansion counts, and the stability of run hashes.
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/config.h"

#define GOLDEN_RUN_HASH "ead97f1db8c6837a"   // see test_hash_stability

static char err[1024];

static void expect_error(const char *yaml, const char *message) {
    SweepConfig c;
    if (sweep_config_parse("s.yaml", yaml, &c, err, sizeof err) == 0) {
        sweep_config_free(&c);
        fail_msg("accepted:\n%s\nexpected the error: %s", yaml, message);
    }
    if (strcmp(err, message) != 0) fail_msg("for:\n%s\ngot:      %s\nexpected: %s", yaml, err, message);
}

static void test_error_catalogue(void **state) {
    (void)state;
    expect_error("model:\n  widht: 64\n",
                 "s.yaml:2:3: model.widht: unknown field (model accepts: family, width, depth, hidden, act, init, bias_init, loss)");
    expect_error("model:\n  width: abc\n", "s.yaml:2:10: model.width: expected an integer in [1, 65536], got 'abc'");
    expect_error("model:\n  width: 0\n", "s.yaml:2:10: model.width: expected an integer in [1, 65536], got '0'");
    expect_error("model:\n  width: 2.5\n", "s.yaml:2:10: model.width: expected an integer in [1, 65536], got '2.5'");
    expect_error("optim: {name: adamw, lr: 20}\n", "s.yaml:1:26: optim.lr: expected a number in [1e-12, 10], got '20'");
    expect_error("optim: {name: lion}\n", "s.yaml:1:15: optim.name: expected one of sgd, adamw, got 'lion'");
    expect_error("model: {act: identity}\n", "s.yaml:1:14: model.act: expected one of relu, gelu, tanh, got 'identity'");
    expect_error("task: {standardize: maybe}\n", "s.yaml:1:21: task.standardize: expected true or false, got 'maybe'");
    expect_error("model: {width: [1, 2]}\n", "s.yaml:1:17: model.width: expected an integer in [1, 65536], got a list");
    expect_error("model: {hidden: 300}\n", "s.yaml:1:17: model.hidden: expected a list like [300, 100], got '300'");
    expect_error("model: {hidden: [300, 0]}\n", "s.yaml:1:23: model.hidden: expected a list of 1 to 16 integers in [1, 65536], got '0'");
    expect_error("budget: {steps: 10, epochs: 2}\n",
                 "s.yaml:1:21: budget.epochs: give one of steps, examples, epochs, flops, tokens_per_param");
    expect_error("optimizer: {lr: 1}\n",
                 "s.yaml:1:1: optimizer: unknown section (expected name, task, world, probe, model, optim, schedule, budget, tickets, grid, zip, seeds)");
    expect_error("model: 3\n", "s.yaml:1:8: model: expected a mapping of fields, got a scalar");
    expect_error("grid:\n  model.width: [16, 0, 64]\n", "s.yaml:2:21: model.width: expected an integer in [1, 65536], got '0'");
    expect_error("grid:\n  model.widths: [16]\n",
                 "s.yaml:2:3: grid: unknown field 'model.widths' (axes are section.key, e.g. model.width)");
    expect_error("grid:\n  model.width: 16\n", "s.yaml:2:16: model.width: expected a non-empty list of values");
    expect_error("zip:\n  model.width: [16, 32, 64]\n  optim.lr: [1e-3, 3e-3]\n",
                 "s.yaml:3:3: optim.lr: has 2 values but model.width has 3; zip axes move together and need equal lengths");
    expect_error("model: {width: 32}\ngrid:\n  model.width: [16, 32]\n",
                 "s.yaml:3:3: model.width: also set in model (line 1); set it in one place");
    expect_error("grid: {model.width: [16]}\nzip: {model.width: [32]}\n",
                 "s.yaml:2:7: model.width: also set in grid (line 1); set it in one place");
    expect_error("model: {hidden: [300, 100]}\ngrid: {model.width: [16, 32]}\n",
                 "s.yaml:1:9: model.hidden: cannot be combined with model.width or model.depth; use one or the other");
    expect_error("seeds: {init: -3}\n", "s.yaml:1:15: seeds.init: expected a count (4), a list ([0, 1, 5]) or a range (\"0:8\"), got '-3'");
    expect_error("seeds: {init: \"8:2\"}\n", "s.yaml:1:16: seeds.init: range '8:2' must have STOP > START and at most 100000 values");
    expect_error("seeds: {data: [0, x]}\n", "s.yaml:1:19: seeds.data: expected a non-negative integer seed, got 'x'");
    expect_error("seeds: {both: 3}\n", "s.yaml:1:9: seeds: unknown key 'both' (seeds accepts: init, data)");
    expect_error("grid: {seed.init: [1, 2]}\n", "s.yaml:1:8: seed.init: seeds are set under seeds: {init: …, data: …}");
    expect_error("task: {train_size: 59000}\n",
                 "s.yaml: sweep point 1: task.train_size: 59000 is more than the 55000 examples left after task.val_size 5000");
    expect_error("task: {name: teacher-student}\nbudget: {steps: 10}\n",
                 "s.yaml: sweep point 1: model.loss: task teacher-student has regression targets; set model.loss: mse");
    expect_error("task: {name: sparse-parity}\n",
                 "s.yaml: sweep point 1: budget.epochs: task sparse-parity draws fresh examples (task.train_size 0), so it "
                 "has no epochs; give budget.steps or budget.examples, or a task.train_size");
    expect_error("task: {name: sparse-parity}\nworld: {bits: 2}\nbudget: {steps: 10}\n",
                 "s.yaml: sweep point 1: world.k: 3 is more than world.bits 2");
    expect_error("world: {zipff: 2}\n", "s.yaml:1:9: world.zipff: unknown field (world accepts: concepts, zipf, bits, k, classes, "
                 "teacher_width, teacher_depth, manifold_dim, seed, eval_per_concept)");
    expect_error("model: [1, 2\n", "s.yaml:2:1: YAML syntax: flow sequence without a closing bracket");
    expect_error("- 1\n- 2\n", "s.yaml:1:3: a sweep config is a mapping with task, model, optim, schedule, budget, grid, zip, seeds");
}

static SweepConfig load(const char *yaml) {
    SweepConfig c;
    if (sweep_config_parse("t.yaml", yaml, &c, err, sizeof err) != 0) fail_msg("%s", err);
    return c;
}

static void test_expansion_counts(void **state) {
    (void)state;
    SweepConfig c = load("grid: {model.width: [8, 16, 32], task.train_size: [1000, 2000]}\n"
                         "zip: {optim.lr: [1e-3, 3e-3], budget.steps: [10, 20]}\n"
                         "seeds: {init: 4, data: \"0:6:2\"}\n");
    assert_int_equal(sweep_size(&c), 3 * 2 * 2 * 4 * 3);
    RunSpec *s;
    long n;
    assert_int_equal(sweep_expand(&c, &s, &n, err, sizeof err), 0);
    assert_int_equal(n, 144);
    // order: grid (last axis fastest), then zip, then init, then data
    assert_int_equal(s[0].hidden[0], 8);    assert_int_equal(s[0].train_size, 1000);
    assert_int_equal(s[24].hidden[0], 8);   assert_int_equal(s[24].train_size, 2000);
    assert_int_equal(s[48].hidden[0], 16);
    assert_int_equal(s[0].steps, 10);       assert_int_equal(s[12].steps, 20);
    assert_float_equal(s[12].lr, 3e-3, 0);
    assert_int_equal(s[3].init_seed, 1);    assert_int_equal(s[3].data_seed, 0);
    assert_int_equal(s[2].data_seed, 4);
    free(s);
    sweep_config_free(&c);

    c = load("budget: {batch: 100, epochs: 2}\ntask: {train_size: 1000}\nseeds: {init: [3, 9]}\n");
    assert_int_equal(sweep_size(&c), 2);
    assert_int_equal(sweep_expand(&c, &s, &n, err, sizeof err), 0);
    assert_int_equal(s[0].steps, 20);               // 2 epochs of 1000 at batch 100
    assert_int_equal(s[0].eval_every, 2);           // 10 evaluations by default
    assert_int_equal(s[1].init_seed, 9);
    assert_float_equal(s[0].lr, 1e-3, 0);           // AdamW's default
    free(s);
    sweep_config_free(&c);

    // budgets per size: tokens_per_param scales with N; FLOPs fix the compute
    c = load("model: {depth: 1}\nbudget: {batch: 10, tokens_per_param: 2}\ngrid: {model.width: [10, 20]}\n");
    assert_int_equal(sweep_expand(&c, &s, &n, err, sizeof err), 0);
    assert_int_equal(s[0].n_params, 784 * 10 + 10 + 10 * 10 + 10);
    assert_int_equal(s[0].steps, (2 * s[0].n_params + 9) / 10);
    assert_int_equal(s[1].steps, (2 * s[1].n_params + 9) / 10);
    free(s);
    sweep_config_free(&c);
    c = load("model: {depth: 1, width: 10}\nbudget: {batch: 10, flops: 1e9}\n");
    assert_int_equal(sweep_expand(&c, &s, &n, err, sizeof err), 0);
    assert_int_equal(s[0].steps, (long)(1e9 / (6.0 * s[0].n_params * 10)) + 1);
    free(s);
    sweep_config_free(&c);
}

static void hashes_of(const char *yaml, char run[17], char group[17]) {
    SweepConfig c = load(yaml);
    RunSpec *s;
    long n;
    assert_int_equal(sweep_expand(&c, &s, &n, err, sizeof err), 0);
    spec_hash(&s[0], 1, run);
    spec_hash(&s[0], 0, group);
    free(s);
    sweep_config_free(&c);
}

static void test_hash_stability(void **state) {
    (void)state;
    char r1[17], g1[17], r2[17], g2[17], r3[17], g3[17];
    hashes_of("model: {width: 64, depth: 2, act: relu}\noptim: {name: adamw, lr: 0.001}\n"
              "budget: {batch: 100, steps: 550}\ntask: {train_size: 1000}\nseeds: {init: [3], data: [4]}\n", r1, g1);
    // other key order, block style, 1e-3 for 0.001, the budget in epochs, hidden for width × depth
    hashes_of("seeds:\n  data: [4]\n  init: [3]\ntask:\n  train_size: 1000\nbudget:\n  epochs: 55\n  batch: 100\n"
              "optim:\n  lr: 1e-3\n  name: adamw\nmodel:\n  act: relu\n  hidden: [64, 64]\n", r2, g2);
    assert_string_equal(r1, r2);
    assert_string_equal(g1, g2);
    // another seed: same group, other run; data_dir is not part of the identity
    hashes_of("model: {width: 64, depth: 2}\noptim: {lr: 0.001}\nbudget: {batch: 100, steps: 550}\n"
              "task: {train_size: 1000, data_dir: /elsewhere}\nseeds: {init: [5], data: [4]}\n", r3, g3);
    assert_string_equal(g1, g3);
    assert_string_not_equal(r1, r3);
    // anything that changes what is trained changes both
    hashes_of("model: {width: 64, depth: 2}\noptim: {lr: 0.002}\nbudget: {batch: 100, steps: 550}\n"
              "task: {train_size: 1000}\nseeds: {init: [3], data: [4]}\n", r3, g3);
    assert_string_not_equal(g1, g3);
    // ticket fields count only for ticket experiments
    const char *plain = "model: {width: 64, depth: 2}\noptim: {lr: 0.001}\nbudget: {batch: 100, steps: 550}\n"
                        "task: {train_size: 1000}\nseeds: {init: [3], data: [4]}\n";
    char with_zero[512], with_rounds[512];
    snprintf(with_zero, sizeof with_zero, "%stickets: {rounds: 0, rate: 0.5}\n", plain);
    snprintf(with_rounds, sizeof with_rounds, "%stickets: {rounds: 2}\n", plain);
    hashes_of(with_zero, r3, g3);
    assert_string_equal(r3, r1);
    hashes_of(with_rounds, r3, g3);
    assert_string_not_equal(r3, r1);
    // toy-world fields count only for toy-world tasks
    char with_world[512];
    snprintf(with_world, sizeof with_world, "%sworld: {zipf: 2.0, concepts: 9}\nprobe: {concepts: 2}\n", plain);
    hashes_of(with_world, r3, g3);
    assert_string_equal(r3, r1);
    char w1[17], w2[17], wg[17];
    hashes_of("task: {name: sparse-parity}\nworld: {concepts: 16, bits: 20}\nbudget: {steps: 10}\n", w1, wg);
    hashes_of("task: {name: sparse-parity}\nworld: {concepts: 16, bits: 20, zipf: 1.5}\nbudget: {steps: 10}\n", w2, wg);
    assert_string_not_equal(w1, w2);
    // what is measured (probes) is not what is trained
    hashes_of("task: {name: sparse-parity}\nworld: {concepts: 16, bits: 20}\nprobe: {concepts: 3}\nbudget: {steps: 10}\n", w2, wg);
    assert_string_equal(w1, w2);
    // golden value: a change here means every existing database would rerun its sweeps
    assert_string_equal(r1, GOLDEN_RUN_HASH);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_catalogue),
        cmocka_unit_test(test_expansion_counts),
        cmocka_unit_test(test_hash_stability),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

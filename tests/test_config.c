// Sweep configs: the error catalogue (exact message and location for each kind
// of mistake), expansion counts, and the stability of run hashes.
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "sweep/config.h"
#include <sqlite3.h>

#define GOLDEN_RUN_HASH "ead97f1db8c6837a"   // see test_hash_stability


static void expect_error(const char *yaml, const char *message) {
    SweepConfig c;
    if (sweep_config_parse("s.yaml", yaml, &c) == 0) {
        sweep_config_free(&c);
        fail_msg("accepted:\n%s\nexpected the error: %s", yaml, message);
    }
    if (strcmp(jp_error(), message) != 0) fail_msg("for:\n%s\ngot:      %s\nexpected: %s", yaml, jp_error(), message);
}

static void test_error_catalogue(void **state) {
    (void)state;
    expect_error("model:\n  widht: 64\n",
                 "s.yaml:2:3: model.widht: unknown field (model accepts: family, width, depth, hidden, act, init, bias_init, loss, d_model, n_layer, n_head, d_ff, context, tie_embeddings)");
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
                 "s.yaml:1:1: optimizer: unknown section (expected name, task, world, probe, injection, model, optim, schedule, budget, tickets, grid, zip, seeds, max_runs)");
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
    // a range whose count wrapped past 2^64 (found by the config fuzzer: a heap overflow)
    expect_error("seeds: {init: \"0:18446744073709551615:2\"}\n",
                 "s.yaml:1:16: seeds.init: range '0:18446744073709551615:2' must have STOP > START and at most 100000 values");
    expect_error("seeds: {init: \"0:22222222222222222222222222222222:2\"}\n",
                 "s.yaml:1:16: seeds.init: range '0:22222222222222222222222222222222:2' must have STOP > START and at most 100000 values");
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
                 "teacher_width, teacher_depth, manifold_dim, seed, eval_per_concept, spectrum, shared_inputs)");
    expect_error("model: [1, 2\n", "s.yaml:2:1: YAML syntax: flow sequence without a closing bracket");
    expect_error("- 1\n- 2\n", "s.yaml:1:3: a sweep config is a mapping with task, model, optim, schedule, budget, grid, zip, seeds");
}

static SweepConfig load(const char *yaml) {
    SweepConfig c;
    if (sweep_config_parse("t.yaml", yaml, &c) != 0) fail_msg("%s", jp_error());
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
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
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
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
    assert_int_equal(s[0].steps, 20);               // 2 epochs of 1000 at batch 100
    assert_int_equal(s[0].eval_every, 2);           // 10 evaluations by default
    assert_int_equal(s[1].init_seed, 9);
    assert_float_equal(s[0].lr, 1e-3, 0);           // AdamW's default
    free(s);
    sweep_config_free(&c);

    // budgets per size: tokens_per_param scales with N; FLOPs fix the compute
    c = load("model: {depth: 1}\nbudget: {batch: 10, tokens_per_param: 2}\ngrid: {model.width: [10, 20]}\n");
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
    assert_int_equal(s[0].n_params, 784 * 10 + 10 + 10 * 10 + 10);
    assert_int_equal(s[0].steps, (2 * s[0].n_params + 9) / 10);
    assert_int_equal(s[1].steps, (2 * s[1].n_params + 9) / 10);
    free(s);
    sweep_config_free(&c);
    c = load("model: {depth: 1, width: 10}\nbudget: {batch: 10, flops: 1e9}\n");
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
    assert_int_equal(s[0].steps, (long)(1e9 / (6.0 * s[0].n_params * 10)) + 1);
    free(s);
    sweep_config_free(&c);
}

static void hashes_of(const char *yaml, char run[17], char group[17]) {
    SweepConfig c = load(yaml);
    RunSpec *s;
    long n;
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
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

// Issue 13 item 8: "%" then 0xff made libfyaml loop forever. The alarm turns a
// regression into a failure (SIGALRM) instead of a hung suite.
static void test_invalid_utf8_refused_promptly(void **state) {
    (void)state;
    alarm(20);
    expect_error("%\xff", "s.yaml:1:2: not UTF-8 (byte 0xff at offset 1); a sweep config must be UTF-8 text");
    expect_error("name: ok\nmodel: {act: r\xc3\xa9lu\xc0\xaf}\n",
                 "s.yaml:2:18: an overlong encoding (byte 0xc0 at offset 27); a sweep config must be UTF-8 text");
    expect_error("a: \xed\xa0\x80\n", "s.yaml:1:4: a UTF-16 surrogate (byte 0xed at offset 3); a sweep config must be UTF-8 text");
    expect_error("a: \xe2\x82", "s.yaml:1:4: a UTF-8 sequence cut short (byte 0xe2 at offset 3); a sweep config must be UTF-8 text");
    // from a file: the bytes as read, so a NUL byte is found rather than ending the text
    char path[] = "/tmp/jackpot-utf8-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "%\xff", 2), 2);
    close(fd);
    SweepConfig c;
    assert_int_equal(sweep_config_load(path, &c), -1);
    char want[256];
    snprintf(want, sizeof want, "%s:1:2: not UTF-8 (byte 0xff at offset 1); a sweep config must be UTF-8 text", path);
    assert_string_equal(jp_error(), want);
    FILE *f = fopen(path, "wb");
    fwrite("name: a\nmodel: {width: 8}\0\n", 1, 27, f);
    fclose(f);
    assert_int_equal(sweep_config_load(path, &c), -1);
    snprintf(want, sizeof want, "%s:2:18: a NUL byte (byte 0x00 at offset 25); a sweep config must be UTF-8 text", path);
    assert_string_equal(jp_error(), want);
    // valid multi-byte text still loads
    f = fopen(path, "wb");
    fputs("name: \"d\xc3\xa9j\xc3\xa0 vu \xe2\x88\x9a \xf0\x9f\x8e\xb0\"\nbudget: {steps: 10}\n", f);
    fclose(f);
    if (sweep_config_load(path, &c) != 0) fail_msg("%s", jp_error());
    assert_string_equal(c.name, "d\xc3\xa9j\xc3\xa0 vu \xe2\x88\x9a \xf0\x9f\x8e\xb0");
    sweep_config_free(&c);
    unlink(path);
    alarm(0);
}

// "[1, 2, …, n]" as YAML flow text.
static char *values(int n) {
    char *s = malloc((size_t)n * 8 + 3), *p = s;
    *p++ = '[';
    for (int i = 1; i <= n; i++) p += sprintf(p, "%s%d", i > 1 ? "," : "", i);
    strcpy(p, "]");
    return s;
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

// Issue 13 item 8: a 1e9-point grid crashed in malloc; a 1e6-point one validated
// for minutes. Both are refused from the axis sizes, with the count, at once.
static void test_sweep_size_cap(void **state) {
    (void)state;
    char *thousand = values(1000), yaml[16384];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(yaml, sizeof yaml, "budget: {steps: 10}\ngrid:\n  model.width: %s\n  task.train_size: %s\nseeds: {init: 1000}\n",
             thousand, thousand);
    expect_error(yaml, "s.yaml: the sweep has 1000000000 runs (model.width 1000 × task.train_size 1000 × seeds 1000 × 1), "
                       "more than max_runs 100000; no sweep may have more than 10000000: split it");
    // 1e6 runs: over the default cap, which the config may raise
    snprintf(yaml, sizeof yaml, "budget: {steps: 10}\ngrid:\n  model.width: %s\n  task.train_size: %s\n", thousand, thousand);
    expect_error(yaml, "s.yaml: the sweep has 1000000 runs (model.width 1000 × task.train_size 1000 × seeds 1 × 1), "
                       "more than max_runs 100000; set max_runs: 1000000 (top level) to run them all");
    // a product past 2^63 saturates instead of wrapping into a small (or negative) count
    snprintf(yaml, sizeof yaml, "budget: {steps: 10}\ngrid:\n  model.width: %s\n  task.train_size: %s\n"
             "  schedule.warmup: %s\nzip: {world.seed: %s}\nseeds: {init: 100000, data: \"0:100000\"}\n",
             thousand, thousand, thousand, thousand);
    expect_error(yaml, "s.yaml: the sweep has about 1e+22 runs (model.width 1000 × task.train_size 1000 × schedule.warmup "
                       "1000 × zip 1000 × seeds 100000 × 100000), more than max_runs 100000; no sweep may have more than "
                       "10000000: split it");
    assert_true(seconds_since(&t0) < 5);
    free(thousand);

    // raising (and lowering) the cap: 12 runs
    const char *twelve = "budget: {steps: 10}\ngrid: {model.width: [8, 16, 32]}\nseeds: {init: 4}\n";
    snprintf(yaml, sizeof yaml, "max_runs: 11\n%s", twelve);
    expect_error(yaml, "s.yaml: the sweep has 12 runs (model.width 3 × seeds 4 × 1), more than max_runs 11; "
                       "set max_runs: 12 (top level) to run them all");
    snprintf(yaml, sizeof yaml, "%smax_runs: 12\n", twelve);
    SweepConfig c = load(yaml);
    assert_int_equal(c.max_runs, 12);
    RunSpec *s;
    long n;
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
    assert_int_equal(n, 12);
    free(s);
    c.max_runs = 5;   // expand checks too: no caller can skip the cap
    assert_int_equal(sweep_expand(&c, &s, &n), -1);
    assert_string_equal(jp_error(), "t.yaml: the sweep has 12 runs (model.width 3 × seeds 4 × 1), more than max_runs 5; "
                             "set max_runs: 12 (top level) to run them all");
    sweep_config_free(&c);
    // past the default: 101,000 runs with max_runs raised (seed axes, so it expands fast)
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c = load("max_runs: 200000\nbudget: {steps: 10}\nseeds: {init: 1000, data: \"0:101\"}\n");
    assert_int_equal(sweep_size(&c), 101000);
    printf("a sweep of 101,000 runs loads in %.2f s\n", seconds_since(&t0));
    sweep_config_free(&c);
    expect_error("max_runs: 0\n", "s.yaml:1:11: max_runs: expected an integer in [1, 10000000], got '0'");
    expect_error("max_runs: [5]\n", "s.yaml:1:12: max_runs: expected an integer in [1, 10000000], got a list");
    expect_error("max_runs: 1e5\n", "s.yaml:1:11: max_runs: expected an integer in [1, 10000000], got '1e5'");
}

// A run's params JSON (runs.params) is written by the one JSON writer: a data_dir with a quote,
// a backslash, a tab and a control character still gives valid JSON that reads back the same
// (the hand-rolled escaping left control characters raw).
static void test_params_json_escapes_every_string(void **state) {
    (void)state;
    SweepConfig c = load("task: {data_dir: \"a\\\"b\\\\c\\td\\u0001e\"}\nbudget: {steps: 10}\n");
    RunSpec *s;
    long n;
    assert_int_equal(sweep_expand(&c, &s, &n), 0);
    char *json = spec_json(&s[0]);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_valid(?1), json_extract(?1, '$.\"task.data_dir\"')", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    if (sqlite3_column_int(st, 0) != 1) fail_msg("invalid params JSON: %s", json);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "a\"b\\c\td\001e");
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(json);
    free(s);
    sweep_config_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_utf8_refused_promptly),
        cmocka_unit_test(test_sweep_size_cap),
        cmocka_unit_test(test_error_catalogue),
        cmocka_unit_test(test_expansion_counts),
        cmocka_unit_test(test_hash_stability),
        cmocka_unit_test(test_params_json_escapes_every_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

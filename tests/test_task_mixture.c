// The task-mixture world and the injection experiment (Huang, Lubana et al. 2026): the world's
// blocks and spectra, its targets, the head loss's gradient, the injection stream's shares, a
// tiny end-to-end run recording the phase ends, the analysis on known store rows, and the
// configs it refuses.
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "concepts/injection.h"
#include "data/world.h"
#include "nn/loss.h"
#include "nn/mlp.h"
#include "store/store.h"
#include "sweep/config.h"

static WorldOptions mixture(int C, int bits, int shared) {
    return (WorldOptions){ .kind = WORLD_TASK_MIXTURE, .concepts = C, .bits = bits, .zipf = 1.2, .spectrum = 1.5,
                           .shared_inputs = shared, .seed = 9 };
}

// Own blocks: only the example's task's block is filled, feature j has variance (j+1)^−1.5, the
// target is w_c·x at output c and NaN at every other output.
static void test_blocks_spectrum_and_targets(void **state) {
    (void)state;
    WorldOptions o = mixture(4, 8, 0);
    World w;
    assert_int_equal(world_init(&w, &o), 0);
    assert_int_equal(w.dim, 32);
    assert_int_equal(w.n_out, 4);
    assert_true(w.regression);
    enum { N = 6000 };
    double sq[8] = { 0 };
    float x[32], t[4];
    int y;
    for (int i = 0; i < N; i++) {
        int c = world_example(&w, 3, RNG_STREAM_FRESH, (uint64_t)i, 2, x, &y, t);
        assert_int_equal(c, 2);
        for (int k = 0; k < 32; k++)
            if (k / 8 != 2) assert_true(x[k] == 0.0f);   // the other blocks: zero (orthogonal)
        double dot = 0;
        for (int j = 0; j < 8; j++) { dot += (double)w.head_w[2 * 8 + j] * x[16 + j]; sq[j] += (double)x[16 + j] * x[16 + j]; }
        assert_float_equal(t[2], dot, 1e-5 * (1 + fabs(dot)));
        for (int k = 0; k < 4; k++)
            if (k != 2) assert_true(isnan(t[k]));
    }
    for (int j = 0; j < 8; j++) {   // the sample variance of a normal: relative sd sqrt(2/N) ≈ 1.8%
        double want = pow(j + 1, -1.5);
        if (fabs(sq[j] / N / want - 1) > 0.08) fail_msg("feature %d: variance %.4g, want %.4g", j, sq[j] / N, want);
    }
    world_free(&w);
}

// Shared inputs: every block filled, with the same spectrum; the target still reads its own block.
static void test_shared_inputs(void **state) {
    (void)state;
    WorldOptions o = mixture(3, 4, 1);
    World w;
    assert_int_equal(world_init(&w, &o), 0);
    float x[12], t[3];
    int y, nonzero = 0;
    for (int i = 0; i < 50; i++) {
        int c = world_example(&w, 4, RNG_STREAM_FRESH, (uint64_t)i, -1, x, &y, t);
        for (int k = 0; k < 12; k++) nonzero += x[k] != 0.0f;
        double dot = 0;
        for (int j = 0; j < 4; j++) dot += (double)w.head_w[c * 4 + j] * x[c * 4 + j];
        assert_float_equal(t[c], dot, 1e-5 * (1 + fabs(dot)));
    }
    assert_int_equal(nonzero, 50 * 12);
    world_free(&w);
}

// The head loss through a whole MLP: analytic gradient against central differences.
typedef struct { MlpShape sh; float *params, X[4 * 6], T[4 * 3]; MlpWork w; } HeadCtx;

static double head_objective(HeadCtx *c) {
    const float *Y = mlp_forward(&c->sh, c->params, c->X, 4, &c->w);
    return head_squared_error(Y, c->T, 4, 3, 1.0f, NULL, NULL);
}

static void test_head_loss_gradient(void **state) {
    (void)state;
    HeadCtx c = { .sh = { .n_in = 6, .n_out = 3, .depth = 1, .hidden = { 5 }, .act = ACT_TANH } };
    size_t P = mlp_n_params(&c.sh);
    c.params = malloc(sizeof(float) * P);
    float *g = malloc(sizeof(float) * P);
    mlp_init_params(&c.sh, c.params, INIT_KAIMING_NORMAL, BIAS_FAN_IN_UNIFORM, 5);
    assert_int_equal(mlp_work_init(&c.w, &c.sh, 4), 0);
    for (int i = 0; i < 24; i++) c.X[i] = rng_normal(1, 99, (uint64_t)i);
    for (int i = 0; i < 12; i++) c.T[i] = NAN;
    for (int r = 0; r < 4; r++) c.T[r * 3 + r % 3] = rng_normal(2, 99, (uint64_t)r);   // row r trains head r mod 3
    const float *Y = mlp_forward(&c.sh, c.params, c.X, 4, &c.w);
    double loss = head_squared_error(Y, c.T, 4, 3, 1.0f, c.w.dout, NULL);
    // Only the selected output has a gradient; the loss is the squared error there alone.
    double direct = 0;
    for (int r = 0; r < 4; r++) {
        double d = Y[r * 3 + r % 3] - c.T[r * 3 + r % 3];
        direct += d * d;
        for (int k = 0; k < 3; k++)
            if (k != r % 3) assert_true(c.w.dout[r * 3 + k] == 0.0f);
    }
    assert_float_equal(loss, direct, 1e-9);
    mlp_backward(&c.sh, c.params, c.X, 4, &c.w, g);
    double gmax = 0, worst = 0;
    for (size_t i = 0; i < P; i++) gmax = fmax(gmax, fabs(g[i]));
    for (size_t i = 0; i < P; i++) {
        float keep = c.params[i], h = 1e-3f;
        c.params[i] = keep + h; double up = head_objective(&c);
        c.params[i] = keep - h; double down = head_objective(&c);
        c.params[i] = keep;
        double fd = (up - down) / ((double)(keep + h) - (double)(keep - h)), err = fabs(fd - g[i]) / fmax(1, gmax);
        worst = fmax(worst, err);
        if (err > 1e-3) fail_msg("d/dp[%zu]: analytic %.7g, finite difference %.7g", i, g[i], fd);
    }
    print_message("head loss through an MLP: %zu partials, worst scaled error %.1e\n", P, worst);
    mlp_work_free(&c.w);
    free(c.params);
    free(g);
}

// The injection stream: the injected task at `share`, the others in proportion to p_c.
static void test_injection_shares(void **state) {
    (void)state;
    WorldOptions o = mixture(6, 4, 0);
    World w;
    assert_int_equal(world_init(&w, &o), 0);
    enum { N = 40000 };
    const double share = 0.3;
    const int inject = 4;
    long count[6] = { 0 };
    for (int i = 0; i < N; i++) count[world_injection_concept(&w, 7, RNG_STREAM_INJECT, (uint64_t)i, inject, share)]++;
    for (int c = 0; c < 6; c++) {
        double want = c == inject ? share : (1 - share) * w.p[c] / (1 - w.p[inject]);
        double sd = sqrt(want * (1 - want) / N), got = (double)count[c] / N;
        if (fabs(got - want) > 4 * sd) fail_msg("task %d: share %.4f, want %.4f ± %.4f", c, got, want, 4 * sd);
    }
    // share 1: nothing else; a deterministic function of (seed, stream, index)
    for (int i = 0; i < 100; i++) assert_int_equal(world_injection_concept(&w, 7, RNG_STREAM_INJECT, (uint64_t)i, 2, 1.0), 2);
    assert_int_equal(world_injection_concept(&w, 7, RNG_STREAM_INJECT, 123, inject, share),
                     world_injection_concept(&w, 7, RNG_STREAM_INJECT, 123, inject, share));
    world_free(&w);
}

static const char *const TINY =
    "name: tiny-mixture\n"
    "task: { name: task-mixture }\n"
    "world: { concepts: 6, bits: 4, zipf: 1.2, eval_per_concept: 16, shared_inputs: true }\n"
    "model: { depth: 1, loss: head }\n"
    "optim: { name: adamw, lr: 0.01, wd: 0 }\n"
    "budget: { steps: 40, batch: 16, evals: 2 }\n"
    "injection: { task: %s, share: %s, steps: 30, return_steps: 20 }\n"
    "grid: { model.width: [8, 16] }\n"
    "seeds: { init: 2 }\n";

// A tiny sweep through the CLI: every run records its per-task losses at the three phase ends
// (40, 70, 90) and the boundaries as summaries; jackpot concepts prints the injection block.
static void test_end_to_end(void **state) {
    (void)state;
    char dir[256], path[512], db[512], cmd[1200], out[16384];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "mixture"), 0);
    snprintf(path, sizeof path, "%s/tiny.yaml", dir);
    snprintf(db, sizeof db, "%s/t.db", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, TINY, "5", "0.5");
    fclose(f);
    snprintf(cmd, sizeof cmd, "run %s --db %s --quiet", path, db);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM runs WHERE status = 'done'"), 4);
    for (int step = 40; step <= 90; step += step == 40 ? 30 : 20) {
        char q[200];
        snprintf(q, sizeof q, "SELECT count(*) FROM concepts WHERE step = %d AND loss IS NOT NULL", step);
        assert_int_equal((int)sql_value(h, q), 4 * 6);
    }
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM summaries WHERE name = 'injection_end' AND value = 70"), 4);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM summaries WHERE name = 'return_end' AND value = 90"), 4);
    sqlite3_close(h);
    InjectionStudy st;
    assert_int_equal(injection_study_load(db, NULL, NULL, &st), 0);
    assert_int_equal(st.n_sizes, 2);
    assert_int_equal(st.inject, 5);
    assert_int_equal(st.size[0].n_runs, 2);
    assert_true(st.start == 40 && st.end == 70 && st.ret == 90);
    injection_study_free(&st);
    snprintf(cmd, sizeof cmd, "concepts --db %s", db);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "injection experiment"));
    temp_dir_remove(dir);
}

// Known rows: 3 tasks, task 2 injected. Run i: base (1, 1, 2), after the injection (1.1, 1.3 + i·0.2,
// 1), after the return (·, ·, 1.5). Forgetting of run i: mean(0.1, 0.3 + 0.2·i); drop 1; retention
// 0.5. Written to a store and read back through injection_study_load.
static void test_analysis_known_numbers(void **state) {
    (void)state;
    char dir[256], db[512];
    assert_int_equal(temp_dir_make(dir, sizeof dir, "inject-rows"), 0);
    snprintf(db, sizeof db, "%s/rows.db", dir);
    Store s;
    assert_int_equal(store_open(&s, db, 0), 0);
    long sweep;
    assert_int_equal(store_add_sweep(&s, "known", "k.yaml", "k", &sweep), 0);
    for (int i = 0; i < 3; i++) {
        char hash[17], json[300], status[16];
        long id;
        snprintf(hash, sizeof hash, "run%d", i);
        snprintf(json, sizeof json, "{\"task.name\":\"task-mixture\",\"world.concepts\":3,\"world.zipf\":1,"
                 "\"injection.task\":2,\"injection.share\":0.5,\"injection.steps\":10,\"seed.init\":%d}", i);
        StoreRun r = { .hash = hash, .group_hash = "g", .params_json = json, .task = "task-mixture", .family = "mlp",
                       .hidden = "8", .optim = "adamw", .width = 8, .depth = 1, .n_params = 100, .batch = 8, .steps = 20 };
        assert_int_equal(store_add_run(&s, sweep, i, &r, &id, status), 0);
        const double loss[3][3] = { { 1, 1, 2 }, { 1.1, 1.3 + 0.2 * i, 1 }, { 0.9, 0.9, 1.5 } }, acc[3] = { NAN, NAN, NAN };
        for (int e = 0; e < 3; e++) {
            StoreConcepts c = { 3, loss[e], acc };
            StoreMetric m[1] = { { "probe", "cos_fr", 0.1 * i } };
            assert_int_equal(store_add_eval(&s, id, 20 + 10 * e, 0, 0, 0, m, e ? 1 : 0, &c), 0);
        }
        StoreSummary sum[3] = { { "injection_start", 20 }, { "injection_end", 30 }, { "return_end", 40 } };
        assert_int_equal(store_finish_run(&s, id, "done", -1, 1, NULL, sum, 3), 0);
    }
    long plain, id;   // and a sweep of one task-mixture run without an injection
    char status[16];
    assert_int_equal(store_add_sweep(&s, "plain", "p.yaml", "p", &plain), 0);
    StoreRun r = { .hash = "plain0", .group_hash = "p", .params_json = "{\"task.name\":\"task-mixture\",\"world.concepts\":3}",
                   .task = "task-mixture", .family = "mlp", .hidden = "8", .optim = "adamw", .width = 8, .depth = 1,
                   .n_params = 100, .batch = 8, .steps = 20 };
    assert_int_equal(store_add_run(&s, plain, 0, &r, &id, status), 0);
    const double one[3] = { 1, 1, 1 };
    StoreConcepts c = { 3, one, one };
    assert_int_equal(store_add_eval(&s, id, 20, 0, 0, 0, NULL, 0, &c), 0);
    assert_int_equal(store_finish_run(&s, id, "done", -1, 1, NULL, NULL, 0), 0);
    store_close(&s);
    InjectionStudy st;
    assert_int_equal(injection_study_load(db, "plain", NULL, &st), INJECTION_STUDY_NONE);
    assert_int_equal(st.mixture_runs, 1);   // what the report's note and jackpot concepts' line need
    assert_int_equal(injection_study_load(db, "known", NULL, &st), 0);
    assert_int_equal(st.n_sizes, 1);
    const InjectionSize *z = &st.size[0];
    assert_int_equal(z->n_runs, 3);
    for (int i = 0; i < 3; i++) assert_float_equal(z->run_forget[i], (0.1 + 0.3 + 0.2 * i) / 2, 1e-12);
    assert_float_equal(z->forget_all.mean, 0.3, 1e-12);   // (0.2 + 0.3 + 0.4) / 3
    // t_{0.975, 2} = 4.303; sd of (0.2, 0.3, 0.4) = 0.1: half-width 4.303 · 0.1 / √3
    assert_float_equal(z->forget_all.hi - z->forget_all.mean, 4.302653 * 0.1 / sqrt(3), 1e-5);
    assert_float_equal(z->retention.mean, 0.5, 1e-12);
    assert_float_equal(z->drop.mean, 1.0, 1e-12);
    assert_float_equal(z->forget_task[0].mean, 0.1, 1e-12);
    assert_float_equal(z->forget_task[1].mean, 0.5, 1e-12);
    assert_true(isnan(z->forget_task[2].mean));   // the injected task is not "forgotten"
    assert_float_equal(z->cos_fr.mean, 0.1, 1e-12);   // (0, 0.1, 0.2)
    injection_study_free(&st);
    temp_dir_remove(dir);
}

static void refused(const char *task, const char *share, const char *field) {
    char text[1200];
    snprintf(text, sizeof text, TINY, task, share);
    SweepConfig c;
    if (sweep_config_parse("bad.yaml", text, &c) == 0) {
        sweep_config_free(&c);
        fail_msg("injection task %s share %s: accepted", task, share);
    }
    if (!strstr(jp_error(), field)) fail_msg("injection task %s share %s: '%s' does not name %s", task, share, jp_error(), field);
}

static void test_bad_configs_refused(void **state) {
    (void)state;
    refused("6", "0.5", "injection.task");    // 6 tasks: 0..5
    refused("-1", "0.5", "injection.task");
    refused("2", "0", "injection.share");
    refused("2", "1.5", "injection.share");
    SweepConfig c;   // and the loss: one head per task
    char text[1200];
    snprintf(text, sizeof text, TINY, "2", "1");
    assert_int_equal(sweep_config_parse("ok.yaml", text, &c), 0);   // share 1 is allowed
    sweep_config_free(&c);
    char *mse = strstr(text, "loss: head");
    memcpy(mse, "loss: mse ", 10);
    assert_int_equal(sweep_config_parse("mse.yaml", text, &c), -1);
    assert_non_null(strstr(jp_error(), "model.loss"));
    // the head loss only on task-mixture; an injection only on a toy world
    static const char *const others[][2] = {
        { "task: { name: sparse-parity }\nmodel: { loss: head }\nbudget: { steps: 5 }\n", "model.loss" },
        { "task: { name: fashion-mnist }\nbudget: { steps: 5 }\ninjection: { task: 0, steps: 5 }\n", "injection.steps" },
    };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sweep_config_parse("other.yaml", others[i][0], &c), -1);
        if (!strstr(jp_error(), others[i][1])) fail_msg("'%s' does not name %s", jp_error(), others[i][1]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_spectrum_and_targets),
        cmocka_unit_test(test_shared_inputs),
        cmocka_unit_test(test_head_loss_gradient),
        cmocka_unit_test(test_injection_shares),
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_analysis_known_numbers),
        cmocka_unit_test(test_bad_configs_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

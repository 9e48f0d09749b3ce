// Lottery-ticket machinery: Frankle & Carbin's density sequence, masks held
// through training, exact rewinding, the random-mask control's counts, and the
// zero barrier between identical copies.
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "nn/blas.h"
#include "tickets/barrier.h"
#include "tickets/prune.h"
#include "train/trainer.h"

static const MlpShape LENET = { .n_in = 784, .n_out = 10, .depth = 2, .hidden = { 300, 100 }, .act = ACT_RELU };

static void test_density_sequence_matches_frankle_carbin(void **state) {
    (void)state;
    size_t P = mlp_n_params(&LENET);
    float *params = malloc(sizeof(float) * P), *mask = malloc(sizeof(float) * P);
    mlp_init_params(&LENET, params, INIT_GLOROT_NORMAL, BIAS_ZERO, 3);
    mask_dense(&LENET, mask);
    // remaining weights, % (Frankle & Carbin 2019, LeNet-300-100 at 20% per round, output layer 10%)
    const struct { int round; double pct; } expect[] = {
        { 1, 80.0 }, { 2, 64.0 }, { 3, 51.3 }, { 7, 21.1 }, { 9, 13.5 }, { 12, 7.0 }, { 15, 3.6 }, { 18, 1.9 },
    };
    int e = 0;
    for (int r = 1; r <= 18; r++) {
        prune_layerwise(&LENET, params, mask, 0.2, 0.1);
        double pct = 100 * mask_density(&LENET, mask, -1);
        if (e < 8 && expect[e].round == r) {
            print_message("round %2d: %.1f%% of weights remain (paper %.1f%%); output layer %.1f%%\n", r, pct, expect[e].pct,
                          100 * mask_density(&LENET, mask, 2));
            assert_float_equal(pct, expect[e].pct, 0.1);   // the paper rounds 64.06 to 64
            e++;
        }
    }
    assert_int_equal(e, 8);
    // the smallest magnitudes went: every kept weight of layer 0 is at least as large as every pruned one
    float kept_min = INFINITY, pruned_max = 0;
    for (size_t i = 0; i < 784 * 300; i++) {
        if (mask[i] != 0) kept_min = fminf(kept_min, fabsf(params[i]));
        else pruned_max = fmaxf(pruned_max, fabsf(params[i]));
    }
    assert_true(kept_min >= pruned_max);
    // biases are never pruned
    MlpLayer L[MLP_MAX_DEPTH + 1];
    mlp_layers(&LENET, L);
    for (int j = 0; j < 300; j++) assert_true(mask[L[0].b + j] == 1.0f);
    free(params);
    free(mask);
}

static void test_controls_keep_the_counts(void **state) {
    (void)state;
    size_t P = mlp_n_params(&LENET);
    float *params = malloc(sizeof(float) * P), *mask = malloc(sizeof(float) * P), *rnd = malloc(sizeof(float) * P),
          *one = malloc(sizeof(float) * P);
    mlp_init_params(&LENET, params, INIT_GLOROT_NORMAL, BIAS_ZERO, 5);
    mask_dense(&LENET, mask);
    for (int r = 0; r < 5; r++) prune_layerwise(&LENET, params, mask, 0.2, 0.1);
    mask_random_like(&LENET, mask, rnd, 99);
    prune_oneshot_like(&LENET, params, mask, one);
    for (int l = 0; l < 3; l++) {
        assert_float_equal(mask_density(&LENET, rnd, l), mask_density(&LENET, mask, l), 0);
        assert_float_equal(mask_density(&LENET, one, l), mask_density(&LENET, mask, l), 0);
    }
    assert_true(memcmp(rnd, mask, sizeof(float) * P) != 0);
    // one-shot from the same weights keeps the same (magnitude) weights as iterative pruning of fixed weights
    assert_memory_equal(one, mask, sizeof(float) * P);
    free(params); free(mask); free(rnd); free(one);
}

static void make_task(Task *t) {
    memset(t, 0, sizeof *t);
    strcpy(t->name, "synthetic");
    t->dim = 12;
    t->n_out = 3;
    Split *sp[3] = { &t->train, &t->val, &t->test };
    for (int k = 0; k < 3; k++) {
        Split *s = sp[k];
        s->n = k ? 100 : 400;
        s->x = malloc(sizeof(float) * s->n * 12);
        s->y = malloc(sizeof(int) * s->n);
        for (int i = 0; i < s->n; i++) {
            double v[3] = { 0 };
            for (int j = 0; j < 12; j++) {
                float x = rng_normal(70 + k, 1, (uint64_t)i * 12 + j);
                s->x[i * 12 + j] = x;
                for (int c = 0; c < 3; c++) v[c] += x * rng_normal(71, 2, (uint64_t)c * 12 + j);
            }
            s->y[i] = v[0] > v[1] ? (v[0] > v[2] ? 0 : 2) : (v[1] > v[2] ? 1 : 2);
        }
    }
}

static TrainConfig config(void) {
    TrainConfig c = {
        .shape = { .n_in = 12, .n_out = 3, .depth = 2, .hidden = { 32, 16 }, .act = ACT_RELU },
        .weight_init = INIT_GLOROT_NORMAL, .loss = LOSS_CROSS_ENTROPY, .optim = optim_defaults(OPTIM_ADAMW),
        .batch = 20, .steps = 60, .eval_every = 20, .threads = 2, .eval_rows = 100,
    };
    c.optim.weight_decay = 0.1f;   // decay must not revive a pruned weight either
    c.optim.lr = 1e-2f;
    return c;
}

static void test_pruned_weights_stay_zero(void **state) {
    (void)state;
    Task task;
    make_task(&task);
    TrainConfig c = config();
    size_t P = mlp_n_params(&c.shape);
    MemberSeeds seeds[2] = { { 1, 1 }, { 2, 2 } };
    float *mask = malloc(sizeof(float) * P * 2), *init = malloc(sizeof(float) * P * 2);
    for (int m = 0; m < 2; m++) {
        mlp_init_params(&c.shape, init + m * P, INIT_GLOROT_NORMAL, BIAS_ZERO, seeds[m].init_seed);
        mask_dense(&c.shape, mask + m * P);
        for (int r = 0; r < 4; r++) prune_layerwise(&c.shape, init + m * P, mask + m * P, 0.2, 0.1);
    }
    c.mask = mask;
    Ensemble e;
    MemberSummary sum[2];
    assert_int_equal(train_ensemble(&c, &task, seeds, 2, &e, NULL, NULL, sum), 0);
    size_t zeros = 0, moved = 0;
    for (size_t i = 0; i < 2 * P; i++) {
        if (mask[i] == 0) {
            assert_true(e.params[i] == 0.0f && e.state1[i] == 0.0f && e.state2[i] == 0.0f);
            zeros++;
        } else {
            moved += e.params[i] != init[i];
        }
    }
    assert_true(zeros > 0 && moved > 0);
    print_message("ticket at %.1f%% density: validation accuracy %.2f (chance 0.33)\n", 100 * mask_density(&c.shape, mask, -1),
                  sum[0].final.val_acc);
    assert_true(sum[0].final.val_acc > 0.5);   // a sparse network still learns
    ensemble_free(&e);
    free(mask); free(init);
    task_free(&task);
}

static void test_rewind_restores_theta_k_exactly(void **state) {
    (void)state;
    Task task;
    make_task(&task);
    TrainConfig c = config();
    size_t P = mlp_n_params(&c.shape);
    MemberSeeds seeds[2] = { { 4, 4 }, { 5, 5 } };
    float *theta_k = malloc(sizeof(float) * P * 2);
    c.capture_step = 25;
    c.capture = theta_k;
    Ensemble full, k_only, rewound;
    MemberSummary sum[2];
    assert_int_equal(train_ensemble(&c, &task, seeds, 2, &full, NULL, NULL, sum), 0);
    // θ_k is bit for bit the weights of a run that stopped at step k
    TrainConfig ck = config();
    ck.steps = 25;
    assert_int_equal(train_ensemble(&ck, &task, seeds, 2, &k_only, NULL, NULL, sum), 0);
    assert_memory_equal(theta_k, k_only.params, sizeof(float) * P * 2);
    // and a run started from θ_k begins exactly there
    TrainConfig cr = config();
    cr.steps = 0;
    cr.start_params = theta_k;
    assert_int_equal(train_ensemble(&cr, &task, seeds, 2, &rewound, NULL, NULL, sum), 0);
    assert_memory_equal(rewound.params, theta_k, sizeof(float) * P * 2);
    ensemble_free(&full); ensemble_free(&k_only); ensemble_free(&rewound);
    free(theta_k);
    task_free(&task);
}

static void test_barrier_of_identical_copies_is_zero(void **state) {
    (void)state;
    Task task;
    make_task(&task);
    TrainConfig c = config();
    MemberSeeds seeds[2] = { { 7, 7 }, { 8, 9 } };
    Ensemble e;
    MemberSummary sum[2];
    assert_int_equal(train_ensemble(&c, &task, seeds, 2, &e, NULL, NULL, sum), 0);
    double err[11];
    double b = lmc_barrier(&c.shape, member_params(&e, 0), member_params(&e, 0), &task, &task.test, LOSS_CROSS_ENTROPY, 11, err);
    assert_true(b == 0.0);
    for (int i = 1; i < 11; i++) assert_true(err[i] == err[0]);
    // two different networks: a barrier that is a number, end points their own errors
    b = lmc_barrier(&c.shape, member_params(&e, 0), member_params(&e, 1), &task, &task.test, LOSS_CROSS_ENTROPY, 11, err);
    assert_true(isfinite(b) && b >= 0);
    assert_float_equal(err[0], 1 - sum[0].final.test_acc, 1e-12);
    assert_float_equal(err[10], 1 - sum[1].final.test_acc, 1e-12);
    print_message("barrier between two independently trained networks: %.3f\n", b);
    ensemble_free(&e);
    task_free(&task);
}

int main(void) {
    blas_set_threads(train_blas_threads(2, 2, 0));   // as jackpot tickets does for these 2-thread, 2-member ensembles
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_density_sequence_matches_frankle_carbin),
        cmocka_unit_test(test_controls_keep_the_counts),
        cmocka_unit_test(test_pruned_weights_stay_zero),
        cmocka_unit_test(test_rewind_restores_theta_k_exactly),
        cmocka_unit_test(test_barrier_of_identical_copies_is_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// Smoke training on the real Fashion-MNIST (installed by scripts/install-deps):
// a 784-128-10 MLP, 2 epochs (1,100 steps of 100), must pass 80% test accuracy.
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "data/fashion.h"
#include "nn/blas.h"
#include "train/trainer.h"

static void test_fashion_trains_above_80_percent(void **state) {
    (void)state;
    FashionOptions opt = { .data_dir = getenv("JACKPOT_FASHION_DIR"), .val_size = 5000 };
    Task task;
    if (fashion_load(&opt, &task) != 0) fail_msg("%s", jp_error());
    assert_int_equal(task.train.n, 55000);
    assert_int_equal(task.val.n, 5000);
    assert_int_equal(task.test.n, 10000);
    TrainConfig cfg = {
        .shape = { .n_in = 784, .n_out = 10, .depth = 1, .hidden = { 128 }, .act = ACT_RELU },
        .weight_init = INIT_KAIMING_NORMAL, .bias_init = BIAS_ZERO, .loss = LOSS_CROSS_ENTROPY,
        .optim = optim_defaults(OPTIM_ADAMW), .batch = 100, .steps = 1100, .eval_every = 275,
        .train_size = 0, .threads = 2, .eval_rows = 1000,
    };
    MemberSeeds seeds[2] = { { 0, 0 }, { 1, 1 } };
    Ensemble e;
    MemberSummary sum[2];
    blas_set_threads(train_blas_threads(cfg.threads, 2, 0));   // as jackpot train does
    assert_int_equal(train_ensemble(&cfg, &task, seeds, 2, &e, NULL, NULL, sum), 0);
    for (int m = 0; m < 2; m++) {
        print_message("member %d: test accuracy %.2f%% at the best-validation step %ld, %.2f%% at the end\n",
                      m, 100 * sum[m].best.test_acc, sum[m].best.step, 100 * sum[m].final.test_acc);
        assert_true(sum[m].final.test_acc > 0.80);
        assert_true(sum[m].best.test_acc > 0.80);
        assert_true(sum[m].final.val_acc > 0.80);
    }
    ensemble_free(&e);
    task_free(&task);
}

int main(void) {
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_fashion_trains_above_80_percent) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// Parity with PyTorch 1.13: the same initial weights and batches must give the
// same 10 losses and final weights as torch.optim's AdamW and SGD.
// Reference files: tests/reference/torch_reference.py.
//
// Tolerances sit about ten times above what is observed, so that a small bug
// (an epsilon in the wrong place, a bias correction off by one step) fails.
// Worst differences seen over the four cases, release and sanitizer (-O1)
// builds alike, and with every OpenBLAS kernel family forced through
// OPENBLAS_CORETYPE (Prescott … SkylakeX, Zen): loss 1.3e-7 relative (about
// one float ulp), final weight 8.9e-8 absolute.
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ensemble.h"
#include "train/step.h"

#define LOSS_RTOL 1e-6     // observed ≤ 1.3e-7
#define WEIGHT_ATOL 1e-6   // observed ≤ 8.9e-8

typedef struct {
    MlpShape shape;
    LossKind loss;
    OptimConfig opt;
    int steps, batch;
    float *init, *x, *losses, *final;
    int *y;
    int n_init, n_x, n_y, n_losses, n_final;
} Case;

static float *read_floats(FILE *f, int *n) {
    assert_int_equal(fscanf(f, "%d", n), 1);
    float *v = malloc(sizeof(float) * *n);
    for (int i = 0; i < *n; i++) assert_int_equal(fscanf(f, "%f", &v[i]), 1);
    return v;
}

static void load_case(const char *name, Case *c) {
    char path[512], key[64], word[64];
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s (run tests from the repository root)", path);
    memset(c, 0, sizeof *c);
    double lr = 0, wd = 0, mom = 0, nest = 0, b1 = 0, b2 = 0, eps = 0;
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));   // comment
    while (fscanf(f, "%63s", key) == 1) {
        if (!strcmp(key, "shape")) {
            int v[8], n = 0;
            while (n < 8 && fscanf(f, "%d", &v[n]) == 1) n++;
            c->shape.n_in = v[0]; c->shape.n_out = v[n - 1]; c->shape.depth = n - 2;
            for (int l = 0; l < n - 2; l++) c->shape.hidden[l] = v[l + 1];
        } else if (!strcmp(key, "act")) { assert_int_equal(fscanf(f, "%63s", word), 1); assert_int_equal(act_parse(word, &c->shape.act), 0); }
        else if (!strcmp(key, "loss")) { assert_int_equal(fscanf(f, "%63s", word), 1); assert_int_equal(loss_parse(word, &c->loss), 0); }
        else if (!strcmp(key, "optim")) { assert_int_equal(fscanf(f, "%63s", word), 1); assert_int_equal(optim_parse(word, &c->opt.kind), 0); }
        else if (!strcmp(key, "lr")) assert_int_equal(fscanf(f, "%lf", &lr), 1);
        else if (!strcmp(key, "wd")) assert_int_equal(fscanf(f, "%lf", &wd), 1);
        else if (!strcmp(key, "momentum")) assert_int_equal(fscanf(f, "%lf", &mom), 1);
        else if (!strcmp(key, "nesterov")) assert_int_equal(fscanf(f, "%lf", &nest), 1);
        else if (!strcmp(key, "beta1")) assert_int_equal(fscanf(f, "%lf", &b1), 1);
        else if (!strcmp(key, "beta2")) assert_int_equal(fscanf(f, "%lf", &b2), 1);
        else if (!strcmp(key, "eps")) assert_int_equal(fscanf(f, "%lf", &eps), 1);
        else if (!strcmp(key, "steps")) assert_int_equal(fscanf(f, "%d", &c->steps), 1);
        else if (!strcmp(key, "batch")) assert_int_equal(fscanf(f, "%d", &c->batch), 1);
        else if (!strcmp(key, "init")) c->init = read_floats(f, &c->n_init);
        else if (!strcmp(key, "x")) c->x = read_floats(f, &c->n_x);
        else if (!strcmp(key, "losses")) c->losses = read_floats(f, &c->n_losses);
        else if (!strcmp(key, "final")) c->final = read_floats(f, &c->n_final);
        else if (!strcmp(key, "y")) {
            float *y = read_floats(f, &c->n_y);
            c->y = malloc(sizeof(int) * c->n_y);
            for (int i = 0; i < c->n_y; i++) c->y[i] = (int)y[i];
            free(y);
        } else fail_msg("%s: unknown key '%s'", path, key);
    }
    fclose(f);
    c->opt = (OptimConfig){ .kind = c->opt.kind, .lr = (float)lr, .weight_decay = (float)wd, .momentum = (float)mom,
                            .nesterov = (int)nest, .beta1 = (float)b1, .beta2 = (float)b2, .eps = (float)eps };
}

static void free_case(Case *c) {
    free(c->init); free(c->x); free(c->y); free(c->losses); free(c->final);
}

static void check_case(const char *name) {
    Case c;
    load_case(name, &c);
    Ensemble e;
    assert_int_equal(ensemble_init(&e, &c.shape, 1), 0);
    assert_int_equal(c.n_init, (int)e.P);
    assert_int_equal(c.n_final, (int)e.P);
    assert_int_equal(c.n_x, c.steps * c.batch * c.shape.n_in);
    memcpy(e.params, c.init, sizeof(float) * e.P);
    double worst_loss = 0;
    MlpWork w;
    assert_int_equal(mlp_work_init(&w, &c.shape, c.batch), 0);
    for (int s = 0; s < c.steps; s++) {
        double loss = train_step(&e, 0, c.x + (size_t)s * c.batch * c.shape.n_in, c.y + s * c.batch, NULL,
                                 c.batch, c.loss, &c.opt, c.opt.lr, &w);
        double rel = fabs(loss - c.losses[s]) / fabs(c.losses[s]);
        if (rel > worst_loss) worst_loss = rel;
        if (rel > LOSS_RTOL) fail_msg("%s: step %d loss %.9g, PyTorch %.9g (relative error %.2g)", name, s, loss, c.losses[s], rel);
    }
    double worst = 0;
    for (size_t i = 0; i < e.P; i++) {
        double err = fabs(e.params[i] - c.final[i]);
        if (err > worst) worst = err;
        if (err > WEIGHT_ATOL) fail_msg("%s: weight %zu is %.9g, PyTorch %.9g", name, i, e.params[i], c.final[i]);
    }
    print_message("%s: worst loss error %.2g relative (limit %g), worst weight error %.2g (limit %g)\n",
                  name, worst_loss, LOSS_RTOL, worst, WEIGHT_ATOL);
    mlp_work_free(&w);
    ensemble_free(&e);
    free_case(&c);
}

static void test_adamw_relu_ce(void **s) { (void)s; check_case("adamw_relu_ce"); }
static void test_adamw_gelu_mse(void **s) { (void)s; check_case("adamw_gelu_mse"); }
static void test_sgd_tanh_ce(void **s) { (void)s; check_case("sgd_tanh_ce"); }
static void test_sgd_nesterov_relu_mse(void **s) { (void)s; check_case("sgd_nesterov_relu_mse"); }

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_relu_ce),
        cmocka_unit_test(test_adamw_gelu_mse),
        cmocka_unit_test(test_sgd_tanh_ce),
        cmocka_unit_test(test_sgd_nesterov_relu_mse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

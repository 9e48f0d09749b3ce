// Toy worlds and their probes: concept frequencies follow the Zipf law (χ²),
// parity labels match their definition recomputed from the bits, the manifold's
// intrinsic dimension is d (Levina–Bickel nearest-neighbour estimate), the
// gradient-cosine probe is 1 for identical concepts and matches a hand-computed
// case, and per-concept metrics sum to the aggregate with frequency weights.
#include "testutil.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "data/task.h"
#include "data/world.h"
#include "nn/ensemble.h"
#include "train/probe.h"
#include "train/step.h"

static void test_concept_frequencies_follow_zipf(void **state) {
    (void)state;
    World w;
    WorldOptions o = { .kind = WORLD_SPARSE_PARITY, .concepts = 20, .zipf = 1.4, .bits = 16, .k = 3, .seed = 7 };
    assert_int_equal(world_init(&w, &o), 0);
    enum { N = 200000 };
    long count[20] = { 0 };
    float x[36];
    int y;
    for (long i = 0; i < N; i++) count[world_example(&w, 11, RNG_STREAM_FRESH, (uint64_t)i, -1, x, &y, NULL)]++;
    double chi2 = 0, total = 0;
    for (int c = 0; c < 20; c++) total += pow(c + 1, -1.4);
    for (int c = 0; c < 20; c++) {
        double expected = N * pow(c + 1, -1.4) / total;
        assert_true(fabs(w.p[c] * N - expected) < 1e-6 * N);
        chi2 += (count[c] - expected) * (count[c] - expected) / expected;
    }
    // Goodness of fit at the 0.1% level with 19 degrees of freedom (critical value ≈ 43.8).
    assert_true(chi2 < gsl_cdf_chisq_Qinv(0.001, 19));
    // and a wrong exponent is rejected by the same test
    double chi2_wrong = 0, total_wrong = 0;
    for (int c = 0; c < 20; c++) total_wrong += pow(c + 1, -1.2);
    for (int c = 0; c < 20; c++) {
        double e = N * pow(c + 1, -1.2) / total_wrong;
        chi2_wrong += (count[c] - e) * (count[c] - e) / e;
    }
    assert_true(chi2_wrong > gsl_cdf_chisq_Qinv(0.001, 19));
    world_free(&w);
}

static void test_parity_labels_match_definition(void **state) {
    (void)state;
    World w;
    WorldOptions o = { .kind = WORLD_SPARSE_PARITY, .concepts = 12, .zipf = 1.0, .bits = 40, .k = 3, .seed = 3 };
    assert_int_equal(world_init(&w, &o), 0);
    assert_int_equal(w.dim, 52);
    assert_int_equal(w.n_out, 2);
    for (int c = 0; c < 12; c++)   // k distinct bits inside the range
        for (int a = 0; a < 3; a++) {
            assert_in_range(w.subset[c * 3 + a], 0, 39);
            for (int b = 0; b < a; b++) assert_int_not_equal(w.subset[c * 3 + a], w.subset[c * 3 + b]);
        }
    float x[52];
    int y, ones = 0;
    for (int i = 0; i < 5000; i++) {
        int c = world_example(&w, 5, RNG_STREAM_FRESH, (uint64_t)i, -1, x, &y, NULL);
        int hot = -1, n_hot = 0, sum = 0;
        for (int j = 0; j < 12; j++) if (x[j] == 1.0f) { hot = j; n_hot++; } else assert_true(x[j] == 0.0f);
        assert_int_equal(n_hot, 1);
        assert_int_equal(hot, c);
        for (int j = 0; j < 40; j++) assert_true(x[12 + j] == 0.0f || x[12 + j] == 1.0f);
        for (int a = 0; a < 3; a++) sum += (int)x[12 + w.subset[c * 3 + a]];
        assert_int_equal(y, sum % 2);
        ones += y;
    }
    assert_in_range(ones, 2300, 2700);   // labels balanced
    // example i of a stream is the same every time; another data seed gives other examples
    float x2[52];
    int y2;
    world_example(&w, 5, RNG_STREAM_FRESH, 4999, -1, x2, &y2, NULL);
    assert_memory_equal(x, x2, sizeof x);
    world_example(&w, 6, RNG_STREAM_FRESH, 4999, -1, x2, &y2, NULL);
    assert_true(memcmp(x, x2, sizeof x) != 0);
    world_free(&w);
}

// Levina & Bickel (2005) maximum-likelihood intrinsic dimension with k neighbours, averaged over points.
static double mle_dimension(const float *X, int n, int dim, int k) {
    double sum = 0;
    double *d = malloc(sizeof(double) * n);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int a = 0; a < dim; a++) { double t = X[i * dim + a] - X[j * dim + a]; s += t * t; }
            d[j] = j == i ? INFINITY : sqrt(s);
        }
        // the k smallest, by partial selection
        for (int a = 0; a < k; a++)
            for (int b = a + 1; b < n; b++)
                if (d[b] < d[a]) { double t = d[a]; d[a] = d[b]; d[b] = t; }
        double s = 0;
        for (int a = 0; a < k - 1; a++) s += log(d[k - 1] / d[a]);
        sum += (k - 2) / s;
    }
    free(d);
    return sum / n;
}

static void test_manifold_intrinsic_dimension(void **state) {
    (void)state;
    for (int d = 2; d <= 5; d += 3) {
        World w;
        WorldOptions o = { .kind = WORLD_MANIFOLD, .concepts = 1, .zipf = 1, .bits = 24, .manifold_dim = d,
                           .teacher_width = 8, .teacher_depth = 1, .seed = 1 };
        assert_int_equal(world_init(&w, &o), 0);
        assert_int_equal(w.dim, 24);
        enum { N = 1500 };
        float *X = malloc(sizeof(float) * N * 24), t;
        for (int i = 0; i < N; i++) world_example(&w, 2, RNG_STREAM_FRESH, (uint64_t)i, -1, X + i * 24, NULL, &t);
        double est = mle_dimension(X, N, 24, 12);
        print_message("manifold d = %d: nearest-neighbour estimate %.2f in ambient dimension 24\n", d, est);
        assert_true(fabs(est - d) < 0.2 * d + 0.3);
        free(X);
        world_free(&w);
    }
}

// A split of 4 concepts, one example each, for a linear model y = w·x + b.
static Split tiny_split(const float x[4][2], const float t[4], const double p[4]) {
    Split s = { .n = 4, .n_concepts = 4 };
    s.x = malloc(sizeof(float) * 8);
    s.t = malloc(sizeof(float) * 4);
    s.concept_start = malloc(sizeof(int) * 5);
    s.concept_weight = malloc(sizeof(double) * 4);
    memcpy(s.x, x, sizeof(float) * 8);
    memcpy(s.t, t, sizeof(float) * 4);
    for (int c = 0; c <= 4; c++) s.concept_start[c] = c;
    memcpy(s.concept_weight, p, sizeof(double) * 4);
    return s;
}

static void split_release(Split *s) {
    free(s->x); free(s->t); free(s->concept_start); free(s->concept_weight);
}

static void test_probe_hand_computed(void **state) {
    (void)state;
    // Linear model, zero weights: concept c's gradient of (w·x + b − t)² is −2t·(x, 1).
    // Concept 0: x = (1, 0), t = 1 → g ∝ (1, 0, 1); concept 3: x = (0, 1), t = 1 → g ∝ (0, 1, 1):
    // cosine 1/2. After θ − 0.1·g_0 = (0.2, 0, 0.2): rare loss (0.2 − 1)² − 1 = −0.36,
    // frequent loss (0.4 − 1)² − 1 = −0.64.
    MlpShape sh = { .n_in = 2, .n_out = 1, .depth = 0, .act = ACT_RELU };
    size_t P = mlp_n_params(&sh);
    assert_int_equal((int)P, 3);
    float params[3] = { 0, 0, 0 };
    const float x[4][2] = { { 1, 0 }, { 0.5f, 0.5f }, { 0.3f, 0.1f }, { 0, 1 } };
    const float t[4] = { 1, 1, 1, 1 };
    const double p[4] = { 0.4, 0.3, 0.2, 0.1 };
    Split s = tiny_split(x, t, p);
    MlpWork w;
    assert_int_equal(mlp_work_init(&w, &sh, 8), 0);
    float *scratch = malloc(sizeof(float) * probe_scratch_floats(1, P));
    ProbeResult r;
    assert_int_equal(interference_probe(&sh, params, P, &s, LOSS_MSE, 1, 0.1f, &w, scratch, &r), 0);
    assert_float_equal(r.value[PROBE_COS_FR], 0.5, 1e-6);
    assert_float_equal(r.value[PROBE_DLOSS_RARE], -0.36, 1e-6);
    assert_float_equal(r.value[PROBE_DLOSS_FREQ], -0.64, 1e-6);
    assert_true(isnan(r.value[PROBE_COS_FF]));   // one concept per group: no pairs
    assert_memory_equal(params, ((float[3]){ 0, 0, 0 }), sizeof params);   // the probe changes nothing
    free(scratch);
    // Identical concepts (same examples) have gradients at cosine exactly 1.
    const float same[4][2] = { { 1, 2 }, { 1, 2 }, { -1, 0.5f }, { -1, 0.5f } };
    Split s2 = tiny_split(same, t, p);
    float params2[3] = { 0.3f, -0.2f, 0.1f };
    scratch = malloc(sizeof(float) * probe_scratch_floats(2, P));
    assert_int_equal(interference_probe(&sh, params2, P, &s2, LOSS_MSE, 2, 0.1f, &w, scratch, &r), 0);
    assert_float_equal(r.value[PROBE_COS_FF], 1.0, 1e-6);
    assert_float_equal(r.value[PROBE_COS_RR], 1.0, 1e-6);
    // Too few concepts for the groups asked: refused.
    assert_int_equal(interference_probe(&sh, params2, P, &s2, LOSS_MSE, 3, 0.1f, &w, scratch, &r), -1);
    free(scratch);
    mlp_work_free(&w);
    split_release(&s);
    split_release(&s2);
}

static void test_concept_metrics_sum_to_aggregate(void **state) {
    (void)state;
    Task task;
    WorldOptions o = { .kind = WORLD_ZIPF_CONCEPTS, .concepts = 10, .zipf = 1.2, .bits = 12, .k = 4, .classes = 3, .seed = 9 };
    assert_int_equal(world_task(&o, 50, &task), 0);
    assert_int_equal(task.test.n, 500);
    assert_int_equal(task.train.n, 0);
    MlpShape sh = { .n_in = task.dim, .n_out = 3, .depth = 1, .hidden = { 16 }, .act = ACT_RELU };
    Ensemble e;
    assert_int_equal(ensemble_init(&e, &sh, 1), 0);
    ensemble_init_member(&e, 0, INIT_KAIMING_NORMAL, BIAS_ZERO, 4);
    MlpWork w;
    assert_int_equal(mlp_work_init(&w, &sh, 64), 0);
    double loss, acc, closs[10], cacc[10];
    evaluate_member(&e, 0, &task.test, LOSS_CROSS_ENTROPY, &w, &loss, &acc, closs, cacc);
    // Independently: each example's loss on its own, grouped by the concept its one-hot names.
    double sum[10] = { 0 }, hits[10] = { 0 }, n[10] = { 0 };
    for (int i = 0; i < task.test.n; i++) {
        const float *xi = task.test.x + (size_t)i * task.dim;
        int c = 0;
        while (xi[c] != 1.0f) c++;
        long h;
        const float *Y = mlp_forward(&sh, e.params, xi, 1, &w);
        sum[c] += loss_eval(LOSS_CROSS_ENTROPY, Y, NULL, task.test.y + i, 1, 3, 0.0f, NULL, &h);
        hits[c] += h;
        n[c]++;
    }
    double weighted = 0, weighted_acc = 0;
    for (int c = 0; c < 10; c++) {
        assert_float_equal(n[c], 50, 0);
        assert_float_equal(closs[c], sum[c] / 50, 1e-5);
        assert_float_equal(cacc[c], hits[c] / 50, 1e-12);
        weighted += task.test.concept_weight[c] * sum[c] / 50;
        weighted_acc += task.test.concept_weight[c] * hits[c] / 50;
    }
    assert_float_equal(loss, weighted, 1e-5);
    assert_float_equal(acc, weighted_acc, 1e-12);
    // and the weights are the Zipf law's
    double p[10];
    zipf_frequencies(1.2, 10, p);
    for (int c = 0; c < 10; c++) assert_float_equal(task.test.concept_weight[c], p[c], 1e-15);
    mlp_work_free(&w);
    ensemble_free(&e);
    task_free(&task);
}

static void test_bad_worlds_are_refused(void **state) {
    (void)state;
    World w;
    WorldOptions o = { .kind = WORLD_SPARSE_PARITY, .concepts = 4, .zipf = 1, .bits = 2, .k = 3, .seed = 1 };
    assert_int_equal(world_init(&w, &o), -1);
    assert_non_null(strstr(jp_error(), "world.k"));
    world_free(&w);
    WorldOptions m = { .kind = WORLD_MANIFOLD, .concepts = 1, .zipf = 1, .bits = 3, .manifold_dim = 5,
                       .teacher_width = 4, .teacher_depth = 1 };
    assert_int_equal(world_init(&w, &m), -1);
    assert_non_null(strstr(jp_error(), "world.manifold_dim"));
    world_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concept_frequencies_follow_zipf),
        cmocka_unit_test(test_parity_labels_match_definition),
        cmocka_unit_test(test_manifold_intrinsic_dimension),
        cmocka_unit_test(test_probe_hand_computed),
        cmocka_unit_test(test_concept_metrics_sum_to_aggregate),
        cmocka_unit_test(test_bad_worlds_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

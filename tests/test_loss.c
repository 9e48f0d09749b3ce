// Softmax cross-entropy (computed in float with a polynomial exp) against the same formula in
// double, over logits from tiny differences to ones where e^(z − max) underflows.
#include "testutil.h"

#include <math.h>

#include "nn/loss.h"

enum { B = 40, C = 10 };

// The reference: loss summed over rows, dY = (softmax − onehot) · scale, in double.
static double reference(const float *z, const int *y, float scale, double *dY) {
    double total = 0;
    for (int r = 0; r < B; r++) {
        const float *row = z + r * C;
        double mx = row[0], sum = 0;
        for (int c = 1; c < C; c++) mx = row[c] > mx ? row[c] : mx;
        for (int c = 0; c < C; c++) sum += exp((double)row[c] - mx);
        total += mx + log(sum) - row[y[r]];
        for (int c = 0; c < C; c++) dY[r * C + c] = (exp((double)row[c] - mx) / sum - (c == y[r])) * scale;
    }
    return total;
}

static void test_cross_entropy_matches_double(void **state) {
    (void)state;
    float z[B * C], dY[B * C];
    int y[B];
    double ref[B * C];
    for (int r = 0; r < B; r++) {
        float spread = r < 10 ? 1e-3f : r < 20 ? 1.0f : r < 30 ? 20.0f : 60.0f;   // the last rows underflow
        for (int c = 0; c < C; c++) z[r * C + c] = spread * sinf(1.7f * r + 2.3f * c) + 0.1f * r;
        y[r] = (3 * r) % C;
    }
    float scale = 1.0f / B;
    long hits = -1;
    double got = softmax_cross_entropy(z, y, B, C, scale, dY, &hits), want = reference(z, y, scale, ref);
    assert_true(fabs(got - want) <= 1e-6 * fabs(want));
    for (int i = 0; i < B * C; i++) assert_true(fabs(dY[i] - ref[i]) <= 2e-7 * scale + 1e-6 * fabs(ref[i]));
    long expect = 0;
    for (int r = 0; r < B; r++) {
        int top = 0;
        for (int c = 1; c < C; c++) top = z[r * C + c] > z[r * C + top] ? c : top;
        expect += top == y[r];
    }
    assert_int_equal(hits, expect);
    // the loss alone (evaluation, no gradient buffer) is the same number
    long hits2 = -1;
    assert_true(softmax_cross_entropy(z, y, B, C, 0.0f, NULL, &hits2) == got);
    assert_int_equal(hits2, hits);
}

static void test_cross_entropy_not_finite(void **state) {
    (void)state;
    float z[C] = { 0 }, dY[C];
    int y = 2;
    z[4] = NAN;
    assert_true(isnan(softmax_cross_entropy(z, &y, 1, C, 1.0f, dY, NULL)));
    z[4] = INFINITY;
    assert_false(isfinite(softmax_cross_entropy(z, &y, 1, C, 1.0f, dY, NULL)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_entropy_matches_double),
        cmocka_unit_test(test_cross_entropy_not_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// Attention's core over several causal blocks (src/nn/attention.c computes rows in blocks
// of 64 and skips the blocks above the diagonal; tests/test_gpt.c's models have T < 64, one
// block). At T = 150 (blocks of 64, 64, 22) and T = 64 (exactly one), the core's forward
// and backward are held to a plain double-precision reference over the full T×T square
// with the mask applied, and the probabilities above the diagonal must be exactly 0.
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "base/rng.h"
#include "nn/attention.h"

#define TOL 1e-5   // relative to the largest reference value; observed ~1e-7

static void fill(float *v, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) v[i] = rng_normal(seed, 99, (uint64_t)i);
}

// ctx[B][T][C] and, from dctx, dqkv[B][T][3C], all in double over the masked full square.
static void reference(double *ctx, double *dqkv, const float *qkv, const float *dctx,
                      int B, int T, int C, int H) {
    int hs = C / H, ld = 3 * C;
    double scale = 1.0 / sqrt((double)hs);
    double *P = malloc(sizeof(double) * T * T), *dP = malloc(sizeof(double) * T * T);
    for (size_t i = 0; i < (size_t)B * T * ld; i++) dqkv[i] = 0.0;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const float *q = qkv + (size_t)b * T * ld + h * hs, *k = q + C, *v = q + 2 * C;
            const float *dO = dctx + (size_t)b * T * C + h * hs;
            double *dq = dqkv + (size_t)b * T * ld + h * hs, *dk = dq + C, *dv = dq + 2 * C;
            for (int t = 0; t < T; t++) {
                double mx = -INFINITY, sum = 0.0, dot = 0.0;
                for (int j = 0; j < T; j++) {
                    double s = 0.0;
                    for (int i = 0; i < hs; i++) s += (double)q[(size_t)t * ld + i] * k[(size_t)j * ld + i];
                    P[t * T + j] = j <= t ? s * scale : -INFINITY;
                    if (P[t * T + j] > mx) mx = P[t * T + j];
                }
                for (int j = 0; j < T; j++) { P[t * T + j] = exp(P[t * T + j] - mx); sum += P[t * T + j]; }
                for (int j = 0; j < T; j++) P[t * T + j] /= sum;
                for (int i = 0; i < hs; i++) {
                    double o = 0.0;
                    for (int j = 0; j < T; j++) o += P[t * T + j] * v[(size_t)j * ld + i];
                    ctx[(size_t)b * T * C + (size_t)t * C + h * hs + i] = o;
                }
                for (int j = 0; j < T; j++) {
                    double d = 0.0;
                    for (int i = 0; i < hs; i++) d += (double)dO[(size_t)t * C + i] * v[(size_t)j * ld + i];
                    dP[t * T + j] = d;
                    dot += P[t * T + j] * d;
                }
                for (int j = 0; j < T; j++) {
                    double ds = P[t * T + j] * (dP[t * T + j] - dot) * scale;
                    for (int i = 0; i < hs; i++) {
                        dq[(size_t)t * ld + i] += ds * k[(size_t)j * ld + i];
                        dk[(size_t)j * ld + i] += ds * q[(size_t)t * ld + i];
                        dv[(size_t)j * ld + i] += P[t * T + j] * dO[(size_t)t * C + i];
                    }
                }
            }
        }
    free(P); free(dP);
}

static double worst(const float *got, const double *want, size_t n) {
    double mx = 0.0, err = 0.0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(want[i]));
    for (size_t i = 0; i < n; i++) err = fmax(err, fabs(got[i] - want[i]) / mx);
    return err;
}

static void check(int B, int T, int C, int H) {
    size_t nq = (size_t)B * T * 3 * C, nc = (size_t)B * T * C, na = (size_t)B * H * T * T;
    float *qkv = malloc(sizeof(float) * nq), *dctx = malloc(sizeof(float) * nc);
    float *ctx = malloc(sizeof(float) * nc), *att = malloc(sizeof(float) * na);
    float *dqkv = malloc(sizeof(float) * nq), *datt = malloc(sizeof(float) * T * T);
    double *rctx = malloc(sizeof(double) * nc), *rdqkv = malloc(sizeof(double) * nq);
    fill(qkv, nq, 1 + T);
    fill(dctx, nc, 2 + T);
    attention_core_forward(ctx, att, qkv, B, T, C, H);
    attention_core_backward(dqkv, datt, dctx, qkv, att, B, T, C, H);
    reference(rctx, rdqkv, qkv, dctx, B, T, C, H);
    for (int bh = 0; bh < B * H; bh++)
        for (int t = 0; t < T; t++)
            for (int j = t + 1; j < T; j++) assert_true(att[((size_t)bh * T + t) * T + j] == 0.0f);
    double e_ctx = worst(ctx, rctx, nc), e_dqkv = worst(dqkv, rdqkv, nq);
    printf("T = %3d: ctx %.1e, dqkv %.1e (relative to the largest value)\n", T, e_ctx, e_dqkv);
    assert_true(e_ctx < TOL);
    assert_true(e_dqkv < TOL);
    free(qkv); free(dctx); free(ctx); free(att); free(dqkv); free(datt); free(rctx); free(rdqkv);
}

static void test_several_blocks(void **state) { (void)state; check(2, 150, 16, 2); }
static void test_one_whole_block(void **state) { (void)state; check(1, 64, 8, 2); }

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_several_blocks),
        cmocka_unit_test(test_one_whole_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

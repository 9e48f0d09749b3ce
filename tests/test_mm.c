// The small-product kernels (src/nn/mm.h): right within rounding against double
// precision for odd shapes and strides; an element's bits independent of how the rows
// and columns are split between calls (what lets ensemble members share a batch and
// stay their solo runs); the vector path bit-for-bit the portable definition; and the
// same golden bits in every build (release, PORTABLE=1 and the sanitizer build, which
// runs the portable loops).
#include "testutil.h"

#include <float.h>

#include "nn/mm.h"

typedef void Mm(int B, int N, int K, const float *X, int ldx, const float *Y, int ldy, float *C, int ldc);

// Exact pseudo-random floats in [-1, 1) from an integer LCG (the same in every build).
static uint64_t lcg;
static float rnd(void) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(lcg >> 40) * 0x1p-23f - 1.0f;
}
static float *rnd_array(long n) {
    float *a = malloc((size_t)n * sizeof *a);
    for (long i = 0; i < n; i++) a[i] = rnd();
    return a;
}

// The operands of one product: X[rx][ldx], Y[ry][ldy], C[rc][ldc], with the element (i, s) of
// each input at a stride of its own, so one reference loop covers all three products.
typedef struct {
    int B, N, K, ldx, ldy, ldc, rc, cc;   // C is rc × cc
    float *X, *Y, *C;
} Case;

static int which;   // 0 mm_nt, 1 mm_tn, 2 mm_nn
static const char *NAME[3] = { "mm_nt", "mm_tn", "mm_nn" };
static Mm *const FAST[3] = { mm_nt, mm_tn, mm_nn };
static Mm *const SLOW[3] = { mm_nt_portable, mm_tn_portable, mm_nn_portable };

// Sizes of X, Y and C and the inner size for product w (see mm.h).
static void dims(int w, int B, int N, int K, int *rx, int *cx, int *ry, int *cy, int *rc, int *cc, int *inner) {
    if (w == 0) { *rx = B; *cx = K; *ry = N; *cy = K; *rc = B; *cc = N; *inner = K; }
    else if (w == 1) { *rx = B; *cx = N; *ry = B; *cy = K; *rc = N; *cc = K; *inner = B; }
    else { *rx = B; *cx = N; *ry = N; *cy = K; *rc = B; *cc = K; *inner = N; }
}

static Case make_case(int B, int N, int K, int pad) {
    int rx, cx, ry, cy, rc, cc, in;
    dims(which, B, N, K, &rx, &cx, &ry, &cy, &rc, &cc, &in);
    Case c = { B, N, K, cx + pad, cy + 2 * pad, cc + 3 * pad, rc, cc, NULL, NULL, NULL };
    c.X = rnd_array((long)rx * c.ldx);
    c.Y = rnd_array((long)ry * c.ldy);
    c.C = malloc((size_t)rc * c.ldc * sizeof(float));
    for (long i = 0; i < (long)rc * c.ldc; i++) c.C[i] = 1234.5f;   // the padding must survive
    return c;
}

static void free_case(Case *c) { free(c->X); free(c->Y); free(c->C); }

// Element (e, f) of C and the sum of |terms|, in double, from the definitions in mm.h.
static double reference(const Case *c, int e, int f, double *abs_sum) {
    double s = 0, a = 0;
    int n = which == 0 ? c->K : which == 1 ? c->B : c->N;
    for (int t = 0; t < n; t++) {
        double x, y;
        if (which == 0) { x = c->X[(long)e * c->ldx + t]; y = c->Y[(long)f * c->ldy + t]; }
        else if (which == 1) { x = c->X[(long)t * c->ldx + e]; y = c->Y[(long)t * c->ldy + f]; }
        else { x = c->X[(long)e * c->ldx + t]; y = c->Y[(long)t * c->ldy + f]; }
        s += x * y;
        a += fabs(x * y);
    }
    *abs_sum = a;
    return s;
}

static const int SB[] = { 1, 3, 4, 5, 9, 17, 130 }, SN[] = { 1, 2, 3, 4, 5, 7, 10, 17, 64 },
                 SK[] = { 1, 3, 15, 16, 17, 33, 64, 65, 127, 128, 129, 784 };
#define COUNT(a) (int)(sizeof a / sizeof a[0])

static void check_against_double(int B, int N, int K, int pad) {
    Case c = make_case(B, N, K, pad);
    FAST[which](B, N, K, c.X, c.ldx, c.Y, c.ldy, c.C, c.ldc);
    int inner = which == 0 ? K : which == 1 ? B : N;
    for (int e = 0; e < c.rc; e++)
        for (int f = 0; f < c.ldc; f++) {
            float got = c.C[(long)e * c.ldc + f];
            if (f >= c.cc) {
                if (got != 1234.5f) fail_msg("%s B%d N%d K%d: wrote past the row (%d, %d)", NAME[which], B, N, K, e, f);
                continue;
            }
            double a, want = reference(&c, e, f, &a);
            if (fabs(got - want) > (inner + 2) * FLT_EPSILON * a + 1e-30)
                fail_msg("%s B%d N%d K%d pad%d (%d, %d): %.9g, want %.9g", NAME[which], B, N, K, pad, e, f, got, want);
        }
    free_case(&c);
}

static void test_matches_double_reference(void **state) {
    (void)state;
    lcg = 1;
    for (which = 0; which < 3; which++)
        for (int b = 0; b < COUNT(SB); b++)
            for (int n = 0; n < COUNT(SN); n++)
                for (int k = 0; k < COUNT(SK); k++) check_against_double(SB[b], SN[n], SK[k], (b + n + k) % 3 * 5);
    which = 0;   // the MLP's own shapes: 784 → 1024 and 1024 → 1024 at batch 256 (a few rows)
    check_against_double(5, 1024, 784, 0);
    check_against_double(3, 37, 1024, 16);
}

// Computes C in one call, then again with the rows and the columns of C cut at random
// points into sub-calls; the bits must not change.
static void check_split(int B, int N, int K) {
    Case c = make_case(B, N, K, 3);
    FAST[which](B, N, K, c.X, c.ldx, c.Y, c.ldy, c.C, c.ldc);
    long n = (long)c.rc * c.ldc;
    float *whole = malloc((size_t)n * sizeof *whole);
    memcpy(whole, c.C, (size_t)n * sizeof *whole);
    memset(c.C, 0, (size_t)n * sizeof *whole);
    for (int e = 0; e < c.rc;) {
        int de = 1 + (int)(lcg >> 33) % 7;
        de = de > c.rc - e ? c.rc - e : de;
        for (int f = 0; f < c.cc;) {
            lcg = lcg * 6364136223846793005ull + 1;
            int df = 1 + (int)(lcg >> 33) % 37;
            df = df > c.cc - f ? c.cc - f : df;
            float *C = c.C + (long)e * c.ldc + f;
            if (which == 0) mm_nt(de, df, K, c.X + (long)e * c.ldx, c.ldx, c.Y + (long)f * c.ldy, c.ldy, C, c.ldc);
            if (which == 1) mm_tn(B, de, df, c.X + e, c.ldx, c.Y + f, c.ldy, C, c.ldc);
            if (which == 2) mm_nn(de, N, df, c.X + (long)e * c.ldx, c.ldx, c.Y + f, c.ldy, C, c.ldc);
            f += df;
        }
        e += de;
    }
    for (int e = 0; e < c.rc; e++)
        if (memcmp(whole + (long)e * c.ldc, c.C + (long)e * c.ldc, (size_t)c.cc * sizeof(float)))
            fail_msg("%s B%d N%d K%d: row %d differs when the call is split", NAME[which], B, N, K, e);
    free(whole);
    free_case(&c);
}

static void test_split_calls_give_the_same_bits(void **state) {
    (void)state;
    lcg = 2;
    for (which = 0; which < 3; which++)
        for (int b = 0; b < COUNT(SB); b++)
            for (int n = 0; n < COUNT(SN); n += 2)
                for (int k = 0; k < COUNT(SK); k += 3) check_split(SB[b], SN[n], SK[k]);
    for (which = 0; which < 3; which++) {   // wider than one block of 64 columns (mm_nt's copy of Wᵀ)
        check_split(9, 150, 33);
        check_split(5, 150, 129);
    }
}

// The kernels against the portable loops that define their order, bit for bit.
static void check_portable(int B, int N, int K, int pad) {
    Case c = make_case(B, N, K, pad);
    long size = (long)c.rc * c.ldc;
    float *slow = malloc((size_t)size * sizeof *slow);
    memcpy(slow, c.C, (size_t)size * sizeof *slow);
    FAST[which](B, N, K, c.X, c.ldx, c.Y, c.ldy, c.C, c.ldc);
    SLOW[which](B, N, K, c.X, c.ldx, c.Y, c.ldy, slow, c.ldc);
    if (memcmp(slow, c.C, (size_t)size * sizeof *slow))
        fail_msg("%s B%d N%d K%d: the kernel's bits are not the portable loop's", NAME[which], B, N, K);
    free(slow);
    free_case(&c);
}

static void test_vector_path_is_the_definition(void **state) {
    (void)state;
    lcg = 3;
    for (which = 0; which < 3; which++) {
        for (int b = 0; b < COUNT(SB); b++)
            for (int n = 0; n < COUNT(SN); n++)
                for (int k = 0; k < COUNT(SK); k++) check_portable(SB[b], SN[n], SK[k], k % 2);
        check_portable(9, 150, 33, 1);
        check_portable(5, 150, 129, 0);
    }
}

// FNV-1a over the bits of C for one fixed product of each kind at the MLP's shapes.
static uint64_t golden(int w, int B, int N, int K) {
    which = w;
    lcg = 42;
    Case c = make_case(B, N, K, 0);
    FAST[w](B, N, K, c.X, c.ldx, c.Y, c.ldy, c.C, c.ldc);
    uint64_t h = 1469598103934665603ull;
    for (long i = 0; i < (long)c.rc * c.ldc; i++) {
        uint32_t u;
        memcpy(&u, &c.C[i], sizeof u);
        h = (h ^ u) * 1099511628211ull;
    }
    free_case(&c);
    return h;
}

// Recorded once; every build (and so every machine's kernels or their absence) must agree.
static void test_golden_bits(void **state) {
    (void)state;
    uint64_t got[4] = { golden(0, 128, 19, 784), golden(1, 128, 19, 784), golden(2, 128, 19, 37), golden(0, 7, 10, 33) };
    const uint64_t want[4] = { 0x58ff165e7751308cull, 0xecf9562205346933ull, 0x5973d10f4345bd71ull, 0xa805878060b62f6aull };
    for (int i = 0; i < 4; i++)
        if (got[i] != want[i]) fail_msg("golden %d: 0x%016llxull, want 0x%016llxull", i, (unsigned long long)got[i], (unsigned long long)want[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_double_reference),
        cmocka_unit_test(test_split_calls_give_the_same_bits),
        cmocka_unit_test(test_vector_path_is_the_definition),
        cmocka_unit_test(test_golden_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

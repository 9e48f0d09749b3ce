// Counter-based RNG: known-answer vectors, and the properties the design relies on.
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "base/rng.h"

// Known-answer vectors of Philox4x32-10 (Random123's kat_vectors).
static void test_philox_known_answers(void **state) {
    (void)state;
    struct { uint32_t ctr[4], key[2], expect[4]; } kat[] = {
        { { 0, 0, 0, 0 }, { 0, 0 }, { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 } },
        { { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, { 0xffffffff, 0xffffffff },
          { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd } },
        { { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, { 0xa4093822, 0x299f31d0 },
          { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 } },
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        philox4x32_10(kat[i].ctr, kat[i].key, out);
        for (int j = 0; j < 4; j++) assert_int_equal(out[j], kat[i].expect[j]);
    }
}

static void test_streams_and_seeds_differ(void **state) {
    (void)state;
    assert_true(rng_uniform(1, RNG_STREAM_INIT, 0) != rng_uniform(2, RNG_STREAM_INIT, 0));
    assert_true(rng_uniform(1, RNG_STREAM_INIT, 0) != rng_uniform(1, RNG_STREAM_ORDER, 0));
    assert_true(rng_uniform(1, RNG_STREAM_INIT, 0) != rng_uniform(1, RNG_STREAM_INIT, 1));
    // a pure function: the same call, the same bits
    float a = rng_normal(7, RNG_STREAM_INIT, 12345), b = rng_normal(7, RNG_STREAM_INIT, 12345);
    assert_memory_equal(&a, &b, sizeof a);
}

static void test_normal_moments(void **state) {
    (void)state;
    const int n = 200000;
    double s = 0, s2 = 0, s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = rng_normal(3, RNG_STREAM_INIT, (uint64_t)i);
        s += z; s2 += z * z; s4 += z * z * z * z;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    assert_true(fabs(mean) < 0.01);            // 4.5 standard errors
    assert_true(fabs(var - 1.0) < 0.015);
    assert_true(fabs(s4 / n - 3.0) < 0.06);    // Gaussian kurtosis
}

static void test_uniform_range_and_mean(void **state) {
    (void)state;
    double s = 0;
    for (int i = 0; i < 100000; i++) {
        float u = rng_uniform(5, RNG_STREAM_SUBSET, (uint64_t)i);
        assert_true(u > 0.0f && u < 1.0f);
        s += u;
    }
    assert_true(fabs(s / 100000 - 0.5) < 0.005);
}

static void test_permutation_is_a_permutation(void **state) {
    (void)state;
    enum { N = 1000 };
    uint32_t p[N], q[N];
    int seen[N] = { 0 };
    rng_permutation(11, RNG_STREAM_ORDER, p, N);
    for (int i = 0; i < N; i++) { assert_true(p[i] < N); seen[p[i]]++; }
    for (int i = 0; i < N; i++) assert_int_equal(seen[i], 1);
    rng_permutation(12, RNG_STREAM_ORDER, q, N);
    assert_true(memcmp(p, q, sizeof p) != 0);
    // each position is uniform: over many seeds, element 0 lands in the first half about half the time
    int first_half = 0;
    for (uint64_t seed = 0; seed < 2000; seed++) {
        uint32_t r[10];
        rng_permutation(seed, RNG_STREAM_ORDER, r, 10);
        for (int i = 0; i < 5; i++) first_half += (r[i] == 0);
    }
    assert_true(first_half > 900 && first_half < 1100);
}

// Every stream id in base/rng.h's enum (read from the header itself, so a new one is
// checked too): distinct, and clear of the epoch-folded batch-order streams
// (3 + 16·epoch for MLP tasks, 22 + 2³²·epoch for text).
static void test_stream_registry(void **state) {
    (void)state;
    char *text = slurp("src/base/rng.h");
    assert_non_null(text);
    long ids[64];
    char names[64][48];
    int n = 0;
    for (char *p = text; (p = strstr(p, "RNG_STREAM_")) && n < 64; p++) {
        long v;
        char name[48];
        if (sscanf(p, "%47[A-Z_] = %ld,", name, &v) == 2) { snprintf(names[n], sizeof names[n], "%s", name); ids[n++] = v; }
    }
    free(text);
    assert_true(n >= 20);
    for (int a = 0; a < n; a++) {
        for (int b = a + 1; b < n; b++)
            if (ids[a] == ids[b]) fail_msg("%s and %s are both %ld", names[a], names[b], ids[a]);
        if (ids[a] % 16 == 3 && strcmp(names[a], "RNG_STREAM_ORDER")) fail_msg("%s = %ld is a batch-order stream (3 + 16·epoch)", names[a], ids[a]);
        assert_true(ids[a] > 0 && ids[a] < (1L << 32));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers),
        cmocka_unit_test(test_stream_registry),
        cmocka_unit_test(test_streams_and_seeds_differ),
        cmocka_unit_test(test_normal_moments),
        cmocka_unit_test(test_uniform_range_and_mean),
        cmocka_unit_test(test_permutation_is_a_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

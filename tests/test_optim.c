// Optimiser steps and schedules against values worked out by hand.
#include "testutil.h"

#include "nn/optim.h"
#include "nn/schedule.h"

static void test_adamw_by_hand(void **state) {
    (void)state;
    OptimConfig c = { .kind = OPTIM_ADAMW, .lr = 0.1f, .weight_decay = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f };
    float p = 1.0f, g = 0.5f, m = 0, v = 0;
    // t=1: p ← 0.99 (decay); m = 0.05, v = 0.00025; step lr/(1−0.9) = 1; m̂/(√v̂+ε) = 0.05/0.5 = 0.1
    optim_update(&c, c.lr, 1, 1, &p, &g, &m, &v, 1);
    assert_float_equal(p, 0.89, 1e-6);
    assert_float_equal(m, 0.05, 1e-7);
    assert_float_equal(v, 0.00025, 2e-8);   // 1 − 0.999f is 0.00100005 in float
    // t=2, g = −0.5: p ← 0.8811; m = −0.005, v = 0.00049975; √(v/0.001999) = 0.5; step 0.1/0.19
    g = -0.5f;
    optim_update(&c, c.lr, 2, 1, &p, &g, &m, &v, 1);
    assert_float_equal(p, 0.8811 + 0.1 / 0.19 * 0.01, 2e-6);
    // decay off (biases): plain Adam, first step moves by lr·sign(g)
    float b = 1.0f, gb = 0.5f, mb = 0, vb = 0;
    optim_update(&c, c.lr, 1, 0, &b, &gb, &mb, &vb, 1);
    assert_float_equal(b, 0.9, 1e-6);
}

static void test_sgd_by_hand(void **state) {
    (void)state;
    OptimConfig c = { .kind = OPTIM_SGD, .lr = 0.1f, .weight_decay = 0.1f, .momentum = 0.9f };
    float p = 1.0f, g = 0.5f, buf = 123.0f;   // a stale buffer must be ignored at t = 1
    // t=1: d = 0.5 + 0.1·1 = 0.6; buf = 0.6; p = 1 − 0.06
    optim_update(&c, c.lr, 1, 1, &p, &g, &buf, NULL, 1);
    assert_float_equal(p, 0.94, 1e-6);
    assert_float_equal(buf, 0.6, 1e-7);
    // t=2: d = 0.5 + 0.094 = 0.594; buf = 0.54 + 0.594 = 1.134; p = 0.94 − 0.1134
    optim_update(&c, c.lr, 2, 1, &p, &g, &buf, NULL, 1);
    assert_float_equal(p, 0.8266, 1e-6);
    // Nesterov, t=1: d = 0.6, buf = 0.6, d + 0.9·buf = 1.14; p = 1 − 0.114
    c.nesterov = 1;
    p = 1.0f;
    optim_update(&c, c.lr, 1, 1, &p, &g, &buf, NULL, 1);
    assert_float_equal(p, 0.886, 1e-6);
    // no momentum, no decay: p −= lr·g
    OptimConfig plain = { .kind = OPTIM_SGD, .lr = 0.5f };
    p = 1.0f;
    optim_update(&plain, plain.lr, 1, 1, &p, &g, &buf, NULL, 1);
    assert_float_equal(p, 0.75, 1e-7);
}

static void test_schedules(void **state) {
    (void)state;
    Schedule s = { .kind = SCHED_CONSTANT, .total = 100 };
    assert_float_equal(schedule_factor(&s, 0), 1.0, 0);
    assert_float_equal(schedule_factor(&s, 99), 1.0, 0);
    s = (Schedule){ .kind = SCHED_COSINE, .total = 11 };
    assert_float_equal(schedule_factor(&s, 0), 1.0, 1e-7);
    assert_float_equal(schedule_factor(&s, 5), 0.5, 1e-6);
    assert_float_equal(schedule_factor(&s, 10), 0.0, 1e-7);
    s.min_ratio = 0.1f;
    assert_float_equal(schedule_factor(&s, 10), 0.1, 1e-7);
    assert_float_equal(schedule_factor(&s, 5), 0.55, 1e-6);
    s = (Schedule){ .kind = SCHED_LINEAR, .total = 11 };
    assert_float_equal(schedule_factor(&s, 5), 0.5, 1e-6);
    assert_float_equal(schedule_factor(&s, 8), 0.2, 1e-6);
    // warmup 4 then cosine over the remaining 11 steps
    s = (Schedule){ .kind = SCHED_COSINE, .warmup = 4, .total = 15 };
    assert_float_equal(schedule_factor(&s, 0), 0.25, 1e-7);
    assert_float_equal(schedule_factor(&s, 3), 1.0, 1e-7);
    assert_float_equal(schedule_factor(&s, 4), 1.0, 1e-7);
    assert_float_equal(schedule_factor(&s, 9), 0.5, 1e-6);
    assert_float_equal(schedule_factor(&s, 14), 0.0, 1e-7);
    // warmup with a constant rate
    s = (Schedule){ .kind = SCHED_CONSTANT, .warmup = 10, .total = 100 };
    assert_float_equal(schedule_factor(&s, 4), 0.5, 1e-7);
    assert_float_equal(schedule_factor(&s, 50), 1.0, 0);
}

static void test_names_round_trip(void **state) {
    (void)state;
    OptimKind k;
    assert_int_equal(optim_parse("adam", &k), 0);
    assert_int_equal(k, OPTIM_ADAMW);
    assert_int_equal(optim_parse("rmsprop", &k), -1);
    ScheduleKind sk;
    for (ScheduleKind i = SCHED_CONSTANT; i <= SCHED_LINEAR; i++) {
        assert_int_equal(schedule_parse(schedule_name(i), &sk), 0);
        assert_int_equal(sk, i);
    }
    assert_int_equal(schedule_parse("step", &sk), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_by_hand),
        cmocka_unit_test(test_sgd_by_hand),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

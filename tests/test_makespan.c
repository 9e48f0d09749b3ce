// The distributed scheduler's makespan, predicted (sweep/makespan): greedy list scheduling
// onto identical slots against hand-worked schedules and Graham's bound, and `jackpot plan
// --ranks` printing a prediction that keeps its own bounds.
#include "testutil.h"

#include "sweep/makespan.h"

static void test_lpt_known_answer(void **state) {
    (void)state;
    // Graham's LPT example: 3,3 fill both slots, the 2s go 0,1,0 (ties to the lowest slot):
    // 7, where 3+3 | 2+2+2 would take 6 — the simulation must show LPT's 7, not the optimum.
    double cost[] = { 3, 3, 2, 2, 2 }, busy[2];
    Makespan m = makespan_simulate(cost, 5, 2, busy);
    assert_true(m.makespan == 7);
    assert_true(busy[0] == 7 && busy[1] == 5);
    assert_true(m.total == 12 && m.largest == 3 && m.largest_at == 0);
    assert_true(makespan_lower_bound(&m, 2) == 6);
}

static void test_queue_order_and_ties(void **state) {
    (void)state;
    // Taken in the order given, never re-sorted: 1,1 then 2 on top of a 1 is 3 (sorted, 2).
    double cost[] = { 1, 1, 2 }, busy[2];
    assert_true(makespan_simulate(cost, 3, 2, busy).makespan == 3);
    assert_true(busy[0] == 3 && busy[1] == 1);   // the tie at 1 goes to slot 0
    double c2[] = { 2, 1, 1 };
    Makespan m = makespan_simulate(c2, 3, 2, busy);
    assert_true(m.makespan == 2 && busy[0] == 2 && busy[1] == 2);
}

static void test_one_huge_part_bounds_it(void **state) {
    (void)state;
    double cost[] = { 1, 10, 1, 1 };
    Makespan m = makespan_simulate(cost, 4, 3, NULL);
    assert_true(m.makespan == 10 && m.largest == 10 && m.largest_at == 1);
    assert_true(makespan_lower_bound(&m, 3) == 10);
    // More slots change nothing: the huge part alone takes 10.
    assert_true(makespan_simulate(cost, 4, 64, NULL).makespan == 10);
}

static void test_slot_counts(void **state) {
    (void)state;
    double cost[] = { 4, 1, 3 }, busy[5];
    Makespan m = makespan_simulate(cost, 3, 5, busy);   // slots ≥ parts: one part each
    assert_true(m.makespan == 4);
    assert_true(busy[0] == 4 && busy[1] == 1 && busy[2] == 3 && busy[3] == 0 && busy[4] == 0);
    assert_true(makespan_simulate(cost, 3, 1, NULL).makespan == 8);   // one slot: the sum
    m = makespan_simulate(cost, 0, 3, NULL);                           // nothing to do
    assert_true(m.makespan == 0 && m.total == 0 && m.largest_at == -1);
}

static void test_graham_bound_random(void **state) {
    (void)state;
    // Any list order: makespan ≤ total/S + largest·(1 − 1/S) (Graham 1966), ≥ the lower bound;
    // the slots' busy times sum to the total.
    uint64_t x = 12345;
    double cost[200], busy[17];
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + trial % 200, s = 1 + trial % 17;
        for (int i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            cost[i] = (double)(x >> 40) / (1 << 24) * ((trial & 1) ? 1 : 100);
        }
        Makespan m = makespan_simulate(cost, n, s, busy);
        double sum = 0, max = 0;
        for (int k = 0; k < s; k++) { sum += busy[k]; max = busy[k] > max ? busy[k] : max; }
        assert_true(max == m.makespan);
        assert_true(fabs(sum - m.total) <= 1e-9 * m.total);
        assert_true(m.makespan >= makespan_lower_bound(&m, s) * (1 - 1e-12));
        assert_true(m.makespan <= (m.total / s + m.largest * (1 - 1.0 / s)) * (1 + 1e-12));
    }
}

// A small sweep for the command's tests (3 widths × 3 seeds of a toy world): plan times a few steps
// of each model, which on the examples took seconds under the sanitizers.
static char sweep[160];
static int sweep_setup(void **state) {
    (void)state;
    char dir[128];
    if (temp_dir_make(dir, sizeof dir, "makespan") != 0) return -1;
    snprintf(sweep, sizeof sweep, "%s/sweep.yaml", dir);
    write_text(sweep, "name: makespan-tiny\ntask: {name: zipf-concepts}\n"
                      "world: {concepts: 4, bits: 8, k: 2, classes: 2, eval_per_concept: 4, seed: 0}\n"
                      "model: {depth: 1}\nbudget: {batch: 8, steps: 2000, evals: 2}\ngrid: {model.width: [4, 8, 16]}\nseeds: {init: 3}\n");
    return 0;
}
static int sweep_teardown(void **state) {
    (void)state;
    char dir[160];
    snprintf(dir, sizeof dir, "%s", sweep);
    *strrchr(dir, '/') = 0;
    return temp_dir_remove(dir);
}

// The number after `key` in out, or NaN.
static double after(const char *out, const char *key) {
    const char *p = strstr(out, key);
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

static void expect_ranks_bounds(const char *args, int ranks) {
    static char out[1 << 16];
    int rc = run(args, out, sizeof out);
    if (rc != 0) fail_msg("jackpot %s: exit %d:\n%s", args, rc, out);
    assert_non_null(strstr(out, "estimated time on "));   // the output without --ranks, kept
    char key[64];
    snprintf(key, sizeof key, "ranks: %d × ", ranks);
    if (!strstr(out, key)) fail_msg("jackpot %s: no '%s' in:\n%s", args, key, out);
    double many = after(out, "predicted makespan: "), largest = after(out, "largest part: ");
    double bound = after(out, "lower bound: ");
    const char *one_at = strstr(out, " s on 1 rank");
    const char *comma = one_at ? strstr(out, "ranks, ") : NULL;
    double one = comma ? strtod(comma + strlen("ranks, "), NULL) : NAN;
    if (!(many > 0 && largest > 0 && many <= one && many >= largest && many >= bound))
        fail_msg("jackpot %s: makespan %g, 1 rank %g, largest part %g, lower bound %g:\n%s", args, many, one, largest, bound, out);
    assert_non_null(strstr(out, "no number of ranks finishes sooner than "));
}

static void test_cli_ranks(void **state) {
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "plan %s --ranks 2", sweep);
    expect_ranks_bounds(args, 2);
    snprintf(args, sizeof args, "plan %s --ranks 3 --threads 1", sweep);
    expect_ranks_bounds(args, 3);
    static char out[1 << 16];
    snprintf(args, sizeof args, "plan %s", sweep);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_null(strstr(out, "ranks"));   // without --ranks, today's output alone
    const char *bad[] = { "--ranks 0", "--ranks abc", "--ranks" };
    const char *want[] = { "--ranks: expected an integer in [1, 65536], got '0'", "--ranks: expected an integer", "--ranks: needs a value" };
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "plan %s %s", sweep, bad[i]);
        int rc = run(args, out, sizeof out);
        if (rc != 2 || !strstr(out, want[i])) fail_msg("jackpot %s: exit %d, '%s'; expected exit 2 and '%s'", args, rc, out, want[i]);
    }
}

// A node bigger than this machine: --threads above its cores plans it (it was refused, "expected
// an integer in [1, 2]"), timing each slot on the cores there are and saying so.
static void test_cli_threads_beyond_cores(void **state) {
    (void)state;
    static char out[1 << 16];
    char args[512];
    snprintf(args, sizeof args, "plan %s --threads 64", sweep);
    int rc = run(args, out, sizeof out);
    if (rc != 0) fail_msg("plan --threads 64: exit %d:\n%s", rc, out);
    assert_non_null(strstr(out, "estimated time on 64 threads"));
    assert_non_null(strstr(out, "note: "));
    assert_true(after(out, "estimated time on 64 threads: ~") >= 0);
    snprintf(args, sizeof args, "plan %s --threads 65537", sweep);
    rc = run(args, out, sizeof out);
    if (rc != 2 || !strstr(out, "--threads: expected an integer in [1, 65536]")) fail_msg("--threads 65537: exit %d, '%s'", rc, out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lpt_known_answer),
        cmocka_unit_test(test_queue_order_and_ties),
        cmocka_unit_test(test_one_huge_part_bounds_it),
        cmocka_unit_test(test_slot_counts),
        cmocka_unit_test(test_graham_bound_random),
        cmocka_unit_test_setup_teardown(test_cli_ranks, sweep_setup, sweep_teardown),
        cmocka_unit_test_setup_teardown(test_cli_threads_beyond_cores, sweep_setup, sweep_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

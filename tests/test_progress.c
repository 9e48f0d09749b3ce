// Progress: the ETA's arithmetic (planned FLOPs left over the FLOP rate measured since the first
// evaluation) and the status text, on a fake clock; two threads advancing while the ticker
// prints (run under ThreadSanitizer too); the plain periodic lines of `jackpot run` off a
// terminal, and none with --quiet.
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sweep/progress.h"

static double fake_now;
static double fake_clock(void) { return fake_now; }

// A quiet progress (no ticker thread) on the fake clock, at time t.
static void fake_init(Progress *p, double flops_total, double t) {
    fake_now = t;
    progress_init(p, 4, 16, 0, flops_total, 1);
    p->now = fake_clock;
    p->t0 = t;
}

static void advance_at(Progress *p, double t, double flops, double steps, double tokens, double val_loss) {
    fake_now = t;
    progress_advance(p, flops, steps, tokens, val_loss);
}

// 25% of the FLOPs in 10 s: 30 s left, counting down between evaluations; no ETA before 2 s of
// training or 1% of the FLOPs; loading data before the first evaluation does not count.
static void test_eta_from_flop_rate(void **state) {
    (void)state;
    Progress p;
    fake_init(&p, 1000, 0);
    assert_true(isnan(progress_eta_s(&p, 0)));
    advance_at(&p, 100, 0, 0, 0, NAN);   // step 0's evaluation, after 100 s of loading data
    assert_true(isnan(progress_eta_s(&p, 100)));
    advance_at(&p, 101, 5, 10, 0, 0.9);   // 1 s and 0.5%: too little evidence
    assert_true(isnan(progress_eta_s(&p, 101)));
    advance_at(&p, 110, 245, 100, 0, 0.8);   // 250 FLOPs in 10 s: 25/s, 750 left
    assert_float_equal(progress_eta_s(&p, 110), 30, 1e-9);
    assert_float_equal(progress_eta_s(&p, 115), 25, 1e-9);
    assert_float_equal(progress_eta_s(&p, 200), 0, 1e-9);   // overdue: 0, never negative
    progress_finish(&p);

    // No evaluation at step 0 (a resumed group): the first one's FLOPs were done before the clock.
    fake_init(&p, 1000, 0);
    advance_at(&p, 5, 100, 10, 0, NAN);
    advance_at(&p, 15, 100, 10, 0, NAN);   // 100 FLOPs in 10 s: 800 left at 10/s
    assert_float_equal(progress_eta_s(&p, 15), 80, 1e-9);
    progress_finish(&p);

    // 1% of the FLOPs is evidence enough before 2 s.
    fake_init(&p, 1000, 0);
    advance_at(&p, 0, 0, 0, 0, NAN);
    advance_at(&p, 1, 20, 10, 0, NAN);   // 2% in 1 s: 980 left at 20/s
    assert_float_equal(progress_eta_s(&p, 1), 49, 1e-9);
    progress_finish(&p);
}

// The line: groups, runs, the throughput over the last 10-20 s (not since the start), tokens/s
// when tokens were counted, the latest and best validation loss, elapsed, the ETA.
static void test_status_text(void **state) {
    (void)state;
    Progress p;
    fake_init(&p, 1000, 0);
    char line[320];
    progress_status(&p, 0, line, sizeof line);
    assert_string_equal(line, "groups 0/4  runs 0/16  0s  ETA ?");
    advance_at(&p, 0, 0, 0, 0, NAN);
    advance_at(&p, 10, 250, 1000, 50000, 0.4);   // 100 member-steps/s, 5000 tokens/s
    progress_group_done(&p, "8-4-2 × 4", 4, 10, 1);
    progress_status(&p, 10, line, sizeof line);
    assert_string_equal(line, "groups 1/4  runs 4/16  10s  ETA 30s  100 member-steps/s  5000 tokens/s  "
                              "val loss 0.4000 (best 0.4000)");
    advance_at(&p, 20, 25, 100, 5000, 0.5);   // the window moves on: 10 member-steps/s since t = 10
    progress_status(&p, 20, line, sizeof line);
    assert_non_null(strstr(line, "  10 member-steps/s  500 tokens/s  val loss 0.5000 (best 0.4000)"));
    progress_finish(&p);
}

// A worker: 100 evaluations 2 ms apart, then its group done.
static void *advancer(void *arg) {
    Progress *p = arg;
    for (int i = 0; i < 100; i++) {
        progress_advance(p, 1, 10, 0, 0.5);
        nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
    }
    progress_group_done(p, "8-4-2 × 2", 2, 0.2, 1);
    return NULL;
}

static char dir[64];

static int setup(void **state) {
    (void)state;
    return temp_dir_make(dir, sizeof dir, "progress");
}

static int teardown(void **state) {
    (void)state;
    unsetenv("JACKPOT_PROGRESS_S");
    return temp_dir_remove(dir);
}

// Two workers advancing while the ticker prints a plain line every tick (period 0), stderr into
// a file: every advance counted, both groups' lines and the ticker's lines written whole.
static void test_threads(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/stderr", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved = dup(2);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    setenv("JACKPOT_PROGRESS_S", "0", 1);
    Progress p;
    progress_init(&p, 2, 4, 0, 1000, 0);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, advancer, &p), 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    assert_float_equal(p.flops_done, 200, 0);
    assert_float_equal(p.member_steps, 2000, 0);
    assert_int_equal(p.groups_done, 2);
    progress_finish(&p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *text = slurp(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "progress: groups 0/2  runs 0/4  "));
    assert_non_null(strstr(text, "\ngroup 8-4-2 × 2 done in 0.2 s | groups 2/2  runs 4/4  "));
    free(text);
}

// Off a terminal (a pipe), with the period set to 0 by JACKPOT_PROGRESS_S: plain "progress:" lines
// while the groups train, before the first group's line; --quiet: none of either.
static void test_periodic_lines(void **state) {
    (void)state;
    char yaml[128], args[512];
    snprintf(yaml, sizeof yaml, "%s/sweep.yaml", dir);
    write_text(yaml, "name: progress-test\n"
          "task: {name: zipf-concepts}\n"
          "world: {concepts: 8, bits: 16, k: 2, classes: 2, eval_per_concept: 4, seed: 0}\n"
          "model: {depth: 1}\n"
          "budget: {batch: 8, steps: 40000, evals: 8}\n"
          "grid: {model.width: [4, 6]}\n"
          "seeds: {init: 2}\n");
    setenv("JACKPOT_PROGRESS_S", "0", 1);
    static char out[1 << 16];
    snprintf(args, sizeof args, "run %s --db %s/a.db --workers 1 --threads 1", yaml, dir);
    if (run(args, out, sizeof out) != 0) fail_msg("%s", out);
    char *group = strstr(out, "\ngroup ");
    assert_non_null(group);
    int lines = 0;
    for (char *s = strstr(out, "\nprogress: groups 0/2  runs 0/4"); s && s < group; s = strstr(s + 1, "\nprogress: "))
        lines++;
    assert_true(lines >= 2);
    assert_null(strchr(out, '\r'));   // not a terminal: no line rewritten in place
    snprintf(args, sizeof args, "run %s --db %s/b.db --quiet", yaml, dir);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_null(strstr(out, "progress: "));
    assert_null(strstr(out, "group "));
}

// Between evaluations the trainer tells the progress its steps (TrainConfig.on_steps): a group
// evaluated only at its start and end still shows its throughput and an ETA while it trains.
// Before, a long group read "0 member-steps/s, ETA ?" until its last evaluation.
static void test_steps_between_evaluations(void **state) {
    (void)state;
    char yaml[128], args[512];
    snprintf(yaml, sizeof yaml, "%s/sweep.yaml", dir);
    write_text(yaml, "name: progress-steps\n"
          "task: {name: zipf-concepts}\n"
          "world: {concepts: 8, bits: 16, k: 2, classes: 2, eval_per_concept: 4, seed: 0}\n"
          "model: {depth: 1}\n"
          "budget: {batch: 8, steps: 60000, evals: 1}\n"
          "grid: {model.width: [6]}\n"
          "seeds: {init: 2}\n");
    setenv("JACKPOT_PROGRESS_S", "0", 1);
    static char out[1 << 16];
    snprintf(args, sizeof args, "run %s --db %s/s.db --workers 1 --threads 1", yaml, dir);
    if (run(args, out, sizeof out) != 0) fail_msg("%s", out);
    unsetenv("JACKPOT_PROGRESS_S");
    char *group = strstr(out, "\ngroup ");
    assert_non_null(group);
    int moving = 0;
    for (char *s = strstr(out, "\nprogress: "); s && s < group; s = strstr(s + 1, "\nprogress: ")) {
        char *eta = strstr(s, "ETA "), *rate = strstr(s, "member-steps/s");
        if (eta && rate && eta < group && rate < strchr(s + 1, '\n') && eta[4] != '?') moving++;
    }
    if (moving < 1) fail_msg("no progress line with a rate and an ETA before the group's end:\n%.3000s", out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_from_flop_rate),
        cmocka_unit_test(test_status_text),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_steps_between_evaluations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

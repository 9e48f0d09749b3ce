// Crash safety, end to end: `jackpot run` is killed with SIGKILL at random
// moments, several times, then rerun to completion. Every run must end done
// exactly once, with its full set of evaluations and summaries, the database
// must pass PRAGMA integrity_check, and the results must be bit-for-bit those
// of a sweep that was never interrupted. A second runner on a busy database is
// refused with exit status 3.
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

static char dir[64], yaml[128];

static const char SWEEP[] =
    "name: resume-test\n"
    "task: {train_size: 2000, val_size: 1000}\n"
    "model: {depth: 1}\n"
    "budget: {batch: 32, steps: 600, evals: 3}\n"
    "grid: {model.width: [4, 8, 16, 32]}\n"
    "seeds: {init: 3}\n";

static pid_t spawn_run(const char *db) {
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        execl(bin(), bin(), "run", yaml, "--db", db, "--quiet", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_status(pid_t pid) {
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Waits (up to 30 s) until the database holds at least `n` runs in `status`.
static int wait_for(const char *path, const char *status, int n) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE status = '%s'", status);
    for (int i = 0; i < 3000; i++) {
        sqlite3 *db;
        int have = -1;
        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_busy_timeout(db, 1000);
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                have = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close(db);
        if (have >= n) return 1;
        usleep(10000);
    }
    return 0;
}

static void test_sigkill_and_resume(void **state) {
    (void)state;
    assert_int_equal(temp_dir_make(dir, sizeof dir, "resume"), 0);
    snprintf(yaml, sizeof yaml, "%s/sweep.yaml", dir);
    FILE *f = fopen(yaml, "w");
    fputs(SWEEP, f);
    fclose(f);
    char killed[160], clean[160];
    snprintf(killed, sizeof killed, "%s/killed.db", dir);
    snprintf(clean, sizeof clean, "%s/clean.db", dir);

    // the reference: never interrupted
    assert_int_equal(wait_status(spawn_run(clean)), 0);

    unsigned seed = (unsigned)time(NULL);
    print_message("kill times from seed %u\n", seed);
    int kills = 0;
    for (int round = 0; round < 5; round++) {
        pid_t pid = spawn_run(killed);
        assert_true(wait_for(killed, "running", 1));   // training has begun
        if (round == 0) {   // a runner at work refuses a second one, which changes nothing
            assert_int_equal(wait_status(spawn_run(killed)), 3);
        } else {            // then a random moment: training, evaluating or writing
            usleep(rand_r(&seed) % 300000);
        }
        if (kill(pid, SIGKILL) == 0) kills++;
        wait_status(pid);
    }
    print_message("killed %d times\n", kills);
    assert_int_equal(wait_status(spawn_run(killed)), 0);   // resume to the end
    assert_int_equal(wait_status(spawn_run(killed)), 0);   // a finished sweep: nothing to do

    sqlite3 *db;
    assert_int_equal(sqlite3_open(killed, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM runs"), 12);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM runs WHERE status = 'done'"), 12);
    // each run: evaluations at steps 0, 200, 400, 600, each once; 13 summaries
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM (SELECT run_id, step FROM metrics GROUP BY run_id, step)"), 12 * 4);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM summaries"), 12 * 13);
    assert_int_equal((int)sql_value(db, "SELECT count(DISTINCT hash) FROM runs"), 12);
    print_message("attempts in all: %.0f for 12 runs\n", sql_value(db, "SELECT sum(attempts) FROM runs"));
    assert_true(sql_value(db, "SELECT sum(attempts) FROM runs") > 12);   // some kills hit runs in training
    // bit-for-bit the uninterrupted results
    char attach[256];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS c", clean);
    assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM c.summaries"), 12 * 13);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM summaries s JOIN runs r ON r.id = s.run_id"
                                " JOIN c.runs cr ON cr.hash = r.hash JOIN c.summaries cs ON cs.run_id = cr.id"
                                " AND cs.name = s.name WHERE cs.value IS NOT s.value AND s.name NOT IN ('flops')"), 0);
    assert_int_equal((int)sql_value(db, "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"
                                " JOIN c.runs cr ON cr.hash = r.hash JOIN c.metrics cm ON cm.run_id = cr.id"
                                " AND cm.step = m.step AND cm.split = m.split AND cm.name = m.name"
                                " WHERE cm.value IS NOT m.value"), 0);
    sqlite3_close(db);
    assert_int_equal(temp_dir_remove(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_sigkill_and_resume) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

// jackpot over MPI, end to end (mpirun -np 2 --oversubscribe on this machine):
//   - a sweep on 2 ranks writes a database equal to a one-process run's: the same runs, and
//     every metric, summary and per-concept value the same to the bit (wall times aside);
//     MLP parts split across ranks, toy worlds' concept arrays, language models and parts of
//     150 members (messages over MPI's eager limit) included;
//   - a rank SIGKILLed mid-sweep loses no finished run, and a rerun (1 process, then 2 ranks)
//     finishes the rest, equal again to the uninterrupted run; where the job may go on without
//     it (mpirun --enable-recovery), its parts go back to the queue and the living finish;
//   - --data-parallel training of language models on 2 ranks follows the one-process loss
//     curve within float tolerance, and refuses MLP groups, naming them.
// Skipped, with a message, where jackpot was built without MPI or mpirun is missing.
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static const char MLP_SWEEP[] =
    "name: mpi-mlp\n"
    "task: {train_size: 2000, val_size: 1000}\n"
    "model: {depth: 1}\n"
    "budget: {batch: 32, steps: 300, evals: 3}\n"
    "grid: {model.width: [4, 8, 16, 32]}\n"
    "seeds: {init: 3}\n";

static const char WORLD_SWEEP[] =
    "name: mpi-world\n"
    "task: {name: zipf-concepts}\n"
    "world: {concepts: 8, bits: 16, k: 3, classes: 4, zipf: 1.2, eval_per_concept: 16, seed: 0}\n"
    "model: {depth: 1}\n"
    "budget: {steps: 200, batch: 32, evals: 2}\n"
    "grid: {model.width: [8, 16]}\n"
    "seeds: {init: 2}\n";

// Two groups of 150 members: parts whose messages (the part, its outcome) are over MPI's eager
// limit, so that a rank sending its outcome while rank 0 sends it a part would deadlock on
// blocking sends.
static const char BIG_SWEEP[] =
    "name: mpi-big\n"
    "task: {train_size: 500, val_size: 200}\n"
    "model: {depth: 1}\n"
    "budget: {batch: 16, steps: 20, evals: 1}\n"
    "grid: {model.width: [2, 3]}\n"
    "seeds: {init: 150}\n";

static const char LM_SWEEP[] =
    "name: mpi-lm\n"
    "task: {name: text, path: tests/data/small.txt, val_bytes: 400, test_bytes: 400, split_block: 256}\n"
    "model: {family: gpt, n_layer: 1, n_head: 2, context: 16}\n"
    "optim: {name: adamw, lr: 3e-3, clip: 1.0}\n"
    "budget: {batch: 8, steps: 120, evals: 4, checkpoint_steps: 20}\n"
    "grid: {model.d_model: [8, 16]}\n"
    "seeds: {init: 2}\n";

// A longer sweep, for a kill in the middle: 8 groups of 2 seeds.
static const char LONG_SWEEP[] =
    "name: mpi-long\n"
    "task: {train_size: 2000, val_size: 1000}\n"
    "model: {depth: 2}\n"
    "budget: {batch: 32, steps: 1500, evals: 3}\n"
    "grid: {model.width: [8, 12, 16, 24, 32, 48, 64, 96]}\n"
    "seeds: {init: 2}\n";

static void write_file(const char *name, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

// Runs a shell command line (stdout and stderr into dir/log); its exit status.
static int sh(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[2300];
    snprintf(full, sizeof full, "(%s) >%s/log 2>&1", cmd, dir);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// `jackpot run` of dir/YAML into dir/DB on `ranks` processes (0: without mpirun).
static int run_sweep(int ranks, const char *yaml, const char *db, const char *extra) {
    if (!ranks) return sh("%s run %s/%s --db %s/%s --quiet %s", bin(), dir, yaml, dir, db, extra);
    return sh("timeout 300 mpirun -np %d --oversubscribe %s run %s/%s --db %s/%s --quiet %s", ranks, bin(), dir, yaml, dir, db, extra);
}

static const char *log_text(void) {
    static char buf[8192];
    char path[128];
    snprintf(path, sizeof path, "%s/log", dir);
    char *s = slurp(path);
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    free(s);
    return buf;
}

// Everything a run's results are, as text: statuses, D, every metric, summary and concept value
// (17 significant digits: a double's every bit), by run hash; wall times and launches left out.
static char *dump(const char *db, int with_attempts) {
    char cmd[1024], path[128];
    snprintf(path, sizeof path, "%s/dump.txt", dir);
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s/%s \"SELECT hash, status, diverged_step, train_size%s FROM runs ORDER BY hash;"
             "SELECT r.hash, m.step, m.split, m.name, printf('%%!.17g|%%!.17g|%%!.17g', m.value, m.examples, m.flops)"
             " FROM metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4;"
             "SELECT r.hash, s.name, printf('%%!.17g', s.value) FROM summaries s JOIN runs r ON r.id = s.run_id ORDER BY 1, 2;"
             "SELECT r.hash, c.step, c.concept, printf('%%!.17g|%%!.17g', c.loss, c.acc) FROM concepts c"
             " JOIN runs r ON r.id = c.run_id ORDER BY 1, 2, 3;\" > %s",
             dir, db, with_attempts ? ", attempts" : "", path);
    assert_int_equal(system(cmd), 0);
    char *s = slurp(path);
    assert_non_null(s);
    return s;
}

static void assert_same_results(const char *a, const char *b, int with_attempts) {
    char *x = dump(a, with_attempts), *y = dump(b, with_attempts);
    assert_true(strlen(x) > 1000);
    if (strcmp(x, y)) {
        size_t i = 0;
        while (x[i] == y[i]) i++;
        while (i > 0 && x[i - 1] != '\n') i--;
        fail_msg("%s and %s differ at:\n  %.200s\n  %.200s", a, b, x + i, y + i);
    }
    free(x);
    free(y);
}

static int mpi_ready(void) {
    char out[4096];
    if (run("info --no-probe", out, sizeof out) != 0 || !strstr(out, "built with MPI")) {
        print_message("jackpot was built without MPI (libopenmpi-dev absent): the MPI tests are skipped\n");
        return 0;
    }
    if (system("command -v mpirun >/dev/null 2>&1") != 0) {
        print_message("mpirun (openmpi-bin) is not installed: the MPI tests are skipped\n");
        return 0;
    }
    return 1;
}

static void test_two_ranks_equal_one_process(void **state) {
    (void)state;
    if (!mpi_ready()) skip();
    write_file("mlp.yaml", MLP_SWEEP);
    write_file("world.yaml", WORLD_SWEEP);
    write_file("lm.yaml", LM_SWEEP);
    write_file("big.yaml", BIG_SWEEP);
    const char *yamls[] = { "mlp.yaml", "world.yaml", "lm.yaml", "big.yaml" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(run_sweep(0, yamls[i], "one.db", ""), 0);
        int rc = run_sweep(2, yamls[i], "two.db", "");
        if (rc != 0) fail_msg("mpirun -np 2 %s: exit %d\n%s", yamls[i], rc, log_text());
    }
    assert_same_results("one.db", "two.db", 1);
    // Each language model's weights were written, beside the database, by whichever rank trained it.
    assert_int_equal(sh("test $(ls %s/two.db.weights | wc -l) -eq 4", dir), 0);
    // 3 ranks, more than this machine's cores, and --workers 2 on each: the same again.
    assert_int_equal(run_sweep(3, "mlp.yaml", "three.db", "--workers 2 --threads 1"), 0);
    assert_int_equal(run_sweep(0, "mlp.yaml", "one-mlp.db", ""), 0);
    assert_same_results("one-mlp.db", "three.db", 1);
}

// Whether process pid's environment holds the string var (NAME=VALUE).
static int environ_has(const char *pid, const char *want) {
    char path[300], var[4096];
    snprintf(path, sizeof path, "/proc/%s/environ", pid);
    FILE *f = fopen(path, "r");
    int c, n = 0, found = 0;
    while (f && !found && (c = fgetc(f)) != EOF) {   // NUL-separated NAME=VALUE
        if (c && n < (int)sizeof var - 1) { var[n++] = (char)c; continue; }
        var[n] = 0;
        found = !strcmp(var, want);
        n = 0;
    }
    if (f) fclose(f);
    return found;
}

// The pid of rank `rank` of the job under mpirun `launcher`: a child whose environment says so.
static pid_t rank_pid(pid_t launcher, int rank) {
    char want[48];
    snprintf(want, sizeof want, "OMPI_COMM_WORLD_RANK=%d", rank);
    DIR *d = opendir("/proc");
    pid_t found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        if (!f) continue;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        fclose(f);
        stat[n] = 0;
        const char *after = strrchr(stat, ')');   // "pid (comm) state ppid …"
        int ppid = 0;
        if (after && sscanf(after + 2, "%*c %d", &ppid) == 1 && ppid == launcher && environ_has(e->d_name, want))
            found = atoi(e->d_name);
    }
    if (d) closedir(d);
    return found;
}

// mpirun -np RANKS of dir/YAML into dir/DB, in the background: mpirun's pid. recovery: the job
// goes on when a rank dies (mpirun --enable-recovery).
static pid_t launch(const char *yaml, const char *db, const char *ranks, int recovery) {
    char d[128], y[128];
    snprintf(d, sizeof d, "%s/%s", dir, db);
    snprintf(y, sizeof y, "%s/%s", dir, yaml);
    pid_t launcher = fork();
    if (launcher == 0) {
        freopen("/dev/null", "w", stderr);
        freopen("/dev/null", "w", stdout);
        const char *go_on = recovery ? "--enable-recovery" : "--oversubscribe";
        execlp("mpirun", "mpirun", go_on, "-np", ranks, "--oversubscribe", bin(), "run", y, "--db", d, "--quiet", (char *)NULL);
        _exit(127);
    }
    return launcher;
}

static int done_runs(const char *db) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, db);
    sqlite3 *d;
    if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) { sqlite3_close(d); return -1; }
    sqlite3_busy_timeout(d, 2000);
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_prepare_v2(d, "SELECT count(*) FROM runs WHERE status = 'done'", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(d);
    return n;
}

static void test_killed_rank_loses_nothing_and_a_rerun_finishes(void **state) {
    (void)state;
    if (!mpi_ready()) skip();
    write_file("long.yaml", LONG_SWEEP);
    assert_int_equal(run_sweep(0, "long.yaml", "clean.db", ""), 0);
    pid_t launcher = launch("long.yaml", "killed.db", "2", 0);
    // Rank 1 dies by SIGKILL once some runs are done and others are not.
    int before = 0;
    for (int i = 0; i < 6000 && (before = done_runs("killed.db")) < 2; i++) usleep(5000);
    pid_t victim = rank_pid(launcher, 1), writer = rank_pid(launcher, 0);
    assert_true(before >= 2 && before < 16);
    assert_true(victim > 0 && writer > 0);
    assert_int_equal(kill(victim, SIGKILL), 0);
    int st;
    waitpid(launcher, &st, 0);
    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);   // the job failed, as a job with a dead rank does
    // mpirun ends the job with SIGTERM: rank 0 stops its own trainings at their next step and
    // waits a few seconds for the dead rank's answer before it resets that rank's runs and leaves.
    for (int i = 0; i < 3000 && kill(writer, 0) == 0; i++) usleep(10000);
    assert_int_not_equal(kill(writer, 0), 0);
    int kept = done_runs("killed.db");
    assert_true(kept >= before);                          // nothing finished was lost
    assert_true(kept < 16);
    // A rerun on one process trains what is missing: the results are the uninterrupted run's.
    assert_int_equal(run_sweep(0, "long.yaml", "killed.db", ""), 0);
    assert_int_equal(done_runs("killed.db"), 16);
    assert_same_results("clean.db", "killed.db", 0);
    // A rerun on 2 ranks of a finished sweep has nothing to do, and changes nothing.
    assert_int_equal(run_sweep(2, "long.yaml", "killed.db", ""), 0);
    assert_same_results("clean.db", "killed.db", 0);
}

// The same kill, resumed on 2 ranks this time.
static void test_killed_job_resumes_on_two_ranks(void **state) {
    (void)state;
    if (!mpi_ready()) skip();
    write_file("long.yaml", LONG_SWEEP);
    if (done_runs("clean.db") != 16) assert_int_equal(run_sweep(0, "long.yaml", "clean.db", ""), 0);
    pid_t launcher = launch("long.yaml", "killed2.db", "2", 0);
    for (int i = 0; i < 6000 && done_runs("killed2.db") < 4; i++) usleep(5000);
    pid_t victim = rank_pid(launcher, 0);   // rank 0 this time: the store's writer
    assert_true(victim > 0);
    assert_int_equal(kill(victim, SIGKILL), 0);
    waitpid(launcher, NULL, 0);
    assert_true(done_runs("killed2.db") >= 4);
    int rc = run_sweep(2, "long.yaml", "killed2.db", "");
    if (rc != 0) fail_msg("resume on 2 ranks: exit %d\n%s", rc, log_text());
    assert_int_equal(done_runs("killed2.db"), 16);
    assert_same_results("clean.db", "killed2.db", 0);
}

// Where the job goes on without a dead rank (mpirun --enable-recovery), rank 0 takes a rank silent
// for 10 s for dead and gives its parts back to the queue: the living finish the sweep.
static void test_job_goes_on_without_a_dead_rank(void **state) {
    (void)state;
    if (!mpi_ready()) skip();
    write_file("long.yaml", LONG_SWEEP);
    if (done_runs("clean.db") != 16) assert_int_equal(run_sweep(0, "long.yaml", "clean.db", ""), 0);
    pid_t launcher = launch("long.yaml", "survivors.db", "3", 1);
    for (int i = 0; i < 6000 && done_runs("survivors.db") < 2; i++) usleep(5000);
    pid_t victim = rank_pid(launcher, 1);
    assert_true(victim > 0);
    assert_true(done_runs("survivors.db") < 16);
    assert_int_equal(kill(victim, SIGKILL), 0);
    int st;
    waitpid(launcher, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(done_runs("survivors.db"), 16);
    assert_same_results("clean.db", "survivors.db", 0);
}

// Max relative difference of the metric `split/name` between two databases, by run and step.
static double max_relative_difference(const char *a, const char *b, const char *split, const char *name, int *rows) {
    char pa[128], pb[128], sql[512];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    sqlite3 *d;
    assert_int_equal(sqlite3_open(pa, &d), SQLITE_OK);
    snprintf(sql, sizeof sql, "ATTACH '%s' AS o", pb);
    assert_int_equal(sqlite3_exec(d, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql,
             "SELECT max(abs(m.value - n.value) / abs(m.value)), count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"
             " JOIN o.runs s ON s.hash = r.hash JOIN o.metrics n ON n.run_id = s.id AND n.step = m.step"
             " AND n.split = m.split AND n.name = m.name WHERE m.split = '%s' AND m.name = '%s'", split, name);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    double worst = sqlite3_column_double(st, 0);
    *rows = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(d);
    return worst;
}

static void test_data_parallel_follows_one_process(void **state) {
    (void)state;
    if (!mpi_ready()) skip();
    write_file("lm.yaml", LM_SWEEP);
    assert_int_equal(run_sweep(0, "lm.yaml", "lm-one.db", ""), 0);
    int rc = run_sweep(2, "lm.yaml", "lm-dp.db", "--data-parallel");
    if (rc != 0) fail_msg("--data-parallel on 2 ranks: exit %d\n%s", rc, log_text());
    const char *metrics[][2] = { { "train", "loss" }, { "val", "loss" }, { "test", "loss" }, { "train", "grad_norm" } };
    for (int i = 0; i < 4; i++) {
        int rows;
        double worst = max_relative_difference("lm-one.db", "lm-dp.db", metrics[i][0], metrics[i][1], &rows);
        print_message("data parallel, 2 ranks: %s/%s max relative difference %.2g over %d evaluations\n",
                      metrics[i][0], metrics[i][1], worst, rows);
        assert_true(rows >= 4 * 4);   // 4 runs, evaluated at steps 0, 30, 60, 90, 120 (no training loss at 0)
        assert_true(worst < 1e-5);
    }
    assert_int_equal(sh("test $(ls %s/lm-dp.db.weights | wc -l) -eq 4", dir), 0);
    // MLP groups have no data-parallel training: refused, naming the group.
    write_file("mlp.yaml", MLP_SWEEP);
    assert_int_not_equal(run_sweep(2, "mlp.yaml", "dp-mlp.db", "--data-parallel"), 0);
    assert_non_null(strstr(log_text(), "--data-parallel trains language models"));
    assert_non_null(strstr(log_text(), "784-"));
}

static int setup(void **state) {
    (void)state;
    // As root (CI), OpenMPI's mpirun wants these; ASan's leak check would report MPI's own
    // allocations at exit, which are not jackpot's.
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    return temp_dir_make(dir, sizeof dir, "mpi");
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ranks_equal_one_process),
        cmocka_unit_test(test_killed_rank_loses_nothing_and_a_rerun_finishes),
        cmocka_unit_test(test_killed_job_resumes_on_two_ranks),
        cmocka_unit_test(test_job_goes_on_without_a_dead_rank),
        cmocka_unit_test(test_data_parallel_follows_one_process),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

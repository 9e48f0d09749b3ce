// The store under hostile conditions, end to end through `jackpot run` ($JACKPOT_BIN):
// a disk that fills mid-sweep (RLIMIT_FSIZE) stops the sweep with "disk full" and a
// non-zero exit, loses no finished run, and a rerun resumes; one database reached through
// a symlink or a hard link has one runner at a time; a foreign SQLite file is refused
// untouched unless --force-foreign-db; read-only commands work in a read-only directory;
// `run` prints why a run failed.
#include "testutil.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

static char bin_copy[128];   // a copy nobody can run, when the build tree is closed to it
static const char *bin_or_copy(void) {
    return bin_copy[0] ? bin_copy : getenv("JACKPOT_BIN") ? getenv("JACKPOT_BIN") : "build/jackpot";
}

// A toy-world sweep of 8 runs in 4 groups that trains in a fraction of a second.
static const char TINY[] =
    "name: tiny\n"
    "task: {name: sparse-parity}\n"
    "world: {concepts: 4, bits: 8, zipf: 1.2, eval_per_concept: 8}\n"
    "model: {depth: 1}\n"
    "budget: {batch: 32, steps: 60, evals: 2}\n"
    "grid: {model.width: [4, 8, 16, 32]}\n"
    "seeds: {init: 2}\n";

// The same shape, long enough (a second or two) for a second runner to meet the first.
static const char LONG[] =
    "name: long\n"
    "task: {name: sparse-parity}\n"
    "world: {concepts: 4, bits: 8, zipf: 1.2, eval_per_concept: 8}\n"
    "model: {depth: 1}\n"
    "budget: {batch: 32, steps: 4000, evals: 40}\n"
    "grid: {model.width: [64, 128, 256, 512]}\n"
    "seeds: {init: 2}\n";

typedef struct {
    long fsize;   // > 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored (a write past it fails with EFBIG)
    int nobody;   // run as uid/gid 65534 (root ignores directory permissions)
} Opts;

// Runs `sh -c CMD` with stdout and stderr captured in out; returns the exit status.
static int sh(const char *cmd, char *out, size_t cap, Opts o) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        if (o.fsize > 0) {
            signal(SIGXFSZ, SIG_IGN);   // kept across exec
            struct rlimit r = { (rlim_t)o.fsize, (rlim_t)o.fsize };
            if (setrlimit(RLIMIT_FSIZE, &r) != 0) _exit(125);
        }
        if (o.nobody && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) _exit(125);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t k;
    while ((k = read(p[0], out + n, cap - 1 - n)) > 0 && n + 1 < cap) n += (size_t)k;
    out[n] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int jp(const char *args, char *out, size_t cap, Opts o) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s", bin_or_copy(), args);
    return sh(cmd, out, cap, o);
}

static char dir[64];

static void make_dir(const char *yaml_name, const char *text) {
    snprintf(dir, sizeof dir, "/tmp/jackpot-safety-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, yaml_name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_dir(void) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s'; rm -rf '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
}

static void expect_integrity(sqlite3 *db) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

// Issue 13 item 1: a full disk was reported as "12 done now, 0 failed" with exit 0.
static void test_disk_full_stops_and_resumes(void **state) {
    (void)state;
    static char out[1 << 16];
    make_dir("sweep.yaml", TINY);
    char db[128], args[512];
    snprintf(db, sizeof db, "%s/runs.db", dir);
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s --workers 1 --threads 1", dir, db);
    // A file size limit that lets the database be created and a group or more finish, then
    // fills; the exact point depends on page layout, so a few limits are tried.
    int rc = 0, done_before = 0;
    long limit = 0;
    for (long kib = 256; kib <= 512 && !(rc == 1 && done_before > 0); kib += 64) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", db, db, db);
        assert_int_equal(system(cmd), 0);
        limit = kib << 10;
        rc = jp(args, out, sizeof out, (Opts){ .fsize = limit });
        sqlite3 *h;
        done_before = 0;
        if (access(db, F_OK) == 0 && sqlite3_open(db, &h) == SQLITE_OK) {
            done_before = (int)sql_value(h, "SELECT count(*) FROM runs WHERE status = 'done'");
            sqlite3_close(h);
        }
    }
    print_message("file size limit %ld KiB: exit %d, %d runs done\n", limit >> 10, rc, done_before);
    if (rc != 1) fail_msg("exit %d under a %ld-byte file size limit, output:\n%s", rc, limit, out);
    if (!strstr(out, "disk full")) fail_msg("output does not name the full disk:\n%s", out);
    assert_null(strstr(out, "0 failed;"));   // no success summary
    assert_true(done_before > 0 && done_before < 8);

    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    expect_integrity(h);
    // every finished run complete: evaluations at steps 0, 30, 60 and 13 summaries each
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM (SELECT r.id FROM runs r JOIN metrics m ON m.run_id = r.id"
                               " WHERE r.status = 'done' GROUP BY r.id HAVING count(DISTINCT m.step) = 3)"), done_before);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM summaries s JOIN runs r ON r.id = s.run_id WHERE r.status = 'done'"),
                     13 * done_before);
    assert_int_equal(sqlite3_exec(h, "CREATE TEMP TABLE before AS SELECT id, finished FROM runs WHERE status = 'done'",
                                  NULL, NULL, NULL), SQLITE_OK);

    // space again: the rerun resumes, keeps what was finished, trains the rest
    rc = jp(args, out, sizeof out, (Opts){ 0 });
    if (rc != 0) fail_msg("rerun: exit %d, output:\n%s", rc, out);
    expect_integrity(h);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM runs WHERE status = 'done'"), 8);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM runs r JOIN temp.before b ON b.id = r.id"
                               " WHERE r.finished = b.finished AND r.attempts = 1"), done_before);   // not retrained
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM (SELECT run_id, step FROM metrics GROUP BY run_id, step)"), 8 * 3);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM summaries"), 8 * 13);
    sqlite3_close(h);
    remove_dir();
}

// Waits (up to 30 s) until a run is 'running' in db.
static int wait_running(const char *db) {
    for (int i = 0; i < 3000; i++) {
        sqlite3 *h;
        int n = 0;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_busy_timeout(h, 1000);
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(h, "SELECT count(*) FROM runs WHERE status = 'running'", -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close(h);
        if (n > 0) return 1;
        usleep(10000);
    }
    return 0;
}

// Issue 13 item 2: the lock was on PATH.lock, so another name of the same file got a
// second runner, which reset the first one's runs in flight.
static void test_one_runner_per_file_whatever_its_name(void **state) {
    (void)state;
    static char out[1 << 16];
    make_dir("long.yaml", LONG);
    char db[128], sym[128], hard[128], args[512];
    snprintf(db, sizeof db, "%s/runs.db", dir);
    snprintf(sym, sizeof sym, "%s/symlink.db", dir);
    snprintf(hard, sizeof hard, "%s/hardlink.db", dir);
    // the file exists before the runner starts, so that the hard link is the same inode
    snprintf(args, sizeof args, "run %s/long.yaml --db %s --quiet --workers 1 --threads 1", dir, db);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(symlink("runs.db", sym), 0);
    assert_int_equal(link(db, hard), 0);

    pid_t first = fork();
    if (first == 0) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 2);
        char yaml[128];
        snprintf(yaml, sizeof yaml, "%s/long.yaml", dir);
        execl(bin_or_copy(), bin_or_copy(), "run", yaml, "--db", db, "--quiet", "--workers", "1", "--threads", "1", (char *)NULL);
        _exit(127);
    }
    assert_true(wait_running(db));
    const char *names[] = { sym, hard };
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args, "run %s/long.yaml --db %s --quiet --workers 1 --threads 1", dir, names[i]);
        int rc = jp(args, out, sizeof out, (Opts){ 0 });
        if (rc != 3 || !strstr(out, "in use by another jackpot run"))
            fail_msg("second runner through %s: exit %d, output '%s'; expected exit 3, refused", names[i], rc, out);
        char pid[32];
        snprintf(pid, sizeof pid, "(pid %d)", (int)first);
        if (!strstr(out, pid)) print_message("the refusal does not name pid %d: %s", (int)first, out);
    }
    int st;
    waitpid(first, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    // the first runner's runs were never reset: each trained once, every evaluation kept
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    expect_integrity(h);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM runs WHERE status = 'done' AND attempts = 1"), 8);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM (SELECT run_id, step FROM metrics GROUP BY run_id, step)"), 8 * 41);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM launches WHERE pid IS NOT NULL"), 4);
    sqlite3_close(h);
    remove_dir();
}

static void file_digest(const char *path, char out[17]) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    // FNV-1a over the bytes (a NUL-free text is not needed: hash byte by byte)
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

// Issue 13 item 4: --db on an unrelated SQLite file added jackpot's tables, switched it to
// WAL and trained into it.
static void test_foreign_database_refused_untouched(void **state) {
    (void)state;
    static char out[1 << 16];
    make_dir("sweep.yaml", TINY);
    char db[128], args[512], before[17], after[17];
    snprintf(db, sizeof db, "%s/notes.db", dir);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE notes(text); INSERT INTO notes VALUES ('mine')",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    file_digest(db, before);
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s --quiet", dir, db);
    int rc = jp(args, out, sizeof out, (Opts){ 0 });
    if (rc != 1 || !strstr(out, "not a jackpot database") || !strstr(out, "--force-foreign-db") || !strstr(out, "notes"))
        fail_msg("exit %d, output '%s'; expected exit 1 naming the file's tables and --force-foreign-db", rc, out);
    file_digest(db, after);
    assert_string_equal(before, after);   // not a byte changed
    char side[160];
    snprintf(side, sizeof side, "%s-wal", db);
    assert_int_equal(access(side, F_OK), -1);
    char tickets[160];
    snprintf(tickets, sizeof tickets, "%s/tickets.yaml", dir);
    FILE *f = fopen(tickets, "w");
    fprintf(f, "%stickets: {rounds: 1}\n", TINY);
    fclose(f);
    snprintf(args, sizeof args, "tickets %s --db %s --quiet", tickets, db);
    rc = jp(args, out, sizeof out, (Opts){ 0 });   // every writer refuses it
    if (rc != 1 || !strstr(out, "not a jackpot database")) fail_msg("tickets: exit %d, output '%s'", rc, out);
    file_digest(db, after);
    assert_string_equal(before, after);

    // asked for explicitly: jackpot's tables are added beside the user's
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s --quiet --force-foreign-db", dir, db);
    rc = jp(args, out, sizeof out, (Opts){ 0 });
    if (rc != 0) fail_msg("--force-foreign-db: exit %d, output '%s'", rc, out);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM notes"), 1);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM runs WHERE status = 'done'"), 8);
    assert_int_equal((int)sql_value(h, "PRAGMA application_id"), STORE_APPLICATION_ID);
    assert_int_equal((int)sql_value(h, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    // an older jackpot's database has no marker: it is recognised by its tables, and stamped
    assert_int_equal(sqlite3_exec(h, "PRAGMA application_id = 0", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s --quiet", dir, db);
    rc = jp(args, out, sizeof out, (Opts){ 0 });
    if (rc != 0) fail_msg("unmarked jackpot database: exit %d, output '%s'", rc, out);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal((int)sql_value(h, "PRAGMA application_id"), STORE_APPLICATION_ID);
    // another application's marked file stays refused, and its marker is never overwritten
    assert_int_equal(sqlite3_exec(h, "PRAGMA application_id = 42", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(jp(args, out, sizeof out, (Opts){ 0 }), 1);
    assert_non_null(strstr(out, "application_id 42"));
    // an empty file (touch runs.db) is a new database
    snprintf(db, sizeof db, "%s/empty.db", dir);
    fclose(fopen(db, "w"));
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s --quiet", dir, db);
    assert_int_equal(jp(args, out, sizeof out, (Opts){ 0 }), 0);
    remove_dir();
}

// Issue 13 item 4: read-only commands in a read-only directory. Root ignores directory
// permissions, so as root the commands run as nobody (uid 65534); skipped where neither works.
static void test_read_only_directory(void **state) {
    (void)state;
    static char out[1 << 16];
    make_dir("sweep.yaml", TINY);
    char db[128], args[512], outdir[128];
    snprintf(db, sizeof db, "%s/ro/runs.db", dir);
    snprintf(args, sizeof args, "%s/ro", dir);
    assert_int_equal(mkdir(args, 0755), 0);
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s --quiet", dir, db);
    assert_int_equal(jp(args, out, sizeof out, (Opts){ 0 }), 0);
    // at rest in rollback-journal mode: one self-contained file
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal((int)sql_value(h, "SELECT count(*) FROM runs WHERE status = 'done'"), 8);
    sqlite3_stmt *jm;
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &jm, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(jm), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(jm, 0), "delete");
    sqlite3_finalize(jm);
    sqlite3_close(h);
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    assert_int_equal(mkdir(outdir, 0777), 0);
    assert_int_equal(chmod(outdir, 0777), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(args, sizeof args, "%s/ro", dir);
    assert_int_equal(chmod(args, 0555), 0);
    int nobody = 0;
    char probe[160];
    snprintf(probe, sizeof probe, "touch %s/ro/probe 2>/dev/null", dir);
    if (sh(probe, out, sizeof out, (Opts){ 0 }) == 0) {   // permissions do not bind us: root
        nobody = 1;
        if (jp("--help", out, sizeof out, (Opts){ .nobody = 1 }) != 0) {   // the checkout is closed to nobody
            char cp[400];
            snprintf(cp, sizeof cp, "cp %s %s/jackpot && chmod 755 %s/jackpot", bin_or_copy(), dir, dir);
            if (sh(cp, out, sizeof out, (Opts){ 0 }) == 0) snprintf(bin_copy, sizeof bin_copy, "%s/jackpot", dir);
        }
        if (sh(probe, out, sizeof out, (Opts){ .nobody = 1 }) == 0 || jp("--help", out, sizeof out, (Opts){ .nobody = 1 }) != 0) {
            print_message("skipped: no read-only directory for this process (root, and uid 65534 cannot run %s)\n", bin_or_copy());
            bin_copy[0] = 0;
            remove_dir();
            skip();
        }
    }
    for (int wal = 0; wal < 2; wal++) {
        if (wal) {   // the same database at rest in WAL mode, without -wal or -shm (an older jackpot's)
            chmod(args, 0755);
            assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
            assert_int_equal(sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
            sqlite3_close(h);
            chmod(args, 0555);
        }
        const char *cmds[] = { "status --db %s", "export --db %s --what summaries --format csv",
                               "fit --db %s --law power --boot 10", "dist --db %s --boot 10",
                               "report --db %s -o %s/out/report --boot 10", "concepts --db %s --boot 0" };
        for (int i = 0; i < 6; i++) {
            char c[512], fmt[160];
            snprintf(fmt, sizeof fmt, "%s", cmds[i]);
            snprintf(c, sizeof c, fmt, db, dir);
            int rc = jp(c, out, sizeof out, (Opts){ .nobody = nobody });
            if (rc != 0) fail_msg("%s in a read-only directory%s: exit %d, output:\n%s", c, wal ? " (WAL)" : "", rc, out);
        }
    }
    bin_copy[0] = 0;
    remove_dir();
}

// Issue 13 item 10: the reason a run failed was stored, not printed.
static void test_run_prints_why_a_run_failed(void **state) {
    (void)state;
    static char out[1 << 16];
    make_dir("sweep.yaml", "name: failing\ntask: {data_dir: /nonexistent/fashion, train_size: 100, val_size: 50}\n"
                           "model: {depth: 1, width: 4}\nbudget: {batch: 32, steps: 10, evals: 1}\n");
    char args[512];
    snprintf(args, sizeof args, "run %s/sweep.yaml --db %s/runs.db --quiet", dir, dir);
    assert_int_equal(jp(args, out, sizeof out, (Opts){ 0 }), 1);
    if (!strstr(out, "failed: /nonexistent/fashion/train-images-idx3-ubyte.gz: cannot open"))
        fail_msg("the reason is not printed: '%s'", out);
    assert_int_equal(jp(args, out, sizeof out, (Opts){ 0 }), 0);   // not retried; says why they failed
    if (!strstr(out, "1 run failed before: /nonexistent/fashion/train-images-idx3-ubyte.gz: cannot open"))
        fail_msg("the stored reason is not printed: '%s'", out);
    remove_dir();
}

// Sibling of item 1: `jackpot train --out` on a full disk exited 0 with the lines lost.
static void test_train_reports_a_failed_write(void **state) {
    (void)state;
    static char out[1 << 16];
    if (access("/dev/full", W_OK) != 0 || access("/usr/share/datasets/fashion-mnist", R_OK) != 0) {
        print_message("skipped: needs /dev/full and the Fashion-MNIST files\n");
        skip();
    }
    int rc = jp("train --width 16 --depth 1 --steps 20 --eval-every 10 --train-size 2000 --quiet --out /dev/full",
                out, sizeof out, (Opts){ 0 });
    if (rc != 1 || !strstr(out, "/dev/full: cannot write: No space left on device"))
        fail_msg("train --out /dev/full: exit %d, output '%s'", rc, out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full_stops_and_resumes),
        cmocka_unit_test(test_one_runner_per_file_whatever_its_name),
        cmocka_unit_test(test_foreign_database_refused_untouched),
        cmocka_unit_test(test_read_only_directory),
        cmocka_unit_test(test_run_prints_why_a_run_failed),
        cmocka_unit_test(test_train_reports_a_failed_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

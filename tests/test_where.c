// --where is one read-only condition (store/where): trailing text, a second
// statement, a parenthesis that escapes the condition and anything but reads are
// refused with the --where named, by fit and dist alike, and the where used is
// recorded in the result's source.
#include "testutil.h"
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fit/points.h"
#include "stats/samples.h"
#include "store/store.h"
#include "store/where.h"


// A store of 8 finished runs: depth 1 and 2, four sizes each, with test loss and accuracy.
static void make_store(const char *path) {
    Store st;
    remove(path);
    if (store_open(&st, path, 0) != 0) fail_msg("%s", jp_error());
    for (int i = 0; i < 8; i++) {
        char sql[512];
        int depth = 1 + i / 4, n = 1000 << (i % 4);
        snprintf(sql, sizeof sql,
                 "INSERT INTO runs(id, hash, group_hash, status, depth, n_params, train_size, steps, params, init_seed, data_seed)"
                 " VALUES(%d, 'h%d', 'g%d', 'done', %d, %d, 5000, 100, '{}', 0, 0);"
                 "INSERT INTO summaries VALUES(%d, 'final_test_loss', %g), (%d, 'final_test_acc', 0.8);",
                 i + 1, i, i, depth, n, i + 1, 3.0 - 0.2 * (i % 4), i + 1);
        if (store_exec(&st, sql) != 0) fail_msg("%s", jp_error());
    }
    store_close(&st);
}

static int count_runs(const char *path) {
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM runs", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_check_one_expression(void **state) {
    (void)state;
    const char *good[] = { "r.depth = 2", "(r.depth = 2) AND (r.width > 3 OR r.width IS NULL)", "r.task = 'a)b;c'",
                           "r.task = 'it''s'", "\"r\".depth = 2 -- a comment with ) and ;", "r.depth /* ) */ = 2" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (where_check(good[i]) != 0) fail_msg("'%s' refused: %s", good[i], jp_error());
    const struct { const char *where, *why; } bad[] = {
        { "1) ; DROP TABLE runs; --", "closes a parenthesis it did not open" },
        { "1) OR (1", "closes a parenthesis it did not open" },
        { "r.depth = 2; DELETE FROM runs", "';' at offset 11" },
        { "r.task = 'abc", "is never closed" },
        { "r.depth = (2", "never closed" },
        { "r.depth = 2 /* x", "comment at offset 12 is never closed" },
        { "  ", "--where is empty" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (where_check(bad[i].where) == 0) fail_msg("'%s' accepted", bad[i].where);
        if (!strstr(jp_error(), bad[i].why)) fail_msg("'%s': error '%s' lacks '%s'", bad[i].where, jp_error(), bad[i].why);
    }
}

// The prepare itself: a query that would write is refused by the authorizer, whatever
// the caller built around the where.
static void test_prepare_refuses_writes(void **state) {
    (void)state;
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(":memory:", &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE runs(id INTEGER PRIMARY KEY, depth INTEGER)", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(where_prepare(h, "SELECT r.id FROM runs r WHERE 1", "r.depth = 2", " ORDER BY r.id", &st), 0);
    sqlite3_finalize(st);
    assert_int_equal(where_prepare(h, "DELETE FROM runs AS r WHERE 1", "r.depth = 2", NULL, &st), -1);
    assert_null(st);
    if (!strstr(jp_error(), "not a read")) fail_msg("error '%s'", jp_error());
    assert_int_equal(where_prepare(h, "SELECT 1 WHERE 1", "1", "; SELECT 2", &st), -1);
    if (!strstr(jp_error(), "text after the statement: 'SELECT 2'")) fail_msg("error '%s'", jp_error());
    sqlite3_close(h);
}

static void test_fit_and_dist_refuse_all_but_one_read(void **state) {
    (void)state;
    char path[] = "/tmp/jackpot-where-XXXXXX";
    close(mkstemp(path));
    make_store(path);
    Points p;
    if (points_from_store(path, NULL, "final_test_loss", "r.depth = 2", &p) != 0) fail_msg("%s", jp_error());
    assert_int_equal(p.n, 4);
    assert_non_null(strstr(p.source, "where=r.depth = 2"));
    points_free(&p);
    Samples s;
    if (samples_from_store(path, NULL, "final", "r.depth = 2", &s) != 0) fail_msg("%s", jp_error());
    assert_int_equal(s.n_groups, 4);
    assert_non_null(strstr(s.source, "where=r.depth = 2"));
    samples_free(&s);
    const struct { const char *where, *why; } bad[] = {
        { "1) ; DROP TABLE runs; --", "closes a parenthesis it did not open" },
        { "1) OR (1", "closes a parenthesis it did not open" },
        { "1=1 ORDER BY x", "syntax error" },
        { "r.depth = 2; DELETE FROM runs", "';'" },
        { "r.id IN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c)",
          "not a read" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (points_from_store(path, NULL, "final_test_loss", bad[i].where, &p) == 0)
            fail_msg("fit: '%s' accepted", bad[i].where);
        if (!strstr(jp_error(), "--where '") || !strstr(jp_error(), bad[i].why)) fail_msg("fit '%s': error '%s' lacks '%s'", bad[i].where, jp_error(), bad[i].why);
        if (samples_from_store(path, NULL, "final", bad[i].where, &s) == 0)
            fail_msg("dist: '%s' accepted", bad[i].where);
        if (!strstr(jp_error(), "--where '") || !strstr(jp_error(), bad[i].why))
            fail_msg("dist '%s': error '%s' lacks '%s'", bad[i].where, jp_error(), bad[i].why);
    }
    assert_int_equal(count_runs(path), 8);
    // a table-valued function reads (the report's views select runs by their params so)
    if (points_from_store(path, NULL, "final_test_loss",
                          "r.depth = 2 AND (SELECT count(*) FROM json_each(r.params)) = 0", &p) != 0)
        fail_msg("%s", jp_error());
    assert_int_equal(p.n, 4);
    points_free(&p);

    // the command line: exit 1, the --where named, the runs untouched
    const char *bin = getenv("JACKPOT_BIN") ? getenv("JACKPOT_BIN") : "build/jackpot";
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof cmd, "%s fit --law power --db %s --boot 0 --no-save --where \"1) ; DROP TABLE runs; --\" 2>&1", bin, path);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    size_t n = fread(out, 1, sizeof out - 1, pp);
    out[n] = 0;
    int status = pclose(pp);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || !strstr(out, "--where '1) ; DROP TABLE runs; --'"))
        fail_msg("jackpot fit with a trailing statement: status %d, output '%s'", status, out);
    assert_int_equal(count_runs(path), 8);
    // the report checks its --where by the same rules (it spliced the text into its queries as given)
    snprintf(cmd, sizeof cmd, "%s report --db %s -o %s.report --boot 0 --where \"1) OR (1\" 2>&1", bin, path, path);
    assert_non_null(pp = popen(cmd, "r"));
    n = fread(out, 1, sizeof out - 1, pp);
    out[n] = 0;
    status = pclose(pp);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1 || !strstr(out, "closes a parenthesis it did not open"))
        fail_msg("jackpot report with an unbalanced --where: status %d, output '%s'", status, out);
    snprintf(cmd, sizeof cmd, "rm -rf %s.report", path);
    assert_int_equal(system(cmd), 0);
    remove(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_one_expression),
        cmocka_unit_test(test_prepare_refuses_writes),
        cmocka_unit_test(test_fit_and_dist_refuse_all_but_one_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

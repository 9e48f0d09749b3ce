// The results store: schema and migration, the run life cycle, resetting
// interrupted runs, the runner's lock, and the export round trip (a CSV reloads
// to exactly the stored values).
#include "testutil.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "store/export.h"
#include "store/store.h"

static char dir[64], path[128];

static int setup(void **state) {
    (void)state;
    if (temp_dir_make(dir, sizeof dir, "store") != 0) return -1;
    snprintf(path, sizeof path, "%s/runs.db", dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return temp_dir_remove(dir);
}

static double query(Store *s, const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    double v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : NAN;
    sqlite3_finalize(st);
    return v;
}

static void add_runs(Store *s, long sweep, long *ids, int n) {
    for (int i = 0; i < n; i++) {
        char hash[17], json[256], status[16];
        snprintf(hash, sizeof hash, "%016x", 0xabc000 + i);
        snprintf(json, sizeof json, "{\"model.width\":%d,\"seed.init\":%d,\"optim.lr\":0.1,\"task.name\":\"toy, \\\"quoted\\\"\"}",
                 8 << (i / 2), i % 2);
        StoreRun r = { .hash = hash, .group_hash = "g", .params_json = json, .task = "toy", .family = "mlp",
                       .hidden = "8", .optim = "adamw", .width = 8 << (i / 2), .depth = 1, .n_params = 100 * (i + 1),
                       .batch = 32, .steps = 10, .lr = 0.1, .planned_flops = 1e6, .init_seed = (uint64_t)(i % 2) };
        assert_int_equal(store_add_run(s, sweep, i, &r, &ids[i], status), 0);
        assert_string_equal(status, "pending");
    }
}

static void test_life_cycle_and_reset(void **state) {
    (void)state;
    Store s;
    assert_int_equal(store_open(&s, path, 0), 0);
    assert_int_equal((int)query(&s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    long sweep, sweep_again, ids[4];
    assert_int_equal(store_add_sweep(&s, "toy", "toy.yaml", "config text", &sweep), 0);
    assert_int_equal(store_add_sweep(&s, "toy", "toy.yaml", "config text", &sweep_again), 0);
    assert_int_equal(sweep, sweep_again);   // the same config is the same sweep
    add_runs(&s, sweep, ids, 4);
    long again;
    char status[16];
    StoreRun dup = { .hash = "0000000000abc000", .group_hash = "g", .params_json = "{}" };
    assert_int_equal(store_add_run(&s, sweep, 0, &dup, &again, status), 0);
    assert_int_equal(again, ids[0]);        // a hash is stored once
    assert_int_equal((int)query(&s, "SELECT count(*) FROM runs"), 4);

    long launch;
    assert_int_equal(store_start_launch(&s, ids, 4, &launch), 0);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM runs WHERE status = 'running'"), 4);
    StoreMetric m[] = { { "val", "loss", 0.5 }, { "val", "acc", 0.75 }, { "train", "loss", NAN } };
    const double closs[3] = { 0.1, 0.2, NAN }, cacc[3] = { 1.0, 0.9, 0.5 };   // a toy world's 3 concepts
    StoreConcepts concepts = { 3, closs, cacc };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(store_add_eval(&s, ids[i], 0, 0, 0, 0.1, m, 3, &concepts), 0);
        assert_int_equal(store_add_eval(&s, ids[i], 10, 320, 1e6, 0.2, m, 3, &concepts), 0);
    }
    assert_int_equal((int)query(&s, "SELECT count(*) FROM metrics"), 4 * 2 * 2);   // NaN is not stored
    assert_int_equal((int)query(&s, "SELECT count(*) FROM concepts"), 4 * 2 * 3);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM concepts WHERE loss IS NULL"), 4 * 2);   // NaN: NULL, row kept
    assert_int_equal((int)(1000 * query(&s, "SELECT acc FROM concepts WHERE run_id = 2 AND step = 10 AND concept = 1")), 900);
    StoreSummary sum[] = { { "final_val_loss", 1.0 / 3.0 }, { "final_val_acc", 0.1 } };
    assert_int_equal(store_finish_run(&s, ids[0], "done", -1, 1.5, NULL, sum, 2), 0);
    assert_int_equal(store_finish_run(&s, ids[1], "diverged", 7, 1.5, NULL, sum, 2), 0);
    assert_int_equal(store_finish_run(&s, ids[2], "failed", -1, 1.5, "out of memory", NULL, 0), 0);
    assert_int_equal(store_end_launch(&s, launch, 1.5), 0);
    // ids[3] is left running, as if the process had been killed
    assert_int_equal(store_reset_interrupted(&s, NULL, NULL), 1);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM metrics WHERE run_id = 4"), 0);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM concepts WHERE run_id = 4"), 0);   // cleared with its run
    assert_int_equal((int)query(&s, "SELECT count(*) FROM concepts WHERE run_id = 1"), 6);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM metrics WHERE run_id = 1"), 4);
    assert_int_equal((int)query(&s, "SELECT diverged_step FROM runs WHERE id = 2"), 7);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM runs WHERE status = 'pending'"), 1);
    assert_int_equal((int)query(&s, "SELECT attempts FROM runs WHERE id = 4"), 1);
    assert_int_equal(store_reset_runs(&s, &ids[0], 1), 0);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM summaries WHERE run_id = 1"), 0);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM concepts WHERE run_id = 1"), 0);
    assert_int_equal(store_finish_run(&s, ids[0], "done", -1, 1.5, NULL, sum, 2), 0);
    // the CHECK constraint keeps statuses honest
    assert_int_equal(store_exec(&s, "UPDATE runs SET status = 'finished' WHERE id = 1"), -1);
    if (!strstr(jp_error(), "CHECK constraint failed")) fail_msg("store_exec's error: %s", jp_error());
    store_close(&s);

    // reopening migrates nothing and keeps everything; read-only opens refuse a non-database
    assert_int_equal(store_open(&s, path, 1), 0);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM runs"), 4);
    assert_true(fabs(query(&s, "SELECT value FROM summaries WHERE run_id = 1 AND name = 'final_val_loss'") - 1.0 / 3.0) == 0);
    store_close(&s);
    char bogus[160];
    snprintf(bogus, sizeof bogus, "%s/not-a-db", dir);
    FILE *f = fopen(bogus, "w");
    fputs("hello, world, this is not sqlite\n", f);
    fclose(f);
    assert_int_equal(store_open(&s, bogus, 0), -1);
    assert_non_null(strstr(jp_error(), "not-a-db"));
    assert_int_equal(store_open(&s, "/nonexistent/dir/x.db", 1), -1);
}

static void test_lock_refuses_a_second_runner(void **state) {
    (void)state;
    Store a, b;
    assert_int_equal(store_open(&a, path, 0), 0);
    assert_int_equal(store_open(&b, path, 0), 0);
    assert_int_equal(store_lock(&a, 0), 0);
    assert_int_equal(store_lock(&b, 0), -1);
    char expect[256];
    snprintf(expect, sizeof expect, "is in use by another jackpot run (pid %d)", (int)getpid());
    if (!strstr(jp_error(), expect)) fail_msg("lock message: %s", jp_error());
    store_close(&a);   // released: the next runner gets it
    assert_int_equal(store_lock(&b, 0), 0);
    store_close(&b);
}

// Issue 13 item 2: a restart reset every 'running' run, a live runner's included. Only runs
// whose runner is gone are reset: a dead pid, or a live pid whose start time is not the
// runner's (a reused pid); a live runner's runs are left alone and counted.
static void test_reset_only_runs_whose_runner_is_gone(void **state) {
    (void)state;
    char live[160];
    snprintf(live, sizeof live, "%s/live.db", dir);
    Store s;
    assert_int_equal(store_open(&s, live, 0), 0);
    long sweep, ids[4];
    assert_int_equal(store_add_sweep(&s, "toy", "toy.yaml", "config text", &sweep), 0);
    add_runs(&s, sweep, ids, 4);
    store_close(&s);   // no SQLite connection may cross a fork
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t child = fork();
    if (child == 0) {   // another runner (holding no lock) launches runs 1 and 2, then waits
        close(ready[0]);
        close(go[1]);   // so that the parent's exit (a failed assertion) ends the wait
        Store c;
        long launch;
        char ok = store_open(&c, live, 0) == 0 && store_start_launch(&c, ids, 2, &launch) == 0;
        if (write(ready[1], &ok, 1) != 1 || read(go[0], &ok, 1) < 0) _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char ok = 0;
    assert_int_equal(read(ready[0], &ok, 1), 1);
    assert_true(ok);
    assert_int_equal(store_open(&s, live, 0), 0);
    assert_int_equal(store_lock(&s, 0), 0);
    long alive = 0, pid = 0;
    assert_int_equal(store_reset_interrupted(&s, &alive, &pid), 0);   // its runner is alive: untouched
    assert_int_equal(alive, 2);
    assert_int_equal(pid, child);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM runs WHERE status = 'running'"), 2);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM launches WHERE pid IS NOT NULL AND pid_start IS NOT NULL"), 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_equal(store_reset_interrupted(&s, &alive, &pid), 2);   // gone: reset
    assert_int_equal(alive, 0);
    assert_int_equal((int)query(&s, "SELECT count(*) FROM runs WHERE status = 'pending'"), 4);
    // a live process with the recorded pid but another start time is not the runner
    long launch;
    assert_int_equal(store_start_launch(&s, &ids[2], 1, &launch), 0);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE runs SET pid = %d WHERE id = %ld; UPDATE launches SET pid = %d, pid_start = pid_start + 1"
                              " WHERE id = %ld", (int)getppid(), ids[2], (int)getppid(), launch);
    assert_int_equal(store_exec(&s, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM launches WHERE pid_start IS NOT NULL AND id = %ld", launch);
    if (query(&s, sql) == 1) assert_int_equal(store_reset_interrupted(&s, &alive, &pid), 1);   // /proc readable
    close(ready[0]);
    close(go[1]);
    store_close(&s);
}

// Minimal RFC 4180 reader: fields of one record; returns the count, or −1 at EOF.
static int read_csv_record(FILE *f, char fields[][256], int max) {
    int n = 0, c = fgetc(f);
    if (c == EOF) return -1;
    for (;;) {
        char *out = fields[n];
        size_t k = 0;
        if (c == '"') {
            while ((c = fgetc(f)) != EOF) {
                if (c == '"') {
                    c = fgetc(f);
                    if (c != '"') break;
                }
                out[k++] = (char)c;
            }
        } else {
            while (c != ',' && c != '\n' && c != EOF) { out[k++] = (char)c; c = fgetc(f); }
        }
        out[k] = 0;
        n++;
        if (c == '\n' || c == EOF || n == max) return n;
        c = fgetc(f);
    }
}

static void test_export_round_trip(void **state) {
    (void)state;
    Store s;
    assert_int_equal(store_open(&s, path, 1), 0);
    char csv[160];
    snprintf(csv, sizeof csv, "%s/summaries.csv", dir);
    FILE *out = fopen(csv, "w");
    assert_int_equal(store_export(&s, EXPORT_SUMMARIES, EXPORT_CSV, "toy", out), 0);
    fclose(out);
    FILE *in = fopen(csv, "r");
    static char head[64][256], row[64][256];
    int cols = read_csv_record(in, head, 64);
    int c_run = -1, c_loss = -1, c_width = -1, c_task = -1, c_error = -1;
    for (int i = 0; i < cols; i++) {
        if (!strcmp(head[i], "run_id")) c_run = i;
        if (!strcmp(head[i], "final_val_loss")) c_loss = i;
        if (!strcmp(head[i], "model.width")) c_width = i;
        if (!strcmp(head[i], "task.name")) c_task = i;
        if (!strcmp(head[i], "error")) c_error = i;
    }
    assert_true(c_run >= 0 && c_loss >= 0 && c_width >= 0 && c_task >= 0 && c_error >= 0);
    int rows = 0;
    while (read_csv_record(in, row, 64) == cols) {
        rows++;
        long id = atol(row[c_run]);
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT value FROM summaries WHERE run_id = %ld AND name = 'final_val_loss'", id);
        double stored = query(&s, sql);
        if (isnan(stored)) assert_string_equal(row[c_loss], "");
        else assert_true(strtod(row[c_loss], NULL) == stored);   // bit for bit
        snprintf(sql, sizeof sql, "SELECT width FROM runs WHERE id = %ld", id);
        assert_int_equal(atol(row[c_width]), (long)query(&s, sql));
        assert_string_equal(row[c_task], "toy, \"quoted\"");
        if (id == 3) assert_string_equal(row[c_error], "out of memory");
    }
    fclose(in);
    assert_int_equal(rows, 4);
    // JSONL and the metrics table: one object per (run, step)
    char *buf = NULL;
    size_t len = 0;
    out = open_memstream(&buf, &len);
    assert_int_equal(store_export(&s, EXPORT_METRICS, EXPORT_JSONL, NULL, out), 0);
    fclose(out);
    int lines = 0, run_steps = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        run_steps += 10 * (int)json_number_at(line, "$.run_id") + (int)json_number_at(line, "$.step");
        assert_true(json_number_at(line, "$.val_loss") == 0.5 && json_number_at(line, "$.val_acc") == 0.75);
        assert_true(json_type_is(line, "$.train_loss", "absent"));   // NaN was not stored: no train metric at all
        assert_json_text(line, "$.\"task.name\"", "toy, \"quoted\"");
    }
    assert_int_equal(lines, 2 * 2);   // runs 1 and 4 were reset (metrics deleted); 2 and 3 keep two steps each
    assert_int_equal(run_steps, 10 * (2 + 2 + 3 + 3) + 2 * (0 + 10));   // (2, 0), (2, 10), (3, 0), (3, 10)
    free(buf);
    store_close(&s);
}

// A database with every table filled: sweeps a and b of two runs each; a's runs launched
// once, b's twice (the second launch is each b run's latest); evaluations at steps 0 and 10
// with 3 concepts each, probes at step 10 only in a and at both steps in b; two ticket
// levels of two variants per run; two fits and one distribution.
static void fill_every_table(Store *s, long ids[4]) {
    long sweep[2], launch;
    assert_int_equal(store_add_sweep(s, "a", "a.yaml", "config a", &sweep[0]), 0);
    assert_int_equal(store_add_sweep(s, "b", "b.yaml", "config, \"b\"", &sweep[1]), 0);
    for (int i = 0; i < 4; i++) {
        char hash[17], json[64], status[16];
        snprintf(hash, sizeof hash, "%016x", 0xe000 + i);
        snprintf(json, sizeof json, "{\"model.width\":%d,\"seed.init\":%d}", 8 << (i % 2), i / 2);
        StoreRun r = { .hash = hash, .group_hash = "g", .params_json = json };
        assert_int_equal(store_add_run(s, sweep[i / 2], i % 2, &r, &ids[i], status), 0);
    }
    const double closs[3] = { 0.1, 0.2, 0.3 }, cacc[3] = { 1.0, 0.9, 0.5 };
    StoreConcepts concepts = { 3, closs, cacc };
    for (int i = 0; i < 4; i++) {
        if (i % 2 == 0) assert_int_equal(store_start_launch(s, &ids[i], 2, &launch), 0);
        if (i == 2) assert_int_equal(store_start_launch(s, &ids[i], 2, &launch), 0);
        for (long step = 0; step <= 10; step += 10) {
            int probed = i >= 2 || step == 10;
            StoreMetric m[] = { { "val", "loss", 0.5 }, { "probe", "cos_fr", 0.25 + i + step }, { "probe", "dloss_rare", -0.125 } };
            assert_int_equal(store_add_eval(s, ids[i], step, 32.0 * (double)step, 1e6, 0.1, m, probed ? 3 : 1, &concepts), 0);
        }
        for (long level = 0; level < 2; level++)
            for (int v = 0; v < 2; v++) {
                StoreTicket t = { .run_id = ids[i], .level = level, .variant = v ? "ticket" : "random", .layer_density_json = "[1,0.8]",
                                  .density = 1.0 - 0.2 * (double)level, .barrier = NAN, .best_val_loss = 0.5 };
                assert_int_equal(store_add_ticket(s, &t), 0);
                for (long step = 0; step <= 20; step += 10)
                    assert_int_equal(store_add_ticket_eval(s, ids[i], level, t.variant, step, 0.5, 0.75, 0.625, 0.5), 0);
            }
    }
    long id;
    assert_int_equal(store_add_fit(s, "power", "db", "{\"boot\":0}", "{\"alpha\":0.5}", &id), 0);
    assert_int_equal(store_add_fit(s, "chinchilla", "db", "{}", "{\"alpha\":0.25}", &id), 0);
    assert_int_equal(store_add_dist(s, "db, \"x\"", "{\"groups\":[]}", &id), 0);
}

static char *export_to_text(Store *s, ExportWhat what, ExportFormat fmt, const char *sweep) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (store_export(s, what, fmt, sweep, out) != 0) fail_msg("export %s: %s", export_what_names[what], jp_error());
    fclose(out);
    return buf;
}

// Rows of a CSV export (after its header, whose fields go to head), each as wide as the header.
static int csv_rows(const char *text, char head[][256], int *cols) {
    static char row[64][256];
    FILE *in = fmemopen((void *)text, strlen(text), "r");
    *cols = read_csv_record(in, head, 64);
    int rows = 0, n;
    while ((n = read_csv_record(in, row, 64)) >= 0) {
        assert_int_equal(n, *cols);
        rows++;
    }
    fclose(in);
    return rows;
}

static int has_column(char head[][256], int cols, const char *name) {
    for (int i = 0; i < cols; i++)
        if (!strcmp(head[i], name)) return 1;
    return 0;
}

// Each new table, CSV and JSONL, whole and restricted to sweep a: as many rows as SQLite
// counts, the columns a researcher groups by, and JSONL objects that read back exactly.
static void test_export_every_table(void **state) {
    (void)state;
    char all[160];
    snprintf(all, sizeof all, "%s/all.db", dir);
    Store s;
    long ids[4];
    assert_int_equal(store_open(&s, all, 0), 0);
    fill_every_table(&s, ids);
    static const char IN_A[] = " IN (SELECT run_id FROM sweep_runs JOIN sweeps ON sweeps.id = sweep_id WHERE name = 'a')";
    static const struct { ExportWhat what; const char *count, *where_a, *column; } T[] = {
        { EXPORT_TICKETS, "SELECT count(*) FROM tickets", " WHERE run_id", "barrier" },
        { EXPORT_CONCEPTS, "SELECT count(*) FROM concepts", " WHERE run_id", "concept" },
        { EXPORT_TICKET_CURVES, "SELECT count(*) FROM ticket_curves", " WHERE run_id", "val_acc" },
        { EXPORT_PROBES, "SELECT count(*) FROM (SELECT DISTINCT run_id, step FROM metrics WHERE split = 'probe'", " AND run_id", "cos_fr" },
        { EXPORT_FITS, "SELECT count(*) FROM fits", NULL, "result" },
        { EXPORT_DISTS, "SELECT count(*) FROM dists", NULL, "result" },
        { EXPORT_LAUNCHES, "SELECT count(*) FROM launches", " WHERE id IN (SELECT launch FROM runs WHERE id", "pid" },
        { EXPORT_SWEEPS, "SELECT count(*) FROM sweeps", " WHERE id IN (SELECT sweep_id FROM sweep_runs WHERE run_id", "config" },
    };
    static char head[64][256];
    for (size_t k = 0; k < sizeof T / sizeof T[0]; k++) {
        for (int a = 0; a < 2; a++) {
            if (a && !T[k].where_a) {   // fits and dists belong to no sweep
                assert_false(export_has_sweep(T[k].what));
                assert_int_equal(store_export(&s, T[k].what, EXPORT_CSV, "a", stdout), -1);
                assert_non_null(strstr(jp_error(), "--sweep"));
                continue;
            }
            char sql[400];
            int open = T[k].what == EXPORT_PROBES || (a && (T[k].what == EXPORT_LAUNCHES || T[k].what == EXPORT_SWEEPS));   // parentheses left open
            snprintf(sql, sizeof sql, "%s%s%s%s", T[k].count, a ? T[k].where_a : "", a ? IN_A : "", open ? ")" : "");
            int want = (int)query(&s, sql), cols;
            assert_true(want > 0);
            char *text = export_to_text(&s, T[k].what, EXPORT_CSV, a ? "a" : NULL);
            if (csv_rows(text, head, &cols) != want) fail_msg("%s: %d rows, expected %d:\n%s", export_what_names[T[k].what], csv_rows(text, head, &cols), want, text);
            assert_true(has_column(head, cols, T[k].column));
            assert_true(has_column(head, cols, "model.width") == (T[k].what <= EXPORT_PROBES || T[k].what == EXPORT_TICKET_CURVES));
            free(text);
            text = export_to_text(&s, T[k].what, EXPORT_JSONL, a ? "a" : NULL);
            int lines = 0;
            for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) assert_true(json_type_is(line, "$", "object"));
            assert_int_equal(lines, want);
            free(text);
        }
    }
    // the probes pivot: one column per probe metric, values bit for bit, no metric of another split
    char *text = export_to_text(&s, EXPORT_PROBES, EXPORT_JSONL, "b");
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        long run = (long)json_number_at(line, "$.run_id"), step = (long)json_number_at(line, "$.step");
        assert_true(run == ids[2] || run == ids[3]);
        assert_true(json_number_at(line, "$.cos_fr") == 0.25 + (double)(run - ids[0]) + (double)step);
        assert_true(json_number_at(line, "$.dloss_rare") == -0.125);
        assert_true(json_type_is(line, "$.val_loss", "absent") && json_type_is(line, "$.loss", "absent"));
    }
    assert_int_equal(lines, 2 * 2);
    free(text);
    assert_int_equal(store_export(&s, EXPORT_WHAT_COUNT, EXPORT_CSV, NULL, stdout), -1);
    store_close(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_life_cycle_and_reset),
        cmocka_unit_test(test_lock_refuses_a_second_runner),
        cmocka_unit_test(test_reset_only_runs_whose_runner_is_gone),
        cmocka_unit_test(test_export_round_trip),
        cmocka_unit_test(test_export_every_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

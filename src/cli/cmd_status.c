// jackpot status: what a results database holds.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "store/store.h"

#define CMD "status"

static const char HELP[] =
    "usage: jackpot status [--db FILE]\n"
    "\n"
    "Counts runs by status (overall and per sweep), lists failures with their errors and\n"
    "diverged runs with their step, and gives the training time used and an estimate of\n"
    "the time left (pending FLOPs at the FLOP rate observed so far). Safe to run while a\n"
    "sweep is running.\n"
    "\n"
    "  --db FILE   the database     [runs.db]\n";

static double scalar(Store *s, const char *sql) {
    sqlite3_stmt *st;
    double v = NAN;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void duration(double s, char *out, size_t n) {
    if (!isfinite(s)) snprintf(out, n, "unknown");
    else if (s < 120) snprintf(out, n, "%.1f s", s);
    else if (s < 7200) snprintf(out, n, "%.1f min", s / 60);
    else snprintf(out, n, "%.1f h", s / 3600);
}

static void counts(Store *s, const char *where) {
    static const char *const statuses[] = { "done", "diverged", "failed", "running", "pending" };
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs r %s", where);
    printf("%.0f runs:", scalar(s, sql));
    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM runs r %s %s r.status = '%s'", where, *where ? "AND" : "WHERE", statuses[i]);
        printf(" %.0f %s%s", scalar(s, sql), statuses[i], i < 4 ? "," : "\n");
    }
}

int cmd_status(int argc, char **argv) {
    static const struct option opts[] = { { "db", required_argument, 0, 'd' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    const char *db = "runs.db";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'h') { fputs(HELP, stdout); return 0; }
        else if (c == ':') usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        else usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    Store st;
    cli_open_store_readonly(CMD, db, &st);
    printf("%s: schema %.0f\nall: ", db, scalar(&st, "PRAGMA user_version"));
    counts(&st, "");
    sqlite3_stmt *q;
    sqlite3_prepare_v2(st.db, "SELECT id, name, path FROM sweeps ORDER BY id", -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        char where[128];
        snprintf(where, sizeof where, "JOIN sweep_runs sr ON sr.run_id = r.id WHERE sr.sweep_id = %lld",
                 (long long)sqlite3_column_int64(q, 0));
        printf("sweep '%s' (%s): ", sqlite3_column_text(q, 1), sqlite3_column_text(q, 2));
        counts(&st, where);
    }
    sqlite3_finalize(q);
    sqlite3_prepare_v2(st.db, "SELECT id, hidden, init_seed, data_seed, status, error, diverged_step FROM runs"
                              " WHERE status IN ('failed', 'diverged') ORDER BY id LIMIT 50", -1, &q, NULL);
    int header = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (!header++) printf("failed and diverged runs:\n");
        const char *status = (const char *)sqlite3_column_text(q, 4);
        printf("  run %lld (hidden %s, init %lld, data %lld): %s", (long long)sqlite3_column_int64(q, 0),
               sqlite3_column_text(q, 1), (long long)sqlite3_column_int64(q, 2), (long long)sqlite3_column_int64(q, 3), status);
        if (!strcmp(status, "failed")) printf(": %s\n", sqlite3_column_text(q, 5));
        else printf(" at step %lld\n", (long long)sqlite3_column_int64(q, 6));
    }
    sqlite3_finalize(q);
    double used = scalar(&st, "SELECT sum(wall_s) FROM launches");
    double done_flops = scalar(&st, "SELECT sum(planned_flops) FROM runs WHERE status IN ('done', 'diverged')");
    double left_flops = scalar(&st, "SELECT sum(planned_flops) FROM runs WHERE status IN ('pending', 'running')");
    char u[32], l[32];
    duration(isfinite(used) ? used : 0, u, sizeof u);
    double rate = done_flops / used;
    duration(isfinite(left_flops) ? left_flops / rate : 0, l, sizeof l);
    printf("time used: %s of training (%.0f launches)", u, scalar(&st, "SELECT count(*) FROM launches"));
    if (isfinite(rate) && rate > 0) printf(" at %.1f GFLOP/s", rate / 1e9);
    printf("; time left: %s\n", isfinite(left_flops) && left_flops > 0 ? l : "none");
    store_close(&st);
    return 0;
}

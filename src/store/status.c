#include "store/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/ticket_trainings.h"
#include "base/xalloc.h"

const char *const store_status_names[STATUS_COUNT] = { "done", "diverged", "failed", "running", "pending" };

static int status_index(const char *name) {
    for (int i = 0; name && i < STATUS_COUNT; i++)
        if (!strcmp(name, store_status_names[i])) return i;
    return -1;
}

// A text column as a new string; NULL as "(null)", which is what status printed for it.
static char *text_copy(sqlite3_stmt *st, int col) {
    const char *t = (const char *)sqlite3_column_text(st, col);
    return xstrdup(t ? t : "(null)");
}

static int fail_sql(Store *s, const char *what) { return jp_fail("%s: %s: %s", s->path, what, sqlite3_errmsg(s->db)); }

// One number of a one-row query: NaN for NULL (or no row).
static int read_real(Store *s, const char *sql, double *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return fail_sql(s, "reading the status");
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_double(st, 0) : NAN;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail_sql(s, "reading the status");
}

// Counts by status of every run (sweep_id < 0) or of one sweep's runs.
static int read_counts(Store *s, long sweep_id, StoreRunCounts *c) {
    static const char ALL[] = "SELECT status, count(*) FROM runs GROUP BY status";
    static const char SWEEP[] = "SELECT r.status, count(*) FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id"
                                " WHERE sr.sweep_id = ? GROUP BY r.status";
    memset(c, 0, sizeof *c);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sweep_id < 0 ? ALL : SWEEP, -1, &st, NULL) != SQLITE_OK) return fail_sql(s, "counting runs");
    if (sweep_id >= 0) sqlite3_bind_int64(st, 1, sweep_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long n = (long)sqlite3_column_int64(st, 1);
        int i = status_index((const char *)sqlite3_column_text(st, 0));
        c->runs += n;
        if (i >= 0) c->by_status[i] += n;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail_sql(s, "counting runs");
}

static int read_sweeps(Store *s, StoreStatus *o) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, name, path FROM sweeps ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        return fail_sql(s, "reading the sweeps");
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->n_sweeps == cap) o->sweeps = xrealloc_array(o->sweeps, (size_t)(cap = cap ? 2 * cap : 8), sizeof *o->sweeps);
        StoreSweepCounts *w = &o->sweeps[o->n_sweeps++];
        *w = (StoreSweepCounts){ .id = (long)sqlite3_column_int64(st, 0), .name = text_copy(st, 1), .path = text_copy(st, 2) };
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail_sql(s, "reading the sweeps");
    for (int i = 0; i < o->n_sweeps; i++)
        if (read_counts(s, o->sweeps[i].id, &o->sweeps[i].counts) != 0) return -1;
    return 0;
}

static int read_problems(Store *s, StoreStatus *o) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, hidden, init_seed, data_seed, status, error, diverged_step FROM runs"
                                  " WHERE status IN ('failed', 'diverged') ORDER BY id LIMIT ?", -1, &st, NULL) != SQLITE_OK)
        return fail_sql(s, "reading the failed runs");
    sqlite3_bind_int(st, 1, STORE_STATUS_MAX_PROBLEMS);
    o->problems = xcalloc(STORE_STATUS_MAX_PROBLEMS, sizeof *o->problems);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && o->n_problems < STORE_STATUS_MAX_PROBLEMS) {
        StoreProblemRun *p = &o->problems[o->n_problems++];
        *p = (StoreProblemRun){ .id = (long)sqlite3_column_int64(st, 0), .hidden = text_copy(st, 1),
                                .init_seed = (long)sqlite3_column_int64(st, 2), .data_seed = (long)sqlite3_column_int64(st, 3),
                                .status = text_copy(st, 4), .error = text_copy(st, 5),
                                .diverged_step = (long)sqlite3_column_int64(st, 6) };
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail_sql(s, "reading the failed runs");
}

// ---- lottery tickets ----
// A row of the tickets table is one training of its run (runs.planned_flops); a measured barrier
// one more, the copy trained with another data order. The store holds no FLOPs per level.
#define TICKET_TRAININGS "(1 + (t.barrier IS NOT NULL))"

static int has_tickets(Store *s) {
    double n;
    return read_real(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tickets'", &n) == 0 && n > 0;
}

static int read_ticket_levels(Store *s, StoreStatus *o) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT t.level, count(DISTINCT t.run_id), count(*), sum(" TICKET_TRAININGS "),"
                                  " avg(CASE WHEN t.variant IN ('dense', 'ticket') THEN t.density END),"
                                  " group_concat(DISTINCT t.variant), sum(r.planned_flops * " TICKET_TRAININGS ")"
                                  " FROM tickets t JOIN runs r ON r.id = t.run_id GROUP BY t.level ORDER BY t.level",
                           -1, &st, NULL) != SQLITE_OK)
        return fail_sql(s, "reading the tickets");
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->n_ticket_levels == cap)
            o->ticket_levels = xrealloc_array(o->ticket_levels, (size_t)(cap = cap ? 2 * cap : 16), sizeof *o->ticket_levels);
        StoreTicketLevel *l = &o->ticket_levels[o->n_ticket_levels++];
        const char *v = (const char *)sqlite3_column_text(st, 5);
        *l = (StoreTicketLevel){ .level = sqlite3_column_int(st, 0), .runs = (long)sqlite3_column_int64(st, 1),
                                 .rows = (long)sqlite3_column_int64(st, 2), .trainings = (long)sqlite3_column_int64(st, 3),
                                 .density = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4),
                                 .flops = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6) };
        snprintf(l->variants, sizeof l->variants, "%s", v ? v : "");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail_sql(s, "reading the tickets");
}

static int read_ticket_runs(Store *s, StoreStatus *o) {
    double total;
    if (read_real(s, "SELECT count(DISTINCT run_id) FROM tickets", &total) != 0) return -1;
    o->ticket_runs_total = (long)total;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT r.id, r.hidden, r.init_seed, r.status, count(DISTINCT t.level), max(t.level),"
                                  " min(CASE WHEN t.variant IN ('dense', 'ticket') THEN t.density END),"
                                  " sum(r.planned_flops * " TICKET_TRAININGS ") FROM tickets t JOIN runs r ON r.id = t.run_id"
                                  " GROUP BY r.id ORDER BY r.id LIMIT ?", -1, &st, NULL) != SQLITE_OK)
        return fail_sql(s, "reading the tickets");
    sqlite3_bind_int(st, 1, STORE_STATUS_MAX_TICKET_RUNS);
    o->ticket_runs = xcalloc(STORE_STATUS_MAX_TICKET_RUNS, sizeof *o->ticket_runs);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && o->n_ticket_runs < STORE_STATUS_MAX_TICKET_RUNS) {
        StoreTicketRun *t = &o->ticket_runs[o->n_ticket_runs++];
        *t = (StoreTicketRun){ .id = (long)sqlite3_column_int64(st, 0), .hidden = text_copy(st, 1),
                               .init_seed = (long)sqlite3_column_int64(st, 2), .status = text_copy(st, 3),
                               .levels = (long)sqlite3_column_int64(st, 4), .last_level = (long)sqlite3_column_int64(st, 5),
                               .density = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6),
                               .flops = sqlite3_column_double(st, 7) };
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail_sql(s, "reading the tickets");
}

// Trainings of one run of a tickets sweep from its params (base/ticket_trainings.h, as the
// tickets command counts them).
static double planned_trainings(sqlite3_stmt *st) {
    return ticket_trainings(sqlite3_column_double(st, 1), sqlite3_column_double(st, 2), sqlite3_column_double(st, 3),
                            sqlite3_column_int(st, 4) + sqlite3_column_int(st, 5) + sqlite3_column_int(st, 6),
                            sqlite3_column_int(st, 7));
}

// The FLOPs left of tickets runs, added to o->left_flops: pending ones start over (every
// training), running ones lose what they stored already.
static int read_ticket_left(Store *s, StoreStatus *o) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT r.planned_flops, json_extract(r.params, '$.\"tickets.rounds\"'),"
                                  " json_extract(r.params, '$.\"tickets.target_density\"'), json_extract(r.params, '$.\"tickets.rate\"'),"
                                  " json_extract(r.params, '$.\"tickets.reinit\"'), json_extract(r.params, '$.\"tickets.random_mask\"'),"
                                  " json_extract(r.params, '$.\"tickets.oneshot\"'), json_extract(r.params, '$.\"tickets.instability_points\"'),"
                                  " CASE WHEN r.status = 'running' THEN (SELECT sum(" TICKET_TRAININGS ") FROM tickets t"
                                  " WHERE t.run_id = r.id) END FROM runs r WHERE r.status IN ('pending', 'running') AND"
                                  " (json_extract(r.params, '$.\"tickets.rounds\"') > 0 OR"
                                  " json_extract(r.params, '$.\"tickets.target_density\"') > 0)", -1, &st, NULL) != SQLITE_OK)
        return fail_sql(s, "reading the tickets runs left");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double planned = sqlite3_column_double(st, 0), left = planned_trainings(st) - sqlite3_column_double(st, 8);
        // planned once already in left_flops (the plain runs' sum): the rest of the trainings
        o->left_flops += planned * (fmax(left, 0) - 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail_sql(s, "reading the tickets runs left");
}

// Tickets: levels and runs, and the FLOPs done and left corrected for every training of a level.
static int read_tickets(Store *s, StoreStatus *o) {
    if (!has_tickets(s)) return 0;
    double done_plain, ticket_flops;
    if (read_ticket_levels(s, o) != 0 || read_ticket_runs(s, o) != 0 ||
        read_real(s, "SELECT sum(planned_flops) FROM runs WHERE status IN ('done', 'diverged')"
                     " AND id NOT IN (SELECT run_id FROM tickets)", &done_plain) != 0 ||
        read_real(s, "SELECT sum(r.planned_flops * " TICKET_TRAININGS ") FROM tickets t JOIN runs r ON r.id = t.run_id",
                  &ticket_flops) != 0)
        return -1;
    if (isfinite(ticket_flops)) o->done_flops = (isfinite(done_plain) ? done_plain : 0) + ticket_flops;
    return isfinite(o->left_flops) ? read_ticket_left(s, o) : 0;
}

static int read_all(Store *s, StoreStatus *o) {
    double schema, launches;
    if (read_real(s, "PRAGMA user_version", &schema) != 0 || read_counts(s, -1, &o->all) != 0 || read_sweeps(s, o) != 0 ||
        read_problems(s, o) != 0 || read_real(s, "SELECT sum(wall_s) FROM launches", &o->used_s) != 0 ||
        read_real(s, "SELECT sum(planned_flops) FROM runs WHERE status IN ('done', 'diverged')", &o->done_flops) != 0 ||
        read_real(s, "SELECT sum(planned_flops) FROM runs WHERE status IN ('pending', 'running')", &o->left_flops) != 0 ||
        read_real(s, "SELECT count(*) FROM launches", &launches) != 0 || read_tickets(s, o) != 0)
        return -1;
    o->schema = (long)schema;
    o->launches = (long)launches;
    return 0;
}

int store_read_status(Store *s, StoreStatus *out) {
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    // One read transaction: every count from the same snapshot while a runner commits.
    int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? read_all(s, out) : fail_sql(s, "reading the status");
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->mu);
    if (rc != 0) store_status_free(out);
    return rc;
}

void store_status_free(StoreStatus *st) {
    for (int i = 0; i < st->n_sweeps; i++) { free(st->sweeps[i].name); free(st->sweeps[i].path); }
    for (int i = 0; i < st->n_problems; i++) { free(st->problems[i].hidden); free(st->problems[i].status); free(st->problems[i].error); }
    for (int i = 0; i < st->n_ticket_runs; i++) { free(st->ticket_runs[i].hidden); free(st->ticket_runs[i].status); }
    free(st->sweeps);
    free(st->problems);
    free(st->ticket_levels);
    free(st->ticket_runs);
    memset(st, 0, sizeof *st);
}

int store_sweep_first_error(Store *s, long sweep_id, char *out, size_t n) {
    out[0] = 0;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT r.error FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id"
                                       " WHERE sr.sweep_id = ? AND r.status = 'failed' AND r.error IS NOT NULL"
                                       " ORDER BY sr.position LIMIT 1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, sweep_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok) fail_sql(s, "reading why runs failed");
    pthread_mutex_unlock(&s->mu);
    return ok ? 0 : -1;
}

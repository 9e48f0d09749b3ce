#include "store/read_concepts.h"
#include "store/where.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/groups.h"
#include "store/store.h"
#include "store/world_signature.h"

struct ConceptReader {
    sqlite3 *db;
};

int concept_reader_open(const char *path, ConceptReader **r) {
    sqlite3 *db;
    *r = NULL;
    if (store_open_read(path, &db) != 0) return -1;
    *r = xmalloc(sizeof **r);
    (*r)->db = db;
    return 0;
}

void concept_reader_close(ConceptReader *r) {
    if (!r) return;
    sqlite3_close(r->db);
    free(r);
}

static int fail(ConceptReader *r, const char *what) { return jp_fail("%s: %s", what, sqlite3_errmsg(r->db)); }

static void run_from_row(sqlite3_stmt *st, ConceptRun *r) {
    r->id = sqlite3_column_int64(st, 0);
    r->n_params = sqlite3_column_int64(st, 1);
    r->width = sqlite3_column_int64(st, 2);
    r->depth = sqlite3_column_int64(st, 3);
    r->train_size = sqlite3_column_int64(st, 4);
    r->final_step = sqlite3_column_int64(st, 5);
    snprintf(r->task, sizeof r->task, "%s", (const char *)sqlite3_column_text(st, 6));
    r->C = sqlite3_column_int(st, 7);
    r->zipf = sqlite3_column_double(st, 8);
    r->manifold_dim = sqlite3_column_int64(st, 9);
    snprintf(r->world, sizeof r->world, "%s", (const char *)sqlite3_column_text(st, 10));
    snprintf(r->group, sizeof r->group, "%s", sqlite3_column_text(st, 11) ? (const char *)sqlite3_column_text(st, 11) : "");
}

int concept_reader_runs(ConceptReader *r, const char *sweep, const char *where, int at_best, ConceptRun **runs, int *n) {
    char sql[1400];
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.n_params, r.width, r.depth, COALESCE(r.train_size, 0), %s, r.task, "
             "json_extract(r.params, '$.\"world.concepts\"'), json_extract(r.params, '$.\"world.zipf\"'), "
             "json_extract(r.params, '$.\"world.manifold_dim\"'), "
             WORLD_SIGNATURE_SQL ", r.group_hash "
             "FROM runs r WHERE r.status = 'done' AND EXISTS (SELECT 1 FROM concepts c WHERE c.run_id = r.id) %s",
             at_best ? "COALESCE((SELECT CAST(value AS INTEGER) FROM summaries s WHERE s.run_id = r.id AND s.name = 'best_step'), "
                       "(SELECT max(step) FROM concepts c WHERE c.run_id = r.id))"
                     : "(SELECT max(step) FROM concepts c WHERE c.run_id = r.id)",
             sweep ? "AND r.id IN (SELECT sr.run_id FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE s.name = ?1)" : "");
    sqlite3_stmt *st;
    *n = 0;
    *runs = NULL;
    if (where_prepare(r->db, sql, where, " ORDER BY COALESCE(r.train_size, 0), r.n_params, r.group_hash, r.id", &st) != 0)
        return where ? -1 : fail(r, "reading runs");   // a bad --where: where_prepare named it
    if (sweep) sqlite3_bind_text(st, 1, sweep, -1, SQLITE_STATIC);
    int cap = 64, rc;
    *runs = xmalloc(sizeof(ConceptRun) * cap);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) *runs = xrealloc(*runs, sizeof(ConceptRun) * (cap *= 2));
        run_from_row(st, &(*runs)[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(r, "reading runs");
}

// A statement of sql with run_id bound to ?1; NULL on failure.
static sqlite3_stmt *prepare_run(ConceptReader *r, const char *sql, long run_id) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_int64(st, 1, run_id);
    return st;
}

static double column_or_nan(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

int concept_reader_metrics_at(ConceptReader *r, long run_id, long step, int C, double *loss, double *acc) {
    for (int c = 0; c < C; c++) loss[c] = acc[c] = NAN;
    sqlite3_stmt *st = prepare_run(r, "SELECT concept, loss, acc FROM concepts WHERE run_id = ?1 AND step = ?2", run_id);
    if (!st) return fail(r, "reading concept metrics");
    sqlite3_bind_int64(st, 2, step);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int c = sqlite3_column_int(st, 0);
        if (c < 0 || c >= C) continue;
        loss[c] = column_or_nan(st, 1);
        acc[c] = column_or_nan(st, 2);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(r, "reading concept metrics");
}

int concept_reader_first_under(ConceptReader *r, long run_id, double threshold, int C, double *first) {
    for (int c = 0; c < C; c++) first[c] = NAN;
    sqlite3_stmt *st = prepare_run(r, "SELECT concept, min(step) FROM concepts WHERE run_id = ?1 AND loss < ?2 GROUP BY concept",
                                   run_id);
    if (!st) return fail(r, "reading concept metrics");
    sqlite3_bind_double(st, 2, threshold);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int c = sqlite3_column_int(st, 0);
        if (c >= 0 && c < C) first[c] = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(r, "reading concept metrics");
}

int concept_reader_probe_means(ConceptReader *r, long run_id, const char *const *names, int n, double *mean) {
    for (int i = 0; i < n; i++) mean[i] = NAN;
    sqlite3_stmt *st = prepare_run(r, "SELECT name, avg(value) FROM metrics WHERE run_id = ?1 AND split = 'probe' AND step > 0 "
                                   "GROUP BY name", run_id);
    if (!st) return fail(r, "reading concept metrics");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        for (int i = 0; i < n; i++)
            if (!strcmp((const char *)sqlite3_column_text(st, 0), names[i])) mean[i] = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(r, "reading concept metrics");
}

int concept_reader_injection(ConceptReader *r, long run_id, ConceptInjection *inj) {
    *inj = (ConceptInjection){ .task = -1 };
    sqlite3_stmt *st = prepare_run(r,
        "SELECT json_extract(r.params, '$.\"injection.task\"'), json_extract(r.params, '$.\"injection.share\"'), "
        "(SELECT value FROM summaries s WHERE s.run_id = r.id AND s.name = 'injection_start'), "
        "(SELECT value FROM summaries s WHERE s.run_id = r.id AND s.name = 'injection_end'), "
        "(SELECT value FROM summaries s WHERE s.run_id = r.id AND s.name = 'return_end') "
        "FROM runs r WHERE r.id = ?1", run_id);
    if (!st) return fail(r, "reading a run's injection");
    int rc = sqlite3_step(st);
    int complete = rc == SQLITE_ROW;
    for (int i = 0; i < 5 && complete; i++) complete = sqlite3_column_type(st, i) != SQLITE_NULL;
    if (complete) {   // runs without an injection, or from before it, have none of these
        inj->task = sqlite3_column_int(st, 0);
        inj->share = sqlite3_column_double(st, 1);
        inj->start = sqlite3_column_int64(st, 2);
        inj->end = sqlite3_column_int64(st, 3);
        inj->ret = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(r, "reading a run's injection");
}

int concept_reader_group_labels(ConceptReader *r, const char (*hashes)[17], int n, char (*labels)[128], char *mixed,
                                size_t mixed_len) {
    GroupDiff d;
    if (group_diff_load(r->db, hashes, n, &d) != 0) return -1;
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov, all[d.n_fields + 1];
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_D, conf, &n_conf, cov, &n_cov);
    int n_all = group_diff_fields_off(&d, GROUP_AXIS_N | GROUP_AXIS_D, all);
    for (int g = 0; g < n; g++) group_diff_label(&d, group_diff_index(&d, hashes[g]), all, n_all, labels[g], sizeof labels[g]);
    mixed[0] = 0;
    if (n_conf) group_diff_describe(&d, conf, n_conf, mixed, mixed_len);
    group_diff_free(&d);
    return 0;
}

#include "store/world_signature.h"   // moves into src/store with the queries (issue 14)
#include "concepts/study.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "data/world.h"
#include "stats/describe.h"
#include "store/groups.h"
#include "store/store.h"

double quanta_alpha_N(double s) { return s - 1.0; }
double quanta_alpha_D(double s) { return (s - 1.0) / s; }

typedef struct {
    long id, n_params, width, depth, train_size, final_step, manifold_dim;
    int C;
    double zipf;
    char task[32];
    char world[512];   // every world.* field but the data size: equal for runs of one world
    char group[17];    // the run's group hash: runs equal but for their seeds
} RunRow;

static int fail(sqlite3 *db, char *err, size_t errlen, const char *what) {
    snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "");
    return -1;
}

static int load_runs(sqlite3 *db, const char *sweep, int at_best, RunRow **out, int *n, char *err, size_t errlen) {
    char sql[1400];
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.n_params, r.width, r.depth, COALESCE(r.train_size, 0), %s, r.task, "
             "json_extract(r.params, '$.\"world.concepts\"'), json_extract(r.params, '$.\"world.zipf\"'), "
             "json_extract(r.params, '$.\"world.manifold_dim\"'), "
             WORLD_SIGNATURE_SQL ", r.group_hash "
             "FROM runs r WHERE r.status = 'done' AND EXISTS (SELECT 1 FROM concepts c WHERE c.run_id = r.id) %s "
             "ORDER BY COALESCE(r.train_size, 0), r.n_params, r.group_hash, r.id",
             at_best ? "COALESCE((SELECT CAST(value AS INTEGER) FROM summaries s WHERE s.run_id = r.id AND s.name = 'best_step'), "
                       "(SELECT max(step) FROM concepts c WHERE c.run_id = r.id))"
                     : "(SELECT max(step) FROM concepts c WHERE c.run_id = r.id)",
             sweep ? "AND r.id IN (SELECT sr.run_id FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE s.name = ?1)" : "");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return fail(db, err, errlen, "reading runs");
    if (sweep) sqlite3_bind_text(st, 1, sweep, -1, SQLITE_STATIC);
    int cap = 64;
    *n = 0;
    *out = xmalloc(sizeof(RunRow) * cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) *out = xrealloc(*out, sizeof(RunRow) * (cap *= 2));
        RunRow *r = &(*out)[(*n)++];
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
    sqlite3_finalize(st);
    return 0;
}

// One run's per-concept final metrics, first steps under the threshold, and probe means.
static int load_run(sqlite3 *db, const RunRow *r, int C, double threshold, double *loss, double *acc, double *first,
                    double probe[PROBE_METRICS]) {
    sqlite3_stmt *st;
    for (int c = 0; c < C; c++) { loss[c] = acc[c] = first[c] = NAN; }
    if (sqlite3_prepare_v2(db, "SELECT concept, loss, acc FROM concepts WHERE run_id = ? AND step = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->final_step);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int c = sqlite3_column_int(st, 0);
        if (c < 0 || c >= C) continue;
        loss[c] = sqlite3_column_type(st, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 1);
        acc[c] = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT concept, min(step) FROM concepts WHERE run_id = ? AND loss < ? GROUP BY concept",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_double(st, 2, threshold);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int c = sqlite3_column_int(st, 0);
        if (c >= 0 && c < C) first[c] = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
    for (int i = 0; i < PROBE_METRICS; i++) probe[i] = NAN;
    if (sqlite3_prepare_v2(db, "SELECT name, avg(value) FROM metrics WHERE run_id = ? AND split = 'probe' AND step > 0 GROUP BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < PROBE_METRICS; i++)
            if (!strcmp((const char *)sqlite3_column_text(st, 0), probe_metric_names[i])) probe[i] = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    return 0;
}

// Each size's settings besides N and D that differ between the sizes, and what differs at
// equal N and D (st->mixed). Sizes follow the rows' group order. Unreadable params leave the
// labels empty: the study itself stands.
static void label_sizes(sqlite3 *db, const RunRow *rows, int n, ConceptStudy *st) {
    char (*keys)[17] = xmalloc(sizeof *keys * (n ? n : 1)), err[256];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(rows[i].group, rows[i - 1].group)) snprintf(keys[k++], 17, "%s", rows[i].group);
    GroupDiff d;
    if (k < 2 || group_diff_load(db, (const char (*)[17])keys, k, &d, err, sizeof err) != 0) { free(keys); return; }
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov, all[d.n_fields + 1];
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_D, conf, &n_conf, cov, &n_cov);
    int n_all = group_diff_fields_off(&d, GROUP_AXIS_N | GROUP_AXIS_D, all);
    for (int s = 0; s < st->n_sizes && s < k; s++)
        group_diff_label(&d, group_diff_index(&d, keys[s]), all, n_all, st->size[s].label, sizeof st->size[s].label);
    if (n_conf) group_diff_describe(&d, conf, n_conf, st->mixed, sizeof st->mixed);
    group_diff_free(&d);
    free(keys);
}

static void size_init(ConceptSize *z, const RunRow *r, int runs, int C) {
    *z = (ConceptSize){ .n_params = r->n_params, .width = r->width, .depth = r->depth, .train_size = r->train_size };
    z->run_loss = xcalloc(runs, sizeof(double));
    z->run_learned = xcalloc(runs, sizeof(double));
    z->run_probe = xcalloc(runs, sizeof *z->run_probe);
    z->acc = xcalloc(C, sizeof(double));
    z->loss = xcalloc(C, sizeof(double));
    z->learned_frac = xcalloc(C, sizeof(double));
    z->learn_step = xcalloc(C, sizeof(double));
}

int concept_study_load(const char *path, const char *sweep, double threshold, int at_best, ConceptStudy *st, char *err,
                       size_t errlen) {
    memset(st, 0, sizeof *st);
    st->threshold = threshold;
    st->at_best = at_best;
    snprintf(st->source, sizeof st->source, "%s%s%s", path, sweep ? " sweep " : "", sweep ? sweep : "");
    sqlite3 *db;
    if (store_open_read(path, &db, err, errlen) != 0) return -1;
    RunRow *rows = NULL;
    int n = 0;
    if (load_runs(db, sweep, at_best, &rows, &n, err, errlen) != 0) { sqlite3_close(db); free(rows); return -1; }
    if (n == 0) {
        snprintf(err, errlen, "%s: no finished runs with per-concept metrics (toy-world tasks)%s", st->source,
                 sweep ? " in this sweep" : "");
        sqlite3_close(db); free(rows);
        return -1;
    }
    for (int i = 1; i < n; i++)
        if (strcmp(rows[i].task, rows[0].task) || strcmp(rows[i].world, rows[0].world)) {
            snprintf(err, errlen, "%s: runs of several toy worlds (%s %.200s; and %s %.200s); choose one with --sweep",
                     st->source, rows[0].task, rows[0].world, rows[i].task, rows[i].world);
            sqlite3_close(db); free(rows);
            return -1;
        }
    int C = st->C = rows[0].C;
    st->zipf = rows[0].zipf;
    snprintf(st->task, sizeof st->task, "%s", rows[0].task);
    st->regression = !strcmp(st->task, "teacher-student") || !strcmp(st->task, "manifold");
    st->manifold_dim = !strcmp(st->task, "manifold") ? rows[0].manifold_dim : 0;
    st->p = xmalloc(sizeof(double) * C);
    zipf_frequencies(st->zipf, C, st->p);
    st->size = xcalloc(n, sizeof(ConceptSize));
    double *loss = xmalloc(sizeof(double) * C * 3), *acc = loss + C, *first = loss + 2 * C;
    double *steps = xmalloc(sizeof(double) * (size_t)n * C * 3);   // [run in size][C] first steps, for medians
    double *accs = steps + (size_t)n * C, *losses = accs + (size_t)n * C;   // [run in size][C]
    int rc = 0;
    for (int i = 0; i < n && rc == 0;) {
        int j = i;
        // a "size" is a group of runs equal but for their seeds (other budgets or rates are other rows)
        while (j < n && !strcmp(rows[j].group, rows[i].group)) j++;
        ConceptSize *z = &st->size[st->n_sizes++];
        size_init(z, &rows[i], j - i, C);
        for (int k = i; k < j && rc == 0; k++) {
            int m = z->n_runs++;
            if (load_run(db, &rows[k], C, threshold, loss, acc, first, z->run_probe[m]) != 0) {
                rc = fail(db, err, errlen, "reading concept metrics");
                break;
            }
            for (int c = 0; c < C; c++) {
                z->run_loss[m] += st->p[c] * loss[c];
                z->run_learned[m] += loss[c] < threshold;
                accs[(size_t)m * C + c] = acc[c];
                losses[(size_t)m * C + c] = loss[c];
                z->learned_frac[c] += (loss[c] < threshold) / (double)(j - i);
                steps[(size_t)m * C + c] = loss[c] < threshold ? first[c] : NAN;
            }
        }
        for (int c = 0; c < C; c++) {   // means over the runs that have the concept's row (NaN skipped)
            double a[z->n_runs], l[z->n_runs];
            for (int m = 0; m < z->n_runs; m++) { a[m] = accs[(size_t)m * C + c]; l[m] = losses[(size_t)m * C + c]; }
            z->acc[c] = mean_finite(a, z->n_runs);
            z->loss[c] = mean_finite(l, z->n_runs);
        }
        for (int i = 0; i < PROBE_METRICS; i++) {
            double v[z->n_runs];
            for (int m = 0; m < z->n_runs; m++) v[m] = z->run_probe[m][i];
            z->probe_mean[i] = mean_finite(v, z->n_runs);
            z->probe_sd[i] = sd_finite(v, z->n_runs);
        }
        for (int c = 0; c < C; c++) {   // median first step over the runs that learned c
            double v[z->n_runs];
            int k = 0;
            for (int m = 0; m < z->n_runs; m++)
                if (isfinite(steps[(size_t)m * C + c])) v[k++] = steps[(size_t)m * C + c];
            gsl_sort(v, 1, k);
            z->learn_step[c] = k ? gsl_stats_median_from_sorted_data(v, 1, k) : NAN;
        }
        i = j;
    }
    free(loss);
    free(steps);
    if (rc == 0) label_sizes(db, rows, n, st);
    free(rows);
    sqlite3_close(db);
    if (rc != 0) concept_study_free(st);
    return rc;
}

void concept_study_free(ConceptStudy *st) {
    for (int i = 0; i < st->n_sizes; i++) {
        ConceptSize *z = &st->size[i];
        free(z->run_loss); free(z->run_learned); free(z->run_probe);
        free(z->acc); free(z->loss); free(z->learned_frac); free(z->learn_step);
    }
    free(st->size);
    free(st->p);
    memset(st, 0, sizeof *st);
}

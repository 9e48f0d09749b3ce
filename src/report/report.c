#include "store/world_signature.h"   // moves into src/store with the queries (issue 14)
#include "report/report.h"

#include <ctype.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/xalloc.h"
#include "report/sections.h"
#include "store/where.h"
#include "store/groups.h"
#include "store/store.h"

double sql_number(sqlite3 *db, const char *sql, const char *text_arg) {
    sqlite3_stmt *st;
    double v = NAN;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return NAN;
    if (text_arg) sqlite3_bind_text(st, 1, text_arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

long sql_long(sqlite3 *db, const char *sql, const char *text_arg) {
    double v = sql_number(db, sql, text_arg);
    return isfinite(v) ? (long)v : 0;
}

void size_label(double N, char *out, size_t n) {
    if (N >= 1e6) snprintf(out, n, "%.3gM", N / 1e6);
    else if (N >= 1e3) snprintf(out, n, "%.3gk", N / 1e3);
    else snprintf(out, n, "%.0f", N);
}

void task_section(const TaskView *v, const char *kind, const char *heading, const char *intro) {
    char id[96], text[160];
    snprintf(id, sizeof id, "%s-%s", kind, v->tag);
    snprintf(text, sizeof text, "%s: %s", heading, v->task);
    report_section(v->r, id, text, intro);
}

static void overview(Report *r, sqlite3 *db) {
    report_section(r, "overview", "Overview", "What the database holds: sweeps, runs by status, and tasks.");
    fprintf(r->html, "</div><table><tr><th>sweep</th><th>created</th><th>runs</th><th>done</th><th>failed</th><th>diverged</th></tr>\n");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT s.name, s.created, count(*), sum(r.status = 'done'), sum(r.status = 'failed'),"
                               " sum(r.status = 'diverged') FROM sweeps s JOIN sweep_runs sr ON sr.sweep_id = s.id"
                               " JOIN runs r ON r.id = sr.run_id GROUP BY s.id ORDER BY s.id", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(r->html, "<tr><td>");
            html_escaped(r->html, (const char *)sqlite3_column_text(st, 0));
            fprintf(r->html, "</td><td>");
            html_escaped(r->html, (const char *)sqlite3_column_text(st, 1));
            fprintf(r->html, "</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>\n", sqlite3_column_int(st, 2),
                    sqlite3_column_int(st, 3), sqlite3_column_int(st, 4), sqlite3_column_int(st, 5));
        }
        sqlite3_finalize(st);
    }
    fprintf(r->html, "</table><div>\n");
    report_section_end(r);
}

// The groups that stand for each distinct setting of the fields conf, in ascending order of
// the settings: first[i] is a group of the i-th setting. Returns how many settings.
static int distinct_settings(const GroupDiff *d, const int *conf, int n_conf, int *first) {
    char (*seen)[160] = xmalloc(sizeof *seen * d->n_groups), label[160];
    int n_seen = 0, order[d->n_groups];
    group_diff_order(d, conf, n_conf, order);
    for (int o = 0; o < d->n_groups; o++) {
        group_diff_label(d, order[o], conf, n_conf, label, sizeof label);
        int s = 0;
        while (s < n_seen && strcmp(seen[s], label)) s++;
        if (s < n_seen) continue;
        memcpy(seen[n_seen], label, sizeof label);
        first[n_seen++] = order[o];
    }
    free(seen);
    return n_seen;
}

// One IsoFLOP profile set over all of the task's runs.
static void whole_task_iso(TaskView *v, const TaskView *base) {
    v->n_iso = 1;
    v->iso_where[0] = sqlite3_mprintf("%s", base->where_task);
    snprintf(v->iso_label[0], sizeof v->iso_label[0], "%s", base->task);
}

// The views of one task (and world): one, or one per setting when its groups differ in more
// than N and D at equal N and D (two learning rates: never pooled as seeds of one size), each
// headed by what sets it apart; and the IsoFLOP split (N and the budget vary there) in the first.
// Returns the views written to out (at least 1, at most room).
static int split_views(Report *r, sqlite3 *db, const TaskView *base, TaskView *out, int room) {
    out[0] = *base;
    out[0].n_iso = 0;
    GroupDiff d;
    char err[512];
    if (group_diff_load_where(db, base->where_task, &d, err, sizeof err) != 0) {
        report_note(r, "%s: %s", base->task, err);
        whole_task_iso(&out[0], base);
        return 1;
    }
    int conf[d.n_fields + 1], cov[d.n_fields + 1], n_conf, n_cov, n = 1;
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_D, conf, &n_conf, cov, &n_cov);
    char what[1024], label[160], where[1200];
    if (n_cov) {
        group_diff_describe(&d, cov, n_cov, what, sizeof what);
        report_note(r, "%s: %s change with the model or data size (set per size); the laws absorb them.", base->task, what);
    }
    if (n_conf) {
        group_diff_describe(&d, conf, n_conf, what, sizeof what);
        int first[d.n_groups], n_seen = distinct_settings(&d, conf, n_conf, first);   // one view per setting
        n = 0;
        for (int i = 0; i < n_seen && n < room; i++) {
            int g = first[i];
            group_diff_label(&d, g, conf, n_conf, label, sizeof label);
            TaskView *v = &out[n++];
            *v = *base;
            group_diff_where(&d, g, conf, n_conf, where, sizeof where);
            snprintf(v->where_task, sizeof v->where_task, "%.1700s AND %.1200s", base->where_task, where);
            snprintf(v->task, sizeof v->task, "%.40s, %.50s", base->task, label);
            size_t k = strlen(v->tag);
            snprintf(v->tag + k, sizeof v->tag - k, "_c%d", n);
        }
        report_note(r, "%s: its groups of runs differ in %s at equal model and data sizes: each setting is drawn on its own "
                    "below, never pooled as seeds%s.", base->task, what,
                    n_seen > n ? " (only the first ones: choose others with jackpot report --where)" : "");
        for (int t = 1; t < n; t++) out[t].n_iso = 0;
    }
    // IsoFLOP profiles span budgets: split by what differs at equal N and budget
    group_diff_split(&d, GROUP_AXIS_N | GROUP_AXIS_BUDGET, conf, &n_conf, cov, &n_cov);
    if (n_conf) {
        int first[d.n_groups], n_seen = distinct_settings(&d, conf, n_conf, first);
        for (int i = 0; i < n_seen && out[0].n_iso < 4; i++) {
            int g = first[i];
            group_diff_label(&d, g, conf, n_conf, label, sizeof label);
            group_diff_where(&d, g, conf, n_conf, where, sizeof where);
            out[0].iso_where[out[0].n_iso] = sqlite3_mprintf("%s AND %s", base->where_task, where);
            snprintf(out[0].iso_label[out[0].n_iso++], sizeof label, "%.60s, %.90s", base->task, label);
        }
    } else {
        whole_task_iso(&out[0], base);
    }
    group_diff_free(&d);
    return n;
}

int report_write(const ReportOptions *o, char *summary, size_t summary_len, char *err, size_t errlen) {
    sqlite3 *db;
    if (store_open_read(o->db, &db, err, errlen) != 0) return -1;
    if (sqlite3_exec(db, "SELECT count(*) FROM runs", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: not a jackpot database (%s)", o->db, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    Report r;
    char subtitle[1200];
    snprintf(subtitle, sizeof subtitle, "From %s: %ld finished runs. Drawn by jackpot report with gnuplot; "
             "intervals are 95%% bootstrap intervals (%d resamples).", o->db,
             sql_long(db, "SELECT count(*) FROM runs WHERE status IN ('done', 'diverged')", NULL), o->n_boot);
    if (report_open(&r, o->out, "jackpot report", subtitle, err, errlen) != 0) { sqlite3_close(db); return -1; }
    fprintf(r.html, "<nav><a href=\"#overview\">overview</a><a href=\"#scaling\">scaling laws</a>"
                    "<a href=\"#curves\">learning curves</a><a href=\"#seeds\">across seeds</a>"
                    "<a href=\"#tickets\">lottery tickets</a><a href=\"#concepts\">concepts</a>"
                    "<a href=\"#fits\">fitted parameters</a></nav>\n");
    overview(&r, db);

    // Scaling, learning curves and seeds, for each task and toy world (the one with the most runs first):
    // runs of different worlds never share a law, a curve or a seed group. Within one, groups of runs
    // that differ in more than N and D (two learning rates) are views of their own (split_views).
    // the user's selection, as SQL on runs r: --sweep and --where (each may be absent)
    char *filter = o->sweep ? sqlite3_mprintf("r.id IN (SELECT run_id FROM sweep_runs JOIN sweeps ON sweeps.id = sweep_id"
                                              " WHERE sweeps.name = %Q)", o->sweep)
                            : sqlite3_mprintf("1");
    sqlite3_stmt *st;
    enum { MAX_VIEWS = 12 };
    TaskView views[MAX_VIEWS];
    char names[MAX_VIEWS][32];   // each world's task name
    int n_tasks = 0;
    // The --where is checked here, once, by the rules every analysis applies (store/where.h:
    // one read-only expression); the views then splice the same text into their queries.
    char *sql = sqlite3_mprintf("SELECT r.task, " WORLD_SIGNATURE_SQL " AS w FROM runs r WHERE r.status = 'done'"
                                " AND r.task IS NOT NULL AND (%s)", filter);
    char why[1024];
    if (where_prepare(db, sql, o->where, " GROUP BY r.task, w ORDER BY count(*) DESC", &st, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", o->db, why);
        sqlite3_free(sql); sqlite3_free(filter); sqlite3_close(db);
        report_close(&r);
        return -1;
    }
    sqlite3_free(sql);
    if (o->where) { char *f2 = sqlite3_mprintf("%s AND (%s)", filter, o->where); sqlite3_free(filter); filter = f2; }
    int n_worlds = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n_tasks < MAX_VIEWS) {
        const char *task = (const char *)sqlite3_column_text(st, 0), *world = (const char *)sqlite3_column_text(st, 1);
        TaskView base = { .r = &r, .db = db, .db_path = o->db, .n_boot = o->n_boot, .unit = o->unit,
                          .metric = o->metric ? o->metric : "final_test_loss" };
        snprintf(names[n_worlds], sizeof names[0], "%.31s", task);
        int same = 0;   // earlier worlds of the same task: this is its world number same + 1
        for (int t = 0; t < n_worlds; t++) same += !strcmp(names[t], names[n_worlds]);
        char *where = sqlite3_mprintf("r.task = '%q' AND " WORLD_SIGNATURE_SQL " = '%q' AND %s", task, world, filter);
        snprintf(base.where_task, sizeof base.where_task, "%s", where);
        sqlite3_free(where);
        size_t k = 0;
        for (const char *p = task; *p && k + 6 < sizeof base.tag; p++) base.tag[k++] = isalnum((unsigned char)*p) ? *p : '_';
        base.tag[k] = 0;
        if (same) {
            snprintf(base.tag + k, sizeof base.tag - k, "_w%d", same + 1);
            snprintf(base.task, sizeof base.task, "%.40s, world %d", task, same + 1);
            report_note(&r, "%s is %s (%.300s).", base.task, task, world);
        } else {
            snprintf(base.task, sizeof base.task, "%.40s", task);
        }
        n_tasks += split_views(&r, db, &base, views + n_tasks, MAX_VIEWS - n_tasks);
        n_worlds++;
    }
    sqlite3_finalize(st);
    sqlite3_free(filter);
    for (int t = 0; t < n_tasks; t++) {
        TaskView *v = &views[t];
        char *sql = sqlite3_mprintf("SELECT COALESCE(r.train_size, 0) AS d, count(DISTINCT r.n_params) AS k FROM runs r"
                                    " WHERE r.status = 'done' AND %s GROUP BY d ORDER BY k DESC, d DESC LIMIT 1", v->where_task);
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
            if (sqlite3_step(q) == SQLITE_ROW) { v->d_star = sqlite3_column_int64(q, 0); v->n_sizes_at_d = sqlite3_column_int(q, 1); }
            sqlite3_finalize(q);
        }
        sqlite3_free(sql);
        size_t n = strlen(v->where_task);   // where_task fits: where_d is the larger buffer
        memcpy(v->where_d, v->where_task, n);
        snprintf(v->where_d + n, sizeof v->where_d - n, " AND COALESCE(r.train_size, 0) = %ld", v->d_star);
    }
    fprintf(r.html, "<div id=\"scaling\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_scaling(&views[t]);
    fprintf(r.html, "<div id=\"curves\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_curves(&views[t]);
    fprintf(r.html, "<div id=\"seeds\"></div>\n");
    for (int t = 0; t < n_tasks; t++) section_seeds(&views[t]);
    if (n_tasks == 0) report_note(&r, "No finished runs yet: run a sweep (jackpot run CONFIG --db %s) first.", o->db);
    for (int t = 0; t < n_tasks; t++)
        for (int i = 0; i < views[t].n_iso; i++) sqlite3_free(views[t].iso_where[i]);
    section_tickets(&r, db);
    section_concepts(&r, db, o->db, o->sweep, o->concept_threshold);
    sqlite3_close(db);
    snprintf(summary, summary_len, "%s", r.summary);
    int rc = report_close(&r);
    if (rc != 0) snprintf(err, errlen, "%s", r.error);
    return rc == 0 ? 0 : 1;
}

#include "store/read_report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "store/where.h"
#include "store/world_signature.h"

struct ReportDb {
    sqlite3 *h;
    char *path;
    char *sweep, *where;   // the user's selection (report_db_select; NULL: all runs)
    char *sel;             // --sweep as SQL on runs r ("1" without one)
    char *group;           // --group-by's field as SQL on runs r (NULL: none)
};

int report_db_open(const char *path, ReportDb **db) {
    *db = NULL;
    sqlite3 *h;
    if (store_open_read(path, &h) != 0) return -1;
    if (sqlite3_exec(h, "SELECT count(*) FROM runs", NULL, NULL, NULL) != SQLITE_OK) {
        jp_fail("%s: not a jackpot database (%s)", path, sqlite3_errmsg(h));
        sqlite3_close(h);
        return -1;
    }
    *db = xmalloc(sizeof **db);
    (*db)->h = h;
    (*db)->path = xstrdup(path);
    (*db)->sweep = (*db)->where = (*db)->group = NULL;
    (*db)->sel = xstrdup("1");
    return 0;
}

void report_db_close(ReportDb *db) {
    if (!db) return;
    sqlite3_close(db->h);
    free(db->path);
    free(db->sweep);
    free(db->where);
    free(db->sel);
    free(db->group);
    free(db);
}

static char *text_or_empty(sqlite3_stmt *st, int col) {
    const char *t = (const char *)sqlite3_column_text(st, col);
    return xstrdup(t ? t : "");
}

// The user's selection as SQL on runs r: --sweep (or "1"), without the --where.
static char *selection(const char *sweep) {
    char *s = sweep ? sqlite3_mprintf("r.id IN (SELECT run_id FROM sweep_runs JOIN sweeps ON sweeps.id = sweep_id"
                                      " WHERE sweeps.name = %Q)", sweep)
                    : sqlite3_mprintf("1");
    char *copy = xstrdup(s);
    sqlite3_free(s);
    return copy;
}

// head (a query of runs r ending in its WHERE clause) narrowed to the selection, then tail.
static int prepare_selected(ReportDb *db, const char *head, const char *tail, sqlite3_stmt **st) {
    char *sql = xasprintf("%s AND %s", head, db->sel);
    int rc = where_prepare(db->h, sql, db->where, tail, st);
    free(sql);
    return rc;
}

int report_db_select(ReportDb *db, const char *sweep, const char *where) {
    sqlite3_stmt *st;
    if (where_prepare(db->h, "SELECT 1 FROM runs r WHERE 1", where, NULL, &st) != 0) return jp_fail("%s: %s", db->path, jp_error());
    sqlite3_finalize(st);
    free(db->sel);
    free(db->sweep);
    free(db->where);
    db->sel = selection(sweep);
    db->sweep = sweep ? xstrdup(sweep) : NULL;
    db->where = where ? xstrdup(where) : NULL;
    return 0;
}

// The one integer a query of runs r gives within the selection (a count); 0 when none or it fails.
static long count_selected(ReportDb *db, const char *head) {
    sqlite3_stmt *st;
    long n = 0;
    if (prepare_selected(db, head, NULL, &st) != 0) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

// The one integer a query gives (a count); 0 when it gives none or fails.
static long count_of(ReportDb *db, const char *sql) {
    sqlite3_stmt *st;
    long n = 0;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

long report_db_finished_runs(ReportDb *db) {
    return count_selected(db, "SELECT count(*) FROM runs r WHERE r.status IN ('done', 'diverged')");
}

int report_db_sweeps(ReportDb *db, ReportSweeps *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    char *only = sqlite3_mprintf("s.name = %Q", db->sweep);
    char *head = xasprintf("SELECT s.name, s.created, count(*), sum(r.status = 'done'), sum(r.status = 'failed'),"
                           " sum(r.status = 'diverged') FROM sweeps s JOIN sweep_runs sr ON sr.sweep_id = s.id"
                           " JOIN runs r ON r.id = sr.run_id WHERE %s", db->sweep ? only : "1");
    int rc = prepare_selected(db, head, " GROUP BY s.id ORDER BY s.id", &st);
    sqlite3_free(only);
    free(head);
    if (rc != 0) return jp_fail("reading the sweeps: %s", jp_error());
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->sweep = xrealloc_array(out->sweep, (size_t)(cap = cap ? 2 * cap : 16), sizeof *out->sweep);
        out->sweep[out->n++] = (ReportSweep){ .name = text_or_empty(st, 0), .created = text_or_empty(st, 1),
                                              .runs = sqlite3_column_int(st, 2), .done = sqlite3_column_int(st, 3),
                                              .failed = sqlite3_column_int(st, 4), .diverged = sqlite3_column_int(st, 5) };
    }
    sqlite3_finalize(st);
    return 0;
}

void report_sweeps_free(ReportSweeps *s) {
    for (int i = 0; i < s->n; i++) { free(s->sweep[i].name); free(s->sweep[i].created); }
    free(s->sweep);
    memset(s, 0, sizeof *s);
}

int report_db_worlds(ReportDb *db, const char *sweep, const char *where, ReportWorlds *out) {
    memset(out, 0, sizeof *out);
    char *filter = selection(sweep);
    // The --where is checked here, once, by the rules every analysis applies (store/where.h:
    // one read-only expression); the views then splice the same text into their conditions.
    char *sql = sqlite3_mprintf("SELECT r.task, " WORLD_SIGNATURE_SQL " AS w FROM runs r WHERE r.status = 'done'"
                                " AND r.task IS NOT NULL AND (%s)", filter);
    sqlite3_stmt *st;
    int rc = where_prepare(db->h, sql, where, " GROUP BY r.task, w ORDER BY count(*) DESC", &st);
    sqlite3_free(sql);
    if (rc != 0) {
        free(filter);
        return jp_fail("%s: %s", db->path, jp_error());
    }
    if (where) {
        char *f2 = xasprintf("%s AND (%s)", filter, where);
        free(filter);
        filter = f2;
    }
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->world = xrealloc_array(out->world, (size_t)(cap = cap ? 2 * cap : 8), sizeof *out->world);
        ReportWorld *w = &out->world[out->n++];
        w->task = text_or_empty(st, 0);
        w->world = text_or_empty(st, 1);
        char *cond = sqlite3_mprintf("r.task = '%q' AND " WORLD_SIGNATURE_SQL " = '%q' AND %s", w->task, w->world, filter);
        w->cond = xstrdup(cond);
        sqlite3_free(cond);
    }
    sqlite3_finalize(st);
    free(filter);
    return 0;
}

void report_worlds_free(ReportWorlds *w) {
    for (int i = 0; i < w->n; i++) { free(w->world[i].task); free(w->world[i].world); free(w->world[i].cond); }
    free(w->world);
    memset(w, 0, sizeof *w);
}

int report_db_groups(ReportDb *db, const char *cond, GroupDiff *d) { return group_diff_load_where(db->h, cond, d); }

char *report_cond_group(const char *cond, const GroupDiff *d, int g, const int *fields, int n) {
    char where[1200];
    group_diff_where(d, g, fields, n, where, sizeof where);
    return xasprintf("%s AND %s", cond, where);
}

char *report_cond_world_zipf(const char *cond, double zipf) {
    return xasprintf("(%s) AND json_extract(r.params, '$.\"world.zipf\"') = %.17g", cond ? cond : "1", zipf);
}

char *report_cond_train_size(const char *cond, long train_size) {
    return xasprintf("%s AND COALESCE(r.train_size, 0) = %ld", cond, train_size);
}

char *report_cond_model_size(const char *cond, long n_params) {
    return xasprintf("%s AND r.n_params = %ld AND r.train_size > 0", cond, n_params);
}

// The first row of a two-column query: a size and a count (0 and 0 when none).
static void size_and_count(ReportDb *db, const char *sql, long *size, int *count) {
    *size = 0;
    *count = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *size = sqlite3_column_int64(st, 0);
        *count = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
}

void report_db_most_sizes_at_d(ReportDb *db, const char *cond, long *train_size, int *n_sizes) {
    char *sql = xasprintf("SELECT COALESCE(r.train_size, 0) AS d, count(DISTINCT r.n_params) AS k FROM runs r"
                          " WHERE r.status = 'done' AND %s GROUP BY d ORDER BY k DESC, d DESC LIMIT 1", cond);
    size_and_count(db, sql, train_size, n_sizes);
    free(sql);
}

void report_db_most_sizes_at_n(ReportDb *db, const char *cond, long *n_params, int *n_sizes) {
    char *sql = xasprintf("SELECT r.n_params, count(DISTINCT r.train_size) AS k FROM runs r WHERE r.status = 'done'"
                          " AND %s AND r.train_size > 0 GROUP BY r.n_params ORDER BY k DESC, r.n_params DESC LIMIT 1", cond);
    size_and_count(db, sql, n_params, n_sizes);
    free(sql);
}

int report_db_curves(ReportDb *db, const char *cond, ReportCurves *out) {
    memset(out, 0, sizeof *out);
    char *sql = xasprintf("SELECT r.n_params, m.step, avg(m.flops), avg(m.value), count(*) FROM metrics m JOIN runs r ON r.id = m.run_id"
                          " WHERE r.status = 'done' AND %s AND m.split = 'test' AND m.name = 'loss' GROUP BY r.n_params, m.step"
                          " ORDER BY r.n_params, m.step", cond);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK) return jp_fail("reading the learning curves: %s", sqlite3_errmsg(db->h));
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->point = xrealloc_array(out->point, (size_t)(cap = cap ? 2 * cap : 256), sizeof *out->point);
        out->point[out->n++] = (ReportCurvePoint){ .n_params = sqlite3_column_int64(st, 0), .step = sqlite3_column_int64(st, 1),
                                                   .flops = sqlite3_column_double(st, 2), .loss = sqlite3_column_double(st, 3),
                                                   .runs = sqlite3_column_int(st, 4) };
    }
    sqlite3_finalize(st);
    return 0;
}

void report_curves_free(ReportCurves *c) {
    free(c->point);
    memset(c, 0, sizeof *c);
}

long report_db_ticket_rows(ReportDb *db) {
    if (count_of(db, "SELECT count(*) FROM sqlite_master WHERE name = 'tickets'") == 0) return 0;
    return count_selected(db, "SELECT count(*) FROM tickets t JOIN runs r ON r.id = t.run_id WHERE 1");
}

int report_db_ticket_levels(ReportDb *db, ReportTicketLevels *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (prepare_selected(db, "SELECT t.variant, t.level, avg(t.density), avg(t.best_test_acc), avg(t.best_step), count(*),"
                             " avg(t.best_test_acc * t.best_test_acc) FROM tickets t JOIN runs r ON r.id = t.run_id WHERE 1",
                         " GROUP BY t.variant, t.level ORDER BY t.variant, t.level", &st) != 0)
        return jp_fail("tickets table unreadable: %s", jp_error());
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->level = xrealloc_array(out->level, (size_t)(cap = cap ? 2 * cap : 32), sizeof *out->level);
        ReportTicketLevel *l = &out->level[out->n++];
        const char *variant = (const char *)sqlite3_column_text(st, 0);
        snprintf(l->variant, sizeof l->variant, "%s", variant ? variant : "");
        l->level = sqlite3_column_int(st, 1);
        l->density = sqlite3_column_double(st, 2);
        l->acc = sqlite3_column_double(st, 3);
        l->best_step = sqlite3_column_double(st, 4);
        l->runs = sqlite3_column_int(st, 5);
        l->acc_sq = sqlite3_column_double(st, 6);
    }
    sqlite3_finalize(st);
    return 0;
}

int report_db_ticket_curves(ReportDb *db, ReportTicketCurves *out) {
    memset(out, 0, sizeof *out);
    if (count_of(db, "SELECT count(*) FROM sqlite_master WHERE name = 'ticket_curves'") == 0) return 0;
    sqlite3_stmt *st;
    if (prepare_selected(db, "SELECT c.level, c.step, avg(c.val_loss), avg(c.test_acc) FROM ticket_curves c"
                             " JOIN runs r ON r.id = c.run_id WHERE c.variant IN ('ticket', 'dense')",
                         " GROUP BY c.level, c.step ORDER BY c.level, c.step", &st) != 0)
        return -1;
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->point = xrealloc_array(out->point, (size_t)(cap = cap ? 2 * cap : 64), sizeof *out->point);
        ReportTicketPoint *p = &out->point[out->n++];
        p->level = sqlite3_column_int(st, 0);
        p->step = sqlite3_column_int64(st, 1);
        p->val_loss = sqlite3_column_double(st, 2);
        p->test_acc = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    return 0;
}

void report_db_ticket_model(ReportDb *db, char *out, size_t n) {
    out[0] = 0;
    sqlite3_stmt *st;
    if (prepare_selected(db, "SELECT DISTINCT r.task, r.hidden FROM runs r WHERE r.id IN (SELECT run_id FROM tickets) AND 1",
                         " ORDER BY 1, 2 LIMIT 4", &st) != 0)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *task = (const char *)sqlite3_column_text(st, 0), *hidden = (const char *)sqlite3_column_text(st, 1);
        size_t k = strlen(out);
        snprintf(out + k, n - k, "%s%s, MLP %s", k ? "; " : "", task ? task : "?", hidden ? hidden : "?");
        for (char *c = out + k; *c; c++)
            if (*c == ',' && c[1] != ' ') *c = '-';   // hidden "300,100" → "300-100"
    }
    sqlite3_finalize(st);
}

void report_ticket_levels_free(ReportTicketLevels *t) {
    free(t->level);
    memset(t, 0, sizeof *t);
}

int report_db_sweep_names(ReportDb *db, ReportSweepNames *out) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "SELECT name, min(id) FROM sweeps GROUP BY name ORDER BY min(id)", -1, &st, NULL) != SQLITE_OK)
        return jp_fail("reading the sweeps: %s", sqlite3_errmsg(db->h));
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->sweep = xrealloc_array(out->sweep, (size_t)(cap = cap ? 2 * cap : 16), sizeof *out->sweep);
        out->sweep[out->n++] = (ReportSweepName){ .name = text_or_empty(st, 0), .first_id = sqlite3_column_int64(st, 1) };
    }
    sqlite3_finalize(st);
    return 0;
}

void report_sweep_names_free(ReportSweepNames *s) {
    for (int i = 0; i < s->n; i++) free(s->sweep[i].name);
    free(s->sweep);
    memset(s, 0, sizeof *s);
}

// Up to about 600 characters of the params keys of the selection's first run, for a message.
static void some_fields(ReportDb *db, char *out, size_t cap) {
    sqlite3_stmt *st;
    size_t k = 0;
    out[0] = 0;
    if (prepare_selected(db, "SELECT DISTINCT j.key FROM runs r, json_each(r.params) j WHERE r.id = (SELECT min(id) FROM runs)",
                         " ORDER BY j.key", &st) != 0)
        return;
    while (sqlite3_step(st) == SQLITE_ROW && k + 64 < cap && k < 600)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? ", " : "", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

int report_db_group_by(ReportDb *db, const char *field) {
    size_t n = strspn(field, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
    if (!*field || field[n] || n > 47) return jp_fail("--group-by '%s': not a field name (up to 47 letters, digits, '_' and '.', e.g. optim.lr)", field);
    char *json = xasprintf("json_extract(r.params, '$.\"%s\"')", field);
    char *head = xasprintf("SELECT count(*) FROM runs r WHERE %s IS NOT NULL", json);
    long with = count_selected(db, head);
    free(head);
    char *col = sqlite3_mprintf("SELECT count(*) FROM pragma_table_info('runs') WHERE name = %Q", field);
    long is_column = with ? 0 : count_of(db, col);
    sqlite3_free(col);
    free(db->group);
    db->group = NULL;
    if (with) {
        db->group = json;
        return 0;
    }
    free(json);
    if (is_column) {
        db->group = xasprintf("r.\"%s\"", field);
        return 0;
    }
    char fields[700];
    some_fields(db, fields, sizeof fields);
    return jp_fail("--group-by '%s': no run of the selection has this field in its params, and runs has no such column "
                   "(the params fields: %s)", field, fields[0] ? fields : "none");
}

int report_db_group_values(ReportDb *db, const char *cond, ReportGroupValues *out) {
    memset(out, 0, sizeof *out);
    if (!db->group) return jp_fail("no --group-by field");
    // SQLite orders NULL first, then numbers by value, then text: numeric values sort numerically
    char *sql = xasprintf("SELECT DISTINCT %s AS v FROM runs r WHERE r.status = 'done' AND %s ORDER BY v", db->group, cond);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK) return jp_fail("reading the --group-by values: %s", sqlite3_errmsg(db->h));
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 8;
            out->value = xrealloc_array(out->value, (size_t)cap, sizeof *out->value);
            out->cond = xrealloc_array(out->cond, (size_t)cap, sizeof *out->cond);
        }
        int type = sqlite3_column_type(st, 0);
        double x = sqlite3_column_double(st, 0);
        const char *text = (const char *)sqlite3_column_text(st, 0);
        char *rhs = type == SQLITE_NULL ? sqlite3_mprintf("IS NULL")
                    : type == SQLITE_TEXT ? sqlite3_mprintf("= %Q", text) : sqlite3_mprintf("= %.17g", x);
        out->value[out->n] = type == SQLITE_NULL ? xstrdup("absent") : type == SQLITE_TEXT ? xstrdup(text) : xasprintf("%.6g", x);
        out->cond[out->n++] = xasprintf("%s AND %s %s", cond, db->group, rhs);
        sqlite3_free(rhs);
    }
    sqlite3_finalize(st);
    return 0;
}

void report_group_values_free(ReportGroupValues *g) {
    for (int i = 0; i < g->n; i++) { free(g->value[i]); free(g->cond[i]); }
    free(g->value);
    free(g->cond);
    memset(g, 0, sizeof *g);
}

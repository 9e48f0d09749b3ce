#include "store/read_fit.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "store/where.h"

// The query's head (before the user's --where): columns n_params, data, flops, steps, value,
// group_hash. NULL with jp_error() for a malformed eval: metric. sqlite3_free it.
static char *points_sql(const char *sweep, const char *metric) {
    int per_eval = !strncmp(metric, "eval:", 5);
    char split[16] = "", name[32] = "";
    if (per_eval && sscanf(metric + 5, "%15[a-z]_%31[a-z]", split, name) != 2) {
        jp_fail("metric '%s': expected eval:SPLIT_NAME, e.g. eval:val_loss", metric);
        return NULL;
    }
    char *sql = sqlite3_mprintf(
        per_eval ? "SELECT r.n_params, m.examples, m.flops, m.step, m.value, r.group_hash, r.train_size,"
                   " m.examples / NULLIF(r.train_size, 0) FROM metrics m"
                   " JOIN runs r ON r.id = m.run_id WHERE m.split = %Q AND m.name = %Q AND m.step > 0"
                 // D: a language model's training tokens seen (Kaplan's and Chinchilla's D: runs trained to a
                 // budget over one corpus differ in it), else the training-set size
                 // unique: the training set (a language model's training bytes); epochs: what was seen over it
                 : "SELECT r.n_params, COALESCE(s3.value, r.train_size), s2.value, r.steps, s.value, r.group_hash, r.train_size,"
                   " COALESCE(s3.value, r.steps * r.batch) * 1.0 / NULLIF(r.train_size, 0) FROM runs r"
                   " JOIN summaries s ON s.run_id = r.id AND s.name = %Q"
                   " LEFT JOIN summaries s2 ON s2.run_id = r.id AND s2.name = 'flops'"
                   " LEFT JOIN summaries s3 ON s3.run_id = r.id AND s3.name = 'tokens'"
                   " WHERE r.status = 'done' AND %Q IS NOT NULL",
        per_eval ? split : metric, per_eval ? name : "");
    char *filter = sweep ? sqlite3_mprintf(" AND r.id IN (SELECT run_id FROM sweep_runs JOIN sweeps"
                                           " ON sweeps.id = sweep_id WHERE sweeps.name = %Q)", sweep)
                         : sqlite3_mprintf("");
    char *head = sqlite3_mprintf("%s%s", sql, filter);
    sqlite3_free(filter);
    sqlite3_free(sql);
    return head;
}

static double column_or_nan(sqlite3_stmt *st, int c) {
    return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

static void read_rows(sqlite3_stmt *st, StorePoints *out) {
    int cap = 64;
    out->row = xmalloc(sizeof *out->row * cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out->n == cap) out->row = xrealloc_array(out->row, cap *= 2, sizeof *out->row);
        StorePoint *r = &out->row[out->n++];
        r->n_params = column_or_nan(st, 0);
        r->data = column_or_nan(st, 1);
        r->flops = column_or_nan(st, 2);
        r->steps = column_or_nan(st, 3);
        r->value = sqlite3_column_double(st, 4);
        const char *g = (const char *)sqlite3_column_text(st, 5);
        r->group = xstrdup(g ? g : "");
        r->unique = column_or_nan(st, 6);
        r->epochs = column_or_nan(st, 7);
    }
}

int store_read_points(const char *path, const char *sweep, const char *metric, const char *where, StorePoints *out) {
    memset(out, 0, sizeof *out);
    sqlite3 *h;
    if (store_open_read(path, &h) != 0) return -1;
    char *head = points_sql(sweep, metric);
    if (!head) { sqlite3_close(h); return -1; }
    sqlite3_stmt *st;
    int rc = where_prepare(h, head, where, " ORDER BY r.id", &st);
    sqlite3_free(head);
    if (rc != 0) {
        sqlite3_close(h);
        return jp_fail("%s: %s", path, jp_error());
    }
    read_rows(st, out);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return 0;
}

void store_points_free(StorePoints *p) {
    for (int i = 0; i < p->n; i++) free(p->row[i].group);
    free(p->row);
    memset(p, 0, sizeof *p);
}

int store_read_group_diff(const char *path, const char (*hashes)[17], int n, GroupDiff *d) {
    sqlite3 *db;
    memset(d, 0, sizeof *d);
    if (store_open_read(path, &db) != 0 || group_diff_load(db, hashes, n, d) != 0) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(db);
    return 0;
}

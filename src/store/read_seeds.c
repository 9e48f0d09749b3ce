#include "store/read_seeds.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "store/where.h"

static void row_from(sqlite3_stmt *st, SeedRow *r) {
    snprintf(r->key, sizeof r->key, "%s", (const char *)sqlite3_column_text(st, 0));
    r->N = sqlite3_column_double(st, 1);
    r->D = sqlite3_column_double(st, 2);
    r->loss = sqlite3_column_double(st, 3);
    r->acc = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
    r->init = sqlite3_column_int64(st, 5);
    r->data = sqlite3_column_int64(st, 6);
}

int seed_rows_read(const char *db, const char *sweep, const char *metric, const char *where, SeedRow **rows, int *n) {
    *rows = NULL;
    *n = 0;
    if (strcmp(metric, "final") && strcmp(metric, "best")) return jp_fail("metric '%s': expected final or best", metric);
    sqlite3 *h;
    if (store_open_read(db, &h) != 0) return -1;
    char *filter = sweep ? sqlite3_mprintf(" AND r.id IN (SELECT run_id FROM sweep_runs JOIN sweeps"
                                           " ON sweeps.id = sweep_id WHERE sweeps.name = %Q)", sweep)
                         : sqlite3_mprintf("");
    char *sql = sqlite3_mprintf(
        "SELECT r.group_hash, r.n_params, r.train_size, l.value, a.value, r.init_seed, r.data_seed FROM runs r"
        " JOIN summaries l ON l.run_id = r.id AND l.name = '%q_test_loss'"
        " LEFT JOIN summaries a ON a.run_id = r.id AND a.name = '%q_test_acc' WHERE r.status = 'done'%s",
        metric, metric, filter);
    sqlite3_free(filter);
    sqlite3_stmt *st;
    int rc = where_prepare(h, sql, where, NULL, &st);
    sqlite3_free(sql);
    if (rc != 0) {
        sqlite3_close(h);
        return jp_fail("%s: %s", db, jp_error());
    }
    int cap = 256;
    *rows = xmalloc(sizeof(SeedRow) * cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) *rows = xrealloc(*rows, sizeof(SeedRow) * (cap *= 2));
        row_from(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return 0;
}

int seed_groups_diff_read(const char *db, const char (*keys)[17], int n, GroupDiff *d) {
    memset(d, 0, sizeof *d);
    sqlite3 *h;
    int rc = store_open_read(db, &h) == 0 && group_diff_load(h, keys, n, d) == 0 ? 0 : -1;
    sqlite3_close(h);
    return rc;
}

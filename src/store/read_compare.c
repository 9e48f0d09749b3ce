#include "store/read_compare.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/store.h"

static double real_or_nan(sqlite3_stmt *st, int c) {
    return sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
}

static void text_into(sqlite3_stmt *st, int c, char *out, size_t n) {
    const char *t = (const char *)sqlite3_column_text(st, c);
    snprintf(out, n, "%s", t ? t : "");
}

static int read_curve(sqlite3 *h, StoredCompare *c) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "SELECT x, loss_a, loss_b, k, k_lo, k_hi, k_net, k_net_lo, k_net_hi FROM compare_curve"
                              " WHERE compare_id = ? ORDER BY x", -1, &st, NULL) != SQLITE_OK)
        return jp_fail("compare_curve: %s", sqlite3_errmsg(h));
    sqlite3_bind_int64(st, 1, c->id);
    int cap = 64;
    double **col[9] = { &c->x, &c->loss_a, &c->loss_b, &c->k, &c->k_lo, &c->k_hi, &c->k_net, &c->k_net_lo, &c->k_net_hi };
    for (int j = 0; j < 9; j++) *col[j] = xmalloc(sizeof(double) * cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (c->n == cap) {
            cap *= 2;
            for (int j = 0; j < 9; j++) *col[j] = xrealloc(*col[j], sizeof(double) * cap);
        }
        for (int j = 0; j < 9; j++) (*col[j])[c->n] = real_or_nan(st, j);
        c->n++;
    }
    sqlite3_finalize(st);
    return 0;
}

int store_read_compares(const char *path, int max, StoredCompare **out, int *n) {
    *out = NULL;
    *n = 0;
    sqlite3 *h;
    if (store_open_read(path, &h) != 0) return -1;
    sqlite3_stmt *st;
    // The latest of each setting: the largest id per distinct (law, metric, arms, conditions, cost).
    const char *sql = "SELECT id, law, metric, axis, arm_a, where_a, arm_b, where_b, cost_b, trend, trend_lo, trend_hi, crossing,"
                      " crossing_lo, crossing_hi, crossing_within FROM compares WHERE id IN (SELECT max(id) FROM compares"
                      " GROUP BY law, metric, arm_a, where_a, arm_b, where_b, cost_b) ORDER BY id";
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {   // a database before schema 8 has none
        sqlite3_close(h);
        return 0;
    }
    StoredCompare *c = xcalloc(max > 0 ? max : 1, sizeof *c);
    int rc = 0;
    while (*n < max && sqlite3_step(st) == SQLITE_ROW) {
        StoredCompare *s = &c[(*n)++];
        s->id = sqlite3_column_int64(st, 0);
        text_into(st, 1, s->law, sizeof s->law);
        text_into(st, 2, s->metric, sizeof s->metric);
        text_into(st, 3, s->axis, sizeof s->axis);
        text_into(st, 4, s->arm[0], sizeof s->arm[0]);
        text_into(st, 5, s->where[0], sizeof s->where[0]);
        text_into(st, 6, s->arm[1], sizeof s->arm[1]);
        text_into(st, 7, s->where[1], sizeof s->where[1]);
        s->cost_b = real_or_nan(st, 8);
        for (int j = 0; j < 3; j++) { s->trend[j] = real_or_nan(st, 9 + j); s->crossing[j] = real_or_nan(st, 12 + j); }
        s->crossing_within = sqlite3_column_int(st, 15);
        if ((rc = read_curve(h, s)) != 0) break;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    *out = c;
    if (rc != 0) { stored_compares_free(c, *n); *out = NULL; *n = 0; }
    return rc;
}

void stored_compares_free(StoredCompare *c, int n) {
    for (int i = 0; i < n; i++) {
        free(c[i].x); free(c[i].loss_a); free(c[i].loss_b); free(c[i].k); free(c[i].k_lo); free(c[i].k_hi);
        free(c[i].k_net); free(c[i].k_net_lo); free(c[i].k_net_hi);
    }
    free(c);
}

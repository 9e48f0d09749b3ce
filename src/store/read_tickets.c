#include "store/read_tickets.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "store/where.h"

static int has_tickets(sqlite3 *h) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickets'", -1, &st, NULL) != SQLITE_OK)
        return 0;
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static void row_from(sqlite3_stmt *st, TicketSeedRow *t) {
    SeedRow *r = &t->r;
    snprintf(r->key, sizeof r->key, "%s", (const char *)sqlite3_column_text(st, 0));
    r->N = sqlite3_column_double(st, 1);
    r->D = sqlite3_column_double(st, 2);
    r->loss = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
    r->acc = sqlite3_column_type(st, 4) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 4);
    r->init = sqlite3_column_int64(st, 5);
    r->data = sqlite3_column_int64(st, 6);
    t->level = sqlite3_column_int(st, 7);
    snprintf(t->variant, sizeof t->variant, "%s", (const char *)sqlite3_column_text(st, 8));
    t->density = sqlite3_column_double(st, 9);
}

int ticket_rows_read(const char *db, const char *sweep, const char *metric, const char *where, TicketSeedRow **rows, int *n) {
    *rows = NULL;
    *n = 0;
    if (strcmp(metric, "final") && strcmp(metric, "best")) return jp_fail("metric '%s': expected final or best", metric);
    sqlite3 *h;
    if (store_open_read(db, &h) != 0) return -1;
    if (!has_tickets(h)) { sqlite3_close(h); return jp_fail("%s: no tickets table (made by jackpot tickets)", db); }
    char *filter = sweep ? sqlite3_mprintf(" AND r.id IN (SELECT run_id FROM sweep_runs JOIN sweeps"
                                           " ON sweeps.id = sweep_id WHERE sweeps.name = %Q)", sweep)
                         : sqlite3_mprintf("");
    char *sql = sqlite3_mprintf(
        "SELECT r.group_hash, r.n_params, r.train_size, t.%s_test_loss, t.%s_test_acc, r.init_seed, r.data_seed, t.level,"
        " t.variant, t.density FROM tickets t JOIN runs r ON r.id = t.run_id WHERE r.status = 'done'%s",
        metric, metric, filter);
    sqlite3_free(filter);
    sqlite3_stmt *st;
    int rc = where_prepare(h, sql, where, " ORDER BY r.n_params, r.train_size, r.group_hash, t.level, CASE t.variant"
                           " WHEN 'dense' THEN 0 WHEN 'ticket' THEN 1 WHEN 'reinit' THEN 2 WHEN 'random_mask' THEN 3"
                           " ELSE 4 END, t.variant, r.init_seed, r.data_seed", &st);
    sqlite3_free(sql);
    if (rc != 0) {
        sqlite3_close(h);
        return jp_fail("%s: %s", db, jp_error());
    }
    int cap = 256;
    *rows = xmalloc_array((size_t)cap, sizeof **rows);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) *rows = xrealloc_array(*rows, (size_t)(cap *= 2), sizeof **rows);
        row_from(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) jp_fail("%s: reading the tickets: %s", db, sqlite3_errmsg(h));
    sqlite3_close(h);
    if (rc == SQLITE_DONE) return 0;
    free(*rows);
    *rows = NULL;
    *n = 0;
    return -1;
}

static int count(sqlite3 *h, const char *sql, long *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int ticket_rows_count(const char *db, const char *metric, long *tickets, long *summarised) {
    *tickets = *summarised = 0;
    sqlite3 *h;
    if (store_open_read(db, &h) != 0) return -1;
    char *sql = sqlite3_mprintf("SELECT count(DISTINCT s.run_id) FROM summaries s JOIN runs r ON r.id = s.run_id"
                                " WHERE r.status = 'done' AND s.name = '%q_test_loss'", metric);
    int rc = (has_tickets(h) && count(h, "SELECT count(*) FROM tickets", tickets) != 0) || count(h, sql, summarised) != 0;
    sqlite3_free(sql);
    if (rc) jp_fail("%s: counting the tickets: %s", db, sqlite3_errmsg(h));
    sqlite3_close(h);
    return rc ? -1 : 0;
}

#include "store/export.h"

#include "base/error.h"
#include "base/xalloc.h"
#include "base/fmt.h"
#include "base/json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

// A growing SQL string.
typedef struct { char *s; size_t n, cap; } Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (b->s && b->n + (size_t)k < b->cap) { b->n += (size_t)k; return; }
        b->cap = 2 * (b->cap + (size_t)k + 256);
        b->s = xrealloc(b->s, b->cap);
    }
}

// SQL string literal / identifier quoting ('…' and "…", doubling the quote).
static void put_quoted(Buf *b, const char *text, char q) {
    put(b, "%c", q);
    for (const char *p = text; *p; p++) put(b, *p == q ? "%c%c" : "%c", *p, q);
    put(b, "%c", q);
}

static const char RUN_COLUMNS[] =
    "r.id AS run_id, r.hash, r.group_hash, r.status, r.n_params, r.planned_flops, r.attempts, r.started,"
    " r.finished, r.wall_s, r.diverged_step, r.error";

static void put_sweep_filter(Buf *b, const char *sweep, const char *alias) {
    if (!sweep) return;
    put(b, " WHERE %s.id IN (SELECT run_id FROM sweep_runs JOIN sweeps ON sweeps.id = sweep_id WHERE sweeps.name = ", alias);
    put_quoted(b, sweep, '\'');
    put(b, ")");
}

// Appends ", json_extract(r.params, '$."k"') AS "k"" for every params key.
static int put_param_columns(Store *s, Buf *b) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT j.key FROM runs, json_each(runs.params) AS j ORDER BY j.key", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        Buf path = { 0 };
        put(&path, "$.\"%s\"", key);
        put(b, ", json_extract(r.params, ");
        put_quoted(b, path.s, '\'');
        put(b, ") AS ");
        put_quoted(b, key, '"');
        free(path.s);
    }
    sqlite3_finalize(st);
    return 0;
}

static int put_pivot(Store *s, Buf *b, const char *discover, const char *value_of) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, discover, -1, &st, NULL) != SQLITE_OK) return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 0), *c = (const char *)sqlite3_column_text(st, 1);
        Buf col = { 0 };
        put(&col, "%s%s%s", a, c ? "_" : "", c ? c : "");
        put(b, ", ");
        put(b, value_of, a, c ? c : "");
        put(b, " AS ");
        put_quoted(b, col.s, '"');
        free(col.s);
    }
    sqlite3_finalize(st);
    return 0;
}

static void csv_field(FILE *out, const char *text) {
    if (!strpbrk(text, ",\"\n\r") && text[0] != ' ') { fputs(text, out); return; }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static int write_rows(Store *s, const char *sql, ExportFormat fmt, FILE *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return jp_fail("%s: %s", s->path, sqlite3_errmsg(s->db));
    int cols = sqlite3_column_count(st);
    if (fmt == EXPORT_CSV) {
        for (int c = 0; c < cols; c++) {
            if (c) fputc(',', out);
            csv_field(out, sqlite3_column_name(st, c));
        }
        fputc('\n', out);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fmt == EXPORT_JSONL) fputc('{', out);
        for (int c = 0; c < cols; c++) {
            int type = sqlite3_column_type(st, c);
            if (fmt == EXPORT_CSV && c) fputc(',', out);
            if (fmt == EXPORT_JSONL) {
                if (c) fputc(',', out);
                json_str(out, sqlite3_column_name(st, c));
                fputc(':', out);
            }
            if (type == SQLITE_NULL) fputs(fmt == EXPORT_JSONL ? "null" : "", out);
            else if (type == SQLITE_INTEGER) fprintf(out, "%lld", (long long)sqlite3_column_int64(st, c));
            else if (type == SQLITE_FLOAT) {
                char num[32];
                if (fmt == EXPORT_JSONL) json_num(out, sqlite3_column_double(st, c));
                else { format_real(num, sizeof num, sqlite3_column_double(st, c)); fputs(num, out); }
            }
            else if (fmt == EXPORT_CSV) csv_field(out, (const char *)sqlite3_column_text(st, c));
            else json_str(out, (const char *)sqlite3_column_text(st, c));
        }
        fputs(fmt == EXPORT_JSONL ? "}\n" : "\n", out);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return jp_fail("%s: %s", s->path, sqlite3_errmsg(s->db));
    return ferror(out) ? jp_fail("write error") : 0;
}

const char *const export_what_names[EXPORT_WHAT_COUNT] = {
    "runs", "summaries", "metrics", "tickets", "concepts", "probes", "fits", "dists", "launches", "sweeps",
    "ticket_curves", "compares", "compare_curve",
};

bool export_has_sweep(ExportWhat what) {
    return what != EXPORT_FITS && what != EXPORT_DISTS && what != EXPORT_COMPARES && what != EXPORT_COMPARE_CURVE;
}

// A table of one row per run and something (step, level, concept): its own columns, an
// optional pivot of long rows into columns, then the run's status and hyper-parameters.
typedef struct {
    const char *columns;              // the SELECT list before the pivot
    const char *discover, *value_of;  // put_pivot's arguments, or NULL
    const char *from;                 // joins `runs r`
    const char *where;                // a condition, or NULL
    const char *tail;                 // GROUP BY … ORDER BY …
} RunTable;

static const char EVAL_COLUMNS[] = "m.run_id, m.step, max(m.examples) AS examples, max(m.flops) AS flops, max(m.wall_s) AS wall_s";
static const char METRICS_FROM[] = "metrics m JOIN runs r ON r.id = m.run_id";
static const char EVAL_TAIL[] = " GROUP BY m.run_id, m.step ORDER BY m.run_id, m.step";

static const RunTable RUN_TABLES[EXPORT_WHAT_COUNT] = {
    [EXPORT_METRICS] = { EVAL_COLUMNS, "SELECT DISTINCT split, name FROM metrics ORDER BY split, name",
                         "max(CASE WHEN m.split = '%s' AND m.name = '%s' THEN m.value END)", METRICS_FROM, NULL, EVAL_TAIL },
    // the probe metrics pivoted like metrics: a row per probed evaluation, columns named as in the store
    [EXPORT_PROBES] = { EVAL_COLUMNS, "SELECT DISTINCT name, NULL FROM metrics WHERE split = 'probe' ORDER BY name",
                        "max(CASE WHEN m.name = '%s'%s THEN m.value END)", METRICS_FROM, "m.split = 'probe'", EVAL_TAIL },
    [EXPORT_TICKETS] = { "t.*", NULL, NULL, "tickets t JOIN runs r ON r.id = t.run_id", NULL,
                         " ORDER BY t.run_id, t.level, t.variant" },
    [EXPORT_CONCEPTS] = { "c.*", NULL, NULL, "concepts c JOIN runs r ON r.id = c.run_id", NULL,
                          " ORDER BY c.run_id, c.step, c.concept" },
    [EXPORT_TICKET_CURVES] = { "k.*", NULL, NULL, "ticket_curves k JOIN runs r ON r.id = k.run_id", NULL,
                               " ORDER BY k.run_id, k.level, k.variant, k.step" },
};

static int put_run_table(Store *s, Buf *b, const RunTable *t, const char *sweep) {
    int rc = 0;
    put(b, "SELECT %s", t->columns);
    if (t->discover) rc |= put_pivot(s, b, t->discover, t->value_of);
    put(b, ", r.status");
    rc |= put_param_columns(s, b);
    put(b, " FROM %s", t->from);
    put_sweep_filter(b, sweep, "r");
    if (t->where) put(b, " %s %s", sweep ? "AND" : "WHERE", t->where);
    put(b, "%s", t->tail);
    return rc;
}

// Tables that are not per run: as stored. The sweep filter's %s is the quoted name.
typedef struct { const char *select, *sweep_where, *order; } PlainTable;

static const char SWEEP_RUN_IDS[] = "SELECT run_id FROM sweep_runs JOIN sweeps ON sweeps.id = sweep_id WHERE sweeps.name = %s";

static const PlainTable PLAIN_TABLES[EXPORT_WHAT_COUNT] = {
    [EXPORT_FITS] = { "SELECT * FROM fits", NULL, " ORDER BY id" },
    [EXPORT_DISTS] = { "SELECT * FROM dists", NULL, " ORDER BY id" },
    [EXPORT_COMPARES] = { "SELECT * FROM compares", NULL, " ORDER BY id" },
    [EXPORT_COMPARE_CURVE] = { "SELECT * FROM compare_curve", NULL, " ORDER BY compare_id, x" },
    // runs.launch is each run's latest launch: a sweep's launches are those that last ran one of its runs
    [EXPORT_LAUNCHES] = { "SELECT * FROM launches", " WHERE id IN (SELECT launch FROM runs WHERE id IN (%s))", " ORDER BY id" },
    [EXPORT_SWEEPS] = { "SELECT s.*, (SELECT count(*) FROM sweep_runs x WHERE x.sweep_id = s.id) AS runs FROM sweeps s",
                        " WHERE s.name = %s", " ORDER BY s.id" },
};

static void put_plain_table(Buf *b, ExportWhat what, const char *sweep) {
    const PlainTable *t = &PLAIN_TABLES[what];
    put(b, "%s", t->select);
    if (sweep) {
        Buf name = { 0 }, ids = { 0 };
        put_quoted(&name, sweep, '\'');
        put(&ids, SWEEP_RUN_IDS, name.s);
        put(b, t->sweep_where, what == EXPORT_LAUNCHES ? ids.s : name.s);
        free(name.s);
        free(ids.s);
    }
    put(b, "%s", t->order);
}

int store_export(Store *s, ExportWhat what, ExportFormat fmt, const char *sweep, FILE *out) {
    if ((unsigned)what >= EXPORT_WHAT_COUNT) return jp_fail("export: no table number %d", (int)what);
    if (sweep && !export_has_sweep(what)) return jp_fail("--sweep does not apply to %s (they belong to no one sweep)", export_what_names[what]);
    Buf b = { 0 };
    int rc = 0;
    if (RUN_TABLES[what].from) rc = put_run_table(s, &b, &RUN_TABLES[what], sweep);
    else if (PLAIN_TABLES[what].select) put_plain_table(&b, what, sweep);
    else {
        put(&b, "SELECT %s", RUN_COLUMNS);
        rc |= put_param_columns(s, &b);
        if (what == EXPORT_SUMMARIES)
            rc |= put_pivot(s, &b, "SELECT DISTINCT name, NULL FROM summaries ORDER BY name",
                            "(SELECT value FROM summaries x WHERE x.run_id = r.id AND x.name = '%s'%s)");
        put(&b, " FROM runs r");
        put_sweep_filter(&b, sweep, "r");
        put(&b, " ORDER BY r.id");
    }
    if (rc != 0) { free(b.s); return jp_fail("%s: %s", s->path, sqlite3_errmsg(s->db)); }
    rc = write_rows(s, b.s, fmt, out);
    free(b.s);
    return rc;
}

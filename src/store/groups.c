#include "store/groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "base/fmt.h"

enum { KIND_ABSENT, KIND_NUMBER, KIND_TEXT, KIND_JSON };

int group_field_ignored(const char *f) {
    return !strncmp(f, "seed.", 5) || !strncmp(f, "resolved.", 9) || !strcmp(f, "task.data_dir") ||
           !strcmp(f, "budget.eval_every") || !strcmp(f, "budget.evals") || !strncmp(f, "budget.checkpoint_", 18);
}

// GROUP_AXIS_* of a field (0 for others).
static int group_field_axes(const char *f) {
    static const char *const size[] = { "model.width", "model.depth", "model.hidden",   // mlp
                                        "model.d_model", "model.n_layer", "model.n_head", "model.d_ff" };   // gpt
    for (size_t i = 0; i < sizeof size / sizeof *size; i++)
        if (!strcmp(f, size[i])) return GROUP_AXIS_N;
    if (!strcmp(f, "task.train_size")) return GROUP_AXIS_D;
    if (!strncmp(f, "budget.", 7)) return GROUP_AXIS_BUDGET;
    return 0;
}

void group_diff_free(GroupDiff *d) {
    for (int i = 0; i < d->n_groups * d->n_fields; i++) free(d->value[i]);
    free(d->value);
    free(d->kind);
    free(d->hash);
    free(d->field);
    memset(d, 0, sizeof *d);
}

int group_diff_index(const GroupDiff *d, const char *hash) {
    for (int g = 0; g < d->n_groups; g++)
        if (!strcmp(d->hash[g], hash)) return g;
    return -1;
}

typedef struct { int g, kind; char key[48]; char *value; } Row;
typedef struct { Row *row; int n, cap; } Rows;

static int cmp_keys(const void *a, const void *b) { return strcmp(a, b); }

// A params value (json_each's type and value columns) as its kind and canonical text.
static void row_value(sqlite3_stmt *st, const char *type, Row *r) {
    char text[64];
    if (!strcmp(type, "real") || !strcmp(type, "integer")) {
        r->kind = KIND_NUMBER;
        format_real(text, sizeof text, sqlite3_column_double(st, 2));
        r->value = xstrdup(text);
    } else if (!strcmp(type, "text")) {
        r->kind = KIND_TEXT;
        r->value = xstrdup((const char *)sqlite3_column_text(st, 2));
    } else {   // true, false, null, arrays and objects: their JSON text
        r->kind = KIND_JSON;
        r->value = xstrdup(!strcmp(type, "true") ? "true" : !strcmp(type, "false") ? "false"
                           : sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "null");
    }
}

// The params of the first run of group g (st: the prepared json_each query), ignored fields left out.
static int read_group(sqlite3 *db, sqlite3_stmt *st, const GroupDiff *d, int g, Rows *rows) {
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, d->hash[g], -1, SQLITE_STATIC);
    int found = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
        found = 1;
        if (!key || group_field_ignored(key)) continue;
        if (rows->n == rows->cap) rows->row = xrealloc_array(rows->row, (size_t)(rows->cap *= 2), sizeof(Row));
        Row *r = &rows->row[rows->n++];
        r->g = g;
        snprintf(r->key, sizeof r->key, "%s", key);
        row_value(st, type, r);
    }
    if (rc == SQLITE_DONE && found) return 0;
    if (rc != SQLITE_DONE) return jp_fail("reading the params of group %s: %s", d->hash[g], sqlite3_errmsg(db));
    return jp_fail("group %s: no run with params", d->hash[g]);
}

static int read_rows(sqlite3 *db, const GroupDiff *d, Rows *rows) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT j.key, j.type, j.value FROM json_each((SELECT params FROM runs WHERE group_hash = ?1"
                               " ORDER BY id LIMIT 1)) j", -1, &st, NULL) != SQLITE_OK)
        return jp_fail("reading the runs' params: %s", sqlite3_errmsg(db));
    rows->cap = 256;
    rows->row = xmalloc_array((size_t)rows->cap, sizeof(Row));
    int rc = 0;
    for (int g = 0; g < d->n_groups && rc == 0; g++) rc = read_group(db, st, d, g, rows);
    sqlite3_finalize(st);
    return rc;
}

// Every key seen, sorted, into keys[] (room for rows->n); returns how many.
static int collect_keys(const Rows *rows, char (*keys)[48]) {
    int n_keys = 0;
    for (int i = 0; i < rows->n; i++) {
        int k = 0;
        while (k < n_keys && strcmp(keys[k], rows->row[i].key)) k++;
        if (k == n_keys) memcpy(keys[n_keys++], rows->row[i].key, 48);
    }
    qsort(keys, n_keys, sizeof *keys, cmp_keys);
    return n_keys;
}

// Each group's value of each key into all[g·n_keys + k] (NULL when absent), its kind into kinds[];
// the rows' values move there.
static void place_values(const Rows *rows, char (*keys)[48], int n_keys, char **all, int *kinds) {
    for (int i = 0; i < rows->n; i++) {
        char *hit = bsearch(rows->row[i].key, keys, n_keys, sizeof *keys, cmp_keys);
        size_t at = (size_t)rows->row[i].g * n_keys + (size_t)((char (*)[48])hit - keys);
        free(all[at]);
        all[at] = rows->row[i].value;
        kinds[at] = rows->row[i].kind;
    }
}

// d->field, value and kind: the keys whose values differ between groups (the values move out of all).
static void keep_differing(GroupDiff *d, char (*keys)[48], int n_keys, char **all, const int *kinds) {
    int G = d->n_groups;
    d->field = xmalloc_array(n_keys ? (size_t)n_keys : 1, sizeof *d->field);
    int *keep = xmalloc_array(n_keys ? (size_t)n_keys : 1, sizeof(int));
    for (int k = 0; k < n_keys; k++) {
        int differs = 0;
        for (int g = 1; g < G && !differs; g++) {
            const char *a = all[k], *b = all[(size_t)g * n_keys + k];
            differs = strcmp(a ? a : "", b ? b : "") != 0;
        }
        if (differs) { keep[d->n_fields] = k; memcpy(d->field[d->n_fields++], keys[k], 48); }
    }
    int F = d->n_fields;
    d->value = xmalloc_array((size_t)G * F + 1, sizeof(char *));
    d->kind = xmalloc_array((size_t)G * F + 1, sizeof(int));
    for (int g = 0; g < G; g++)
        for (int f = 0; f < F; f++) {
            size_t at = (size_t)g * n_keys + keep[f];
            d->value[(size_t)g * F + f] = all[at] ? all[at] : xstrdup("");
            d->kind[(size_t)g * F + f] = kinds[at];
            all[at] = NULL;
        }
    free(keep);
}

int group_diff_load(sqlite3 *db, const char (*hashes)[17], int n, GroupDiff *d) {
    memset(d, 0, sizeof *d);
    d->hash = xmalloc_array(n ? (size_t)n : 1, sizeof *d->hash);
    for (int i = 0; i < n; i++)
        if (group_diff_index(d, hashes[i]) < 0) snprintf(d->hash[d->n_groups++], 17, "%s", hashes[i]);
    Rows rows = { 0 };
    if (read_rows(db, d, &rows) != 0) {
        for (int i = 0; i < rows.n; i++) free(rows.row[i].value);
        free(rows.row);
        group_diff_free(d);
        return -1;
    }
    int G = d->n_groups;
    char (*keys)[48] = xmalloc_array(rows.n ? (size_t)rows.n : 1, sizeof *keys);
    int n_keys = collect_keys(&rows, keys);
    char **all = xcalloc((size_t)G * (n_keys ? n_keys : 1), sizeof(char *));
    int *kinds = xcalloc((size_t)G * (n_keys ? n_keys : 1), sizeof(int));
    place_values(&rows, keys, n_keys, all, kinds);
    free(rows.row);
    keep_differing(d, keys, n_keys, all, kinds);
    for (size_t i = 0; i < (size_t)G * n_keys; i++) free(all[i]);
    free(all); free(kinds); free(keys);
    return 0;
}

int group_diff_load_where(sqlite3 *db, const char *where, GroupDiff *d) {
    memset(d, 0, sizeof *d);
    char *sql = sqlite3_mprintf("SELECT DISTINCT r.group_hash FROM runs r WHERE r.status = 'done' AND (%s) ORDER BY r.group_hash",
                                where ? where : "1");
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) return jp_fail("reading the groups: %s", sqlite3_errmsg(db));
    int n = 0, cap = 64;
    char (*h)[17] = xmalloc(sizeof *h * cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) h = xrealloc(h, sizeof *h * (cap *= 2));
        snprintf(h[n++], 17, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    rc = group_diff_load(db, (const char (*)[17])h, n, d);
    free(h);
    return rc;
}

static const char *V(const GroupDiff *d, int g, int f) { return d->value[(size_t)g * d->n_fields + f]; }
static int K(const GroupDiff *d, int g, int f) { return d->kind[(size_t)g * d->n_fields + f]; }

void group_diff_split(const GroupDiff *d, int axes, int *confounded, int *n_conf, int *covarying, int *n_cov) {
    *n_conf = *n_cov = 0;
    for (int f = 0; f < d->n_fields; f++) {
        if (group_field_axes(d->field[f]) & axes) continue;
        int conf = 0;   // two groups equal on every axis field that differ in f
        for (int a = 0; a < d->n_groups && !conf; a++)
            for (int b = a + 1; b < d->n_groups && !conf; b++) {
                if (!strcmp(V(d, a, f), V(d, b, f))) continue;
                int same = 1;
                for (int x = 0; x < d->n_fields && same; x++)
                    if (group_field_axes(d->field[x]) & axes) same = !strcmp(V(d, a, x), V(d, b, x));
                conf = same;
            }
        if (conf) confounded[(*n_conf)++] = f;
        else covarying[(*n_cov)++] = f;
    }
}

// A value as shown: numbers with 4 significant digits (wd 0.009999999776 is "0.01"), absent as "(unset)".
static void shown(const GroupDiff *d, int g, int f, char *out, size_t n) {
    if (K(d, g, f) == KIND_ABSENT) snprintf(out, n, "(unset)");
    else if (K(d, g, f) == KIND_NUMBER) snprintf(out, n, "%.4g", strtod(V(d, g, f), NULL));
    else snprintf(out, n, "%s", V(d, g, f));
}

void group_diff_describe(const GroupDiff *d, const int *fields, int n, char *out, size_t len) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k + 8 < len; i++) {
        int f = fields[i];
        // the distinct values, in ascending order for numbers, else in order of first appearance
        int *first = xmalloc(sizeof(int) * (d->n_groups ? d->n_groups : 1)), m = 0, numeric = 1;
        for (int g = 0; g < d->n_groups; g++) {
            int seen = 0;
            for (int j = 0; j < m && !seen; j++) seen = !strcmp(V(d, first[j], f), V(d, g, f));
            if (!seen) first[m++] = g;
            numeric &= K(d, g, f) == KIND_NUMBER;
        }
        for (int a = 1; numeric && a < m; a++)   // insertion sort by value
            for (int b = a; b > 0 && strtod(V(d, first[b - 1], f), NULL) > strtod(V(d, first[b], f), NULL); b--) {
                int t = first[b]; first[b] = first[b - 1]; first[b - 1] = t;
            }
        k += (size_t)snprintf(out + k, len - k, "%s%s ", i ? "; " : "", d->field[f]);
        for (int j = 0; j < m && k < len; j++) {
            char v[96];
            shown(d, first[j], f, v, sizeof v);
            if (j == 6 && m > 7) { k += (size_t)snprintf(out + k, len - k, ", … (%d values)", m); break; }
            k += (size_t)snprintf(out + k, len - k, "%s%s", j == 0 ? "" : m == 2 ? " vs " : ", ", v);
        }
        free(first);
    }
    if (k >= len && len > 4) memcpy(out + len - 4, "…", 4);
}

typedef struct { const GroupDiff *d; const int *fields; int n; } OrderCtx;

static int cmp_groups(const void *a, const void *b, void *ctx) {
    const OrderCtx *c = ctx;
    int g = *(const int *)a, h = *(const int *)b;
    for (int i = 0; i < c->n; i++) {
        int f = c->fields[i];
        if (K(c->d, g, f) == KIND_NUMBER && K(c->d, h, f) == KIND_NUMBER) {
            double x = strtod(V(c->d, g, f), NULL), y = strtod(V(c->d, h, f), NULL);
            if (x != y) return x < y ? -1 : 1;
        } else {
            int r = strcmp(V(c->d, g, f), V(c->d, h, f));
            if (r) return r;
        }
    }
    return (g > h) - (g < h);
}

void group_diff_order(const GroupDiff *d, const int *fields, int n, int *order) {
    OrderCtx c = { d, fields, n };
    for (int g = 0; g < d->n_groups; g++) order[g] = g;
    qsort_r(order, d->n_groups, sizeof(int), cmp_groups, &c);
}

void group_diff_label(const GroupDiff *d, int g, const int *fields, int n, char *out, size_t len) {
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < n && k < len; i++) {
        char v[96];
        shown(d, g, fields[i], v, sizeof v);
        k += (size_t)snprintf(out + k, len - k, "%s%s = %s", i ? ", " : "", d->field[fields[i]], v);
    }
}

void group_diff_where(const GroupDiff *d, int g, const int *fields, int n, char *out, size_t len) {
    // fields the runs table holds as columns: the plain form a user would type
    static const char *const COLUMNS[][2] = { { "optim.lr", "r.lr" }, { "optim.name", "r.optim" }, { "model.width", "r.width" },
                                              { "model.depth", "r.depth" }, { "task.name", "r.task" },
                                              { "task.train_size", "r.train_size" }, { "budget.batch", "r.batch" } };
    size_t k = 0;
    snprintf(out, len, "1");
    for (int i = 0; i < n && k < len; i++) {
        int f = fields[i];
        char lhs[96], *rhs;
        snprintf(lhs, sizeof lhs, "json_extract(r.params, '$.\"%s\"')", d->field[f]);
        for (size_t c = 0; c < sizeof COLUMNS / sizeof COLUMNS[0]; c++)
            if (!strcmp(COLUMNS[c][0], d->field[f])) snprintf(lhs, sizeof lhs, "%s", COLUMNS[c][1]);
        switch (K(d, g, f)) {
        case KIND_ABSENT: rhs = sqlite3_mprintf("NULL"); break;
        case KIND_NUMBER: rhs = sqlite3_mprintf("%s", V(d, g, f)); break;
        case KIND_JSON:   // booleans read back from JSON as 1 and 0
            rhs = !strcmp(V(d, g, f), "true") ? sqlite3_mprintf("1") : !strcmp(V(d, g, f), "false") ? sqlite3_mprintf("0")
                                                                                                     : sqlite3_mprintf("%Q", V(d, g, f));
            break;
        default: rhs = sqlite3_mprintf("%Q", V(d, g, f));
        }
        k += (size_t)snprintf(out + k, len - k, "%s%s %s %s", i ? " AND " : "", lhs, K(d, g, f) == KIND_ABSENT ? "IS" : "=", rhs);
        sqlite3_free(rhs);
    }
}

// group_diff_where as one shell word for a message.
static void group_diff_where_arg(const GroupDiff *d, int g, const int *fields, int n, char *out, size_t len) {
    char sql[1024];
    group_diff_where(d, g, fields, n, sql, sizeof sql);
    size_t k = 0;
    if (len < 3) { if (len) out[0] = 0; return; }
    out[k++] = '"';
    for (const char *s = sql; *s && k + 3 < len; s++) {   // inside double quotes only " \ $ ` are special
        if (strchr("\"\\$`", *s)) out[k++] = '\\';
        out[k++] = *s;
    }
    out[k++] = '"';
    out[k] = 0;
}

void group_diff_suggest_where(const GroupDiff *d, const int *fields, int n, char *out, size_t len) {
    int order[d->n_groups];
    group_diff_order(d, fields, n, order);
    group_diff_where_arg(d, order[0], fields, n, out, len);
}

int group_diff_fields_off(const GroupDiff *d, int axes, int *fields) {
    int n = 0;
    for (int f = 0; f < d->n_fields; f++)
        if (!(group_field_axes(d->field[f]) & axes)) fields[n++] = f;
    return n;
}

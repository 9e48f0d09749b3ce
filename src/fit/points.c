#include "fit/points.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "base/keyid.h"
#include "base/text.h"
#include "store/read_fit.h"

static const char *const AXIS_NAMES[AXIS_COUNT] = { "params", "data", "flops", "steps", "unique", "epochs" };

const char *axis_name(Axis4 a) { return AXIS_NAMES[a]; }

int axis_parse(const char *name, Axis4 *a) {
    static const char *const aliases[AXIS_COUNT] = { "N", "D", "C", "S", "U", "R" };
    for (int i = 0; i < AXIS_COUNT; i++)
        if (!strcmp(name, AXIS_NAMES[i]) || !strcmp(name, aliases[i])) { *a = (Axis4)i; return 0; }
    return -1;
}

void points_free(Points *p) {
    for (int a = 0; a < AXIS_COUNT; a++) free(p->x[a]);
    free(p->loss);
    free(p->cluster);
    free(p->group);
    memset(p, 0, sizeof *p);
}

void points_alloc(Points *p, int cap) {
    memset(p, 0, sizeof *p);
    for (int a = 0; a < AXIS_COUNT; a++) p->x[a] = xcalloc(cap, sizeof(double));
    p->loss = xmalloc(sizeof(double) * cap);
    p->cluster = xmalloc(sizeof(int) * cap);
}

static void points_grow(Points *p, int *cap) {
    if (p->n < *cap) return;
    *cap *= 2;
    for (int a = 0; a < AXIS_COUNT; a++) p->x[a] = xrealloc(p->x[a], sizeof(double) * *cap);
    p->loss = xrealloc(p->loss, sizeof(double) * *cap);
    p->cluster = xrealloc(p->cluster, sizeof(int) * *cap);
}

int points_from_csv(const char *path, const char *const cols[AXIS_COUNT], const char *loss_col,
                    const char *cluster_col, Points *p) {
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "r");
    if (!f) { jp_fail("%s: cannot open", path); return -1; }
    char *line = NULL, **fields = NULL;
    size_t cap_line = 0;
    int cap_fields = 0;
    KeyIds keys;
    keyid_init(&keys);
    if (getline(&line, &cap_line, f) < 0) { jp_fail("%s: empty file", path); fclose(f); free(line); return -1; }
    int nf = csv_split_all(line, &fields, &cap_fields), col[AXIS_COUNT], loss = -1, cluster = -1;
    for (int a = 0; a < AXIS_COUNT; a++) col[a] = -1;
    for (int i = 0; i < nf; i++) {
        for (int a = 0; a < AXIS_COUNT; a++) if (cols[a] && !strcmp(fields[i], cols[a])) col[a] = i;
        if (!strcmp(fields[i], loss_col)) loss = i;
        if (cluster_col && !strcmp(fields[i], cluster_col)) cluster = i;
    }
    const char *missing = loss < 0 ? loss_col : NULL;
    for (int a = 0; a < AXIS_COUNT && !missing; a++) if (cols[a] && col[a] < 0) missing = cols[a];
    if (!missing && cluster_col && cluster < 0) missing = cluster_col;
    if (missing) {
        jp_fail("%s: no column '%s' in the header", path, missing);
        goto fail;
    }
    int cap = 64, lineno = 1;
    points_alloc(p, cap);
    while (getline(&line, &cap_line, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == 0) continue;
        int k = csv_split_all(line, &fields, &cap_fields);
        points_grow(p, &cap);
        for (int a = 0; a < AXIS_COUNT; a++) {
            p->x[a][p->n] = NAN;
            if (col[a] < 0) continue;
            char *end;
            double v = col[a] < k ? strtod(fields[col[a]], &end) : NAN;
            if (col[a] >= k || end == fields[col[a]] || *end) {
                jp_fail("%s:%d: column '%s': expected a number, got '%s'", path, lineno, cols[a],
                         col[a] < k ? fields[col[a]] : "");
                goto fail;
            }
            p->x[a][p->n] = v;
        }
        char *end;
        p->loss[p->n] = loss < k ? strtod(fields[loss], &end) : NAN;
        if (loss >= k || end == fields[loss] || *end) {
            jp_fail("%s:%d: column '%s': expected a number, got '%s'", path, lineno, loss_col,
                     loss < k ? fields[loss] : "");
            goto fail;
        }
        if (cluster >= 0) {   // rows with the same cluster value are one cluster
            // A row without one belongs to no cluster: guessing one (its own, or the
            // empty key's) would change what the bootstrap resamples together.
            if (cluster >= k || !fields[cluster][0]) {
                jp_fail("%s:%d: column '%s' (the cluster) is empty: every row needs a cluster value",
                         path, lineno, cluster_col);
                goto fail;
            }
            p->cluster[p->n] = keyid_get(&keys, fields[cluster]);
        } else {
            p->cluster[p->n] = p->n;
        }
        p->n++;
    }
    p->n_clusters = cluster >= 0 ? keys.n : p->n;
    snprintf(p->source, sizeof p->source, "csv:%s", path);
    keyid_free(&keys); free(fields); free(line); fclose(f);
    return 0;
fail:
    keyid_free(&keys); free(fields); free(line); fclose(f);
    points_free(p);
    return -1;
}

// Clusters are the rows' groups, in order of first appearance; cluster c is group
// keys.keys[c]: what the analyses compare (store/groups.h).
static void points_from_rows(const StorePoints *rows, Points *p) {
    KeyIds keys;   // group hash → cluster id
    keyid_init(&keys);
    points_alloc(p, rows->n ? rows->n : 1);
    for (int i = 0; i < rows->n; i++) {
        const StorePoint *r = &rows->row[i];
        p->x[AXIS_N][i] = r->n_params;
        p->x[AXIS_D][i] = r->data;
        p->x[AXIS_C][i] = r->flops;
        p->x[AXIS_STEPS][i] = r->steps;
        p->x[AXIS_UNIQUE][i] = r->unique;
        p->x[AXIS_EPOCHS][i] = r->epochs;
        p->loss[i] = r->value;
        p->cluster[i] = keyid_get(&keys, r->group);
    }
    p->n = rows->n;
    p->n_clusters = keys.n;
    p->group = xmalloc(sizeof *p->group * (keys.n ? keys.n : 1));
    for (int c = 0; c < keys.n; c++) snprintf(p->group[c], sizeof p->group[c], "%s", keys.keys[c]);
    keyid_free(&keys);
}

int points_from_store(const char *db, const char *sweep, const char *metric, const char *where,
                      Points *p) {
    memset(p, 0, sizeof *p);
    StorePoints rows;
    if (store_read_points(db, sweep, metric, where, &rows) != 0) return -1;
    points_from_rows(&rows, p);
    store_points_free(&rows);
    snprintf(p->source, sizeof p->source, "db:%s%s%s metric=%s%s%s", db, sweep ? " sweep=" : "", sweep ? sweep : "",
             metric, where ? " where=" : "", where ? where : "");
    if (p->n == 0) {
        jp_fail("%s: no finished runs with metric '%s'%s%s", db, metric, sweep ? " in sweep " : "", sweep ? sweep : "");
        points_free(p);
        return -1;
    }
    return 0;
}

static int cmp_by_value(const void *a, const void *b, void *ctx) {
    const double *v = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    if (v[i] != v[j]) return v[i] < v[j] ? -1 : 1;
    return (i > j) - (i < j);
}

void points_order_by(const Points *p, Axis4 a, int *idx) {
    for (int i = 0; i < p->n; i++) idx[i] = i;
    qsort_r(idx, p->n, sizeof(int), cmp_by_value, p->x[a]);
}

int points_check(const Points *p, const Axis4 *axes, int n_axes) {
    for (int i = 0; i < p->n; i++) {
        if (!isfinite(p->loss[i]) || p->loss[i] <= 0)
            return jp_fail("point %d: loss %g: losses must be positive and finite (the fit is in log-loss)", i + 1, p->loss[i]);
        for (int k = 0; k < n_axes; k++) {
            double v = p->x[axes[k]][i];
            if (!isfinite(v) || v <= 0) return jp_fail("point %d: %s = %g: must be positive and finite", i + 1, axis_name(axes[k]), v);
        }
    }
    for (int k = 0; k < n_axes; k++) {
        int distinct = 0;
        for (int i = 1; i < p->n && !distinct; i++) distinct = p->x[axes[k]][i] != p->x[axes[k]][0];
        if (!distinct) return jp_fail("%s takes %s: a law in it cannot be fitted", axis_name(axes[k]), p->n ? "one value only" : "no values");
    }
    return 0;
}

// The lower envelope of (C, loss): points with a lower loss than every point of smaller C.
void points_frontier(Points *p) {
    int *idx = xmalloc(sizeof(int) * p->n), k = 0;
    points_order_by(p, AXIS_C, idx);
    double best = INFINITY;
    Points q;
    points_alloc(&q, p->n);
    for (int i = 0; i < p->n; i++) {
        int r = idx[i];
        if (!(p->loss[r] < best)) continue;
        best = p->loss[r];
        for (int a = 0; a < AXIS_COUNT; a++) q.x[a][k] = p->x[a][r];
        q.loss[k] = p->loss[r];
        q.cluster[k] = k;
        k++;
    }
    q.n = q.n_clusters = k;
    snprintf(q.source, sizeof q.source, "%.480s (lower envelope in FLOPs)", p->source);
    free(idx);
    points_free(p);
    *p = q;
}

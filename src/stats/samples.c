#include "stats/samples.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "store/read_seeds.h"

typedef SeedRow Row;   // a run read from the store or from a CSV line

static int cmp_rows(const void *a, const void *b) {
    const Row *x = a, *y = b;
    if (x->N != y->N) return x->N < y->N ? -1 : 1;
    if (x->D != y->D) return x->D < y->D ? -1 : (x->D > y->D);
    return strcmp(x->key, y->key);
}

// Rows sorted by (N, D, key) become groups of equal key.
static void group_rows(Row *rows, int n, Samples *s) {
    qsort(rows, n, sizeof(Row), cmp_rows);
    s->g = xcalloc(n ? n : 1, sizeof(SeedGroup));
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && !strcmp(rows[j].key, rows[i].key)) j++;
        SeedGroup *g = &s->g[s->n_groups++];
        g->N = rows[i].N;
        g->D = rows[i].D;
        g->n = j - i;
        memcpy(g->key, rows[i].key, sizeof g->key);
        g->loss = xmalloc(sizeof(double) * g->n);
        g->acc = xmalloc(sizeof(double) * g->n);
        g->init = xmalloc(sizeof(int64_t) * g->n);
        g->data = xmalloc(sizeof(int64_t) * g->n);
        for (int k = 0; k < g->n; k++) {
            g->loss[k] = rows[i + k].loss;
            g->acc[k] = rows[i + k].acc;
            g->init[k] = rows[i + k].init;
            g->data[k] = rows[i + k].data;
        }
        if (isfinite(g->D)) snprintf(g->label, sizeof g->label, "N=%.0f D=%.0f", g->N, g->D);
        else snprintf(g->label, sizeof g->label, "N=%.0f", g->N);
        i = j;
    }
}

int samples_from_store(const char *db, const char *sweep, const char *metric, const char *where, Samples *s) {
    memset(s, 0, sizeof *s);
    SeedRow *rows;
    int n;
    if (seed_rows_read(db, sweep, metric, where, &rows, &n) != 0) return -1;
    if (n == 0) {
        jp_fail("%s: no finished runs%s%s", db, sweep ? " in sweep " : "", sweep ? sweep : "");
        free(rows);
        return -1;
    }
    group_rows(rows, n, s);
    free(rows);
    snprintf(s->source, sizeof s->source, "db:%s%s%s metric=%s%s%s", db, sweep ? " sweep=" : "", sweep ? sweep : "", metric,
             where ? " where=" : "", where ? where : "");
    return 0;
}

int samples_from_csv(const char *path, const char *group_col, const char *n_col, const char *loss_col,
                     const char *acc_col, const char *init_col, const char *data_col, Samples *s) {
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f) { jp_fail("%s: cannot open", path); return -1; }
    char *line = NULL, **fields = NULL;   // grown to the widest record: CSVs of any width
    size_t cap_line = 0;
    int cap_fields = 0;
    const char *names[6] = { group_col, n_col, loss_col, acc_col, init_col, data_col };
    int col[6] = { -1, -1, -1, -1, -1, -1 };
    if (getline(&line, &cap_line, f) < 0) { jp_fail("%s: empty", path); fclose(f); free(line); return -1; }
    int nf = csv_split_all(line, &fields, &cap_fields);
    for (int i = 0; i < nf; i++)
        for (int c = 0; c < 6; c++) if (names[c] && !strcmp(fields[i], names[c])) col[c] = i;
    for (int c = 0; c < 3; c++)
        if (col[c] < 0) { jp_fail("%s: no column '%s' in the header", path, names[c]); fclose(f); free(line); free(fields); return -1; }
    int n = 0, cap = 256, lineno = 1;
    Row *rows = xmalloc(sizeof(Row) * cap);
    while (getline(&line, &cap_line, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \r\n")] == 0) continue;
        int k = csv_split_all(line, &fields, &cap_fields);
        if (n == cap) rows = xrealloc(rows, sizeof(Row) * (cap *= 2));
        Row *r = &rows[n];
        double v[6];
        for (int c = 1; c < 6; c++) {
            v[c] = NAN;
            if (col[c] < 0) continue;
            char *end;
            v[c] = col[c] < k ? strtod(fields[col[c]], &end) : NAN;
            if (col[c] >= k || end == fields[col[c]] || *end) {
                jp_fail("%s:%d: column '%s': expected a number", path, lineno, names[c]);
                free(rows); free(line); free(fields); fclose(f);
                return -1;
            }
        }
        // values no run can have: refused here, with where, rather than described as data
        const char *bad = !(v[1] > 0) || !isfinite(v[1]) ? "N must be a positive finite number"
                          : !isfinite(v[2]) || v[2] < 0 ? "the loss must be a finite number ≥ 0"
                          : col[3] >= 0 && !(v[3] >= 0 && v[3] <= 1) ? "the accuracy must be a number in [0, 1]" : NULL;
        int c = !(v[1] > 0) || !isfinite(v[1]) ? 1 : !isfinite(v[2]) || v[2] < 0 ? 2 : 3;
        for (int q = 4; q < 6 && !bad; q++)   // seeds: whole numbers an int64 holds (a cast of 1e30 is undefined)
            if (col[q] >= 0 && !(v[q] >= 0 && v[q] < 0x1p63 && v[q] == floor(v[q]))) {
                bad = "a seed must be a whole number in [0, 2^63)";
                c = q;
            }
        if (bad) {
            jp_fail("%s:%d: column '%s' is %s: %s", path, lineno, names[c], fields[col[c]], bad);
            free(rows); free(line); free(fields); fclose(f);
            return -1;
        }
        snprintf(r->key, sizeof r->key, "%s", col[0] < k ? fields[col[0]] : "");
        r->N = v[1]; r->D = NAN; r->loss = v[2]; r->acc = v[3];
        r->init = col[4] >= 0 ? (int64_t)v[4] : -1;
        r->data = col[5] >= 0 ? (int64_t)v[5] : -1;
        n++;
    }
    fclose(f);
    free(line);
    free(fields);
    if (!n) { jp_fail("%s: no rows", path); free(rows); return -1; }
    group_rows(rows, n, s);
    free(rows);
    snprintf(s->source, sizeof s->source, "csv:%s", path);
    return 0;
}

void samples_free(Samples *s) {
    for (int i = 0; i < s->n_groups; i++) {
        free(s->g[i].loss); free(s->g[i].acc); free(s->g[i].init); free(s->g[i].data);
    }
    free(s->g);
    memset(s, 0, sizeof *s);
}

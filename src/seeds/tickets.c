#include "seeds/tickets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "store/read_tickets.h"

static int same_group(const TicketSeedRow *a, const TicketSeedRow *b) {
    return !strcmp(a->r.key, b->r.key) && a->level == b->level && !strcmp(a->variant, b->variant);
}

// Rows [i, j) (one group, level and variant) as group g.
static void fill_group(const TicketSeedRow *rows, int i, int j, SeedGroup *g) {
    g->N = rows[i].r.N;
    g->D = rows[i].r.D;
    g->n = j - i;
    memcpy(g->key, rows[i].r.key, sizeof g->key);
    g->loss = xmalloc_array((size_t)g->n, sizeof *g->loss);
    g->acc = xmalloc_array((size_t)g->n, sizeof *g->acc);
    g->init = xmalloc_array((size_t)g->n, sizeof *g->init);
    g->data = xmalloc_array((size_t)g->n, sizeof *g->data);
    double density = 0;
    for (int k = 0; k < g->n; k++) {
        const TicketSeedRow *t = &rows[i + k];
        g->loss[k] = t->r.loss;
        g->acc[k] = t->r.acc;
        g->init[k] = t->r.init;
        g->data[k] = t->r.data;
        density += t->density / g->n;
    }
    snprintf(g->label, sizeof g->label, "N=%.0f D=%.0f level %d %s %.1f%%", g->N, g->D, rows[i].level, rows[i].variant,
             100 * density);
}

int samples_from_tickets(const char *db, const char *sweep, const char *metric, const char *where, Samples *s) {
    memset(s, 0, sizeof *s);
    TicketSeedRow *rows;
    int n;
    if (ticket_rows_read(db, sweep, metric, where, &rows, &n) != 0) return -1;
    if (n == 0) {
        free(rows);
        return jp_fail("%s: no tickets rows of finished runs%s%s", db, sweep ? " in sweep " : "", sweep ? sweep : "");
    }
    s->g = xcalloc((size_t)n, sizeof *s->g);
    for (int i = 0, j; i < n; i = j) {   // the rows come ordered: a group is a run of equal (key, level, variant)
        for (j = i + 1; j < n && same_group(&rows[i], &rows[j]);) j++;
        fill_group(rows, i, j, &s->g[s->n_groups++]);
    }
    free(rows);
    snprintf(s->source, sizeof s->source, "db:%s tickets%s%s metric=%s%s%s", db, sweep ? " sweep=" : "", sweep ? sweep : "",
             metric, where ? " where=" : "", where ? where : "");
    return 0;
}

int tickets_only_db(const char *db, const char *metric) {
    long tickets, summarised;
    return ticket_rows_count(db, metric, &tickets, &summarised) == 0 && tickets > 0 && summarised == 0;
}

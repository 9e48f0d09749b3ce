#include "data/task.h"

#include <stdlib.h>
#include <string.h>

#include "data/world.h"

static void split_free(Split *s) {
    free(s->x);
    free(s->x8);
    free(s->lut);
    free(s->y);
    free(s->t);
    free(s->concept_start);
    free(s->concept_weight);
    *s = (Split){ 0 };
}

void task_free(Task *t) {
    split_free(&t->train);
    split_free(&t->val);
    split_free(&t->test);
    if (t->world) world_free(t->world);
    free(t->world);
    t->world = NULL;
}

// Rows requested ahead of the one being converted. A random row of the pool misses every cache
// level; asking for the next rows' lines while converting this one keeps several misses in flight
// instead of one (bench/gather.c measures it).
enum { PREFETCH_AHEAD = 8 };

static void prefetch_bytes(const uint8_t *p, int n) {
    for (int o = 0; o < n; o += 64) __builtin_prefetch(p + o, 0, 0);
    __builtin_prefetch(p + n - 1, 0, 0);   // a row need not start on a line
}

// X[n][dim] = lut[x8 rows]: each byte through the split's table, so a standardised dataset reads
// exactly the floats it would have stored.
static void gather_bytes(const Split *s, int dim, const uint32_t *rows, int start, int n, float *X) {
    const float *lut = s->lut;
    for (int j = 0; j < n; j++) {
        if (rows && j + PREFETCH_AHEAD < n) prefetch_bytes(s->x8 + (size_t)rows[j + PREFETCH_AHEAD] * dim, dim);
        const uint8_t *src = s->x8 + (rows ? rows[j] : (size_t)start + j) * dim;
        float *dst = X + (size_t)j * dim;
        for (int k = 0; k < dim; k++) dst[k] = lut[src[k]];
    }
}

void task_gather(const Task *t, const Split *s, const uint32_t *rows, int start, int n,
                 float *X, int *labels, float *targets) {
    int dim = t->dim, n_out = t->n_out;
    if (s->x8) gather_bytes(s, dim, rows, start, n, X);
    for (int j = 0; j < n; j++) {
        size_t r = rows ? rows[j] : (size_t)start + j;
        if (!s->x8) memcpy(X + (size_t)j * dim, s->x + r * dim, sizeof(float) * dim);
        if (labels && s->y) labels[j] = s->y[r];
        if (targets && s->t) memcpy(targets + (size_t)j * n_out, s->t + r * n_out, sizeof(float) * n_out);
    }
}

#include "data/task.h"

#include <stdlib.h>
#include <string.h>

#include "data/world.h"

static void split_free(Split *s) {
    free(s->x);
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

void task_gather(const Task *t, const Split *s, const uint32_t *rows, int start, int n,
                 float *X, int *labels, float *targets) {
    int dim = t->dim, n_out = t->n_out;
    for (int j = 0; j < n; j++) {
        size_t r = rows ? rows[j] : (size_t)start + j;
        memcpy(X + (size_t)j * dim, s->x + r * dim, sizeof(float) * dim);
        if (labels && s->y) labels[j] = s->y[r];
        if (targets && s->t) memcpy(targets + (size_t)j * n_out, s->t + r * n_out, sizeof(float) * n_out);
    }
}

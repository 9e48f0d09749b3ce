#include "data/task.h"

#include <stdlib.h>

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

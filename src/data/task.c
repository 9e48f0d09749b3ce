#include "data/task.h"

#include <stdlib.h>

static void split_free(Split *s) {
    free(s->x);
    free(s->y);
    free(s->t);
    *s = (Split){ 0 };
}

void task_free(Task *t) {
    split_free(&t->train);
    split_free(&t->val);
    split_free(&t->test);
}

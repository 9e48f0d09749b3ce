#include "base/crew.h"

#include <stdlib.h>

#include "base/xalloc.h"

// Takes this round's items until none is left (called, and returning, with the lock held).
static void crew_work(Crew *c) {
    while (c->next < c->n_items) {
        int i = c->next++, n = c->n_items;
        CrewFn fn = c->fn;
        void *ctx = c->ctx;
        pthread_mutex_unlock(&c->lock);
        fn(ctx, i);
        pthread_mutex_lock(&c->lock);
        if (++c->done == n) pthread_cond_broadcast(&c->idle);
    }
}

static void *crew_helper(void *arg) {
    Crew *c = arg;
    long seen = 0;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->round == seen && !c->quit) pthread_cond_wait(&c->work, &c->lock);
        if (c->quit) break;
        seen = c->round;
        crew_work(c);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

void crew_run(Crew *c, int n, CrewFn fn, void *ctx) {
    pthread_mutex_lock(&c->lock);
    c->fn = fn; c->ctx = ctx; c->n_items = n; c->next = c->done = 0;
    c->round++;
    if (n > 1) pthread_cond_broadcast(&c->work);
    crew_work(c);
    while (c->done < n) pthread_cond_wait(&c->idle, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void crew_start(Crew *c, int threads) {
    *c = (Crew){ 0 };
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->idle, NULL);
    c->helpers = xcalloc(threads > 1 ? threads : 1, sizeof(pthread_t));
    while (c->n_helpers < threads - 1 && pthread_create(&c->helpers[c->n_helpers], NULL, crew_helper, c) == 0)
        c->n_helpers++;
}

void crew_stop(Crew *c) {
    pthread_mutex_lock(&c->lock);
    c->quit = 1;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->lock);
    for (int k = 0; k < c->n_helpers; k++) pthread_join(c->helpers[k], NULL);
    free(c->helpers);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->idle);
}

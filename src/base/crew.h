// A crew: threads − 1 helper threads that, with the caller, take numbered work items until none is
// left, then sleep on a condition variable until the next round. The trainers' parallel loops run on
// it instead of OpenMP: libgomp's threads spin (up to 300,000 pauses) at every barrier and between
// regions, which on 2 cores cost a third of the CPU when members did not divide evenly, and its wait
// policy can only be set in the environment before the program starts.
#pragma once
#include <pthread.h>

typedef void (*CrewFn)(void *ctx, int item);

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t work, idle;   // helpers wait for a round; crew_run for its items done
    pthread_t *helpers;          // [n_helpers]
    int n_helpers, quit;
    long round;                  // bumped by each crew_run
    CrewFn fn;                   // this round's: fn(ctx, i) for i in [0, n_items)
    void *ctx;
    int n_items, next, done;
} Crew;

// threads − 1 helpers (as many as start: items are taken, not assigned, so fewer still do all).
void crew_start(Crew *c, int threads);
// fn(ctx, i) for every i in [0, n), taken one at a time by the caller and the helpers; returns when
// all are done. Items must not depend on which thread runs them.
void crew_run(Crew *c, int n, CrewFn fn, void *ctx);
void crew_stop(Crew *c);

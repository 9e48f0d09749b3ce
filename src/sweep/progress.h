// Progress of a sweep: on a terminal one live line (groups and runs done/total,
// throughput, ETA, best validation loss so far), redrawn at most 5 times a
// second; off a terminal a plain line per finished group; nothing when quiet.
#pragma once
#include <pthread.h>
#include <stddef.h>

typedef struct {
    pthread_mutex_t mu;
    int tty, quiet;
    int groups_total, groups_done;
    long runs_total, runs_done, runs_before;   // runs_before: done in earlier invocations
    double flops_total, flops_done;            // training FLOPs of this invocation's work
    double member_steps, t0, last_draw;
    double best_val_loss;
} Progress;

void progress_init(Progress *p, int groups, long runs, long runs_before, double flops, int quiet);
// Training advanced: FLOPs and member-steps since the last call, a validation loss seen.
void progress_advance(Progress *p, double flops, double member_steps, double val_loss);
// A group, or a part of one, finished: its label (e.g. "784-64-64-10 × 4"), its runs, its wall
// time; group_done: the group's last part (groups count whole groups).
void progress_group_done(Progress *p, const char *label, int runs, double wall_s, int group_done);
// Ends the live line (a newline on a terminal).
void progress_finish(Progress *p);

// A duration as the progress line shows it: "42s", "26m59s", "1h05m"; "?" when unknown.
void progress_format_duration(double s, char *out, size_t n);

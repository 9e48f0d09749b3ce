// Progress of a sweep. On a terminal one live line (groups and runs done/total, throughput, latest
// and best validation loss, elapsed, ETA), redrawn in place at most 4 times a second; off a
// terminal a plain line every period_s (JACKPOT_PROGRESS_S, default 30 s) and one per finished
// group; nothing when quiet. Evaluations and the trainer's steps feed it (progress_advance,
// progress_steps); a ticker thread redraws between them, so a long group is not silent. Every call is safe from any thread.
//
// The ETA is the planned FLOPs left over the FLOP rate measured so far (FLOPs done over the wall
// time since the first evaluation, which leaves out loading data), shown only after 2 s of
// training or 1% of the FLOPs.
#pragma once
#include <pthread.h>
#include <stddef.h>

typedef struct {
    double t, steps, tokens;
} ProgressMark;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;        // progress_finish wakes the ticker
    pthread_t ticker;
    int ticking, stopping;
    double (*now)(void);        // the clock: clock_now_s, or a test's
    int tty, quiet;
    double period_s;            // between plain lines off a terminal
    int groups_total, groups_done;
    long runs_total, runs_done, runs_before;   // runs_before: done in earlier invocations
    double flops_total, flops_done;            // training FLOPs of this invocation's work
    double flops_first;                        // flops_done at the first advance
    double member_steps, tokens;               // tokens: of gpt groups
    double t0, t_first, t_last;                // init; first and latest advance (t_first < 0: none yet)
    double last_draw, last_line;
    double val_loss, best_val_loss;            // latest and best seen
    ProgressMark mark[2];                      // throughput over the last 10-20 s: since mark[0]
} Progress;

void progress_init(Progress *p, int groups, long runs, long runs_before, double flops, int quiet);
// Training advanced: FLOPs, member-steps and tokens (gpt groups; 0 for MLPs) since the last
// call, and the validation loss just measured (NaN when none).
void progress_advance(Progress *p, double flops, double member_steps, double tokens, double val_loss);
// The trainer's on_steps (train/trainer.h) for a Progress ctx: member-steps and their FLOPs as they
// are trained, between evaluations; the evaluations then bring only the loss.
void progress_steps(void *progress, double member_steps, double flops);
// A group, or a part of one, finished: its label (e.g. "784-64-64-10 × 4"), its runs, its wall
// time; group_done: the group's last part (groups count whole groups).
void progress_group_done(Progress *p, const char *label, int runs, double wall_s, int group_done);
// Stops the ticker and ends the live line (a newline on a terminal).
void progress_finish(Progress *p);

// Seconds left at time `now` by the measured FLOP rate; NaN while the evidence is too thin.
// Call with p->mu held or from the only thread.
double progress_eta_s(const Progress *p, double now);
// The status text (no newline) at time `now`; with p->mu held or from the only thread.
void progress_status(const Progress *p, double now, char *out, size_t n);

// A duration as the progress line shows it: "42s", "26m59s", "1h05m"; "?" when unknown.
void progress_format_duration(double s, char *out, size_t n);

// Measured time estimates for `jackpot plan`: a group's training, evaluations and probes timed
// here on its own model and task (a handful of real steps), since small MLPs, toy worlds' fresh
// samples and evaluation run far from any FLOP rate a GEMM probe can give.
#pragma once
#include "sweep/scheduler.h"

#define PLAN_PROBE_MAX 64

// What one distinct (model, batch, task, threads) costs per member, as timed.
typedef struct {
    char key[1400];
    double step_s;    // one training step
    double eval_s;    // one evaluation: validation and test (and the interference probes when on)
    double setup_s;   // one train_ensemble's start and end (weights, buffers), per member
} PlanCost;

typedef struct {
    TaskCache tasks;
    double task_s;   // making the distinct tasks: Fashion-MNIST read, toy worlds generated
    int n;
    PlanCost c[PLAN_PROBE_MAX];
} PlanProbe;

void plan_probe_init(PlanProbe *p);
void plan_probe_free(PlanProbe *p);

// Seconds for group g on one worker slot of t threads, as `jackpot run` trains it (one ensemble,
// members in parallel) on idle cores (plan_idle_share), with BLAS's thread count as the caller
// set it. MLP groups: train_ensemble run for a few steps with k = min(n, t) members on the
// group's task, timed (the first time a distinct model, batch, task and t is seen; the task made
// once, its time in task_s), scaled to the steps, evaluations and members (⌈n / k⌉ turns of k);
// held-out splits are cut to a few thousand rows for the probe and the evaluation time scaled
// back. gpt groups: lm_probe. Tickets configs (tickets.rounds or target_density): times
// plan_ticket_trainings. −1 with jp_error() when the task or model cannot be made.
double plan_group_seconds(PlanProbe *p, const Group *g, int t);

// Trainings of each member that `jackpot tickets` runs for the spec: the dense level and every
// round's ticket, each with an instability copy when tickets.instability_points ≥ 2, and every
// round's controls (reinit, random_mask, oneshot); 1 for a spec without a tickets: section.
// A target_density without rounds counts the rounds until (1 − rate)^r reaches it (≤ 100).
long plan_ticket_trainings(const RunSpec *s);

// The process's CPU time (seconds, all threads), and the share of `threads` cores a stretch of
// wall_s seconds that used cpu_s of it got: min(1, cpu_s / (wall_s · threads)). The probes'
// times are scaled by it, so that a busy machine's plan still predicts an idle one's run.
double plan_cpu_s(void);
double plan_idle_share(double cpu_s, double wall_s, int threads);

// Evaluations train_ensemble makes over `steps` steps every `eval_every` (0: start and end).
long plan_evaluations(long steps, long eval_every);

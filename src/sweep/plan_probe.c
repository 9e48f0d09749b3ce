#include "sweep/plan_probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "sweep/lm_probe.h"
#include "sweep/tickets.h"

// Rows of each ordinary held-out split the timed probe evaluates (the warm-up: WARM_ROWS): enough
// that the per-row cost dominates, few enough that a 512-wide MLP's evaluation stays in the
// tens of milliseconds. Toy worlds' stratified splits are small and evaluated whole.
#define PROBE_ROWS 2048
#define WARM_ROWS 64
#define PROBE_TARGET_S 0.15   // training time of each timed probe
#define PROBE_REPS 2

double plan_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double plan_idle_share(double cpu_s, double wall_s, int threads) {
    double f = wall_s > 0 && threads > 0 ? cpu_s / (wall_s * threads) : 1;
    return f < 1 && f > 0 ? f : 1;
}

void plan_probe_init(PlanProbe *p) {
    memset(p, 0, sizeof *p);
    task_cache_init(&p->tasks);
}

void plan_probe_free(PlanProbe *p) { task_cache_free(&p->tasks); }

long plan_evaluations(long steps, long eval_every) {
    if (steps <= 0) return 1;
    if (eval_every <= 0) return 2;
    return 1 + steps / eval_every + (steps % eval_every != 0);
}

long plan_ticket_trainings(const RunSpec *s) {
    ImpOptions o = tickets_imp_options(s);
    return (long)tickets_trainings(&o);
}

// The task with its ordinary held-out splits cut to `rows` (a view: frees nothing); the factor
// by which the whole splits' evaluation exceeds the view's in *scale.
static Task cut_task(const Task *t, int rows, double *scale) {
    Task v = *t;
    double full = 0, cut = 0;
    Split *s[2] = { &v.val, &v.test };
    for (int i = 0; i < 2; i++) {
        full += s[i]->n;
        if (s[i]->n_concepts == 0 && s[i]->n > rows) s[i]->n = rows;
        cut += s[i]->n;
    }
    *scale = cut > 0 ? full / cut : 1;
    return v;
}

// One train_ensemble of `steps` steps on k members: its wall time, the part spent training
// (evaluations excluded) and evaluating (two evaluations, start and end), and the process's CPU
// time over it. 0, or −1.
static int timed_train(const TrainConfig *cfg, const Task *task, int k, double *wall, double *train_s, double *eval_s,
                       double *cpu) {
    MemberSeeds *seeds = xmalloc(sizeof *seeds * (size_t)k);
    MemberSummary *sum = xmalloc(sizeof *sum * (size_t)k);
    for (int m = 0; m < k; m++) seeds[m] = (MemberSeeds){ (uint64_t)m + 1, (uint64_t)m + 1 };
    Ensemble e;
    double t0 = clock_now_s(), c0 = plan_cpu_s();
    int rc = train_ensemble(cfg, task, seeds, k, &e, NULL, NULL, sum);
    *wall = clock_now_s() - t0;
    *cpu = plan_cpu_s() - c0;
    if (rc == 0) {
        ensemble_free(&e);
        *eval_s = sum[0].eval_s;
        *train_s = sum[0].final.wall_s - sum[0].eval_s;
    }
    free(seeds);
    free(sum);
    return rc == 0 ? 0 : -1;
}

// Times the spec's training on k members of t threads: a short warm-up (which also sizes the
// timed runs to about PROBE_TARGET_S of training), then PROBE_REPS timed runs. Per member in *c, as on
// idle cores: on a busy machine the times shrink by the share of t cores the probe got.
static int probe_mlp(const RunSpec *s, const Task *task, int k, int t, PlanCost *c) {
    TrainConfig cfg = spec_train_config(s, t);
    cfg.stop = NULL;
    cfg.eval_every = 0;   // evaluations at the start and the end only
    cfg.injection = (Injection){ 0 };   // plain steps, timed; an injection's steps cost the same (spec_total_steps counts them)
    double scale, wall, train_s, eval_s, cpu;
    Task warm = cut_task(task, WARM_ROWS, &scale);
    cfg.steps = s->steps < 4 ? s->steps : 4;
    if (timed_train(&cfg, &warm, k, &wall, &train_s, &eval_s, &cpu) != 0) return -1;
    long steps = cfg.steps > 0 ? (long)(PROBE_TARGET_S / fmax(train_s / cfg.steps, 1e-6)) : 0;
    cfg.steps = steps < 8 ? 8 : steps > 4000 ? 4000 : steps;
    if (cfg.steps > s->steps) cfg.steps = s->steps;
    Task view = cut_task(task, PROBE_ROWS, &scale);
    for (int rep = 0; rep < PROBE_REPS; rep++) {   // the least of each: a shared machine's bursts only add
        if (timed_train(&cfg, &view, k, &wall, &train_s, &eval_s, &cpu) != 0) return -1;
        double f = plan_idle_share(cpu, wall, t) / k;
        PlanCost r = { .step_s = cfg.steps > 0 ? f * train_s / cfg.steps : 0, .eval_s = f * eval_s / 2 * scale,
                       .setup_s = f * fmax(wall - train_s - eval_s, 0) };
        c->step_s = rep ? fmin(c->step_s, r.step_s) : r.step_s;
        c->eval_s = rep ? fmin(c->eval_s, r.eval_s) : r.eval_s;
        c->setup_s = rep ? fmin(c->setup_s, r.setup_s) : r.setup_s;
    }
    return 0;
}

// The cost of an MLP group's spec on t threads, timed or from the cache; NULL (jp_error()) when
// its task or model cannot be made.
static const PlanCost *mlp_cost(PlanProbe *p, const RunSpec *s, int k, int t) {
    char key[sizeof p->c[0].key], model[64];
    spec_model_label(s, model, sizeof model);
    int n = snprintf(key, sizeof key, "%s b%ld k%d t%d l%d p%ld ", model, s->batch, k, t, (int)s->loss, s->probe_concepts);
    spec_task_key(s, key + n, sizeof key - (size_t)n);
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->c[i].key, key)) return &p->c[i];
    int known = p->tasks.n;
    double t0 = clock_now_s();
    const Task *task = task_cache_get(&p->tasks, s, NULL);
    if (!task) return NULL;
    if (p->tasks.n > known) p->task_s += clock_now_s() - t0;
    PlanCost c;
    if (probe_mlp(s, task, k, t, &c) != 0) return NULL;
    snprintf(c.key, sizeof c.key, "%s", key);
    if (p->n == PLAN_PROBE_MAX) return jp_fail("more than %d distinct models to time", PLAN_PROBE_MAX), NULL;
    p->c[p->n] = c;
    return &p->c[p->n++];
}

double plan_group_seconds(PlanProbe *p, const Group *g, int t) {
    const RunSpec *s = g->specs[0];
    int k = g->n < t ? g->n : t;
    double one;   // one training of the group
    if (spec_is_gpt(s)) {
        double step_s = lm_probe_step_s(s, k);
        if (step_s < 0) return -1;
        one = lm_group_seconds(s, g->n, t, step_s);
    } else {
        const PlanCost *c = mlp_cost(p, s, k, t);
        if (!c) return -1;
        // per member: n members on t threads take ⌈n / k⌉ times what k took (5 members on 2
        // threads: each step waits for the thread with 3)
        double turns = ceil((double)g->n / k);
        one = turns * k * (c->setup_s + spec_total_steps(s) * c->step_s + plan_evaluations(spec_total_steps(s), s->eval_every) * c->eval_s);
    }
    return one * (double)plan_ticket_trainings(s);
}

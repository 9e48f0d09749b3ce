// jackpot plan: what a sweep expands to, without training.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "nn/blas.h"
#include "train/trainer.h"
#include "sweep/config.h"
#include "sweep/plan_probe.h"
#include "sweep/makespan.h"
#include "sweep/scheduler.h"

#define CMD "plan"

static const char HELP[] =
    "usage: jackpot plan SWEEP.yaml [--threads T] [--ranks R]\n"
    "\n"
    "Validates a sweep config and prints its groups (runs that differ only in seeds,\n"
    "trained as one ensemble), their runs, parameter counts, steps and training FLOPs\n"
    "(MLPs: 6 · n_params · examples; language models, model.family gpt: tokens ·\n"
    "(6N + 6 · n_layer · context · d_model), Kaplan et al. 2020, N the non-embedding\n"
    "parameters shown under params), the totals, and a time estimate for this machine.\n"
    "The estimate is timed here: each distinct MLP (model, batch, task) trains a few\n"
    "steps of its real task with min(members, threads) members and is evaluated on\n"
    "part of its held-out sets (with the interference probes when probe: is on), scaled\n"
    "to its steps, evaluations and members; each dataset or toy world is made once, as\n"
    "run makes it. Language-model groups are timed from a training step of their model\n"
    "(one member per thread) plus their evaluations' forward passes. The groups then go\n"
    "through the scheduler's queue on the worker slots jackpot run would start; with a\n"
    "tickets: section, each group counts every training jackpot tickets runs (the dense\n"
    "level, each round's ticket and controls) and the groups run one after another on\n"
    "all T threads. The time column is each group's on one slot. Timing takes a few\n"
    "seconds; a model or task that cannot be made here falls back to 90% of a GEMM probe.\n"
    "\n"
    "With --ranks R it also predicts `mpirun -np R jackpot run`: each rank has W worker\n"
    "slots (as many as jackpot run would start on T threads) of T / W threads each; the\n"
    "groups' parts (big MLP groups split for R · W slots, as run splits them) go, largest\n"
    "FLOPs first, to whichever slot frees first. A part's time is its group's above times\n"
    "its share of the members. It prints that makespan, the same on 1 rank and the\n"
    "speed-up, the largest part and the lower bound, and the longest piece no split can\n"
    "shorten (one member of an MLP group, a whole language-model group): no number of\n"
    "ranks finishes sooner. T is per rank: ranks sharing a machine share its cores.\n"
    "\n"
    "T may exceed this machine's cores, to plan a bigger node: slots are timed here on\n"
    "at most this machine's cores each, so a slot of more threads than that is timed\n"
    "on fewer and its estimate is an upper bound (said so in the output).\n"
    "\n"
    "  --threads T   threads to estimate for, 1..65536     [this machine's cores]\n"
    "  --ranks R     predict a run on R MPI ranks of T threads each, 1..65536\n"
    "  --help        this text\n";

static void human(double x, char *out, size_t n) {
    const char *units[] = { "", "k", "M", "G", "T", "P", "E" };
    int u = 0;
    while (x >= 1000 && u < 6) { x /= 1000; u++; }
    snprintf(out, n, "%.3g%s", x, units[u]);
}

// The scheduler's queue for `slots` slots (group_parts: a part costs its group's seconds gs[group]
// times its share of the members), simulated; the largest part's label in label[n].
static Makespan simulate_parts(const Group *groups, int ng, int slots, const double *gs, char *label, size_t n) {
    GroupPart *p;
    int np = group_parts(groups, ng, slots, &p);
    double *cost = xmalloc(sizeof(double) * (np ? np : 1));   // [np], in queue order
    for (int i = 0; i < np; i++) cost[i] = gs[p[i].group] * p[i].g.n / groups[p[i].group].n;
    Makespan m = makespan_simulate(cost, np, slots, NULL);
    if (m.largest_at >= 0) {
        int k = snprintf(label, n, "group %d, ", p[m.largest_at].group + 1);
        group_label(&p[m.largest_at].g, label + k, n - (size_t)k);
    } else {
        snprintf(label, n, "no parts");
    }
    free(cost);
    free(p);
    return m;
}

// --ranks: `mpirun -np R jackpot run` predicted, R ranks of W slots (run_workers on T threads)
// of T / W threads each, against one rank; and what bounds it. gs[ng]: each group's seconds on a slot.
static void print_ranks(const Group *groups, int ng, int ranks, int threads, const double *gs) {
    int w = run_workers(groups, ng, 0, threads), t = threads / w > 0 ? threads / w : 1;
    double piece = 0;   // the longest piece no split shortens: one MLP member, a whole gpt group
    int piece_g = -1;
    for (int g = 0; g < ng; g++) {
        double unit = spec_is_gpt(groups[g].specs[0]) ? gs[g] : gs[g] / groups[g].n;
        if (piece_g < 0 || unit > piece) { piece = unit; piece_g = g; }
    }
    char label[256], one_label[256];
    Makespan one = simulate_parts(groups, ng, w, gs, one_label, sizeof one_label);
    Makespan many = simulate_parts(groups, ng, ranks * w, gs, label, sizeof label);
    printf("\nranks: %d × %d worker slots of %d thread%s (--threads %d per rank)\n", ranks, w, t, t > 1 ? "s" : "", threads);
    if (ranks > 1)
        printf("predicted makespan: %.3g s on %d ranks, %.3g s on 1 rank: %.2f× faster\n", many.makespan, ranks,
               one.makespan, many.makespan > 0 ? one.makespan / many.makespan : 1.0);
    else
        printf("predicted makespan: %.3g s on 1 rank\n", many.makespan);
    printf("largest part: %.3g s, %.0f%% of the makespan (%s)\n", many.largest,
           many.makespan > 0 ? 100 * many.largest / many.makespan : 0.0, label);
    printf("lower bound: %.3g s (the larger of all work over %d slots, %.3g s, and the largest part)\n",
           makespan_lower_bound(&many, ranks * w), ranks * w, many.total / (ranks * w));
    if (piece_g >= 0) {
        group_label(&groups[piece_g], label, sizeof label);
        printf("no number of ranks finishes sooner than %.3g s: %s of group %d (%s) is never split\n", piece,
               spec_is_gpt(groups[piece_g].specs[0]) ? "the language model" : "one member", piece_g + 1, label);
    }
}

// Each group's seconds on one slot of t threads (w slots in all) into gs[ng], timed through the
// probe (BLAS threads as run sets them) on at most this machine's cores: a slot of more threads
// (--threads for a bigger node) gets the time on fewer, an upper bound, since how a small model's
// step scales past the cores measured is not known here. A group that cannot be timed
// falls back to its FLOPs at gflops_thread · t, with a note.
static void time_groups(PlanProbe *pp, const Group *groups, int ng, int w, int t, int cores, double gflops_thread, double *gs) {
    int here = t < cores ? t : cores;
    for (int g = 0; g < ng; g++) {
        blas_set_threads(w > 1 ? 1 : train_blas_threads(here, groups[g].n, spec_is_gpt(groups[g].specs[0])));
        gs[g] = plan_group_seconds(pp, &groups[g], here);
        if (gs[g] < 0) {
            fprintf(stderr, "jackpot plan: group %d not timed (%s): its FLOPs at %.0f GFLOP/s instead\n", g + 1, jp_error(),
                    gflops_thread * t);
            gs[g] = groups[g].flops / (gflops_thread * t * 1e9) * (double)plan_ticket_trainings(groups[g].specs[0]);
        }
    }
}

// The sweep's time: jackpot run's queue on w slots, or (a tickets config) jackpot tickets' groups
// one after another on every thread; the tasks' making added either way.
static double sweep_seconds(const Group *groups, int ng, int w, int tickets, const double *gs, double task_s) {
    double total = task_s;
    if (tickets) {
        for (int g = 0; g < ng; g++) total += gs[g];
        return total;
    }
    char label[256];
    return total + simulate_parts(groups, ng, w, gs, label, sizeof label).makespan;
}

int cmd_plan(int argc, char **argv) {
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), threads = cores, ranks = 0;
    static const struct option opts[] = { { "threads", required_argument, 0, 't' }, { "ranks", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 't') threads = (int)arg_long(CMD, "--threads", optarg, 1, 65536);
        else if (c == 'r') ranks = (int)arg_long(CMD, "--ranks", optarg, 1, 65536);
        else if (c == 'h') { fputs(HELP, stdout); return 0; }
        else if (c == ':') usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        else usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1) usage_error(CMD, "expected one sweep config (a .yaml file)");
    SweepConfig cfg;
    RunSpec *specs;
    long n;
    cli_load_sweep(CMD, argv[optind], &cfg, &specs, &n);
    long *ids = xmalloc(sizeof(long) * (n ? n : 1));
    int *all = xmalloc(sizeof(int) * (n ? n : 1));
    for (long i = 0; i < n; i++) { ids[i] = i; all[i] = 1; }
    Group *groups;
    int ng;
    group_specs(specs, ids, all, n, &groups, &ng);
    int tickets = n > 0 && plan_ticket_trainings(&specs[0]) > 1;
    int w = tickets ? 1 : run_workers(groups, ng, 0, threads), t = threads / w > 0 ? threads / w : 1;
    blas_set_threads(1);   // the fallback's GEMM probe: one thread
    double gflops_thread = 0.9 * blas_probe_gflops(384), total_flops = 0, member_steps = 0, t0 = clock_now_s();
    double *gs = xmalloc(sizeof(double) * (ng ? ng : 1));   // [ng] seconds of each group on a slot
    PlanProbe pp;
    plan_probe_init(&pp);
    time_groups(&pp, groups, ng, w, t, cores, gflops_thread, gs);
    double probe_s = clock_now_s() - t0;
    printf("sweep '%s' (%s): %ld runs in %d groups\n\n", cfg.name, cfg.path, n, ng);
    printf("%5s  %-24s %10s %7s %9s %6s %10s %10s %8s\n", "group", "model", "params", "members", "steps", "batch", "FLOPs/run", "FLOPs", "time");
    for (int g = 0; g < ng; g++) {
        const RunSpec *s = groups[g].specs[0];
        char model[64], fr[16], ft[16];
        spec_model_label(s, model, sizeof model);
        human(spec_planned_flops(s), fr, sizeof fr);
        human(groups[g].flops, ft, sizeof ft);
        printf("%5d  %-24s %10ld %7d %9ld %6ld %10s %10s %7.3gs\n", g + 1, model, s->n_params, groups[g].n, spec_total_steps(s), s->batch, fr, ft, gs[g]);
        total_flops += groups[g].flops;
        member_steps += (double)groups[g].n * spec_total_steps(s);   // an injection's phases included
    }
    double total_s = sweep_seconds(groups, ng, w, tickets, gs, pp.task_s);
    char ft[16];
    human(total_flops, ft, sizeof ft);
    printf("\ntotal: %ld runs, %.3g member-steps, %s training FLOPs\n", n, member_steps, ft);
    if (tickets)
        printf("tickets: every member trains %ld times (dense, each round's ticket and controls); groups one after another\n",
               plan_ticket_trainings(&specs[0]));
    printf("estimated time on %d threads: ~%.0f s (%.1f min), %d worker slot%s of %d thread%s, steps timed here in %.1f s "
           "(making the tasks: %.2g s)\n", threads, total_s, total_s / 60, w, w > 1 ? "s" : "", t, t > 1 ? "s" : "", probe_s, pp.task_s);
    if (t > cores)
        printf("note: this machine has %d cores; each slot's %d threads were timed on %d: an upper bound\n", cores, t, cores);
    else if (threads > cores)
        printf("note: %d threads on this machine's %d cores: each slot timed alone here, as on a node of %d cores\n", threads,
               cores, threads);
    if (ranks) print_ranks(groups, ng, ranks, threads, gs);
    plan_probe_free(&pp);
    free(gs);
    groups_free(groups, ng);
    free(ids);
    free(all);
    free(specs);
    sweep_config_free(&cfg);
    return 0;
}

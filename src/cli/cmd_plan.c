// jackpot plan: what a sweep expands to, without training.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "nn/blas.h"
#include "sweep/config.h"
#include "sweep/lm_probe.h"
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
    "parameters shown under params), the totals, and a rough time estimate for this machine.\n"
    "The estimate assumes training reaches half the GEMM speed measured by a quick\n"
    "probe on T threads plus 20 µs of overhead per member-step; small models run\n"
    "further below the GEMM speed, so treat it as an order of magnitude. Language-model\n"
    "groups are estimated instead from a training step of their model timed here (one\n"
    "member per thread) plus their evaluations' forward passes.\n"
    "\n"
    "With --ranks R it also predicts `mpirun -np R jackpot run`: each rank has W worker\n"
    "slots (as many as jackpot run would start on T threads) of T / W threads each; the\n"
    "groups' parts (big MLP groups split for R · W slots, as run splits them) go, largest\n"
    "FLOPs first, to whichever slot frees first. A part's time is the estimate above for\n"
    "its members on T / W threads (GEMM speed per thread times T / W; language models\n"
    "timed again on T / W threads). It prints that makespan, the same on 1 rank and the\n"
    "speed-up, the largest part and the lower bound, and the longest piece no split can\n"
    "shorten (one member of an MLP group, a whole language-model group): no number of\n"
    "ranks finishes sooner. T is per rank: ranks sharing a machine share its cores.\n"
    "\n"
    "  --threads T   threads to estimate for, 1..cores     [cores]\n"
    "  --ranks R     predict a run on R MPI ranks of T threads each, 1..65536\n"
    "  --help        this text\n";

static void human(double x, char *out, size_t n) {
    const char *units[] = { "", "k", "M", "G", "T", "P", "E" };
    int u = 0;
    while (x >= 1000 && u < 6) { x /= 1000; u++; }
    snprintf(out, n, "%.3g%s", x, units[u]);
}

// Seconds for group g on one worker slot of t threads, as the whole-sweep estimate: MLPs at
// gflops_thread · t plus 20 µs per member-step over t threads; a language model's step timed
// here with min(members, t) members on t threads (0 when it cannot be built, as above).
static double group_seconds(const Group *g, int t, double gflops_thread) {
    const RunSpec *s = g->specs[0];
    if (!spec_is_gpt(s)) return g->flops / (gflops_thread * t * 1e9) + (double)g->n * s->steps * 20e-6 / t;
    double step_s = lm_probe_step_s(s, g->n < t ? g->n : t);
    return step_s > 0 ? lm_group_seconds(s, g->n, t, step_s) : 0;
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
// of T / W threads each, against one rank; and what bounds it.
static void print_ranks(const Group *groups, int ng, int ranks, int threads, double gflops_thread) {
    int w = run_workers(groups, ng, 0, threads), t = threads / w > 0 ? threads / w : 1;
    double *gs = xmalloc(sizeof(double) * (ng ? ng : 1));   // [ng] seconds of each whole group on a slot
    double piece = 0;   // the longest piece no split shortens: one MLP member, a whole gpt group
    int piece_g = -1;
    for (int g = 0; g < ng; g++) {
        gs[g] = group_seconds(&groups[g], t, gflops_thread);
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
    free(gs);
}

int cmd_plan(int argc, char **argv) {
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), threads = cores, ranks = 0;
    static const struct option opts[] = { { "threads", required_argument, 0, 't' }, { "ranks", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 't') threads = (int)arg_long(CMD, "--threads", optarg, 1, cores);
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

    blas_set_threads(1);   // the probe: one thread, scaled by T below
    double gflops = 0.5 * blas_probe_gflops(384) * threads, total_flops = 0, total_s = 0, member_steps = 0;
    double mlp_flops = 0, lm_s = 0;
    printf("sweep '%s' (%s): %ld runs in %d groups\n\n", cfg.name, cfg.path, n, ng);
    printf("%5s  %-24s %10s %7s %9s %6s %10s %10s\n", "group", "model", "params", "members", "steps", "batch", "FLOPs/run", "FLOPs");
    for (int g = 0; g < ng; g++) {
        const RunSpec *s = groups[g].specs[0];
        char model[64], fr[16], ft[16];
        spec_model_label(s, model, sizeof model);
        human(spec_planned_flops(s), fr, sizeof fr);
        human(groups[g].flops, ft, sizeof ft);
        printf("%5d  %-24s %10ld %7d %9ld %6ld %10s %10s\n", g + 1, model, s->n_params, groups[g].n, s->steps, s->batch, fr, ft);
        total_flops += groups[g].flops;
        member_steps += (double)groups[g].n * s->steps;
        if (spec_is_gpt(s)) {   // language models: their own step, timed here
            int k = groups[g].n < threads ? groups[g].n : threads;
            double step_s = lm_probe_step_s(s, k);
            if (step_s > 0) lm_s += lm_group_seconds(s, groups[g].n, threads, step_s);
        } else {
            mlp_flops += groups[g].flops;
        }
    }
    total_s = mlp_flops / (gflops * 1e9) + member_steps * 20e-6 / threads + lm_s;
    char ft[16];
    human(total_flops, ft, sizeof ft);
    printf("\ntotal: %ld runs, %.3g member-steps, %s training FLOPs\n", n, member_steps, ft);
    printf("estimated time on %d threads: ~%.0f s (%.1f min), assuming %.0f GFLOP/s\n", threads, total_s, total_s / 60, gflops);
    if (ranks) print_ranks(groups, ng, ranks, threads, gflops / threads);
    groups_free(groups, ng);
    free(ids);
    free(all);
    free(specs);
    sweep_config_free(&cfg);
    return 0;
}

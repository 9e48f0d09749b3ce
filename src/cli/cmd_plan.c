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
#include "sweep/scheduler.h"

#define CMD "plan"

static const char HELP[] =
    "usage: jackpot plan SWEEP.yaml [--threads T]\n"
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
    "  --threads T   threads to estimate for, 1..cores     [cores]\n"
    "  --help        this text\n";

static void human(double x, char *out, size_t n) {
    const char *units[] = { "", "k", "M", "G", "T", "P", "E" };
    int u = 0;
    while (x >= 1000 && u < 6) { x /= 1000; u++; }
    snprintf(out, n, "%.3g%s", x, units[u]);
}

int cmd_plan(int argc, char **argv) {
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), threads = cores;
    static const struct option opts[] = { { "threads", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 't') threads = (int)arg_long(CMD, "--threads", optarg, 1, cores);
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
    groups_free(groups, ng);
    free(ids);
    free(all);
    free(specs);
    sweep_config_free(&cfg);
    return 0;
}

// jackpot: a laboratory for the empirical science of neural scaling.
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "nn/blas.h"

static const char USAGE[] =
    "usage: jackpot <command> [options]\n"
    "\n"
    "commands:\n"
    "  train   train one ensemble (M members differing in init and data seeds)\n"
    "          and write per-evaluation metrics as JSON Lines\n"
    "  plan    show what a sweep config expands to: groups, runs, FLOPs, time\n"
    "  run     train a sweep into a SQLite database; rerun to resume\n"
    "  status  what a database holds: runs by status, failures, time used and left\n"
    "  export  runs, metrics or summaries as CSV or JSON Lines, axes as columns\n"
    "  fit     scaling laws with bootstrap intervals, IsoFLOP, the budget planner\n"
    "  compare the worth of an idea in compute: the multiplier of one arm over another\n"
    "  dist    outcome distributions across seeds: spread, tails, best of k, init/data split\n"
    "  report  figures and tables in one folder: index.html, and per figure CSV, gnuplot script, SVG, PNG\n"
    "  concepts  toy worlds: concepts learned by size, learning order, α_N/α_D vs theory, interference\n"
    "  sample  a language-model run's continuation of a prompt (model.family gpt)\n"
    "  tickets lottery tickets: iterative magnitude pruning with rewinding and controls\n"
    "  info    this machine, the BLAS kernels chosen and a GEMM speed probe\n"
    "\n"
    "jackpot <command> --help documents every option of a command.\n"
    "\n"
    "environment:\n"
    "  OPENBLAS_CORETYPE   the BLAS kernels; when unset and OpenBLAS misses the\n"
    "                      CPU's AVX-512, jackpot sets SkylakeX and restarts\n";

int main(int argc, char **argv) {
    blas_select_kernels(argv);
    // Process-wide settings, made here once (library code never changes them): GSL returns its
    // status codes (the fits and tests check them) instead of aborting the process.
    gsl_set_error_handler_off();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "train") == 0) return cmd_train(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "plan") == 0) return cmd_plan(argc - 1, argv + 1);
    if (strcmp(argv[1], "status") == 0) return cmd_status(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0) return cmd_export(argc - 1, argv + 1);
    if (strcmp(argv[1], "fit") == 0) return cmd_fit(argc - 1, argv + 1);
    if (strcmp(argv[1], "compare") == 0) return cmd_compare(argc - 1, argv + 1);
    if (strcmp(argv[1], "dist") == 0) return cmd_dist(argc - 1, argv + 1);
    if (strcmp(argv[1], "concepts") == 0) return cmd_concepts(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0) return cmd_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "sample") == 0) return cmd_sample(argc - 1, argv + 1);
    if (strcmp(argv[1], "tickets") == 0) return cmd_tickets(argc - 1, argv + 1);
    fprintf(stderr, "jackpot: unknown command '%s'\n\n%s", argv[1], USAGE);
    return 2;
}

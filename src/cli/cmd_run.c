// jackpot run: a sweep into the store, resuming whatever is not done.
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "base/error.h"
#include "base/ranks.h"
#include "nn/blas.h"
#include "store/store.h"
#include "sweep/config.h"
#include "sweep/distributed.h"
#include "sweep/scheduler.h"

#define CMD "run"

static const char HELP[] =
    "usage: jackpot run SWEEP.yaml [--db FILE] [options]\n"
    "\n"
    "Trains every run of a sweep that the database does not hold yet, grouping runs that\n"
    "differ only in seeds into one ensemble. Rerunning the same command resumes: done runs\n"
    "are skipped, runs interrupted by a crash or kill restart from scratch, nothing is\n"
    "written twice. Ctrl-C stops after the current step, keeping every finished run.\n"
    "\n"
    "  --db FILE        the SQLite results database (created if missing)    [runs.db]\n"
    "  --workers N      groups, or parts of groups, trained at once, 1..64   [one per thread,\n"
    "                   fewer when there are fewer members: each worker on one thread, the\n"
    "                   members of a big group split among workers, none waiting for another]\n"
    "  --threads T      threads in all, 1..cores (split among the workers)   [cores]\n"
    "  --data-dir DIR   where the datasets are (overrides task.data_dir)\n"
    "  --retry-failed   train runs that failed before again\n"
    "  --wait           if another jackpot run holds the database, wait for it\n"
    "                   instead of refusing\n"
    "  --force-foreign-db  write into an SQLite file that is not a jackpot database\n"
    "                   (no jackpot application_id); without it such a file is refused\n"
    "                   and left untouched\n"
    "  --data-parallel  under MPI: every rank trains each group together, each step's batch\n"
    "                   split among the ranks and the gradients summed (MPI_Allreduce);\n"
    "                   language models only (model.family: gpt)\n"
    "  --quiet          no progress output (else: on a terminal a live line with\n"
    "                   throughput, loss and an ETA from the measured FLOP rate; in a log\n"
    "                   a line every JACKPOT_PROGRESS_S seconds [30], and one per group)\n"
    "  --help           this text\n"
    "\n"
    "Exit status: 0 all runs done (diverged runs count as done: divergence is a result),\n"
    "1 some failed or the database could not be written (a full disk is named; finished\n"
    "runs are kept and a rerun resumes), 2 a bad config or option, 3 the database is in\n"
    "use, 130 interrupted. Why a run failed is printed, and stored in runs.error.\n"
    "\n"
    "On several processes (jackpot built with MPI; `jackpot info` says): mpirun -np P jackpot run\n"
    "SWEEP.yaml --db FILE, or srun under Slurm. Rank 0 owns the database and hands parts of groups\n"
    "to the ranks as they free up (largest first); every rank reads the config and the data\n"
    "itself; results equal a one-process run's. --threads is per rank [cores / ranks on the\n"
    "node]. Language models' checkpoints and weights are written beside the database, which\n"
    "every rank must see (a shared filesystem). If the job dies, rerun it with any number of\n"
    "ranks: finished runs are kept.\n";

typedef struct {
    const char *db_path, *config;
    RunOptions ro;
    int retry, wait, foreign_ok;
} RunArgs;

// Threads per process: the cores, shared among the ranks of this node.
static int default_threads(int cores) {
    int t = cores / ranks_local_size();
    return t > 0 ? t : 1;
}

// The flags into a; returns 1 when --help was printed.
static int parse_args(int argc, char **argv, RunArgs *a) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },      { "workers", required_argument, 0, 'w' },
        { "threads", required_argument, 0, 't' }, { "data-dir", required_argument, 0, 'D' },
        { "retry-failed", no_argument, 0, 'r' },  { "wait", no_argument, 0, 'W' },
        { "quiet", no_argument, 0, 'q' },         { "help", no_argument, 0, 'h' },
        { "force-foreign-db", no_argument, 0, 'F' }, { "data-parallel", no_argument, 0, 'P' }, { 0, 0, 0, 0 },
    };
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), c;
    *a = (RunArgs){ .db_path = "runs.db", .ro = { .workers = 0, .threads = default_threads(cores), .stop = &cli_stop } };
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db_path = optarg; break;
        case 'w': a->ro.workers = (int)arg_long(CMD, "--workers", optarg, 1, 64); break;
        case 't': a->ro.threads = (int)arg_long(CMD, "--threads", optarg, 1, cores); break;
        case 'D': a->ro.data_dir = optarg; break;
        case 'r': a->retry = 1; break;
        case 'W': a->wait = 1; break;
        case 'F': a->foreign_ok = 1; break;
        case 'q': a->ro.quiet = 1; break;
        case 'P': a->ro.data_parallel = 1; break;
        case 'h': fputs(HELP, stdout); return 1;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) usage_error(CMD, "expected one sweep config (a .yaml file)");
    a->config = argv[optind];
    return 0;
}

// The outcome, and the exit status: 0 all done, 1 failures or a failed write, 130 interrupted.
static int report(const RunArgs *a, const SweepConfig *cfg, const SweepDb *sd, const RunTotals *tot) {
    long failed_before = sd->runs.failed_before;
    if (failed_before && sd->runs.failed_error[0])   // printed even with --quiet: a reason is not progress
        fprintf(stderr, "jackpot run: %ld run%s failed before: %s\n", failed_before, failed_before == 1 ? "" : "s",
                sd->runs.failed_error);
    if (tot->aborted) {
        fprintf(stderr, "jackpot run: %s\njackpot run: sweep '%s' stopped: %ld runs done now, every finished run is kept; "
                        "rerun the same command to resume%s\n",
                tot->error, cfg->name, tot->done + tot->diverged, strstr(tot->error, "disk full") ? " once there is space" : "");
        return 1;
    }
    if (!a->ro.quiet || tot->failed || tot->interrupted) {
        fprintf(stderr, "jackpot run: sweep '%s': %ld done now (%ld diverged), %ld failed", cfg->name,
                tot->done + tot->diverged, tot->diverged, tot->failed);
        if (tot->interrupted) fprintf(stderr, ", %ld interrupted: rerun the same command to resume", tot->interrupted);
        fprintf(stderr, "; results in %s\n", a->db_path);
    }
    return tot->interrupted ? 130 : tot->failed ? 1 : 0;
}

// A rank other than 0: trains what rank 0 hands it; rank 0 reports the outcome.
static int run_other_rank(RunArgs *a, SweepConfig *cfg, RunSpec *specs, long n) {
    a->ro.specs = specs;
    a->ro.n_specs = n;
    RunTotals tot;
    int rc = run_distributed(NULL, NULL, 0, &a->ro, &tot);
    if (rc != 0) fprintf(stderr, "jackpot run: rank %d: %s\n", ranks_rank(), jp_error());
    free(specs);
    sweep_config_free(cfg);
    if (!tot.lost) ranks_finalize();   // else a rank is dead: MPI_Finalize would wait for it
    return rc ? 1 : tot.lost ? 130 : 0;
}

int cmd_run(int argc, char **argv) {
    if (ranks_init(&argc, &argv) != 0) {
        fprintf(stderr, "jackpot run: %s\n", jp_error());
        return 1;
    }
    RunArgs a;
    if (parse_args(argc, argv, &a)) return 0;
    SweepConfig cfg;
    RunSpec *specs;
    long n;
    cli_load_sweep(CMD, a.config, &cfg, &specs, &n);
    cli_catch_stop_signals("\njackpot run: stopping after the current step (Ctrl-C again to quit at once)\n");
    if (ranks_rank() > 0) return run_other_rank(&a, &cfg, specs, n);
    SweepDb sd;
    cli_open_sweep_db(CMD, a.db_path, a.wait, a.retry, a.foreign_ok, &cfg, specs, n, &sd);

    Group *groups;
    int n_groups;
    group_specs(specs, sd.runs.run_ids, sd.runs.todo, n, &groups, &n_groups);
    a.ro.workers = run_workers(groups, n_groups, a.ro.workers, a.ro.threads);
    blas_set_threads(run_blas_threads(groups, n_groups, &a.ro));   // process-wide: set here, once
    if (!a.ro.quiet) {
        fprintf(stderr, "jackpot run: sweep '%s': %ld runs, %ld already done, %ld to train in %d groups",
                cfg.name, n, sd.runs.before, groups_runs(groups, n_groups), n_groups);
        if (sd.runs.failed_before)
            fprintf(stderr, ", %ld failed before (--retry-failed to train them again)", sd.runs.failed_before);
        if (sd.reset > 0) fprintf(stderr, "; %ld interrupted runs restart", sd.reset);
        if (ranks_size() > 1)
            fprintf(stderr, "; on %d MPI ranks%s", ranks_size(), a.ro.data_parallel ? ", data parallel" : "");
        else if (a.ro.data_parallel)
            fprintf(stderr, "; --data-parallel on one process: nothing to split");
        fprintf(stderr, "\n");
    }
    a.ro.runs_before = sd.runs.before;
    a.ro.specs = specs;
    a.ro.n_specs = n;
    RunTotals tot;
    if (ranks_size() > 1) run_distributed(&sd.st, groups, n_groups, &a.ro, &tot);
    else run_groups(&sd.st, groups, n_groups, &a.ro, &tot);
    int status = report(&a, &cfg, &sd, &tot);
    groups_free(groups, n_groups);
    free(specs);
    sweep_config_free(&cfg);
    cli_close_sweep_db(&sd);
    if (!tot.lost) ranks_finalize();   // else a rank is dead: MPI_Finalize would wait for it
    return status;
}

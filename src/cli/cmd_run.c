// jackpot run: a sweep into the store, resuming whatever is not done.
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "store/store.h"
#include "sweep/config.h"
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
    "  --workers N      groups trained at once, 1..64   [cores / members per group, at least 1:\n"
    "                   an ensemble already spreads its members over the threads]\n"
    "  --threads T      threads in all, 1..cores (split among the workers)   [cores]\n"
    "  --data-dir DIR   where the datasets are (overrides task.data_dir)\n"
    "  --retry-failed   train runs that failed before again\n"
    "  --wait           if another jackpot run holds the database, wait for it\n"
    "                   instead of refusing\n"
    "  --force-foreign-db  write into an SQLite file that is not a jackpot database\n"
    "                   (no jackpot application_id); without it such a file is refused\n"
    "                   and left untouched\n"
    "  --quiet          no progress output\n"
    "  --help           this text\n"
    "\n"
    "Exit status: 0 all runs done (diverged runs count as done: divergence is a result),\n"
    "1 some failed or the database could not be written (a full disk is named; finished\n"
    "runs are kept and a rerun resumes), 2 a bad config or option, 3 the database is in\n"
    "use, 130 interrupted. Why a run failed is printed, and stored in runs.error.\n";

static volatile int stop_requested;

static void on_signal(int sig) {
    (void)sig;
    if (stop_requested) _exit(130);   // second Ctrl-C: every commit so far is safe; a rerun resumes
    stop_requested = 1;
    static const char msg[] = "\njackpot run: stopping after the current step (Ctrl-C again to quit at once)\n";
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing to do */ }
}

int cmd_run(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },      { "workers", required_argument, 0, 'w' },
        { "threads", required_argument, 0, 't' }, { "data-dir", required_argument, 0, 'D' },
        { "retry-failed", no_argument, 0, 'r' },  { "wait", no_argument, 0, 'W' },
        { "quiet", no_argument, 0, 'q' },         { "help", no_argument, 0, 'h' },
        { "force-foreign-db", no_argument, 0, 'F' }, { 0, 0, 0, 0 },
    };
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    const char *db_path = "runs.db";
    RunOptions ro = { .workers = 0, .threads = cores, .stop = &stop_requested };
    int retry = 0, wait = 0, foreign_ok = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db_path = optarg; break;
        case 'w': ro.workers = (int)arg_long(CMD, "--workers", optarg, 1, 64); break;
        case 't': ro.threads = (int)arg_long(CMD, "--threads", optarg, 1, cores); break;
        case 'D': ro.data_dir = optarg; break;
        case 'r': retry = 1; break;
        case 'W': wait = 1; break;
        case 'F': foreign_ok = 1; break;
        case 'q': ro.quiet = 1; break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) usage_error(CMD, "expected one sweep config (a .yaml file)");

    SweepConfig cfg;
    RunSpec *specs;
    long n;
    cli_load_sweep(CMD, argv[optind], &cfg, &specs, &n);

    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    SweepDb sd;
    cli_open_sweep_db(CMD, db_path, wait, retry, foreign_ok, &cfg, specs, n, &sd);
    long *run_ids = sd.run_ids, before = sd.before, failed_before = sd.failed_before, reset = sd.reset;
    int *todo = sd.todo;

    Group *groups;
    int n_groups;
    group_specs(specs, run_ids, todo, n, &groups, &n_groups);
    long pending = 0;
    int fewest = 1 << 30;
    for (int g = 0; g < n_groups; g++) {
        pending += groups[g].n;
        if (groups[g].n < fewest) fewest = groups[g].n;
    }
    if (!ro.workers) ro.workers = n_groups ? (ro.threads + fewest - 1) / fewest : 1;
    if (ro.workers > ro.threads) ro.workers = ro.threads;   // never more threads than cores
    if (!ro.quiet) {
        fprintf(stderr, "jackpot run: sweep '%s': %ld runs, %ld already done, %ld to train in %d groups",
                cfg.name, n, before, pending, n_groups);
        if (failed_before) fprintf(stderr, ", %ld failed before (--retry-failed to train them again)", failed_before);
        if (reset > 0) fprintf(stderr, "; %ld interrupted runs restart", reset);
        fprintf(stderr, "\n");
    }
    ro.runs_before = before;
    RunTotals tot;
    run_groups(&sd.st, groups, n_groups, &ro, &tot);
    int status = 0;
    if (failed_before && sd.failed_error[0])   // printed even with --quiet: a reason is not progress
        fprintf(stderr, "jackpot run: %ld run%s failed before: %s\n", failed_before, failed_before == 1 ? "" : "s",
                sd.failed_error);
    if (tot.store_failed) {
        fprintf(stderr, "jackpot run: %s\njackpot run: sweep '%s' stopped: %ld runs done now, every finished run is kept; "
                        "rerun the same command to resume%s\n",
                tot.error, cfg.name, tot.done + tot.diverged, strstr(tot.error, "disk full") ? " once there is space" : "");
        status = 1;
    } else if (!ro.quiet || tot.failed || tot.interrupted) {
        fprintf(stderr, "jackpot run: sweep '%s': %ld done now (%ld diverged), %ld failed", cfg.name,
                tot.done + tot.diverged, tot.diverged, tot.failed);
        if (tot.interrupted) fprintf(stderr, ", %ld interrupted: rerun the same command to resume", tot.interrupted);
        fprintf(stderr, "; results in %s\n", db_path);
    }
    if (!status) status = tot.interrupted ? 130 : tot.failed ? 1 : 0;
    groups_free(groups, n_groups);
    free(todo);
    free(run_ids);
    free(specs);
    sweep_config_free(&cfg);
    store_close(&sd.st);
    return status;
}

// jackpot tickets: lottery-ticket experiments (iterative magnitude pruning with
// rewinding and controls) over a sweep of widths, depths and init seeds.
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "sweep/progress.h"
#include "sweep/scheduler.h"
#include "tickets/imp.h"

#define CMD "tickets"

static const char HELP[] =
    "usage: jackpot tickets CONFIG.yaml [--db FILE] [--threads T] [--wait] [--force-foreign-db] [--quiet]\n"
    "\n"
    "A sweep config with a tickets: section. Each group of runs that differ only in\n"
    "their seeds (one architecture, several init seeds) is one ensemble taken\n"
    "through iterative magnitude pruning: level 0 trains the dense network and keeps\n"
    "θ_k (its weights after rewind_step steps); every round prunes the surviving\n"
    "weights by magnitude, rewinds the rest to θ_k and retrains for the same budget.\n"
    "Every level of every run is a row of the database's tickets table (density in\n"
    "all and per layer, test and validation metrics at the best-validation step and\n"
    "at the end, the best-validation step itself, the barrier), for the ticket and\n"
    "each control. A run is done when all its levels are; an interrupted run starts\n"
    "over on the next invocation.\n"
    "\n"
    "tickets: section (defaults)\n"
    "  rounds: N               pruning rounds, 1..100 (or give target_density)\n"
    "  target_density: X       prune until every member keeps at most this fraction\n"
    "  rate: 0.2               fraction of surviving weights pruned per round\n"
    "  output_rate: 0.1        the same for the output layer (Frankle & Carbin: half)\n"
    "  global: false           one ranking across layers instead of per layer\n"
    "  rewind_step: 0          k: rewind to the weights after k steps (0 = the init)\n"
    "  reinit: false           control: the same mask from a fresh random init\n"
    "  random_mask: false      control: a random mask with the same per-layer counts\n"
    "  oneshot: false          control: one-shot pruning of the dense weights\n"
    "  instability_points: 0   linear mode connectivity: error at this many points on\n"
    "                          the segment to a copy trained with another data order\n"
    "\n"
    "  --db FILE     the database                                   [runs.db]\n"
    "  --threads T   threads, 1..cores                              [cores]\n"
    "  --wait        wait for another runner instead of refusing\n"
    "  --force-foreign-db  write into an SQLite file that is not a jackpot database\n"
    "                (refused and left untouched without it)\n"
    "  --quiet       no progress lines\n";

static volatile int stop_requested;
static void on_signal(int sig) {
    (void)sig;
    if (stop_requested) _exit(130);
    stop_requested = 1;
}

typedef struct { Store *st; const Group *g; long rewind; int quiet; int failed; double t0; } Ctx;

static void ticket_sink(void *ctx, const TicketRecord *r) {
    Ctx *c = ctx;
    char layers[256];
    size_t k = (size_t)snprintf(layers, sizeof layers, "[");
    for (int l = 0; l < r->n_layers; l++) k += (size_t)snprintf(layers + k, sizeof layers - k, "%s%.6g", l ? "," : "", r->layer_density[l]);
    snprintf(layers + k, sizeof layers - k, "]");
    const MemberSummary *s = &r->summary;
    StoreTicket t = { .run_id = c->g->run_ids[r->member], .level = r->level, .variant = r->variant, .density = r->density,
                      .layer_density_json = layers, .rewind_step = c->rewind, .best_step = s->best.step,
                      .best_val_loss = s->best.val_loss, .best_val_acc = s->best.val_acc, .best_test_loss = s->best.test_loss,
                      .best_test_acc = s->best.test_acc, .final_step = s->final.step, .final_val_loss = s->final.val_loss,
                      .final_val_acc = s->final.val_acc,
                      .final_test_loss = s->final.test_loss, .final_test_acc = s->final.test_acc, .barrier = r->barrier };
    if (store_add_ticket(c->st, &t) != 0) c->failed = 1;
    if (!c->quiet && r->member == 0)
        fprintf(stderr, "  level %2d %-11s %5.1f%% of weights: member 0 test acc %.2f%% at its best-val step %ld%s\n", r->level,
                r->variant, 100 * r->density, 100 * s->best.test_acc, s->best.step, isfinite(r->barrier) ? " (with barrier)" : "");
}

int cmd_tickets(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "threads", required_argument, 0, 't' }, { "wait", no_argument, 0, 'W' },
        { "quiet", no_argument, 0, 'q' },    { "help", no_argument, 0, 'h' },
        { "force-foreign-db", no_argument, 0, 'F' }, { 0, 0, 0, 0 },
    };
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), threads = cores, wait = 0, quiet = 0, foreign_ok = 0, c;
    const char *db = "runs.db";
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 't': threads = (int)arg_long(CMD, "--threads", optarg, 1, cores); break;
        case 'W': wait = 1; break;
        case 'F': foreign_ok = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) usage_error(CMD, "expected one config (a .yaml file with a tickets: section)");
    SweepConfig cfg;
    RunSpec *specs;
    long n;
    cli_load_sweep(CMD, argv[optind], &cfg, &specs, &n);
    for (long i = 0; i < n; i++)
        if (specs[i].ticket_rounds < 1 && specs[i].ticket_target_density <= 0) {
            fprintf(stderr, "jackpot tickets: %s: tickets.rounds: expected at least 1 pruning round, or a tickets.target_density "
                            "(a tickets: section)\n", cfg.path);
            free(specs);
            sweep_config_free(&cfg);
            return 2;
        }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    SweepDb sd;
    cli_open_sweep_db(CMD, db, wait, 1, foreign_ok, &cfg, specs, n, &sd);
    Group *groups;
    int ng;
    group_specs(specs, sd.run_ids, sd.todo, n, &groups, &ng);
    if (!quiet) fprintf(stderr, "jackpot tickets: '%s': %ld runs, %ld done before, %d ensembles to prune\n", cfg.name, n, sd.before, ng);
    TaskCache tasks;
    task_cache_init(&tasks);
    int status = 0;
    for (int g = 0; g < ng && !stop_requested && status == 0; g++) {
        const RunSpec *s = groups[g].specs[0];
        char err[1024];
        const Task *task = task_cache_get(&tasks, s, NULL);
        if (!task) { fprintf(stderr, "jackpot tickets: %s\n", jp_error()); status = 1; break; }
        char label[128];
        group_label(&groups[g], label, sizeof label);
        if (!quiet) fprintf(stderr, "ensemble %d/%d: %s, %ld rounds\n", g + 1, ng, label, s->ticket_rounds);
        TrainConfig tc = spec_train_config(s, threads);
        tc.stop = &stop_requested;
        ImpOptions o = { .rounds = (int)s->ticket_rounds, .target_density = s->ticket_target_density, .rate = s->ticket_rate, .output_rate = s->ticket_output_rate,
                         .global = s->ticket_global, .rewind_step = s->ticket_rewind_step, .reinit = s->ticket_reinit,
                         .random_mask = s->ticket_random_mask, .oneshot = s->ticket_oneshot,
                         .instability_points = (int)s->ticket_instability_points };
        MemberSeeds *seeds = xmalloc(sizeof(MemberSeeds) * groups[g].n);
        for (int m = 0; m < groups[g].n; m++) seeds[m] = (MemberSeeds){ groups[g].specs[m]->init_seed, groups[g].specs[m]->data_seed };
        long launch;
        if (store_start_launch(&sd.st, groups[g].run_ids, groups[g].n, &launch) != 0) {
            fprintf(stderr, "jackpot tickets: %s: %s\n", db, store_error(&sd.st));
            free(seeds);
            status = 1;
            break;
        }
        Ctx ctx = { &sd.st, &groups[g], o.rewind_step, quiet, 0, progress_now() };
        int rc = imp_run(&tc, task, seeds, groups[g].n, &o, ticket_sink, &ctx);
        double wall = progress_now() - ctx.t0;
        if (rc < 0) snprintf(err, sizeof err, "%s", jp_error());
        // Every write checked: a failed one (a full disk) stops with its message; the runs
        // it leaves 'running' are reset by the next start, their runner being gone.
        if (!ctx.failed && store_end_launch(&sd.st, launch, wall) != 0) ctx.failed = 1;
        for (int m = 0; m < groups[g].n && !ctx.failed; m++)
            if ((rc == 1 ? store_reset_runs(&sd.st, &groups[g].run_ids[m], 1)
                         : store_finish_run(&sd.st, groups[g].run_ids[m], rc == 0 ? "done" : "failed", -1, wall,
                                            rc == 0 ? NULL : err, NULL, 0)) != 0)
                ctx.failed = 1;
        if (ctx.failed) {
            fprintf(stderr, "jackpot tickets: %s: %s\n", db, store_error(&sd.st));
            store_reset_runs(&sd.st, groups[g].run_ids, groups[g].n);   // best effort: see above
            status = 1;
        } else if (rc < 0) { fprintf(stderr, "jackpot tickets: %s\n", err); status = 1; }
        free(seeds);
    }
    if (stop_requested && status == 0) { fprintf(stderr, "jackpot tickets: interrupted; rerun to resume\n"); status = 130; }
    task_cache_free(&tasks);
    groups_free(groups, ng);
    free(sd.run_ids);
    free(sd.todo);
    store_close(&sd.st);
    free(specs);
    sweep_config_free(&cfg);
    return status;
}

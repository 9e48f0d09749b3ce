// jackpot tickets: lottery-ticket experiments (iterative magnitude pruning with
// rewinding and controls) over a sweep of widths, depths and init seeds.
#include <getopt.h>
#include <math.h>
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
#include "sweep/progress.h"
#include "sweep/scheduler.h"
#include "sweep/tickets.h"

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
    "  --quiet       no progress lines (else: a line per level and variant with the mean\n"
    "                test accuracy, elapsed time and ETA; on a terminal a live line between\n"
    "                them, else a plain line every JACKPOT_PROGRESS_S seconds [30])\n";

// The progress of a tickets sweep: every evaluation of every training (levels, controls, the
// instability copies) advances it by the FLOPs and steps trained since the member's previous one,
// so the live line and its ETA move within a training; a line per level and variant once the
// group's last member stored its row, with the mean test accuracy.
typedef struct {
    Progress *p;
    const Group *g;
    double acc_sum;          // this level and variant's test accuracy so far, over the members
    double *last_flops, *last_steps;   // [n]: at each member's previous evaluation of this training
} TicketProgress;

static void advance(void *ctx, int level, const char *variant, const EvalRecord *r) {
    (void)level;
    (void)variant;
    TicketProgress *t = ctx;
    if (r->step == 0) t->last_flops[r->member] = t->last_steps[r->member] = 0;   // a training starts
    progress_advance(t->p, r->flops - t->last_flops[r->member], (double)r->step - t->last_steps[r->member], 0, r->val_loss);
    t->last_flops[r->member] = r->flops;
    t->last_steps[r->member] = (double)r->step;
}

static void print_row(void *ctx, const TicketRecord *r) {
    TicketProgress *t = ctx;
    const MemberSummary *s = &r->summary;
    t->acc_sum = (r->member == 0 ? 0 : t->acc_sum) + s->best.test_acc;
    if (r->member != t->g->n - 1) return;
    char line[320];
    pthread_mutex_lock(&t->p->mu);   // the ticker draws under it: the live line is cleared, then redrawn below
    progress_status(t->p, t->p->now(), line, sizeof line);
    fprintf(stderr, "%s  level %2d %-11s %5.1f%% of weights: mean test acc %.2f%% at the best-val step%s | %s\n",
            t->p->tty ? "\r\033[K" : "", r->level, r->variant, 100 * r->density, 100 * t->acc_sum / t->g->n,
            isfinite(r->barrier) ? " (with barrier)" : "", line);
    pthread_mutex_unlock(&t->p->mu);
}

typedef struct { const char *db, *config; int threads, wait, quiet, foreign_ok; } TicketArgs;

// The flags into a; returns 1 when --help was printed.
static int parse_args(int argc, char **argv, TicketArgs *a) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "threads", required_argument, 0, 't' }, { "wait", no_argument, 0, 'W' },
        { "quiet", no_argument, 0, 'q' },    { "help", no_argument, 0, 'h' },
        { "force-foreign-db", no_argument, 0, 'F' }, { 0, 0, 0, 0 },
    };
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN), c;
    *a = (TicketArgs){ .db = "runs.db", .threads = cores };
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 't': a->threads = (int)arg_long(CMD, "--threads", optarg, 1, cores); break;
        case 'W': a->wait = 1; break;
        case 'F': a->foreign_ok = 1; break;
        case 'q': a->quiet = 1; break;
        case 'h': fputs(HELP, stdout); return 1;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) usage_error(CMD, "expected one config (a .yaml file with a tickets: section)");
    a->config = argv[optind];
    return 0;
}

// The planned FLOPs of taking every group through IMP (all levels, controls and copies).
static double planned_flops(const Group *groups, int ng) {
    double f = 0;
    for (int g = 0; g < ng; g++) {
        ImpOptions o = tickets_imp_options(groups[g].specs[0]);
        f += spec_planned_flops(groups[g].specs[0]) * groups[g].n * tickets_trainings(&o);
    }
    return f;
}

// Each ensemble in turn until one fails or a signal stops them: 0, 1 (the error printed) or 130.
static int prune_groups(const TicketArgs *a, SweepDb *sd, const Group *groups, int ng) {
    TaskCache tasks;
    task_cache_init(&tasks);
    Progress p;
    long runs = 0;
    for (int g = 0; g < ng; g++) runs += groups[g].n;
    progress_init(&p, ng, runs, sd->runs.before, planned_flops(groups, ng), a->quiet);
    int status = 0;
    for (int g = 0; g < ng && !atomic_load(&cli_stop) && status == 0; g++) {
        const Task *task = task_cache_get(&tasks, groups[g].specs[0], NULL);
        if (!task) { fprintf(stderr, "jackpot tickets: %s\n", jp_error()); status = 1; break; }
        char label[128];
        group_label(&groups[g], label, sizeof label);
        if (!a->quiet) {
            pthread_mutex_lock(&p.mu);
            const RunSpec *s = groups[g].specs[0];
            char rounds[64];
            if (s->ticket_rounds > 0) snprintf(rounds, sizeof rounds, "%ld rounds", s->ticket_rounds);
            else snprintf(rounds, sizeof rounds, "rounds down to density %g", s->ticket_target_density);
            fprintf(stderr, "%sensemble %d/%d: %s, %s\n", p.tty ? "\r\033[K" : "", g + 1, ng, label, rounds);
            pthread_mutex_unlock(&p.mu);
        }
        blas_set_threads(train_blas_threads(a->threads, groups[g].n, 0));   // process-wide: the command sets it
        double *last = xcalloc(2 * (size_t)groups[g].n, sizeof(double));
        TicketProgress tp = { &p, &groups[g], 0, last, last + groups[g].n };
        double t0 = clock_now_s();
        int rc = tickets_train_group(&sd->st, &groups[g], task, a->threads, &cli_stop, a->quiet ? NULL : print_row,
                                     a->quiet ? NULL : advance, &tp);
        free(last);
        if (rc < 0) { fprintf(stderr, "jackpot tickets: %s\n", jp_error()); status = 1; }
        else if (rc == 0) progress_group_done(&p, label, groups[g].n, clock_now_s() - t0, 1);
    }
    progress_finish(&p);
    if (atomic_load(&cli_stop) && status == 0) { fprintf(stderr, "jackpot tickets: interrupted; rerun to resume\n"); status = 130; }
    task_cache_free(&tasks);
    return status;
}

int cmd_tickets(int argc, char **argv) {
    TicketArgs a;
    if (parse_args(argc, argv, &a)) return 0;
    SweepConfig cfg;
    RunSpec *specs;
    long n;
    cli_load_sweep(CMD, a.config, &cfg, &specs, &n);
    if (tickets_check_specs(specs, n) != 0) {
        fprintf(stderr, "jackpot tickets: %s: %s\n", cfg.path, jp_error());
        free(specs);
        sweep_config_free(&cfg);
        return 2;
    }
    cli_catch_stop_signals(NULL);
    SweepDb sd;
    cli_open_sweep_db(CMD, a.db, a.wait, 1, a.foreign_ok, &cfg, specs, n, &sd);
    Group *groups;
    int ng;
    group_specs(specs, sd.runs.run_ids, sd.runs.todo, n, &groups, &ng);
    if (!a.quiet)
        fprintf(stderr, "jackpot tickets: '%s': %ld runs, %ld done before, %d ensembles to prune\n", cfg.name, n, sd.runs.before, ng);
    int status = prune_groups(&a, &sd, groups, ng);
    groups_free(groups, ng);
    cli_close_sweep_db(&sd);
    free(specs);
    sweep_config_free(&cfg);
    return status;
}

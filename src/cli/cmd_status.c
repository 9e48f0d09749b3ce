// jackpot status: what a results database holds.
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "store/status.h"

#define CMD "status"

static const char HELP[] =
    "usage: jackpot status [--db FILE]\n"
    "\n"
    "Counts runs by status (overall and per sweep), lists failures with their errors and\n"
    "diverged runs with their step, and gives the training time used and an estimate of\n"
    "the time left (pending FLOPs at the FLOP rate observed so far). Safe to run while a\n"
    "sweep is running. A tickets database (jackpot tickets) also shows every pruning\n"
    "level (density, runs, trainings, FLOPs, variants) and the levels each run has\n"
    "stored; its time used and left count every training of every level.\n"
    "\n"
    "  --db FILE   the database     [runs.db]\n";

static void duration(double s, char *out, size_t n) {
    if (!isfinite(s)) snprintf(out, n, "unknown");
    else if (s < 120) snprintf(out, n, "%.1f s", s);
    else if (s < 7200) snprintf(out, n, "%.1f min", s / 60);
    else snprintf(out, n, "%.1f h", s / 3600);
}

static void print_counts(const StoreRunCounts *c) {
    printf("%ld runs:", c->runs);
    for (int i = 0; i < STATUS_COUNT; i++)
        printf(" %ld %s%s", c->by_status[i], store_status_names[i], i < STATUS_COUNT - 1 ? "," : "\n");
}

// Tickets: every level's trainings and FLOPs, then the levels each run has stored.
static void print_tickets(const StoreStatus *s) {
    if (!s->n_ticket_levels) return;
    printf("tickets: %ld runs with levels stored; a level's FLOPs are its trainings (a row each, the masked network "
           "trained dense, and the instability copy where a barrier was measured) × the run's planned FLOPs\n",
           s->ticket_runs_total);
    printf("  %5s %8s %5s %9s %12s  %s\n", "level", "density", "runs", "trainings", "FLOPs", "variants");
    for (int i = 0; i < s->n_ticket_levels; i++) {
        const StoreTicketLevel *l = &s->ticket_levels[i];
        printf("  %5d %7.1f%% %5ld %9ld %12.4g  %s\n", l->level, 100 * l->density, l->runs, l->trainings, l->flops, l->variants);
    }
    printf("levels done per run:\n");
    for (int i = 0; i < s->n_ticket_runs; i++) {
        const StoreTicketRun *t = &s->ticket_runs[i];
        printf("  run %ld (hidden %s, init %ld, %s): %ld levels (0–%ld), density %.1f%%, %.4g FLOPs\n", t->id, t->hidden,
               t->init_seed, t->status, t->levels, t->last_level, 100 * t->density, t->flops);
    }
    if (s->ticket_runs_total > s->n_ticket_runs) printf("  … and %ld more runs\n", s->ticket_runs_total - s->n_ticket_runs);
}

static void print_status(const char *db, const StoreStatus *s) {
    printf("%s: schema %ld\nall: ", db, s->schema);
    print_counts(&s->all);
    for (int i = 0; i < s->n_sweeps; i++) {
        printf("sweep '%s' (%s): ", s->sweeps[i].name, s->sweeps[i].path);
        print_counts(&s->sweeps[i].counts);
    }
    for (int i = 0; i < s->n_problems; i++) {
        const StoreProblemRun *p = &s->problems[i];
        if (i == 0) printf("failed and diverged runs:\n");
        printf("  run %ld (hidden %s, init %ld, data %ld): %s", p->id, p->hidden, p->init_seed, p->data_seed, p->status);
        if (!strcmp(p->status, "failed")) printf(": %s\n", p->error);
        else printf(" at step %ld\n", p->diverged_step);
    }
    print_tickets(s);
    char u[32], l[32];
    duration(isfinite(s->used_s) ? s->used_s : 0, u, sizeof u);
    double rate = s->done_flops / s->used_s;
    duration(isfinite(s->left_flops) ? s->left_flops / rate : 0, l, sizeof l);
    printf("time used: %s of training (%ld launches)", u, s->launches);
    if (isfinite(rate) && rate > 0) printf(" at %.1f GFLOP/s", rate / 1e9);
    printf("; time left: %s\n", isfinite(s->left_flops) && s->left_flops > 0 ? l : "none");
}

int cmd_status(int argc, char **argv) {
    static const struct option opts[] = { { "db", required_argument, 0, 'd' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    const char *db = "runs.db";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'h') { fputs(HELP, stdout); return 0; }
        else if (c == ':') usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        else usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    Store st;
    cli_open_store_readonly(CMD, db, &st);
    StoreStatus status;
    int rc = store_read_status(&st, &status);
    if (rc == 0) print_status(db, &status);
    else fprintf(stderr, "jackpot status: %s\n", jp_error());
    store_status_free(&status);
    store_close(&st);
    return rc == 0 ? 0 : 1;
}

#include "sweep/tickets.h"

#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/ticket_trainings.h"
#include "base/error.h"
#include "base/xalloc.h"

int tickets_check_specs(const RunSpec *specs, long n) {
    for (long i = 0; i < n; i++)
        if (specs[i].ticket_rounds < 1 && specs[i].ticket_target_density <= 0)
            return jp_fail("tickets.rounds: expected at least 1 pruning round, or a tickets.target_density (a tickets: section)");
    return 0;
}

ImpOptions tickets_imp_options(const RunSpec *s) {
    return (ImpOptions){ .rounds = (int)s->ticket_rounds, .target_density = s->ticket_target_density,
                         .rate = s->ticket_rate, .output_rate = s->ticket_output_rate, .global = s->ticket_global,
                         .rewind_step = s->ticket_rewind_step, .reinit = s->ticket_reinit,
                         .random_mask = s->ticket_random_mask, .oneshot = s->ticket_oneshot,
                         .instability_points = (int)s->ticket_instability_points };
}

double tickets_trainings(const ImpOptions *o) {
    return ticket_trainings(o->rounds, o->target_density, o->rate, (o->reinit != 0) + (o->random_mask != 0) + (o->oneshot != 0),
                            o->instability_points);
}

typedef struct {
    Store *st;
    const Group *g;
    long rewind;
    int failed;              // a write failed: why holds the last failure's message
    char why[512];
    TicketRowFn on_row;
    TicketEvalFn on_eval;
    void *ctx;
} Sink;

static void store_row(void *ctx, const TicketRecord *r) {
    Sink *c = ctx;
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
    if (store_add_ticket(c->st, &t) != 0) {
        c->failed = 1;
        snprintf(c->why, sizeof c->why, "%s", jp_error());
    }
    if (c->on_row) c->on_row(c->ctx, r);
}

// A level's evaluation: a point of its learning curve (table ticket_curves).
static void store_eval(void *ctx, int level, const char *variant, const EvalRecord *r) {
    Sink *c = ctx;
    if (c->on_eval) c->on_eval(c->ctx, level, variant, r);
    if (strcmp(variant, "copy") == 0) return;   // the instability test's copy: only its barrier is kept
    if (store_add_ticket_eval(c->st, c->g->run_ids[r->member], level, variant, r->step, r->val_loss, r->val_acc,
                              r->test_loss, r->test_acc) != 0 && !c->failed) {
        c->failed = 1;
        snprintf(c->why, sizeof c->why, "%s", jp_error());
    }
}

// The runs' end after imp_run returned rc (error: its message): every write checked. A failed one
// (a full disk) leaves the runs 'running', which the next start resets, their runner being gone.
static void finish_runs(Sink *c, long launch, int rc, const char *error, double wall) {
    const Group *g = c->g;
    if (!c->failed && store_end_launch(c->st, launch, wall) != 0) c->failed = 1;
    for (int m = 0; m < g->n && !c->failed; m++)
        if ((rc == 1 ? store_reset_runs(c->st, &g->run_ids[m], 1)
                     : store_finish_run(c->st, g->run_ids[m], rc == 0 ? "done" : "failed", -1, wall, rc == 0 ? NULL : error,
                                        NULL, 0)) != 0)
            c->failed = 1;
}

int tickets_train_group(Store *st, const Group *g, const Task *task, int threads, const atomic_int *stop,
                        TicketRowFn on_row, TicketEvalFn on_eval, void *ctx) {
    const RunSpec *s = g->specs[0];
    TrainConfig tc = spec_train_config(s, threads);
    tc.stop = stop;
    ImpOptions o = tickets_imp_options(s);
    long launch;
    if (store_start_launch(st, g->run_ids, g->n, &launch) != 0) return jp_fail("%s: %s", st->path, jp_error());
    MemberSeeds *seeds = xmalloc_array((size_t)g->n, sizeof *seeds);
    for (int m = 0; m < g->n; m++) seeds[m] = (MemberSeeds){ g->specs[m]->init_seed, g->specs[m]->data_seed };
    Sink c = { .st = st, .g = g, .rewind = o.rewind_step, .on_row = on_row, .on_eval = on_eval, .ctx = ctx };
    o.on_eval = store_eval;
    o.eval_ctx = &c;
    double t0 = clock_now_s();
    int rc = imp_run(&tc, task, seeds, g->n, &o, store_row, &c);
    double wall = clock_now_s() - t0;
    free(seeds);
    char error[512] = "";
    if (rc < 0) snprintf(error, sizeof error, "%s", jp_error());
    finish_runs(&c, launch, rc, error, wall);
    if (c.failed) {
        if (!c.why[0]) snprintf(c.why, sizeof c.why, "%s", jp_error());
        store_reset_runs(st, g->run_ids, g->n);   // best effort: see finish_runs
        return jp_fail("%s: %s", st->path, c.why);
    }
    return rc < 0 ? jp_fail("%s", error) : rc;
}

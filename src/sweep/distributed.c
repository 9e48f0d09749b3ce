#include "sweep/distributed.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/ranks.h"
#include "base/xalloc.h"
#include "nn/blas.h"
#include "sweep/run_shared.h"

// Messages. To a rank: ASSIGN a part, STOP training (Ctrl-C, a failed write), EXIT (no work
// left). To rank 0: a part's evaluations (EVAL, LM_EVAL), its D (TRAIN_SIZE) and its outcome
// (DONE). Each begins with the part's token (its index in rank 0's queue); records travel as
// their bytes, every rank being the same build of jackpot.
enum { TAG_ASSIGN = 1, TAG_STOP, TAG_EXIT, TAG_EVAL, TAG_LM_EVAL, TAG_TRAIN_SIZE, TAG_DONE, TAG_ALIVE };

// Once stopping, how long a rank waits for the others before it takes them for dead. A rank
// killed outright (SIGKILL, a node lost) never answers, and OpenMPI then ends the job with
// SIGTERM to the rest: each stops at its next step, and must not wait forever for the dead.
#define STOP_GRACE_S 5.0

// Ranks say they are alive every ALIVE_EVERY_S (their main thread does, whatever their workers
// are in); one silent for DEAD_AFTER_S is taken for dead. That matters where the job goes on
// without a dead rank (mpirun --enable-recovery): rank 0 gives the dead rank's parts back to
// the queue and the living train them; a rank that hears nothing from rank 0 stops.
#define ALIVE_EVERY_S 1.0
#define DEAD_AFTER_S 10.0

typedef struct {
    long token, n;           // longs: what follows each header is 8-byte aligned
    char group_hash[24];
} PartHeader;   // then long spec[n], long run_id[n]

typedef struct {
    long token, rc;
    double wall;
    char why[512];
} DoneHeader;   // then MemberSummary[n] or LmSummary[n]

// ---- messages waiting in a rank's queues (between its workers and its main thread) ----

typedef struct Msg {
    struct Msg *next;
    int tag;
    size_t n;
    char data[];
} Msg;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    Msg *head, *tail;
    int closed;              // no more messages will come (the workers may leave)
} MsgQueue;

static void mq_init(MsgQueue *q) {
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
}

static void mq_free(MsgQueue *q) {
    for (Msg *m = q->head, *next; m; m = next) { next = m->next; free(m); }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

static Msg *msg_new(int tag, size_t n) {
    Msg *m = xmalloc(sizeof *m + n);
    m->next = NULL;
    m->tag = tag;
    m->n = n;
    return m;
}

static void mq_push(MsgQueue *q, Msg *m) {
    pthread_mutex_lock(&q->mu);
    if (q->tail) q->tail->next = m;
    else q->head = m;
    q->tail = m;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

// The next message; wait: block until one comes or the queue is closed (then NULL).
static Msg *mq_pop(MsgQueue *q, int wait) {
    pthread_mutex_lock(&q->mu);
    while (wait && !q->head && !q->closed) pthread_cond_wait(&q->cv, &q->mu);
    Msg *m = q->head;
    if (m) {
        q->head = m->next;
        if (!q->head) q->tail = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return m;
}

static void mq_close(MsgQueue *q) {
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

// A message of n bytes from `from`, whose tag and size ranks_poll gave.
static Msg *receive(int from, int tag, size_t n) {
    Msg *m = msg_new(tag, n);
    ranks_recv(from, tag, m->data, n);
    return m;
}

// ---- a rank other than 0: workers train what rank 0 hands them ----

typedef struct {
    Shared sh;
    MsgQueue inbox, outbox;   // parts to train; messages for rank 0
    Relay relay;
    atomic_int done_workers;
    int blas_per_part;        // one worker: BLAS threads set for each part's members
} Remote;

static void relay_eval(void *ctx, int part, const EvalRecord *r) {
    Remote *rm = ctx;
    long token = part;
    size_t nc = (size_t)r->n_concepts * 2 * sizeof(double);
    Msg *m = msg_new(TAG_EVAL, sizeof token + sizeof *r + nc);
    memcpy(m->data, &token, sizeof token);
    memcpy(m->data + sizeof token, r, sizeof *r);
    if (nc) {
        memcpy(m->data + sizeof token + sizeof *r, r->concept_loss, nc / 2);
        memcpy(m->data + sizeof token + sizeof *r + nc / 2, r->concept_acc, nc / 2);
    }
    mq_push(&rm->outbox, m);
}

static void relay_lm_eval(void *ctx, int part, const LmRecord *r) {
    long token = part;
    Msg *m = msg_new(TAG_LM_EVAL, sizeof token + sizeof *r);
    memcpy(m->data, &token, sizeof token);
    memcpy(m->data + sizeof token, r, sizeof *r);
    mq_push(&((Remote *)ctx)->outbox, m);
}

static void relay_train_size(void *ctx, int part, long D) {
    long token = part;
    Msg *m = msg_new(TAG_TRAIN_SIZE, sizeof token + sizeof D);
    memcpy(m->data, &token, sizeof token);
    memcpy(m->data + sizeof token, &D, sizeof D);
    mq_push(&((Remote *)ctx)->outbox, m);
}

// The group an ASSIGN message describes (specs point into opt->specs); 0, or −1 (bad index).
static int part_of_message(const Shared *sh, const Msg *m, PartHeader *h, Group *g) {
    memcpy(h, m->data, sizeof *h);
    const long *spec = (const long *)(m->data + sizeof *h), *run_id = spec + h->n;
    *g = (Group){ .n = h->n };
    memcpy(g->group_hash, h->group_hash, sizeof g->group_hash);
    g->specs = xmalloc(sizeof(RunSpec *) * (h->n ? h->n : 1));
    g->run_ids = xmalloc(sizeof(long) * (h->n ? h->n : 1));
    for (int i = 0; i < h->n; i++) {
        if (spec[i] < 0 || spec[i] >= sh->opt->n_specs) return jp_fail("rank 0 sent run %ld of %ld: not the same sweep", spec[i], sh->opt->n_specs);
        g->specs[i] = &sh->opt->specs[spec[i]];
        g->run_ids[i] = run_id[i];
        g->flops += spec_planned_flops(g->specs[i]);
    }
    return 0;
}

static void remote_train(Remote *rm, const Msg *m) {
    PartHeader h;
    Group g;
    int n = (int)((const PartHeader *)m->data)->n;
    int gpt = 0, rc = -1;
    MemberSummary *sum = xcalloc(n ? n : 1, sizeof *sum);
    LmSummary *lsum = xcalloc(n ? n : 1, sizeof *lsum);
    char why[512];
    double t0 = clock_now_s();
    if (part_of_message(&rm->sh, m, &h, &g) == 0) {
        gpt = spec_is_gpt(g.specs[0]);
        if (rm->blas_per_part) blas_set_threads(train_blas_threads(rm->sh.opt->threads, g.n, gpt));
        rc = part_train(&rm->sh, &g, h.token, sum, lsum, why);
    } else {
        snprintf(why, sizeof why, "%s", jp_error());
    }
    size_t each = gpt ? sizeof *lsum : sizeof *sum;
    Msg *done = msg_new(TAG_DONE, sizeof(DoneHeader) + each * n);
    DoneHeader d = { .token = h.token, .rc = rc, .wall = clock_now_s() - t0 };
    snprintf(d.why, sizeof d.why, "%s", why);
    memcpy(done->data, &d, sizeof d);
    memcpy(done->data + sizeof d, gpt ? (void *)lsum : (void *)sum, each * n);
    mq_push(&rm->outbox, done);
    free(g.specs);
    free(g.run_ids);
    free(sum);
    free(lsum);
}

static void *remote_worker(void *arg) {
    Remote *rm = arg;
    Msg *m;
    while ((m = mq_pop(&rm->inbox, 1))) {
        remote_train(rm, m);
        free(m);
    }
    atomic_fetch_add(&rm->done_workers, 1);
    return NULL;
}

// The main thread: the only one here to call MPI. Passes parts in, messages out, until EXIT
// with whether a rank died (1: skip MPI_Finalize), or gives up on a silent rank 0 (1).
static int remote_loop(Remote *rm, int workers) {
    int exiting = 0;
    double said = 0, heard = clock_now_s();
    for (;;) {
        int busy = 0, source, tag;
        size_t n;
        double now = clock_now_s();
        if (now - said >= ALIVE_EVERY_S) { ranks_send(0, TAG_ALIVE, "", 0); said = now; }
        if (now - heard > 6 * DEAD_AFTER_S) atomic_store(rm->sh.opt->stop, 1);   // rank 0 is gone (slow to say: it may be busy writing)
        while (ranks_poll(0, &source, &tag, &n)) {
            Msg *m = receive(0, tag, n);
            busy = 1;
            heard = now;
            if (tag == TAG_ASSIGN) { mq_push(&rm->inbox, m); continue; }
            if (tag == TAG_STOP) atomic_store(rm->sh.opt->stop, 1);
            if (tag == TAG_EXIT) {   // with whether a rank died: then MPI_Finalize would wait for it
                exiting = 1;
                if (n == sizeof rm->sh.tot->lost) memcpy(&rm->sh.tot->lost, m->data, n);
                mq_close(&rm->inbox);
            }
            free(m);
        }
        for (Msg *m; (m = mq_pop(&rm->outbox, 0)); free(m), busy = 1) ranks_send(0, m->tag, m->data, m->n);
        int sending = ranks_sends_pending();
        if (exiting && atomic_load(&rm->done_workers) == workers && !rm->outbox.head && !sending) return rm->sh.tot->lost;
        // Stopping, with rank 0 silent past the grace (dead: it would send EXIT otherwise):
        // the workers stop at their next step and leave, and so does this rank.
        if (atomic_load(rm->sh.opt->stop) && clock_now_s() - heard > STOP_GRACE_S) {
            mq_close(&rm->inbox);
            return 1;
        }
        if (!busy) ranks_idle();
    }
}

// This rank's worker slots: --workers, else one per thread.
static int slots_of(const RunOptions *opt) {
    int w = opt->workers > 0 ? opt->workers : opt->threads;
    return w < 1 ? 1 : w > 64 ? 64 : w;
}

static int run_remote(const RunOptions *opt, RunTotals *tot) {
    Remote rm = { 0 };
    int workers = slots_of(opt);
    shared_init(&rm.sh, NULL, NULL, 0, opt, tot, 1);
    rm.sh.threads_per_worker = opt->threads / workers > 0 ? opt->threads / workers : 1;
    rm.relay = (Relay){ relay_eval, relay_lm_eval, relay_train_size, &rm };
    rm.sh.relay = &rm.relay;
    rm.blas_per_part = workers == 1;
    if (workers > 1) blas_set_threads(1);
    mq_init(&rm.inbox);
    mq_init(&rm.outbox);
    pthread_t th[64];
    int started = 0;
    while (started < workers && pthread_create(&th[started], NULL, remote_worker, &rm) == 0) started++;
    ranks_gather_int(started, NULL);   // rank 0 deals parts to the slots that run
    tot->lost = remote_loop(&rm, started);
    for (int w = 0; w < started; w++) pthread_join(th[w], NULL);
    mq_free(&rm.inbox);
    mq_free(&rm.outbox);
    shared_free(&rm.sh);
    return 0;
}

// ---- rank 0: its own workers, and the other ranks' slots fed from the same queue ----

typedef struct {
    long launch;
    int rank;
    double *last;            // [2n]: the sinks' last flops and steps per member
    SinkCtx s;
    LmSinkCtx l;
} Flight;                    // a part in training on another rank

typedef struct { Shared *sh; atomic_int *done; } LocalWorker;

typedef struct {
    Shared sh;
    Flight *flight;          // [n_parts]
    int ranks, *slots, *busy, *dead;   // [ranks]: slots, parts in flight, taken for dead
    double *heard;           // [ranks]: when each last said anything
    int drained, stop_sent;
    atomic_int local_done;   // rank 0's own workers that have finished
    pthread_t th[64];        // rank 0's own workers
    int started;
    LocalWorker lw;
} Leader;

// The next part to rank r; 0 when none is left (or the sweep stops).
static int assign(Leader *ld, int r) {
    Shared *sh = &ld->sh;
    int p = ld->drained ? -1 : queue_next(sh);
    if (p < 0 || part_start(sh, &sh->parts[p], &ld->flight[p].launch) != 0) {
        ld->drained = 1;
        return 0;
    }
    const Group *g = &sh->parts[p].g;
    Flight *f = &ld->flight[p];
    f->rank = r;
    f->last = xcalloc(2 * (size_t)g->n, sizeof(double));
    f->s = (SinkCtx){ sh, g, f->last, f->last + g->n, p, 0 };   // a remote rank's evaluations: steps with them
    f->l = (LmSinkCtx){ sh, g, NULL, f->last, f->last + g->n, p };
    PartHeader h = { .token = p, .n = g->n };
    memcpy(h.group_hash, g->group_hash, sizeof h.group_hash);
    size_t n = sizeof h + 2 * sizeof(long) * g->n;
    char *buf = xmalloc(n);
    long *spec = (long *)(buf + sizeof h), *run_id = spec + g->n;
    memcpy(buf, &h, sizeof h);
    for (int i = 0; i < g->n; i++) { spec[i] = g->specs[i] - sh->opt->specs; run_id[i] = g->run_ids[i]; }
    ranks_send(r, TAG_ASSIGN, buf, n);
    free(buf);
    ld->busy[r]++;
    return 1;
}

static void settle_remote(Leader *ld, int r, const Msg *m) {
    DoneHeader d;
    memcpy(&d, m->data, sizeof d);
    const GroupPart *part = &ld->sh.parts[d.token];
    int gpt = spec_is_gpt(part->g.specs[0]);
    const void *sums = m->data + sizeof d;
    part_settle(&ld->sh, part, ld->flight[d.token].launch, d.rc, d.why, d.wall, gpt ? NULL : sums, gpt ? sums : NULL);
    free(ld->flight[d.token].last);
    ld->flight[d.token].last = NULL;
    ld->busy[r]--;
    assign(ld, r);
}

// What rank r sent: written to the store as the local workers' sinks would write it.
static void handle(Leader *ld, int r, const Msg *m) {
    long token;
    if (m->tag == TAG_ALIVE || m->n < sizeof token) return;   // only that it is alive (heard[r])
    memcpy(&token, m->data, sizeof token);
    Flight *f = &ld->flight[token];
    if (m->tag == TAG_EVAL) {
        EvalRecord rec;
        memcpy(&rec, m->data + sizeof token, sizeof rec);
        const double *concepts = (const double *)(m->data + sizeof token + sizeof rec);
        rec.concept_loss = rec.n_concepts ? concepts : NULL;
        rec.concept_acc = rec.n_concepts ? concepts + rec.n_concepts : NULL;
        store_sink(&f->s, &rec);
    } else if (m->tag == TAG_LM_EVAL) {
        LmRecord rec;
        memcpy(&rec, m->data + sizeof token, sizeof rec);
        lm_sink(&f->l, &rec);
    } else if (m->tag == TAG_TRAIN_SIZE) {
        long D;
        memcpy(&D, m->data + sizeof token, sizeof D);
        const Group *g = f->s.g;
        if (store_set_train_size(ld->sh.store, g->run_ids, g->n, D) != 0) store_failed(&ld->sh, "recording D");
    } else if (m->tag == TAG_DONE) {
        settle_remote(ld, r, m);
    }
}

static int leader_finished(Leader *ld) {
    if (!ld->drained || atomic_load(&ld->local_done) < ld->started) return 0;
    for (int r = 1; r < ld->ranks; r++)
        if (ld->busy[r]) return 0;
    return 1;
}

static void *local_worker(void *arg) {
    LocalWorker *w = arg;
    worker_main(w->sh);
    atomic_fetch_add(w->done, 1);
    return NULL;
}

static void start_local(Leader *ld, int n) {
    while (n-- > 0 && ld->started < 64 && pthread_create(&ld->th[ld->started], NULL, local_worker, &ld->lw) == 0) ld->started++;
}

// Rank r is taken for dead (silent past DEAD_AFTER_S, or past STOP_GRACE_S once stopping): its
// runs in flight are reset. Stopping, they wait for a rerun (counted interrupted); else its parts
// go back to the queue, for the living ranks, and rank 0's own workers if none is free.
static void bury(Leader *ld, int r, int stopping) {
    Shared *sh = &ld->sh;
    int n = 0;
    for (int p = 0; p < sh->n_parts; p++) {
        Flight *f = &ld->flight[p];
        if (!f->last || f->rank != r) continue;
        if (stopping) {
            part_settle(sh, &sh->parts[p], f->launch, 1, "", 0, NULL, NULL);
        } else {
            if (store_end_launch(sh->store, f->launch, 0) != 0 || store_reset_runs(sh->store, sh->parts[p].g.run_ids, sh->parts[p].g.n) != 0)
                store_failed(sh, "giving a dead rank's runs back");
            queue_again(sh, p);
        }
        free(f->last);
        f->last = NULL;
        n++;
    }
    ld->dead[r] = 1;
    ld->busy[r] = ld->slots[r] = 0;
    sh->tot->lost = 1;   // MPI_Finalize would wait for the dead
    if (stopping) return;
    ld->drained = 0;     // the queue holds its parts again
    fprintf(stderr, "jackpot run: rank %d has said nothing for %.0f s: taken for dead; %d part%s of groups go%s back to the queue\n",
            r, DEAD_AFTER_S, n, n == 1 ? "" : "s", n == 1 ? "es" : "");
    for (int q = 1; q < ld->ranks; q++)
        while (ld->busy[q] < ld->slots[q] && assign(ld, q)) {}
    if (!queue_empty(sh) && atomic_load(&ld->local_done) == ld->started) start_local(ld, 1);
}

static void leader_loop(Leader *ld) {
    double stopped_at = 0, said = 0;
    for (int r = 1; r < ld->ranks; r++) {
        ld->heard[r] = clock_now_s();
        while (ld->busy[r] < ld->slots[r] && assign(ld, r)) {}
    }
    while (!leader_finished(ld)) {
        int source, tag, busy = 0;
        size_t n;
        double now = clock_now_s();
        while (ranks_poll(RANKS_ANY, &source, &tag, &n)) {
            Msg *m = receive(source, tag, n);
            ld->heard[source] = now;
            if (!ld->dead[source]) handle(ld, source, m);   // a rank taken for dead stays so
            free(m);
            busy = 1;
        }
        for (int r = 1; r < ld->ranks; r++)
            if (!ld->dead[r] && now - ld->heard[r] > (stopped_at ? STOP_GRACE_S : DEAD_AFTER_S)) bury(ld, r, stopped_at > 0);
        if (now - said >= ALIVE_EVERY_S) {
            for (int r = 1; r < ld->ranks; r++)
                if (!ld->dead[r]) ranks_send(r, TAG_ALIVE, "", 0);
            said = now;
        }
        if (atomic_load(ld->sh.opt->stop) && !ld->stop_sent) {   // Ctrl-C here, or a failed write
            for (int r = 1; r < ld->ranks; r++)
                if (!ld->dead[r]) ranks_send(r, TAG_STOP, "", 0);
            ld->stop_sent = 1;
            ld->drained = 1;   // queue_next gives no more parts now
            stopped_at = clock_now_s();
        }
        ranks_sends_pending();
        if (!busy) ranks_idle();
    }
    for (int r = 1; r < ld->ranks; r++)
        if (!ld->dead[r]) ranks_send(r, TAG_EXIT, &ld->sh.tot->lost, sizeof ld->sh.tot->lost);
    // Sends to a dead rank never complete: wait for the others' only when all live.
    for (double t0 = clock_now_s(); ranks_sends_pending() && clock_now_s() - t0 < STOP_GRACE_S;) ranks_idle();
}

static int run_leader(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot) {
    Leader ld = { .ranks = ranks_size() };
    ld.slots = xcalloc(ld.ranks, sizeof(int));
    ld.busy = xcalloc(ld.ranks, sizeof(int));
    ld.dead = xcalloc(ld.ranks, sizeof(int));
    ld.heard = xcalloc(ld.ranks, sizeof(double));
    ranks_gather_int(0, ld.slots);
    int local = opt->workers > 0 ? opt->workers : 1, all = local;
    for (int r = 1; r < ld.ranks; r++) all += ld.slots[r];
    shared_init(&ld.sh, store, groups, n_groups, opt, tot, all);
    ld.sh.threads_per_worker = opt->threads / local > 0 ? opt->threads / local : 1;
    ld.flight = xcalloc(ld.sh.n_parts ? ld.sh.n_parts : 1, sizeof(Flight));
    ld.lw = (LocalWorker){ &ld.sh, &ld.local_done };
    start_local(&ld, local);
    leader_loop(&ld);
    for (int w = 0; w < ld.started; w++) pthread_join(ld.th[w], NULL);
    shared_free(&ld.sh);
    free(ld.flight);
    free(ld.slots);
    free(ld.busy);
    free(ld.dead);
    free(ld.heard);
    return tot->aborted ? jp_fail("%s", tot->error) : 0;
}

// ---- data parallel: every rank trains each group, rank 0 says which ----

// Rank 0, before it trains a part: the part to every other rank (n < 0: none is left).
static void dp_broadcast(const Shared *sh, const Group *g, int token) {
    PartHeader h = { .token = token, .n = g ? g->n : -1 };
    if (g) memcpy(h.group_hash, g->group_hash, sizeof h.group_hash);
    ranks_bcast(&h, sizeof h, 0);
    if (!g) return;
    long *buf = xmalloc(2 * sizeof(long) * g->n);
    for (int i = 0; i < g->n; i++) { buf[i] = g->specs[i] - sh->opt->specs; buf[g->n + i] = g->run_ids[i]; }
    ranks_bcast(buf, 2 * sizeof(long) * g->n, 0);
    free(buf);
}

void dp_announce(Shared *sh, const Group *g, int token) {
    if (sh->dp && sh->store) dp_broadcast(sh, g, token);
}

void dp_failed(const char *why) {
    if (ranks_size() < 2) return;
    fprintf(stderr, "jackpot run: rank %d: %s: ending the data-parallel job (finished runs are kept; rerun to resume)\n",
            ranks_rank(), why);
    ranks_abort(1);
}

static int run_dp_follower(const RunOptions *opt, RunTotals *tot) {
    Shared sh;
    shared_init(&sh, NULL, NULL, 0, opt, tot, 1);
    sh.dp = 1;
    sh.threads_per_worker = opt->threads;
    for (;;) {
        PartHeader h;
        ranks_bcast(&h, sizeof h, 0);
        if (h.n < 0) break;
        Msg *m = msg_new(TAG_ASSIGN, sizeof h + 2 * sizeof(long) * h.n);
        memcpy(m->data, &h, sizeof h);
        ranks_bcast(m->data + sizeof h, 2 * sizeof(long) * h.n, 0);
        Group g;
        MemberSummary *sum = xcalloc(h.n, sizeof *sum);
        LmSummary *lsum = xcalloc(h.n, sizeof *lsum);
        char why[512];
        // A failure here is rank 0's too (the same data, the same arithmetic): it records it.
        if (part_of_message(&sh, m, &h, &g) != 0) dp_failed(jp_error());
        blas_set_threads(train_blas_threads(opt->threads, g.n, spec_is_gpt(g.specs[0])));   // as rank 0 (cmd_run) sets its own
        if (part_train(&sh, &g, h.token, sum, lsum, why) < 0) dp_failed(why);
        free(g.specs);
        free(g.run_ids);
        free(sum);
        free(lsum);
        free(m);
    }
    shared_free(&sh);
    return 0;
}

static int run_dp_leader(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot) {
    for (int k = 0; k < n_groups; k++)
        if (!spec_is_gpt(groups[k].specs[0])) {
            char label[160];
            group_label(&groups[k], label, sizeof label);
            dp_broadcast(NULL, NULL, -1);
            memset(tot, 0, sizeof *tot);
            tot->aborted = 1;
            snprintf(tot->error, sizeof tot->error, "--data-parallel trains language models (model.family: gpt); "
                     "group %s is an MLP: run it without --data-parallel", label);
            return jp_fail("%s", tot->error);
        }
    Shared sh;
    shared_init(&sh, store, groups, n_groups, opt, tot, 1);
    sh.dp = 1;
    sh.threads_per_worker = opt->threads;
    pthread_t th;
    int started = start_workers(&sh, &th, 1);   // one part at a time, on every rank
    if (started) pthread_join(th, NULL);
    dp_broadcast(&sh, NULL, -1);
    shared_free(&sh);
    return tot->aborted ? jp_fail("%s", tot->error) : 0;
}

int run_distributed(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot) {
    // What every rank must agree on: where the database is, and the sweep (expanded alike).
    char path[PATH_MAX] = "";
    long n_specs = opt->n_specs;
    if (store && !realpath(store->path, path)) snprintf(path, sizeof path, "%s", store->path);
    ranks_bcast(path, sizeof path, 0);
    ranks_bcast(&n_specs, sizeof n_specs, 0);
    if (n_specs != opt->n_specs) {
        memset(tot, 0, sizeof *tot);
        return jp_fail("rank %d expands the sweep to %ld runs, rank 0 to %ld: every rank must read the same config",
                       ranks_rank(), opt->n_specs, n_specs);
    }
    RunOptions o = *opt;
    o.db_path = path;
    if (opt->data_parallel)
        return store ? run_dp_leader(store, groups, n_groups, &o, tot) : run_dp_follower(&o, tot);
    return store ? run_leader(store, groups, n_groups, &o, tot) : run_remote(&o, tot);
}

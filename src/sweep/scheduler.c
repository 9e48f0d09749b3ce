#include "sweep/scheduler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/keyid.h"
#include "base/ranks.h"
#include "base/xalloc.h"
#include "data/fashion.h"
#include "sweep/lm_files.h"
#include "sweep/progress.h"
#include "sweep/run_shared.h"
#include "train/lm_checkpoint.h"

double spec_planned_flops(const RunSpec *s) {
    if (spec_is_gpt(s)) {   // Kaplan et al. (2020): (6N + 6·n_layer·context·d_model) per token
        GptShape sh = spec_gpt_shape(s);
        return gpt_train_flops_per_token(&sh) * (double)s->batch * (double)s->context * (double)s->steps;
    }
    return 6.0 * (double)s->n_params * (double)s->batch * (double)spec_total_steps(s);
}

int group_specs(const RunSpec *specs, const long *run_ids, const int *select, long n, Group **groups, int *n_groups) {
    Group *g = xcalloc(n ? n : 1, sizeof *g);
    char (*hashes)[17] = xmalloc(sizeof(*hashes) * (n ? n : 1));
    int *of = xmalloc(sizeof(int) * (n ? n : 1));
    // Groups numbered by their group hash in first-seen order (keyid), so this is linear
    // in n: a scan of the groups per run took over a minute for 100,000 one-run groups.
    KeyIds ids;
    keyid_init(&ids);
    int ng = 0;
    for (long i = 0; i < n; i++) {
        if (!select[i]) continue;
        spec_hash(&specs[i], 0, hashes[i]);
        of[i] = keyid_get(&ids, hashes[i]);
        if (of[i] == ng) memcpy(g[ng++].group_hash, hashes[i], 17);
        g[of[i]].n++;
    }
    keyid_free(&ids);
    for (int k = 0; k < ng; k++) {
        g[k].specs = xmalloc(sizeof(RunSpec *) * g[k].n);
        g[k].run_ids = xmalloc(sizeof(long) * g[k].n);
        g[k].n = 0;
    }
    for (long i = 0; i < n; i++) {
        if (!select[i]) continue;
        Group *x = &g[of[i]];
        x->specs[x->n] = &specs[i];
        x->run_ids[x->n++] = run_ids[i];
        x->flops += spec_planned_flops(&specs[i]);
    }
    free(hashes);
    free(of);
    *groups = g;
    *n_groups = ng;
    return 0;
}

void groups_free(Group *g, int n) {
    for (int k = 0; k < n; k++) { free(g[k].specs); free(g[k].run_ids); }
    free(g);
}

void group_label(const Group *g, char *out, size_t n) {
    const RunSpec *s = g->specs[0];
    spec_model_label(s, out, n);
    size_t k = strlen(out);
    if (k < n && !s->train_size && spec_is_text(s))
        snprintf(out + k, n - k, " D=all %ld steps ×%d", s->steps, g->n);
    else if (k < n && !s->train_size && spec_is_world(s))
        snprintf(out + k, n - k, " D=fresh %ld steps ×%d", s->steps, g->n);
    else if (k < n)
        snprintf(out + k, n - k, " D=%ld %ld steps ×%d", s->train_size ? s->train_size : s->pool, s->steps, g->n);
}

// ---- tasks, made once per distinct task ----

static int task_make(const RunSpec *s, const char *dir, Task *task) {
    if (spec_is_world(s)) {
        WorldOptions o = spec_world(s);
        return world_task(&o, (int)s->world_eval_per_concept, task);
    }
    FashionOptions o = { .data_dir = dir[0] ? dir : NULL, .val_size = (int)s->val_size, .standardize = s->standardize };
    return fashion_load(&o, task);
}

const Task *task_cache_get(TaskCache *c, const RunSpec *s, const char *dir_override) {
    const char *dir = dir_override ? dir_override : s->data_dir;
    char key[1024];
    spec_task_key(s, key, sizeof key - 300);
    if (!spec_is_world(s)) snprintf(key + strlen(key), 300, " dir=%s", dir);
    pthread_mutex_lock(&c->mu);
    const Task *found = NULL;
    for (int i = 0; i < c->n && !found; i++)
        if (!strcmp(c->t[i].key, key)) found = &c->t[i].task;
    if (!found && c->n < TASK_CACHE_MAX) {
        if (task_make(s, dir, &c->t[c->n].task) == 0) {
            snprintf(c->t[c->n].key, sizeof c->t[c->n].key, "%s", key);
            found = &c->t[c->n++].task;
        }
    } else if (!found) {
        jp_fail("more than %d distinct datasets in one sweep", TASK_CACHE_MAX);
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

const TextCorpus *corpus_cache_get(TaskCache *c, const RunSpec *s) {
    char key[1024];
    spec_task_key(s, key, sizeof key);
    pthread_mutex_lock(&c->mu);   // held while reading: a second worker waits for the same corpus
    const TextCorpus *found = NULL;
    for (int i = 0; i < c->n_text && !found; i++)
        if (!strcmp(c->text[i].key, key)) found = &c->text[i].corpus;
    if (!found && c->n_text < TASK_CACHE_MAX) {
        TextSplit split = spec_text_split(s);
        if (text_corpus_load(s->text_path, &split, &c->text[c->n_text].corpus) == 0) {
            snprintf(c->text[c->n_text].key, sizeof c->text[c->n_text].key, "%s", key);
            found = &c->text[c->n_text++].corpus;
        }
    } else if (!found) {
        jp_fail("more than %d distinct corpora in one sweep", TASK_CACHE_MAX);
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

void task_cache_init(TaskCache *c) {
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
}

void task_cache_free(TaskCache *c) {
    for (int i = 0; i < c->n; i++) task_free(&c->t[i].task);
    for (int i = 0; i < c->n_text; i++) text_corpus_free(&c->text[i].corpus);
    pthread_mutex_destroy(&c->mu);
}

// ---- the queue and the workers ----

long groups_runs(const Group *groups, int n_groups) {
    long runs = 0;
    for (int g = 0; g < n_groups; g++) runs += groups[g].n;
    return runs;
}

// Parts of a group needed so that none is over `share` FLOPs: at most one per member; gpt groups whole.
static int parts_of(const Group *g, double share) {
    if (spec_is_gpt(g->specs[0]) || !(share > 0) || g->flops <= share) return 1;
    double p = ceil(g->flops / share);
    return p < g->n ? (int)p : g->n;
}

static int part_cmp(const void *a, const void *b) {   // largest first; ties in group and member order
    const GroupPart *x = a, *y = b;
    if (x->g.flops != y->g.flops) return x->g.flops > y->g.flops ? -1 : 1;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    return x->g.specs < y->g.specs ? -1 : x->g.specs > y->g.specs;
}

int group_parts(const Group *groups, int n_groups, int workers, GroupPart **parts) {
    double total = 0;
    long n = 0;
    for (int k = 0; k < n_groups; k++) total += groups[k].flops;
    // Half a worker's share: an even split leaves the last part to start at most that much
    // before the others finish (so LPT's tail is short), and splits only the groups that must be.
    double share = workers > 1 ? total / workers / 2 : 0;
    for (int k = 0; k < n_groups; k++) n += parts_of(&groups[k], share);
    GroupPart *p = xcalloc(n ? n : 1, sizeof *p);
    long i = 0;
    for (int k = 0; k < n_groups; k++) {
        const Group *g = &groups[k];
        int np = parts_of(g, share);
        for (int j = 0, first = 0; j < np; j++) {
            int m = g->n / np + (j < g->n % np);
            p[i].group = k;
            p[i].g = *g;
            p[i].g.n = m;
            p[i].g.specs = g->specs + first;
            p[i].g.run_ids = g->run_ids + first;
            p[i++].g.flops = g->flops * m / g->n;
            first += m;
        }
    }
    qsort(p, n, sizeof *p, part_cmp);
    *parts = p;
    return (int)n;
}

int run_workers(const Group *groups, int n_groups, int workers, int threads) {
    if (!workers) {
        long units = 0;   // members of MLP groups (group_parts splits those), whole gpt groups
        for (int g = 0; g < n_groups; g++) units += spec_is_gpt(groups[g].specs[0]) ? 1 : groups[g].n;
        workers = units < threads ? (int)units : threads;
    }
    if (workers > threads) workers = threads;   // never more threads than cores
    return workers > 1 ? workers : 1;
}

int run_blas_threads(const Group *groups, int n_groups, const RunOptions *opt) {
    if (opt->workers > 1) return 1;   // several trainings in one process: one BLAS thread each
    int blas = n_groups ? train_blas_threads(opt->threads, groups[0].n, spec_is_gpt(groups[0].specs[0])) : 1;
    for (int g = 1; g < n_groups; g++)
        if (train_blas_threads(opt->threads, groups[g].n, spec_is_gpt(groups[g].specs[0])) != blas) return 1;
    return blas;
}

int queue_next(Shared *sh) {
    pthread_mutex_lock(&sh->mu);
    int g = -1;
    if (!atomic_load(sh->opt->stop) && !sh->tot->aborted)
        g = sh->n_requeued ? sh->requeued[--sh->n_requeued] : sh->next < sh->n_parts ? sh->next++ : -1;
    pthread_mutex_unlock(&sh->mu);
    return g;
}

void queue_again(Shared *sh, int part) {
    pthread_mutex_lock(&sh->mu);
    if (!sh->requeued) sh->requeued = xmalloc(sizeof(int) * (sh->n_parts ? sh->n_parts : 1));
    sh->requeued[sh->n_requeued++] = part;
    pthread_mutex_unlock(&sh->mu);
}

int queue_empty(Shared *sh) {
    pthread_mutex_lock(&sh->mu);
    int empty = !sh->n_requeued && sh->next >= sh->n_parts;
    pthread_mutex_unlock(&sh->mu);
    return empty;
}

int aborted(Shared *sh) {
    pthread_mutex_lock(&sh->mu);
    int a = sh->tot->aborted;
    pthread_mutex_unlock(&sh->mu);
    return a;
}

// Stops the sweep with the first reason given; stop_training: also the trainings in flight.
void abort_sweep(Shared *sh, const char *why, int stop_training) {
    pthread_mutex_lock(&sh->mu);
    if (!sh->tot->aborted) snprintf(sh->tot->error, sizeof sh->tot->error, "%s", why);
    sh->tot->aborted = 1;
    if (stop_training) atomic_store(sh->opt->stop, 1);
    pthread_mutex_unlock(&sh->mu);
}

// A store write failed in this thread: its message is this thread's jp_error(), copied under
// the store's lock by the failing call (other workers may be failing too).
void store_failed(Shared *sh, const char *what) {
    char why[1600];
    snprintf(why, sizeof why, "%s: %s: %s", sh->store->path, what, jp_error());
    abort_sweep(sh, why, 1);
}

void store_sink(void *ctx, const EvalRecord *r) {
    SinkCtx *c = ctx;
    if (c->sh->relay) {
        c->sh->relay->eval(c->sh->relay->ctx, c->token, r);
        return;
    }
    StoreMetric m[6 + PROBE_METRICS] = {
        { "train", "loss", r->train_loss }, { "train", "lr", r->step ? r->lr : NAN },
        { "val", "loss", r->val_loss },     { "val", "acc", r->val_acc },
        { "test", "loss", r->test_loss },   { "test", "acc", r->test_acc },
    };
    int n = 6;
    if (r->probed) {
        for (int i = 0; i < PROBE_METRICS; i++) m[n++] = (StoreMetric){ "probe", probe_metric_names[i], r->probe.value[i] };
    }
    StoreConcepts concepts = { r->n_concepts, r->concept_loss, r->concept_acc };
    if (store_add_eval(c->sh->store, c->g->run_ids[r->member], r->step, r->examples, r->flops, r->wall_s, m, n,
                       r->n_concepts ? &concepts : NULL) != 0)
        store_failed(c->sh, "writing an evaluation");
    double steps = (double)r->step;
    if (c->steps_told) progress_advance(&c->sh->progress, 0, 0, 0, r->val_loss);
    else progress_advance(&c->sh->progress, r->flops - c->last_flops[r->member], steps - c->last_steps[r->member], 0, r->val_loss);
    c->last_flops[r->member] = r->flops;
    c->last_steps[r->member] = steps;
}

// A finished run's status and summaries, counted in the totals.
static void record_finish(Shared *sh, long run_id, long diverged_step, double wall, const StoreSummary *sum, int n) {
    int diverged = diverged_step >= 0;
    if (store_finish_run(sh->store, run_id, diverged ? "diverged" : "done", diverged_step, wall, NULL, sum, n) != 0) {
        store_failed(sh, "finishing a run");   // not counted: it stays 'running' and a rerun trains it again
        return;
    }
    pthread_mutex_lock(&sh->mu);
    if (diverged) sh->tot->diverged++;
    else sh->tot->done++;
    pthread_mutex_unlock(&sh->mu);
}

static void finish_member(Shared *sh, const RunSpec *spec, long run_id, const MemberSummary *s, double wall) {
    const EvalRecord *f = &s->final, *b = &s->best;
    StoreSummary sum[16] = {
        { "final_step", (double)f->step },     { "final_train_loss", f->train_loss },
        { "final_val_loss", f->val_loss },     { "final_val_acc", f->val_acc },
        { "final_test_loss", f->test_loss },   { "final_test_acc", f->test_acc },
        { "best_step", (double)b->step },      { "best_val_loss", b->val_loss },
        { "best_val_acc", b->val_acc },        { "best_test_loss", b->test_loss },
        { "best_test_acc", b->test_acc },      { "examples", f->examples },
        { "flops", f->flops },
    };
    int n = 13;
    if (spec->inject_steps > 0) {   // the phase boundaries of the injection experiment (concepts/injection.h reads them)
        sum[n++] = (StoreSummary){ .name = "injection_start", .value = (double)spec->steps };
        sum[n++] = (StoreSummary){ .name = "injection_end", .value = (double)(spec->steps + spec->inject_steps) };
        sum[n++] = (StoreSummary){ .name = "return_end", .value = (double)spec_total_steps(spec) };
    }
    record_finish(sh, run_id, s->diverged_step, wall, sum, n);
}

// ---- gpt groups: train_lm_ensemble on the corpus; checkpoints, logs and weights beside the
// database (sweep/lm_files.h). Losses in nats per byte (val/loss, test/loss, as for MLPs) and
// bits per byte beside them (val/bpb, test/bpb); `examples` of a metric row is tokens. ----

static void finish_lm_member(Shared *sh, long run_id, const LmSummary *s, double wall) {
    const LmRecord *f = &s->final, *b = &s->best;
    StoreSummary sum[] = {
        { "final_step", (double)f->step },     { "final_train_loss", f->train_loss },
        { "final_val_loss", f->val_loss },     { "final_val_bpb", f->val_bpb },
        { "final_test_loss", f->test_loss },   { "final_test_bpb", f->test_bpb },
        { "best_step", (double)b->step },      { "best_val_loss", b->val_loss },
        { "best_val_bpb", b->val_bpb },        { "best_test_loss", b->test_loss },
        { "best_test_bpb", b->test_bpb },      { "examples", f->tokens },
        { "tokens", f->tokens },               { "flops", f->flops },
    };
    record_finish(sh, run_id, s->diverged_step, wall, sum, (int)(sizeof sum / sizeof sum[0]));
}

static void lm_store_eval(Shared *sh, const Group *g, int token, const LmRecord *r) {
    if (sh->relay) {
        sh->relay->lm_eval(sh->relay->ctx, token, r);
        return;
    }
    long run_id = g->run_ids[r->member];
    StoreMetric m[] = {
        { "train", "loss", r->train_loss }, { "train", "lr", r->step ? r->lr : NAN },
        { "train", "grad_norm", r->grad_norm },
        { "val", "loss", r->val_loss },     { "val", "bpb", r->val_bpb },
        { "test", "loss", r->test_loss },   { "test", "bpb", r->test_bpb },
    };
    if (store_add_eval(sh->store, run_id, r->step, r->tokens, r->flops, r->wall_s, m, (int)(sizeof m / sizeof m[0]), NULL) != 0)
        store_failed(sh, "writing an evaluation");
}

void lm_sink(void *ctx, const LmRecord *r) {
    LmSinkCtx *c = ctx;
    if (c->log) lm_log_write(c->log, r);   // first: the log is what a resumed group writes back
    lm_store_eval(c->sh, c->g, c->token, r);
    if (c->sh->relay) return;   // rank 0 counts the progress
    double steps = (double)r->step, flops = r->flops - c->last_flops[r->member];
    double tokens = r->flops > 0 ? flops * (r->tokens / r->flops) : 0;   // flops are tokens · FLOPs per token
    progress_advance(&c->sh->progress, flops, steps - c->last_steps[r->member], tokens, r->val_loss);
    c->last_flops[r->member] = r->flops;
    c->last_steps[r->member] = steps;
}

// Whether the checkpoint in e was made by this group: its members, seeds and configuration.
static int lm_checkpoint_fits(const LmEnsemble *e, const LmConfig *cfg, const MemberSeeds *seeds, int M) {
    char desc[sizeof e->config];
    lm_config_describe(cfg, desc, sizeof desc);
    int fits = e->M == M && !strcmp(desc, e->config);
    for (int m = 0; fits && m < M; m++)
        fits = e->member[m].init_seed == seeds[m].init_seed && e->member[m].data_seed == seeds[m].data_seed;
    return fits;
}

// The group's checkpoint, when one fits, into e (else e zeroed: a fresh start), with its evaluations
// up to its step written back to the store from the log; *log open for the records to come. A
// data-parallel rank other than 0 (log_path NULL) only reads the checkpoint, as rank 0 does.
static void lm_resume(Shared *sh, const Group *g, int token, const LmConfig *cfg, const char *ckpt,
                      const MemberSeeds *seeds, const char *log_path, LmEnsemble *e, FILE **log) {
    memset(e, 0, sizeof *e);
    *log = NULL;
    LmRecord *rec = NULL;
    long n = 0;
    if (access(ckpt, F_OK) == 0) {
        if (lm_checkpoint_read(ckpt, e) == 0 && lm_checkpoint_fits(e, cfg, seeds, g->n)) {
            n = log_path ? lm_log_read(log_path, e->step, &rec) : 0;
        } else {   // another group's, or unreadable: start afresh
            if (e->params) lm_ensemble_free(e);
            memset(e, 0, sizeof *e);
            if (log_path) remove(ckpt);
        }
    }
    if (!log_path) return;
    *log = fopen(log_path, "w");   // rewritten with what is kept: best effort, a resume needs it only
    for (long i = 0; i < n; i++) {
        if (*log) lm_log_write(*log, &rec[i]);
        if (rec[i].member >= 0 && rec[i].member < g->n) lm_store_eval(sh, g, token, &rec[i]);
    }
    free(rec);
}

// Each member's final weights into DB.weights/RUN.safetensors.
static int lm_write_weights(Shared *sh, const Group *g, const LmEnsemble *e) {
    char path[1200];
    for (int m = 0; m < g->n; m++) {
        lm_weights_file(sh->db_path, g->run_ids[m], path, sizeof path);
        if (lm_weights_write(path, e, m) != 0) return -1;
    }
    return 0;
}

// The runs' D, now known: 0, or 1 when the write failed (the sweep stops).
static int record_train_size(Shared *sh, const Group *g, int token, long D) {
    if (sh->relay) sh->relay->train_size(sh->relay->ctx, token, D);
    else if (sh->store && store_set_train_size(sh->store, g->run_ids, g->n, D) != 0) {
        store_failed(sh, "recording D");
        return 1;
    }
    return 0;
}

// 0 done (weights written, the checkpoint and log removed), 1 stopped (the checkpoint kept), −1 failed.
// Data parallel (sh->dp), every rank trains the group; only rank 0 (which has the store) writes
// anything: the store, the log, checkpoints and weights.
static int train_lm(Shared *sh, Group *g, int token, LmSummary *sum) {
    int follower = sh->dp && !sh->store;
    dp_announce(sh, g, token);
    const RunSpec *s = g->specs[0];
    const TextCorpus *corpus = corpus_cache_get(&sh->tasks, s);
    if (!corpus || (!follower && lm_files_mkdir(sh->db_path) != 0)) return -1;
    LmConfig cfg = spec_lm_config(s, sh->threads_per_worker);
    cfg.stop = sh->opt->stop;
    if (sh->dp) {   // a failed write below then stops every rank at the first step, none left waiting
        cfg.dp.ranks = ranks_size();
        cfg.dp.rank = ranks_rank();
        cfg.dp.sum = ranks_sum_float;
    }
    if (!cfg.D) {   // the whole training part: the runs' D is known now
        cfg.D = corpus->part_bytes[TEXT_TRAIN];
        if (!follower && record_train_size(sh, g, token, cfg.D) != 0 && !sh->dp) return 1;   // stopped: a rerun trains them
    }
    char ckpt[1200], log_path[1200];
    lm_checkpoint_file(sh->db_path, g->group_hash, ckpt, sizeof ckpt);
    lm_log_file(sh->db_path, g->group_hash, log_path, sizeof log_path);
    cfg.checkpoint_path = follower ? NULL : ckpt;
    MemberSeeds *seeds = xmalloc(sizeof *seeds * g->n);
    for (int m = 0; m < g->n; m++) seeds[m] = (MemberSeeds){ g->specs[m]->init_seed, g->specs[m]->data_seed };
    LmEnsemble e;
    FILE *log;
    lm_resume(sh, g, token, &cfg, ckpt, seeds, follower ? NULL : log_path, &e, &log);
    int resumed = e.params != NULL;   // a failing train_lm_ensemble frees only what it allocated
    if (resumed && !sh->opt->quiet && !follower) {
        char label[128];
        group_label(g, label, sizeof label);
        pthread_mutex_lock(&sh->mu);
        fprintf(stderr, "jackpot run: %s resumes from its checkpoint at step %ld\n", label, e.step);
        pthread_mutex_unlock(&sh->mu);
    }
    double *last = xcalloc(2 * (size_t)g->n, sizeof(double));
    for (int m = 0; resumed && m < g->n; m++) {   // progress counts only what this session trains
        last[m] = e.member[m].summary.final.flops;
        last[g->n + m] = (double)e.member[m].summary.final.step;
    }
    LmSinkCtx ctx = { sh, g, log, last, last + g->n, token };
    int rc = train_lm_ensemble(&cfg, corpus, seeds, g->n, &e, follower ? NULL : lm_sink, &ctx, sum);
    if (log) fclose(log);
    if (rc == 0 && !follower && lm_write_weights(sh, g, &e) != 0) rc = -2;
    if (rc >= 0 || rc == -2 || resumed) lm_ensemble_free(&e);
    if (rc == 0 && !follower) {
        remove(ckpt);
        remove(log_path);
    }
    free(seeds);
    free(last);
    return rc < 0 ? -1 : rc;
}

static int train_mlp(Shared *sh, Group *g, int token, MemberSummary *sum) {
    const Task *task = task_cache_get(&sh->tasks, g->specs[0], sh->opt->data_dir);
    if (!task) return -1;
    TrainConfig cfg = spec_train_config(g->specs[0], sh->threads_per_worker);
    cfg.stop = sh->opt->stop;
    MemberSeeds *seeds = xmalloc(sizeof *seeds * g->n);
    double *last = xcalloc(2 * (size_t)g->n, sizeof(double));
    for (int m = 0; m < g->n; m++) seeds[m] = (MemberSeeds){ g->specs[m]->init_seed, g->specs[m]->data_seed };
    SinkCtx ctx = { sh, g, last, last + g->n, token, !sh->relay };
    if (!sh->relay) {   // off rank 0 the steps reach rank 0's progress with the evaluations
        cfg.on_steps = progress_steps;
        cfg.steps_ctx = &sh->progress;
    }
    Ensemble e;
    int rc = train_ensemble(&cfg, task, seeds, g->n, &e, store_sink, &ctx, sum);
    if (rc == 0) ensemble_free(&e);
    free(seeds);
    free(last);
    return rc;
}

// A part finished: its line, and the group counted done with its last part.
static void part_done(Shared *sh, const GroupPart *part, double wall) {
    const Group *whole = &sh->groups[part->group];
    char label[160];
    group_label(&part->g, label, sizeof label);
    if (part->g.n < whole->n) snprintf(label + strlen(label), sizeof label - strlen(label), " of %d", whole->n);
    pthread_mutex_lock(&sh->mu);
    int last = --sh->parts_left[part->group] == 0;
    pthread_mutex_unlock(&sh->mu);
    progress_group_done(&sh->progress, label, part->g.n, wall, last);
}

int part_start(Shared *sh, const GroupPart *part, long *launch) {
    if (store_start_launch(sh->store, part->g.run_ids, part->g.n, launch) == 0) return 0;
    store_failed(sh, "starting runs");
    return -1;
}

int part_train(Shared *sh, Group *g, int token, MemberSummary *sum, LmSummary *lsum, char *why) {
    int rc = spec_is_gpt(g->specs[0]) ? train_lm(sh, g, token, lsum) : train_mlp(sh, g, token, sum);
    why[0] = 0;   // the training's error, before a store call records its own in jp_error()
    if (rc < 0) snprintf(why, 512, "%s", jp_error());
    return rc;
}

// The runs failed: why on stderr (even with --quiet: a reason is not progress) and in the store.
static void record_failure(Shared *sh, const Group *g, const char *why, double wall) {
    char label[128];
    group_label(g, label, sizeof label);
    pthread_mutex_lock(&sh->mu);
    fprintf(stderr, "jackpot run: %s: %d run%s failed: %s\n", label, g->n, g->n == 1 ? "" : "s", why);
    pthread_mutex_unlock(&sh->mu);
    int recorded = 0;
    for (int m = 0; m < g->n; m++) {
        if (store_finish_run(sh->store, g->run_ids[m], "failed", -1, wall, why, NULL, 0) != 0) {
            store_failed(sh, "recording a failure");
            break;
        }
        recorded++;
    }
    pthread_mutex_lock(&sh->mu);
    sh->tot->failed += recorded;
    pthread_mutex_unlock(&sh->mu);
}

void part_settle(Shared *sh, const GroupPart *part, long launch, int rc, const char *why, double wall,
                 const MemberSummary *sum, const LmSummary *lsum) {
    const Group *g = &part->g;
    if (store_end_launch(sh->store, launch, wall) != 0) store_failed(sh, "ending a launch");
    if (rc == 1 || aborted(sh)) {   // stopped: what it wrote is undone, the runs wait for a rerun
        // If even this fails (a full disk), the runs stay 'running' and the next start
        // resets them, their runner being gone.
        store_reset_runs(sh->store, g->run_ids, g->n);
        pthread_mutex_lock(&sh->mu);
        sh->tot->interrupted += g->n;
        pthread_mutex_unlock(&sh->mu);
    } else if (rc < 0) {
        record_failure(sh, g, why, wall);
    } else {
        for (int m = 0; m < g->n; m++) {
            if (spec_is_gpt(g->specs[0])) finish_lm_member(sh, g->run_ids[m], &lsum[m], wall);
            else finish_member(sh, g->specs[m], g->run_ids[m], &sum[m], wall);
        }
    }
    if (rc >= 0 && rc != 1) part_done(sh, part, wall);
}

static void train_group(Shared *sh, GroupPart *part) {
    long launch;
    if (part_start(sh, part, &launch) != 0) return;
    double t0 = clock_now_s();
    MemberSummary *sum = xcalloc(part->g.n, sizeof *sum);
    LmSummary *lsum = xcalloc(part->g.n, sizeof *lsum);
    char why[512];
    int rc = part_train(sh, &part->g, (int)(part - sh->parts), sum, lsum, why);
    part_settle(sh, part, launch, rc, why, clock_now_s() - t0, sum, lsum);
    free(sum);
    free(lsum);
    if (sh->dp && rc < 0) dp_failed(why);
}

void *worker_main(void *arg) {
    Shared *sh = arg;
    int g;
    while ((g = queue_next(sh)) >= 0) train_group(sh, &sh->parts[g]);
    return NULL;
}

// Starts up to `workers` threads into th[]; returns how many run. A thread that cannot be
// started aborts the sweep (the ones started finish the group in hand and stop).
int start_workers(Shared *sh, pthread_t *th, int workers) {
    for (int w = 0; w < workers; w++) {
        int rc = pthread_create(&th[w], NULL, worker_main, sh);
        if (rc != 0) {
            char why[256];
            snprintf(why, sizeof why, "cannot start worker thread %d of %d: %s", w + 1, workers, strerror(rc));
            abort_sweep(sh, why, 0);
            return w;
        }
    }
    return workers;
}

void shared_init(Shared *sh, Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot, int slots) {
    memset(tot, 0, sizeof *tot);
    *sh = (Shared){ .store = store, .db_path = store ? store->path : opt->db_path, .groups = groups, .opt = opt, .tot = tot };
    sh->n_parts = group_parts(groups, n_groups, slots, &sh->parts);
    sh->parts_left = xcalloc(n_groups ? n_groups : 1, sizeof(int));
    for (int i = 0; i < sh->n_parts; i++) sh->parts_left[sh->parts[i].group]++;
    pthread_mutex_init(&sh->mu, NULL);
    task_cache_init(&sh->tasks);
    double flops = 0;
    for (int k = 0; k < n_groups; k++) flops += groups[k].flops;
    progress_init(&sh->progress, n_groups, groups_runs(groups, n_groups), opt->runs_before, flops, opt->quiet || !store);
}

void shared_free(Shared *sh) {
    progress_finish(&sh->progress);
    task_cache_free(&sh->tasks);
    pthread_mutex_destroy(&sh->mu);
    free(sh->parts);
    free(sh->parts_left);
    free(sh->requeued);
}

int run_groups(Store *store, Group *groups, int n_groups, const RunOptions *opt, RunTotals *tot) {
    Shared sh;
    shared_init(&sh, store, groups, n_groups, opt, tot, opt->workers);
    int workers = opt->workers < sh.n_parts ? opt->workers : sh.n_parts;
    if (workers < 1) workers = 1;
    if (workers > 64) workers = 64;
    sh.threads_per_worker = opt->threads / workers > 0 ? opt->threads / workers : 1;
    pthread_t th[64];
    int started = start_workers(&sh, th, workers);
    for (int w = 0; w < started; w++) pthread_join(th[w], NULL);
    shared_free(&sh);
    return tot->aborted ? jp_fail("%s", tot->error) : 0;
}

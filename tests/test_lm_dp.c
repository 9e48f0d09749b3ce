// Data-parallel LM training (LmConfig.dp in train/lm.h) without MPI: R ranks are R threads,
// each calling train_lm_ensemble with its own LmEnsemble, and dp.sum is a pthread barrier
// over a shared table of the ranks' buffers, summed in rank order. On tiny models (d_model
// 16, 2 layers, context 16, batch 4) and tests/data/small.txt: every rank ends with the same
// parameters bit for bit; its losses match one process's run with the same global batch
// within rounding (the max differences are printed); one rank with a sum callback is one
// process bit for bit; a stop flag on one rank stops all at the same step, and so does
// divergence and a failed checkpoint; ensembles of two members and more ranks than
// sequences work.
#include "testutil.h"
#include "lm_fixtures.h"

#include <pthread.h>
#include <stdatomic.h>

#include "nn/blas.h"
#include "train/lm.h"
#include "train/lm_checkpoint.h"
#include "train/trainer.h"

#define MAX_RANKS 8

static char tmpdir[128];

static int make_tmpdir(void **state) { (void)state; blas_set_threads(1); return temp_dir_make(tmpdir, sizeof tmpdir, "lmdp"); }
static int remove_tmpdir(void **state) { (void)state; return temp_dir_remove(tmpdir); }

// ---- the simulated communicator: dp.sum over threads ----

typedef struct {
    int R;
    pthread_barrier_t bar;
    float *bufs[MAX_RANKS];
    size_t ns[MAX_RANKS];
    float *total;
    size_t cap;
    long calls;              // sums made (counted by rank 0)
    int mismatch;            // ranks called with different n
} Comm;

typedef struct { Comm *comm; int rank; } RankCtx;

// buf[n] ← Σ over ranks, in rank order ((b0 + b1) + b2 …), the same bits on every rank.
static void comm_sum(void *ctx, float *buf, size_t n) {
    RankCtx *rc = ctx;
    Comm *c = rc->comm;
    c->bufs[rc->rank] = buf;
    c->ns[rc->rank] = n;
    pthread_barrier_wait(&c->bar);
    if (rc->rank == 0) {
        c->calls++;
        for (int r = 1; r < c->R; r++) c->mismatch |= c->ns[r] != n;
        if (c->cap < n) { c->total = realloc(c->total, n * sizeof(float)); c->cap = n; }
        for (size_t i = 0; i < n; i++) {
            float t = c->bufs[0][i];
            for (int r = 1; r < c->R; r++) t += c->mismatch ? 0.0f : c->bufs[r][i];
            c->total[i] = t;
        }
    }
    pthread_barrier_wait(&c->bar);
    memcpy(buf, c->total, n * sizeof(float));
    pthread_barrier_wait(&c->bar);   // nobody writes total for the next sum before all have read it
}

typedef struct {
    LmConfig cfg;
    const TextCorpus *c;
    const MemberSeeds *seeds;
    int M, rc;
    RankCtx rctx;
    atomic_int stop;
    LmEnsemble e;
    LmSummary summary[2];
    Recs recs;
} Rank;

static void *rank_main(void *arg) {
    Rank *k = arg;
    k->rc = train_lm_ensemble(&k->cfg, k->c, k->seeds, k->M, &k->e, sink, &k->recs, k->summary);
    return NULL;
}

// Runs cfg on R ranks (threads); ranks[R] must be zeroed. stop_rank/stop_at: that rank sets its
// stop flag at that step's evaluation (−1: never). ckpt: rank 0's checkpoint path (or NULL).
static Comm *run_ranks(const LmConfig *cfg, const TextCorpus *c, const MemberSeeds *seeds, int M, int R,
                       Rank *ranks, int stop_rank, long stop_at, const char *ckpt) {
    assert_true(R <= MAX_RANKS && M <= 2);
    Comm *comm = calloc(1, sizeof *comm);
    comm->R = R;
    pthread_barrier_init(&comm->bar, NULL, R);
    pthread_t th[MAX_RANKS];
    for (int r = 0; r < R; r++) {
        Rank *k = &ranks[r];
        k->cfg = *cfg;
        k->c = c;
        k->seeds = seeds;
        k->M = M;
        k->rctx = (RankCtx){ comm, r };
        k->cfg.dp.ranks = R;
        k->cfg.dp.rank = r;
        k->cfg.dp.sum = comm_sum;
        k->cfg.dp.ctx = &k->rctx;
        k->cfg.stop = &k->stop;
        k->cfg.checkpoint_path = r == 0 ? ckpt : NULL;
        k->recs.stop_at = r == stop_rank ? stop_at : -1;
        k->recs.stop = &k->stop;
        assert_int_equal(pthread_create(&th[r], NULL, rank_main, k), 0);
    }
    for (int r = 0; r < R; r++) pthread_join(th[r], NULL);
    pthread_barrier_destroy(&comm->bar);
    assert_false(comm->mismatch);
    return comm;
}

static void comm_free(Comm *c) { free(c->total); free(c); }

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-30); }

typedef struct { double loss, param; } MaxDiff;

// Every rank: parameters bitwise those of rank 0; records (step, tokens, losses) as the
// one-process run's within `tol` relative, parameters within `ptol` absolute. Returns the
// largest differences.
static MaxDiff compare_to_one(const Rank *ranks, int R, const LmEnsemble *one, const Recs *one_recs, double tol,
                              double ptol) {
    MaxDiff d = { 0, 0 };
    size_t n = (size_t)one->M * one->P;
    for (int r = 0; r < R; r++) {
        const Rank *k = &ranks[r];
        assert_int_equal(k->rc, 0);
        assert_int_equal(k->e.step, one->step);
        assert_memory_equal(k->e.params, ranks[0].e.params, n * sizeof(float));
        assert_int_equal(k->recs.n, one_recs->n);
        for (int i = 0; i < one_recs->n; i++) {
            const LmRecord *a = &k->recs.r[i], *b = &one_recs->r[i];
            assert_int_equal(a->member, b->member);
            assert_int_equal(a->step, b->step);
            assert_true(a->tokens == b->tokens && a->flops == b->flops);
            assert_memory_equal(&a->lr, &b->lr, sizeof(float));
            assert_int_equal(isnan(a->train_loss), isnan(b->train_loss));
            double dl[] = { isnan(b->train_loss) ? 0 : rel(a->train_loss, b->train_loss), rel(a->val_loss, b->val_loss),
                            rel(a->test_loss, b->test_loss), rel(a->grad_norm, b->grad_norm) };
            for (int j = 0; j < 4; j++) {
                if (b->step == 0 && j == 3) continue;   // step 0: no gradient yet (NaN)
                assert_true(dl[j] <= tol);
                d.loss = fmax(d.loss, dl[j]);
            }
        }
    }
    for (size_t i = 0; i < n; i++) d.param = fmax(d.param, fabs((double)ranks[0].e.params[i] - one->params[i]));
    assert_true(d.param <= ptol);
    return d;
}

static void run_one(const LmConfig *cfg, const TextCorpus *c, const MemberSeeds *seeds, int M, LmEnsemble *e,
                    Recs *rs) {
    assert_int_equal(train_lm_ensemble(cfg, c, seeds, M, e, sink, rs, NULL), 0);
}

// R ranks (B = 4 not divisible by 3; R = 5 leaves a rank without sequences) against one
// process: params identical across ranks, losses and params as one process's within rounding.
static void check_ranks(int M, int R) {
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(20);
    MemberSeeds seeds[2];
    seeds_for(seeds, M);
    LmEnsemble one = { 0 };
    Recs *one_recs = calloc(1, sizeof *one_recs);
    one_recs->stop_at = -1;
    run_one(&cfg, &c, seeds, M, &one, one_recs);
    Rank *ranks = calloc(R, sizeof *ranks);
    Comm *comm = run_ranks(&cfg, &c, seeds, M, R, ranks, -1, -1, NULL);
    assert_int_equal(comm->calls, cfg.steps);   // one sum per step
    MaxDiff d = compare_to_one(ranks, R, &one, one_recs, 1e-5, 1e-4);
    fprintf(stderr, "M=%d R=%d B=%d, %ld steps: max relative loss/norm difference %.3g, max |param| difference %.3g\n",
            M, R, cfg.batch, cfg.steps, d.loss, d.param);
    for (int r = 0; r < R; r++) lm_ensemble_free(&ranks[r].e);
    free(ranks);
    comm_free(comm);
    lm_ensemble_free(&one);
    free(one_recs);
    text_corpus_free(&c);
}

static void test_two_ranks(void **state) { (void)state; check_ranks(1, 2); }
static void test_three_ranks(void **state) { (void)state; check_ranks(1, 3); }
static void test_more_ranks_than_sequences(void **state) { (void)state; check_ranks(1, 5); }
static void test_ensemble_of_two(void **state) { (void)state; check_ranks(2, 3); }

static int calls_seen;
static void counting_sum(void *ctx, float *buf, size_t n) { (void)ctx; (void)buf; (void)n; calls_seen++; }

// dp.ranks = 1 with a sum callback is the one-process run bit for bit (and never sums).
static void test_one_rank_is_one_process(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(12);
    MemberSeeds seeds[2];
    seeds_for(seeds, 2);
    LmEnsemble a = { 0 }, b = { 0 };
    Recs *ra = calloc(1, sizeof *ra), *rb = calloc(1, sizeof *rb);
    ra->stop_at = rb->stop_at = -1;
    run_one(&cfg, &c, seeds, 2, &a, ra);
    cfg.dp.ranks = 1;
    cfg.dp.rank = 0;
    cfg.dp.sum = counting_sum;
    run_one(&cfg, &c, seeds, 2, &b, rb);
    assert_int_equal(calls_seen, 0);
    assert_memory_equal(a.params, b.params, 2 * a.P * sizeof(float));
    assert_memory_equal(a.m, b.m, 2 * a.P * sizeof(float));
    assert_int_equal(ra->n, rb->n);
    for (int i = 0; i < ra->n; i++) {
        const LmRecord *x = &ra->r[i], *y = &rb->r[i];
        const double dx[] = { x->train_loss, x->val_loss, x->test_loss }, dy[] = { y->train_loss, y->val_loss, y->test_loss };
        assert_memory_equal(dx, dy, sizeof dx);
        assert_memory_equal(&x->grad_norm, &y->grad_norm, sizeof(float));
    }
    lm_ensemble_free(&a); lm_ensemble_free(&b);
    free(ra); free(rb);
    text_corpus_free(&c);
}

// Rank 1 sets its stop flag at step 5's evaluation: every rank returns 1 at step 5 with the
// same parameters, and rank 0 (the one with the path) wrote the checkpoint of step 5.
static void test_stop_on_one_rank_stops_all(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(20);
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/stop.ckpt", tmpdir);
    Rank ranks[3] = { 0 };
    Comm *comm = run_ranks(&cfg, &c, seeds, 1, 3, ranks, 1, 5, path);
    for (int r = 0; r < 3; r++) {
        assert_int_equal(ranks[r].rc, 1);
        assert_int_equal(ranks[r].e.step, 5);
        assert_int_equal(ranks[r].e.member[0].t, 5);
        assert_memory_equal(ranks[r].e.params, ranks[0].e.params, ranks[0].e.P * sizeof(float));
    }
    assert_int_equal(comm->calls, 6);   // steps 0–4, and step 5's that agreed to stop
    LmEnsemble back = { 0 };
    assert_int_equal(lm_checkpoint_read(path, &back), 0);
    assert_int_equal(back.step, 5);
    assert_memory_equal(back.params, ranks[0].e.params, back.P * sizeof(float));
    lm_ensemble_free(&back);
    for (int r = 0; r < 3; r++) lm_ensemble_free(&ranks[r].e);
    comm_free(comm);
    text_corpus_free(&c);
}

// A huge rate diverges the member on every rank at the same step, and no rank hangs.
static void test_divergence_is_agreed(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = diverging_config();
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    Rank ranks[2] = { 0 };
    Comm *comm = run_ranks(&cfg, &c, seeds, 1, 2, ranks, -1, -1, NULL);
    long d = ranks[0].summary[0].diverged_step;
    assert_true(d >= 1 && d < 6);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(ranks[r].rc, 0);
        assert_int_equal(ranks[r].summary[0].diverged_step, d);
        lm_ensemble_free(&ranks[r].e);
    }
    assert_int_equal(comm->calls, 6);
    comm_free(comm);
    text_corpus_free(&c);
}

// Rank 0's periodic checkpoint cannot be written at step 3: every rank returns −1 there (the
// others learn it in the step's sum) instead of waiting in a sum rank 0 never makes.
static void test_checkpoint_failure_is_agreed(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(10);
    cfg.checkpoint_every_steps = 3;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/no/such/dir/x.ckpt", tmpdir);
    Rank ranks[2] = { 0 };
    Comm *comm = run_ranks(&cfg, &c, seeds, 1, 2, ranks, -1, -1, path);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(ranks[r].rc, -1);
        assert_null(ranks[r].e.params);   // freed: this call allocated it
    }
    assert_int_equal(comm->calls, 4);   // steps 0–2 and step 3's that carried the failure
    comm_free(comm);
    text_corpus_free(&c);
}

static void test_bad_rank(void **state) {
    (void)state;
    TextCorpus c = load_small();
    LmConfig cfg = tiny_config(2);
    cfg.dp.ranks = 2;
    cfg.dp.rank = 2;
    cfg.dp.sum = counting_sum;
    MemberSeeds seeds[1];
    seeds_for(seeds, 1);
    LmEnsemble e = { 0 };
    assert_int_equal(train_lm_ensemble(&cfg, &c, seeds, 1, &e, NULL, NULL, NULL), -1);
    assert_null(e.params);
    text_corpus_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ranks),
        cmocka_unit_test(test_three_ranks),
        cmocka_unit_test(test_more_ranks_than_sequences),
        cmocka_unit_test(test_ensemble_of_two),
        cmocka_unit_test(test_one_rank_is_one_process),
        cmocka_unit_test(test_stop_on_one_rank_stops_all),
        cmocka_unit_test(test_divergence_is_agreed),
        cmocka_unit_test(test_checkpoint_failure_is_agreed),
        cmocka_unit_test(test_bad_rank),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}

#include "tickets/imp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "tickets/barrier.h"
#include "tickets/prune.h"

#define REINIT_SEED_OFFSET 0x9E3779B97F4A7C15ULL    // "a fresh random initialisation": another init seed
#define COPY_DATA_SEED_OFFSET 0x6A09E667F3BCC909ULL // the instability copy's other data order

typedef struct {
    const TrainConfig *base;
    const Task *task;
    const MemberSeeds *seeds;
    int M;
    size_t P;
    TicketSink sink;
    void *ctx;
    const ImpOptions *o;
} Imp;

typedef struct { const Imp *x; int level; const char *variant; } LevelEvals;

static void level_eval(void *ctx, const EvalRecord *r) {
    const LevelEvals *l = ctx;
    l->x->o->on_eval(l->x->o->eval_ctx, l->level, l->variant, r);
}

// Trains the ensemble from `start` with `masks`; final weights into `final` (may be NULL). Its
// evaluations go to o->on_eval as `variant` of `level` (variant NULL: to nobody).
static int train(Imp *x, int level, const char *variant, const MemberSeeds *seeds, const float *start, const float *masks,
                 float *final, float *capture, MemberSummary *sum) {
    TrainConfig c = *x->base;
    c.start_params = start;
    c.mask = masks;
    c.capture = capture;
    c.capture_step = x->base->capture_step;
    Ensemble e;
    LevelEvals l = { x, level, variant };
    int on = variant && x->o->on_eval;
    int rc = train_ensemble(&c, x->task, seeds, x->M, &e, on ? level_eval : NULL, on ? &l : NULL, sum);
    if (rc != 0) return rc;
    if (final) memcpy(final, e.params, sizeof(float) * x->P * x->M);
    ensemble_free(&e);
    return 0;
}

static void emit(Imp *x, int level, const char *variant, const float *masks, const MemberSummary *sum, const double *barrier) {
    const MlpShape *s = &x->base->shape;
    for (int m = 0; m < x->M; m++) {
        TicketRecord r = { .level = level, .member = m, .variant = variant, .summary = sum[m], .n_layers = s->depth + 1,
                           .barrier = barrier ? barrier[m] : NAN };
        const float *mk = masks + (size_t)m * x->P;
        r.density = mask_density(s, mk, -1);
        for (int l = 0; l <= s->depth; l++) r.layer_density[l] = mask_density(s, mk, l);
        x->sink(x->ctx, &r);
    }
}

int imp_run(const TrainConfig *base, const Task *task, const MemberSeeds *seeds, int M, const ImpOptions *o,
            TicketSink sink, void *ctx) {
    if (o->rewind_step > base->steps) return jp_fail("tickets.rewind_step %ld is beyond the %ld training steps", o->rewind_step, base->steps);
    TrainConfig b = *base;
    b.capture_step = o->rewind_step;
    Imp x = { &b, task, seeds, M, mlp_n_params(&base->shape), sink, ctx, o };
    size_t n = x.P * M;
    float *theta_k = xmalloc(sizeof(float) * n), *dense = xmalloc(sizeof(float) * n), *prev = xmalloc(sizeof(float) * n),
          *masks = xmalloc(sizeof(float) * n), *other = xmalloc(sizeof(float) * n), *start = xmalloc(sizeof(float) * n),
          *copy = xmalloc(sizeof(float) * n);
    MemberSummary *sum = xmalloc(sizeof(MemberSummary) * M);
    MemberSeeds *alt = xmalloc(sizeof(MemberSeeds) * M);
    double *barrier = xmalloc(sizeof(double) * M), *errors = xmalloc(sizeof(double) * (o->instability_points + 2));
    int rc = -1;
    for (int m = 0; m < M; m++) mask_dense(&base->shape, masks + (size_t)m * x.P);

    int rounds = o->rounds > 0 ? o->rounds : 100;
    for (int level = 0; level <= rounds; level++) {
        if (level > 0)
            for (int m = 0; m < M; m++) {
                float *mk = masks + (size_t)m * x.P, *w = prev + (size_t)m * x.P;
                if (o->global) prune_global(&base->shape, w, mk, o->rate);
                else prune_layerwise(&base->shape, w, mk, o->rate, o->output_rate);
            }
        // the ticket (level 0: the dense network, which also records θ_k)
        if ((rc = train(&x, level, level ? "ticket" : "dense", seeds, level ? theta_k : NULL, masks, prev, level ? NULL : theta_k,
                        sum)) != 0)
            goto done;
        if (level == 0) memcpy(dense, prev, sizeof(float) * n);
        double *bar = NULL;
        if (o->instability_points >= 2) {   // a copy from θ_k with another data order; the segment to the ticket
            for (int m = 0; m < M; m++) alt[m] = (MemberSeeds){ seeds[m].init_seed, seeds[m].data_seed ^ COPY_DATA_SEED_OFFSET };
            MemberSummary *s2 = xmalloc(sizeof(MemberSummary) * M);
            memcpy(start, theta_k, sizeof(float) * n);
            if ((rc = train(&x, level, "copy", alt, start, masks, copy, NULL, s2)) != 0) { free(s2); goto done; }
            free(s2);
            for (int m = 0; m < M; m++)
                barrier[m] = lmc_barrier(&base->shape, prev + (size_t)m * x.P, copy + (size_t)m * x.P, task, &task->test, base->loss,
                                         o->instability_points, errors);
            bar = barrier;
        }
        emit(&x, level, level ? "ticket" : "dense", masks, sum, bar);
        int reached = 0;   // every member at or below the target density: the last level
        if (o->target_density > 0) {
            reached = 1;
            for (int m = 0; m < M; m++) reached &= mask_density(&base->shape, masks + (size_t)m * x.P, -1) <= o->target_density;
        }
        if (level == 0 && !reached) continue;
        if (level == 0) break;
        if (o->reinit) {
            for (int m = 0; m < M; m++)
                mlp_init_params(&base->shape, start + (size_t)m * x.P, base->weight_init, base->bias_init,
                                seeds[m].init_seed + REINIT_SEED_OFFSET);
            if ((rc = train(&x, level, "reinit", seeds, start, masks, NULL, NULL, sum)) != 0) goto done;
            emit(&x, level, "reinit", masks, sum, NULL);
        }
        if (o->random_mask) {
            for (int m = 0; m < M; m++)
                mask_random_like(&base->shape, masks + (size_t)m * x.P, other + (size_t)m * x.P, seeds[m].init_seed * 1000003u + (uint64_t)level);
            if ((rc = train(&x, level, "random_mask", seeds, theta_k, other, NULL, NULL, sum)) != 0) goto done;
            emit(&x, level, "random_mask", other, sum, NULL);
        }
        if (o->oneshot) {
            for (int m = 0; m < M; m++)
                prune_oneshot_like(&base->shape, dense + (size_t)m * x.P, masks + (size_t)m * x.P, other + (size_t)m * x.P);
            if ((rc = train(&x, level, "oneshot", seeds, theta_k, other, NULL, NULL, sum)) != 0) goto done;
            emit(&x, level, "oneshot", other, sum, NULL);
        }
        if (reached) break;
    }
    rc = 0;
done:
    free(theta_k); free(dense); free(prev); free(masks); free(other); free(start); free(copy);
    free(sum); free(alt); free(barrier); free(errors);
    return rc;
}

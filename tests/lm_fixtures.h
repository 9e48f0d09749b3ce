// What the language-model tests share: a tiny GPT config, the small corpus, the seeds of
// member m, and a sink that keeps every record (and sets a stop flag at a chosen step).
#pragma once
#include <stdatomic.h>

#include "train/lm.h"
#include "train/trainer.h"

#define SMALL "tests/data/small.txt"
#define MAX_RECS 256

static GptShape tiny_shape(void) {
    return (GptShape){ .d_model = 16, .n_layer = 2, .n_head = 2, .d_ff = 64, .context = 16, .tie_embeddings = 1 };
}

static LmConfig tiny_config(long steps) {
    LmConfig c = lm_config_defaults();
    c.shape = tiny_shape();
    c.optim.lr = 3e-3f;
    c.schedule.warmup = 5;
    c.batch = 4;
    c.steps = steps;
    c.D = 2000;
    c.eval_every = 5;
    c.eval_batch = 8;
    c.eval_windows = 8;
    c.threads = 1;
    return c;
}

// A constant rate of 1e30 without clipping: the weights blow up within the 6 steps.
static LmConfig diverging_config(void) {
    LmConfig c = tiny_config(6);
    c.optim.lr = 1e30f;
    c.clip = 0;
    c.schedule.kind = SCHED_CONSTANT;
    c.schedule.warmup = 0;
    return c;
}

static TextCorpus load_small(void) {
    TextCorpus c;
    TextSplit s = text_split_default();
    assert_int_equal(text_corpus_load(SMALL, &s, &c), 0);
    return c;
}

static void seeds_for(MemberSeeds *s, int M) {
    for (int m = 0; m < M; m++) s[m] = (MemberSeeds){ 100 + 7 * m, 200 + 3 * m };
}

typedef struct {
    int n;
    LmRecord r[MAX_RECS];
    long stop_at;            // set *stop when the record of this step arrives (−1: never)
    atomic_int *stop;
} Recs;

static void sink(void *ctx, const LmRecord *r) {
    Recs *rs = ctx;
    assert_true(rs->n < MAX_RECS);
    rs->r[rs->n++] = *r;
    if (rs->stop && r->step == rs->stop_at) atomic_store(rs->stop, 1);
}

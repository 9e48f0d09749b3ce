// The gpt family (src/nn/gpt.h) and its layers: finite-difference gradient checks of
// LayerNorm, causal attention, the embeddings and unembedding, and whole models (tied and
// untied, every parameter); causality; determinism and member independence; parameter
// counts, FLOPs and the initialisation's statistics; gradient clipping; bad inputs; and
// parity with PyTorch 1.13 (tests/reference/gpt_reference.py): logits, loss, every gradient
// and ten AdamW steps with clipping, tied and untied.
//
// Gradient checks: the layers compute in float, the objective is summed in double and
// differentiated centrally. The error of a partial is scaled by the largest analytic
// partial of its tensor, |fd − analytic| / max|analytic|, so that a tensor of small
// gradients is held to its own scale. Tolerances are about ten times the worst scaled
// error observed (printed per check): layers GRAD_TOL_LAYER, whole models GRAD_TOL_MODEL.
// GELU (the exact erf form, activation.h) is checked in tests/test_grad.c.
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "nn/attention.h"
#include "nn/clip.h"
#include "nn/embedding.h"
#include "nn/gpt.h"
#include "nn/layernorm.h"
#include "nn/optim.h"

#define GRAD_TOL_LAYER 5e-4   // observed ≤ 4.9e-5 (attention dX), h = 1e-2
#define GRAD_TOL_MODEL 3e-3   // observed ≤ 3.4e-4 (a ln_2 gain), h = 3e-3

static void fill(float *v, long n, uint64_t seed, float scale) {
    for (long i = 0; i < n; i++) v[i] = scale * rng_normal(seed, 99, (uint64_t)i);
}

typedef double (*Objective)(void *ctx);

// Central differences of f in param[0..n), against analytic[0..n); returns the worst
// scaled error and fails the test above tol.
static double fd_check(const char *what, Objective f, void *ctx, float *param, long n,
                       const float *analytic, float h, double tol) {
    double gmax = 0;
    for (long i = 0; i < n; i++) gmax = fmax(gmax, fabs(analytic[i]));
    double scale = fmax(gmax, 1e-6), worst = 0;
    for (long i = 0; i < n; i++) {
        float keep = param[i];
        param[i] = keep + h; double up = f(ctx);
        param[i] = keep - h; double down = f(ctx);
        param[i] = keep;
        double fd = (up - down) / ((double)(keep + h) - (double)(keep - h));
        double err = fabs(fd - analytic[i]) / scale;
        if (err > worst) worst = err;
        if (err > tol) fail_msg("%s: d/dp[%ld] analytic %.7g, finite difference %.7g (max %.3g)",
                                what, i, analytic[i], fd, gmax);
    }
    print_message("%-40s %5ld partials, max|g| %.2e, worst scaled error %.1e\n", what, n, gmax, worst);
    return worst;
}

static double dot(const float *a, const float *b, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// ---- LayerNorm: objective Σ Y ⊙ R ----
enum { LN_N = 4, LN_C = 8 };
typedef struct { float X[LN_N * LN_C], g[LN_C], b[LN_C], R[LN_N * LN_C], Y[LN_N * LN_C], mean[LN_N], rstd[LN_N]; } LnCtx;

static double ln_objective(void *p) {
    LnCtx *c = p;
    layernorm_forward(c->Y, c->mean, c->rstd, c->X, c->g, c->b, LN_N, LN_C);
    return dot(c->Y, c->R, LN_N * LN_C);
}

static void test_layernorm(void **state) {
    (void)state;
    LnCtx c;
    fill(c.X, LN_N * LN_C, 1, 1); fill(c.g, LN_C, 2, 0.5f); fill(c.b, LN_C, 3, 0.5f); fill(c.R, LN_N * LN_C, 4, 1);
    for (int i = 0; i < LN_C; i++) c.g[i] += 1.0f;
    for (int i = 0; i < LN_C; i++) c.X[i] += 3.0f;   // a row with a large mean
    ln_objective(&c);
    // each row normalised: mean 0 and variance 1 before the gain (g = 1, b = 0 here)
    float ones[LN_C], zeros[LN_C] = { 0 }, Y[LN_N * LN_C], m[LN_N], r[LN_N];
    for (int i = 0; i < LN_C; i++) ones[i] = 1.0f;
    layernorm_forward(Y, m, r, c.X, ones, zeros, LN_N, LN_C);
    for (int row = 0; row < LN_N; row++) {
        double mu = 0, var = 0;
        for (int i = 0; i < LN_C; i++) mu += Y[row * LN_C + i];
        for (int i = 0; i < LN_C; i++) var += pow(Y[row * LN_C + i] - mu / LN_C, 2);
        assert_float_equal(mu / LN_C, 0.0, 1e-6);
        assert_float_equal(var / LN_C, 1.0 - 1e-5 * r[row] * r[row], 1e-5);   // var/(var + eps)
    }
    float dX[LN_N * LN_C] = { 0 }, dg[LN_C], db[LN_C];
    layernorm_backward(dX, dg, db, c.R, c.X, c.mean, c.rstd, c.g, LN_N, LN_C);
    fd_check("layernorm dX", ln_objective, &c, c.X, LN_N * LN_C, dX, 1e-2f, GRAD_TOL_LAYER);
    fd_check("layernorm dg", ln_objective, &c, c.g, LN_C, dg, 1e-2f, GRAD_TOL_LAYER);
    fd_check("layernorm db", ln_objective, &c, c.b, LN_C, db, 1e-2f, GRAD_TOL_LAYER);
    // dX accumulates; dg and db are overwritten
    float dX2[LN_N * LN_C], dg2[LN_C], db2[LN_C];
    for (int i = 0; i < LN_N * LN_C; i++) dX2[i] = 1.0f;
    for (int i = 0; i < LN_C; i++) dg2[i] = db2[i] = 7.0f;
    layernorm_backward(dX2, dg2, db2, c.R, c.X, c.mean, c.rstd, c.g, LN_N, LN_C);
    for (int i = 0; i < LN_N * LN_C; i++) assert_true(dX2[i] == 1.0f + dX[i]);
    assert_memory_equal(dg, dg2, sizeof dg);
    assert_memory_equal(db, db2, sizeof db);
}

// ---- attention: objective Σ Y ⊙ R ----
enum { AB = 2, AT = 5, AC = 8, AH = 2, AN = AB * AT };
typedef struct {
    float X[AN * AC], Wqkv[3 * AC * AC], bqkv[3 * AC], Wo[AC * AC], bo[AC], R[AN * AC], Y[AN * AC];
    float qkv[AN * 3 * AC], att[AB * AH * AT * AT], ctx[AN * AC];
} AttnCtx;

static double attn_objective(void *p) {
    AttnCtx *c = p;
    AttnActs a = { c->qkv, c->att, c->ctx };
    attention_forward(c->Y, &a, c->X, c->Wqkv, c->bqkv, c->Wo, c->bo, AB, AT, AC, AH);
    return dot(c->Y, c->R, AN * AC);
}

static void test_attention(void **state) {
    (void)state;
    AttnCtx c;
    fill(c.X, AN * AC, 11, 1); fill(c.Wqkv, 3 * AC * AC, 12, 0.5f); fill(c.bqkv, 3 * AC, 13, 0.5f);
    fill(c.Wo, AC * AC, 14, 0.5f); fill(c.bo, AC, 15, 0.5f); fill(c.R, AN * AC, 16, 1);
    attn_objective(&c);
    // probabilities: rows sum to 1, zero above the diagonal, position 0 attends to itself only
    for (int bh = 0; bh < AB * AH; bh++)
        for (int t = 0; t < AT; t++) {
            const float *row = c.att + ((size_t)bh * AT + t) * AT;
            double sum = 0;
            for (int j = 0; j < AT; j++) {
                if (j > t) assert_true(row[j] == 0.0f);
                sum += row[j];
            }
            assert_float_equal(sum, 1.0, 1e-6);
        }
    assert_true(c.att[0] == 1.0f);
    float dX[AN * AC], dWqkv[3 * AC * AC], dbqkv[3 * AC], dWo[AC * AC], dbo[AC];
    float dctx[AN * AC], dqkv[AN * 3 * AC], datt[AT * AT];
    AttnActs a = { c.qkv, c.att, c.ctx };
    AttnScratch sc = { dctx, dqkv, datt };
    attention_backward(dX, dWqkv, dbqkv, dWo, dbo, c.R, c.X, &a, &sc, c.Wqkv, c.Wo, AB, AT, AC, AH);
    fd_check("attention dX", attn_objective, &c, c.X, AN * AC, dX, 1e-2f, GRAD_TOL_LAYER);
    fd_check("attention dWqkv", attn_objective, &c, c.Wqkv, 3 * AC * AC, dWqkv, 1e-2f, GRAD_TOL_LAYER);
    fd_check("attention dbqkv", attn_objective, &c, c.bqkv, 3 * AC, dbqkv, 1e-2f, GRAD_TOL_LAYER);
    fd_check("attention dWo", attn_objective, &c, c.Wo, AC * AC, dWo, 1e-2f, GRAD_TOL_LAYER);
    fd_check("attention dbo", attn_objective, &c, c.bo, AC, dbo, 1e-2f, GRAD_TOL_LAYER);
}

// ---- embeddings and unembedding: objective Σ out ⊙ R ----
enum { EB = 2, ET = 5, EC = 8, EN = EB * ET, EV = GPT_VOCAB, ECTX = 6 };
typedef struct {
    int tokens[EN];
    float wte[EV * EC], wpe[ECTX * EC], X[EN * EC], R[EN * EC];
    float H[EN * EC], W[EV * EC], logits[EN * EV], RL[EN * EV];
} EmbCtx;

static double emb_objective(void *p) {
    EmbCtx *c = p;
    embedding_forward(c->X, c->tokens, c->wte, c->wpe, EB, ET, EC);
    return dot(c->X, c->R, EN * EC);
}

static double unemb_objective(void *p) {
    EmbCtx *c = p;
    unembedding_forward(c->logits, c->H, c->W, EN, EC, EV);
    return dot(c->logits, c->RL, EN * EV);
}

static void test_embeddings(void **state) {
    (void)state;
    static EmbCtx c;
    // repeated tokens (3 appears three times) so that their gradients must add up
    const int toks[EN] = { 3, 200, 3, 0, 255, 17, 3, 200, 9, 1 };
    memcpy(c.tokens, toks, sizeof toks);
    fill(c.wte, EV * EC, 21, 1); fill(c.wpe, ECTX * EC, 22, 1); fill(c.R, EN * EC, 23, 1);
    fill(c.H, EN * EC, 24, 1); fill(c.W, EV * EC, 25, 1); fill(c.RL, EN * EV, 26, 1);
    emb_objective(&c);
    assert_true(c.X[EC + 2] == c.wte[200 * EC + 2] + c.wpe[1 * EC + 2]);
    static float dwte[EV * EC], dwpe[ECTX * EC];
    for (int i = 0; i < EV * EC; i++) dwte[i] = 0.0f;
    for (int i = 0; i < ECTX * EC; i++) dwpe[i] = 0.0f;
    embedding_backward(dwte, dwpe, c.R, c.tokens, EB, ET, EC);
    fd_check("embedding dwte", emb_objective, &c, c.wte, EV * EC, dwte, 1e-2f, GRAD_TOL_LAYER);
    fd_check("embedding dwpe", emb_objective, &c, c.wpe, ECTX * EC, dwpe, 1e-2f, GRAD_TOL_LAYER);
    for (int i = 0; i < EC; i++) assert_true(dwpe[(ECTX - 1) * EC + i] == 0.0f);   // position ≥ T
    static float dH[EN * EC], dW[EV * EC];
    unembedding_backward(dH, dW, c.RL, c.H, c.W, EN, EC, EV);
    fd_check("unembedding dX", unemb_objective, &c, c.H, EN * EC, dH, 1e-2f, GRAD_TOL_LAYER);
    fd_check("unembedding dW", unemb_objective, &c, c.W, EV * EC, dW, 1e-2f, GRAD_TOL_LAYER);
}

// ---- whole models ----
enum { MB = 2, MT = 5 };
static const GptShape TINY = { .d_model = 8, .n_layer = 2, .n_head = 2, .d_ff = 16, .context = 6,
                               .tie_embeddings = 1 };

static void batch(int *tokens, int *targets, int n, uint64_t seed) {
    for (int i = 0; i < n; i++) {
        tokens[i] = (int)rng_below(seed, 1, (uint64_t)i, GPT_VOCAB);
        targets[i] = (int)rng_below(seed, 2, (uint64_t)i, GPT_VOCAB);
    }
}

// GPT-2's initialisation, then moved away from it so that every gradient is exercised at
// a general point: matrices ×10, biases and LayerNorm biases N(0, 0.1²), gains 1 + N(0, 0.2²).
static void perturbed_params(const GptShape *s, float *p, uint64_t seed) {
    gpt_init_params(s, p, seed);
    int n = gpt_n_tensors(s);
    GptTensor *T = malloc(sizeof *T * n);
    gpt_tensors(s, T);
    for (int k = 0; k < n; k++)
        for (size_t i = 0; i < T[k].size; i++) {
            float *x = p + T[k].offset + i, z = rng_normal(seed, 77, T[k].offset + i);
            switch (T[k].role) {
            case GPT_EMBEDDING: case GPT_MATRIX: case GPT_RESIDUAL: *x *= 10.0f; break;
            case GPT_BIAS: case GPT_NORM_BIAS: *x = 0.1f * z; break;
            case GPT_NORM_GAIN: *x = 1.0f + 0.2f * z; break;
            }
        }
    free(T);
}

typedef struct { GptShape s; float *params; int tokens[MB * MT], targets[MB * MT]; GptWork w; } ModelCtx;

static double model_objective(void *p) {
    ModelCtx *c = p;
    return gpt_forward(&c->s, c->params, c->tokens, c->targets, MB, MT, &c->w);
}

static double check_model(int tied) {
    ModelCtx c = { .s = TINY };
    c.s.tie_embeddings = tied;
    size_t P = gpt_n_params(&c.s);
    c.params = malloc(sizeof(float) * P);
    float *grads = malloc(sizeof(float) * P);
    for (size_t i = 0; i < P; i++) grads[i] = NAN;   // every entry must be written
    perturbed_params(&c.s, c.params, 5);
    batch(c.tokens, c.targets, MB * MT, 6);
    c.tokens[3] = c.tokens[7];   // a repeated token
    assert_int_equal(gpt_work_init(&c.w, &c.s, MB, MT), 0);
    double loss = model_objective(&c);
    assert_true(isfinite(loss) && loss > 0);
    gpt_backward(&c.s, c.params, c.tokens, MB, MT, &c.w, grads);
    int n = gpt_n_tensors(&c.s);
    GptTensor *T = malloc(sizeof *T * n);
    gpt_tensors(&c.s, T);
    double worst = 0;
    for (int k = 0; k < n; k++) {
        char what[96];
        snprintf(what, sizeof what, "%s %s", tied ? "tied" : "untied", T[k].name);
        double e = fd_check(what, model_objective, &c, c.params + T[k].offset, (long)T[k].size,
                            grads + T[k].offset, 3e-3f, GRAD_TOL_MODEL);
        worst = fmax(worst, e);
    }
    // wpe's row 5 (position ≥ T) has no gradient
    GptLayout y = gpt_layout(&c.s);
    for (int i = 0; i < c.s.d_model; i++) assert_true(grads[y.wpe + 5 * c.s.d_model + i] == 0.0f);
    gpt_work_free(&c.w);
    free(T); free(c.params); free(grads);
    return worst;
}

static void test_whole_model_tied(void **state) { (void)state; check_model(1); }
static void test_whole_model_untied(void **state) { (void)state; check_model(0); }

// ---- causality: token t never changes the logits before t, nor another sequence's ----
static void test_causality(void **state) {
    (void)state;
    GptShape s = TINY;
    size_t P = gpt_n_params(&s), NV = (size_t)MB * MT * GPT_VOCAB;
    float *params = malloc(sizeof(float) * P), *before = malloc(sizeof(float) * NV);
    perturbed_params(&s, params, 31);
    int tokens[MB * MT], targets[MB * MT];
    batch(tokens, targets, MB * MT, 32);
    GptWork w;
    assert_int_equal(gpt_work_init(&w, &s, MB, MT), 0);
    gpt_forward(&s, params, tokens, NULL, MB, MT, &w);
    memcpy(before, w.logits, sizeof(float) * NV);
    for (int t = 0; t < MT; t++) {
        int keep = tokens[t];   // sequence 0, position t
        tokens[t] = (keep + 1 + t) % GPT_VOCAB;
        gpt_forward(&s, params, tokens, NULL, MB, MT, &w);
        for (size_t i = 0; i < NV; i++) {
            int b = (int)(i / ((size_t)MT * GPT_VOCAB)), pos = (int)(i / GPT_VOCAB % MT);
            if (b == 1 || pos < t) assert_true(w.logits[i] == before[i]);
        }
        // the test is not vacuous: position t itself moved
        assert_true(memcmp(w.logits + (size_t)t * GPT_VOCAB, before + (size_t)t * GPT_VOCAB,
                           sizeof(float) * GPT_VOCAB) != 0);
        tokens[t] = keep;
    }
    gpt_work_free(&w);
    free(params); free(before);
}

// ---- determinism, and members that never mix ----
static void test_determinism_and_members(void **state) {
    (void)state;
    GptShape s = TINY;
    size_t P = gpt_n_params(&s);
    float *a = malloc(sizeof(float) * P), *b = malloc(sizeof(float) * P);
    gpt_init_params(&s, a, 41);
    gpt_init_params(&s, b, 41);
    assert_memory_equal(a, b, sizeof(float) * P);
    gpt_init_params(&s, b, 42);
    assert_memory_not_equal(a, b, sizeof(float) * P);
    // an ensemble [2][P] of seeds 41, 42, gradients into [2][P]
    float *params = malloc(sizeof(float) * 2 * P), *grads = malloc(sizeof(float) * 2 * P);
    float *alone = malloc(sizeof(float) * P);
    int tokens[2][MB * MT], targets[2][MB * MT];
    GptWork w;
    assert_int_equal(gpt_work_init(&w, &s, MB, MT), 0);
    double loss[2];
    for (int m = 0; m < 2; m++) {
        gpt_init_params(&s, params + m * P, 41 + m);
        batch(tokens[m], targets[m], MB * MT, 50 + m);
        loss[m] = gpt_forward(&s, params + m * P, tokens[m], targets[m], MB, MT, &w);
        gpt_backward(&s, params + m * P, tokens[m], MB, MT, &w, grads + m * P);
    }
    assert_memory_equal(params, a, sizeof(float) * P);
    for (int m = 1; m >= 0; m--) {   // alone, in the other order, with a fresh work
        GptWork w1;
        assert_int_equal(gpt_work_init(&w1, &s, MB, MT), 0);
        gpt_init_params(&s, b, 41 + m);
        double l = gpt_forward(&s, b, tokens[m], targets[m], MB, MT, &w1);
        gpt_backward(&s, b, tokens[m], MB, MT, &w1, alone);
        assert_true(l == loss[m]);
        assert_memory_equal(alone, grads + m * P, sizeof(float) * P);
        gpt_work_free(&w1);
    }
    // at GPT-2's initialisation the loss is close to log 256 (logits near 0)
    assert_float_equal(loss[0], log(256.0), 0.05);
    gpt_work_free(&w);
    free(a); free(b); free(params); free(grads); free(alone);
}

// A batch smaller than the work's capacity gives the same numbers as a work of its size.
static void test_smaller_batch(void **state) {
    (void)state;
    GptShape s = TINY;
    size_t P = gpt_n_params(&s);
    float *params = malloc(sizeof(float) * P), *g1 = malloc(sizeof(float) * P), *g2 = malloc(sizeof(float) * P);
    perturbed_params(&s, params, 61);
    int tokens[MB * MT], targets[MB * MT];
    batch(tokens, targets, MB * MT, 62);
    GptWork big, small;
    assert_int_equal(gpt_work_init(&big, &s, MB, MT), 0);
    assert_int_equal(gpt_work_init(&small, &s, 1, 3), 0);
    double l1 = gpt_forward(&s, params, tokens, targets, 1, 3, &big);
    gpt_backward(&s, params, tokens, 1, 3, &big, g1);
    double l2 = gpt_forward(&s, params, tokens, targets, 1, 3, &small);
    gpt_backward(&s, params, tokens, 1, 3, &small, g2);
    assert_true(l1 == l2);
    assert_memory_equal(g1, g2, sizeof(float) * P);
    gpt_work_free(&big); gpt_work_free(&small);
    free(params); free(g1); free(g2);
}

// ---- counts, FLOPs, the tensor list ----
static void test_counts(void **state) {
    (void)state;
    // TINY: C = 8, L = 2, H = 2, d_ff = 16, context 6, V = 256.
    //   wte 256·8 = 2048, wpe 6·8 = 48
    //   a block: ln_1 8 + 8 = 16; c_attn 24·8 + 24 = 216; attn.c_proj 8·8 + 8 = 72;
    //            ln_2 16; c_fc 16·8 + 16 = 144; mlp.c_proj 8·16 + 8 = 136   → 600
    //            (4C² + 2C·d_ff + 9C + d_ff = 256 + 256 + 72 + 16 = 600)
    //   ln_f 16
    //   P tied = 2048 + 48 + 2·600 + 16 = 3312; untied + lm_head 2048 = 5360
    //   N = 2·600 + 16 = 1216 (either way: lm_head is a vocabulary matrix, excluded)
    //   FLOPs/token = 6·1216 + 6·2·6·8 = 7296 + 576 = 7872
    GptShape s = TINY;
    assert_int_equal(gpt_n_params(&s), 3312);
    assert_int_equal(gpt_n_params_nonembedding(&s), 1216);
    assert_float_equal(gpt_train_flops_per_token(&s), 7872.0, 0);
    s.tie_embeddings = 0;
    assert_int_equal(gpt_n_params(&s), 5360);
    assert_int_equal(gpt_n_params_nonembedding(&s), 1216);
    // issue 15's benchmark shape: C = 128, L = 4, d_ff = 512, context 256:
    //   block 4·16384 + 2·128·512 + 9·128 + 512 = 198272; N = 4·198272 + 256 = 793344
    //   (Kaplan's 12·L·C² = 786432 leaves out biases and LayerNorms);
    //   FLOPs/token = 6·793344 + 6·4·256·128 = 4760064 + 786432 = 5546496
    GptShape b = { .d_model = 128, .n_layer = 4, .n_head = 4, .d_ff = 512, .context = 256, .tie_embeddings = 1 };
    assert_int_equal(gpt_n_params_nonembedding(&b), 793344);
    assert_int_equal(gpt_n_params(&b), 793344 + 256 * 128 + 256 * 128);
    assert_float_equal(gpt_train_flops_per_token(&b), 5546496.0, 0);
}

static void test_tensor_list(void **state) {
    (void)state;
    for (int tied = 0; tied <= 1; tied++) {
        GptShape s = TINY;
        s.tie_embeddings = tied;
        int n = gpt_n_tensors(&s);
        assert_int_equal(n, 2 + 12 * 2 + 2 + !tied);
        GptTensor *T = malloc(sizeof *T * n);
        gpt_tensors(&s, T);
        size_t off = 0;
        int decayed = 0;
        for (int k = 0; k < n; k++) {
            assert_int_equal(T[k].offset, off);   // contiguous, in order, covering P
            assert_int_equal(T[k].size, (size_t)T[k].rows * T[k].cols);
            off += T[k].size;
            int matrix = strstr(T[k].name, "c_attn.weight") || strstr(T[k].name, "c_proj.weight")
                      || strstr(T[k].name, "c_fc.weight") || !strcmp(T[k].name, "lm_head.weight");
            assert_int_equal(T[k].decay, matrix);
            decayed += T[k].decay;
        }
        assert_int_equal(off, gpt_n_params(&s));
        assert_int_equal(decayed, 4 * 2 + !tied);
        GptBlock b1 = gpt_block(&s, 1);
        assert_string_equal(T[2 + 12 + 2].name, "transformer.h.1.attn.c_attn.weight");
        assert_int_equal(T[2 + 12 + 2].offset, b1.qkv_w);
        assert_int_equal(T[2 + 12 + 10].offset, b1.proj_w);
        assert_int_equal(T[2 + 12 + 10].rows, 8);
        assert_int_equal(T[2 + 12 + 10].cols, 16);
        assert_string_equal(T[n - 1].name, tied ? "transformer.ln_f.bias" : "lm_head.weight");
        assert_int_equal(gpt_layout(&s).lm_head, tied ? 0 : 3312);
        free(T);
    }
}

// ---- GPT-2's initialisation ----
static void test_init_statistics(void **state) {
    (void)state;
    GptShape s = { .d_model = 64, .n_layer = 4, .n_head = 4, .d_ff = 256, .context = 64, .tie_embeddings = 0 };
    size_t P = gpt_n_params(&s);
    float *p = malloc(sizeof(float) * P);
    gpt_init_params(&s, p, 7);
    int n = gpt_n_tensors(&s);
    GptTensor *T = malloc(sizeof *T * n);
    gpt_tensors(&s, T);
    const double resid = 0.02 / sqrt(2.0 * 4);
    for (int k = 0; k < n; k++) {
        const float *x = p + T[k].offset;
        double sum = 0, ss = 0, m = (double)T[k].size;
        for (size_t i = 0; i < T[k].size; i++) { sum += x[i]; ss += (double)x[i] * x[i]; }
        double mean = sum / m, sd = sqrt(ss / m - mean * mean);
        switch (T[k].role) {
        case GPT_EMBEDDING: case GPT_MATRIX: case GPT_RESIDUAL: {
            double want = T[k].role == GPT_RESIDUAL ? resid : 0.02;
            // sampling error of a std: σ/√(2m) (≤ 1.1% here, m ≥ 4096); of a mean: σ/√m
            if (fabs(sd / want - 1) > 5 / sqrt(2 * m) || fabs(mean) > 5 * want / sqrt(m))
                fail_msg("%s: mean %.3g, std %.5g, want 0 and %.5g", T[k].name, mean, sd, want);
            break;
        }
        case GPT_NORM_GAIN: assert_true(sum == m && ss == m); break;
        case GPT_BIAS: case GPT_NORM_BIAS: assert_true(ss == 0); break;
        }
    }
    // value i is a function of (seed, i) alone: the same tensor of a deeper model differs only
    // by its place in the vector, and a model's wte does not depend on the rest of the shape
    GptShape d = s;
    d.n_layer = 6;
    float *q = malloc(sizeof(float) * gpt_n_params(&d));
    gpt_init_params(&d, q, 7);
    assert_memory_equal(p, q, sizeof(float) * (gpt_layout(&s).blocks));
    free(p); free(q); free(T);
}

// ---- clipping by global norm ----
static void test_clip(void **state) {
    (void)state;
    float g[3] = { 3.0f, 0.0f, -4.0f };   // norm 5
    assert_float_equal(grad_clip_global_norm(g, 3, 1.0f), 5.0, 0);
    float c = 1.0f / (5.0f + 1e-6f);      // PyTorch: max_norm / (norm + 1e-6)
    assert_true(g[0] == 3.0f * c && g[1] == 0.0f && g[2] == -4.0f * c);
    assert_float_equal(sqrt(g[0] * g[0] + g[2] * g[2]), 1.0, 1e-6);
    float h[2] = { 3.0f, 4.0f };          // below the limit: untouched, norm still returned
    assert_float_equal(grad_clip_global_norm(h, 2, 10.0f), 5.0, 0);
    assert_true(h[0] == 3.0f && h[1] == 4.0f);
    float z[2] = { 0.0f, 0.0f };          // a zero gradient stays zero
    assert_float_equal(grad_clip_global_norm(z, 2, 1.0f), 0.0, 0);
    assert_true(z[0] == 0.0f && z[1] == 0.0f);
}

// ---- bad shapes and batches ----
static void test_bad_inputs(void **state) {
    (void)state;
    GptShape s = TINY;
    s.n_head = 3;
    assert_int_equal(gpt_shape_check(&s), -1);
    assert_non_null(strstr(jp_error(), "multiple of n_head"));
    s = TINY;
    s.context = 0;
    assert_int_equal(gpt_shape_check(&s), -1);
    GptWork w;
    assert_int_equal(gpt_work_init(&w, &TINY, 2, 7), -1);   // T > context
    assert_non_null(strstr(jp_error(), "context"));
    assert_null(w.buf);
    assert_int_equal(gpt_work_init(&w, &TINY, MB, MT), 0);
    float *params = malloc(sizeof(float) * gpt_n_params(&TINY));
    gpt_init_params(&TINY, params, 1);
    int tokens[MB * MT], targets[MB * MT];
    batch(tokens, targets, MB * MT, 2);
    tokens[4] = 256;
    assert_true(isnan(gpt_forward(&TINY, params, tokens, targets, MB, MT, &w)));
    assert_non_null(strstr(jp_error(), "not a byte"));
    tokens[4] = 0;
    targets[9] = -1;
    assert_true(isnan(gpt_forward(&TINY, params, tokens, targets, MB, MT, &w)));
    targets[9] = 0;
    assert_true(isnan(gpt_forward(&TINY, params, tokens, targets, MB + 1, MT, &w)));   // over capacity
    assert_false(isnan(gpt_forward(&TINY, params, tokens, targets, MB, MT, &w)));
    gpt_work_free(&w);
    free(params);
}

// ---- it learns: AdamW (decay on matrices only) and clipping memorise one batch ----
static void test_memorises_a_batch(void **state) {
    (void)state;
    GptShape s = TINY;
    size_t P = gpt_n_params(&s);
    float *p = malloc(sizeof(float) * P), *g = malloc(sizeof(float) * P);
    float *m1 = calloc(P, sizeof(float)), *m2 = calloc(P, sizeof(float));
    gpt_init_params(&s, p, 3);
    int n = gpt_n_tensors(&s);
    GptTensor *T = malloc(sizeof *T * n);
    gpt_tensors(&s, T);
    int tokens[MB * MT], targets[MB * MT];
    batch(tokens, targets, MB * MT, 4);
    GptWork w;
    assert_int_equal(gpt_work_init(&w, &s, MB, MT), 0);
    OptimConfig c = optim_defaults(OPTIM_ADAMW);
    c.weight_decay = 0.1f;
    double first = 0, last = 0;
    for (long t = 1; t <= 100; t++) {
        last = gpt_forward(&s, p, tokens, targets, MB, MT, &w);
        if (t == 1) first = last;
        gpt_backward(&s, p, tokens, MB, MT, &w, g);
        grad_clip_global_norm(g, P, 1.0f);
        for (int k = 0; k < n; k++)
            optim_update(&c, 1e-2f, t, T[k].decay, p + T[k].offset, g + T[k].offset,
                         m1 + T[k].offset, m2 + T[k].offset, T[k].size);
    }
    print_message("memorising one batch: loss %.4f → %.4f nats\n", first, last);
    assert_float_equal(first, log(256.0), 0.05);
    assert_true(last < 0.5);
    gpt_work_free(&w);
    free(p); free(g); free(m1); free(m2); free(T);
}

// ---- parity with PyTorch 1.13 (tests/reference/gpt_reference.py) ----
// The same tiny model from the same parameters: the first batch's logits, loss and every
// gradient, then ten AdamW steps (decay on matrices only, clipping to norm 1).
// Limits are issue 15's acceptance bars (losses 1e-5 relative, gradients 1e-4 relative);
// observed, release and sanitizer builds alike: losses ≤ 1.5e-7 relative, gradients ≤ 2.6e-6
// of their tensor's scale, logits ≤ 1.4e-6 absolute, final parameters ≤ 4.3e-7 absolute.
#define PARITY_LOSS_RTOL 1e-5
#define PARITY_GRAD_RTOL 1e-4    // per tensor, scaled by its largest |gradient|
#define PARITY_LOGIT_ATOL 1e-5
#define PARITY_FINAL_ATOL 1e-5

typedef struct {
    GptShape s;
    int B, T, steps;
    double lr, wd, beta1, beta2, eps, clip;
    float *init, *tokens, *targets, *loss0, *logits0, *grads0, *losses, *final;
    int n_init, n_tokens, n_targets, n_loss0, n_logits0, n_grads0, n_losses, n_final;
} Parity;

static float *read_floats(FILE *f, int *n) {
    assert_int_equal(fscanf(f, "%d", n), 1);
    float *v = malloc(sizeof(float) * (*n + 1));
    for (int i = 0; i < *n; i++) assert_int_equal(fscanf(f, "%f", &v[i]), 1);
    return v;
}

static void load_parity(const char *name, Parity *c) {
    char path[512], key[64], line[256];
    const char *dir = getenv("JACKPOT_REFERENCE_DIR") ? getenv("JACKPOT_REFERENCE_DIR") : "tests/reference";
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s (run tests from the repository root)", path);
    memset(c, 0, sizeof *c);
    assert_non_null(fgets(line, sizeof line, f));   // comment
    struct { const char *key; double *v; } reals[] = { { "lr", &c->lr }, { "wd", &c->wd }, { "beta1", &c->beta1 },
        { "beta2", &c->beta2 }, { "eps", &c->eps }, { "clip", &c->clip } };
    struct { const char *key; float **v; int *n; } arrays[] = { { "init", &c->init, &c->n_init },
        { "tokens", &c->tokens, &c->n_tokens }, { "targets", &c->targets, &c->n_targets },
        { "loss0", &c->loss0, &c->n_loss0 }, { "logits0", &c->logits0, &c->n_logits0 },
        { "grads0", &c->grads0, &c->n_grads0 }, { "losses", &c->losses, &c->n_losses }, { "final", &c->final, &c->n_final } };
    while (fscanf(f, "%63s", key) == 1) {
        int done = 0;
        if (!strcmp(key, "shape"))
            done = fscanf(f, "%d %d %d %d %d %d", &c->s.d_model, &c->s.n_layer, &c->s.n_head, &c->s.d_ff,
                          &c->s.context, &c->s.tie_embeddings) == 6;
        else if (!strcmp(key, "batch")) done = fscanf(f, "%d %d", &c->B, &c->T) == 2;
        else if (!strcmp(key, "steps")) done = fscanf(f, "%d", &c->steps) == 1;
        for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
            if (!strcmp(key, reals[i].key)) done = fscanf(f, "%lf", reals[i].v) == 1;
        for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
            if (!strcmp(key, arrays[i].key)) { *arrays[i].v = read_floats(f, arrays[i].n); done = 1; }
        if (!done) fail_msg("%s: bad or unknown key '%s'", path, key);
    }
    fclose(f);
}

static int *as_ints(const float *v, int n) {
    int *out = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) out[i] = (int)v[i];
    return out;
}

// The first batch: logits, loss and the gradient of every tensor.
static void parity_first_batch(const Parity *c, const float *params, const int *tok, const int *tgt,
                               GptWork *w, float *g) {
    double loss = gpt_forward(&c->s, params, tok, tgt, c->B, c->T, w);
    double rel = fabs(loss - c->loss0[0]) / c->loss0[0], worst_logit = 0, worst_grad = 0;
    if (rel > PARITY_LOSS_RTOL) fail_msg("loss %.9g, PyTorch %.9g", loss, c->loss0[0]);
    assert_int_equal(c->n_logits0, c->B * c->T * GPT_VOCAB);
    for (int i = 0; i < c->n_logits0; i++) worst_logit = fmax(worst_logit, fabs(w->logits[i] - c->logits0[i]));
    if (worst_logit > PARITY_LOGIT_ATOL) fail_msg("logits differ by %.3g", worst_logit);
    gpt_backward(&c->s, params, tok, c->B, c->T, w, g);
    int n = gpt_n_tensors(&c->s);
    GptTensor *T = malloc(sizeof *T * n);
    gpt_tensors(&c->s, T);
    for (int k = 0; k < n; k++) {
        const float *a = g + T[k].offset, *r = c->grads0 + T[k].offset;
        double scale = 0, err = 0;
        for (size_t i = 0; i < T[k].size; i++) scale = fmax(scale, fabs(r[i]));
        for (size_t i = 0; i < T[k].size; i++) err = fmax(err, fabs(a[i] - r[i]) / scale);
        if (err > PARITY_GRAD_RTOL) fail_msg("%s: gradient differs from PyTorch's by %.3g of its scale", T[k].name, err);
        worst_grad = fmax(worst_grad, err);
    }
    for (int l = 0; l < c->s.n_layer; l++)   // the key bias's gradient is zero but for rounding
        for (int i = 0; i < c->s.d_model; i++)
            assert_true(fabsf(g[gpt_block(&c->s, l).qkv_b + c->s.d_model + i]) < 1e-6f);
    print_message("first batch: loss %.2g relative, logits %.2g, gradients %.2g scaled\n", rel, worst_logit, worst_grad);
    free(T);
}

// The key projection's bias has no effect on the loss (it adds q·b_k to every score of a
// row, and softmax ignores a constant), so its gradient is float rounding alone, ~1e-9 here,
// which Adam's normalisation turns into steps of ±lr in whatever direction the rounding went:
// it is left out of the comparison of final parameters.
static int is_key_bias(const GptShape *s, size_t i) {
    for (int l = 0; l < s->n_layer; l++) {
        size_t k = gpt_block(s, l).qkv_b + (size_t)s->d_model;
        if (i >= k && i < k + (size_t)s->d_model) return 1;
    }
    return 0;
}

static void check_parity(const char *name) {
    Parity c;
    load_parity(name, &c);
    size_t P = gpt_n_params(&c.s), BT = (size_t)c.B * c.T;
    assert_int_equal(c.n_init, (int)P);
    assert_int_equal(c.n_grads0, (int)P);
    assert_int_equal(c.n_final, (int)P);
    assert_int_equal(c.n_tokens, (int)(c.steps * BT));
    int *tok = as_ints(c.tokens, c.n_tokens), *tgt = as_ints(c.targets, c.n_targets);
    float *p = malloc(sizeof(float) * P), *g = malloc(sizeof(float) * P);
    float *m1 = calloc(P, sizeof(float)), *m2 = calloc(P, sizeof(float));
    memcpy(p, c.init, sizeof(float) * P);
    GptWork w;
    assert_int_equal(gpt_work_init(&w, &c.s, c.B, c.T), 0);
    parity_first_batch(&c, p, tok, tgt, &w, g);
    int n = gpt_n_tensors(&c.s);
    GptTensor *T = malloc(sizeof *T * n);
    gpt_tensors(&c.s, T);
    OptimConfig o = { .kind = OPTIM_ADAMW, .lr = (float)c.lr, .weight_decay = (float)c.wd,
                      .beta1 = (float)c.beta1, .beta2 = (float)c.beta2, .eps = (float)c.eps };
    double worst_loss = 0, worst_final = 0;
    for (int s = 0; s < c.steps; s++) {
        double loss = gpt_forward(&c.s, p, tok + s * BT, tgt + s * BT, c.B, c.T, &w);
        double rel = fabs(loss - c.losses[s]) / c.losses[s];
        worst_loss = fmax(worst_loss, rel);
        if (rel > PARITY_LOSS_RTOL) fail_msg("%s: step %d loss %.9g, PyTorch %.9g", name, s, loss, c.losses[s]);
        gpt_backward(&c.s, p, tok + s * BT, c.B, c.T, &w, g);
        grad_clip_global_norm(g, P, (float)c.clip);
        for (int k = 0; k < n; k++)
            optim_update(&o, o.lr, s + 1, T[k].decay, p + T[k].offset, g + T[k].offset,
                         m1 + T[k].offset, m2 + T[k].offset, T[k].size);
    }
    for (size_t i = 0; i < P; i++)
        if (!is_key_bias(&c.s, i)) worst_final = fmax(worst_final, fabs(p[i] - c.final[i]));
    if (worst_final > PARITY_FINAL_ATOL) fail_msg("%s: final parameters differ by %.3g", name, worst_final);
    print_message("%s: ten AdamW steps, losses %.2g relative, final parameters %.2g absolute\n",
                  name, worst_loss, worst_final);
    gpt_work_free(&w);
    free(T); free(tok); free(tgt); free(p); free(g); free(m1); free(m2);
    free(c.init); free(c.tokens); free(c.targets); free(c.loss0); free(c.logits0); free(c.grads0);
    free(c.losses); free(c.final);
}

static void test_torch_parity_tied(void **state) { (void)state; check_parity("gpt_tied"); }
static void test_torch_parity_untied(void **state) { (void)state; check_parity("gpt_untied"); }

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_embeddings),
        cmocka_unit_test(test_whole_model_tied),
        cmocka_unit_test(test_whole_model_untied),
        cmocka_unit_test(test_causality),
        cmocka_unit_test(test_determinism_and_members),
        cmocka_unit_test(test_smaller_batch),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_tensor_list),
        cmocka_unit_test(test_init_statistics),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_memorises_a_batch),
        cmocka_unit_test(test_torch_parity_tied),
        cmocka_unit_test(test_torch_parity_untied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

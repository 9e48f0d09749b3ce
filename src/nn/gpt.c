#include "nn/gpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/embedding.h"
#include "nn/layernorm.h"
#include "nn/linear.h"
#include "nn/loss.h"

int gpt_shape_check(const GptShape *s) {
    if (s->d_model < 1 || s->n_layer < 1 || s->n_head < 1 || s->d_ff < 1 || s->context < 1)
        return jp_fail("gpt: d_model, n_layer, n_head, d_ff and context must be positive "
                       "(got %d, %d, %d, %d, %d)", s->d_model, s->n_layer, s->n_head, s->d_ff, s->context);
    if (s->d_model % s->n_head)
        return jp_fail("gpt: d_model %d is not a multiple of n_head %d", s->d_model, s->n_head);
    return 0;
}

GptLayout gpt_layout(const GptShape *s) {
    size_t C = (size_t)s->d_model, F = (size_t)s->d_ff, V = GPT_VOCAB;
    GptLayout y = { .wte = 0, .wpe = V * C };
    y.blocks = y.wpe + (size_t)s->context * C;
    y.block_size = 4 * C * C + 2 * C * F + 9 * C + F;
    y.lnf_g = y.blocks + (size_t)s->n_layer * y.block_size;
    y.lnf_b = y.lnf_g + C;
    y.lm_head = s->tie_embeddings ? y.wte : y.lnf_b + C;
    y.total = y.lnf_b + C + (s->tie_embeddings ? 0 : V * C);
    return y;
}

GptBlock gpt_block(const GptShape *s, int l) {
    GptLayout y = gpt_layout(s);
    size_t C = (size_t)s->d_model, F = (size_t)s->d_ff, o = y.blocks + (size_t)l * y.block_size;
    GptBlock b;
    b.ln1_g = o;               b.ln1_b = b.ln1_g + C;
    b.qkv_w = b.ln1_b + C;     b.qkv_b = b.qkv_w + 3 * C * C;
    b.attn_w = b.qkv_b + 3 * C; b.attn_b = b.attn_w + C * C;
    b.ln2_g = b.attn_b + C;    b.ln2_b = b.ln2_g + C;
    b.fc_w = b.ln2_b + C;      b.fc_b = b.fc_w + F * C;
    b.proj_w = b.fc_b + F;     b.proj_b = b.proj_w + C * F;
    return b;
}

int gpt_n_tensors(const GptShape *s) {
    return 2 + GPT_TENSORS_PER_BLOCK * s->n_layer + 2 + (s->tie_embeddings ? 0 : 1);
}

static GptTensor tensor(const char *name, size_t offset, int rows, int cols, GptRole role) {
    GptTensor t = { .offset = offset, .size = (size_t)rows * cols, .rows = rows, .cols = cols,
                    .role = role, .decay = role == GPT_MATRIX || role == GPT_RESIDUAL };
    snprintf(t.name, sizeof t.name, "%s", name);
    return t;
}

static void block_tensors(const GptShape *s, int l, GptTensor *out) {
    static const struct { const char *name; GptRole role; } T[GPT_TENSORS_PER_BLOCK] = {
        { "ln_1.weight", GPT_NORM_GAIN }, { "ln_1.bias", GPT_NORM_BIAS },
        { "attn.c_attn.weight", GPT_MATRIX }, { "attn.c_attn.bias", GPT_BIAS },
        { "attn.c_proj.weight", GPT_RESIDUAL }, { "attn.c_proj.bias", GPT_BIAS },
        { "ln_2.weight", GPT_NORM_GAIN }, { "ln_2.bias", GPT_NORM_BIAS },
        { "mlp.c_fc.weight", GPT_MATRIX }, { "mlp.c_fc.bias", GPT_BIAS },
        { "mlp.c_proj.weight", GPT_RESIDUAL }, { "mlp.c_proj.bias", GPT_BIAS },
    };
    int C = s->d_model, F = s->d_ff;
    const int rows[GPT_TENSORS_PER_BLOCK] = { C, C, 3 * C, 3 * C, C, C, C, C, F, F, C, C };
    const int cols[GPT_TENSORS_PER_BLOCK] = { 1, 1, C, 1, C, 1, 1, 1, C, 1, F, 1 };
    size_t off = gpt_block(s, l).ln1_g;
    for (int i = 0; i < GPT_TENSORS_PER_BLOCK; i++) {
        char name[48];
        snprintf(name, sizeof name, "transformer.h.%d.%s", l, T[i].name);
        out[i] = tensor(name, off, rows[i], cols[i], T[i].role);
        off += out[i].size;
    }
}

void gpt_tensors(const GptShape *s, GptTensor *out) {
    GptLayout y = gpt_layout(s);
    int C = s->d_model, n = 0;
    out[n++] = tensor("transformer.wte.weight", y.wte, GPT_VOCAB, C, GPT_EMBEDDING);
    out[n++] = tensor("transformer.wpe.weight", y.wpe, s->context, C, GPT_EMBEDDING);
    for (int l = 0; l < s->n_layer; l++, n += GPT_TENSORS_PER_BLOCK) block_tensors(s, l, out + n);
    out[n++] = tensor("transformer.ln_f.weight", y.lnf_g, C, 1, GPT_NORM_GAIN);
    out[n++] = tensor("transformer.ln_f.bias", y.lnf_b, C, 1, GPT_NORM_BIAS);
    if (!s->tie_embeddings) out[n++] = tensor("lm_head.weight", y.lm_head, GPT_VOCAB, C, GPT_MATRIX);
}

size_t gpt_n_params(const GptShape *s) { return gpt_layout(s).total; }

size_t gpt_n_params_nonembedding(const GptShape *s) {
    GptLayout y = gpt_layout(s);
    return (size_t)s->n_layer * y.block_size + 2 * (size_t)s->d_model;
}

double gpt_train_flops_per_token(const GptShape *s) {
    return 6.0 * (double)gpt_n_params_nonembedding(s)
         + 6.0 * s->n_layer * (double)s->context * s->d_model;
}

void gpt_init_params(const GptShape *s, float *params, uint64_t init_seed) {
    int n = gpt_n_tensors(s);
    GptTensor *T = xmalloc_array((size_t)n, sizeof *T);
    gpt_tensors(s, T);
    const double std = 0.02, resid_std = 0.02 / sqrt(2.0 * s->n_layer);
    for (int k = 0; k < n; k++) {
        float *p = params + T[k].offset;
        switch (T[k].role) {
        case GPT_EMBEDDING: case GPT_MATRIX: case GPT_RESIDUAL: {
            double sd = T[k].role == GPT_RESIDUAL ? resid_std : std;
            for (size_t i = 0; i < T[k].size; i++)
                p[i] = (float)(sd * rng_normal(init_seed, RNG_STREAM_INIT, T[k].offset + i));
            break;
        }
        case GPT_NORM_GAIN: for (size_t i = 0; i < T[k].size; i++) p[i] = 1.0f; break;
        case GPT_BIAS: case GPT_NORM_BIAS: memset(p, 0, sizeof(float) * T[k].size); break;
        }
    }
    free(T);
}

// ---- work ----

static size_t layer_floats(const GptShape *s, int B, int T) {
    size_t N = (size_t)B * T, C = (size_t)s->d_model, F = (size_t)s->d_ff;
    return N * (5 * C + 3 * C + 2 * F + 4) + (size_t)B * s->n_head * T * T;
}

static size_t work_floats(const GptShape *s, int B, int T) {
    size_t N = (size_t)B * T, C = (size_t)s->d_model, F = (size_t)s->d_ff, V = GPT_VOCAB;
    return (size_t)s->n_layer * layer_floats(s, B, T)
         + N * (2 * C + 2 + 2 * V)          // xf, lnf, lnf stats, logits, dlogits
         + N * (4 * C + 3 * C + F)          // branch, dres, dln, dctx, dqkv, dfc
         + (size_t)T * T;                   // datt
}

size_t gpt_work_bytes(const GptShape *s, int B, int T) { return work_floats(s, B, T) * sizeof(float); }

int gpt_work_init(GptWork *w, const GptShape *s, int B, int T) {
    *w = (GptWork){ 0 };
    if (gpt_shape_check(s)) return -1;
    if (B < 1 || T < 1 || T > s->context)
        return jp_fail("gpt: a batch of %d × %d positions does not fit context %d", B, T, s->context);
    size_t N = (size_t)B * T, C = (size_t)s->d_model;
    *w = (GptWork){ .B = B, .T = T, .layer_floats = layer_floats(s, B, T) };
    w->buf = xmalloc_array(work_floats(s, B, T), sizeof(float));
    float *p = w->buf;
    w->layers = p;   p += (size_t)s->n_layer * w->layer_floats;
    w->xf = p;       p += N * C;
    w->lnf = p;      p += N * C;
    w->lnf_mean = p; p += N;
    w->lnf_rstd = p; p += N;
    w->logits = p;   p += N * GPT_VOCAB;
    w->dlogits = p;  p += N * GPT_VOCAB;
    w->branch = p;   p += N * C;
    w->dres = p;     p += N * C;
    w->dln = p;      p += N * C;
    w->dctx = p;     p += N * C;
    w->dqkv = p;     p += N * 3 * C;
    w->dfc = p;      p += N * (size_t)s->d_ff;
    w->datt = p;
    return 0;
}

void gpt_work_free(GptWork *w) {
    free(w->buf);
    *w = (GptWork){ 0 };
}

GptLayerActs gpt_layer_acts(const GptShape *s, const GptWork *w, int l) {
    size_t N = (size_t)w->B * w->T, C = (size_t)s->d_model, F = (size_t)s->d_ff;
    float *p = w->layers + (size_t)l * w->layer_floats;
    GptLayerActs a;
    a.x = p;        p += N * C;
    a.ln1 = p;      p += N * C;
    a.ln1_mean = p; p += N;
    a.ln1_rstd = p; p += N;
    a.qkv = p;      p += N * 3 * C;
    a.ctx = p;      p += N * C;
    a.xmid = p;     p += N * C;
    a.ln2 = p;      p += N * C;
    a.ln2_mean = p; p += N;
    a.ln2_rstd = p; p += N;
    a.fc = p;       p += N * F;
    a.gelu = p;     p += N * F;
    a.att = p;      // [B][H][T][T]
    return a;
}

// ---- forward and backward ----

static void add(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

static int check_batch(const GptShape *s, const int *tokens, const int *targets, int B, int T,
                       const GptWork *w) {
    if (B < 1 || T < 1 || B > w->B || T > w->T || T > s->context)
        return jp_fail("gpt: a batch of %d × %d does not fit the work (%d × %d) or context %d",
                       B, T, w->B, w->T, s->context);
    for (size_t i = 0; i < (size_t)B * T; i++)
        if (tokens[i] < 0 || tokens[i] >= GPT_VOCAB || (targets && (targets[i] < 0 || targets[i] >= GPT_VOCAB)))
            return jp_fail("gpt: token %zu of the batch is not a byte", i);
    return 0;
}

// x_next[N][C] = a.x + attn(ln_1(a.x)), then + mlp(ln_2(·)).
static void block_forward(const GptShape *s, const float *params, int l, const GptLayerActs *a,
                          float *x_next, int B, int T, GptWork *w) {
    GptBlock k = gpt_block(s, l);
    const float *P = params;
    int N = B * T, C = s->d_model, F = s->d_ff;
    layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, a->x, P + k.ln1_g, P + k.ln1_b, N, C);
    AttnActs aa = { .qkv = a->qkv, .att = a->att, .ctx = a->ctx };
    attention_forward(w->branch, &aa, a->ln1, P + k.qkv_w, P + k.qkv_b, P + k.attn_w, P + k.attn_b,
                      B, T, C, s->n_head);
    add(a->xmid, a->x, w->branch, (size_t)N * C);
    layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->xmid, P + k.ln2_g, P + k.ln2_b, N, C);
    linear_forward(a->fc, a->ln2, P + k.fc_w, P + k.fc_b, N, C, F);
    act_forward(a->gelu, a->fc, (long)N * F, ACT_GELU);
    linear_forward(w->branch, a->gelu, P + k.proj_w, P + k.proj_b, N, F, C);
    add(x_next, a->xmid, w->branch, (size_t)N * C);
}

double gpt_forward(const GptShape *s, const float *params, const int *tokens, const int *targets,
                   int B, int T, GptWork *w) {
    if (check_batch(s, tokens, targets, B, T, w)) return NAN;
    GptLayout y = gpt_layout(s);
    int N = B * T, C = s->d_model;
    GptLayerActs a = gpt_layer_acts(s, w, 0);
    embedding_forward(a.x, tokens, params + y.wte, params + y.wpe, B, T, C);
    for (int l = 0; l < s->n_layer; l++) {
        float *x_next = l + 1 < s->n_layer ? gpt_layer_acts(s, w, l + 1).x : w->xf;
        a = gpt_layer_acts(s, w, l);
        block_forward(s, params, l, &a, x_next, B, T, w);
    }
    layernorm_forward(w->lnf, w->lnf_mean, w->lnf_rstd, w->xf, params + y.lnf_g, params + y.lnf_b, N, C);
    unembedding_forward(w->logits, w->lnf, params + y.lm_head, N, C, GPT_VOCAB);
    if (!targets) return 0.0;
    return softmax_cross_entropy(w->logits, targets, N, GPT_VOCAB, 1.0f / N, w->dlogits, NULL) / N;
}

// From w->dres = ∂loss/∂x_next: the block's parameter gradients, and w->dres becomes ∂loss/∂a.x.
static void block_backward(const GptShape *s, const float *params, int l, const GptLayerActs *a,
                           int B, int T, GptWork *w, float *grads) {
    GptBlock k = gpt_block(s, l);
    const float *P = params;
    float *G = grads;
    int N = B * T, C = s->d_model, F = s->d_ff;
    // MLP branch: its output's gradient is the residual stream's
    linear_backward(w->dfc, G + k.proj_w, G + k.proj_b, w->dres, a->gelu, P + k.proj_w, N, F, C);
    act_backward(w->dfc, w->dfc, a->fc, a->gelu, (long)N * F, ACT_GELU);
    linear_backward(w->dln, G + k.fc_w, G + k.fc_b, w->dfc, a->ln2, P + k.fc_w, N, C, F);
    layernorm_backward(w->dres, G + k.ln2_g, G + k.ln2_b, w->dln, a->xmid, a->ln2_mean, a->ln2_rstd,
                       P + k.ln2_g, N, C);
    // attention branch
    AttnActs aa = { .qkv = a->qkv, .att = a->att, .ctx = a->ctx };
    AttnScratch sc = { .dctx = w->dctx, .dqkv = w->dqkv, .datt = w->datt };
    attention_backward(w->dln, G + k.qkv_w, G + k.qkv_b, G + k.attn_w, G + k.attn_b, w->dres, a->ln1,
                       &aa, &sc, P + k.qkv_w, P + k.attn_w, B, T, C, s->n_head);
    layernorm_backward(w->dres, G + k.ln1_g, G + k.ln1_b, w->dln, a->x, a->ln1_mean, a->ln1_rstd,
                       P + k.ln1_g, N, C);
}

void gpt_backward(const GptShape *s, const float *params, const int *tokens, int B, int T,
                  GptWork *w, float *grads) {
    GptLayout y = gpt_layout(s);
    int N = B * T, C = s->d_model;
    // the head first: tied, it writes wte's gradient, which the embedding then adds to
    unembedding_backward(w->dln, grads + y.lm_head, w->dlogits, w->lnf, params + y.lm_head, N, C, GPT_VOCAB);
    if (!s->tie_embeddings) memset(grads + y.wte, 0, sizeof(float) * GPT_VOCAB * C);
    memset(w->dres, 0, sizeof(float) * (size_t)N * C);
    layernorm_backward(w->dres, grads + y.lnf_g, grads + y.lnf_b, w->dln, w->xf, w->lnf_mean,
                       w->lnf_rstd, params + y.lnf_g, N, C);
    for (int l = s->n_layer - 1; l >= 0; l--) {
        GptLayerActs a = gpt_layer_acts(s, w, l);
        block_backward(s, params, l, &a, B, T, w, grads);
    }
    memset(grads + y.wpe, 0, sizeof(float) * (size_t)s->context * C);
    embedding_backward(grads + y.wte, grads + y.wpe, w->dres, tokens, B, T, C);
}

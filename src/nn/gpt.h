// The `gpt` family: a decoder-only, byte-level transformer language model (GPT-2's
// architecture, Radford et al. 2019) in the house style: explicit forward and backward
// per layer over flat buffers, all of a member's parameters in one vector.
//
//   x = wte[token] + wpe[position]                         embedding.h
//   n_layer pre-LayerNorm blocks:
//     x += attn(ln_1(x))                                   attention.h (causal, n_head heads)
//     x += c_proj(gelu(c_fc(ln_2(x))))                     linear.h, activation.h
//   logits = ln_f(x) · Wᵀ, W = wte (tied) or lm_head       layernorm.h, embedding.h
//   loss = mean cross-entropy over the B·T next-byte targets, in nats per token
//
// GELU is the exact erf form, 0.5·z·(1 + erf(z/√2)) (activation.h's ACT_GELU), which is
// PyTorch's nn.GELU() default; GPT-2's original code used the tanh approximation. The two
// differ by < 1e-3 in value; the erf form is chosen so a PyTorch model built from
// nn.GELU() is the same function.
//
// Members of an ensemble are [M][P] blocks of these vectors; every function here reads and
// writes one member's slices only, so member m is bit-for-bit the run it would be alone.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define GPT_VOCAB 256   // bytes

typedef struct {
    int d_model;          // C
    int n_layer;          // L
    int n_head;           // H, dividing C
    int d_ff;             // the MLP's hidden width (4·C in GPT-2)
    int context;          // the longest sequence: wpe has this many rows
    int tie_embeddings;   // 1: logits use wte; 0: their own lm_head [V][C]
} GptShape;

int gpt_shape_check(const GptShape *s);   // 0, or −1 (jp_fail) for a shape that cannot be built

// One block's tensors: offsets into the parameter vector.
typedef struct {
    size_t ln1_g, ln1_b;     // [C], [C]
    size_t qkv_w, qkv_b;     // [3C][C], [3C]   (attn.c_attn)
    size_t attn_w, attn_b;   // [C][C], [C]     (attn.c_proj: a residual projection)
    size_t ln2_g, ln2_b;     // [C], [C]
    size_t fc_w, fc_b;       // [d_ff][C], [d_ff]   (mlp.c_fc)
    size_t proj_w, proj_b;   // [C][d_ff], [C]      (mlp.c_proj: a residual projection)
} GptBlock;

// The vector, in this order: wte, wpe, block 0 … block L−1, ln_f, then lm_head when untied.
typedef struct {
    size_t wte;          // [V][C]
    size_t wpe;          // [context][C]
    size_t blocks;       // block l starts at blocks + l·block_size
    size_t block_size;   // 4C² + 2C·d_ff + 9C + d_ff
    size_t lnf_g, lnf_b; // [C], [C]
    size_t lm_head;      // [V][C]: its own when untied, == wte when tied
    size_t total;        // P
} GptLayout;

GptLayout gpt_layout(const GptShape *s);
GptBlock gpt_block(const GptShape *s, int l);

// Every tensor of the vector, in order, named as nanoGPT's state_dict names them
// (nn.Linear's [out][in] layout, so a PyTorch model can load them as they are).
typedef enum {
    GPT_EMBEDDING,    // wte, wpe: N(0, 0.02²), no weight decay
    GPT_MATRIX,       // a linear layer's weight: N(0, 0.02²), weight decay
    GPT_RESIDUAL,     // attn.c_proj and mlp.c_proj weights: N(0, 0.02²/(2L)), weight decay
    GPT_BIAS,         // 0, no weight decay
    GPT_NORM_GAIN,    // 1, no weight decay
    GPT_NORM_BIAS,    // 0, no weight decay
} GptRole;

typedef struct {
    char name[48];
    size_t offset, size;
    int rows, cols;      // cols = 1 for vectors
    GptRole role;
    int decay;           // AdamW's weight decay applies: the matrices of linear layers only
} GptTensor;

#define GPT_TENSORS_PER_BLOCK 12
int gpt_n_tensors(const GptShape *s);            // 2 + 12·L + 2 (+ 1 untied)
void gpt_tensors(const GptShape *s, GptTensor *out);   // gpt_n_tensors entries
// The untied lm_head is an nn.Linear's weight, so it is decayed (minGPT's rule: every
// Linear weight, no Embedding or LayerNorm parameter); tied, it is wte and is not.

size_t gpt_n_params(const GptShape *s);                // P, everything in the vector
// Kaplan et al. (2020)'s N: every parameter except the embedding matrices. Excluded are
// wte, wpe and, when untied, lm_head too (a vocabulary matrix like wte: Kaplan excludes
// "all vocabulary and positional embeddings"). N keeps biases and LayerNorm parameters,
// which Kaplan's approximation N ≈ 12·L·C² neglects: N = L·(4C² + 2C·d_ff + 9C + d_ff) + 2C.
size_t gpt_n_params_nonembedding(const GptShape *s);
// Training FLOPs per token, Kaplan et al. (2020) Table 1: 6N + 6·n_layer·context·d_model
// (forward 2N + 2·L·n_ctx·d_attn, backward twice that; N non-embedding).
double gpt_train_flops_per_token(const GptShape *s);

// GPT-2's initialisation from init_seed: value i is drawn from the Philox stream
// RNG_STREAM_INIT at index i (its offset), so it never depends on the ensemble.
void gpt_init_params(const GptShape *s, float *params, uint64_t init_seed);

// One layer's saved activations, N = B·T rows.
typedef struct {
    float *x;                        // [N][C] the residual stream entering the block
    float *ln1, *ln1_mean, *ln1_rstd;// [N][C], [N], [N]
    float *qkv, *att, *ctx;          // [N][3C], [B][H][T][T], [N][C] (AttnActs)
    float *xmid;                     // [N][C] x + attn(ln_1(x))
    float *ln2, *ln2_mean, *ln2_rstd;// [N][C], [N], [N]
    float *fc, *gelu;                // [N][d_ff] before and after GELU
} GptLayerActs;

// Activations and scratch for batches of up to B sequences of up to T positions.
typedef struct {
    int B, T;                        // capacity
    float *layers;                   // L × layer_floats: see gpt_layer_acts
    size_t layer_floats;
    float *xf;                       // [N][C] the residual stream after the last block
    float *lnf, *lnf_mean, *lnf_rstd;// [N][C], [N], [N]
    float *logits;                   // [N][V] gpt_forward's output
    float *dlogits;                  // [N][V] ∂loss/∂logits, written by gpt_forward with targets
    float *branch;                   // [N][C] a block branch's output (forward)
    float *dres, *dln, *dctx;        // [N][C] backward scratch
    float *dqkv;                     // [N][3C]
    float *dfc;                      // [N][d_ff]
    float *datt;                     // [T][T]
    float *buf;                      // the one allocation behind all of the above
} GptWork;

size_t gpt_work_bytes(const GptShape *s, int B, int T);
int gpt_work_init(GptWork *w, const GptShape *s, int B, int T);   // 0, or −1 (jp_fail)
void gpt_work_free(GptWork *w);
// Layer l's activations (laid out for the capacity; a smaller batch uses their beginnings).
GptLayerActs gpt_layer_acts(const GptShape *s, const GptWork *w, int l);

// tokens[B][T], targets[B][T] (or NULL) bytes in [0, 256); B, T within the work's capacity
// and T ≤ context. Writes the logits [B·T][V] to w->logits; with targets, also w->dlogits
// (the gradient of the mean) and returns the mean cross-entropy in nats per token; without,
// returns 0. A bad argument returns NAN after jp_fail.
double gpt_forward(const GptShape *s, const float *params, const int *tokens, const int *targets,
                   int B, int T, GptWork *w);

// grads[P] (overwritten) = ∂(mean loss)/∂params, after gpt_forward with targets on the
// same tokens, B and T.
void gpt_backward(const GptShape *s, const float *params, const int *tokens, int B, int T,
                  GptWork *w, float *grads);

// Training speed of the gpt family (src/nn/gpt.h): one step is gpt_forward + gpt_backward
// + grad_clip_global_norm + AdamW (weight decay on the matrices only), on random bytes.
// One model (OpenBLAS on --threads threads), or an ensemble of M members as [M][P] blocks
// trained in parallel with OpenMP over members, 1 BLAS thread each and one GptWork per
// thread (a member's step runs on one thread from start to end).
//
// usage: lm_speed [--d-model C] [--layers L] [--heads H] [--context T] [--batch B]
//                 [--members M] [--steps S] [--warmup W] [--threads N] [--profile]
// prints one line:
//   tokens/s X kaplan_gflops Y matmul_gflops Z cpu_per_wall R step_s S loss Q
// where tokens/s counts every member's tokens, kaplan_gflops uses Kaplan's training FLOPs
// per token 6N + 6·L·T·C (gpt_train_flops_per_token) and matmul_gflops the multiply-adds
// the GEMMs actually execute (see matmul_flops_per_token). --profile then times each kind
// of operation alone, with the step's shapes, on one model, and prints where the time goes.
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/clock.h"
#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/blas.h"
#include "nn/clip.h"
#include "nn/embedding.h"
#include "nn/gpt.h"
#include "nn/layernorm.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/optim.h"

typedef struct {
    GptShape s;
    int B, M, steps, warmup, threads, profile;
} Opts;

static double cpu_now_s(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * u.ru_utime.tv_usec
         + (double)u.ru_stime.tv_sec + 1e-6 * u.ru_stime.tv_usec;
}

// What the GEMMs execute per token in a training step (forward, then backward's two
// products per forward product): the linear layers 2·(4C² + 2C·F) per layer, the
// unembedding 2·V·C, and attention's Q·Kᵀ and P·V, 2·2·C per (row, column) pair they
// visit. src/nn/attention.c visits rows in blocks of 64 (CAUSAL_BLOCK there), each block
// against the columns up to its end: 5/8 of the T×T square at T = 256.
static double matmul_flops_per_token(const GptShape *s, int T) {
    double C = s->d_model, F = s->d_ff, L = s->n_layer, pairs = 0.0;
    for (int r0 = 0; r0 < T; r0 += 64) pairs += (double)(r0 + 64 < T ? 64 : T - r0) * (r0 + 64 < T ? r0 + 64 : T);
    double fwd = L * 2.0 * (4.0 * C * C + 2.0 * C * F) + 2.0 * GPT_VOCAB * C + L * 4.0 * C * pairs / T;
    return 3.0 * fwd;
}

typedef struct {
    float *p, *g, *m, *v;      // [P] each: this member's slices
    int *tokens, *targets;     // [B][T]
} Member;

static double member_step(const Opts *o, const GptTensor *tn, int n_tensors, Member *mb,
                          GptWork *w, long t) {
    const GptShape *s = &o->s;
    int T = s->context;
    OptimConfig oc = optim_defaults(OPTIM_ADAMW);
    oc.weight_decay = 0.1f;
    double loss = gpt_forward(s, mb->p, mb->tokens, mb->targets, o->B, T, w);
    gpt_backward(s, mb->p, mb->tokens, o->B, T, w, mb->g);
    grad_clip_global_norm(mb->g, gpt_n_params(s), 1.0f);
    for (int k = 0; k < n_tensors; k++) {
        size_t off = tn[k].offset;
        optim_update(&oc, 3e-4f, t, tn[k].decay, mb->p + off, mb->g + off, mb->m + off, mb->v + off, tn[k].size);
    }
    return loss;
}

// Runs warmup + steps steps of all members; prints the line and sets *step_s (seconds per
// step). Returns 0 or −1.
static int run(const Opts *o, double *step_s) {
    const GptShape *s = &o->s;
    int M = o->M, T = s->context, BT = o->B * T;
    size_t P = gpt_n_params(s);
    int n_tensors = gpt_n_tensors(s);
    GptTensor *tn = xmalloc_array((size_t)n_tensors, sizeof *tn);
    gpt_tensors(s, tn);
    float *state = xcalloc(4 * (size_t)M * P, sizeof(float));   // params, grads, m, v: [M][P] each
    int *tok = xmalloc_array(2 * (size_t)M * BT, sizeof(int));
    Member *mbs = xmalloc_array((size_t)M, sizeof *mbs);
    for (int m = 0; m < M; m++) {
        size_t o0 = (size_t)m * P;
        mbs[m] = (Member){ state + o0, state + M * P + o0, state + 2 * M * P + o0, state + 3 * M * P + o0,
                           tok + (size_t)m * 2 * BT, tok + (size_t)m * 2 * BT + BT };
        gpt_init_params(s, mbs[m].p, (uint64_t)m + 1);
        for (int i = 0; i < 2 * BT; i++) mbs[m].tokens[i] = (int)rng_below(m + 1, RNG_STREAM_FRESH, i, GPT_VOCAB);
    }
    int n_work = M > 1 ? (o->threads < M ? o->threads : M) : 1;
    GptWork *w = xcalloc((size_t)n_work, sizeof *w);
    for (int i = 0; i < n_work; i++)
        if (gpt_work_init(&w[i], s, o->B, T)) return -1;
    blas_set_threads(M > 1 ? 1 : o->threads);
    double loss = 0.0, t0 = 0.0, c0 = 0.0;
    for (long step = 1; step <= o->warmup + o->steps; step++) {
        if (step == o->warmup + 1) { t0 = clock_now_s(); c0 = cpu_now_s(); }
        loss = 0.0;
        #pragma omp parallel for num_threads(n_work) schedule(dynamic, 1) reduction(+ : loss)
        for (int m = 0; m < M; m++)
            loss += member_step(o, tn, n_tensors, &mbs[m], &w[omp_get_thread_num()], step) / M;
    }
    double dt = clock_now_s() - t0, cpu = cpu_now_s() - c0;
    double tokens = (double)M * BT * o->steps;
    printf("tokens/s %.0f kaplan_gflops %.2f matmul_gflops %.2f cpu_per_wall %.2f step_s %.4f loss %.4f\n",
           tokens / dt, tokens * gpt_train_flops_per_token(s) / dt / 1e9,
           tokens * matmul_flops_per_token(s, T) / dt / 1e9, cpu / dt, dt / o->steps, loss);
    *step_s = dt / o->steps;
    for (int i = 0; i < n_work; i++) gpt_work_free(&w[i]);
    free(w); free(mbs); free(tok); free(state); free(tn);
    return 0;
}

// ---- --profile: each kind of operation alone, with one model's shapes ----

typedef struct {
    const char *name;
    double s;
} Part;

#define TIME_PART(part, reps, body) do { \
        double t_ = clock_now_s(); \
        for (int r_ = 0; r_ < (reps); r_++) { body; } \
        (part).s = (clock_now_s() - t_) / (reps); \
    } while (0)

static float *filled(size_t n, uint64_t seed) {
    float *x = xmalloc_array(n, sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = 0.1f * (rng_uniform(seed, RNG_STREAM_FRESH, i) - 0.5f);
    return x;
}

// Seconds per training step spent in: the linear layers (4 per block), attention's core,
// LayerNorm, GELU, the unembedding, the loss, and clip + AdamW.
static void profile(const Opts *o, double step_s) {
    const GptShape *s = &o->s;
    int B = o->B, T = s->context, N = B * T, C = s->d_model, F = s->d_ff, L = s->n_layer, H = s->n_head;
    size_t P = gpt_n_params(s), big = (size_t)N * (F > 3 * C ? F : 3 * C);
    float *X = filled(big, 1), *Y = filled(big, 2), *dY = filled(big, 3), *dX = filled(big, 4);
    float *W = filled((size_t)F * C * 3, 5), *dW = filled((size_t)F * C * 3, 6), *b = filled(3 * (size_t)C + F, 7);
    float *att = filled((size_t)B * H * T * T, 8), *datt = filled((size_t)T * T, 9), *st = filled(2 * (size_t)N, 10);
    float *pm = filled(4 * P, 11), *logits = filled((size_t)N * GPT_VOCAB, 12), *dlog = filled((size_t)N * GPT_VOCAB, 13);
    int *tg = xmalloc_array((size_t)N, sizeof(int));
    for (int i = 0; i < N; i++) tg[i] = i % GPT_VOCAB;
    blas_set_threads(o->threads);
    OptimConfig oc = optim_defaults(OPTIM_ADAMW);
    Part p[8] = { { "linear layers (GEMM)", 0 }, { "attention core (GEMM + softmax)", 0 },
                  { "LayerNorm", 0 }, { "GELU", 0 }, { "unembedding (GEMM)", 0 },
                  { "softmax cross-entropy", 0 }, { "clip + AdamW", 0 }, { "rest (adds, embedding…)", 0 } };
    const int in[4] = { C, C, C, F }, out[4] = { 3 * C, C, F, C };
    TIME_PART(p[0], 2, for (int k = 0; k < 4; k++) {
        linear_forward(Y, X, W, b, N, in[k], out[k]);
        linear_backward(dX, dW, b, dY, X, W, N, in[k], out[k]); });
    TIME_PART(p[1], 2, attention_core_forward(Y, att, X, B, T, C, H);
                       attention_core_backward(dX, datt, dY, X, att, B, T, C, H));
    TIME_PART(p[2], 3, layernorm_forward(Y, st, st + N, X, W, b, N, C);
                       layernorm_backward(dX, dW, b, dY, X, st, st + N, W, N, C));
    TIME_PART(p[3], 3, act_forward(Y, X, (long)N * F, ACT_GELU);
                       act_backward(dX, dY, X, Y, (long)N * F, ACT_GELU));
    TIME_PART(p[4], 3, unembedding_forward(logits, X, W, N, C, GPT_VOCAB);
                       unembedding_backward(dX, dW, dlog, X, W, N, C, GPT_VOCAB));
    TIME_PART(p[5], 3, softmax_cross_entropy(logits, tg, N, GPT_VOCAB, 1.0f / N, dlog, NULL));
    TIME_PART(p[6], 3, grad_clip_global_norm(pm + P, P, 1.0f);
                       optim_update(&oc, 1e-4f, 1, 1, pm, pm + P, pm + 2 * P, pm + 3 * P, P));
    p[0].s *= L; p[1].s *= L; p[2].s *= 2 * L + 1; p[3].s *= L;
    double sum = 0.0;
    for (int i = 0; i < 7; i++) sum += p[i].s;
    p[7].s = step_s > sum ? step_s - sum : 0.0;
    printf("profile (one model, %d BLAS threads; step %.1f ms measured):\n", o->threads, 1e3 * step_s);
    for (int i = 0; i < 8; i++)
        printf("  %-34s %8.1f ms  %5.1f%%\n", p[i].name, 1e3 * p[i].s, 100.0 * p[i].s / (step_s > sum ? step_s : sum));
    free(X); free(Y); free(dY); free(dX); free(W); free(dW); free(b); free(att); free(datt);
    free(st); free(pm); free(logits); free(dlog); free(tg);
}

static int parse(int argc, char **argv, Opts *o) {
    *o = (Opts){ .s = { .d_model = 128, .n_layer = 4, .n_head = 4, .d_ff = 0, .context = 256, .tie_embeddings = 1 },
                 .B = 16, .M = 1, .steps = 3, .warmup = 1, .threads = omp_get_num_procs() };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--profile")) { o->profile = 1; continue; }
        if (i + 1 >= argc) return jp_fail("%s needs a value", a);
        int v = atoi(argv[++i]);
        if (!strcmp(a, "--d-model")) o->s.d_model = v;
        else if (!strcmp(a, "--layers")) o->s.n_layer = v;
        else if (!strcmp(a, "--heads")) o->s.n_head = v;
        else if (!strcmp(a, "--d-ff")) o->s.d_ff = v;
        else if (!strcmp(a, "--context")) o->s.context = v;
        else if (!strcmp(a, "--batch")) o->B = v;
        else if (!strcmp(a, "--members")) o->M = v;
        else if (!strcmp(a, "--steps")) o->steps = v;
        else if (!strcmp(a, "--warmup")) o->warmup = v;
        else if (!strcmp(a, "--threads")) o->threads = v;
        else return jp_fail("unknown option %s", a);
    }
    if (!o->s.d_ff) o->s.d_ff = 4 * o->s.d_model;
    if (o->B < 1 || o->M < 1 || o->steps < 1 || o->warmup < 0 || o->threads < 1)
        return jp_fail("batch, members, steps and threads must be positive");
    return gpt_shape_check(&o->s);
}

int main(int argc, char **argv) {
    blas_select_kernels(argv);
    Opts o;
    double step_s;
    if (parse(argc, argv, &o) || run(&o, &step_s)) {
        fprintf(stderr, "lm_speed: %s\n", jp_error());
        return 1;
    }
    if (o.profile) {   // one model as the run ran it: an ensemble's member on 1 BLAS thread
        Opts one = o;
        if (o.M > 1) { one.M = 1; one.threads = 1; }
        if (one.M != o.M && run(&one, &step_s)) return 1;
        fflush(stdout);
        profile(&one, step_s);
    }
    return 0;
}

#include "nn/mlp.h"

#include <cblas.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "nn/mm.h"

int mlp_layers(const MlpShape *s, MlpLayer layers[MLP_MAX_DEPTH + 1]) {
    size_t off = 0;
    int in = s->n_in;
    for (int l = 0; l <= s->depth; l++) {
        int out = l < s->depth ? s->hidden[l] : s->n_out;
        layers[l] = (MlpLayer){ .in = in, .out = out, .w = off, .b = off + (size_t)in * out };
        off += (size_t)in * out + out;
        in = out;
    }
    return s->depth + 1;
}

size_t mlp_n_params(const MlpShape *s) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    return L[n - 1].b + L[n - 1].out;
}

double mlp_train_flops_per_example(const MlpShape *s) { return 6.0 * (double)mlp_n_params(s); }
double mlp_eval_flops_per_example(const MlpShape *s) { return 2.0 * (double)mlp_n_params(s); }

void mlp_init_params(const MlpShape *s, float *params, WeightInit wi, BiasInit bi, uint64_t init_seed) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    for (int l = 0; l < n; l++) {
        // The output layer feeds no activation: Kaiming's gain is then 1.
        Activation act = l < s->depth ? s->act : ACT_IDENTITY;
        init_weights(params + L[l].w, L[l].out, L[l].in, wi, act, init_seed, L[l].w);
        init_bias(params + L[l].b, L[l].out, L[l].in, bi, init_seed, L[l].b);
    }
}

static int max_width(const MlpShape *s) {
    int m = s->n_out;   // not n_in: the input layer's gradient is never formed
    for (int l = 0; l < s->depth; l++)
        if (s->hidden[l] > m) m = s->hidden[l];
    return m;
}

static size_t work_floats(const MlpShape *s, int rows) {
    size_t n = 0;
    for (int l = 0; l < s->depth; l++) n += 2 * (size_t)s->hidden[l];
    n += 2 * (size_t)s->n_out + 2 * (size_t)max_width(s);
    return n * rows;
}

size_t mlp_work_bytes(const MlpShape *s, int rows) { return work_floats(s, rows) * sizeof(float); }

int mlp_work_init(MlpWork *w, const MlpShape *s, int rows) {
    *w = (MlpWork){ .rows = rows };
    w->buf = xmalloc(mlp_work_bytes(s, rows));
    float *p = w->buf;
    for (int l = 0; l < s->depth; l++) {
        w->Z[l] = p; p += (size_t)rows * s->hidden[l];
        w->A[l] = p; p += (size_t)rows * s->hidden[l];
    }
    w->Z[s->depth] = p; p += (size_t)rows * s->n_out;
    w->dout = p; p += (size_t)rows * s->n_out;
    w->scratch[0] = p; p += (size_t)rows * max_width(s);
    w->scratch[1] = p;
    return 0;
}

void mlp_work_free(MlpWork *w) {
    free(w->buf);
    *w = (MlpWork){ 0 };
}

// The layer's products: nn/mm's packing-free kernels where mm_prefer says they win on this shape,
// else OpenBLAS. The choice depends on the shape alone, so a member's arithmetic never depends on
// its ensemble.
// Z[B][out] = X[B][in] · W[out][in]ᵀ   (the bias comes after, in act_bias_forward)
static void product_forward(float *Z, const float *X, const float *W, int B, int in, int out) {
    if (mm_prefer(B, in, out)) mm_nt(B, out, in, X, in, W, in, Z, out);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0f, X, in, W, in, 0.0f, Z, out);
}

// dW[out][in] = dZ[B][out]ᵀ · X[B][in];  dX[B][in] = dZ[B][out] · W[out][in] (skipped when NULL)
static void product_backward(float *dX, float *dW, const float *dZ, const float *X, const float *W,
                             int B, int in, int out) {
    if (mm_prefer(B, in, out)) {
        mm_tn(B, out, in, dZ, out, X, in, dW, in);
        if (dX) mm_nn(B, out, in, dZ, out, W, in, dX, in);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0f, dZ, out, X, in, 0.0f, dW, in);
    if (dX) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0f, dZ, out, W, in, 0.0f, dX, in);
}

const float *mlp_forward(const MlpShape *s, const float *params, const float *X, int B, MlpWork *w) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    const float *in = X;
    for (int l = 0; l < n; l++) {
        product_forward(w->Z[l], in, params + L[l].w, B, L[l].in, L[l].out);
        float *A = l < s->depth ? w->A[l] : NULL;   // the output layer: bias only
        act_bias_forward(A, w->Z[l], params + L[l].b, B, L[l].out, s->act);
        in = A;
    }
    return w->Z[s->depth];
}

void mlp_backward(const MlpShape *s, const float *params, const float *X, int B, MlpWork *w, float *grads) {
    MlpLayer L[MLP_MAX_DEPTH + 1] = { { 0 } };   // (initialised: gcc cannot see that n ≥ 1)
    int n = mlp_layers(s, L);
    const float *dZ = w->dout;
    // The output layer's bias gradient; the hidden layers' come with their activation's derivative.
    act_bias_backward(w->dout, grads + L[n - 1].b, w->dout, NULL, NULL, B, s->n_out, ACT_IDENTITY);
    for (int l = n - 1; l >= 0; l--) {
        const float *in = l > 0 ? w->A[l - 1] : X;
        float *dX = l > 0 ? w->scratch[l & 1] : NULL;
        product_backward(dX, grads + L[l].w, dZ, in, params + L[l].w, B, L[l].in, L[l].out);
        if (l > 0) {
            act_bias_backward(dX, grads + L[l - 1].b, dX, w->Z[l - 1], w->A[l - 1], B, L[l].in, s->act);
            dZ = dX;
        }
    }
}

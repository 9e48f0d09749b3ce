#include "nn/mlp.h"

#include <stdlib.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "nn/linear.h"

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

const float *mlp_forward(const MlpShape *s, const float *params, const float *X, int B, MlpWork *w) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    const float *in = X;
    for (int l = 0; l < n; l++) {
        linear_forward(w->Z[l], in, params + L[l].w, params + L[l].b, B, L[l].in, L[l].out);
        if (l < s->depth) {
            act_forward(w->A[l], w->Z[l], (long)B * L[l].out, s->act);
            in = w->A[l];
        }
    }
    return w->Z[s->depth];
}

void mlp_backward(const MlpShape *s, const float *params, const float *X, int B, MlpWork *w, float *grads) {
    MlpLayer L[MLP_MAX_DEPTH + 1];
    int n = mlp_layers(s, L);
    const float *dY = w->dout;
    for (int l = n - 1; l >= 0; l--) {
        const float *in = l > 0 ? w->A[l - 1] : X;
        float *dX = l > 0 ? w->scratch[l & 1] : NULL;
        linear_backward(dX, grads + L[l].w, grads + L[l].b, dY, in, params + L[l].w, B, L[l].in, L[l].out);
        if (l > 0) {
            act_backward(dX, dX, w->Z[l - 1], w->A[l - 1], (long)B * L[l].in, s->act);
            dY = dX;
        }
    }
}

#include "data/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/rng.h"
#include "base/xalloc.h"
#include "data/task.h"

const char *const world_kind_names[WORLD_KIND_COUNT] = { "sparse-parity", "zipf-concepts", "teacher-student", "manifold", "task-mixture" };

// Index spaces inside RNG_STREAM_WORLD, one per kind of structure.
enum { PART_SUBSET = 1, PART_LINEAR = 2, PART_EMBED = 3, PART_TEACHER_SEED = 4, PART_HEAD = 5 };
static uint64_t world_index(int part, uint64_t c, uint64_t j) { return ((uint64_t)part << 56) | (c << 24) | j; }

#define MAX_FEATURES 4000   // an example's blocks are index·4096 + j

void world_resolve(WorldOptions *q, int *dim, int *n_out, int *regression) {
    // Michaud et al.'s sparse-parity defaults: 500 tasks, n = 100 bits, k = 3.
    static const int default_concepts[] = { 500, 100, 1, 1, 16 }, default_bits[] = { 100, 32, 32, 64, 16 };
    if (q->concepts <= 0) q->concepts = default_concepts[q->kind];
    if (q->bits <= 0) q->bits = default_bits[q->kind];
    *dim = (q->concepts > 1 ? q->concepts : 0) + q->bits;
    *regression = q->kind == WORLD_TEACHER || q->kind == WORLD_MANIFOLD || q->kind == WORLD_TASK_MIXTURE;
    *n_out = q->kind == WORLD_SPARSE_PARITY ? 2 : q->kind == WORLD_ZIPF_CONCEPTS ? q->classes : 1;
    if (q->kind == WORLD_TASK_MIXTURE) {   // a block per task instead of control bits; a head per task
        *dim = q->concepts * q->bits;
        *n_out = q->concepts;
    }
}

// task-mixture: each task's w_c and the features' standard deviations. Returns 0, or −1 (jp_error).
static int mixture_init(World *w) {
    const WorldOptions *q = &w->o;
    int C = q->concepts;
    if ((long)q->concepts * q->bits > 65536) return jp_fail("world.concepts × world.bits: at most 65536 inputs");
    if (q->shared_inputs && (long)q->concepts * q->bits > MAX_FEATURES)   // all of an example's normals in its index block
        return jp_fail("world.shared_inputs: world.concepts × world.bits at most %d", MAX_FEATURES);
    // Feature j's standard deviation dev_j = (j+1)^(−spectrum/2) (0-based j); w_c,j ~ N(0, 1)
    // scaled so that Var y = Σ_j w_c,j² dev_j² = 1: every task's loss starts near 1.
    w->head_dev = xmalloc(sizeof(float) * q->bits);
    for (int j = 0; j < q->bits; j++) w->head_dev[j] = (float)pow(j + 1, -q->spectrum / 2);
    w->head_w = xmalloc(sizeof(float) * (size_t)C * q->bits);
    for (int c = 0; c < C; c++) {
        float *wc = w->head_w + (size_t)c * q->bits;
        double var = 0;
        for (int j = 0; j < q->bits; j++) {
            wc[j] = rng_normal(q->seed, RNG_STREAM_WORLD, world_index(PART_HEAD, c, j));
            var += (double)wc[j] * wc[j] * w->head_dev[j] * w->head_dev[j];
        }
        for (int j = 0; j < q->bits && var > 0; j++) wc[j] = (float)(wc[j] / sqrt(var));
    }
    return 0;
}

int world_init(World *w, const WorldOptions *o) {
    memset(w, 0, sizeof *w);
    w->o = *o;
    WorldOptions *q = &w->o;
    if (q->kind < 0 || q->kind >= WORLD_KIND_COUNT) return jp_fail("unknown toy world %d", q->kind);
    world_resolve(q, &w->dim, &w->n_out, &w->regression);
    if (q->bits > MAX_FEATURES) return jp_fail("world.bits: at most %d features", MAX_FEATURES);
    int subset_kind = q->kind == WORLD_SPARSE_PARITY || q->kind == WORLD_ZIPF_CONCEPTS;
    if (subset_kind && (q->k < 1 || q->k > q->bits))
        return jp_fail("world.k: %d must be between 1 and world.bits (%d)", q->k, q->bits);
    if (q->kind == WORLD_ZIPF_CONCEPTS && q->classes < 2) return jp_fail("world.classes: at least 2");
    if (q->kind == WORLD_MANIFOLD && (q->manifold_dim < 1 || q->manifold_dim > q->bits || q->manifold_dim > 64))
        return jp_fail("world.manifold_dim: %d must be between 1 and world.bits (%d), at most 64", q->manifold_dim, q->bits);
    int C = q->concepts;
    w->p = xmalloc(sizeof(double) * C);
    w->cdf = xmalloc(sizeof(double) * C);
    zipf_frequencies(q->zipf, C, w->p);
    double acc = 0;
    for (int c = 0; c < C; c++) w->cdf[c] = acc += w->p[c];
    w->cdf[C - 1] = 1.0;

    if (subset_kind) {
        // k distinct features per concept: a partial Fisher–Yates shuffle.
        w->subset = xmalloc(sizeof(int) * (size_t)C * q->k);
        int *perm = xmalloc(sizeof(int) * q->bits);
        for (int c = 0; c < C; c++) {
            for (int j = 0; j < q->bits; j++) perm[j] = j;
            for (int j = 0; j < q->k; j++) {
                int r = j + (int)rng_below(q->seed, RNG_STREAM_WORLD, world_index(PART_SUBSET, c, j), (uint32_t)(q->bits - j));
                int t = perm[j]; perm[j] = perm[r]; perm[r] = t;
                w->subset[c * q->k + j] = perm[j];
            }
        }
        free(perm);
    }
    if (q->kind == WORLD_ZIPF_CONCEPTS) {
        size_t n = (size_t)C * q->classes * q->k;
        w->linear = xmalloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) w->linear[i] = rng_normal(q->seed, RNG_STREAM_WORLD, world_index(PART_LINEAR, 0, i));
    }
    if (q->kind == WORLD_TASK_MIXTURE && mixture_init(w) != 0) return -1;
    if (w->regression && q->kind != WORLD_TASK_MIXTURE) {
        if (q->teacher_width < 1 || q->teacher_depth < 1 || q->teacher_depth > MLP_MAX_DEPTH || q->teacher_width > 1024)
            return jp_fail("world.teacher_width must be in [1, 1024] and world.teacher_depth in [1, %d]", MLP_MAX_DEPTH);
        w->teacher = (MlpShape){ .n_in = q->kind == WORLD_MANIFOLD ? q->manifold_dim : q->bits, .n_out = 1,
                                 .depth = q->teacher_depth, .act = ACT_TANH };
        for (int l = 0; l < q->teacher_depth; l++) w->teacher.hidden[l] = q->teacher_width;
        w->teacher_P = mlp_n_params(&w->teacher);
        w->teacher_params = xmalloc(sizeof(float) * w->teacher_P * C);
        for (int c = 0; c < C; c++) {
            uint32_t s[4];
            rng_words(q->seed, RNG_STREAM_WORLD, world_index(PART_TEACHER_SEED, c, 0), s);
            mlp_init_params(&w->teacher, w->teacher_params + c * w->teacher_P, INIT_KAIMING_NORMAL, BIAS_FAN_IN_UNIFORM,
                            ((uint64_t)s[0] << 32) | s[1]);
        }
    }
    if (q->kind == WORLD_MANIFOLD) {
        size_t n = (size_t)q->bits * q->manifold_dim;
        w->embed = xmalloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) w->embed[i] = rng_normal(q->seed, RNG_STREAM_WORLD, world_index(PART_EMBED, 0, i));
    }
    return 0;
}

void world_free(World *w) {
    free(w->p); free(w->cdf); free(w->subset); free(w->linear); free(w->teacher_params); free(w->embed); free(w->head_w); free(w->head_dev);
    memset(w, 0, sizeof *w);
}

// Concept c's teacher on in[n_in]: a scalar forward pass (teachers are small,
// and one example at a time keeps generation free of work buffers).
static float teacher_eval(const World *w, int c, const float *in) {
    const float *params = w->teacher_params + c * w->teacher_P;
    MlpLayer layers[MLP_MAX_DEPTH + 1];
    int n_layers = mlp_layers(&w->teacher, layers);
    float buf[2][1024];
    const float *a = in;
    for (int l = 0; l < n_layers; l++) {
        float *z = buf[l & 1];
        const float *W = params + layers[l].w, *b = params + layers[l].b;
        for (int o = 0; o < layers[l].out; o++) {
            float s = b[o];
            for (int i = 0; i < layers[l].in; i++) s += W[(size_t)o * layers[l].in + i] * a[i];
            z[o] = l + 1 < n_layers ? tanhf(s) : s;
        }
        a = z;
    }
    return a[0];
}

static int draw_concept(const World *w, double u) {
    int lo = 0, hi = w->o.concepts - 1;   // the first c with cdf[c] ≥ u
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (w->cdf[mid] >= u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

int world_example(const World *w, uint64_t seed, uint64_t stream, uint64_t index, int concept,
                  float *x, int *y, float *t) {
    const WorldOptions *q = &w->o;
    uint64_t base = index << 12;
    if (concept < 0) concept = draw_concept(w, rng_uniform53(seed, stream, base));   // concepts far rarer than 2^−24 keep their odds
    int C = q->concepts;
    float *f = x;
    if (q->kind == WORLD_TASK_MIXTURE) {
        // Block `concept` holds x_j = dev_j · z_j (z standard normal); the other blocks stay 0,
        // and the other heads' targets NaN (no target: the head loss skips them).
        int b = q->bits;
        if (q->shared_inputs) {   // every block: block k from normals (k·b, (k+1)·b] of the example
            rng_normals(seed, stream, base + 1, C * b, x);
            for (size_t i = 0; i < (size_t)C * b; i++) x[i] *= w->head_dev[i % b];
        } else {
            memset(x, 0, sizeof(float) * (size_t)C * b);
        }
        f = x + (size_t)concept * b;
        if (!q->shared_inputs) rng_normals(seed, stream, base + 1, b, f);
        const float *wc = w->head_w + (size_t)concept * b;
        float y = 0;
        for (int j = 0; j < b; j++) {
            if (!q->shared_inputs) f[j] *= w->head_dev[j];
            y += wc[j] * f[j];
        }
        for (int c = 0; c < C; c++) t[c] = NAN;
        t[concept] = y;
        return concept;
    }
    if (C > 1) {
        memset(x, 0, sizeof(float) * C);
        x[concept] = 1.0f;
        f = x + C;
    }
    switch (q->kind) {
    case WORLD_SPARSE_PARITY: {
        uint32_t words[4];
        for (int j = 0; j < q->bits; j++) {
            if (j % 128 == 0) rng_words(seed, stream, base + 1 + j / 128, words);
            f[j] = (float)((words[(j % 128) / 32] >> (j % 32)) & 1u);
        }
        int parity = 0;
        for (int j = 0; j < q->k; j++) parity ^= f[w->subset[concept * q->k + j]] > 0.5f;
        *y = parity;
        break;
    }
    case WORLD_ZIPF_CONCEPTS: {
        rng_normals(seed, stream, base + 1, q->bits, f);
        const float *W = w->linear + (size_t)concept * q->classes * q->k;
        const int *S = w->subset + concept * q->k;
        int best = 0;
        float best_v = -INFINITY;
        for (int o = 0; o < q->classes; o++) {
            float v = 0;
            for (int j = 0; j < q->k; j++) v += W[o * q->k + j] * f[S[j]];
            if (v > best_v) { best_v = v; best = o; }
        }
        *y = best;
        break;
    }
    case WORLD_TEACHER:
        rng_normals(seed, stream, base + 1, q->bits, f);
        t[0] = teacher_eval(w, concept, f);
        break;
    case WORLD_MANIFOLD: {
        float z[64];
        int d = q->manifold_dim;
        for (int j = 0; j < d; j++) z[j] = 2.0f * rng_uniform(seed, stream, base + 1 + j) - 1.0f;
        for (int i = 0; i < q->bits; i++) {
            float s = 0;
            for (int j = 0; j < d; j++) s += w->embed[i * d + j] * z[j];
            f[i] = tanhf(s);
        }
        t[0] = teacher_eval(w, concept, z);
        break;
    }
    default: break;
    }
    return concept;
}

int world_injection_concept(const World *w, uint64_t seed, uint64_t stream, uint64_t index, int inject, double share) {
    double u = rng_uniform53(seed, stream, index << 12);   // where world_example draws its own concept
    if (u < share || w->o.concepts == 1) return inject;
    // The others in proportion to p_c: u rescaled onto their total mass, walked along their cdf.
    double v = (u - share) / (1.0 - share) * (1.0 - w->p[inject]), acc = 0;
    int last = inject;
    for (int c = 0; c < w->o.concepts; c++) {
        if (c == inject) continue;
        acc += w->p[c];
        last = c;
        if (acc >= v) return c;
    }
    return last;   // rounding at the very top
}

static int heldout_split(const World *w, uint64_t stream, int per_concept, Split *s) {
    int C = w->o.concepts;
    s->n = C * per_concept;
    s->x = xmalloc(sizeof(float) * (size_t)s->n * w->dim);
    if (w->regression) s->t = xmalloc(sizeof(float) * (size_t)s->n * w->n_out);
    else s->y = xmalloc(sizeof(int) * s->n);
    s->n_concepts = C;
    s->concept_start = xmalloc(sizeof(int) * (C + 1));
    s->concept_weight = xmalloc(sizeof(double) * C);
    for (int c = 0; c <= C; c++) s->concept_start[c] = c * per_concept;
    memcpy(s->concept_weight, w->p, sizeof(double) * C);
    for (int i = 0; i < s->n; i++)
        world_example(w, w->o.seed, stream, (uint64_t)i, i / per_concept, s->x + (size_t)i * w->dim,
                      s->y ? s->y + i : NULL, s->t ? s->t + (size_t)i * w->n_out : NULL);
    return 0;
}

int world_task(const WorldOptions *o, int eval_per_concept, Task *task) {
    memset(task, 0, sizeof *task);
    World *w = xcalloc(1, sizeof *w);
    task->world = w;
    if (world_init(w, o) != 0) { task_free(task); return -1; }
    snprintf(task->name, sizeof task->name, "%s", world_kind_names[o->kind]);
    task->dim = w->dim;
    task->n_out = w->n_out;
    if (eval_per_concept < 1) { task_free(task); return jp_fail("world.eval_per_concept: at least 1"); }
    if (heldout_split(w, RNG_STREAM_VAL_SET, eval_per_concept, &task->val) != 0 ||
        heldout_split(w, RNG_STREAM_TEST_SET, eval_per_concept, &task->test) != 0) {
        task_free(task);
        return -1;
    }
    return 0;
}

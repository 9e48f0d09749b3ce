#include "train/lm_checkpoint.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "nn/safetensors.h"

// ---- metadata: key/value strings, built and parsed ----

typedef struct {
    int n, cap;
    char *(*kv)[2];
} Meta;

static void meta_add(Meta *md, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void meta_add(Meta *md, const char *key, const char *fmt, ...) {
    if (md->n == md->cap) {
        md->cap = md->cap ? 2 * md->cap : 32;
        md->kv = xrealloc_array(md->kv, (size_t)md->cap, sizeof *md->kv);
    }
    va_list ap;
    va_start(ap, fmt);
    md->kv[md->n][0] = xstrdup(key);
    md->kv[md->n][1] = jp_xvasprintf(__FILE__, __LINE__, fmt, ap);
    va_end(ap);
    md->n++;
}

static void meta_free(Meta *md) {
    for (int i = 0; i < md->n; i++) { free(md->kv[i][0]); free(md->kv[i][1]); }
    free(md->kv);
}

static void meta_shape(Meta *md, const GptShape *s) {
    meta_add(md, "d_model", "%d", s->d_model);
    meta_add(md, "n_layer", "%d", s->n_layer);
    meta_add(md, "n_head", "%d", s->n_head);
    meta_add(md, "d_ff", "%d", s->d_ff);
    meta_add(md, "context", "%d", s->context);
    meta_add(md, "tie_embeddings", "%d", s->tie_embeddings);
}

static int write_meta(const char *path, const SafeTensorOut *t, int n, const Meta *md) {
    return safetensors_write(path, t, n, (const char *const (*)[2])md->kv, md->n);
}

// A metadata value, or a failure naming the key.
static const char *need(const SafeTensors *st, const char *path, const char *key) {
    const char *v = safetensors_meta(st, key);
    if (!v) jp_fail("%s: metadata '%s' is missing", path, key);
    return v;
}

static int read_int(const SafeTensors *st, const char *path, const char *key, long *out) {
    const char *v = need(st, path, key);
    if (!v) return -1;
    char *end;
    *out = strtol(v, &end, 10);
    if (end == v || *end) return jp_fail("%s: metadata '%s' is not an integer: '%s'", path, key, v);
    return 0;
}

static int read_shape(const SafeTensors *st, const char *path, GptShape *s) {
    long v[6];
    static const char *const keys[6] = { "d_model", "n_layer", "n_head", "d_ff", "context", "tie_embeddings" };
    for (int i = 0; i < 6; i++)
        if (read_int(st, path, keys[i], &v[i]) != 0) return -1;
    *s = (GptShape){ (int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5] };
    if (gpt_shape_check(s) != 0) return jp_fail("%s: %s", path, jp_error());
    return 0;
}

// ---- records and member state as strings of numbers ----

#define RECORD_FMT "%ld %.17g %.17g %.17g %.9g %.9g %.17g %.17g %.17g %.17g %.17g"

static void meta_record(Meta *md, const char *key, const LmRecord *r) {
    meta_add(md, key, RECORD_FMT, r->step, r->tokens, r->flops, r->wall_s, r->lr, r->grad_norm, r->train_loss,
             r->val_loss, r->test_loss, r->val_bpb, r->test_bpb);
}

// Reads n numbers (doubles) of a space-separated list.
static int parse_numbers(const char *path, const char *key, const char *v, double *out, int n) {
    const char *p = v;
    for (int i = 0; i < n; i++) {
        char *end;
        out[i] = strtod(p, &end);
        if (end == p) return jp_fail("%s: metadata '%s' has fewer than %d numbers: '%s'", path, key, n, v);
        p = end;
    }
    if (*p) return jp_fail("%s: metadata '%s' has more than %d numbers: '%s'", path, key, n, v);
    return 0;
}

static int read_record(const SafeTensors *st, const char *path, const char *key, int m, const LmMemberState *ms,
                       LmRecord *r) {
    const char *v = need(st, path, key);
    double x[11];
    if (!v || parse_numbers(path, key, v, x, 11) != 0) return -1;
    *r = (LmRecord){ .member = m, .init_seed = ms->init_seed, .data_seed = ms->data_seed, .step = (long)x[0],
                     .tokens = x[1], .flops = x[2], .wall_s = x[3], .lr = (float)x[4], .grad_norm = (float)x[5],
                     .train_loss = x[6], .val_loss = x[7], .test_loss = x[8], .val_bpb = x[9], .test_bpb = x[10] };
    return 0;
}

static void meta_member(Meta *md, const LmEnsemble *e, int m) {
    const LmMemberState *s = &e->member[m];
    char key[48];
    snprintf(key, sizeof key, "member.%d", m);
    meta_add(md, key, "%" PRIu64 " %" PRIu64 " %ld %.17g %ld %.9g %ld", s->init_seed, s->data_seed, s->t,
             s->loss_sum, s->loss_count, s->grad_norm, s->summary.diverged_step);
    snprintf(key, sizeof key, "member.%d.final", m);
    meta_record(md, key, &s->summary.final);
    snprintf(key, sizeof key, "member.%d.best", m);
    meta_record(md, key, &s->summary.best);
}

static int read_member(const SafeTensors *st, const char *path, LmEnsemble *e, int m) {
    LmMemberState *s = &e->member[m];
    char key[48];
    snprintf(key, sizeof key, "member.%d", m);
    const char *v = need(st, path, key);
    if (!v) return -1;
    float norm;
    if (sscanf(v, "%" SCNu64 " %" SCNu64 " %ld %lf %ld %f %ld", &s->init_seed, &s->data_seed, &s->t, &s->loss_sum,
               &s->loss_count, &norm, &s->summary.diverged_step) != 7)
        return jp_fail("%s: metadata '%s' is not a member's state: '%s'", path, key, v);
    s->grad_norm = norm;
    s->summary.eval_s = e->eval_s;
    snprintf(key, sizeof key, "member.%d.final", m);
    if (read_record(st, path, key, m, s, &s->summary.final) != 0) return -1;
    snprintf(key, sizeof key, "member.%d.best", m);
    return read_record(st, path, key, m, s, &s->summary.best);
}

// ---- the checkpoint ----

int lm_checkpoint_write(const char *path, const LmEnsemble *e) {
    Meta md = { 0 };
    meta_add(&md, "format", "%s", LM_CHECKPOINT_FORMAT);
    meta_add(&md, "version", "%d", LM_CHECKPOINT_VERSION);
    meta_add(&md, "config", "%s", e->config);
    meta_shape(&md, &e->shape);
    meta_add(&md, "M", "%d", e->M);
    meta_add(&md, "P", "%zu", e->P);
    meta_add(&md, "step", "%ld", e->step);
    meta_add(&md, "evaluated_step", "%ld", e->evaluated_step);
    meta_add(&md, "wall_s", "%.17g", e->wall_s);
    meta_add(&md, "eval_s", "%.17g", e->eval_s);
    for (int m = 0; m < e->M; m++) meta_member(&md, e, m);
    SafeTensorOut t[3] = {
        { "params", 2, { e->M, (int64_t)e->P }, e->params },
        { "adam_m", 2, { e->M, (int64_t)e->P }, e->m },
        { "adam_v", 2, { e->M, (int64_t)e->P }, e->v },
    };
    int rc = write_meta(path, t, 3, &md);
    meta_free(&md);
    return rc;
}

static int check_format(const SafeTensors *st, const char *path, const char *format, int version) {
    const char *f = safetensors_meta(st, "format"), *v = safetensors_meta(st, "version");
    if (!f || strcmp(f, format)) return jp_fail("%s: not a %s file (format '%s')", path, format, f ? f : "");
    if (!v || atoi(v) != version) return jp_fail("%s: %s version %s, this build reads %d", path, format, v ? v : "?", version);
    return 0;
}

// The checkpoint's scalars and vectors into e (allocated here).
static int read_checkpoint(const SafeTensors *st, const char *path, LmEnsemble *e) {
    GptShape s;
    long M, step, evaluated;
    if (check_format(st, path, LM_CHECKPOINT_FORMAT, LM_CHECKPOINT_VERSION) != 0 || read_shape(st, path, &s) != 0 ||
        read_int(st, path, "M", &M) != 0 || read_int(st, path, "step", &step) != 0 ||
        read_int(st, path, "evaluated_step", &evaluated) != 0)
        return -1;
    const char *config = need(st, path, "config"), *wall = need(st, path, "wall_s"), *ev = need(st, path, "eval_s");
    if (!config || !wall || !ev) return -1;
    if (M < 1 || M > 1000000 || step < 0) return jp_fail("%s: M %ld or step %ld out of range", path, M, step);
    if (lm_ensemble_init(e, &s, (int)M) != 0) return -1;
    e->step = step;
    e->evaluated_step = evaluated;
    e->wall_s = strtod(wall, NULL);
    e->eval_s = strtod(ev, NULL);
    snprintf(e->config, sizeof e->config, "%s", config);
    static const char *const names[3] = { "params", "adam_m", "adam_v" };
    float *dst[3] = { e->params, e->m, e->v };
    for (int k = 0; k < 3; k++) {
        const SafeTensorIn *t = safetensors_find(st, names[k]);
        if (!t || t->count != (size_t)M * e->P)
            return jp_fail("%s: tensor '%s' is missing or not [%ld][%zu]", path, names[k], M, e->P);
        memcpy(dst[k], t->data, sizeof(float) * t->count);
    }
    for (int m = 0; m < M; m++)
        if (read_member(st, path, e, m) != 0) return -1;
    return 0;
}

int lm_checkpoint_read(const char *path, LmEnsemble *e) {
    memset(e, 0, sizeof *e);
    SafeTensors st;
    if (safetensors_read(path, &st) != 0) return -1;
    int rc = read_checkpoint(&st, path, e);
    safetensors_free(&st);
    if (rc != 0) lm_ensemble_free(e);
    return rc;
}

// ---- one member's weights ----

int lm_weights_write(const char *path, const LmEnsemble *e, int m) {
    if (m < 0 || m >= e->M) return jp_fail("lm: no member %d in an ensemble of %d", m, e->M);
    const GptShape *s = &e->shape;
    const LmMemberState *ms = &e->member[m];
    Meta md = { 0 };
    meta_add(&md, "format", "%s", LM_WEIGHTS_FORMAT);
    meta_add(&md, "version", "%d", LM_WEIGHTS_VERSION);
    meta_add(&md, "vocab", "%d", GPT_VOCAB);
    meta_shape(&md, s);
    meta_add(&md, "gelu", "erf");
    meta_add(&md, "layernorm_eps", "1e-5");
    meta_add(&md, "n_params", "%zu", gpt_n_params(s));
    meta_add(&md, "n_params_nonembedding", "%zu", gpt_n_params_nonembedding(s));
    meta_add(&md, "init_seed", "%" PRIu64, ms->init_seed);
    meta_add(&md, "data_seed", "%" PRIu64, ms->data_seed);
    meta_add(&md, "step", "%ld", e->step);
    int n = gpt_n_tensors(s);
    GptTensor *T = xmalloc_array((size_t)n, sizeof *T);
    SafeTensorOut *out = xmalloc_array((size_t)n, sizeof *out);
    gpt_tensors(s, T);
    const float *p = lm_member_params(e, m);
    for (int k = 0; k < n; k++)
        out[k] = (SafeTensorOut){ T[k].name, T[k].cols == 1 ? 1 : 2, { T[k].rows, T[k].cols }, p + T[k].offset };
    int rc = write_meta(path, out, n, &md);
    free(out);
    free(T);
    meta_free(&md);
    return rc;
}

static int read_weights(const SafeTensors *st, const char *path, GptShape *shape, float *params) {
    int n = gpt_n_tensors(shape);
    GptTensor *T = xmalloc_array((size_t)n, sizeof *T);
    gpt_tensors(shape, T);
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        const SafeTensorIn *t = safetensors_find(st, T[k].name);
        int ndim = T[k].cols == 1 ? 1 : 2;
        if (!t || t->ndim != ndim || t->shape[0] != T[k].rows || (ndim == 2 && t->shape[1] != T[k].cols))
            rc = jp_fail("%s: tensor '%s' is missing or not of shape [%d%s%.0d]", path, T[k].name, T[k].rows,
                         ndim == 2 ? "][" : "", ndim == 2 ? T[k].cols : 0);
        else
            memcpy(params + T[k].offset, t->data, sizeof(float) * T[k].size);
    }
    free(T);
    return rc;
}

int lm_weights_read(const char *path, GptShape *shape, float **params) {
    *params = NULL;
    SafeTensors st;
    if (safetensors_read(path, &st) != 0) return -1;
    int rc = -1;
    if (check_format(&st, path, LM_WEIGHTS_FORMAT, LM_WEIGHTS_VERSION) == 0 && read_shape(&st, path, shape) == 0) {
        *params = xcalloc(gpt_n_params(shape), sizeof(float));
        rc = read_weights(&st, path, shape, *params);
        if (rc != 0) { free(*params); *params = NULL; }
    }
    safetensors_free(&st);
    return rc;
}

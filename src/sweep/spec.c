#include "sweep/spec.h"

#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/fmt.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "sweep/fields.h"

const char *const task_names[TASK_COUNT] = { "fashion-mnist", "sparse-parity", "zipf-concepts", "teacher-student",
                                             "manifold" };
const char *const family_names[FAMILY_COUNT] = { "mlp" };

int spec_is_world(const RunSpec *s) { return s->task > 0; }

WorldOptions spec_world(const RunSpec *s) {
    return (WorldOptions){ .kind = (WorldKind)(s->task - 1), .concepts = (int)s->world_concepts, .zipf = s->world_zipf,
                           .bits = (int)s->world_bits, .k = (int)s->world_k, .classes = (int)s->world_classes,
                           .teacher_width = (int)s->world_teacher_width, .teacher_depth = (int)s->world_teacher_depth,
                           .manifold_dim = (int)s->world_manifold_dim, .seed = (uint64_t)s->world_seed };
}

void task_info(const RunSpec *s, int *n_in, int *n_out, long *n_train) {
    if (spec_is_world(s)) {
        WorldOptions o = spec_world(s);
        int regression;
        world_resolve(&o, n_in, n_out, &regression);
        *n_train = 0;
        return;
    }
    *n_in = 784;
    *n_out = 10;
    *n_train = 60000;
}

static MlpShape spec_shape(const RunSpec *s);

void spec_model_label(const RunSpec *s, char *out, size_t n) {
    MlpShape sh = spec_shape(s);
    size_t k = (size_t)snprintf(out, n, "%d", sh.n_in);
    for (int l = 0; l < sh.depth && k < n; l++) k += (size_t)snprintf(out + k, n - k, "-%d", sh.hidden[l]);
    if (k < n) snprintf(out + k, n - k, "-%d", sh.n_out);
}

void spec_task_key(const RunSpec *s, char *out, size_t n) {
    if (!spec_is_world(s)) {
        snprintf(out, n, "%s val=%ld standardize=%d", task_names[s->task], s->val_size, s->standardize);
        return;
    }
    size_t k = (size_t)snprintf(out, n, "%s", task_names[s->task]);
    char value[64];
    for (int i = 0; i < spec_field_count && k < n; i++) {
        const Field *f = &spec_fields[i];
        if (strncmp(f->path, "world.", 6) != 0) continue;
        field_format(f, s, value, sizeof value);
        k += (size_t)snprintf(out + k, n - k, " %s=%s", f->path, value);
    }
}

void spec_defaults(RunSpec *s) {
    *s = (RunSpec){
        .task = 0, .val_size = 5000, .family = 0, .width = 128, .depth = 2,
        .act = ACT_RELU, .init = INIT_KAIMING_NORMAL, .bias_init = BIAS_ZERO, .loss = LOSS_CROSS_ENTROPY,
        .optim = OPTIM_ADAMW, .lr = -1, .wd = -1, .momentum = 0.9, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
        .schedule = SCHED_CONSTANT, .batch = 128, .budget = BUDGET_EPOCHS, .budget_value = 1, .evals = 10,
        .ticket_rate = 0.2, .ticket_output_rate = 0.1,
        .world_k = 3, .world_classes = 4, .world_teacher_width = 32, .world_teacher_depth = 2, .world_manifold_dim = 4,
        .world_eval_per_concept = 32, .world_zipf = 1.4, .probe_concepts = 8, .probe_lr = 0.1,
    };
}

static MlpShape spec_shape(const RunSpec *s) {
    MlpShape sh = { .depth = s->hidden_n, .act = (Activation)s->act };
    long n_train;
    task_info(s, &sh.n_in, &sh.n_out, &n_train);
    memcpy(sh.hidden, s->hidden, sizeof(int) * s->hidden_n);
    return sh;
}

int spec_resolve(RunSpec *s) {
    if (s->hidden_n == 0) {
        s->hidden_n = (int)s->depth;
        for (int l = 0; l < s->depth; l++) s->hidden[l] = (int)s->width;
    }
    s->depth = s->hidden_n;
    s->width = 0;
    for (int l = 0; l < s->hidden_n; l++)
        if (s->hidden[l] > s->width) s->width = s->hidden[l];
    OptimConfig d = optim_defaults((OptimKind)s->optim);
    if (s->lr < 0) s->lr = d.lr;
    if (s->wd < 0) s->wd = d.weight_decay;
    int n_in, n_out;
    long n_train;
    if (spec_is_world(s)) {
        WorldOptions o = spec_world(s);
        int regression;
        world_resolve(&o, &n_in, &n_out, &regression);
        s->world_concepts = o.concepts;
        s->world_bits = o.bits;
        if (regression && s->loss != LOSS_MSE)
            return jp_fail("model.loss: task %s has regression targets; set model.loss: mse", task_names[s->task]);
        if (s->world_k > s->world_bits && (o.kind == WORLD_SPARSE_PARITY || o.kind == WORLD_ZIPF_CONCEPTS))
            return jp_fail("world.k: %ld is more than world.bits %ld", s->world_k, s->world_bits);
        if (o.kind == WORLD_MANIFOLD && s->world_manifold_dim > s->world_bits)
            return jp_fail("world.manifold_dim: %ld is more than world.bits %ld", s->world_manifold_dim, s->world_bits);
        if (s->train_size == 0 && s->budget == BUDGET_EPOCHS)
            return jp_fail("budget.epochs: task %s draws fresh examples (task.train_size 0), so it has no epochs; "
                           "give budget.steps or budget.examples, or a task.train_size", task_names[s->task]);
    }
    task_info(s, &n_in, &n_out, &n_train);
    s->pool = spec_is_world(s) ? s->train_size : n_train - s->val_size;
    if (!spec_is_world(s) && s->train_size > s->pool)
        return jp_fail("task.train_size: %ld is more than the %ld examples left after task.val_size %ld", s->train_size,
                       s->pool, s->val_size);
    MlpShape sh = spec_shape(s);
    s->n_params = (long)mlp_n_params(&sh);
    double D = s->train_size ? s->train_size : s->pool, examples = 0;
    switch ((BudgetKind)s->budget) {
    case BUDGET_STEPS: examples = s->budget_value * s->batch; break;
    case BUDGET_EXAMPLES: examples = s->budget_value; break;
    case BUDGET_EPOCHS: examples = s->budget_value * D; break;
    case BUDGET_FLOPS: examples = s->budget_value / mlp_train_flops_per_example(&sh); break;
    case BUDGET_TOKENS_PER_PARAM: examples = s->budget_value * s->n_params; break;
    }
    s->steps = (long)ceil(examples / s->batch - 1e-9);
    if (s->steps < 1)
        return jp_fail("budget: resolves to %ld steps of batch %ld; it must give at least one", s->steps, s->batch);
    if (s->eval_every <= 0) s->eval_every = (s->steps + s->evals - 1) / s->evals;
    return 0;
}

static int cmp_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char *spec_canonical(const RunSpec *s, int with_seeds) {
    char *lines[64], value[512];
    int n = 0;
    for (int i = 0; i < spec_field_count; i++) {
        const Field *f = &spec_fields[i];
        if (!f->identity || (!with_seeds && f->type == F_SEED)) continue;
        if (!strncmp(f->path, "tickets.", 8) && s->ticket_rounds == 0 && s->ticket_target_density == 0)
            continue;   // plain runs keep their hashes
        if (!strncmp(f->path, "world.", 6) && !spec_is_world(s)) continue;
        field_format(f, s, value, sizeof value);
        lines[n] = xasprintf("%s=%s\n", f->path, value);
        n++;
    }
    lines[n++] = xasprintf("resolved.steps=%ld\n", s->steps);
    lines[n++] = xasprintf("resolved.eval_every=%ld\n", s->eval_every);
    lines[n++] = xasprintf("jackpot.semantics=1\n");
    qsort(lines, n, sizeof lines[0], cmp_lines);
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(lines[i]);
    char *out = xmalloc(len), *p = out;
    for (int i = 0; i < n; i++) {
        p = stpcpy(p, lines[i]);
        free(lines[i]);
    }
    return out;
}

void spec_hash(const RunSpec *s, int with_seeds, char out[17]) {
    char *text = spec_canonical(s, with_seeds);
    fnv1a_hex(text, out);
    free(text);
}

char *spec_json(const RunSpec *s) {
    char *text = NULL, value[64];
    size_t len = 0;
    FILE *out = xopen_memstream(&text, &len);
    fputc('{', out);
    for (int i = 0, first = 1; i < spec_field_count; i++) {
        const Field *f = &spec_fields[i];
        if (f->type == F_BUDGET) continue;
        if (!spec_is_world(s) && (!strncmp(f->path, "world.", 6) || !strncmp(f->path, "probe.", 6))) continue;
        if (!first) fputc(',', out);
        first = 0;
        json_key(out, f->path);
        field_format_json(f, s, out);
    }
    static const char *const budget_keys[] = { "steps", "examples", "epochs", "flops", "tokens_per_param" };
    format_real(value, sizeof value, s->budget_value);
    fprintf(out, ",\"budget.%s\":%s,\"resolved.steps\":%ld,\"resolved.eval_every\":%ld,\"resolved.n_params\":%ld}",
            budget_keys[s->budget], value, s->steps, s->eval_every, s->n_params);
    fclose(out);
    return text;
}

// The q most and q least frequent concepts the probes compare: probe.concepts, at most a quarter of
// the concepts each, but 2 (so each group has a pair) from 4 concepts on; none below 4.
static int spec_probe_concepts(const RunSpec *s) {
    long C = s->world_concepts, q = C / 4 > 2 ? C / 4 : 2;
    if (!spec_is_world(s) || C < 4) return 0;
    return (int)(s->probe_concepts < q ? s->probe_concepts : q);
}

TrainConfig spec_train_config(const RunSpec *s, int threads) {
    TrainConfig c = {
        .shape = spec_shape(s), .weight_init = (WeightInit)s->init, .bias_init = (BiasInit)s->bias_init,
        .loss = (LossKind)s->loss, .optim = optim_defaults((OptimKind)s->optim),
        .schedule = { .kind = (ScheduleKind)s->schedule, .warmup = s->warmup, .min_ratio = (float)s->min_lr_ratio },
        .batch = (int)s->batch, .steps = s->steps, .eval_every = s->eval_every, .train_size = s->train_size,
        .threads = threads, .eval_rows = 1000,
        .probe_concepts = spec_probe_concepts(s),
        .probe_lr = (float)s->probe_lr,
    };
    c.optim.lr = (float)s->lr;
    c.optim.weight_decay = (float)s->wd;
    c.optim.momentum = (float)s->momentum;
    c.optim.nesterov = s->nesterov;
    c.optim.beta1 = (float)s->beta1;
    c.optim.beta2 = (float)s->beta2;
    c.optim.eps = (float)s->eps;
    return c;
}

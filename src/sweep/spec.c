#include "sweep/spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "base/text.h"
#include "sweep/fields.h"

const char *const task_names[TASK_COUNT] = { "fashion-mnist" };
const char *const family_names[FAMILY_COUNT] = { "mlp" };

void task_info(int task, int *n_in, int *n_out, long *n_train) {
    (void)task;   // Fashion-MNIST is the only task so far
    *n_in = 784;
    *n_out = 10;
    *n_train = 60000;
}

void spec_defaults(RunSpec *s) {
    *s = (RunSpec){
        .task = 0, .val_size = 5000, .family = 0, .width = 128, .depth = 2,
        .act = ACT_RELU, .init = INIT_KAIMING_NORMAL, .bias_init = BIAS_ZERO, .loss = LOSS_CROSS_ENTROPY,
        .optim = OPTIM_ADAMW, .lr = -1, .wd = -1, .momentum = 0.9, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
        .schedule = SCHED_CONSTANT, .batch = 128, .budget = BUDGET_EPOCHS, .budget_value = 1, .evals = 10,
        .ticket_rate = 0.2, .ticket_output_rate = 0.1,
    };
}

static MlpShape spec_shape(const RunSpec *s) {
    MlpShape sh = { .depth = s->hidden_n, .act = (Activation)s->act };
    long n_train;
    task_info(s->task, &sh.n_in, &sh.n_out, &n_train);
    memcpy(sh.hidden, s->hidden, sizeof(int) * s->hidden_n);
    return sh;
}

int spec_resolve(RunSpec *s, char *err, size_t errlen) {
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
    task_info(s->task, &n_in, &n_out, &n_train);
    s->pool = n_train - s->val_size;
    if (s->train_size > s->pool) {
        snprintf(err, errlen, "task.train_size: %ld is more than the %ld examples left after task.val_size %ld",
                 s->train_size, s->pool, s->val_size);
        return -1;
    }
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
    if (s->steps < 1) {
        snprintf(err, errlen, "budget: resolves to %ld steps of batch %ld; it must give at least one", s->steps, s->batch);
        return -1;
    }
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
        field_format(f, s, value, sizeof value);
        if (asprintf(&lines[n], "%s=%s\n", f->path, value) < 0) return NULL;
        n++;
    }
    if (asprintf(&lines[n++], "resolved.steps=%ld\n", s->steps) < 0 ||
        asprintf(&lines[n++], "resolved.eval_every=%ld\n", s->eval_every) < 0 ||
        asprintf(&lines[n++], "jackpot.semantics=1\n") < 0)
        return NULL;
    qsort(lines, n, sizeof lines[0], cmp_lines);
    size_t len = 1;
    for (int i = 0; i < n; i++) len += strlen(lines[i]);
    char *out = malloc(len), *p = out;
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
    size_t cap = 8192, n = 0;
    char *out = malloc(cap), value[600];
    n += (size_t)snprintf(out + n, cap - n, "{");
    for (int i = 0; i < spec_field_count; i++) {
        const Field *f = &spec_fields[i];
        if (f->type == F_BUDGET) continue;
        field_format_json(f, s, value, sizeof value);
        n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":%s", i ? "," : "", f->path, value);
    }
    static const char *const budget_keys[] = { "steps", "examples", "epochs", "flops", "tokens_per_param" };
    format_real(value, sizeof value, s->budget_value);
    n += (size_t)snprintf(out + n, cap - n, ",\"budget.%s\":%s,\"resolved.steps\":%ld,\"resolved.eval_every\":%ld,"
                          "\"resolved.n_params\":%ld}", budget_keys[s->budget], value, s->steps, s->eval_every, s->n_params);
    return out;
}

TrainConfig spec_train_config(const RunSpec *s, int threads) {
    TrainConfig c = {
        .shape = spec_shape(s), .weight_init = (WeightInit)s->init, .bias_init = (BiasInit)s->bias_init,
        .loss = (LossKind)s->loss, .optim = optim_defaults((OptimKind)s->optim),
        .schedule = { .kind = (ScheduleKind)s->schedule, .warmup = s->warmup, .min_ratio = (float)s->min_lr_ratio },
        .batch = (int)s->batch, .steps = s->steps, .eval_every = s->eval_every, .train_size = s->train_size,
        .threads = threads, .eval_rows = 1000,
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

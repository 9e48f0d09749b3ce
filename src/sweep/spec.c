#include "sweep/spec.h"

#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include "base/error.h"
#include "base/fmt.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "sweep/fields.h"

const char *const task_names[TASK_COUNT] = { "fashion-mnist", "sparse-parity", "zipf-concepts", "teacher-student",
                                             "manifold", "text", "task-mixture" };
const char *const family_names[FAMILY_COUNT] = { "mlp", "gpt" };

int spec_is_world(const RunSpec *s) { return s->task > 0 && s->task != TASK_TEXT; }
int spec_is_text(const RunSpec *s) { return s->task == TASK_TEXT; }
int spec_is_gpt(const RunSpec *s) { return s->family == FAMILY_GPT; }

WorldOptions spec_world(const RunSpec *s) {
    // task.name's order is the order tasks were added (text before task-mixture); WorldKind's has only worlds
    WorldKind kind = s->task == TASK_MIXTURE ? WORLD_TASK_MIXTURE : (WorldKind)(s->task - 1);
    return (WorldOptions){ .kind = kind, .concepts = (int)s->world_concepts, .zipf = s->world_zipf,
                           .spectrum = s->world_spectrum, .shared_inputs = s->world_shared_inputs,
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
    if (spec_is_text(s)) {   // bytes in, bytes out; the corpus's size is known once it is read
        *n_in = *n_out = GPT_VOCAB;
        *n_train = 0;
        return;
    }
    *n_in = 784;
    *n_out = 10;
    *n_train = 60000;
}

static MlpShape spec_shape(const RunSpec *s);

void spec_model_label(const RunSpec *s, char *out, size_t n) {
    if (spec_is_gpt(s)) {
        snprintf(out, n, "gpt C%ld L%ld H%ld T%ld", s->d_model, s->n_layer, s->n_head, s->context);
        return;
    }
    MlpShape sh = spec_shape(s);
    size_t k = (size_t)snprintf(out, n, "%d", sh.n_in);
    for (int l = 0; l < sh.depth && k < n; l++) k += (size_t)snprintf(out + k, n - k, "-%d", sh.hidden[l]);
    if (k < n) snprintf(out + k, n - k, "-%d", sh.n_out);
}

void spec_task_key(const RunSpec *s, char *out, size_t n) {
    if (spec_is_text(s)) {
        snprintf(out, n, "text path=%s val=%ld,%.17g test=%ld,%.17g block=%ld", s->text_path, s->text_val_bytes,
                 s->text_val_fraction, s->text_test_bytes, s->text_test_fraction, s->text_block);
        return;
    }
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
        .world_eval_per_concept = 32, .world_zipf = 1.4, .world_spectrum = 1.0, .inject_share = 0.5,
        .probe_concepts = 8, .probe_lr = 0.1,
        .d_model = 64, .n_layer = 2, .n_head = 4, .context = 64, .tie_embeddings = 1, .clip = 1.0,
        .text_val_fraction = 0.01, .text_test_fraction = 0.01, .text_block = 65536, .checkpoint_minutes = 10,
    };
}

static MlpShape spec_shape(const RunSpec *s) {
    MlpShape sh = { .depth = s->hidden_n, .act = (Activation)s->act };
    long n_train;
    task_info(s, &sh.n_in, &sh.n_out, &n_train);
    memcpy(sh.hidden, s->hidden, sizeof(int) * s->hidden_n);
    return sh;
}

GptShape spec_gpt_shape(const RunSpec *s) {
    return (GptShape){ .d_model = (int)s->d_model, .n_layer = (int)s->n_layer, .n_head = (int)s->n_head,
                       .d_ff = (int)(s->d_ff ? s->d_ff : 4 * s->d_model), .context = (int)s->context,
                       .tie_embeddings = s->tie_embeddings };
}

TextSplit spec_text_split(const RunSpec *s) {
    TextSplit t = text_split_default();
    t.val_bytes = s->text_val_bytes;
    t.test_bytes = s->text_test_bytes;
    t.val_fraction = s->text_val_fraction;
    t.test_fraction = s->text_test_fraction;
    t.block = s->text_block;
    return t;
}

// A gpt run: the shape, N (Kaplan) and the total, and the budget in tokens of batch·context per step.
static int spec_resolve_gpt(RunSpec *s) {
    if (!spec_is_text(s))
        return jp_fail("model.family: gpt trains on text; set task.name: text (and task.path), not %s", task_names[s->task]);
    if (!s->text_path[0]) return jp_fail("task.path: a text task needs a file, a folder or a .gz/.dz file");
    if (access(s->text_path, R_OK) != 0)   // checked before anything trains; the corpus is read later
        return jp_fail("task.path: %s: %s", s->text_path, strerror(errno));
    if (s->d_ff == 0) s->d_ff = 4 * s->d_model;
    GptShape sh = spec_gpt_shape(s);
    if (gpt_shape_check(&sh) != 0) return jp_fail("model: %s", jp_error());
    OptimConfig d = optim_defaults((OptimKind)s->optim);
    if (s->lr < 0) s->lr = d.lr;
    if (s->wd < 0) s->wd = d.weight_decay;
    s->n_params = (long)gpt_n_params_nonembedding(&sh);
    s->n_params_total = (long)gpt_n_params(&sh);
    s->width = s->d_model;   // the store's width and depth columns: d_model and n_layer
    s->depth = s->n_layer;
    s->hidden_n = 0;
    s->pool = 0;   // the corpus's size is known when it is read
    double per_step = (double)s->batch * (double)s->context, tokens = 0;
    switch ((BudgetKind)s->budget) {
    case BUDGET_STEPS: tokens = s->budget_value * per_step; break;
    case BUDGET_EXAMPLES: tokens = s->budget_value * (double)s->context; break;
    case BUDGET_EPOCHS:
        if (!s->train_size)
            return jp_fail("budget.epochs: give task.train_size (the tokens per member) with it, or budget.tokens / steps");
        tokens = s->budget_value * (double)s->train_size;
        break;
    case BUDGET_FLOPS: tokens = s->budget_value / gpt_train_flops_per_token(&sh); break;
    case BUDGET_TOKENS_PER_PARAM: tokens = s->budget_value * (double)s->n_params; break;
    case BUDGET_TOKENS: tokens = s->budget_value; break;
    }
    s->steps = (long)ceil(tokens / per_step - 1e-9);
    if (s->steps < 1)
        return jp_fail("budget: resolves to %ld steps of %ld sequences of %ld bytes; it must give at least one", s->steps,
                       s->batch, s->context);
    if (s->eval_every <= 0) s->eval_every = (s->steps + s->evals - 1) / s->evals;
    return 0;
}

int spec_resolve(RunSpec *s) {
    if (s->inject_steps > 0 && (!spec_is_world(s) || spec_is_gpt(s)))
        return jp_fail("injection.steps: the injection experiment needs a toy world's tasks, not %s", task_names[s->task]);
    if (spec_is_gpt(s)) return spec_resolve_gpt(s);
    if (spec_is_text(s)) return jp_fail("task.name: text is for model.family: gpt");
    if (s->budget == BUDGET_TOKENS) return jp_fail("budget.tokens: for model.family: gpt; an mlp takes budget.steps, examples, epochs, flops or tokens_per_param");
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
        if (o.kind == WORLD_TASK_MIXTURE && s->loss != LOSS_HEAD)
            return jp_fail("model.loss: task %s trains one head per task; set model.loss: head", task_names[s->task]);
        if (o.kind != WORLD_TASK_MIXTURE && regression && s->loss != LOSS_MSE)
            return jp_fail("model.loss: task %s has regression targets; set model.loss: mse", task_names[s->task]);
        if (s->inject_steps > 0 && (s->inject_task < 0 || s->inject_task >= o.concepts))
            return jp_fail("injection.task: %ld is not a concept of this world (0 to %d)", s->inject_task, o.concepts - 1);
        if (s->inject_steps > 0 && !(s->inject_share > 0 && s->inject_share <= 1))
            return jp_fail("injection.share: %g must be in (0, 1]", s->inject_share);
        if (s->world_k > s->world_bits && (o.kind == WORLD_SPARSE_PARITY || o.kind == WORLD_ZIPF_CONCEPTS))
            return jp_fail("world.k: %ld is more than world.bits %ld", s->world_k, s->world_bits);
        if (o.kind == WORLD_MANIFOLD && s->world_manifold_dim > s->world_bits)
            return jp_fail("world.manifold_dim: %ld is more than world.bits %ld", s->world_manifold_dim, s->world_bits);
        if (s->train_size == 0 && s->budget == BUDGET_EPOCHS)
            return jp_fail("budget.epochs: task %s draws fresh examples (task.train_size 0), so it has no epochs; "
                           "give budget.steps or budget.examples, or a task.train_size", task_names[s->task]);
    }
    if (s->loss == LOSS_HEAD && s->task != TASK_MIXTURE)
        return jp_fail("model.loss: head (one head per task) is for task.name task-mixture, not %s", task_names[s->task]);
    task_info(s, &n_in, &n_out, &n_train);
    s->pool = spec_is_world(s) ? s->train_size : n_train - s->val_size;
    if (!spec_is_world(s) && s->train_size > s->pool)
        return jp_fail("task.train_size: %ld is more than the %ld examples left after task.val_size %ld", s->train_size,
                       s->pool, s->val_size);
    MlpShape sh = spec_shape(s);
    s->n_params = s->n_params_total = (long)mlp_n_params(&sh);
    double D = s->train_size ? s->train_size : s->pool, examples = 0;
    switch ((BudgetKind)s->budget) {
    case BUDGET_STEPS: examples = s->budget_value * s->batch; break;
    case BUDGET_EXAMPLES: examples = s->budget_value; break;
    case BUDGET_EPOCHS: examples = s->budget_value * D; break;
    case BUDGET_FLOPS: examples = s->budget_value / mlp_train_flops_per_example(&sh); break;
    case BUDGET_TOKENS_PER_PARAM: examples = s->budget_value * s->n_params; break;
    case BUDGET_TOKENS: break;   // refused above
    }
    s->steps = (long)ceil(examples / s->batch - 1e-9);
    if (s->steps < 1)
        return jp_fail("budget: resolves to %ld steps of batch %ld; it must give at least one", s->steps, s->batch);
    if (s->eval_every <= 0) s->eval_every = (s->steps + s->evals - 1) / s->evals;
    return 0;
}

// Whether a field says something about this spec's run: a family's or a task's own fields only
// for that family or task (so adding gpt and text left every mlp run's hash as it was).
static int field_applies(const Field *f, const RunSpec *s) {
    static const char *const mlp_only[] = { "model.hidden", "model.act", "model.init", "model.bias_init", "model.loss",
                                            "model.width", "model.depth" };
    static const char *const gpt_only[] = { "model.d_model", "model.n_layer", "model.n_head", "model.d_ff",
                                            "model.context", "model.tie_embeddings", "optim.clip",
                                            "budget.checkpoint_minutes", "budget.checkpoint_steps" };
    for (size_t i = 0; i < sizeof mlp_only / sizeof *mlp_only; i++)
        if (!strcmp(f->path, mlp_only[i])) return !spec_is_gpt(s);
    for (size_t i = 0; i < sizeof gpt_only / sizeof *gpt_only; i++)
        if (!strcmp(f->path, gpt_only[i])) return spec_is_gpt(s);
    if (!strcmp(f->path, "world.spectrum") || !strcmp(f->path, "world.shared_inputs")) return s->task == TASK_MIXTURE;
    if (!strncmp(f->path, "injection.", 10)) return s->inject_steps > 0 && spec_is_world(s);
    int text_field = !strcmp(f->path, "task.path") || !strncmp(f->path, "task.val_", 9) ||
                     !strncmp(f->path, "task.test_", 10) || !strcmp(f->path, "task.split_block");
    if (text_field && strcmp(f->path, "task.val_size")) return spec_is_text(s);
    if (!strcmp(f->path, "task.val_size") || !strcmp(f->path, "task.standardize")) return !spec_is_text(s);
    return 1;
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
        if (!field_applies(f, s)) continue;
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
        if (!field_applies(f, s)) continue;
        if (!first) fputc(',', out);
        first = 0;
        json_key(out, f->path);
        field_format_json(f, s, out);
    }
    static const char *const budget_keys[] = { "steps", "examples", "epochs", "flops", "tokens_per_param", "tokens" };
    format_real(value, sizeof value, s->budget_value);
    fprintf(out, ",\"budget.%s\":%s,\"resolved.steps\":%ld,\"resolved.eval_every\":%ld,\"resolved.n_params\":%ld",
            budget_keys[s->budget], value, s->steps, s->eval_every, s->n_params);
    if (spec_is_gpt(s)) {   // n_params is Kaplan's N (what laws fit); the total beside it
        GptShape sh = spec_gpt_shape(s);
        fprintf(out, ",\"resolved.n_params_total\":%ld,\"resolved.flops_per_token\":", s->n_params_total);
        json_num(out, gpt_train_flops_per_token(&sh));
    }
    fputc('}', out);
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

// The optimiser a run's fields set (both families).
static OptimConfig spec_optim(const RunSpec *s) {
    OptimConfig o = optim_defaults((OptimKind)s->optim);
    o.lr = (float)s->lr;
    o.weight_decay = (float)s->wd;
    o.momentum = (float)s->momentum;
    o.nesterov = s->nesterov;
    o.beta1 = (float)s->beta1;
    o.beta2 = (float)s->beta2;
    o.eps = (float)s->eps;
    return o;
}

LmConfig spec_lm_config(const RunSpec *s, int threads) {
    LmConfig c = lm_config_defaults();
    c.shape = spec_gpt_shape(s);
    c.optim = spec_optim(s);
    c.schedule = (Schedule){ .kind = (ScheduleKind)s->schedule, .warmup = s->warmup, .min_ratio = (float)s->min_lr_ratio };
    c.clip = (float)s->clip;
    c.batch = (int)s->batch;
    c.steps = s->steps;
    c.D = s->train_size;
    c.eval_every = s->eval_every;
    c.threads = threads;
    c.checkpoint_every_steps = s->checkpoint_steps;
    c.checkpoint_every_s = 60.0 * s->checkpoint_minutes;
    return c;
}

long spec_total_steps(const RunSpec *s) {
    return s->steps + (s->inject_steps > 0 ? s->inject_steps + s->inject_return_steps : 0);
}

TrainConfig spec_train_config(const RunSpec *s, int threads) {
    TrainConfig c = {
        .shape = spec_shape(s), .weight_init = (WeightInit)s->init, .bias_init = (BiasInit)s->bias_init,
        .loss = (LossKind)s->loss, .optim = spec_optim(s),
        .schedule = { .kind = (ScheduleKind)s->schedule, .warmup = s->warmup, .min_ratio = (float)s->min_lr_ratio },
        .batch = (int)s->batch, .steps = s->steps, .eval_every = s->eval_every, .train_size = s->train_size,
        .threads = threads, .eval_rows = 1000,
        .probe_concepts = spec_probe_concepts(s),
        .probe_lr = (float)s->probe_lr,
    };
    if (s->inject_steps > 0 && spec_is_world(s))
        c.injection = (Injection){ .task = (int)s->inject_task, .share = s->inject_share, .steps = s->inject_steps,
                                   .return_steps = s->inject_return_steps };
    return c;
}

#include "sweep/fields.h"

#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "base/fmt.h"
#include "base/names.h"

#define OFF(member) offsetof(RunSpec, member)
#define ENUM(table, n) .names = table, .n_names = n

const Field spec_fields[] = {
    { "task.name", F_ENUM, OFF(task), 0, 0, ENUM(task_names, TASK_COUNT), 1, 0 },
    { "task.data_dir", F_STRING, OFF(data_dir), 0, 255, NULL, 0, 0, 0 },
    { "task.val_size", F_INT, OFF(val_size), 0, 59999, NULL, 0, 1, 0 },
    { "task.standardize", F_BOOL, OFF(standardize), 0, 1, NULL, 0, 1, 0 },
    { "task.train_size", F_INT, OFF(train_size), 0, 1e9, NULL, 0, 1, 0 },   // Fashion-MNIST: checked against the pool
    // text: part of the identity only when task.name is text (see spec_canonical)
    { "task.path", F_STRING, OFF(text_path), 0, 255, NULL, 0, 1, 0 },
    { "task.val_bytes", F_INT, OFF(text_val_bytes), 0, 1e12, NULL, 0, 1, 0 },
    { "task.test_bytes", F_INT, OFF(text_test_bytes), 0, 1e12, NULL, 0, 1, 0 },
    { "task.val_fraction", F_REAL, OFF(text_val_fraction), 0, 0.5, NULL, 0, 1, 0 },
    { "task.test_fraction", F_REAL, OFF(text_test_fraction), 0, 0.5, NULL, 0, 1, 0 },
    { "task.split_block", F_INT, OFF(text_block), 1, 1e12, NULL, 0, 1, 0 },
    { "model.family", F_ENUM, OFF(family), 0, 0, ENUM(family_names, FAMILY_COUNT), 1, 0 },
    { "model.width", F_INT, OFF(width), 1, 65536, NULL, 0, 0, 0 },      // resolved into model.hidden
    { "model.depth", F_INT, OFF(depth), 0, MLP_MAX_DEPTH, NULL, 0, 0, 0 },
    { "model.hidden", F_INT_LIST, OFF(hidden), 1, 65536, NULL, 0, 1, 0 },
    { "model.act", F_ENUM, OFF(act), 0, 0, ENUM(act_names, 3), 1, 0 },  // not "identity"
    { "model.init", F_ENUM, OFF(init), 0, 0, ENUM(weight_init_names, WEIGHT_INIT_COUNT), 1, 0 },
    { "model.bias_init", F_ENUM, OFF(bias_init), 0, 0, ENUM(bias_init_names, BIAS_INIT_COUNT), 1, 0 },
    { "model.loss", F_ENUM, OFF(loss), 0, 0, ENUM(loss_names, LOSS_COUNT), 1, 0 },
    // gpt: part of the identity only when model.family is gpt (and model.hidden… only for mlp)
    { "model.d_model", F_INT, OFF(d_model), 1, 65536, NULL, 0, 1, 0 },
    { "model.n_layer", F_INT, OFF(n_layer), 1, 1024, NULL, 0, 1, 0 },
    { "model.n_head", F_INT, OFF(n_head), 1, 1024, NULL, 0, 1, 0 },
    { "model.d_ff", F_INT, OFF(d_ff), 0, 1 << 20, NULL, 0, 1, 0 },      // 0: 4·d_model
    { "model.context", F_INT, OFF(context), 1, 1 << 20, NULL, 0, 1, 0 },
    { "model.tie_embeddings", F_BOOL, OFF(tie_embeddings), 0, 1, NULL, 0, 1, 0 },
    { "optim.clip", F_REAL, OFF(clip), 0, 1e9, NULL, 0, 1, 0 },         // gpt only; 0 = no clipping
    { "optim.name", F_ENUM, OFF(optim), 0, 0, ENUM(optim_names, OPTIM_COUNT), 1, 0 },
    { "optim.lr", F_REAL, OFF(lr), 1e-12, 10, NULL, 0, 1, 0 },
    { "optim.wd", F_REAL, OFF(wd), 0, 10, NULL, 0, 1, 0 },
    { "optim.momentum", F_REAL, OFF(momentum), 0, 0.999999, NULL, 0, 1, 0 },
    { "optim.nesterov", F_BOOL, OFF(nesterov), 0, 1, NULL, 0, 1, 0 },
    { "optim.beta1", F_REAL, OFF(beta1), 0, 0.999999999, NULL, 0, 1, 0 },
    { "optim.beta2", F_REAL, OFF(beta2), 0, 0.999999999, NULL, 0, 1, 0 },
    { "optim.eps", F_REAL, OFF(eps), 1e-30, 1, NULL, 0, 1, 0 },
    { "schedule.name", F_ENUM, OFF(schedule), 0, 0, ENUM(schedule_names, SCHEDULE_COUNT), 1, 0 },
    { "schedule.warmup", F_INT, OFF(warmup), 0, 1e12, NULL, 0, 1, 0 },
    { "schedule.min_lr_ratio", F_REAL, OFF(min_lr_ratio), 0, 1, NULL, 0, 1, 0 },
    { "budget.batch", F_INT, OFF(batch), 1, 65536, NULL, 0, 1, 0 },
    { "budget.steps", F_BUDGET, OFF(budget_value), 0, 1e12, NULL, 0, 0, BUDGET_STEPS },
    { "budget.examples", F_BUDGET, OFF(budget_value), 1, 1e15, NULL, 0, 0, BUDGET_EXAMPLES },
    { "budget.epochs", F_BUDGET, OFF(budget_value), 1e-6, 1e6, NULL, 0, 0, BUDGET_EPOCHS },
    { "budget.flops", F_BUDGET, OFF(budget_value), 1, 1e24, NULL, 0, 0, BUDGET_FLOPS },
    { "budget.tokens_per_param", F_BUDGET, OFF(budget_value), 1e-6, 1e9, NULL, 0, 0, BUDGET_TOKENS_PER_PARAM },
    { "budget.tokens", F_BUDGET, OFF(budget_value), 1, 1e18, NULL, 0, 0, BUDGET_TOKENS },   // gpt only
    { "budget.checkpoint_minutes", F_REAL, OFF(checkpoint_minutes), 0, 1e6, NULL, 0, 0, 0 },   // gpt only
    { "budget.checkpoint_steps", F_INT, OFF(checkpoint_steps), 0, 1e12, NULL, 0, 0, 0 },       // gpt only
    { "budget.eval_every", F_INT, OFF(eval_every), 0, 1e12, NULL, 0, 0, 0 },   // resolved into the identity
    { "budget.evals", F_INT, OFF(evals), 1, 100000, NULL, 0, 0, 0 },
    { "seed.init", F_SEED, OFF(init_seed), 0, 1.8e19, NULL, 0, 1, 0 },
    { "seed.data", F_SEED, OFF(data_seed), 0, 1.8e19, NULL, 0, 1, 0 },
    // lottery tickets: part of the identity only when tickets.rounds > 0 (see spec_canonical)
    { "tickets.rounds", F_INT, OFF(ticket_rounds), 0, 100, NULL, 0, 1, 0 },
    { "tickets.target_density", F_REAL, OFF(ticket_target_density), 0, 1, NULL, 0, 1, 0 },
    { "tickets.rate", F_REAL, OFF(ticket_rate), 0.001, 0.999, NULL, 0, 1, 0 },
    { "tickets.output_rate", F_REAL, OFF(ticket_output_rate), 0, 0.999, NULL, 0, 1, 0 },
    { "tickets.global", F_BOOL, OFF(ticket_global), 0, 1, NULL, 0, 1, 0 },
    { "tickets.rewind_step", F_INT, OFF(ticket_rewind_step), 0, 1e12, NULL, 0, 1, 0 },
    { "tickets.reinit", F_BOOL, OFF(ticket_reinit), 0, 1, NULL, 0, 1, 0 },
    { "tickets.random_mask", F_BOOL, OFF(ticket_random_mask), 0, 1, NULL, 0, 1, 0 },
    { "tickets.oneshot", F_BOOL, OFF(ticket_oneshot), 0, 1, NULL, 0, 1, 0 },
    { "tickets.instability_points", F_INT, OFF(ticket_instability_points), 0, 101, NULL, 0, 1, 0 },
    // toy worlds (data/world.h): part of the identity only when task.name is one of them
    { "world.concepts", F_INT, OFF(world_concepts), 0, 100000, NULL, 0, 1, 0 },    // 0: the task's default
    { "world.zipf", F_REAL, OFF(world_zipf), 0, 10, NULL, 0, 1, 0 },
    { "world.bits", F_INT, OFF(world_bits), 0, 4000, NULL, 0, 1, 0 },              // 0: the task's default
    { "world.k", F_INT, OFF(world_k), 1, 64, NULL, 0, 1, 0 },
    { "world.classes", F_INT, OFF(world_classes), 2, 1000, NULL, 0, 1, 0 },
    { "world.teacher_width", F_INT, OFF(world_teacher_width), 1, 1024, NULL, 0, 1, 0 },
    { "world.teacher_depth", F_INT, OFF(world_teacher_depth), 1, MLP_MAX_DEPTH, NULL, 0, 1, 0 },
    { "world.manifold_dim", F_INT, OFF(world_manifold_dim), 1, 64, NULL, 0, 1, 0 },
    { "world.seed", F_INT, OFF(world_seed), 0, 1e15, NULL, 0, 1, 0 },
    { "world.eval_per_concept", F_INT, OFF(world_eval_per_concept), 1, 1000, NULL, 0, 1, 0 },
    { "world.spectrum", F_REAL, OFF(world_spectrum), 0, 10, NULL, 0, 1, 0 },       // task-mixture only
    { "world.shared_inputs", F_BOOL, OFF(world_shared_inputs), 0, 1, NULL, 0, 1, 0 },   // task-mixture only
    // the injection experiment (toy worlds): part of the identity only when injection.steps > 0
    { "injection.task", F_INT, OFF(inject_task), 0, 100000, NULL, 0, 1, 0 },
    { "injection.share", F_REAL, OFF(inject_share), 0, 1, NULL, 0, 1, 0 },
    { "injection.steps", F_INT, OFF(inject_steps), 0, 1e12, NULL, 0, 1, 0 },
    { "injection.return_steps", F_INT, OFF(inject_return_steps), 0, 1e12, NULL, 0, 1, 0 },
    // what is measured, not what is trained
    { "probe.concepts", F_INT, OFF(probe_concepts), 0, 64, NULL, 0, 0, 0 },
    { "probe.lr", F_REAL, OFF(probe_lr), 0, 100, NULL, 0, 0, 0 },
};
const int spec_field_count = sizeof spec_fields / sizeof spec_fields[0];

const Field *field_find(const char *path) {
    for (int i = 0; i < spec_field_count; i++)
        if (strcmp(spec_fields[i].path, path) == 0) return &spec_fields[i];
    return NULL;
}

#define AT(s, f, type) ((type *)((char *)(s) + (f)->offset))
#define AT_CONST(s, f, type) ((const type *)((const char *)(s) + (f)->offset))

void field_describe(const Field *f, char *out, size_t outlen) {
    switch (f->type) {
    case F_INT: snprintf(out, outlen, "an integer in [%.0f, %.0f]", f->min, f->max); break;
    case F_SEED: snprintf(out, outlen, "a non-negative integer"); break;
    case F_REAL: case F_BUDGET: snprintf(out, outlen, "a number in [%g, %g]", f->min, f->max); break;
    case F_BOOL: snprintf(out, outlen, "true or false"); break;
    case F_STRING: snprintf(out, outlen, "a string of at most %.0f characters", f->max); break;
    case F_INT_LIST: snprintf(out, outlen, "a list of 1 to %d integers in [%.0f, %.0f]", MLP_MAX_DEPTH, f->min, f->max); break;
    case F_ENUM: {
        size_t n = (size_t)snprintf(out, outlen, "one of ");
        for (int i = 0; i < f->n_names && n < outlen; i++)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? ", " : "", f->names[i]);
        break;
    }
    }
}

static int parse_integer(const char *text, double min, double max, long *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);   // 1e6 is an integer too
    if (errno || end == text || *end || v != floor(v) || v < min || v > max) return -1;
    *out = (long)v;
    return 0;
}

static int fail_expected(const Field *f, const char *text) {
    char what[256];
    field_describe(f, what, sizeof what);
    return jp_fail("expected %s, got '%s'", what, text);
}

int field_set_scalar(const Field *f, RunSpec *s, const char *text) {
    switch (f->type) {
    case F_INT: {
        long v;
        if (parse_integer(text, f->min, f->max, &v) != 0) return fail_expected(f, text);
        *AT(s, f, long) = v;
        return 0;
    }
    case F_SEED: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno || end == text || *end || text[0] == '-') return fail_expected(f, text);
        *AT(s, f, uint64_t) = v;
        return 0;
    }
    case F_REAL: case F_BUDGET: {
        char *end;
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || *end || !(v >= f->min && v <= f->max)) return fail_expected(f, text);
        *AT(s, f, double) = v;
        if (f->type == F_BUDGET) s->budget = f->budget_kind;
        return 0;
    }
    case F_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes")) *AT(s, f, int) = 1;
        else if (!strcasecmp(text, "false") || !strcasecmp(text, "no")) *AT(s, f, int) = 0;
        else return fail_expected(f, text);
        return 0;
    case F_STRING:
        if (strlen(text) > (size_t)f->max) return fail_expected(f, text);
        snprintf(AT(s, f, char), (size_t)f->max + 1, "%s", text);
        return 0;
    case F_ENUM: {
        int i = name_index(f->names, f->n_names, text);
        if (i < 0) return fail_expected(f, text);
        *AT(s, f, int) = i;
        return 0;
    }
    case F_INT_LIST:
        return jp_fail("expected a list like [300, 100], got '%s'", text);
    }
    return -1;
}

int field_set_list(const Field *f, RunSpec *s, const char *const *items, int n) {
    if (f->type != F_INT_LIST) {
        char what[256];
        field_describe(f, what, sizeof what);
        return jp_fail("expected %s, got a list", what);
    }
    if (n < 1 || n > MLP_MAX_DEPTH) return jp_fail("expected 1 to %d widths, got %d", MLP_MAX_DEPTH, n);
    for (int i = 0; i < n; i++) {
        long v;
        if (parse_integer(items[i], f->min, f->max, &v) != 0) return fail_expected(f, items[i]);
        s->hidden[i] = (int)v;
    }
    s->hidden_n = n;
    return 0;
}

void field_format(const Field *f, const RunSpec *s, char *out, size_t outlen) {
    switch (f->type) {
    case F_INT: snprintf(out, outlen, "%ld", *AT_CONST(s, f, long)); break;
    case F_SEED: snprintf(out, outlen, "%llu", (unsigned long long)*AT_CONST(s, f, uint64_t)); break;
    case F_REAL: case F_BUDGET: format_real(out, outlen, *AT_CONST(s, f, double)); break;
    case F_BOOL: snprintf(out, outlen, "%s", *AT_CONST(s, f, int) ? "true" : "false"); break;
    case F_STRING: snprintf(out, outlen, "%s", AT_CONST(s, f, char)); break;
    case F_ENUM: snprintf(out, outlen, "%s", f->names[*AT_CONST(s, f, int)]); break;
    case F_INT_LIST: {
        size_t n = 0;
        out[0] = 0;
        for (int i = 0; i < s->hidden_n && n < outlen; i++)
            n += (size_t)snprintf(out + n, outlen - n, "%s%d", i ? "," : "", s->hidden[i]);
        break;
    }
    }
}

void field_format_json(const Field *f, const RunSpec *s, FILE *out) {
    char text[512];
    field_format(f, s, text, sizeof text);
    if (f->type == F_ENUM || f->type == F_STRING) json_str(out, text);   // paths and names escaped as JSON
    else if (f->type == F_INT_LIST) fprintf(out, "[%s]", text);
    else if (f->type == F_REAL || f->type == F_BUDGET) json_num(out, *AT_CONST(s, f, double));   // the one JSON number writer
    else fputs(text, out);
}

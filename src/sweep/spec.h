// A run spec: every resolved hyper-parameter of one training run, and its identity.
//
// Identity. The canonical form of a spec is one line "path=value" per identity
// field (every field below except task.data_dir, which says where the data is,
// not what it is), sorted by path, with the budget resolved to
// budget.steps and evaluation to budget.eval_every, plus the line
// "jackpot.semantics=1" (bumped if training semantics ever change). Integers are
// printed in decimal, reals with %.17g, enums and strings by name, lists
// comma-separated. The run hash is FNV-1a 64 of that text, as 16 hex digits; the
// group hash is the same without init_seed and data_seed. So key order, number
// formatting (1e-3 or 0.001) and how the budget was written (epochs or steps)
// never change a hash; any change to what is trained does.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "data/world.h"
#include "nn/mlp.h"
#include "train/lm.h"
#include "train/trainer.h"

// For gpt runs a step is batch·context tokens: examples are sequences, epochs are passes over
// the member's D tokens, FLOPs are tokens · gpt_train_flops_per_token, tokens_per_param is per
// non-embedding parameter (Kaplan's N).
typedef enum { BUDGET_STEPS, BUDGET_EXAMPLES, BUDGET_EPOCHS, BUDGET_FLOPS, BUDGET_TOKENS_PER_PARAM, BUDGET_TOKENS } BudgetKind;

enum { FAMILY_MLP = 0, FAMILY_GPT = 1 };
enum { TASK_FASHION = 0, TASK_TEXT = 5, TASK_MIXTURE = 6 };

typedef struct {
    // task
    int task;                 // index into task_names
    char data_dir[256];       // "" = the default; not part of the identity
    long val_size;
    int standardize;
    long train_size;          // D; 0 = the whole pool (text: training tokens per member)
    // text (task.name text): part of the identity only for it
    char text_path[256];      // a file, a folder, or .gz/.dz files
    long text_val_bytes, text_test_bytes;   // 0: text_val_fraction / text_test_fraction of the corpus
    double text_val_fraction, text_test_fraction;
    long text_block;          // split units longer than this are cut into blocks
    // model
    int family;               // index into family_names
    long width, depth;
    int hidden_n;             // > 0: explicit widths override width × depth
    int hidden[MLP_MAX_DEPTH];
    int act, init, bias_init, loss;
    // gpt (model.family gpt): part of the identity only for it, as model.hidden… only for mlp
    long d_model, n_layer, n_head, d_ff, context;   // d_ff 0: 4·d_model
    int tie_embeddings;
    double clip;              // gradient clipping by global norm (0 = off); gpt only
    // optimiser (lr, wd < 0: the optimiser's default)
    int optim;
    double lr, wd, momentum, beta1, beta2, eps;
    int nesterov;
    // schedule
    int schedule;
    long warmup;
    double min_lr_ratio;
    // budget: one of five ways to say how long, resolved to steps
    long batch;
    int budget;               // BudgetKind
    double budget_value;
    long eval_every;          // 0: from evals
    long evals;               // evaluations after step 0 when eval_every is 0
    double checkpoint_minutes;  // gpt: a group's checkpoint every so many minutes (0 = off); not identity
    long checkpoint_steps;    // gpt: and/or every so many steps (0 = off); not identity
    // seeds
    uint64_t init_seed, data_seed;
    // lottery tickets (jackpot tickets): iterative magnitude pruning; rounds = 0 for plain runs
    long ticket_rounds, ticket_rewind_step, ticket_instability_points;
    double ticket_rate, ticket_output_rate, ticket_target_density;
    int ticket_global, ticket_reinit, ticket_random_mask, ticket_oneshot;
    // toy worlds (every task but fashion-mnist; data/world.h): part of the identity only for them
    long world_concepts, world_bits, world_k, world_classes, world_teacher_width, world_teacher_depth;
    long world_manifold_dim, world_seed, world_eval_per_concept;
    double world_zipf;
    double world_spectrum;    // task-mixture only (part of the identity only for it), as world_shared_inputs
    int world_shared_inputs;
    // the injection experiment (Huang, Lubana et al. 2026), toy worlds: after `steps`, inject_steps
    // more on a stream where concept inject_task has probability inject_share, then
    // inject_return_steps back on the base mixture. Part of the identity only when inject_steps > 0.
    long inject_task, inject_steps, inject_return_steps;
    double inject_share;
    long probe_concepts;      // interference probes: q most and q least frequent concepts (0 = off)
    double probe_lr;
    // resolved by spec_resolve
    long steps, n_params, pool;   // gpt: n_params = Kaplan's non-embedding N
    long n_params_total;      // every parameter (gpt: embeddings included; mlp: = n_params)
} RunSpec;

void spec_defaults(RunSpec *s);

// Fills steps, eval_every, lr/wd defaults, n_params; checks what needs the
// whole spec (train_size against the pool). On error records jp_error() (base/error.h), returns −1.
int spec_resolve(RunSpec *s);

// The canonical text (caller frees) and hashes, as documented above.
char *spec_canonical(const RunSpec *s, int with_seeds);
void spec_hash(const RunSpec *s, int with_seeds, char out[17]);

// Every field (identity or not, resolved values included) as one JSON object.
char *spec_json(const RunSpec *s);

// Steps a run trains in all: steps, then the injection and return phases when it has them.
long spec_total_steps(const RunSpec *s);

// The training configuration and model shape of a resolved spec.
TrainConfig spec_train_config(const RunSpec *s, int threads);

#define TASK_COUNT 7
#define FAMILY_COUNT 2
extern const char *const task_names[TASK_COUNT];
extern const char *const family_names[FAMILY_COUNT];

// Task facts: input size, outputs, training examples before the validation split
// (0 for toy worlds, whose examples are generated).
void task_info(const RunSpec *s, int *n_in, int *n_out, long *n_train);

// gpt runs (model.family gpt), which train only on text, and text runs.
int spec_is_gpt(const RunSpec *s);
int spec_is_text(const RunSpec *s);
// The gpt shape (d_ff 0 resolved to 4·d_model), the text split, and the LM training
// configuration of a resolved gpt spec (D = task.train_size; 0: set by the caller from the corpus).
GptShape spec_gpt_shape(const RunSpec *s);
TextSplit spec_text_split(const RunSpec *s);
LmConfig spec_lm_config(const RunSpec *s, int threads);

// Toy worlds: the world a spec describes (task 1…4 → WorldKind 0…3, task-mixture after text); 0 for fashion-mnist.
int spec_is_world(const RunSpec *s);
WorldOptions spec_world(const RunSpec *s);

// The model as "inputs-hidden…-outputs", e.g. 784-300-100-10.
void spec_model_label(const RunSpec *s, char *out, size_t n);

// Text that is equal for two specs exactly when they train on the same data (the task cache's key).
void spec_task_key(const RunSpec *s, char *out, size_t n);

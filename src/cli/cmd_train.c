// jackpot train: one ensemble from flags; metrics as JSON Lines.
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/error.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "data/fashion.h"
#include "nn/blas.h"
#include "sweep/progress.h"
#include "train/setup.h"
#include "train/trainer.h"

#define MAX_SEEDS 1024
#define CMD "train"

static const char HELP[] =
    "usage: jackpot train [options]\n"
    "\n"
    "Trains one ensemble: M members of one MLP that differ only in their seeds, the\n"
    "members being the cross product of --init-seeds and --data-seeds (or the pairs\n"
    "of --seeds). Writes one JSON object per member per evaluation to stdout (or\n"
    "--out) and one summary line per member to stderr.\n"
    "\n"
    "task and data\n"
    "  --task NAME          fashion-mnist (the only task so far)         [fashion-mnist]\n"
    "  --data-dir DIR       IDX .gz files       [" FASHION_DEFAULT_DIR "]\n"
    "  --train-size D       examples per member, drawn by its data seed from\n"
    "                       the training pool; 0 = the whole pool        [0]\n"
    "  --val-size N         validation images held out of the 60k training\n"
    "                       set (the same for every seed), 0..59999      [5000]\n"
    "  --standardize        (x − mean)/std after scaling pixels to [0,1]\n"
    "\n"
    "model: input → depth × [linear, activation] → linear\n"
    "  --width W            hidden width, 1..65536                       [128]\n"
    "  --depth K            hidden layers, 0..16                         [2]\n"
    "  --hidden LIST        explicit widths, e.g. 300,100 (overrides the two above)\n"
    "  --act NAME           relu | gelu | tanh                           [relu]\n"
    "  --init NAME          kaiming-normal | kaiming-uniform | glorot-normal |\n"
    "                       glorot-uniform                               [kaiming-normal]\n"
    "  --bias-init NAME     zero | fan-in-uniform                        [zero]\n"
    "  --loss NAME          ce (softmax cross-entropy) | mse (on one-hot) [ce]\n"
    "\n"
    "optimiser and schedule\n"
    "  --optim NAME         adamw | sgd (adam = adamw with --wd 0)       [adamw]\n"
    "  --lr X               peak learning rate, (0, 10]                  [1e-3 adamw, 0.1 sgd]\n"
    "  --wd X               weight decay on weights (not biases), [0, 10] [0.01 adamw, 0 sgd]\n"
    "  --momentum X         SGD momentum, [0, 1)                         [0.9]\n"
    "  --nesterov           SGD with Nesterov momentum\n"
    "  --beta1 X, --beta2 X AdamW moments, [0, 1)                        [0.9, 0.999]\n"
    "  --eps X              AdamW epsilon, (0, 1]                        [1e-8]\n"
    "  --schedule NAME      constant | cosine | linear (decay after warmup) [constant]\n"
    "  --warmup N           linear warmup steps                          [0]\n"
    "  --min-lr-ratio X     final rate / peak for cosine and linear, [0, 1] [0]\n"
    "\n"
    "budget\n"
    "  --batch B            examples per step per member, 1..65536       [128]\n"
    "  --steps N | --examples N | --epochs X\n"
    "                       training length; epochs count passes over D  [--epochs 1]\n"
    "  --eval-every K       steps between evaluations on validation and\n"
    "                       test (also at step 0 and at the end)         [steps/10]\n"
    "\n"
    "seeds (each list: 3 | 0,4,7 | START:STOP[:STEP], STOP excluded)\n"
    "  --init-seeds LIST    initial weights                              [0]\n"
    "  --data-seeds LIST    training subset and batch order              [0]\n"
    "  --seeds LIST         members with init seed = data seed = each value\n"
    "\n"
    "running and output\n"
    "  --threads T          threads in all, 1..cores                     [cores]\n"
    "  --out FILE           JSON Lines here instead of stdout\n"
    "  --quiet              no progress or summary lines on stderr (progress: a live\n"
    "                       line on a terminal, else a line every JACKPOT_PROGRESS_S\n"
    "                       seconds [30]; none while JSON Lines go to a terminal)\n"
    "  --help               this text\n"
    "\n"
    "JSON fields: member, init_seed, data_seed, step, examples, flops (training FLOPs\n"
    "of this member so far: 6 · n_params · examples), wall_s, lr, train_loss (mean\n"
    "batch loss since the previous evaluation), val_loss, val_acc, test_loss,\n"
    "test_acc. Non-finite values are written as null.\n";

enum {
    OPT_TASK = 256, OPT_DATA_DIR, OPT_TRAIN_SIZE, OPT_VAL_SIZE, OPT_STANDARDIZE, OPT_WIDTH, OPT_DEPTH,
    OPT_HIDDEN, OPT_ACT, OPT_INIT, OPT_BIAS_INIT, OPT_LOSS, OPT_OPTIM, OPT_LR, OPT_WD, OPT_MOMENTUM,
    OPT_NESTEROV, OPT_BETA1, OPT_BETA2, OPT_EPS, OPT_SCHEDULE, OPT_WARMUP, OPT_MIN_LR, OPT_BATCH,
    OPT_STEPS, OPT_EXAMPLES, OPT_EPOCHS, OPT_EVAL_EVERY, OPT_INIT_SEEDS, OPT_DATA_SEEDS, OPT_SEEDS,
    OPT_THREADS, OPT_OUT, OPT_QUIET, OPT_HELP,
};

static const struct option OPTIONS[] = {
    { "task", required_argument, 0, OPT_TASK },           { "data-dir", required_argument, 0, OPT_DATA_DIR },
    { "train-size", required_argument, 0, OPT_TRAIN_SIZE }, { "val-size", required_argument, 0, OPT_VAL_SIZE },
    { "standardize", no_argument, 0, OPT_STANDARDIZE },   { "width", required_argument, 0, OPT_WIDTH },
    { "depth", required_argument, 0, OPT_DEPTH },         { "hidden", required_argument, 0, OPT_HIDDEN },
    { "act", required_argument, 0, OPT_ACT },             { "init", required_argument, 0, OPT_INIT },
    { "bias-init", required_argument, 0, OPT_BIAS_INIT }, { "loss", required_argument, 0, OPT_LOSS },
    { "optim", required_argument, 0, OPT_OPTIM },         { "lr", required_argument, 0, OPT_LR },
    { "wd", required_argument, 0, OPT_WD },               { "momentum", required_argument, 0, OPT_MOMENTUM },
    { "nesterov", no_argument, 0, OPT_NESTEROV },         { "beta1", required_argument, 0, OPT_BETA1 },
    { "beta2", required_argument, 0, OPT_BETA2 },         { "eps", required_argument, 0, OPT_EPS },
    { "schedule", required_argument, 0, OPT_SCHEDULE },   { "warmup", required_argument, 0, OPT_WARMUP },
    { "min-lr-ratio", required_argument, 0, OPT_MIN_LR }, { "batch", required_argument, 0, OPT_BATCH },
    { "steps", required_argument, 0, OPT_STEPS },         { "examples", required_argument, 0, OPT_EXAMPLES },
    { "epochs", required_argument, 0, OPT_EPOCHS },       { "eval-every", required_argument, 0, OPT_EVAL_EVERY },
    { "init-seeds", required_argument, 0, OPT_INIT_SEEDS }, { "data-seeds", required_argument, 0, OPT_DATA_SEEDS },
    { "seeds", required_argument, 0, OPT_SEEDS },         { "threads", required_argument, 0, OPT_THREADS },
    { "out", required_argument, 0, OPT_OUT },             { "quiet", no_argument, 0, OPT_QUIET },
    { "help", no_argument, 0, OPT_HELP },                 { 0, 0, 0, 0 },
};

typedef struct {
    TrainConfig cfg;
    FashionOptions data;
    int width, hidden_n, hidden[MLP_MAX_DEPTH];
    OptimKind optim_kind;
    double lr, wd, momentum, beta1, beta2, eps;   // lr, wd: NaN for the optimiser's default
    int nesterov, quiet;
    long steps, examples, eval_every;             // −1 when not given
    double epochs;
    uint64_t init_seeds[MAX_SEEDS], data_seeds[MAX_SEEDS], paired[MAX_SEEDS];
    int n_init, n_data, n_paired;
    const char *out_path;
} TrainArgs;

// Set when a JSON line could not be written (a full disk): training stops at the next step.
static atomic_int write_failed;
static int write_errno;

// Where the evaluations go: the JSON Lines, and the progress line's loss (the trainer tells it the
// steps and FLOPs as they are trained: cfg.on_steps).
typedef struct {
    FILE *f;
    Progress progress;
} TrainSink;

static void write_jsonl(void *ctx, const EvalRecord *r) {
    TrainSink *t = ctx;
    FILE *f = t->f;
    progress_advance(&t->progress, 0, 0, 0, r->val_loss);
    if (atomic_load(&write_failed)) return;
    fprintf(f, "{\"member\":%d,\"init_seed\":%llu,\"data_seed\":%llu,\"step\":%ld", r->member,
            (unsigned long long)r->init_seed, (unsigned long long)r->data_seed, r->step);
    const char *key[] = { "examples", "flops", "wall_s", "lr", "train_loss", "val_loss", "val_acc", "test_loss", "test_acc" };
    double value[] = { r->examples, r->flops, r->wall_s, r->lr, r->train_loss, r->val_loss, r->val_acc, r->test_loss, r->test_acc };
    for (size_t i = 0; i < sizeof key / sizeof key[0]; i++) {
        fputc(',', f);
        json_key(f, key[i]);
        json_num(f, value[i]);   // round-trip precision; NaN and inf as null
    }
    fputs("}\n", f);
    if (fflush(f) != 0 || ferror(f)) {
        write_errno = errno;
        atomic_store(&write_failed, 1);
    }
}

static void parse_choice(int ok, const char *flag, const char *value, const char *accepted) {
    if (!ok) usage_error(CMD, "%s: expected one of %s, got '%s'", flag, accepted, value);
}

// One flag (getopt's c, its value v and name) into a.
static void parse_flag(int c, const char *v, const char *name, int cores, TrainArgs *a) {
    TrainConfig *cfg = &a->cfg;
    switch (c) {
    case OPT_TASK: parse_choice(strcmp(v, "fashion-mnist") == 0, name, v, "fashion-mnist"); break;
    case OPT_DATA_DIR: a->data.data_dir = v; break;
    case OPT_TRAIN_SIZE: cfg->train_size = arg_long(CMD, name, v, 0, 60000); break;
    case OPT_VAL_SIZE: a->data.val_size = (int)arg_long(CMD, name, v, 0, 59999); break;
    case OPT_STANDARDIZE: a->data.standardize = 1; break;
    case OPT_WIDTH: a->width = (int)arg_long(CMD, name, v, 1, 65536); break;
    case OPT_DEPTH: cfg->shape.depth = (int)arg_long(CMD, name, v, 0, MLP_MAX_DEPTH); break;
    case OPT_HIDDEN: a->hidden_n = arg_int_list(CMD, name, v, a->hidden, MLP_MAX_DEPTH, 1, 65536); break;
    case OPT_ACT: parse_choice(act_parse(v, &cfg->shape.act) == 0 && cfg->shape.act != ACT_IDENTITY, name, v, "relu, gelu, tanh"); break;
    case OPT_INIT: parse_choice(init_parse(v, &cfg->weight_init) == 0, name, v, "kaiming-normal, kaiming-uniform, glorot-normal, glorot-uniform"); break;
    case OPT_BIAS_INIT: parse_choice(bias_init_parse(v, &cfg->bias_init) == 0, name, v, "zero, fan-in-uniform"); break;
    case OPT_LOSS: parse_choice(loss_parse(v, &cfg->loss) == 0, name, v, "ce, mse"); break;
    case OPT_OPTIM: parse_choice(optim_parse(v, &a->optim_kind) == 0, name, v, "adamw, adam, sgd"); break;
    case OPT_LR: a->lr = arg_double(CMD, name, v, 1e-12, 10); break;
    case OPT_WD: a->wd = arg_double(CMD, name, v, 0, 10); break;
    case OPT_MOMENTUM: a->momentum = arg_double(CMD, name, v, 0, 0.999999); break;
    case OPT_NESTEROV: a->nesterov = 1; break;
    case OPT_BETA1: a->beta1 = arg_double(CMD, name, v, 0, 0.999999999); break;
    case OPT_BETA2: a->beta2 = arg_double(CMD, name, v, 0, 0.999999999); break;
    case OPT_EPS: a->eps = arg_double(CMD, name, v, 1e-30, 1); break;
    case OPT_SCHEDULE: parse_choice(schedule_parse(v, &cfg->schedule.kind) == 0, name, v, "constant, cosine, linear"); break;
    case OPT_WARMUP: cfg->schedule.warmup = arg_long(CMD, name, v, 0, 1000000000L); break;
    case OPT_MIN_LR: cfg->schedule.min_ratio = (float)arg_double(CMD, name, v, 0, 1); break;
    case OPT_BATCH: cfg->batch = (int)arg_long(CMD, name, v, 1, 65536); break;
    case OPT_STEPS: a->steps = arg_long(CMD, name, v, 0, 1000000000L); break;
    case OPT_EXAMPLES: a->examples = arg_long(CMD, name, v, 1, 100000000000L); break;
    case OPT_EPOCHS: a->epochs = arg_double(CMD, name, v, 1e-6, 1e6); break;
    case OPT_EVAL_EVERY: a->eval_every = arg_long(CMD, name, v, 1, 1000000000L); break;
    case OPT_INIT_SEEDS: a->n_init = arg_seed_list(CMD, name, v, a->init_seeds, MAX_SEEDS); break;
    case OPT_DATA_SEEDS: a->n_data = arg_seed_list(CMD, name, v, a->data_seeds, MAX_SEEDS); break;
    case OPT_SEEDS: a->n_paired = arg_seed_list(CMD, name, v, a->paired, MAX_SEEDS); break;
    case OPT_THREADS: cfg->threads = (int)arg_long(CMD, name, v, 1, cores); break;
    case OPT_OUT: a->out_path = v; break;
    case OPT_QUIET: a->quiet = 1; break;
    }
}

// The flags into a (the model's shape and optimiser resolved); returns 1 when --help was printed.
static int parse_args(int argc, char **argv, TrainArgs *a) {
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    *a = (TrainArgs){
        .cfg = { .shape = { .n_in = 784, .n_out = 10, .depth = 2, .act = ACT_RELU }, .weight_init = INIT_KAIMING_NORMAL,
                 .bias_init = BIAS_ZERO, .loss = LOSS_CROSS_ENTROPY, .schedule = { .kind = SCHED_CONSTANT }, .batch = 128,
                 .threads = cores, .eval_rows = 1000 },
        .data = { .val_size = 5000 }, .width = 128, .optim_kind = OPTIM_ADAMW, .lr = NAN, .wd = NAN, .momentum = 0.9,
        .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .steps = -1, .examples = -1, .eval_every = -1, .epochs = -1,
        .n_init = 1, .n_data = 1,
    };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", OPTIONS, NULL)) != -1) {
        const char *v = optarg, *flag = argv[optind - 1];
        if (v && flag == v) flag = argv[optind - 2];   // "--flag value" vs "--flag=value"
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(flag, "="), flag);
        if (c == OPT_HELP) { fputs(HELP, stdout); return 1; }
        if (c == ':') usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        if (c < OPT_TASK || c > OPT_QUIET) usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        parse_flag(c, v, name, cores, a);
    }
    if (optind < argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if ((a->steps >= 0) + (a->examples >= 0) + (a->epochs >= 0) > 1)
        usage_error(CMD, "give at most one of --steps, --examples, --epochs");
    TrainConfig *cfg = &a->cfg;
    if (a->hidden_n) {
        cfg->shape.depth = a->hidden_n;
        memcpy(cfg->shape.hidden, a->hidden, sizeof(int) * a->hidden_n);
    } else {
        for (int l = 0; l < cfg->shape.depth; l++) cfg->shape.hidden[l] = a->width;
    }
    cfg->optim = optim_defaults(a->optim_kind);
    if (!isnan(a->lr)) cfg->optim.lr = (float)a->lr;
    if (!isnan(a->wd)) cfg->optim.weight_decay = (float)a->wd;
    cfg->optim.momentum = (float)a->momentum;
    cfg->optim.nesterov = a->nesterov;
    cfg->optim.beta1 = (float)a->beta1;
    cfg->optim.beta2 = (float)a->beta2;
    cfg->optim.eps = (float)a->eps;
    return 0;
}

static void print_plan(const TrainArgs *a, int M, long D) {
    const TrainConfig *cfg = &a->cfg;
    fprintf(stderr, "jackpot train: %d", cfg->shape.n_in);
    for (int l = 0; l < cfg->shape.depth; l++) fprintf(stderr, "-%d", cfg->shape.hidden[l]);
    fprintf(stderr, "-%d %s, %zu params × %d members; %s lr %g, batch %d, %ld steps (%.2f epochs of D=%ld); "
            "%d threads, BLAS %s\n", cfg->shape.n_out, act_name(cfg->shape.act), mlp_n_params(&cfg->shape), M,
            optim_name(a->optim_kind), cfg->optim.lr, cfg->batch, cfg->steps, (double)cfg->steps * cfg->batch / D, D,
            cfg->threads, blas_core_name());
}

static void print_outcome(const TrainConfig *cfg, const Task *task, const MemberSeeds *seeds, const MemberSummary *sum, int M) {
    for (int m = 0; m < M; m++) {
        const MemberSummary *s = &sum[m];
        fprintf(stderr, "member %d (init %llu, data %llu): ", m, (unsigned long long)seeds[m].init_seed,
                (unsigned long long)seeds[m].data_seed);
        if (s->diverged_step >= 0) fprintf(stderr, "DIVERGED at step %ld; ", s->diverged_step);
        fprintf(stderr, "best val loss %.4f at step %ld: test acc %.2f%% (loss %.4f); final step %ld: test acc %.2f%%\n",
                s->best.val_loss, s->best.step, 100 * s->best.test_acc, s->best.test_loss, s->final.step,
                100 * s->final.test_acc);
    }
    TrainTotals t = train_totals(cfg, task, sum, M);
    fprintf(stderr, "%ld steps × %d members in %.2f s (%.2f s of it evaluating): %.0f member-steps/s, %.1f GFLOP/s; "
            "training only: %.0f member-steps/s, %.1f GFLOP/s\n", cfg->steps, M, t.wall_s, t.eval_s, t.steps_per_s, t.gflops,
            t.train_steps_per_s, t.train_gflops);
    struct rusage ru;   // what training holds against the process's peak resident set
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "memory: peak RSS %.1f MB; training holds %.1f MB (parameters, gradients, optimiser state, "
            "activations, dataset): ratio %.2f\n", ru.ru_maxrss / 1024.0, t.held_bytes / 1048576,
            ru.ru_maxrss * 1024.0 / t.held_bytes);
}

// Trains and writes every line to out (closed here unless stdout): 0, or 1 with the error printed.
static int train_and_write(TrainArgs *a, const Task *task, const MemberSeeds *seeds, int M, FILE *out) {
    Ensemble ens;
    MemberSummary *sum = xmalloc_array((size_t)M, sizeof *sum);
    a->cfg.stop = &write_failed;
    blas_set_threads(train_blas_threads(a->cfg.threads, M, 0));   // process-wide: the command sets it
    // The JSON Lines on a terminal show life themselves: no live line among them.
    TrainSink sink = { .f = out };
    a->cfg.on_steps = progress_steps;
    a->cfg.steps_ctx = &sink.progress;
    double flops = 6.0 * (double)mlp_n_params(&a->cfg.shape) * a->cfg.batch * (double)a->cfg.steps * M;
    progress_init(&sink.progress, 1, M, 0, flops, a->quiet || (out == stdout && isatty(1)));
    int rc = train_ensemble(&a->cfg, task, seeds, M, &ens, write_jsonl, &sink, sum);
    progress_finish(&sink.progress);
    int failed = atomic_load(&write_failed);
    if (failed || (out != stdout && fclose(out) != 0 && (write_errno = errno, 1))) {   // every line, or exit 1
        fprintf(stderr, "jackpot train: %s: cannot write: %s\n", a->out_path ? a->out_path : "stdout", strerror(write_errno));
        if (out != stdout && failed) fclose(out);
        if (rc == 0) ensemble_free(&ens);
        rc = -1;
    } else if (rc != 0) {
        fprintf(stderr, "jackpot train: %s\n", jp_error());
    } else {
        if (!a->quiet) print_outcome(&a->cfg, task, seeds, sum, M);
        ensemble_free(&ens);
    }
    free(sum);
    return rc == 0 ? 0 : 1;
}

int cmd_train(int argc, char **argv) {
    static TrainArgs a;   // its seed lists: 24 kB
    if (parse_args(argc, argv, &a)) return 0;
    int M = a.n_paired ? a.n_paired : a.n_init * a.n_data;
    if (M > MAX_SEEDS) usage_error(CMD, "%d members (init × data seeds); at most %d", M, MAX_SEEDS);
    MemberSeeds *seeds = xmalloc_array((size_t)M, sizeof *seeds);
    train_member_seeds(a.init_seeds, a.n_init, a.data_seeds, a.n_data, a.paired, a.n_paired, seeds);
    Task task;
    if (fashion_load(&a.data, &task) != 0) {
        fprintf(stderr, "jackpot train: %s\n", jp_error());
        if (!a.data.data_dir) fprintf(stderr, "(install it with scripts/install-deps, or give --data-dir)\n");
        free(seeds);
        return 1;
    }
    long D = a.cfg.train_size ? a.cfg.train_size : task.train.n;
    if (D > task.train.n) {
        int pool = task.train.n;
        free(seeds);   // usage_error exits: freed first, so the sanitizer sees no leak
        task_free(&task);
        usage_error(CMD, "--train-size: expected at most %d (the pool left after --val-size %d), got %ld", pool,
                    a.data.val_size, D);
    }
    train_set_budget(&a.cfg, a.steps, a.examples, a.epochs, a.eval_every, D);
    FILE *out = stdout;
    int rc = 1;
    if (a.out_path && !(out = fopen(a.out_path, "w"))) {
        fprintf(stderr, "jackpot train: --out: cannot write '%s'\n", a.out_path);
    } else {
        if (!a.quiet) print_plan(&a, M, D);
        rc = train_and_write(&a, &task, seeds, M, out);
    }
    task_free(&task);
    free(seeds);
    return rc;
}

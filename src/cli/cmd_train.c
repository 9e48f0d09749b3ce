// jackpot train: one ensemble from flags; metrics as JSON Lines.
#include <errno.h>
#include <getopt.h>
#include <math.h>
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
#include "kernels/blas.h"
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
    "  --quiet              no summary lines on stderr\n"
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

static void json_number(FILE *f, const char *key, double v) {
    fputc(',', f);
    json_key(f, key);
    json_num(f, v);   // round-trip precision; NaN and inf as null
}

// Set when a JSON line could not be written (a full disk): training stops at the next step.
static volatile int write_failed;
static int write_errno;

static void write_jsonl(void *ctx, const EvalRecord *r) {
    FILE *f = ctx;
    if (write_failed) return;
    fprintf(f, "{\"member\":%d,\"init_seed\":%llu,\"data_seed\":%llu,\"step\":%ld", r->member,
            (unsigned long long)r->init_seed, (unsigned long long)r->data_seed, r->step);
    json_number(f, "examples", r->examples);
    json_number(f, "flops", r->flops);
    json_number(f, "wall_s", r->wall_s);
    json_number(f, "lr", r->lr);
    json_number(f, "train_loss", r->train_loss);
    json_number(f, "val_loss", r->val_loss);
    json_number(f, "val_acc", r->val_acc);
    json_number(f, "test_loss", r->test_loss);
    json_number(f, "test_acc", r->test_acc);
    fputs("}\n", f);
    if (fflush(f) != 0 || ferror(f)) {
        write_errno = errno;
        write_failed = 1;
    }
}

static void parse_choice(int ok, const char *flag, const char *value, const char *accepted) {
    if (!ok) usage_error(CMD, "%s: expected one of %s, got '%s'", flag, accepted, value);
}

int cmd_train(int argc, char **argv) {
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    TrainConfig cfg = {
        .shape = { .n_in = 784, .n_out = 10, .depth = 2, .act = ACT_RELU },
        .weight_init = INIT_KAIMING_NORMAL, .bias_init = BIAS_ZERO, .loss = LOSS_CROSS_ENTROPY,
        .schedule = { .kind = SCHED_CONSTANT }, .batch = 128, .threads = cores, .eval_rows = 1000,
    };
    FashionOptions data = { .val_size = 5000 };
    int width = 128, hidden_n = 0, hidden[MLP_MAX_DEPTH];
    OptimKind optim_kind = OPTIM_ADAMW;
    double lr = NAN, wd = NAN, momentum = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    int nesterov = 0, quiet = 0;
    long steps = -1, examples = -1, eval_every = -1;
    double epochs = -1;
    static uint64_t init_seeds[MAX_SEEDS], data_seeds[MAX_SEEDS], paired[MAX_SEEDS];
    int n_init = 1, n_data = 1, n_paired = 0;
    init_seeds[0] = data_seeds[0] = 0;
    const char *out_path = NULL;

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", OPTIONS, NULL)) != -1) {
        const char *v = optarg, *flag = argv[optind - 1];
        if (v && flag == v) flag = argv[optind - 2];   // "--flag value" vs "--flag=value"
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(flag, "="), flag);
        switch (c) {
        case OPT_TASK: parse_choice(strcmp(v, "fashion-mnist") == 0, name, v, "fashion-mnist"); break;
        case OPT_DATA_DIR: data.data_dir = v; break;
        case OPT_TRAIN_SIZE: cfg.train_size = arg_long(CMD, name, v, 0, 60000); break;
        case OPT_VAL_SIZE: data.val_size = (int)arg_long(CMD, name, v, 0, 59999); break;
        case OPT_STANDARDIZE: data.standardize = 1; break;
        case OPT_WIDTH: width = (int)arg_long(CMD, name, v, 1, 65536); break;
        case OPT_DEPTH: cfg.shape.depth = (int)arg_long(CMD, name, v, 0, MLP_MAX_DEPTH); break;
        case OPT_HIDDEN: hidden_n = arg_int_list(CMD, name, v, hidden, MLP_MAX_DEPTH, 1, 65536); break;
        case OPT_ACT: parse_choice(act_parse(v, &cfg.shape.act) == 0 && cfg.shape.act != ACT_IDENTITY, name, v, "relu, gelu, tanh"); break;
        case OPT_INIT: parse_choice(init_parse(v, &cfg.weight_init) == 0, name, v, "kaiming-normal, kaiming-uniform, glorot-normal, glorot-uniform"); break;
        case OPT_BIAS_INIT: parse_choice(bias_init_parse(v, &cfg.bias_init) == 0, name, v, "zero, fan-in-uniform"); break;
        case OPT_LOSS: parse_choice(loss_parse(v, &cfg.loss) == 0, name, v, "ce, mse"); break;
        case OPT_OPTIM: parse_choice(optim_parse(v, &optim_kind) == 0, name, v, "adamw, adam, sgd"); break;
        case OPT_LR: lr = arg_double(CMD, name, v, 1e-12, 10); break;
        case OPT_WD: wd = arg_double(CMD, name, v, 0, 10); break;
        case OPT_MOMENTUM: momentum = arg_double(CMD, name, v, 0, 0.999999); break;
        case OPT_NESTEROV: nesterov = 1; break;
        case OPT_BETA1: beta1 = arg_double(CMD, name, v, 0, 0.999999999); break;
        case OPT_BETA2: beta2 = arg_double(CMD, name, v, 0, 0.999999999); break;
        case OPT_EPS: eps = arg_double(CMD, name, v, 1e-30, 1); break;
        case OPT_SCHEDULE: parse_choice(schedule_parse(v, &cfg.schedule.kind) == 0, name, v, "constant, cosine, linear"); break;
        case OPT_WARMUP: cfg.schedule.warmup = arg_long(CMD, name, v, 0, 1000000000L); break;
        case OPT_MIN_LR: cfg.schedule.min_ratio = (float)arg_double(CMD, name, v, 0, 1); break;
        case OPT_BATCH: cfg.batch = (int)arg_long(CMD, name, v, 1, 65536); break;
        case OPT_STEPS: steps = arg_long(CMD, name, v, 0, 1000000000L); break;
        case OPT_EXAMPLES: examples = arg_long(CMD, name, v, 1, 100000000000L); break;
        case OPT_EPOCHS: epochs = arg_double(CMD, name, v, 1e-6, 1e6); break;
        case OPT_EVAL_EVERY: eval_every = arg_long(CMD, name, v, 1, 1000000000L); break;
        case OPT_INIT_SEEDS: n_init = arg_seed_list(CMD, name, v, init_seeds, MAX_SEEDS); break;
        case OPT_DATA_SEEDS: n_data = arg_seed_list(CMD, name, v, data_seeds, MAX_SEEDS); break;
        case OPT_SEEDS: n_paired = arg_seed_list(CMD, name, v, paired, MAX_SEEDS); break;
        case OPT_THREADS: cfg.threads = (int)arg_long(CMD, name, v, 1, cores); break;
        case OPT_OUT: out_path = v; break;
        case OPT_QUIET: quiet = 1; break;
        case OPT_HELP: fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if ((steps >= 0) + (examples >= 0) + (epochs >= 0) > 1)
        usage_error(CMD, "give at most one of --steps, --examples, --epochs");

    if (hidden_n) {
        cfg.shape.depth = hidden_n;
        memcpy(cfg.shape.hidden, hidden, sizeof(int) * hidden_n);
    } else {
        for (int l = 0; l < cfg.shape.depth; l++) cfg.shape.hidden[l] = width;
    }
    cfg.optim = optim_defaults(optim_kind);
    if (!isnan(lr)) cfg.optim.lr = (float)lr;
    if (!isnan(wd)) cfg.optim.weight_decay = (float)wd;
    cfg.optim.momentum = (float)momentum;
    cfg.optim.nesterov = nesterov;
    cfg.optim.beta1 = (float)beta1;
    cfg.optim.beta2 = (float)beta2;
    cfg.optim.eps = (float)eps;

    int M = n_paired ? n_paired : n_init * n_data;
    if (M > MAX_SEEDS) usage_error(CMD, "%d members (init × data seeds); at most %d", M, MAX_SEEDS);
    MemberSeeds *seeds = xmalloc(sizeof(MemberSeeds) * M);
    for (int m = 0; m < M; m++)
        seeds[m] = n_paired ? (MemberSeeds){ paired[m], paired[m] }
                            : (MemberSeeds){ init_seeds[m / n_data], data_seeds[m % n_data] };

    Task task;
    if (fashion_load(&data, &task) != 0) {
        fprintf(stderr, "jackpot train: %s\n", jp_error());
        if (!data.data_dir) fprintf(stderr, "(install it with scripts/install-deps, or give --data-dir)\n");
        free(seeds);
        return 1;
    }
    long D = cfg.train_size ? cfg.train_size : task.train.n;
    if (D > task.train.n) {
        int pool = task.train.n;
        free(seeds);   // usage_error exits: freed first, so the sanitizer sees no leak
        task_free(&task);
        usage_error(CMD, "--train-size: expected at most %d (the pool left after --val-size %d), got %ld", pool,
                    data.val_size, D);
    }
    if (steps >= 0) cfg.steps = steps;
    else if (examples >= 0) cfg.steps = (examples + cfg.batch - 1) / cfg.batch;
    else cfg.steps = (long)ceil((epochs >= 0 ? epochs : 1.0) * D / cfg.batch);
    cfg.eval_every = eval_every > 0 ? eval_every : (cfg.steps + 9) / 10;

    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "jackpot train: --out: cannot write '%s'\n", out_path);
        task_free(&task);
        free(seeds);
        return 1;
    }
    size_t P = mlp_n_params(&cfg.shape);
    if (!quiet) {
        fprintf(stderr, "jackpot train: %d", cfg.shape.n_in);
        for (int l = 0; l < cfg.shape.depth; l++) fprintf(stderr, "-%d", cfg.shape.hidden[l]);
        fprintf(stderr, "-%d %s, %zu params × %d members; %s lr %g, batch %d, %ld steps (%.2f epochs of D=%ld); "
                "%d threads, BLAS %s\n", cfg.shape.n_out, act_name(cfg.shape.act), P, M, optim_name(optim_kind),
                cfg.optim.lr, cfg.batch, cfg.steps, (double)cfg.steps * cfg.batch / D, D, cfg.threads, blas_core_name());
    }

    Ensemble ens;
    MemberSummary *sum = xmalloc(sizeof(MemberSummary) * M);
    cfg.stop = &write_failed;
    int rc = train_ensemble(&cfg, &task, seeds, M, &ens, write_jsonl, out, sum);
    if (write_failed || (out != stdout && fclose(out) != 0 && (write_errno = errno, 1))) {   // every line, or exit 1
        fprintf(stderr, "jackpot train: %s: cannot write: %s\n", out_path ? out_path : "stdout", strerror(write_errno));
        if (rc == 0) ensemble_free(&ens);
        if (out != stdout && write_failed) fclose(out);
        free(sum);
        free(seeds);
        task_free(&task);
        return 1;
    }
    out = stdout;   // closed above
    if (rc != 0) {
        fprintf(stderr, "jackpot train: %s\n", jp_error());
    } else {
        double wall = sum[0].final.wall_s;
        for (int m = 0; m < M && !quiet; m++) {
            const MemberSummary *s = &sum[m];
            fprintf(stderr, "member %d (init %llu, data %llu): ", m, (unsigned long long)seeds[m].init_seed,
                    (unsigned long long)seeds[m].data_seed);
            if (s->diverged_step >= 0) fprintf(stderr, "DIVERGED at step %ld; ", s->diverged_step);
            fprintf(stderr, "best val loss %.4f at step %ld: test acc %.2f%% (loss %.4f); final step %ld: test acc %.2f%%\n",
                    s->best.val_loss, s->best.step, 100 * s->best.test_acc, s->best.test_loss, s->final.step,
                    100 * s->final.test_acc);
            if (sum[m].final.wall_s > wall) wall = sum[m].final.wall_s;
        }
        if (!quiet) {
            double train_s = wall - sum[0].eval_s, flops = cfg.steps * (double)M * cfg.batch * mlp_train_flops_per_example(&cfg.shape);
            fprintf(stderr, "%ld steps × %d members in %.2f s (%.2f s of it evaluating): %.0f member-steps/s, %.1f GFLOP/s; "
                    "training only: %.0f member-steps/s, %.1f GFLOP/s\n", cfg.steps, M, wall, sum[0].eval_s,
                    cfg.steps * (double)M / wall, flops / wall / 1e9, cfg.steps * (double)M / train_s, flops / train_s / 1e9);
            // What training must hold: parameters, gradients, optimiser state, activations and
            // batches of every member, and the dataset; against the process's peak resident set.
            int rows = cfg.batch > cfg.eval_rows ? cfg.batch : cfg.eval_rows;
            double held = (double)ensemble_bytes(&cfg.shape, M) +
                          M * ((double)mlp_work_bytes(&cfg.shape, rows) + (double)cfg.batch * (task.dim * 4 + 8)) +
                          (double)(task.train.n + task.val.n + task.test.n) * (task.dim * 4 + 4);
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            fprintf(stderr, "memory: peak RSS %.1f MB; training holds %.1f MB (parameters, gradients, optimiser state, "
                    "activations, dataset): ratio %.2f\n", ru.ru_maxrss / 1024.0, held / 1048576, ru.ru_maxrss * 1024.0 / held);
        }
        ensemble_free(&ens);
    }
    free(sum);
    free(seeds);
    task_free(&task);
    return rc == 0 ? 0 : 1;
}

// jackpot sample: a continuation from a finished gpt run's weights (DB.weights/RUN.safetensors).
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/xalloc.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "nn/blas.h"
#include "nn/sample.h"
#include "sweep/lm_files.h"
#include "train/lm_checkpoint.h"

#define CMD "sample"

static const char HELP[] =
    "usage: jackpot sample --db FILE --run ID --prompt TEXT [options]\n"
    "\n"
    "Prints the prompt's continuation by a finished language-model run (model.family gpt),\n"
    "from the weights `jackpot run` keeps in FILE.weights/ID.safetensors (safetensors with\n"
    "nanoGPT's tensor names; `jackpot export` lists run ids). Bytes are written as they are\n"
    "(a byte-level model may write invalid UTF-8). Each new byte: the model on the last\n"
    "`context` bytes; temperature 0 takes the most likely byte, T > 0 draws from\n"
    "softmax(logits / T) with the Philox stream of --seed (the same text on any machine).\n"
    "\n"
    "  --db FILE          the database the run is in                         [runs.db]\n"
    "  --run ID           the run's id\n"
    "  --prompt TEXT      the text to continue (\"\" starts a new document)\n"
    "  --bytes N          bytes to generate, 0..100000                       [200]\n"
    "  --temperature T    0 (greedy) .. 100                                  [0.8]\n"
    "  --seed S           the sampling seed                                  [0]\n"
    "  --help             this text\n"
    "\n"
    "Exit status: 0, 1 no weights for the run (not a gpt run, or not done) or unreadable,\n"
    "2 a bad option.\n";

typedef struct {
    const char *db, *prompt;
    long run, bytes;
    double temperature;
    uint64_t seed;
} SampleArgs;

static int parse_args(int argc, char **argv, SampleArgs *a) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },     { "run", required_argument, 0, 'r' },
        { "prompt", required_argument, 0, 'p' }, { "bytes", required_argument, 0, 'n' },
        { "temperature", required_argument, 0, 't' }, { "seed", required_argument, 0, 's' },
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
    };
    *a = (SampleArgs){ .db = "runs.db", .run = -1, .bytes = 200, .temperature = 0.8 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'r': a->run = arg_long(CMD, "--run", optarg, 1, 1L << 62); break;
        case 'p': a->prompt = optarg; break;
        case 'n': a->bytes = arg_long(CMD, "--bytes", optarg, 0, 100000); break;
        case 't': a->temperature = arg_double(CMD, "--temperature", optarg, 0, 100); break;
        case 's': arg_seed_list(CMD, "--seed", optarg, &a->seed, 1); break;
        case 'h': fputs(HELP, stdout); return 1;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (a->run < 0) usage_error(CMD, "--run ID is required");
    if (!a->prompt) usage_error(CMD, "--prompt TEXT is required");
    return 0;
}

int cmd_sample(int argc, char **argv) {
    SampleArgs a;
    if (parse_args(argc, argv, &a)) return 0;
    char path[1200];
    lm_weights_file(a.db, a.run, path, sizeof path);
    GptShape shape;
    float *params;
    if (lm_weights_read(path, &shape, &params) != 0) {
        fprintf(stderr, "jackpot sample: run %ld has no readable weights (a gpt run that is done has %s): %s\n", a.run,
                path, jp_error());
        return 1;
    }
    blas_set_threads(1);
    uint8_t *out = xmalloc(a.bytes ? (size_t)a.bytes : 1);
    int rc = gpt_sample(&shape, params, (const uint8_t *)a.prompt, (int)strlen(a.prompt), (int)a.bytes,
                        (float)a.temperature, a.seed, out);
    if (rc == 0) {
        fwrite(a.prompt, 1, strlen(a.prompt), stdout);
        fwrite(out, 1, (size_t)a.bytes, stdout);
        fputc('\n', stdout);
    } else {
        fprintf(stderr, "jackpot sample: %s\n", jp_error());
    }
    free(out);
    free(params);
    return rc == 0 ? 0 : 1;
}

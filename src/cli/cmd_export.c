// jackpot export: flat tables for pandas.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "store/export.h"

#define CMD "export"

static const char HELP[] =
    "usage: jackpot export --db FILE [--format csv|jsonl] [--what runs|summaries|metrics]\n"
    "                      [--sweep NAME] [--out FILE]\n"
    "\n"
    "Writes a flat table with every run's resolved hyper-parameters as columns (named as\n"
    "in the sweep config: model.width, seed.init, seed.data, …):\n"
    "  runs        one row per run: status, n_params, planned FLOPs, times, error\n"
    "  summaries   runs plus final_* and best_* metrics (best = lowest validation loss)\n"
    "  metrics     one row per run and evaluation step: train_loss, train_lr, val_loss,\n"
    "              val_acc, test_loss, test_acc, examples, flops, wall_s\n"
    "Reals carry the fewest digits (15 to 17) that reload to exactly the stored values.\n"
    "\n"
    "  --db FILE       the database                          [runs.db]\n"
    "  --format F      csv | jsonl                           [csv]\n"
    "  --what W        runs | summaries | metrics            [summaries]\n"
    "  --sweep NAME    only the runs of this sweep\n"
    "  --out FILE      write here instead of stdout\n"
    "\n"
    "example (pandas):  pd.read_csv('summaries.csv').groupby('model.width').final_test_loss.describe()\n";

int cmd_export(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },    { "format", required_argument, 0, 'f' },
        { "what", required_argument, 0, 'w' },  { "sweep", required_argument, 0, 's' },
        { "out", required_argument, 0, 'o' },   { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *db = "runs.db", *sweep = NULL, *out_path = NULL;
    ExportFormat fmt = EXPORT_CSV;
    ExportWhat what = EXPORT_SUMMARIES;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'f':
            if (!strcmp(optarg, "csv")) fmt = EXPORT_CSV;
            else if (!strcmp(optarg, "jsonl")) fmt = EXPORT_JSONL;
            else usage_error(CMD, "--format: expected one of csv, jsonl, got '%s'", optarg);
            break;
        case 'w':
            if (!strcmp(optarg, "runs")) what = EXPORT_RUNS;
            else if (!strcmp(optarg, "summaries")) what = EXPORT_SUMMARIES;
            else if (!strcmp(optarg, "metrics")) what = EXPORT_METRICS;
            else usage_error(CMD, "--what: expected one of runs, summaries, metrics, got '%s'", optarg);
            break;
        case 's': sweep = optarg; break;
        case 'o': out_path = optarg; break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    Store st;
    cli_open_store_readonly(CMD, db, &st);
    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "jackpot export: --out: cannot write '%s'\n", out_path);
        store_close(&st);
        return 1;
    }
    int rc = store_export(&st, what, fmt, sweep, out);
    if (rc != 0) fprintf(stderr, "jackpot export: %s\n", jp_error());
    if (out != stdout && fclose(out) != 0) rc = -1;
    store_close(&st);
    return rc == 0 ? 0 : 1;
}

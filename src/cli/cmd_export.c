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
    "usage: jackpot export --db FILE [--format csv|jsonl] [--what TABLE] [--sweep NAME] [--out FILE]\n"
    "\n"
    "Writes one table of the database as a flat table. The per-run tables end with the run's\n"
    "status and its resolved hyper-parameters as columns (named as in the sweep config:\n"
    "model.width, seed.init, seed.data, …), so a groupby needs no join:\n"
    "  runs        one row per run: status, n_params, planned FLOPs, times, error\n"
    "  summaries   runs plus final_* and best_* metrics (best = lowest validation loss)\n"
    "  metrics     one row per run and evaluation step: train_loss, train_lr, val_loss,\n"
    "              val_acc, test_loss, test_acc, probe_*, examples, flops, wall_s\n"
    "  tickets     one row per run, pruning level and variant: density, best_*, final_*, barrier\n"
    "  concepts    one row per run, evaluation step and concept (0 = most frequent): loss, acc\n"
    "  probes      one row per run and probed evaluation step: cos_ff, cos_fr, cos_rr,\n"
    "              dloss_rare, dloss_freq (the metrics rows of split 'probe', as columns)\n"
    "  fits        one row per stored fit: law, source, options and result (JSON text)\n"
    "  dists       one row per stored outcome distribution: source, result (JSON text)\n"
    "  launches    one row per launch of runners: started, wall_s, members, host, pid\n"
    "  sweeps      one row per sweep config: name, path, config text, hash, runs\n"
    "  ticket_curves  one row per run, pruning level, variant and evaluation step: val_loss,\n"
    "              val_acc, test_loss, test_acc (each level's learning curve)\n"
    "  compares    one row per stored comparison of two arms (jackpot compare): law, arms\n"
    "              and their --where, cost, result (JSON text)\n"
    "  compare_curve  one row per comparison and budget x: each arm's fitted loss, the\n"
    "              multiplier k with its 95% interval, and the net multiplier under the cost\n"
    "Reals carry the fewest digits (15 to 17) that reload to exactly the stored values.\n"
    "\n"
    "  --db FILE       the database                          [runs.db]\n"
    "  --format F      csv | jsonl                           [csv]\n"
    "  --what TABLE    one of the tables above               [summaries]\n"
    "  --sweep NAME    only the runs of this sweep (every table but fits, dists, compares)\n"
    "  --out FILE      write here instead of stdout\n"
    "\n"
    "example (pandas):  pd.read_csv('summaries.csv').groupby('model.width').final_test_loss.describe()\n";

// The allowed --what names, comma-separated, for the usage error.
static void what_names(char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < EXPORT_WHAT_COUNT && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", export_what_names[i]);
}

static ExportWhat parse_what(const char *arg) {
    for (int i = 0; i < EXPORT_WHAT_COUNT; i++)
        if (!strcmp(arg, export_what_names[i])) return (ExportWhat)i;
    char names[256];
    what_names(names, sizeof names);
    usage_error(CMD, "--what: expected one of %s, got '%s'", names, arg);
}

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
        case 'w': what = parse_what(optarg); break;
        case 's': sweep = optarg; break;
        case 'o': out_path = optarg; break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (sweep && !export_has_sweep(what)) usage_error(CMD, "--sweep: %s belong to no one sweep", export_what_names[what]);
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

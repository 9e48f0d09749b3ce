// jackpot report: figures (gnuplot: CSV + script + SVG + PNG) and tables in one folder.
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "report/report.h"

#define CMD "report"

static const char HELP[] =
    "usage: jackpot report --db FILE [-o DIR] [options]\n"
    "\n"
    "Writes DIR/index.html and, for every figure, NAME.csv (its data), NAME.gp (the\n"
    "gnuplot script that draws it: edit it and run `gnuplot NAME.gp` in DIR to restyle),\n"
    "NAME.svg and NAME.png. Figures, as the data allows: loss against N and D with the\n"
    "fitted law, its bootstrap band, the held-out prediction and residuals; the compute\n"
    "frontier and IsoFLOP profiles; learning curves against steps and FLOPs; outcomes\n"
    "across seeds, their spread against N and the best of k seeds against L(k·N);\n"
    "lottery-ticket curves; per-concept heat maps, learning order and interference for\n"
    "toy worlds; tables of fitted parameters and distribution statistics.\n"
    "Groups of runs that differ in more than model and data size (two learning rates)\n"
    "are drawn separately, each headed by what sets it apart, never pooled as seeds\n"
    "(with --group-by on what sets them apart: as series of the same figures).\n"
    "\n"
    "  --db FILE          a jackpot database\n"
    "  --sweep NAME       only this sweep's runs (every section)\n"
    "  --where SQL        only runs matching a condition on runs r, e.g. \"r.lr = 0.001\"\n"
    "                     (every section but concepts)\n"
    "  --group-by FIELD   one series per value of FIELD, a params field (optim.lr,\n"
    "                     model.depth, …) or a column of runs (lr): L(N) and L(D) each\n"
    "                     with a law per value, residuals, learning curves and the\n"
    "                     spread across seeds in one figure each, a colour per value\n"
    "  --metric M         what the laws and IsoFLOP profiles fit, as in jackpot fit:\n"
    "                     a summary (final_test_loss, best_val_loss, …) or eval:SPLIT_NAME  [final_test_loss]\n"
    "  -o, --out DIR      the report folder                                   [report]\n"
    "  --boot N           bootstrap resamples for the fitted laws             [1000]\n"
    "  --threshold NATS   a toy-world concept counts as learned below this    [0.1]\n"
    "  --unit U           outcomes across seeds in: loss, accuracy, logit     [loss]\n";

int cmd_report(int argc, char **argv) {
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' },        { "out", required_argument, 0, 'o' },
        { "boot", required_argument, 0, 'b' },      { "threshold", required_argument, 0, 't' },
        { "unit", required_argument, 0, 'u' },      { "help", no_argument, 0, 'h' },
        { "sweep", required_argument, 0, 's' },     { "where", required_argument, 0, 'w' },
        { "metric", required_argument, 0, 'm' },     { "group-by", required_argument, 0, 'g' },
        { 0, 0, 0, 0 },
    };
    ReportOptions o = { .out = "report", .n_boot = 1000, .concept_threshold = 0.1 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.db = optarg; break;
        case 'o': o.out = optarg; break;
        case 's': o.sweep = optarg; break;
        case 'w': o.where = optarg; break;
        case 'm': o.metric = optarg; break;
        case 'g': o.group_by = optarg; break;
        case 'b': o.n_boot = (int)arg_long(CMD, "--boot", optarg, 0, 100000); break;
        case 't': o.concept_threshold = arg_double(CMD, "--threshold", optarg, 0, 1e9); break;
        case 'u':
            if (!strcmp(optarg, "loss")) o.unit = 0;
            else if (!strcmp(optarg, "accuracy")) o.unit = 1;
            else if (!strcmp(optarg, "logit")) o.unit = 2;
            else usage_error(CMD, "--unit: expected loss, accuracy or logit, got '%s'", optarg);
            break;
        case 'h': fputs(HELP, stdout); return 0;
        case ':': usage_error(CMD, "%s: needs a value", argv[optind - 1]);
        default: usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o.db) usage_error(CMD, "--db FILE is required");
    ReportResult res;
    int rc = report_write(&o, &res);
    if (rc == -2) usage_error(CMD, "%s", jp_error());
    if (rc != 0) { fprintf(stderr, "jackpot report: %s\n", jp_error()); return 1; }
    int incomplete = res.drawn != res.figures;
    if (incomplete) fprintf(stderr, "jackpot report: some figures were not drawn: %s\n", res.undrawn);
    fputs(res.summary, stdout);
    printf("report: %s/index.html\n", o.out);
    return incomplete;
}

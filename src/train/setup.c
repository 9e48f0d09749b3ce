#include "train/setup.h"

#include <math.h>

void train_member_seeds(const uint64_t *init, int n_init, const uint64_t *data, int n_data, const uint64_t *paired,
                        int n_paired, MemberSeeds *out) {
    int M = n_paired ? n_paired : n_init * n_data;
    for (int m = 0; m < M; m++)
        out[m] = n_paired ? (MemberSeeds){ paired[m], paired[m] } : (MemberSeeds){ init[m / n_data], data[m % n_data] };
}

void train_set_budget(TrainConfig *cfg, long steps, long examples, double epochs, long eval_every, long D) {
    if (steps >= 0) cfg->steps = steps;
    else if (examples >= 0) cfg->steps = (examples + cfg->batch - 1) / cfg->batch;
    else cfg->steps = (long)ceil((epochs >= 0 ? epochs : 1.0) * D / cfg->batch);
    cfg->eval_every = eval_every > 0 ? eval_every : (cfg->steps + 9) / 10;
}

TrainTotals train_totals(const TrainConfig *cfg, const Task *task, const MemberSummary *sum, int M) {
    TrainTotals t = { .wall_s = sum[0].final.wall_s, .eval_s = sum[0].eval_s };
    for (int m = 0; m < M; m++)
        if (sum[m].final.wall_s > t.wall_s) t.wall_s = sum[m].final.wall_s;
    double train_s = t.wall_s - t.eval_s, member_steps = cfg->steps * (double)M;
    double flops = member_steps * cfg->batch * mlp_train_flops_per_example(&cfg->shape);
    t.steps_per_s = member_steps / t.wall_s;
    t.gflops = flops / t.wall_s / 1e9;
    t.train_steps_per_s = member_steps / train_s;
    t.train_gflops = flops / train_s / 1e9;
    // Members sharing a data seed share one sampler and one batch (the group's lead holds them).
    int groups = 0;
    for (int m = 0; m < M; m++) {
        int seen = 0;
        for (int k = 0; k < m && !seen; k++) seen = sum[k].final.data_seed == sum[m].final.data_seed;
        groups += !seen;
    }
    int threads = cfg->threads < M ? cfg->threads : M;   // each evaluates its share from a chunk of its own
    if (threads < 1) threads = 1;
    double D = cfg->train_size ? (double)cfg->train_size : (double)task->train.n;
    t.held_bytes = (double)ensemble_bytes(&cfg->shape, M) +
                   M * (double)mlp_work_bytes(&cfg->shape, train_work_rows(cfg, task)) +
                   groups * ((double)cfg->batch * (task->dim * 4 + 8) + (task->world && !cfg->train_size ? 0 : D * 4)) +
                   threads * (double)train_eval_chunk(cfg) * (task->dim + 1 + task->n_out) * 4 + (double)task_bytes(task);
    return t;
}

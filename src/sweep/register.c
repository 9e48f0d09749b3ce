#include "sweep/register.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/keyid.h"
#include "base/xalloc.h"
#include "store/status.h"
#include "sweep/scheduler.h"

// The store's row of a spec; hash, group, hidden and *json (freed by the caller) hold its texts.
static void store_run_of(const RunSpec *s, StoreRun *r, char hash[17], char group[17], char hidden[160], char **json) {
    spec_hash(s, 1, hash);
    spec_hash(s, 0, group);
    size_t k = 0;
    hidden[0] = 0;
    for (int l = 0; l < s->hidden_n; l++) k += (size_t)snprintf(hidden + k, 160 - k, "%s%d", l ? "," : "", s->hidden[l]);
    *json = spec_json(s);
    *r = (StoreRun){ .hash = hash, .group_hash = group, .params_json = *json, .task = task_names[s->task],
                     .family = family_names[s->family], .hidden = hidden, .optim = optim_names[s->optim],
                     .width = s->width, .depth = s->depth, .n_params = s->n_params,
                     .train_size = s->train_size ? s->train_size : s->pool, .batch = s->batch, .steps = s->steps,
                     .lr = s->lr, .planned_flops = spec_planned_flops(s),
                     .init_seed = s->init_seed, .data_seed = s->data_seed };
}

// The body of the registration transaction: the sweep, then each run (a point listed twice,
// e.g. a repeated seed, is one run and marked once).
static int add_runs(Store *st, const SweepConfig *cfg, const RunSpec *specs, long n, int retry, SweepRuns *out) {
    if (store_add_sweep(st, cfg->name, cfg->path, cfg->text, &out->sweep_id) != 0) return -1;
    KeyIds seen;   // the run hashes registered so far: linear in the sweep's size (a scan was minutes at 10^5 runs)
    keyid_init(&seen);
    int rc = 0;
    for (long i = 0; i < n && rc == 0; i++) {
        StoreRun r;
        char hash[17], group[17], hidden[160], status[16], *json;
        store_run_of(&specs[i], &r, hash, group, hidden, &json);
        rc = store_add_run(st, out->sweep_id, i, &r, &out->run_ids[i], status);
        free(json);
        if (rc != 0) break;
        int distinct = seen.n;
        if (keyid_get(&seen, hash) < distinct) continue;
        if (!strcmp(status, "pending")) out->todo[i] = 1;
        else if (!strcmp(status, "failed") && retry) out->todo[i] = 2;
        else if (!strcmp(status, "failed")) out->failed_before++;
        else out->before++;
    }
    keyid_free(&seen);
    return rc;
}

int sweep_register(Store *st, const SweepConfig *cfg, const RunSpec *specs, long n, int retry, SweepRuns *out) {
    memset(out, 0, sizeof *out);
    out->run_ids = xmalloc_array(n ? (size_t)n : 1, sizeof(long));
    out->todo = xcalloc(n ? (size_t)n : 1, sizeof(int));
    if (store_begin(st) != 0 || add_runs(st, cfg, specs, n, retry, out) != 0 || store_commit(st) != 0) {
        store_rollback(st);   // nothing of the sweep is kept (jp_error() is left as it was)
        sweep_runs_free(out);
        return -1;
    }
    if (out->failed_before)   // why they failed, as stored: best effort, a message only
        store_sweep_first_error(st, out->sweep_id, out->failed_error, sizeof out->failed_error);
    return 0;
}

int sweep_retry_failed(Store *st, SweepRuns *r, long n) {
    for (long i = 0; i < n; i++)
        if (r->todo[i] == 2) {
            if (store_reset_runs(st, &r->run_ids[i], 1) != 0) return -1;
            r->todo[i] = 1;
        }
    return 0;
}

void sweep_runs_free(SweepRuns *r) {
    free(r->run_ids);
    free(r->todo);
    r->run_ids = NULL;
    r->todo = NULL;
}

#include "cli/common.h"

#include "base/keyid.h"
#include "base/xalloc.h"
#include "sweep/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_load_sweep(const char *cmd, const char *path, SweepConfig *cfg, RunSpec **specs, long *n) {
    char err[2048];
    if (sweep_config_load(path, cfg, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, err);
        exit(2);
    }
    sweep_expand(cfg, specs, n, err, sizeof err);   // cannot fail: the load expanded it already
}

void cli_open_store_readonly(const char *cmd, const char *path, Store *st) {
    char err[2048];
    if (store_open(st, path, 1, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, err);
        exit(1);
    }
}

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

void cli_open_sweep_db(const char *cmd, const char *db_path, int wait, int retry, int foreign_ok, const SweepConfig *cfg,
                       const RunSpec *specs, long n, SweepDb *out) {
    char err[2048];
    memset(out, 0, sizeof *out);
    Store *st = &out->st;
    if (store_open(st, db_path, foreign_ok ? STORE_FOREIGN_OK : 0, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, err);
        exit(1);
    }
    if (store_lock(st, wait, err, sizeof err) != 0) {
        fprintf(stderr, "jackpot %s: %s\n", cmd, err);
        exit(wait ? 1 : 3);
    }
    long alive = 0, alive_pid = -1;
    out->reset = store_reset_interrupted(st, &alive, &alive_pid);
    if (out->reset < 0) {
        fprintf(stderr, "jackpot %s: %s: %s\n", cmd, db_path, store_error(st));
        exit(1);
    }
    if (alive > 0) {   // the lock was free, yet a live runner on this host has runs in flight
        fprintf(stderr, "jackpot %s: %s: %ld runs are being trained by pid %ld on this host, which holds no lock on this "
                        "file (a file system without flock, or an older jackpot); wait for it to finish\n",
                cmd, db_path, alive, alive_pid);
        exit(3);
    }
    out->run_ids = xmalloc(sizeof(long) * (n ? n : 1));
    out->todo = xcalloc(n ? n : 1, sizeof(int));
    KeyIds seen;   // the run hashes registered so far: linear in the sweep's size (a scan was minutes at 10^5 runs)
    keyid_init(&seen);
    long sweep_id = 0;
    int rc = store_exec(st, "BEGIN IMMEDIATE", err, sizeof err);
    rc = rc || store_add_sweep(st, cfg->name, cfg->path, cfg->text, &sweep_id);
    for (long i = 0; i < n && rc == 0; i++) {
        StoreRun r;
        char hash[17], group[17], hidden[160], status[16], *json;
        store_run_of(&specs[i], &r, hash, group, hidden, &json);
        rc = store_add_run(st, sweep_id, i, &r, &out->run_ids[i], status);
        free(json);
        if (rc != 0) break;
        int distinct = seen.n;
        if (keyid_get(&seen, hash) < distinct) continue;   // a point listed twice (e.g. a repeated seed) is one run
        if (!strcmp(status, "pending")) out->todo[i] = 1;
        else if (!strcmp(status, "failed") && retry) out->todo[i] = 2;
        else if (!strcmp(status, "failed")) out->failed_before++;
        else out->before++;
    }
    keyid_free(&seen);
    rc = rc || store_exec(st, "COMMIT", err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "jackpot %s: %s: %s\n", cmd, db_path, store_error(st));
        exit(1);
    }
    if (out->failed_before) {   // why they failed, as stored: the first of this sweep's
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(st->db, "SELECT r.error FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id"
                                       " WHERE sr.sweep_id = ? AND r.status = 'failed' AND r.error IS NOT NULL"
                                       " ORDER BY sr.position LIMIT 1", -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, sweep_id);
            if (sqlite3_step(q) == SQLITE_ROW)
                snprintf(out->failed_error, sizeof out->failed_error, "%s", (const char *)sqlite3_column_text(q, 0));
            sqlite3_finalize(q);
        }
    }
    for (long i = 0; i < n; i++)
        if (out->todo[i] == 2) {
            if (store_reset_runs(st, &out->run_ids[i], 1) != 0) { fprintf(stderr, "jackpot %s: %s\n", cmd, store_error(st)); exit(1); }
            out->todo[i] = 1;
        }
}

#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/text.h"

#define JACKPOT_VERSION "0.1"

static const char *const MIGRATIONS[STORE_SCHEMA_VERSION] = {
    // 0 → 1: the initial schema
    "CREATE TABLE sweeps("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT, config TEXT NOT NULL, config_hash TEXT NOT NULL,"
    "  jackpot_version TEXT, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  UNIQUE(name, config_hash));"
    "CREATE TABLE runs("
    "  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, group_hash TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','running','done','failed','diverged')),"
    "  task TEXT, family TEXT, width INTEGER, depth INTEGER, hidden TEXT, n_params INTEGER, train_size INTEGER,"
    "  batch INTEGER, steps INTEGER, lr REAL, optim TEXT, init_seed INTEGER, data_seed INTEGER,"
    "  planned_flops REAL, params TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, launch INTEGER,"
    "  host TEXT, pid INTEGER, started TEXT, finished TEXT, wall_s REAL, diverged_step INTEGER, error TEXT);"
    "CREATE INDEX runs_group ON runs(group_hash);"
    "CREATE INDEX runs_status ON runs(status);"
    "CREATE TABLE sweep_runs(sweep_id INTEGER NOT NULL REFERENCES sweeps(id),"
    "  run_id INTEGER NOT NULL REFERENCES runs(id), position INTEGER, PRIMARY KEY(sweep_id, run_id)) WITHOUT ROWID;"
    "CREATE TABLE launches(id INTEGER PRIMARY KEY, started TEXT, wall_s REAL, members INTEGER, host TEXT);"
    "CREATE TABLE metrics(run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL, examples REAL,"
    "  flops REAL, wall_s REAL, split TEXT NOT NULL, name TEXT NOT NULL, value REAL,"
    "  PRIMARY KEY(run_id, step, split, name)) WITHOUT ROWID;"
    "CREATE TABLE summaries(run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, value REAL,"
    "  PRIMARY KEY(run_id, name)) WITHOUT ROWID;",
    // 1 → 2: fitted laws
    "CREATE TABLE fits(id INTEGER PRIMARY KEY, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  law TEXT NOT NULL, source TEXT, options TEXT, result TEXT NOT NULL);",
    // 2 → 3: outcome distributions
    "CREATE TABLE dists(id INTEGER PRIMARY KEY, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  source TEXT, result TEXT NOT NULL);",
    // 3 → 4: lottery tickets
    "CREATE TABLE tickets(run_id INTEGER NOT NULL REFERENCES runs(id), level INTEGER NOT NULL, variant TEXT NOT NULL,"
    "  density REAL, layer_density TEXT, rewind_step INTEGER, best_step INTEGER, best_val_loss REAL, best_val_acc REAL,"
    "  best_test_loss REAL, best_test_acc REAL, final_step INTEGER, final_val_loss REAL, final_val_acc REAL, final_test_loss REAL,"
    "  final_test_acc REAL, barrier REAL, PRIMARY KEY(run_id, level, variant)) WITHOUT ROWID;",
    // 4 → 5: toy worlds' per-concept test metrics (concept = frequency rank, 0 the most frequent)
    "CREATE TABLE concepts(run_id INTEGER NOT NULL REFERENCES runs(id), step INTEGER NOT NULL, concept INTEGER NOT NULL,"
    "  loss REAL, acc REAL, PRIMARY KEY(run_id, step, concept)) WITHOUT ROWID;",
};

static int set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b) {
    snprintf(err, errlen, fmt, a, b);
    return -1;
}

static int exec_raw(sqlite3 *db, const char *sql, char *err, size_t errlen) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int migrate(Store *s, char *err, size_t errlen) {
    sqlite3_stmt *st;
    sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (version > STORE_SCHEMA_VERSION)
        return set_err(err, errlen, "%s: written by a newer jackpot (schema %s); upgrade jackpot to read it", s->path,
                       version == STORE_SCHEMA_VERSION + 1 ? "+1" : "newer");
    for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
        char sql[64], msg[512];
        if (exec_raw(s->db, "BEGIN IMMEDIATE", msg, sizeof msg) != 0) return set_err(err, errlen, "%s: %s", s->path, msg);
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if (exec_raw(s->db, MIGRATIONS[v], msg, sizeof msg) != 0 || exec_raw(s->db, sql, msg, sizeof msg) != 0) {
            exec_raw(s->db, "ROLLBACK", msg, sizeof msg);
            return set_err(err, errlen, "%s: migration failed: %s", s->path, msg);
        }
        if (exec_raw(s->db, "COMMIT", msg, sizeof msg) != 0) return set_err(err, errlen, "%s: %s", s->path, msg);
    }
    return 0;
}

int store_open(Store *s, const char *path, int readonly, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    snprintf(s->path, sizeof s->path, "%s", path);
    pthread_mutex_init(&s->mu, NULL);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (readonly && access(path, R_OK) != 0) return set_err(err, errlen, "%s: %s", path, strerror(errno));
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        set_err(err, errlen, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 30000);
    char msg[512];
    // WAL: readers (status, export) never block the runner; NORMAL sync is
    // durable against a crash of this process, which is what resume needs.
    if ((!readonly && exec_raw(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", msg, sizeof msg) != 0) ||
        exec_raw(s->db, "PRAGMA foreign_keys=ON;", msg, sizeof msg) != 0) {
        set_err(err, errlen, "%s: %s (is it an SQLite database?)", path, msg);
        store_close(s);
        return -1;
    }
    if (!readonly && migrate(s, err, errlen) != 0) { store_close(s); return -1; }
    if (readonly) {
        sqlite3_stmt *st;
        int ok = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM runs", -1, &st, NULL) == SQLITE_OK;
        sqlite3_finalize(st);
        if (!ok) { set_err(err, errlen, "%s: not a jackpot database (%s)", path, sqlite3_errmsg(s->db)); store_close(s); return -1; }
    }
    return 0;
}

void store_close(Store *s) {
    if (s->db) sqlite3_close(s->db);
    if (s->lock_fd >= 0) close(s->lock_fd);
    pthread_mutex_destroy(&s->mu);
    s->db = NULL;
    s->lock_fd = -1;
}

int store_lock(Store *s, int wait, char *err, size_t errlen) {
    char lock_path[1100];
    snprintf(lock_path, sizeof lock_path, "%s.lock", s->path);
    int fd = open(lock_path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return set_err(err, errlen, "%s: %s", lock_path, strerror(errno));
    if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        char holder[32] = "?";
        ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
        holder[n > 0 ? n : 0] = 0;
        holder[strcspn(holder, "\n")] = 0;
        close(fd);
        snprintf(err, errlen, "%s is in use by another jackpot run (pid %s); wait for it to finish, or pass --wait",
                 s->path, holder);
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, n, 0) != n) { /* informative only */ }
    s->lock_fd = fd;
    return 0;
}

const char *store_error(Store *s) { return sqlite3_errmsg(s->db); }

int store_exec(Store *s, const char *sql, char *err, size_t errlen) {
    pthread_mutex_lock(&s->mu);
    int rc = exec_raw(s->db, sql, err, errlen);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

// ---- prepared statements: bind by position, step once ----

static sqlite3_stmt *prep(Store *s, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
    return st;
}

static int step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void bind_real(sqlite3_stmt *st, int i, double v) {
    if (isfinite(v)) sqlite3_bind_double(st, i, v);
    else sqlite3_bind_null(st, i);
}

int store_add_sweep(Store *s, const char *name, const char *path, const char *config, long *sweep_id) {
    char hash[17];
    fnv1a_hex(config, hash);
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO sweeps(name, path, config, config_hash, jackpot_version) VALUES (?,?,?,?,?)");
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, config, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, JACKPOT_VERSION, -1, SQLITE_STATIC);
        if (step_done(st) == 0 && (st = prep(s, "SELECT id FROM sweeps WHERE name = ? AND config_hash = ?"))) {
            sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) { *sweep_id = sqlite3_column_int64(st, 0); rc = 0; }
            sqlite3_finalize(st);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_add_run(Store *s, long sweep_id, long position, const StoreRun *r, long *run_id, char status[16]) {
    pthread_mutex_lock(&s->mu);
    int rc = -1;
    sqlite3_stmt *st = prep(s,
        "INSERT OR IGNORE INTO runs(hash, group_hash, task, family, width, depth, hidden, n_params, train_size, batch,"
        " steps, lr, optim, init_seed, data_seed, planned_flops, params) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st) {
        sqlite3_bind_text(st, 1, r->hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, r->group_hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, r->task, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, r->family, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, r->width);
        sqlite3_bind_int64(st, 6, r->depth);
        sqlite3_bind_text(st, 7, r->hidden, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 8, r->n_params);
        sqlite3_bind_int64(st, 9, r->train_size);
        sqlite3_bind_int64(st, 10, r->batch);
        sqlite3_bind_int64(st, 11, r->steps);
        bind_real(st, 12, r->lr);
        sqlite3_bind_text(st, 13, r->optim, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 14, (sqlite3_int64)r->init_seed);
        sqlite3_bind_int64(st, 15, (sqlite3_int64)r->data_seed);
        bind_real(st, 16, r->planned_flops);
        sqlite3_bind_text(st, 17, r->params_json, -1, SQLITE_TRANSIENT);
        if (step_done(st) == 0 && (st = prep(s, "SELECT id, status FROM runs WHERE hash = ?"))) {
            sqlite3_bind_text(st, 1, r->hash, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) {
                *run_id = sqlite3_column_int64(st, 0);
                snprintf(status, 16, "%s", (const char *)sqlite3_column_text(st, 1));
                rc = 0;
            }
            sqlite3_finalize(st);
        }
        if (rc == 0 && (st = prep(s, "INSERT OR IGNORE INTO sweep_runs(sweep_id, run_id, position) VALUES (?,?,?)"))) {
            sqlite3_bind_int64(st, 1, sweep_id);
            sqlite3_bind_int64(st, 2, *run_id);
            sqlite3_bind_int64(st, 3, position);
            rc = step_done(st);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static const char CLEAR_RUN_SQL[] =
    "DELETE FROM metrics WHERE run_id = ?1; DELETE FROM summaries WHERE run_id = ?1; DELETE FROM concepts WHERE run_id = ?1;"
    "UPDATE runs SET status = 'pending', launch = NULL, started = NULL, finished = NULL, wall_s = NULL,"
    " diverged_step = NULL, error = NULL WHERE id = ?1;";

// Runs CLEAR_RUN_SQL (three statements) for one id, inside the caller's transaction.
static int clear_run(Store *s, long id) {
    const char *sql = CLEAR_RUN_SQL;
    while (*sql) {
        sqlite3_stmt *st;
        const char *tail;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, &tail) != SQLITE_OK) return -1;
        if (!st) break;
        sqlite3_bind_int64(st, 1, id);
        if (step_done(st) != 0) return -1;
        sql = tail;
    }
    return 0;
}

static int in_transaction(Store *s, int (*body)(Store *, void *), void *arg) {
    char msg[256];
    pthread_mutex_lock(&s->mu);
    int rc = exec_raw(s->db, "BEGIN IMMEDIATE", msg, sizeof msg);
    if (rc == 0) {
        rc = body(s, arg);
        exec_raw(s->db, rc == 0 ? "COMMIT" : "ROLLBACK", msg, sizeof msg);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

typedef struct { const long *ids; int n; long count; } IdList;

static const char RESET_INTERRUPTED_SQL[] =
    "DELETE FROM metrics WHERE run_id IN (SELECT id FROM runs WHERE status = 'running');"
    "DELETE FROM summaries WHERE run_id IN (SELECT id FROM runs WHERE status = 'running');"
    "DELETE FROM concepts WHERE run_id IN (SELECT id FROM runs WHERE status = 'running');"
    "UPDATE runs SET status = 'pending', launch = NULL, started = NULL, finished = NULL, wall_s = NULL,"
    " diverged_step = NULL, error = NULL WHERE status = 'running';";

static int reset_interrupted_body(Store *s, void *arg) {
    char msg[256];
    if (exec_raw(s->db, RESET_INTERRUPTED_SQL, msg, sizeof msg) != 0) return -1;
    ((IdList *)arg)->count = sqlite3_changes(s->db);
    return 0;
}

long store_reset_interrupted(Store *s) {
    IdList l = { 0 };
    return in_transaction(s, reset_interrupted_body, &l) == 0 ? l.count : -1;
}

static int reset_runs_body(Store *s, void *arg) {
    IdList *l = arg;
    for (int i = 0; i < l->n; i++)
        if (clear_run(s, l->ids[i]) != 0) return -1;
    return 0;
}

int store_reset_runs(Store *s, const long *ids, int n) {
    IdList l = { ids, n, 0 };
    return in_transaction(s, reset_runs_body, &l);
}

typedef struct { const long *ids; int n; long launch; } Launch;

static int start_launch_body(Store *s, void *arg) {
    Launch *l = arg;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    sqlite3_stmt *st = prep(s, "INSERT INTO launches(started, members, host) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, ?)");
    if (!st) return -1;
    sqlite3_bind_int(st, 1, l->n);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
    if (step_done(st) != 0) return -1;
    l->launch = sqlite3_last_insert_rowid(s->db);
    for (int i = 0; i < l->n; i++) {
        st = prep(s, "UPDATE runs SET status = 'running', attempts = attempts + 1, launch = ?, host = ?, pid = ?,"
                     " started = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?");
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, l->launch);
        sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, (int)getpid());
        sqlite3_bind_int64(st, 4, l->ids[i]);
        if (step_done(st) != 0) return -1;
    }
    return 0;
}

int store_start_launch(Store *s, const long *ids, int n, long *launch_id) {
    Launch l = { ids, n, 0 };
    int rc = in_transaction(s, start_launch_body, &l);
    *launch_id = l.launch;
    return rc;
}

int store_end_launch(Store *s, long launch_id, double wall_s) {
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = prep(s, "UPDATE launches SET wall_s = ? WHERE id = ?");
    int rc = -1;
    if (st) {
        bind_real(st, 1, wall_s);
        sqlite3_bind_int64(st, 2, launch_id);
        rc = step_done(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

typedef struct {
    long run_id, step; double examples, flops, wall_s; const StoreMetric *m; int n; const StoreConcepts *concepts;
} Eval;

static int add_eval_body(Store *s, void *arg) {
    Eval *e = arg;
    for (int i = 0; i < e->n; i++) {
        if (!isfinite(e->m[i].value)) continue;   // absent, not NaN: SQL aggregates stay meaningful
        sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO metrics(run_id, step, examples, flops, wall_s, split, name, value)"
                                   " VALUES (?,?,?,?,?,?,?,?)");
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, e->run_id);
        sqlite3_bind_int64(st, 2, e->step);
        bind_real(st, 3, e->examples);
        bind_real(st, 4, e->flops);
        bind_real(st, 5, e->wall_s);
        sqlite3_bind_text(st, 6, e->m[i].split, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, e->m[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 8, e->m[i].value);
        if (step_done(st) != 0) return -1;
    }
    for (int c = 0; e->concepts && c < e->concepts->n; c++) {
        sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO concepts(run_id, step, concept, loss, acc) VALUES (?,?,?,?,?)");
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, e->run_id);
        sqlite3_bind_int64(st, 2, e->step);
        sqlite3_bind_int(st, 3, c);
        bind_real(st, 4, e->concepts->loss[c]);
        bind_real(st, 5, e->concepts->acc[c]);
        if (step_done(st) != 0) return -1;
    }
    return 0;
}

int store_add_eval(Store *s, long run_id, long step, double examples, double flops, double wall_s,
                   const StoreMetric *m, int n, const StoreConcepts *concepts) {
    Eval e = { run_id, step, examples, flops, wall_s, m, n, concepts };
    return in_transaction(s, add_eval_body, &e);
}

typedef struct {
    long run_id, diverged_step; const char *status, *error; double wall_s; const StoreSummary *sum; int n;
} Finish;

static int finish_body(Store *s, void *arg) {
    Finish *f = arg;
    for (int i = 0; i < f->n; i++) {
        if (!isfinite(f->sum[i].value)) continue;
        sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO summaries(run_id, name, value) VALUES (?,?,?)");
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, f->run_id);
        sqlite3_bind_text(st, 2, f->sum[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, f->sum[i].value);
        if (step_done(st) != 0) return -1;
    }
    sqlite3_stmt *st = prep(s, "UPDATE runs SET status = ?, diverged_step = ?, wall_s = ?, error = ?,"
                               " finished = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, f->status, -1, SQLITE_STATIC);
    if (f->diverged_step >= 0) sqlite3_bind_int64(st, 2, f->diverged_step);
    else sqlite3_bind_null(st, 2);
    bind_real(st, 3, f->wall_s);
    if (f->error) sqlite3_bind_text(st, 4, f->error, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, f->run_id);
    return step_done(st);
}

int store_finish_run(Store *s, long run_id, const char *status, long diverged_step, double wall_s,
                     const char *error, const StoreSummary *sum, int n) {
    Finish f = { run_id, diverged_step, status, error, wall_s, sum, n };
    return in_transaction(s, finish_body, &f);
}

// INSERT of n text values (sql has n placeholders) under the mutex; the new row id in *id.
static int insert_texts(Store *s, const char *sql, const char *const *texts, int n, long *id) {
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = prep(s, sql);
    int rc = -1;
    if (st) {
        for (int i = 0; i < n; i++) sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_TRANSIENT);
        rc = step_done(st);
        *id = sqlite3_last_insert_rowid(s->db);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_add_fit(Store *s, const char *law, const char *source, const char *options_json, const char *result_json,
                  long *fit_id) {
    const char *v[] = { law, source, options_json, result_json };
    return insert_texts(s, "INSERT INTO fits(law, source, options, result) VALUES (?,?,?,?)", v, 4, fit_id);
}

int store_add_dist(Store *s, const char *source, const char *result_json, long *dist_id) {
    const char *v[] = { source, result_json };
    return insert_texts(s, "INSERT INTO dists(source, result) VALUES (?,?)", v, 2, dist_id);
}

int store_add_ticket(Store *s, const StoreTicket *t) {
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO tickets(run_id, level, variant, density, layer_density, rewind_step,"
                               " best_step, best_val_loss, best_val_acc, best_test_loss, best_test_acc, final_step,"
                               " final_val_loss, final_val_acc, final_test_loss, final_test_acc, barrier) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, t->run_id);
        sqlite3_bind_int64(st, 2, t->level);
        sqlite3_bind_text(st, 3, t->variant, -1, SQLITE_TRANSIENT);
        bind_real(st, 4, t->density);
        sqlite3_bind_text(st, 5, t->layer_density_json, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 6, t->rewind_step);
        sqlite3_bind_int64(st, 7, t->best_step);
        bind_real(st, 8, t->best_val_loss);
        bind_real(st, 9, t->best_val_acc);
        bind_real(st, 10, t->best_test_loss);
        bind_real(st, 11, t->best_test_acc);
        sqlite3_bind_int64(st, 12, t->final_step);
        bind_real(st, 13, t->final_val_loss);
        bind_real(st, 14, t->final_val_acc);
        bind_real(st, 15, t->final_test_loss);
        bind_real(st, 16, t->final_test_acc);
        bind_real(st, 17, t->barrier);
        rc = step_done(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

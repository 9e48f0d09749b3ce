#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

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
    // 5 → 6: the runner of each launch, so a restart can tell a live runner from a dead one
    "ALTER TABLE launches ADD COLUMN pid INTEGER;"
    "ALTER TABLE launches ADD COLUMN pid_start INTEGER;",
    // 6 → 7: the learning curve of every ticket level and variant (each evaluation of its training)
    "CREATE TABLE ticket_curves(run_id INTEGER NOT NULL REFERENCES runs(id), level INTEGER NOT NULL, variant TEXT NOT NULL,"
    "  step INTEGER NOT NULL, val_loss REAL, val_acc REAL, test_loss REAL, test_acc REAL,"
    "  PRIMARY KEY(run_id, level, variant, step)) WITHOUT ROWID;",
    // 7 → 8: comparisons of two arms (jackpot compare) and their multiplier along the budget
    "CREATE TABLE compares(id INTEGER PRIMARY KEY, created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    "  law TEXT NOT NULL, metric TEXT, axis TEXT, arm_a TEXT, where_a TEXT, arm_b TEXT, where_b TEXT, cost_b REAL,"
    "  trend REAL, trend_lo REAL, trend_hi REAL, crossing REAL, crossing_lo REAL, crossing_hi REAL, crossing_within INTEGER,"
    "  source TEXT, result TEXT NOT NULL);"
    "CREATE TABLE compare_curve(compare_id INTEGER NOT NULL REFERENCES compares(id), x REAL NOT NULL, loss_a REAL,"
    "  loss_b REAL, k REAL, k_lo REAL, k_hi REAL, k_net REAL, k_net_lo REAL, k_net_hi REAL,"
    "  PRIMARY KEY(compare_id, x)) WITHOUT ROWID;",
};

// SQL with no result rows, outside the mutex; 0 or −1, recording nothing: the caller names the
// failure (note_failure, or sqlite3_errmsg), or ignores it (a best-effort ROLLBACK must not
// replace the message of the failure that made it).
static int exec_raw(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

// Why a write failed, when it is a full disk: SQLite says SQLITE_FULL only for a short write;
// a write that fails outright (ENOSPC, EFBIG past RLIMIT_FSIZE, EDQUOT) is SQLITE_IOERR_WRITE
// and sqlite3_system_errno is often 0 by the time we ask. So an I/O error is named disk full
// on evidence: the errno, or the file system has (almost) no space left, or one of the
// database's files has reached the file size limit. "" when there is none.
static const char *full_disk_reason(const char *path, int prim, int sys) {
    if (prim != SQLITE_IOERR && prim != SQLITE_FULL && prim != SQLITE_CANTOPEN) return "";   // not a write that failed
    int e = sys ? sys : errno;
    if (e == ENOSPC || e == EFBIG || e == EDQUOT) return strerror(e);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[slash == dir] = 0;
    else snprintf(dir, sizeof dir, ".");
    struct statvfs v;
    if (statvfs(dir, &v) == 0 && (double)v.f_bavail * (double)v.f_frsize < 1 << 20) return "no space left on the device";
    struct rlimit lim;
    if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
        static const char *const ext[] = { "", "-wal", "-journal", "-shm" };
        for (int i = 0; i < 4; i++) {
            char f[1100];
            struct stat st;
            snprintf(f, sizeof f, "%s%s", path, ext[i]);
            if (stat(f, &st) == 0 && (double)st.st_size + 65536 >= (double)lim.rlim_cur) return "file size limit reached";
        }
    }
    return prim == SQLITE_FULL ? "database or disk is full" : "";
}

// Records the connection's last error in s->errmsg and in this thread's jp_error(): called
// under the mutex right after the failure, before any other statement (a ROLLBACK) or another
// thread's failure replaces it; a full disk is named as such. The jp_error() copy is what a
// caller reads (store_error() reads s->errmsg, which another worker may overwrite). Returns −1.
static int note_failure(Store *s) {
    int saved = errno;   // the failed write's, unless something since failed too
    int ext = sqlite3_extended_errcode(s->db), sys = sqlite3_system_errno(s->db);
    const char *msg = sqlite3_errmsg(s->db);
    errno = saved;
    const char *full = full_disk_reason(s->path, ext & 0xff, sys);
    if (full[0] && !strcmp(full, msg)) snprintf(s->errmsg, sizeof s->errmsg, "disk full (%s)", msg);
    else if (full[0]) snprintf(s->errmsg, sizeof s->errmsg, "disk full (%s: %s)", msg, full);
    else snprintf(s->errmsg, sizeof s->errmsg, "%s", msg);
    return jp_fail("%s", s->errmsg);
}

// One integer from a query (a PRAGMA, a count): 0, or −1 with the connection's error.
static int query_long(sqlite3 *db, const char *sql, long *out) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

// jackpot's own tables since version 1: an unmarked file holding all of them (and a
// user_version) was written by a jackpot from before the application_id marker.
static const char JACKPOT_TABLES_SQL[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
    " AND name IN ('sweeps', 'runs', 'sweep_runs', 'launches', 'metrics', 'summaries')";

// Decides, by reading only, whether this connection may write to the file: a new or empty
// database, one marked as jackpot's, or an older jackpot's (unmarked); anything else only with
// STORE_FOREIGN_OK. *app: the file's application_id; *from: the schema version to migrate
// from (0 where none of jackpot's tables exist: a foreign user_version means nothing to us).
static int check_ours(Store *s, int flags, long *app, long *from) {
    long version = 0, entries = 0, ours = 0;
    if (query_long(s->db, "PRAGMA application_id", app) != 0 || query_long(s->db, "PRAGMA user_version", &version) != 0 ||
        query_long(s->db, "SELECT count(*) FROM sqlite_master", &entries) != 0 ||
        query_long(s->db, JACKPOT_TABLES_SQL, &ours) != 0)
        return jp_fail("%s: %s (is it an SQLite database?)", s->path, sqlite3_errmsg(s->db));
    *from = ours ? version : 0;
    if (*app == STORE_APPLICATION_ID) return 0;
    if (*app == 0 && entries == 0 && version == 0) return 0;   // new, or an empty SQLite file
    if (*app == 0 && ours == 6 && version >= 1) return 0;      // an older jackpot's
    if (flags & STORE_FOREIGN_OK) return 0;
    char tables[200] = "";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &st, NULL) == SQLITE_OK) {
        size_t k = 0;
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW && k < sizeof tables - 40) {
            if (n++ == 6) { snprintf(tables + k, sizeof tables - k, ", …"); break; }
            k += (size_t)snprintf(tables + k, sizeof tables - k, "%s%.32s", k ? ", " : "", (const char *)sqlite3_column_text(st, 0));
        }
        sqlite3_finalize(st);
    }
    return jp_fail("%s: not a jackpot database (application_id %ld, user_version %ld, tables: %s); nothing was changed. "
                   "Choose another --db, or pass --force-foreign-db to add jackpot's tables to this file",
                   s->path, *app, version, tables[0] ? tables : "none");
}

static int migrate(Store *s, long app, long version) {
    if (version > STORE_SCHEMA_VERSION)
        return jp_fail("%s: written by a newer jackpot (schema %s); upgrade jackpot to read it", s->path,
                       version == STORE_SCHEMA_VERSION + 1 ? "+1" : "newer");
    // Each step one transaction; the marker goes with the first (an unmarked older jackpot
    // database, or a new one). A foreign application's id is never overwritten.
    for (int v = (int)version; v < STORE_SCHEMA_VERSION || app == 0; v++) {
        char sql[96];
        if (exec_raw(s->db, "BEGIN IMMEDIATE") != 0) return note_failure(s), jp_fail("%s: %s", s->path, s->errmsg);
        if (v < STORE_SCHEMA_VERSION) snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", v + 1);
        else sql[0] = 0;
        if (app == 0) snprintf(sql + strlen(sql), sizeof sql - strlen(sql), "PRAGMA application_id = %d;", STORE_APPLICATION_ID);
        if ((v < STORE_SCHEMA_VERSION && exec_raw(s->db, MIGRATIONS[v]) != 0) || exec_raw(s->db, sql) != 0) {
            note_failure(s);
            exec_raw(s->db, "ROLLBACK");
            return jp_fail("%s: migration failed: %s", s->path, s->errmsg);
        }
        if (exec_raw(s->db, "COMMIT") != 0) {
            note_failure(s);
            if (!sqlite3_get_autocommit(s->db)) exec_raw(s->db, "ROLLBACK");
            return jp_fail("%s: %s", s->path, s->errmsg);
        }
        app = STORE_APPLICATION_ID;
    }
    return 0;
}

// A file URI for the path (RFC 3986 percent-encoding of all but unreserved characters and '/').
static void file_uri(const char *path, const char *query, char *out, size_t n) {
    size_t k = (size_t)snprintf(out, n, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < n; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
            out[k++] = (char)*p;
        else
            k += (size_t)snprintf(out + k, n - k, "%%%02X", *p);
    }
    snprintf(out + k, n - k, "%s", query);
}

int store_open_read(const char *path, sqlite3 **out) {
    *out = NULL;
    if (access(path, R_OK) != 0) return jp_fail("%s: %s", path, strerror(errno));
    for (int immutable = 0; immutable < 2; immutable++) {
        char uri[3200];
        int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX;
        if (immutable) {
            file_uri(path, "?immutable=1", uri, sizeof uri);
            flags |= SQLITE_OPEN_URI;
        }
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(immutable ? uri : path, &db, flags, NULL) != SQLITE_OK) {
            jp_fail("%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
            sqlite3_close(db);
            return -1;
        }
        sqlite3_busy_timeout(db, 30000);
        long n;
        if (query_long(db, "SELECT count(*) FROM sqlite_master", &n) == 0) { *out = db; return 0; }
        // A WAL-mode file needs its -shm, which SQLite cannot create in a read-only directory
        // (SQLITE_READONLY_CANTINIT or CANTOPEN at the first read). With no -wal holding
        // frames, the file alone is the whole database: open it immutable.
        int prim = sqlite3_errcode(db) & 0xff;
        char wal[1100];
        struct stat w;
        snprintf(wal, sizeof wal, "%s-wal", path);
        if (immutable || (prim != SQLITE_READONLY && prim != SQLITE_CANTOPEN))
            jp_fail("%s: %s (is it an SQLite database?)", path, sqlite3_errmsg(db));
        else if (stat(wal, &w) == 0 && w.st_size > 0)
            jp_fail("%s: cannot be read here: its write-ahead log (-wal) needs a -shm file that this directory "
                    "does not let us create; copy the database with its -wal into a writable directory", path);
        else {
            sqlite3_close(db);
            continue;
        }
        sqlite3_close(db);
        return -1;
    }
    return -1;
}

// Read-only Store: store_open_read, and jackpot's runs table must be there.
static int open_readonly(Store *s, const char *path) {
    if (store_open_read(path, &s->db) != 0) return -1;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM runs", -1, &st, NULL);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) return jp_fail("%s: not a jackpot database (%s)", path, sqlite3_errmsg(s->db));
    if (exec_raw(s->db, "PRAGMA foreign_keys=ON;") != 0) return jp_fail("%s", sqlite3_errmsg(s->db));
    return 0;
}

int store_open(Store *s, const char *path, int flags) {
    memset(s, 0, sizeof *s);
    s->lock_fd = -1;
    snprintf(s->path, sizeof s->path, "%s", path);
    pthread_mutex_init(&s->mu, NULL);
    if (flags & STORE_READONLY) {
        if (open_readonly(s, path) == 0) return 0;
        store_close(s);
        return -1;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        jp_fail("%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 30000);
    long app = 0, from = 0;
    if (check_ours(s, flags, &app, &from) != 0) { store_close(s); return -1; }   // nothing written yet
    s->writer = 1;
    // WAL: readers (status, export) never block the runner; NORMAL sync is
    // durable against a crash of this process, which is what resume needs.
    if (exec_raw(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;") != 0) {
        note_failure(s);
        jp_fail("%s: %s", path, s->errmsg);
        store_close(s);
        return -1;
    }
    if (migrate(s, app, from) != 0) { store_close(s); return -1; }
    return 0;
}

void store_close(Store *s) {
    if (s->db && s->writer) {
        // At rest the file is one self-contained rollback-journal database, so readers need no
        // -shm and can open it in a read-only directory. This needs every other connection gone:
        // with one open (a reader, another writer) the file stays in WAL, which is just as valid.
        sqlite3_busy_timeout(s->db, 250);
        sqlite3_exec(s->db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    }
    if (s->db) sqlite3_close(s->db);
    if (s->lock_fd >= 0) close(s->lock_fd);   // after the database: see Store.lock_fd
    pthread_mutex_destroy(&s->mu);
    s->db = NULL;
    s->lock_fd = -1;
    s->locked = 0;
}

// The pid holding a flock on fd's file, from /proc/locks (same device and inode); −1 if unknown.
static long lock_holder(int fd) {
    struct stat st;
    FILE *f = fopen("/proc/locks", "r");
    if (!f || fstat(fd, &st) != 0) { if (f) fclose(f); return -1; }
    char line[256];
    long any = -1;
    while (fgets(line, sizeof line, f)) {
        long pid;
        unsigned maj, min;
        unsigned long ino;
        if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) != 4 || ino != st.st_ino) continue;
        if (maj == major(st.st_dev) && min == minor(st.st_dev)) { fclose(f); return pid; }
        any = pid;   // overlay file systems report another device for the same inode
    }
    fclose(f);
    return any;
}

int store_lock(Store *s, int wait) {
    if (s->locked) return 0;
    // The file itself, not its path: every name of it (symlink, hard link, bind mount) is one inode.
    if (s->lock_fd < 0 && (s->lock_fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
        return jp_fail("%s: %s", s->path, strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno != EWOULDBLOCK) return jp_fail("%s: cannot lock: %s", s->path, strerror(errno));
        char who[32] = "unknown";
        long holder = lock_holder(s->lock_fd);
        if (holder > 0) snprintf(who, sizeof who, "%ld", holder);
        // lock_fd stays open until store_close (see Store.lock_fd)
        return jp_fail("%s is in use by another jackpot run (pid %s); wait for it to finish, or pass --wait", s->path, who);
    }
    s->locked = 1;
    return 0;
}

const char *store_error(Store *s) { return s->errmsg[0] ? s->errmsg : sqlite3_errmsg(s->db); }

int store_exec(Store *s, const char *sql) {
    pthread_mutex_lock(&s->mu);
    int rc = exec_raw(s->db, sql) != 0 ? note_failure(s) : 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_begin(Store *s) { return store_exec(s, "BEGIN IMMEDIATE"); }
int store_commit(Store *s) { return store_exec(s, "COMMIT"); }

void store_rollback(Store *s) {
    pthread_mutex_lock(&s->mu);
    if (!sqlite3_get_autocommit(s->db)) exec_raw(s->db, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
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
    if (rc != 0) note_failure(s);
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
    if (rc != 0) note_failure(s);
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

// body inside BEGIN IMMEDIATE … COMMIT under the mutex. Any failure, the COMMIT's included
// (a full disk shows there first: WAL frames are written at commit), is noted and rolled
// back, and returns −1: nothing of the body is kept.
static int in_transaction(Store *s, int (*body)(Store *, void *), void *arg) {
    pthread_mutex_lock(&s->mu);
    int rc = exec_raw(s->db, "BEGIN IMMEDIATE");
    if (rc != 0) note_failure(s);
    else if ((rc = body(s, arg)) != 0 || (rc = exec_raw(s->db, "COMMIT")) != 0) {
        note_failure(s);
        // SQLite rolls back by itself after some errors (SQLITE_FULL, IOERR); otherwise we do
        if (!sqlite3_get_autocommit(s->db)) exec_raw(s->db, "ROLLBACK");
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

typedef struct { const long *ids; int n; long count; } IdList;

// This process's start time in clock ticks after boot (field 22 of /proc/PID/stat); −1 if unknown.
static long proc_start_ticks(long pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');   // the command name may hold spaces and parentheses
    long ticks = -1;
    if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %ld", &ticks) != 1)
        ticks = -1;
    return ticks;
}

// Whether the runner that launched a run may still be at work: this host, its pid alive, and
// (where recorded and readable) the same start time, so a reused pid is not taken for it.
static int runner_alive(const char *host, long pid, long pid_start) {
    char me[256] = "";
    gethostname(me, sizeof me - 1);
    if (!host || strcmp(host, me) != 0 || pid <= 0 || pid == (long)getpid()) return 0;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM) return 0;
    long now = pid_start >= 0 ? proc_start_ticks(pid) : -1;
    return now < 0 || now == pid_start;
}

typedef struct { long count, alive, alive_pid; } Reset;

static int reset_interrupted_body(Store *s, void *arg) {
    Reset *r = arg;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT r.id, r.host, r.pid, l.pid_start FROM runs r LEFT JOIN launches l ON l.id = r.launch"
                                  " WHERE r.status = 'running'", -1, &st, NULL) != SQLITE_OK)
        return -1;
    long *gone = NULL, n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long pid = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 2);
        long start = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : (long)sqlite3_column_int64(st, 3);
        if (runner_alive((const char *)sqlite3_column_text(st, 1), pid, start)) {
            r->alive++;
            r->alive_pid = pid;
            continue;
        }
        if (n == cap) {
            gone = xrealloc(gone, sizeof *gone * (size_t)(cap = cap ? 2 * cap : 64));
        }
        gone[n++] = (long)sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    rc = rc == SQLITE_DONE ? 0 : -1;
    for (long i = 0; i < n && rc == 0; i++) rc = clear_run(s, gone[i]);
    free(gone);
    r->count = n;
    return rc;
}

long store_reset_interrupted(Store *s, long *alive, long *alive_pid) {
    Reset r = { 0, 0, -1 };
    int rc = in_transaction(s, reset_interrupted_body, &r);
    if (alive) *alive = r.alive;
    if (alive_pid) *alive_pid = r.alive_pid;
    return rc == 0 ? r.count : -1;
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
    sqlite3_stmt *st = prep(s, "INSERT INTO launches(started, members, host, pid, pid_start)"
                               " VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, ?, ?, ?)");
    if (!st) return -1;
    sqlite3_bind_int(st, 1, l->n);
    sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
    long start = proc_start_ticks((long)getpid());
    if (start >= 0) sqlite3_bind_int64(st, 4, start);
    else sqlite3_bind_null(st, 4);
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
    if (rc != 0) note_failure(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

typedef struct { const long *ids; int n; long train_size; } TrainSize;

static int set_train_size_body(Store *s, void *arg) {
    TrainSize *t = arg;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET train_size = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = 0;
    for (int i = 0; i < t->n && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, t->train_size);
        sqlite3_bind_int64(st, 2, t->ids[i]);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int store_set_train_size(Store *s, const long *ids, int n, long train_size) {
    TrainSize t = { ids, n, train_size };
    return in_transaction(s, set_train_size_body, &t);
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
    if (rc != 0) note_failure(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_add_fit(Store *s, const char *law, const char *source, const char *options_json, const char *result_json,
                  long *fit_id) {
    const char *v[] = { law, source, options_json, result_json };
    return insert_texts(s, "INSERT INTO fits(law, source, options, result) VALUES (?,?,?,?)", v, 4, fit_id);
}

typedef struct { const StoreCompare *c; long *id; } CompareRows;

static int add_compare_body(Store *s, void *arg) {
    const CompareRows *a = arg;
    const StoreCompare *c = a->c;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO compares(law, metric, axis, arm_a, where_a, arm_b, where_b, cost_b, trend, trend_lo,"
                                  " trend_hi, crossing, crossing_lo, crossing_hi, crossing_within, source, result)"
                                  " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) return -1;
    const char *t[] = { c->law, c->metric, c->axis, c->arm[0], c->where[0], c->arm[1], c->where[1] };
    for (int i = 0; i < 7; i++) sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_TRANSIENT);
    const double v[] = { c->cost_b, c->trend[0], c->trend[1], c->trend[2], c->crossing[0], c->crossing[1], c->crossing[2] };
    for (int i = 0; i < 7; i++) bind_real(st, i + 8, v[i]);
    sqlite3_bind_int(st, 15, c->crossing_within);
    sqlite3_bind_text(st, 16, c->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 17, c->result_json, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    if (rc != 0) return -1;
    *a->id = sqlite3_last_insert_rowid(s->db);
    if (sqlite3_prepare_v2(s->db, "INSERT INTO compare_curve(compare_id, x, loss_a, loss_b, k, k_lo, k_hi, k_net, k_net_lo,"
                                  " k_net_hi) VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) return -1;
    for (int i = 0; i < c->n && rc == 0; i++) {
        const double v[] = { c->x[i], c->loss_a[i], c->loss_b[i], c->k[i], c->k_lo[i], c->k_hi[i], c->k_net[i], c->k_net_lo[i], c->k_net_hi[i] };
        sqlite3_bind_int64(st, 1, *a->id);
        for (int j = 0; j < 9; j++) bind_real(st, j + 2, v[j]);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int store_add_compare(Store *s, const StoreCompare *c, long *compare_id) {
    CompareRows a = { c, compare_id };
    return in_transaction(s, add_compare_body, &a);
}

int store_add_dist(Store *s, const char *source, const char *result_json, long *dist_id) {
    const char *v[] = { source, result_json };
    return insert_texts(s, "INSERT INTO dists(source, result) VALUES (?,?)", v, 2, dist_id);
}

int store_add_ticket_eval(Store *s, long run_id, long level, const char *variant, long step, double val_loss,
                          double val_acc, double test_loss, double test_acc) {
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO ticket_curves(run_id, level, variant, step, val_loss, val_acc,"
                               " test_loss, test_acc) VALUES (?,?,?,?,?,?,?,?)");
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, level);
        sqlite3_bind_text(st, 3, variant, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, step);
        bind_real(st, 5, val_loss);
        bind_real(st, 6, val_acc);
        bind_real(st, 7, test_loss);
        bind_real(st, 8, test_acc);
        rc = step_done(st);
    }
    if (rc != 0) note_failure(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
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
    if (rc != 0) note_failure(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

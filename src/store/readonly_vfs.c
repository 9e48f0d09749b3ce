// A pass-through SQLite VFS over the default one ("unix") that lets every read-only
// connection of the process read a WAL-mode database in a directory it cannot write.
//
// Why: a WAL-mode file needs its -shm index, and SQLite cannot create one in a read-only
// directory (SQLITE_READONLY_CANTINIT / CANTOPEN at the first read). When no -wal holds
// frames and no -shm exists, the main file alone is the whole database, and SQLite reads it
// as immutable if the file says so (SQLITE_IOCAP_IMMUTABLE): no locks, no WAL, no -shm.
// This is the URI parameter immutable=1 that store_open_read uses, decided per file here so
// that the analyses' own sqlite3_open_v2(SQLITE_OPEN_READONLY) calls get it too.
//
// Immutable means unlocked: a writer that starts later beside it (another user, who may write
// the directory) is not seen consistently by such a reader; with a -shm present (a writer at
// work) the file is opened normally. Everything else is the default VFS unchanged: each
// method forwards to the wrapped file.
#include "store/readonly_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    sqlite3_file base;   // pMethods: ours, or NULL when the wrapped open failed
    int immutable;
    // the wrapped file (szOsFile of the default VFS) follows
} WrapFile;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs wrap_vfs;

#define REAL(f) ((sqlite3_file *)((WrapFile *)(f) + 1))
#define FWD(f, name, ...) (REAL(f)->pMethods->name(REAL(f), __VA_ARGS__))

static int w_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int w_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) { return FWD(f, xRead, b, n, o); }
static int w_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { return FWD(f, xWrite, b, n, o); }
static int w_truncate(sqlite3_file *f, sqlite3_int64 size) { return FWD(f, xTruncate, size); }
static int w_sync(sqlite3_file *f, int flags) { return FWD(f, xSync, flags); }
static int w_file_size(sqlite3_file *f, sqlite3_int64 *size) { return FWD(f, xFileSize, size); }
static int w_lock(sqlite3_file *f, int level) { return FWD(f, xLock, level); }
static int w_unlock(sqlite3_file *f, int level) { return FWD(f, xUnlock, level); }
static int w_check_reserved(sqlite3_file *f, int *out) { return FWD(f, xCheckReservedLock, out); }
static int w_file_control(sqlite3_file *f, int op, void *arg) { return FWD(f, xFileControl, op, arg); }
static int w_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int w_device(sqlite3_file *f) {
    int dc = REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
    return ((WrapFile *)f)->immutable ? dc | SQLITE_IOCAP_IMMUTABLE : dc;
}
static int w_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p) {
    return FWD(f, xShmMap, pg, pgsz, extend, p);
}
static int w_shm_lock(sqlite3_file *f, int offset, int n, int flags) { return FWD(f, xShmLock, offset, n, flags); }
static void w_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int w_shm_unmap(sqlite3_file *f, int del) { return FWD(f, xShmUnmap, del); }
static int w_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) { return FWD(f, xFetch, o, n, p); }
static int w_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) { return FWD(f, xUnfetch, o, p); }

// Methods the wrapped file lacks (a lower iVersion) stay absent: our iVersion is its.
static sqlite3_io_methods methods[4];

// Whether a read-only open of this main database must read it as immutable: a WAL-mode
// file (header bytes 18 and 19 are 2) whose directory we cannot write, with no -shm and
// no -wal holding frames. Any doubt: no (SQLite then reports its own error).
static int needs_immutable(const char *path) {
    char side[4200], dir[4200];
    if (strlen(path) > 4000) return 0;
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) slash[slash == dir] = 0;
    else snprintf(dir, sizeof dir, ".");
    if (access(dir, W_OK) == 0) return 0;
    struct stat st;
    snprintf(side, sizeof side, "%s-shm", path);
    if (stat(side, &st) == 0) return 0;
    snprintf(side, sizeof side, "%s-wal", path);
    if (stat(side, &st) == 0 && st.st_size > 0) return 0;
    unsigned char header[20];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = pread(fd, header, sizeof header, 0);
    close(fd);
    return n == (ssize_t)sizeof header && !memcmp(header, "SQLite format 3", 16) && header[18] == 2 && header[19] == 2;
}

static int w_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
    (void)vfs;
    WrapFile *w = (WrapFile *)f;
    memset(w, 0, sizeof *w);
    int rc = real_vfs->xOpen(real_vfs, name, REAL(f), flags, out_flags);
    const sqlite3_io_methods *m = REAL(f)->pMethods;
    if (!m) return rc;   // nothing to close: SQLite will not call ours
    int v = m->iVersion < 1 ? 1 : m->iVersion > 3 ? 3 : m->iVersion;
    w->base.pMethods = &methods[v];
    w->immutable = rc == SQLITE_OK && name && (flags & SQLITE_OPEN_MAIN_DB) && (flags & SQLITE_OPEN_READONLY) &&
                   needs_immutable(name);
    return rc;
}

int store_readonly_vfs_register(void) {
    if (real_vfs) return 0;
    sqlite3_vfs *def = sqlite3_vfs_find(NULL);
    if (!def) return -1;
    for (int v = 1; v <= 3; v++)
        methods[v] = (sqlite3_io_methods){ v, w_close, w_read, w_write, w_truncate, w_sync, w_file_size, w_lock, w_unlock,
                                           w_check_reserved, w_file_control, w_sector_size, w_device,
                                           v >= 2 ? w_shm_map : NULL, v >= 2 ? w_shm_lock : NULL,
                                           v >= 2 ? w_shm_barrier : NULL, v >= 2 ? w_shm_unmap : NULL,
                                           v >= 3 ? w_fetch : NULL, v >= 3 ? w_unfetch : NULL };
    real_vfs = def;
    wrap_vfs = *def;
    wrap_vfs.zName = "jackpot-readonly";
    wrap_vfs.szOsFile = (int)sizeof(WrapFile) + def->szOsFile;
    wrap_vfs.xOpen = w_open;
    wrap_vfs.pNext = NULL;
    return sqlite3_vfs_register(&wrap_vfs, 1) == SQLITE_OK ? 0 : -1;
}

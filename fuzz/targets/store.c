// Fuzz target: opening a database read-only (store_open, as status, export,
// fit, dist and report do) on a file of arbitrary bytes.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file(data, size, ".db");
    Store st;
    char err[1024];
    if (store_open(&st, path, 1, err, sizeof err) == 0) store_close(&st);
    else FUZZ_CHECK(err[0] != 0);
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);   // a read-only open may leave these
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}

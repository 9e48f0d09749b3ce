// Fuzz target: opening a database read-only (store_open, as status, export,
// fit, dist and report do) on a file of arbitrary bytes.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz.h"
#include "base/error.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file(data, size, ".db");
    Store st;
    jp_fail("%s", "");   // no message yet: jp_error() reads "unknown error" until a refusal records one
    if (store_open(&st, path, STORE_READONLY) == 0) store_close(&st);
    else FUZZ_CHECK(strcmp(jp_error(), "unknown error") != 0);   // a refusal always says why
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);   // a read-only open may leave these
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}

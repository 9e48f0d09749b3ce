// Fuzz target: dist's CSV reader (samples_from_csv), with every optional column
// and with the required ones only; checks the groups it returns are well formed.
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz.h"
#include "base/error.h"
#include "stats/samples.h"

static void check(const char *path, const char *acc, const char *init, const char *data) {
    Samples s;
    if (samples_from_csv(path, "group", "N", "loss", acc, init, data, &s) != 0) {
        FUZZ_CHECK(jp_error()[0] != 0);
        return;
    }
    FUZZ_CHECK(s.n_groups >= 0);
    for (int g = 0; g < s.n_groups; g++) {
        FUZZ_CHECK(s.g[g].n >= 1);
        for (int i = 0; i < s.g[g].n; i++) {
            (void)s.g[g].loss[i];   // read: ASan checks each array holds n
            (void)s.g[g].acc[i];
            (void)s.g[g].init[i];
            (void)s.g[g].data[i];
        }
        FUZZ_CHECK(memchr(s.g[g].label, 0, sizeof s.g[g].label) != NULL);
    }
    samples_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file(data, size, ".csv");
    check(path, "acc", "init", "data");
    check(path, NULL, NULL, NULL);
    unlink(path);
    return 0;
}

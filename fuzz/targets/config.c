// Fuzz target: the sweep config loader (sweep_config_load: UTF-8 check, YAML
// parse, field validation, the size cap, expansion of every point).
#include <string.h>
#include <unistd.h>

#include "../fuzz.h"
#include "base/error.h"
#include "sweep/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file(data, size, ".yaml");
    SweepConfig c;
    jp_fail("%s", "");   // no message yet: jp_error() reads "unknown error" until a refusal records one
    if (sweep_config_load(path, &c) == 0) {
        long n = sweep_size(&c);
        FUZZ_CHECK(n >= 1 && n <= (c.max_runs ? c.max_runs : SWEEP_DEFAULT_MAX_RUNS));
        if (n <= 1000) {   // the load expanded it once; again only when cheap
            RunSpec *specs;
            long got;
            FUZZ_CHECK(sweep_expand(&c, &specs, &got) == 0 && got == n);
            free(specs);
        }
        sweep_config_free(&c);
    } else {
        FUZZ_CHECK(strncmp(jp_error(), path, strlen(path)) == 0);   // a refusal always says why, naming the file
    }
    unlink(path);
    return 0;
}

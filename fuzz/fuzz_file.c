#include "fuzz.h"

#include <string.h>
#include <unistd.h>

const char *fuzz_write_file(const uint8_t *data, size_t size, const char *suffix) {
    static char path[256];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/jackpot-fuzz-%ld%s", dir && *dir ? dir : "/tmp", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();   // the harness itself failed: not a finding, but never silently skip an input
    }
    return path;
}

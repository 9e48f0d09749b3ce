#include "fuzz.h"

#include <string.h>
#include <unistd.h>

// LeakSanitizer's suppressions for the fuzz and replay binaries (it calls this at start).
// libfyaml 0.7.12 (Debian 12) leaks the buffer it unescapes a long quoted scalar into: a
// 58-quote key followed by ':' leaks 2 KiB from fy_node_get_scalar() of a document that
// fy_document_destroy() then frees (reproduced outside jackpot with those two calls
// alone; fuzz/regressions/config/leak-libfyaml-long-quoted-key.yaml). Debian's libfyaml
// has no frame pointers, so its stacks stop inside it: every leak allocated there is
// suppressed; leaks allocated by jackpot's own code are still findings.
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfyaml.so\n"; }

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

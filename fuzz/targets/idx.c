// Fuzz target: the IDX reader (idx_read), plain or gzip (zlib reads both), with
// the dimension count the header claims (1 to 4) so the data path is reached.
#include <unistd.h>

#include "../fuzz.h"
#include "data/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file(data, size, ".idx");
    int ndim = size >= 4 && data[3] >= 1 && data[3] <= 4 ? data[3] : 3;
    IdxArray a;
    if (idx_read(path, ndim, &a) == 0) {
        size_t count = 1;
        for (int d = 0; d < a.ndim; d++) count *= a.dims[d];
        FUZZ_CHECK(a.ndim == ndim && a.count == count && a.data != NULL);
        volatile uint8_t last = a.data[a.count - 1];   // ASan checks the buffer holds count
        (void)last;
        idx_free(&a);
    }
    unlink(path);
    return 0;
}

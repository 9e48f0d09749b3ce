// IDX files (LeCun's MNIST format), plain or gzip-compressed (zlib reads both).
// Only unsigned-byte data (type 0x08) is accepted: it is what the datasets use.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int ndim;
    uint32_t dims[4];
    size_t count;        // product of dims
    uint8_t *data;       // [count]
} IdxArray;

// Reads `path`, which must have `expect_ndim` dimensions. On error the message
// names the file and what was wrong (missing, magic, dimensions, truncation).
int idx_read(const char *path, int expect_ndim, IdxArray *out);
void idx_free(IdxArray *a);

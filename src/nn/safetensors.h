// Model weights in safetensors, the field's common format (Hugging Face), so that
// another tool (Python's `safetensors`, or any JSON reader and numpy) can read
// what jackpot trained:
//
//   bytes 0..7     N, the header's length, unsigned 64-bit little-endian
//   bytes 8..8+N   a JSON object, padded with spaces to a multiple of 8 bytes:
//                    {"__metadata__": {"key": "value", …},
//                     "NAME": {"dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end]}, …}
//   then           the tensors' bytes, little-endian float32, row-major; offsets are
//                  relative to the end of the header, in the order written
//
// Only float32 is written or read. A file is written to PATH.tmp, flushed to disk and
// renamed over PATH, so a crash (kill -9) leaves the old file or the new one, never
// half of one: checkpoints rely on this.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define SAFETENSORS_MAX_DIMS 4

typedef struct {
    const char *name;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    const float *data;                   // shape's product of values
} SafeTensorOut;

// metadata: n_meta pairs of key and value (strings), or NULL. Returns 0, or −1 (jp_error()).
int safetensors_write(const char *path, const SafeTensorOut *tensors, int n, const char *const (*metadata)[2], int n_meta);

typedef struct {
    char *name;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    size_t count;                        // values: the shape's product
    const float *data;                   // into SafeTensors.blob
} SafeTensorIn;

typedef struct {
    int n;
    SafeTensorIn *tensors;               // in file order (by data offset)
    int n_meta;
    char **meta_key, **meta_value;
    float *blob;                         // every tensor's values
} SafeTensors;

// Reads a whole file. Returns 0, or −1 with jp_error() naming the path and what is wrong
// (not a safetensors file, a dtype other than F32, offsets that overlap or run past the end).
int safetensors_read(const char *path, SafeTensors *st);
void safetensors_free(SafeTensors *st);

// The tensor of that name, or NULL; and a metadata value, or NULL.
const SafeTensorIn *safetensors_find(const SafeTensors *st, const char *name);
const char *safetensors_meta(const SafeTensors *st, const char *key);

// Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput(data, size),
// the entry point that libFuzzer (make fuzz, clang) and the replay driver
// (fuzz/replay.c, built with gcc by make test) both call. The readers under
// test take a path, so the input is written to a file of this process first.
// A target returns 0 whether the reader accepted or refused the input; it
// abort()s only when a reader broke its own contract (a crash to fix).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Writes data to a per-process file ending in `suffix` and returns its path
// (static storage; the same path on every call of this process).
const char *fuzz_write_file(const uint8_t *data, size_t size, const char *suffix);

// abort() with a message: a contract violation the fuzzer must report.
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz: %s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

// UTF-8 validation of text read from files before any parser sees it (libfyaml
// can loop forever on some invalid bytes; a clear location is better anyway).
#pragma once
#include <stddef.h>

typedef struct {
    size_t offset;   // of the first bad byte
    int line, col;   // 1-based; col counts characters, as editors do
    unsigned byte;   // its value
    const char *why; // "not UTF-8", "a NUL byte", "an overlong encoding", ...
} Utf8Error;

// Length of the well-formed sequence at text (1 to 4 bytes of the left ones), or 0
// with *why (may be NULL) saying what is wrong there; a NUL byte counts as wrong.
int utf8_sequence(const char *text, size_t left, const char **why);

// 0 when text[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF) without NUL bytes; -1 with *e filled otherwise.
int utf8_check(const char *text, size_t len, Utf8Error *e);

#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jp_out_of_memory(const char *what, const char *file, int line) {
    fprintf(stderr, "jackpot: out of memory: cannot allocate %s (%s:%d)\n", what, file, line);
    abort();
}
#define out_of_memory jp_out_of_memory

__attribute__((noreturn, cold)) static void fail_size(size_t size, const char *file, int line) {
    char what[64];
    snprintf(what, sizeof what, "%zu bytes", size);
    out_of_memory(what, file, line);
}

void *jp_xmalloc(size_t size, const char *file, int line) {
    void *p = malloc(size ? size : 1);
    if (!p) fail_size(size, file, line);
    return p;
}

void *jp_xcalloc(size_t n, size_t size, const char *file, int line) {
    void *p = (n && size) ? calloc(n, size) : calloc(1, 1);
    if (!p) {
        char what[96];
        snprintf(what, sizeof what, "%zu × %zu bytes", n, size);
        out_of_memory(what, file, line);
    }
    return p;
}

void *jp_xrealloc(void *p, size_t size, const char *file, int line) {
    void *q = realloc(p, size ? size : 1);
    if (!q) fail_size(size, file, line);
    return q;
}

static size_t checked_product(size_t n, size_t size, const char *file, int line) {
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        char what[96];
        snprintf(what, sizeof what, "%zu × %zu bytes (more than SIZE_MAX)", n, size);
        out_of_memory(what, file, line);
    }
    return bytes;
}

void *jp_xmalloc_array(size_t n, size_t size, const char *file, int line) {
    return jp_xmalloc(checked_product(n, size, file, line), file, line);
}

void *jp_xrealloc_array(void *p, size_t n, size_t size, const char *file, int line) {
    return jp_xrealloc(p, checked_product(n, size, file, line), file, line);
}

char *jp_xstrdup(const char *s, const char *file, int line) {
    size_t n = strlen(s) + 1;
    char *p = jp_xmalloc(n, file, line);
    memcpy(p, s, n);
    return p;
}

char *jp_xvasprintf(const char *file, int line, const char *fmt, va_list ap) {
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) out_of_memory("a formatted string (bad format)", file, line);
    char *p = jp_xmalloc((size_t)n + 1, file, line);
    vsnprintf(p, (size_t)n + 1, fmt, again);
    va_end(again);
    return p;
}

char *jp_xasprintf(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *p = jp_xvasprintf(file, line, fmt, ap);
    va_end(ap);
    return p;
}

FILE *jp_xopen_memstream(char **text, size_t *len, const char *file, int line) {
    FILE *f = open_memstream(text, len);
    if (!f) out_of_memory("an in-memory stream", file, line);
    return f;
}
